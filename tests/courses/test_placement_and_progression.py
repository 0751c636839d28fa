"""Placement and progression rules, with no Flask and no database."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import replace
from pathlib import Path

import pytest

from courses import progression
from courses.authoring.errors import blocking
from courses.authoring.tree import compile_tree
from courses.catalogue import build_catalogue
from courses.model import Activity, Catalogue, Option, Question, Text
from courses.placement import REQUIRED, invalid_answers, place
from courses.progression import ActivityState

CONTENT = Path(__file__).parent.parent / "data" / "content"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    document, errors = compile_tree(CONTENT)
    # Warnings (facts due for a new check) age with the calendar; only errors matter here.
    assert not blocking(errors)
    return build_catalogue(document)


def done(*ids: str) -> dict[str, ActivityState]:
    return {i: ActivityState(True) for i in ids}


# ----------------------------------------------------------------------------- placement
def test_existing_business_goes_to_advanced_entrepreneurship(catalogue: Catalogue) -> None:
    placement = place({"goal": ["own-business"], "has-business": ["yes"]}, catalogue)
    assert (placement.pathway_id, placement.level, placement.rule_id) == (
        "entrepreneurship",
        "advanced",
        "business-grow",
    )
    assert placement.course_ids == ("ls", "ent-plan")
    assert placement.reasons[0].es == "Ya tienes un negocio."


def test_first_matching_rule_wins(catalogue: Catalogue) -> None:
    placement = place({"goal": ["own-business"], "has-business": ["no"]}, catalogue)
    assert (placement.pathway_id, placement.level) == ("entrepreneurship", "basic")


def test_no_rule_matches_gives_the_fallback(catalogue: Catalogue) -> None:
    placement = place({}, catalogue)
    assert (placement.pathway_id, placement.level, placement.rule_id) == (
        "employment",
        "basic",
        "fallback",
    )


def test_adjustments_add_courses_and_explain_why(catalogue: Catalogue) -> None:
    placement = place(
        {"goal": ["job"], "formal-work": ["yes"], "learn": ["sell-online", "cv"]}, catalogue
    )
    assert placement.pathway_id == "employment" and placement.level == "advanced"
    assert placement.course_ids == ("emp-diag", "emp-work", "ent-online")
    assert [r.en for r in placement.reasons] == [
        "You have worked with a contract.",
        "You want to sell online.",
    ]


def test_choosing_the_other_pathway_keeps_rules_for_the_level(catalogue: Catalogue) -> None:
    answers = {"goal": ["own-business"], "has-business": ["yes"]}
    placement = place(answers, catalogue, choose_pathway="employment")
    assert placement.pathway_id == "employment" and placement.level == "basic"
    assert "emp-diag" in placement.course_ids


def test_invalid_answers_are_named(catalogue: Catalogue) -> None:
    rules = catalogue.placement
    assert invalid_answers({"goal": ["job"]}, rules) == {}
    assert invalid_answers({"goal": ["job", "own-business"]}, rules) == {
        "goal": "choose one option"
    }
    assert invalid_answers({"goal": ["nope"]}, rules) == {"goal": "unknown option"}
    assert invalid_answers({"goal": ["job"], "admin": ["yes"]}, rules) == {
        "admin": "unknown question"
    }
    # A required question left unanswered: an empty intake places nobody.
    assert invalid_answers({}, rules) == {"goal": REQUIRED}
    assert invalid_answers({"goal": []}, rules) == {"goal": REQUIRED}
    assert invalid_answers({"has-business": ["no"]}, rules) == {"goal": REQUIRED}


# --------------------------------------------------------------------------- progression
def test_entrepreneurship_courses_unlock_by_prerequisites(catalogue: Catalogue) -> None:
    plan = progression.plan(catalogue, "entrepreneurship", ["ls", "ent-idea", "ent-online"], {})
    assert [c.status for c in plan] == ["open", "locked", "locked"]
    assert plan[1].locked_by == ("ls",)
    ls = catalogue.courses["ls"].activity_ids
    plan = progression.plan(
        catalogue, "entrepreneurship", ["ls", "ent-idea", "ent-online"], done(*ls)
    )
    assert [c.status for c in plan] == ["done", "open", "locked"]


def test_a_skipped_prerequisite_does_not_lock(catalogue: Catalogue) -> None:
    plan = progression.plan(catalogue, "entrepreneurship", ["ent-idea", "ent-online"], {})
    assert [c.status for c in plan] == ["open", "locked"]


def test_employment_phases_open_in_order(catalogue: Catalogue) -> None:
    courses = ["ls", "emp-diag", "emp-work"]
    assert [c.status for c in progression.plan(catalogue, "employment", courses, {})] == [
        "open",
        "locked",
        "locked",
    ]
    ls = catalogue.courses["ls"].activity_ids
    diag = catalogue.courses["emp-diag"].activity_ids
    plan = progression.plan(catalogue, "employment", courses, done(*ls, *diag))
    assert [c.status for c in plan] == ["done", "done", "open"]


def test_next_activity_is_the_first_unfinished_and_skips_waiting_workshops(
    catalogue: Catalogue,
) -> None:
    courses = ["ls", "ent-idea"]
    plan = progression.plan(catalogue, "entrepreneurship", courses, {})
    next_up = progression.next_activity(catalogue, plan, {})
    assert next_up is not None and next_up.id == "ls-welcome"
    progress = done("ls-welcome", "ls-story", "ls-strengths", "ls-check")
    plan = progression.plan(catalogue, "entrepreneurship", courses, progress)
    next_up = progression.next_activity(catalogue, plan, progress)
    assert next_up is not None and next_up.id == "ls-workshop"  # only the workshop is left


def test_a_workshop_waits_and_the_step_after_it_comes_first(catalogue: Catalogue) -> None:
    """A workshop in the middle of a course waits for its session: the next step is the activity
    after it, in the same course, not the next course; the workshop is next only when nothing
    else is left."""
    ls = catalogue.courses["ls"]
    reordered = replace(
        ls,
        modules=(
            replace(ls.modules[0], activity_ids=("ls-welcome", "ls-workshop", "ls-story")),
            replace(ls.modules[1], activity_ids=("ls-strengths", "ls-check")),
        ),
    )
    shuffled = replace(catalogue, courses={**catalogue.courses, "ls": reordered})
    courses = ["ls", "ent-idea"]
    progress = done("ls-welcome")
    plan = progression.plan(shuffled, "entrepreneurship", courses, progress)
    next_up = progression.next_activity(shuffled, plan, progress)
    assert next_up is not None and next_up.id == "ls-story"
    progress = done("ls-welcome", "ls-story", "ls-strengths", "ls-check")
    plan = progression.plan(shuffled, "entrepreneurship", courses, progress)
    next_up = progression.next_activity(shuffled, plan, progress)
    assert next_up is not None and next_up.id == "ls-workshop"
    assert progression.next_activity(shuffled, [], {}) is None
    # A finished first course: the next step is in the course after it.
    every = done(*catalogue.courses["ls"].activity_ids)
    plan = progression.plan(catalogue, "entrepreneurship", courses, every)
    next_up = progression.next_activity(catalogue, plan, every)
    assert next_up is not None and next_up.id == "ent-idea-intro"


def test_pathway_percent_of_nothing_is_zero() -> None:
    assert progression.pathway_percent([]) == 0


def test_course_and_pathway_completion_and_percent(catalogue: Catalogue) -> None:
    every = [a for c in ("ent-plan",) for a in catalogue.courses[c].activity_ids]
    ls = catalogue.courses["ls"].activity_ids
    plan = progression.plan(catalogue, "entrepreneurship", ["ls", "ent-plan"], done(*ls, *every))
    assert progression.pathway_complete(plan)
    assert progression.pathway_percent(plan) == 100
    half = progression.plan(catalogue, "entrepreneurship", ["ls", "ent-plan"], done(*ls))
    assert not progression.pathway_complete(half)
    assert progression.pathway_percent(half) == round(100 * len(ls) / (len(ls) + 1))


def test_a_required_workshop_holds_the_course_until_she_attends(catalogue: Catalogue) -> None:
    """Optional: the course completes without it. Required: not until her attendance."""
    workshop = catalogue.activities["ls-workshop"]
    rest = [a.id for a in catalogue.course_activities("ls") if a.id != "ls-workshop"]

    def with_workshop(**changes: bool) -> Catalogue:
        activities = dict(catalogue.activities)
        activities["ls-workshop"] = dataclasses.replace(workshop, **changes)
        return dataclasses.replace(catalogue, activities=activities)

    optional = with_workshop(optional=True, required=False)
    assert progression.course_complete(optional, "ls", done(*rest))
    required = with_workshop(optional=False, required=True)
    assert not progression.course_complete(required, "ls", done(*rest))
    courses = progression.plan(required, "entrepreneurship", ["ls", "ent-idea"], done(*rest))
    assert [c.status for c in courses] == [progression.OPEN, progression.LOCKED]
    assert courses[0].total == len(rest) + 1
    assert (
        progression.next_activity(required, courses, done(*rest))
        == required.activities["ls-workshop"]
    )
    attended = done(*rest, "ls-workshop")
    assert progression.course_complete(required, "ls", attended)
    # Required wins even if a hand-built catalogue also says optional (the validator refuses it).
    both = with_workshop(optional=True, required=True)
    assert not progression.course_complete(both, "ls", done(*rest))


def test_steps_done_counts_what_her_plan_page_counts(catalogue: Catalogue) -> None:
    ids = catalogue.courses["ent-idea"].activity_ids  # intro, bmc and check: all count
    assert progression.steps_done(catalogue, ids, {}) == (0, 3)
    assert progression.steps_done(catalogue, ids, done("ent-idea-intro")) == (1, 3)
    assert progression.steps_done(catalogue, ids, done("ent-idea-bmc", "ent-idea-check")) == (2, 3)
    assert progression.percent(2, 3) == 67 and progression.percent(0, 0) == 0
    # The same count as her plan page's course line.
    plan = progression.plan(catalogue, "entrepreneurship", ["ent-idea"], done("ent-idea-intro"))
    assert (plan[0].done, plan[0].total) == (1, 3)


def test_quiz_grading(catalogue: Catalogue) -> None:
    quiz = catalogue.activities["ls-check"]
    right = progression.grade_quiz(quiz, {"q1": ["a"]})
    assert right.passed and right.score == 1.0
    wrong = progression.grade_quiz(quiz, {"q1": ["b"]})
    assert not wrong.passed and wrong.questions[0].chosen == frozenset({"b"})
    assert not progression.grade_quiz(quiz, {"q1": ["a", "b"]}).passed
    assert not progression.grade_quiz(quiz, {}).passed


def test_her_last_attempt_is_graded_again_from_what_was_saved(catalogue: Catalogue) -> None:
    quiz = catalogue.activities["ls-check"]
    saved = progression.last_attempt(quiz, {"answers": {"q1": ["b"]}, "last_score": 0.0})
    assert saved is not None and not saved.passed
    assert saved.questions[0].chosen == frozenset({"b"})
    assert progression.last_attempt(quiz, {"answers": {"q1": ["a"]}}).passed  # type: ignore[union-attr]
    # Nothing saved yet, or a row without answers (a quiz viewed only): no result to show.
    for nothing in (None, {}, {"answers": {}}, {"answers": None}, {"values": {"x": "y"}}):
        assert progression.last_attempt(quiz, nothing) is None


@pytest.mark.parametrize(
    ("right", "total", "pass_mark", "passed"),
    [(2, 3, 67, True), (1, 3, 67, False), (2, 3, 68, False), (3, 4, 75, True), (2, 4, 67, False)],
)
def test_a_pass_mark_is_a_whole_percentage(
    right: int, total: int, pass_mark: int, passed: bool
) -> None:
    """Designers write 67 for "two of three": 66.7 % passes it."""
    options = (
        Option("a", Text("a", "a"), True, Text("sí", "yes")),
        Option("b", Text("b", "b"), False, Text("no", "no")),
    )
    questions = tuple(Question(f"q{i}", Text("?", "?"), options) for i in range(total))
    quiz = Activity(
        id="quiz",
        kind="quiz",
        title=Text("Q", "Q"),
        minutes=3,
        completion="passed",
        graded=True,
        optional=False,
        body_html=Text("", ""),
        course_id="c",
        module_id="m",
        fingerprint="f",
        pass_mark=pass_mark,
        questions=questions,
    )
    answers = {f"q{i}": ["a" if i < right else "b"] for i in range(total)}
    assert progression.grade_quiz(quiz, answers).passed is passed


def test_quiz_option_order_is_fixed_per_attempt_and_changes_between_attempts() -> None:
    options = tuple(
        Option(i, Text(i, i), i == "a", Text("why", "why")) for i in ("a", "b", "c", "d")
    )
    question = Question("q1", Text("?", "?"), options)
    orders = [progression.option_order(question, "7:quiz", n) for n in range(30)]
    assert orders == [progression.option_order(question, "7:quiz", n) for n in range(30)]
    for order in orders:
        assert sorted(o.id for o in order) == ["a", "b", "c", "d"]
    for before, after in itertools.pairwise(orders):
        assert before != after
    assert len(set(orders)) > 20  # not a rotation of one order: shuffled
    assert progression.option_order(question, "8:quiz", 0) != orders[0] or (
        progression.option_order(question, "9:quiz", 0) != orders[0]
    )  # each woman her own order
    single = Question("q2", Text("?", "?"), options[:1])
    assert progression.option_order(single, "7:quiz", 3) == options[:1]


def test_quiz_pass_mark_below_100_counts_right_answers(catalogue: Catalogue) -> None:
    """Three questions, pass mark 67 (as the real content's checks): two right passes, one
    right does not, none right does not."""
    quiz = catalogue.activities["ent-idea-check"]
    assert quiz.pass_mark == 67 and len(quiz.questions) == 3
    every = progression.grade_quiz(quiz, {"q1": ["a"], "q2": ["a"], "q3": ["a"]})
    assert every.passed and every.score == 1.0
    two = progression.grade_quiz(quiz, {"q1": ["a"], "q2": ["b"], "q3": ["a"]})
    assert two.passed and two.score == pytest.approx(2 / 3)
    assert [q.correct for q in two.questions] == [True, False, True]
    one = progression.grade_quiz(quiz, {"q1": ["a"], "q2": ["b"], "q3": ["b"]})
    assert not one.passed and one.score == pytest.approx(1 / 3)
    none = progression.grade_quiz(quiz, {"q1": ["b"], "q2": ["b"], "q3": ["b"]})
    assert not none.passed and none.score == 0.0
    # Her percent is whole and exact: one of three is 33 %, short of a pass mark of 34.
    at_34 = replace(quiz, pass_mark=34)
    assert not progression.grade_quiz(at_34, {"q1": ["a"], "q2": ["b"], "q3": ["b"]}).passed
    assert progression.grade_quiz(replace(quiz, pass_mark=33), {"q1": ["a"]}).passed


def test_worksheet_completion_needs_required_fields(catalogue: Catalogue) -> None:
    sheet = catalogue.activities["ent-idea-bmc"]
    assert not progression.worksheet_complete(sheet, {"offer": "pan"})
    assert not progression.worksheet_complete(sheet, {"customers": "   "})
    assert progression.worksheet_complete(sheet, {"customers": "vecinas"})
