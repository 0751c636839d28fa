"""Progress through a plan: what is done, what is open, what comes next, and the scores that
go to the LMS gradebook. Pure functions over the catalogue and a participant's activity states."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from math import factorial, floor

from courses.model import Activity, Catalogue, Course, Option, Question


@dataclass(frozen=True)
class ActivityState:
    completed: bool
    score: float | None = None  # best quiz result, 0..1


Progress = Mapping[str, ActivityState]  # by activity id

DONE = "done"
OPEN = "open"
LOCKED = "locked"


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    status: str  # done | open | locked
    done: int
    total: int
    locked_by: tuple[str, ...]  # course ids still to complete before this one opens

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100


def is_done(activity_id: str, progress: Progress) -> bool:
    state = progress.get(activity_id)
    return bool(state and state.completed)


def _required(catalogue: Catalogue, course: Course) -> list[Activity]:
    """What a course needs done: every activity that is not optional, and every workshop marked
    required (attended: a facilitator recorded her presence)."""
    return [a for a in catalogue.course_activities(course.id) if a.required or not a.optional]


def course_complete(catalogue: Catalogue, course_id: str, progress: Progress) -> bool:
    """A course is complete when every non-optional activity is, required workshops included."""
    course = catalogue.courses[course_id]
    return all(is_done(a.id, progress) for a in _required(catalogue, course))


@dataclass(frozen=True)
class CompletionRule:
    """When a course is complete, for people to read: every required activity done, which
    includes passing its knowledge checks (each with its pass mark); optional ones never count."""

    required: tuple[Activity, ...]
    checks: tuple[Activity, ...]  # required quizzes completed only by passing (`pass_mark`)
    optional: tuple[Activity, ...]


def completion_rule(catalogue: Catalogue, course_id: str) -> CompletionRule:
    course = catalogue.courses[course_id]
    required = tuple(_required(catalogue, course))
    return CompletionRule(
        required=required,
        checks=tuple(
            a
            for a in required
            if a.kind == "quiz" and a.completion == "passed" and a.pass_mark is not None
        ),
        optional=tuple(a for a in catalogue.course_activities(course.id) if a.optional),
    )


def plan(
    catalogue: Catalogue, pathway_id: str, course_ids: Iterable[str], progress: Progress
) -> list[CourseProgress]:
    """Her courses in order, each done, open or locked.

    Ordered pathways (employment's four phases) open one course after the other; otherwise a
    course opens when its prerequisites that are part of her plan are complete.
    """
    ordered = catalogue.pathways[pathway_id].ordered
    ids = [c for c in course_ids if c in catalogue.courses]
    complete = {c: course_complete(catalogue, c, progress) for c in ids}
    result = []
    for index, course_id in enumerate(ids):
        course = catalogue.courses[course_id]
        if ordered:
            blockers = tuple(c for c in ids[:index] if not complete[c])
        else:
            blockers = tuple(p for p in course.prerequisites if p in complete and not complete[p])
        required = _required(catalogue, course)
        done = sum(1 for a in required if is_done(a.id, progress))
        if complete[course_id]:
            status = DONE
        elif blockers:
            status = LOCKED
        else:
            status = OPEN
        result.append(CourseProgress(course, status, done, len(required), blockers))
    return result


def next_activity(
    catalogue: Catalogue, courses: list[CourseProgress], progress: Progress
) -> Activity | None:
    """The one clear next step: the first unfinished activity of the first open course.
    Workshops wait for their session, so they are not "next" unless nothing else is left."""
    waiting: Activity | None = None
    for course in courses:
        if course.status != OPEN:
            continue
        for activity in catalogue.course_activities(course.course.id):
            if is_done(activity.id, progress):
                continue
            if activity.kind == "workshop":
                waiting = waiting or activity
                continue
            return activity
    return waiting


def percent(done: int, total: int) -> int:
    """Her progress as she reads it, in the gradebook too: whole percent of steps done."""
    return round(100 * done / total) if total else 0


def pathway_percent(courses: list[CourseProgress]) -> int:
    return percent(sum(c.done for c in courses), sum(c.total for c in courses))


def steps_done(
    catalogue: Catalogue, activity_ids: Iterable[str], progress: Progress
) -> tuple[int, int]:
    """(done, total) of the steps that count (what `_required` counts: every non-optional
    activity, required workshops included), exactly as her plan page counts them, so her page,
    the LMS grade and its comment read the same."""
    required = [
        catalogue.activities[a]
        for a in activity_ids
        if a in catalogue.activities
        and (catalogue.activities[a].required or not catalogue.activities[a].optional)
    ]
    return sum(1 for a in required if is_done(a.id, progress)), len(required)


def pathway_complete(courses: list[CourseProgress]) -> bool:
    return bool(courses) and all(c.status == DONE for c in courses)


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    correct: bool
    chosen: frozenset[str]


@dataclass(frozen=True)
class QuizResult:
    score: float  # 0..1
    passed: bool
    questions: tuple[QuestionResult, ...]


def grade_quiz(activity: Activity, answers: Mapping[str, Iterable[str]]) -> QuizResult:
    """A question is right when the chosen options are exactly its correct ones."""
    assert activity.kind == "quiz" and activity.pass_mark is not None
    results = []
    for question in activity.questions:
        chosen = frozenset(answers.get(question.id, ()))
        results.append(QuestionResult(question.id, chosen == question.correct_ids, chosen))
    score = sum(r.correct for r in results) / len(results) if results else 0.0
    # Pass marks are whole percentages: 67 means two of three (66.7 % rounds to 67).
    percent = floor(score * 100 + 0.5)
    return QuizResult(score, percent >= activity.pass_mark, tuple(results))


def last_attempt(activity: Activity, saved: Mapping[str, object] | None) -> QuizResult | None:
    """Her last attempt at a quiz, graded again from what was saved with it (the page after a
    submit); None before any."""
    answers = (saved or {}).get("answers")
    if not isinstance(answers, Mapping) or not answers:
        return None
    return grade_quiz(activity, answers)


def option_order(question: Question, key: str, attempt: int) -> tuple[Option, ...]:
    """The options of `question` in the order shown for her attempt number `attempt` (0 for her
    first). The same key and attempt always give the same order (a refresh shows what she saw);
    the next attempt always gives another order, whenever there are two options or more. `key`
    names her and the quiz (never shown). Grading reads option ids, so the order is only what
    she sees."""
    options = question.options
    count = factorial(len(options))
    if count < 2:
        return options
    digest = hashlib.sha256(f"{key}\x00{question.id}".encode()).digest()
    start = int.from_bytes(digest[:8], "big")
    return _permutation(options, (start + attempt) % count)


def _permutation(items: tuple[Option, ...], index: int) -> tuple[Option, ...]:
    """The `index`-th permutation of `items` (0 ≤ index < n!), in lexicographic order of
    positions: consecutive indexes give different orders."""
    pool = list(items)
    result = []
    for place in range(len(pool), 0, -1):
        step = factorial(place - 1)
        chosen, index = divmod(index, step)
        result.append(pool.pop(chosen))
    return tuple(result)


def worksheet_complete(activity: Activity, values: Mapping[str, str]) -> bool:
    return all((values.get(f.id) or "").strip() for f in activity.fields if f.required)
