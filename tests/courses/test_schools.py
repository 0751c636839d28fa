"""Weekly release for cohort schools, in Chile's local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from courses.schools import chile_today, current_week, opens_on, released_modules

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


def test_week_opens_at_midnight_in_chile_not_utc() -> None:
    # 01:00 UTC on the start date is 22:00 the evening before in Santiago: week 1 is not open yet.
    today = chile_today(datetime(2025, 3, 3, 1, 0, tzinfo=UTC))
    assert released_modules(MODULES, START, today) == {"welcome"}
    assert current_week(START, today, 10) is None


def test_chile_today_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        chile_today(datetime(2025, 3, 3, 12, 0))  # noqa: DTZ001
