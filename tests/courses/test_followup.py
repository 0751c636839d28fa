"""Follow-up surveys: the schedule in calendar months, and the survey's pure state transitions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from courses.followup import (
    MAX_POSTPONEMENTS,
    AlreadyAnswered,
    AlreadyDeclined,
    Answer,
    Due,
    FollowUp,
    InvalidTransition,
    NotDueYet,
    TooManyPostponements,
    add_months,
    answer,
    check_answers,
    decline,
    is_due,
    may_offer,
    offer_first,
    postpone,
    schedule,
)
from courses.programme_data import Survey, SurveyQuestion

SANTIAGO = ZoneInfo("America/Santiago")


def chile(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SANTIAGO)


# ----------------------------------------------------------------------------- schedule
@pytest.mark.parametrize(
    ("completed", "months", "due"),
    [
        (chile(2025, 1, 31), 1, chile(2025, 2, 28)),
        (chile(2024, 1, 31), 1, chile(2024, 2, 29)),  # leap year
        (chile(2025, 3, 31), 3, chile(2025, 6, 30)),
        (chile(2025, 8, 31), 6, chile(2026, 2, 28)),  # across the year end
        (chile(2025, 11, 15), 3, chile(2026, 2, 15)),
        (chile(2025, 12, 31), 12, chile(2026, 12, 31)),
        (chile(2025, 5, 15), 1, chile(2025, 6, 15)),
    ],
)
def test_calendar_months(completed: datetime, months: int, due: datetime) -> None:
    assert add_months(completed, months) == due
    assert schedule(completed, [months]) == [Due(months, due)]


def test_three_and_six_months_soonest_first() -> None:
    due = schedule(chile(2025, 1, 31, 18, 30), [6, 3])
    assert [(d.months, d.due_at) for d in due] == [
        (3, chile(2025, 4, 30, 18, 30)),
        (6, chile(2025, 7, 31, 18, 30)),
    ]


def test_local_time_is_kept_across_daylight_saving() -> None:
    # January is UTC-3 and April UTC-4 in Chile: the survey is due at the same local hour.
    due_at = schedule(chile(2025, 1, 15, 9, 0), [3])[0].due_at
    assert (due_at.date(), due_at.hour, due_at.utcoffset()) == (
        date(2025, 4, 15),
        9,
        timedelta(hours=-4),
    )


def test_months_counted_on_chiles_calendar_not_utc() -> None:
    # 02:00 UTC on 1 Feb is 23:00 on 31 Jan in Santiago: she completed on 31 January.
    due = schedule(datetime(2025, 2, 1, 2, 0, tzinfo=UTC), [1])[0]
    assert due.due_at == chile(2025, 2, 28, 23, 0)


def test_a_local_time_chile_skips_moves_past_the_gap() -> None:
    # 00:00-01:00 on 8 September 2024 did not exist in Chile (clocks went forward).
    due_at = add_months(chile(2024, 8, 8, 0, 30), 1)
    assert due_at == chile(2024, 9, 8, 1, 30)
    assert due_at.astimezone(UTC) == datetime(2024, 9, 8, 4, 30, tzinfo=UTC)


def test_repeated_months_count_once() -> None:
    assert [d.months for d in schedule(chile(2025, 1, 1), [3, 6, 3])] == [3, 6]


def test_no_months_no_surveys() -> None:
    assert schedule(chile(2025, 1, 1), []) == []


@pytest.mark.parametrize("months", [[0], [3, -1]])
def test_months_must_be_positive(months: list[int]) -> None:
    with pytest.raises(ValueError, match="1 or more"):
        schedule(chile(2025, 1, 1), months)


def test_schedule_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule(datetime(2025, 1, 31, 10, 0), [3])  # noqa: DTZ001


# ----------------------------------------------------------------------------- state
DUE_AT = chile(2025, 4, 30)
F3 = FollowUp(3, DUE_AT)
F6 = FollowUp(6, chile(2025, 7, 31))
BEFORE = DUE_AT - timedelta(minutes=1)
AFTER = DUE_AT + timedelta(days=1)


def test_from_due() -> None:
    assert FollowUp.from_due(Due(3, DUE_AT)) == F3
    assert F3.status == "scheduled" and F3.postponements == 0 and F3.postponed_until is None


def test_is_due_from_its_date() -> None:
    assert not is_due(F3, BEFORE)
    assert is_due(F3, DUE_AT)
    assert is_due(F3, AFTER)


def test_is_due_compares_instants_across_zones() -> None:
    # 10:00 in Santiago (UTC-4 in April) is 14:00 UTC.
    assert not is_due(F3, datetime(2025, 4, 30, 13, 59, tzinfo=UTC))
    assert is_due(F3, datetime(2025, 4, 30, 14, 0, tzinfo=UTC))


def test_answered_or_declined_is_not_due() -> None:
    assert not is_due(answer(F3, AFTER, "participant"), AFTER)
    assert not is_due(decline(F3, AFTER), AFTER)


def test_postpone_keeps_it_due_but_not_offered_until_later() -> None:
    later = postpone(F3, AFTER)
    assert later.postponed_until == AFTER + timedelta(days=7)
    assert later.postponements == 1
    assert is_due(later, AFTER)
    assert not may_offer(later, AFTER + timedelta(days=6))
    assert may_offer(later, AFTER + timedelta(days=7))


def test_postpone_with_other_days() -> None:
    assert postpone(F3, AFTER, days=2).postponed_until == AFTER + timedelta(days=2)
    with pytest.raises(ValueError, match="days"):
        postpone(F3, AFTER, days=0)


def test_at_most_three_postponements_then_due_but_never_offered_first() -> None:
    f = F3
    now = AFTER
    for _ in range(MAX_POSTPONEMENTS):
        assert offer_first([f], now) is f
        f = postpone(f, now)
        now = now + timedelta(days=8)
    assert f.postponements == 3
    assert is_due(f, now)
    assert offer_first([f], now) is None
    assert offer_first([f], now + timedelta(days=365)) is None
    with pytest.raises(TooManyPostponements):
        postpone(f, now)
    # She can still answer it herself, or by phone.
    assert answer(f, now, "phone").status == "answered"


def test_cannot_postpone_before_it_is_due() -> None:
    with pytest.raises(NotDueYet):
        postpone(F3, BEFORE)


def test_decline_is_final() -> None:
    declined = decline(F3, AFTER)
    assert declined.status == "declined" and declined.closed_at == AFTER
    assert offer_first([declined], AFTER + timedelta(days=30)) is None
    with pytest.raises(AlreadyDeclined):
        answer(declined, AFTER, "participant")
    with pytest.raises(AlreadyDeclined):
        postpone(declined, AFTER)
    with pytest.raises(AlreadyDeclined):
        decline(declined, AFTER)


def test_decline_is_allowed_before_the_due_date_and_while_postponed() -> None:
    assert decline(F3, BEFORE).status == "declined"
    assert decline(postpone(F3, AFTER), AFTER).status == "declined"


def test_answer_records_who_and_when() -> None:
    by_phone = answer(F3, AFTER, "phone")
    assert (by_phone.status, by_phone.answered_by, by_phone.closed_at) == (
        "answered",
        "phone",
        AFTER,
    )
    assert answer(F3, AFTER, "participant").answered_by == "participant"


def test_answer_while_postponed_is_allowed() -> None:
    assert answer(postpone(F3, AFTER), AFTER + timedelta(hours=1), "participant").status == (
        "answered"
    )


def test_answered_is_final() -> None:
    answered = answer(F3, AFTER, "participant")
    with pytest.raises(AlreadyAnswered):
        answer(answered, AFTER, "phone")
    with pytest.raises(AlreadyAnswered):
        decline(answered, AFTER)
    with pytest.raises(AlreadyAnswered):
        postpone(answered, AFTER)


def test_cannot_answer_before_it_is_due() -> None:
    with pytest.raises(NotDueYet):
        answer(F3, BEFORE, "participant")


def test_answer_by_someone_else_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="by must be"):
        answer(F3, AFTER, "email")  # type: ignore[arg-type]


def test_transition_errors_share_one_base() -> None:
    for error in (AlreadyAnswered, AlreadyDeclined, NotDueYet, TooManyPostponements):
        assert issubclass(error, InvalidTransition)


def test_transitions_do_not_change_the_original() -> None:
    postpone(F3, AFTER)
    answer(F3, AFTER, "phone")
    decline(F3, AFTER)
    assert (F3.status, F3.postponements, F3.postponed_until, F3.closed_at) == (
        "scheduled",
        0,
        None,
        None,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": "lost"},
        {"postponements": 4},
        {"postponements": -1},
        {"status": "answered", "closed_at": AFTER},  # answered without who
        {"answered_by": "phone"},  # who without answered
        {"status": "declined"},  # closed without a date
        {"closed_at": AFTER},  # a date without being closed
    ],
)
def test_inconsistent_states_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"must be|exactly"):
        FollowUp(3, DUE_AT, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "call",
    [
        lambda now: is_due(F3, now),
        lambda now: postpone(F3, now),
        lambda now: decline(F3, now),
        lambda now: answer(F3, now, "phone"),
        lambda now: offer_first([F3], now),
        lambda now: FollowUp(3, now),
    ],
)
def test_naive_datetimes_are_refused(call: Callable[[datetime], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2025, 5, 1, 10, 0))  # noqa: DTZ001


# ----------------------------------------------------------------------------- offer first
def test_offer_first_nothing_due() -> None:
    assert offer_first([F3, F6], BEFORE) is None
    assert offer_first([], AFTER) is None


def test_offer_first_the_oldest_due() -> None:
    now = chile(2025, 8, 5)
    assert offer_first([F6, F3], now) is F3


def test_offer_first_skips_answered_declined_and_postponed() -> None:
    now = chile(2025, 8, 5)
    assert offer_first([F6, answer(F3, now, "phone")], now) is F6
    assert offer_first([F6, decline(F3, now)], now) is F6
    postponed = postpone(F3, now)
    assert offer_first([F6, postponed], now) is F6
    assert offer_first([F6, postponed], now + timedelta(days=7)) is postponed


def test_offer_first_none_when_all_postponed() -> None:
    now = chile(2025, 8, 5)
    assert offer_first([postpone(F3, now), postpone(F6, now)], now) is None


def test_offer_first_same_due_date_takes_the_shorter_follow_up() -> None:
    a = FollowUp(6, DUE_AT)
    b = FollowUp(3, DUE_AT)
    assert offer_first([a, b], AFTER) is b


def test_offer_first_ignores_postponed_until_in_the_past() -> None:
    stale = replace(F3, postponed_until=AFTER - timedelta(days=1), postponements=1)
    assert offer_first([stale], AFTER) is stale


# ----------------------------------------------------------------------------- answers
def _survey() -> Survey:
    from courses.text import Text

    return Survey(
        id="followup-3m",
        months_after_completion=3,
        title=Text("3 meses", "3 months"),
        intro=Text("", ""),
        questions=(
            SurveyQuestion(
                "income", "single", Text("¿?", "?"), True, "income",
                (("less", Text("Menos", "Less")), ("more", Text("Más", "More"))),
            ),
            SurveyQuestion(
                "job", "single", Text("¿?", "?"), False, "formal-job",
                (("yes", Text("Sí", "Yes")), ("no", Text("No", "No"))),
            ),
            SurveyQuestion("words", "text", Text("¿?", "?"), False, None),
        ),
    )  # fmt: skip


def test_check_answers_keeps_valid_answers_with_their_outcome() -> None:
    answers, errors = check_answers(
        _survey(), {"income": "more", "job": "", "words": "  Vendo más.  "}
    )
    assert errors == {}
    assert answers == [
        Answer("income", "income", choice="more"),
        Answer("words", text="Vendo más."),
    ]


@pytest.mark.parametrize(
    ("submitted", "errors"),
    [
        ({}, {"income": "required"}),
        ({"income": "   "}, {"income": "required"}),
        ({"income": "rich"}, {"income": "unknown-option"}),
        ({"income": "less", "job": "maybe"}, {"job": "unknown-option"}),
        ({"income": "less", "words": "x" * 2001}, {"words": "too-long"}),
        ({"income": "less", "answered_by": "phone"}, {"answered_by": "unknown-question"}),
    ],
)
def test_check_answers_names_what_is_wrong(
    submitted: dict[str, str], errors: dict[str, str]
) -> None:
    assert check_answers(_survey(), submitted)[1] == errors
