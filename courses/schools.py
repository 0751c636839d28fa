"""Weekly release for cohort schools (the Leadership School, the Mentor Training School): a cohort
starts on a date and each module opens in its week, so the group moves forward together.

All dates are Chile's local dates: a week opens at midnight in Santiago, not in UTC. Callers
compute `today` with `chile_today(now)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from courses import progression
from courses.model import Activity, Catalogue, Course, Invitation, Module, School
from courses.progression import Progress

CHILE = ZoneInfo("America/Santiago")
DONE, OPEN, LOCKED = progression.DONE, progression.OPEN, progression.LOCKED


def chile_today(now: datetime) -> date:
    """The date in mainland Chile at the instant `now` (which must be timezone-aware)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    return now.astimezone(CHILE).date()


def from_chile(local: datetime) -> datetime:
    """A wall-clock time in mainland Chile (as a form's date and time field gives it), as an
    aware UTC instant."""
    return local.replace(tzinfo=CHILE).astimezone(UTC)


def _check_week(week: int) -> None:
    if week < 1:
        raise ValueError(f"weeks are numbered from 1, got {week}")


def opens_on(cohort_start: date, week: int) -> date:
    """Week 1 opens on the start date, week N seven days after week N-1."""
    _check_week(week)
    return cohort_start + timedelta(days=7 * (week - 1))


def released_modules(
    modules: Sequence[tuple[str, int | None]], cohort_start: date, today: date
) -> set[str]:
    """The ids of the modules open today. A module with no week is always open; one with a week
    opens on that week's first day, so before the start nothing with a week is open."""
    released = set()
    for module_id, week in modules:
        if week is None or today >= opens_on(cohort_start, week):
            released.add(module_id)
    return released


def current_week(cohort_start: date, today: date, weeks: int) -> int | None:
    """The cohort's week today (1..weeks), or None before the start and after the last week."""
    _check_week(weeks)
    if today < cohort_start:
        return None
    week = (today - cohort_start).days // 7 + 1
    return week if week <= weeks else None


# ----------------------------------------------------------------------------- invitations
def may_invite(invitation: Invitation | None, pathway_complete: bool) -> bool:
    """Whether the programme team may invite her, by the school's `invitation` rule. A school
    without a rule (volunteers apply) takes women who completed their pathway too: the schools
    are for graduates."""
    requires = invitation.requires if invitation else "pathway-complete"
    if requires == "pathway-complete":
        return pathway_complete
    raise ValueError(f"unknown invitation requirement {requires!r}")


# ----------------------------------------------------------------------------- her school
@dataclass(frozen=True)
class ModuleRelease:
    module: Module
    opens_on: date | None  # None: the school is not run week by week
    released: bool


@dataclass(frozen=True)
class SchoolCourse:
    """One course of her school, as she sees it."""

    course: Course
    status: str  # done | open | locked
    done: int
    total: int
    # A course the school requires but does not hold (the Mentor Training School's gender
    # training): it opens at once, and counts wherever she completed it.
    required_elsewhere: bool
    modules: tuple[ModuleRelease, ...]

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    def released(self, module_id: str) -> bool:
        return any(m.module.id == module_id and m.released for m in self.modules)


def school_courses(school: School) -> tuple[str, ...]:
    """The school's courses, then the courses its mentor rule asks for that it does not hold."""
    extra: tuple[str, ...] = ()
    if school.mentor_eligibility is not None:
        extra = tuple(c for c in school.mentor_eligibility.course_ids if c not in school.course_ids)
    return tuple(dict.fromkeys((*school.course_ids, *extra)))


def school_plan(
    catalogue: Catalogue,
    school: School,
    progress: Progress,
    cohort_start: date | None,
    today: date,
) -> list[SchoolCourse]:
    """Her school's courses in order. The school's own courses open one after the other; in a
    school run week by week, each module opens in its week counted from the cohort's start
    (nothing before the start, or without a start)."""
    result: list[SchoolCourse] = []
    blocked = False
    for course_id in school_courses(school):
        course = catalogue.courses.get(course_id)
        if course is None:
            continue
        elsewhere = course_id not in school.course_ids
        required = [
            a for a in catalogue.course_activities(course_id) if a.required or not a.optional
        ]
        done = sum(1 for a in required if progression.is_done(a.id, progress))
        complete = done == len(required)
        if complete:
            status = DONE
        elif blocked and not elsewhere:
            status = LOCKED
        else:
            status = OPEN
        if not elsewhere and not complete:
            blocked = True
        weeks = school.opening_weeks(course) if not elsewhere else ()
        modules = []
        for index, module in enumerate(course.modules):
            if weeks:
                starts = opens_on(cohort_start, weeks[index]) if cohort_start else None
                released = starts is not None and today >= starts
            else:
                starts, released = None, True
            modules.append(ModuleRelease(module, starts, released))
        result.append(SchoolCourse(course, status, done, len(required), elsewhere, tuple(modules)))
    return result


def may_work_on(plan: Sequence[SchoolCourse], activity: Activity) -> bool:
    """An activity she may open and do today: its course is open (or done) and its module is
    released."""
    for item in plan:
        if item.course.id == activity.course_id:
            return item.status != LOCKED and item.released(activity.module_id)
    return False


def school_percent(plan: Sequence[SchoolCourse]) -> int:
    total = sum(c.total for c in plan)
    return round(100 * sum(c.done for c in plan) / total) if total else 0


def school_complete(plan: Sequence[SchoolCourse]) -> bool:
    return bool(plan) and all(c.status == DONE for c in plan)
