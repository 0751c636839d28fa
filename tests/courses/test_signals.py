"""Who needs a call this week: each rule, its threshold on both sides, and the order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from courses.signals import (
    COME_BACK_DAYS,
    STUCK_DAYS,
    STUCK_TRIES,
    Call,
    Reason,
    Situation,
    Step,
    counts,
    needs_call,
    order_key,
)

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def woman(**changes: object) -> Situation:
    """Placed, active an hour ago, on a step she opened an hour ago."""
    values: dict[str, object] = {
        "opened": True,
        "placed": True,
        "finished": False,
        "last_active": days_ago(1 / 24),
        "step": Step("ls-check", days_ago(1 / 24)),
    }
    values.update(changes)
    return Situation(**values)  # type: ignore[arg-type]


def test_thresholds_are_a_week_and_three_tries() -> None:
    assert (COME_BACK_DAYS, STUCK_DAYS, STUCK_TRIES) == (7, 7, 3)


def test_an_active_woman_on_her_step_needs_no_call() -> None:
    assert needs_call(woman(), NOW) is None


def test_never_opened_is_never_opened_not_inactive() -> None:
    # Listed by the LMS long ago, never launched: "never opened", with no days counted.
    call = needs_call(woman(opened=False, placed=False, last_active=None, step=None), NOW)
    assert call == Call(Reason.NEVER_OPENED, 0)


def test_finished_women_need_no_call_even_when_away() -> None:
    assert needs_call(woman(finished=True, last_active=days_ago(60)), NOW) is None


@pytest.mark.parametrize(
    ("away", "expected"),
    [(COME_BACK_DAYS - 0.01, None), (COME_BACK_DAYS, COME_BACK_DAYS), (10, 10), (40.5, 40)],
)
def test_away_for_a_week_or_more(away: float, expected: int | None) -> None:
    call = needs_call(woman(last_active=days_ago(away), step=None), NOW)
    if expected is None:
        assert call is None
    else:
        assert call == Call(Reason.AWAY, expected)


def test_away_comes_before_stuck() -> None:
    call = needs_call(woman(last_active=days_ago(10), step=Step("x", days_ago(20), 5)), NOW)
    assert call is not None and call.reason == Reason.AWAY and call.days == 10


def test_opened_but_never_finished_the_first_questions() -> None:
    call = needs_call(woman(placed=False, last_active=days_ago(9), step=None), NOW)
    assert call == Call(Reason.NO_INTAKE, 9)
    assert needs_call(woman(placed=False, last_active=days_ago(2), step=None), NOW) is None


def test_opened_with_no_date_at_all_counts_as_away() -> None:
    call = needs_call(woman(last_active=None, step=None), NOW)
    assert call is not None and call.reason == Reason.AWAY


@pytest.mark.parametrize(
    ("opened_days", "tries", "stuck"),
    [
        (STUCK_DAYS - 0.01, 0, False),
        (STUCK_DAYS, 0, True),
        (1, STUCK_TRIES - 1, False),
        (1, STUCK_TRIES, True),
        (0, 7, True),
    ],
)
def test_stuck_on_the_same_step(opened_days: float, tries: int, stuck: bool) -> None:
    step = Step("ls-check", days_ago(opened_days), tries)
    call = needs_call(woman(last_active=days_ago(0.5), step=step), NOW)
    if stuck:
        assert call == Call(Reason.STUCK, int(opened_days), step)
    else:
        assert call is None


def test_the_list_puts_who_had_least_of_senda_first_then_the_longest() -> None:
    calls = [
        Call(Reason.STUCK, 9, Step("a", days_ago(9))),
        Call(Reason.AWAY, 8),
        Call(Reason.NEVER_OPENED, 0),
        Call(Reason.AWAY, 30),
        Call(Reason.NO_INTAKE, 7),
    ]
    ordered = sorted(calls, key=order_key)
    assert [(c.reason, c.days) for c in ordered] == [
        (Reason.NEVER_OPENED, 0),
        (Reason.NO_INTAKE, 7),
        (Reason.AWAY, 30),
        (Reason.AWAY, 8),
        (Reason.STUCK, 9),
    ]
    assert counts(calls) == {
        Reason.NEVER_OPENED: 1,
        Reason.NO_INTAKE: 1,
        Reason.AWAY: 2,
        Reason.STUCK: 1,
    }
    assert counts([]) == dict.fromkeys(Reason, 0)
