"""Weekly release for cohort schools (the Leadership School, the Mentor Training School): a cohort
starts on a date and each module opens in its week, so the group moves forward together.

All dates are Chile's local dates: a week opens at midnight in Santiago, not in UTC. Callers
compute `today` with `chile_today(now)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

CHILE = ZoneInfo("America/Santiago")


def chile_today(now: datetime) -> date:
    """The date in mainland Chile at the instant `now` (which must be timezone-aware)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    return now.astimezone(CHILE).date()


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
