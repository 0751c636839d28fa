"""Progress through a plan: what is done, what is open, what comes next, and the scores that
go to the LMS gradebook. Pure functions over the catalogue and a participant's activity states."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from courses.model import Activity, Catalogue, Course


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
    return [a for a in catalogue.course_activities(course.id) if not a.optional]


def course_complete(catalogue: Catalogue, course_id: str, progress: Progress) -> bool:
    """A course is complete when every non-optional activity is."""
    course = catalogue.courses[course_id]
    return all(is_done(a.id, progress) for a in _required(catalogue, course))


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


def pathway_percent(courses: list[CourseProgress]) -> int:
    total = sum(c.total for c in courses)
    done = sum(c.done for c in courses)
    return round(100 * done / total) if total else 0


def pathway_complete(courses: list[CourseProgress]) -> bool:
    return bool(courses) and all(c.status == DONE for c in courses)


def score_fraction(catalogue: Catalogue, activity_ids: Iterable[str], progress: Progress) -> float:
    """The share of graded activities completed (all non-optional ones if none is graded)."""
    activities = [catalogue.activities[a] for a in activity_ids if a in catalogue.activities]
    graded = [a for a in activities if a.graded] or [a for a in activities if not a.optional]
    if not graded:
        return 0.0
    return sum(1 for a in graded if is_done(a.id, progress)) / len(graded)


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
    # The pass mark is a whole percent, compared with her whole percent: designers write 67 for
    # "two of three" (66.67 % rounds to 67), as the curriculum's three-question checks do.
    return QuizResult(score, round(score * 100) >= activity.pass_mark, tuple(results))


def worksheet_complete(activity: Activity, values: Mapping[str, str]) -> bool:
    return all((values.get(f.id) or "").strip() for f in activity.fields if f.required)
