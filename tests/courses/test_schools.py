"""Weekly release for cohort schools, in Chile's local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from courses.model import (
    Activity,
    Catalogue,
    Course,
    Invitation,
    MentorEligibility,
    Module,
    School,
    Text,
)
from courses.progression import ActivityState
from courses.schools import (
    LOCKED,
    OPEN,
    chile_today,
    current_week,
    from_chile,
    may_invite,
    may_work_on,
    opens_on,
    released_modules,
    school_complete,
    school_percent,
    school_plan,
)

START = date(2025, 3, 3)  # a Monday
MODULES: list[tuple[str, int | None]] = [
    ("welcome", None),
    ("m1-leadership", 1),
    ("m2-participation", 4),
    ("m3-change-agents", 7),
    ("closing", 10),
]


@pytest.mark.parametrize(
    ("week", "expected"),
    [(1, date(2025, 3, 3)), (2, date(2025, 3, 10)), (10, date(2025, 5, 5))],
)
def test_opens_on(week: int, expected: date) -> None:
    assert opens_on(START, week) == expected


def test_opens_on_across_a_year_end() -> None:
    assert opens_on(date(2024, 12, 30), 2) == date(2025, 1, 6)


@pytest.mark.parametrize("week", [0, -1])
def test_weeks_start_at_one(week: int) -> None:
    with pytest.raises(ValueError, match="from 1"):
        opens_on(START, week)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 3, 2), {"welcome"}),  # the day before the start
        (date(2025, 3, 3), {"welcome", "m1-leadership"}),  # week 1 opens on the start date
        (date(2025, 3, 23), {"welcome", "m1-leadership"}),  # last day of week 3
        (date(2025, 3, 24), {"welcome", "m1-leadership", "m2-participation"}),
        (date(2025, 5, 4), {"welcome", "m1-leadership", "m2-participation", "m3-change-agents"}),
        (date(2025, 5, 5), {m for m, _ in MODULES}),
        (date(2026, 1, 1), {m for m, _ in MODULES}),  # long after: everything stays open
    ],
)
def test_released_modules(today: date, expected: set[str]) -> None:
    assert released_modules(MODULES, START, today) == expected


def test_released_modules_without_modules() -> None:
    assert released_modules([], START, date(2025, 4, 1)) == set()


def test_released_modules_rejects_week_zero() -> None:
    with pytest.raises(ValueError, match="from 1"):
        released_modules([("m", 0)], START, date(2025, 4, 1))


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 3, 2), None),
        (date(2025, 3, 3), 1),
        (date(2025, 3, 9), 1),
        (date(2025, 3, 10), 2),
        (date(2025, 5, 5), 10),
        (date(2025, 5, 11), 10),  # last day of the last week
        (date(2025, 5, 12), None),  # the school is over
    ],
)
def test_current_week(today: date, expected: int | None) -> None:
    assert current_week(START, today, 10) == expected


def test_current_week_needs_at_least_one_week() -> None:
    with pytest.raises(ValueError, match="from 1"):
        current_week(START, START, 0)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Summer time (UTC-3): 02:30 UTC on the 3rd is still the 2nd in Santiago.
        (datetime(2025, 3, 3, 2, 30, tzinfo=UTC), date(2025, 3, 2)),
        (datetime(2025, 3, 3, 3, 0, tzinfo=UTC), date(2025, 3, 3)),
        # Winter time (UTC-4): 03:30 UTC is 23:30 the day before.
        (datetime(2025, 7, 15, 3, 30, tzinfo=UTC), date(2025, 7, 14)),
        (datetime(2025, 7, 15, 4, 0, tzinfo=UTC), date(2025, 7, 15)),
        # Any other zone is converted: 05:00 in Madrid (UTC+2) is 23:00 the day before in Chile.
        (datetime(2025, 7, 15, 5, 0, tzinfo=timezone(timedelta(hours=2))), date(2025, 7, 14)),
    ],
)
def test_chile_today(now: datetime, expected: date) -> None:
    assert chile_today(now) == expected


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        # 18:30 in Santiago's summer (UTC-3) and winter (UTC-4), as a form gives it (naive).
        (datetime(2025, 3, 3, 18, 30), datetime(2025, 3, 3, 21, 30, tzinfo=UTC)),  # noqa: DTZ001
        (datetime(2025, 7, 15, 18, 30), datetime(2025, 7, 15, 22, 30, tzinfo=UTC)),  # noqa: DTZ001
    ],
)
def test_from_chile(local: datetime, expected: datetime) -> None:
    assert from_chile(local) == expected


def test_week_opens_at_midnight_in_chile_not_utc() -> None:
    # 01:00 UTC on the start date is 22:00 the evening before in Santiago: week 1 is not open yet.
    today = chile_today(datetime(2025, 3, 3, 1, 0, tzinfo=UTC))
    assert released_modules(MODULES, START, today) == {"welcome"}
    assert current_week(START, today, 10) is None


def test_chile_today_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        chile_today(datetime(2025, 3, 3, 12, 0))  # noqa: DTZ001


# ----------------------------------------------------------------------------- invitations
def test_invitation_needs_a_completed_pathway() -> None:
    rule = Invitation("pathway-complete")
    assert may_invite(rule, pathway_complete=True)
    assert not may_invite(rule, pathway_complete=False)
    # Volunteers' schools have no rule: they are for graduates too.
    assert may_invite(None, pathway_complete=True)
    assert not may_invite(None, pathway_complete=False)
    with pytest.raises(ValueError, match="unknown"):
        may_invite(Invitation("friend-of-a-friend"), pathway_complete=True)


# ----------------------------------------------------------------------------- her school
T = Text("x", "x")


def activity(id_: str, course: str, module: str, optional: bool = False) -> Activity:
    return Activity(id_, "lesson", T, 5, "viewed", False, optional, T, course, module, id_)


def two_course_school(weeks: int | None, eligibility: tuple[str, ...] = ()) -> Catalogue:
    activities = {
        a.id: a
        for a in (
            activity("a1", "c1", "c1-m1"),
            activity("a2", "c1", "c1-m2"),
            activity("a2x", "c1", "c1-m2", optional=True),
            activity("b1", "c2", "c2-m1"),
            activity("g1", "gender", "g-m1"),
        )
    }
    c1 = Course(
        "c1", T, T, (), None,
        (Module("c1-m1", T, ("a1",), week=1), Module("c1-m2", T, ("a2", "a2x"), week=4)), 100,
    )  # fmt: skip
    c2 = Course("c2", T, T, (), None, (Module("c2-m1", T, ("b1",), week=7),), 100)
    gender = Course("gender", T, T, (), None, (Module("g-m1", T, ("g1",)),), 100)
    school = School(
        "s", T, T, "invited", ("c1", "c2"), weeks=weeks,
        mentor_eligibility=MentorEligibility((*eligibility, "c1"), 8) if eligibility else None,
    )  # fmt: skip
    if weeks is None:
        c1 = Course(
            "c1", T, T, (), None, tuple(Module(m.id, T, m.activity_ids) for m in c1.modules), 100
        )
        c2 = Course("c2", T, T, (), None, (Module("c2-m1", T, ("b1",)),), 100)
    return Catalogue(
        T, T, (), {}, {"c1": c1, "c2": c2, "gender": gender}, activities,
        None, schools={"s": school}, school_ids=("s",),  # type: ignore[arg-type]
    )  # fmt: skip


def done(*ids: str) -> dict[str, ActivityState]:
    return {i: ActivityState(True) for i in ids}


def test_modules_open_week_by_week_from_the_cohort_start() -> None:
    catalogue = two_course_school(weeks=10)
    school = catalogue.schools["s"]
    plan = school_plan(catalogue, school, {}, START, today=date(2025, 3, 3))
    first = plan[0]
    assert [m.opens_on for m in first.modules] == [date(2025, 3, 3), date(2025, 3, 24)]
    assert [m.released for m in first.modules] == [True, False]
    assert may_work_on(plan, catalogue.activities["a1"])
    assert not may_work_on(plan, catalogue.activities["a2"])  # week 4 has not come
    later = school_plan(catalogue, school, {}, START, today=date(2025, 3, 24))
    assert may_work_on(later, catalogue.activities["a2"])


def test_nothing_opens_before_the_start_or_without_a_cohort() -> None:
    catalogue = two_course_school(weeks=10)
    school = catalogue.schools["s"]
    before = school_plan(catalogue, school, {}, START, today=date(2025, 3, 2))
    assert not any(m.released for c in before for m in c.modules)
    nowhere = school_plan(catalogue, school, {}, None, today=date(2025, 3, 2))
    assert not may_work_on(nowhere, catalogue.activities["a1"])


def test_courses_open_one_after_the_other_and_optional_steps_do_not_hold_back() -> None:
    catalogue = two_course_school(weeks=10)
    school = catalogue.schools["s"]
    late = date(2025, 6, 1)
    plan = school_plan(catalogue, school, done("a1"), START, late)
    assert [c.status for c in plan] == [OPEN, LOCKED]
    assert not may_work_on(plan, catalogue.activities["b1"])
    plan = school_plan(catalogue, school, done("a1", "a2"), START, late)  # a2x is optional
    assert [(c.status, c.done, c.total) for c in plan] == [("done", 2, 2), (OPEN, 0, 1)]
    assert may_work_on(plan, catalogue.activities["b1"])
    assert school_percent(plan) == 67 and not school_complete(plan)
    assert school_complete(school_plan(catalogue, school, done("a1", "a2", "b1"), START, late))


def test_a_school_without_weeks_opens_every_module() -> None:
    catalogue = two_course_school(weeks=None)
    plan = school_plan(catalogue, catalogue.schools["s"], {}, None, date(2025, 1, 1))
    assert all(m.released and m.opens_on is None for c in plan for m in c.modules)


def test_courses_the_mentor_rule_asks_for_outside_the_school_open_at_once() -> None:
    catalogue = two_course_school(weeks=None, eligibility=("gender",))
    plan = school_plan(catalogue, catalogue.schools["s"], {}, None, date(2025, 1, 1))
    assert [(c.course.id, c.status, c.required_elsewhere) for c in plan] == [
        ("c1", OPEN, False),
        ("c2", LOCKED, False),
        ("gender", OPEN, True),
    ]
    assert may_work_on(plan, catalogue.activities["g1"])
    assert not may_work_on(plan, catalogue.activities["b1"])
