"""Who in a cohort needs a call this week, and why: pure rules over what Senda knows of each
woman (did she ever open Senda, did she finish the first questions, when was she last active,
which step she is on and since when). The facilitator's cohort page shows the answer at the top.

The rules, in the order they are checked:

1. listed by the LMS (its roster) but she never opened Senda: NEVER_OPENED, whatever the date;
2. she finished her whole plan: no call;
3. she opened Senda but never finished the first questions, and has not come back for
   `COME_BACK_DAYS` days: NO_INTAKE;
4. she started her plan and has not come back for `COME_BACK_DAYS` days: AWAY;
5. she keeps coming back but has not passed the same knowledge check after `STUCK_TRIES` tries,
   or has had the same next step open for `STUCK_DAYS` days: STUCK.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# Started and not back for this many days: call her.
COME_BACK_DAYS = 7
# Her next step opened this many days ago and still not done, while she keeps coming: call her.
STUCK_DAYS = 7
# This many tries at the same knowledge check without passing: call her.
STUCK_TRIES = 3


class Reason(StrEnum):
    NEVER_OPENED = "never-opened"
    NO_INTAKE = "no-intake"
    AWAY = "away"
    STUCK = "stuck"


# The order of the list on the page: who has had the least of Senda first.
REASON_ORDER = (Reason.NEVER_OPENED, Reason.NO_INTAKE, Reason.AWAY, Reason.STUCK)


@dataclass(frozen=True)
class Step:
    """Her next step, if she has opened it: since when, and failed tries at a check."""

    activity_id: str
    opened_at: datetime
    failed_tries: int = 0


@dataclass(frozen=True)
class Situation:
    """What the rules need to know of one woman of the cohort."""

    opened: bool  # she launched Senda at least once
    placed: bool  # she finished the first questions and has a plan
    finished: bool  # she completed every course of her plan
    last_active: datetime | None  # her last activity, or her last launch
    step: Step | None = None  # her next step, if she has opened it


@dataclass(frozen=True)
class Call:
    """Why she needs a call, and for how long it has been so."""

    reason: Reason
    days: int  # days away (NO_INTAKE, AWAY) or on the same step (STUCK); 0 for NEVER_OPENED
    step: Step | None = None  # the step she is stuck on (STUCK)


def _days(since: datetime, now: datetime) -> int:
    return max(0, (now - since) // timedelta(days=1))


def needs_call(woman: Situation, now: datetime) -> Call | None:
    """The call she needs this week, or None."""
    if not woman.opened:
        return Call(Reason.NEVER_OPENED, 0)
    if woman.finished:
        return None
    away = _days(woman.last_active, now) if woman.last_active is not None else COME_BACK_DAYS
    if away >= COME_BACK_DAYS:
        return Call(Reason.AWAY if woman.placed else Reason.NO_INTAKE, away)
    step = woman.step
    if step is not None:
        on_step = _days(step.opened_at, now)
        if step.failed_tries >= STUCK_TRIES or on_step >= STUCK_DAYS:
            return Call(Reason.STUCK, on_step, step)
    return None


def order_key(call: Call) -> tuple[int, int]:
    """Sort key: by reason (REASON_ORDER), then the longest first."""
    return (REASON_ORDER.index(call.reason), -call.days)


def counts(calls: Iterable[Call]) -> dict[Reason, int]:
    """How many calls of each reason, every reason present (zero when none)."""
    found = Counter(call.reason for call in calls)
    return {reason: found.get(reason, 0) for reason in REASON_ORDER}
