"""Placement: from a participant's intake answers to a suggested pathway, level and courses.

The rules are content (content/placement.yaml), so designers change them without code. The first
rule whose conditions all hold places her; every matching adjustment then adds or skips courses.
She may choose the other pathway; then the first rule for that pathway decides the level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from courses.model import Catalogue, PlacementRule, PlacementRules, Text

Answers = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Placement:
    pathway_id: str
    level: str
    course_ids: tuple[str, ...]
    reasons: tuple[Text, ...]  # shown to her: why this suggestion
    rule_id: str


REQUIRED = "answer this question"


def invalid_answers(answers: Answers, rules: PlacementRules) -> dict[str, str]:
    """Answers that do not fit the questions: {question id: problem}. A question may be left
    unanswered unless it is `required` (problem REQUIRED): an empty intake places nobody."""
    problems: dict[str, str] = {q.id: REQUIRED for q in rules.questions if q.required}
    for question_id, chosen in answers.items():
        if chosen:
            problems.pop(question_id, None)
    questions = {q.id: q for q in rules.questions}
    for question_id, chosen in answers.items():
        question = questions.get(question_id)
        if question is None:
            problems[question_id] = "unknown question"
            continue
        valid = {option_id for option_id, _ in question.options}
        if any(option not in valid for option in chosen):
            problems[question_id] = "unknown option"
        elif question.choice == "single" and len(chosen) > 1:
            problems[question_id] = "choose one option"
    return problems


def _matches(when: Mapping[str, Sequence[str]], answers: Answers) -> bool:
    return all(set(answers.get(question, ())) & set(options) for question, options in when.items())


def courses_of_level(catalogue: Catalogue, pathway_id: str, level: str) -> tuple[str, ...]:
    return catalogue.pathways[pathway_id].level(level).course_ids


def place(answers: Answers, catalogue: Catalogue, choose_pathway: str | None = None) -> Placement:
    """Suggest a pathway, level and course list for these answers.

    With `choose_pathway`, she has picked the pathway herself: the level still follows the rules.
    """
    rules = catalogue.placement
    chosen: PlacementRule | None = None
    for rule in rules.rules:
        if choose_pathway and rule.pathway != choose_pathway:
            continue
        if _matches(rule.when, answers):
            chosen = rule
            break
    if chosen is None:
        fallback = rules.fallback
        if choose_pathway and fallback.pathway != choose_pathway:
            fallback = PlacementRule("chosen", {}, choose_pathway, "basic", fallback.reason)
        chosen = fallback
    course_ids = list(courses_of_level(catalogue, chosen.pathway, chosen.level))
    reasons = [chosen.reason]
    for adjustment in rules.adjustments:
        if not _matches(adjustment.when, answers):
            continue
        changed = False
        for course_id in adjustment.skip:
            if course_id in course_ids:
                course_ids.remove(course_id)
                changed = True
        for course_id in adjustment.add:
            if course_id not in course_ids and course_id in catalogue.courses:
                course_ids.append(course_id)
                changed = True
        if changed:
            reasons.append(adjustment.reason)
    return Placement(chosen.pathway, chosen.level, tuple(course_ids), tuple(reasons), chosen.id)
