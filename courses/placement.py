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


def _insert(course_ids: list[str], course_id: str, catalogue: Catalogue) -> None:
    """Add a course before the first one of the list that needs it (its prerequisite), else at
    the end: an added basic course comes before the advanced one built on it."""
    for index, other in enumerate(course_ids):
        if course_id in catalogue.courses[other].prerequisites:
            course_ids.insert(index, course_id)
            return
    course_ids.append(course_id)


def place(
    answers: Answers,
    catalogue: Catalogue,
    choose_pathway: str | None = None,
    choose_level: str | None = None,
) -> Placement:
    """Suggest a pathway, level and course list for these answers.

    With `choose_pathway`, she has picked the pathway herself: the level still follows the rules,
    unless she picked it too (`choose_level`). Every answer counts: the rules' conditions, then
    the adjustments (what she would like to learn adds courses; a business not yet formal gets
    the basics of formalising before the advanced course).
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
    if choose_level and choose_level != chosen.level:
        chosen = PlacementRule("chosen", chosen.when, chosen.pathway, choose_level, chosen.reason)
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
                _insert(course_ids, course_id, catalogue)
                changed = True
        if changed:
            reasons.append(adjustment.reason)
    return Placement(chosen.pathway, chosen.level, tuple(course_ids), tuple(reasons), chosen.id)


def related_courses(catalogue: Catalogue, pathway_id: str) -> frozenset[str]:
    """The courses of every level of her pathway."""
    pathway = catalogue.pathways[pathway_id]
    return frozenset(c for level in pathway.levels for c in level.course_ids)


def link_may_add(catalogue: Catalogue, pathway_id: str, course_id: str) -> bool:
    """Whether a link her teacher placed may add this course to her plan (when she says so):
    a course of her pathway, or one of no pathway (the gender training); never a course of
    another pathway, which her facilitator or a change of pathway decides."""
    if course_id in related_courses(catalogue, pathway_id):
        return True
    return not any(course_id in related_courses(catalogue, p) for p in catalogue.pathway_ids)


@dataclass(frozen=True)
class PlanChange:
    """What a change of pathway or level would do to her plan, shown to her before it happens."""

    placement: Placement
    course_ids: tuple[str, ...]  # her new plan
    added: tuple[str, ...]
    removed: tuple[str, ...]
    kept: tuple[str, ...]  # courses staff (or a link) added to her plan, which stay

    @property
    def changes_anything(self) -> bool:
        return bool(self.added or self.removed)


def replan(
    answers: Answers,
    catalogue: Catalogue,
    current_pathway: str,
    current_level: str,
    current_courses: Sequence[str],
    pathway_id: str,
    level: str | None = None,
) -> PlanChange:
    """Her plan in another pathway or level. Courses her placement would not have given her
    (a facilitator added them, or she did from a link) are kept: what staff decided stays."""
    was = place(answers, catalogue, current_pathway, current_level)
    extra = [c for c in current_courses if c not in was.course_ids and c in catalogue.courses]
    new = place(answers, catalogue, pathway_id, level)
    kept = tuple(c for c in extra if c not in new.course_ids)
    course_ids = (*new.course_ids, *kept)
    return PlanChange(
        placement=new,
        course_ids=course_ids,
        added=tuple(c for c in course_ids if c not in current_courses),
        removed=tuple(c for c in current_courses if c not in course_ids),
        kept=kept,
    )
