"""Follow-up surveys some months after she completes the programme (3 and 6 in Chile): when each is
due, and what she may do with it: answer it, postpone it, or decline it for good.

At launch Senda offers at most one survey (`offer_first`), so a woman who opens a lesson is not met
by a pile of forms. Postponing is allowed three times; after that the survey stays due (a tutor
may still ask by phone, and she can still open it herself) but it is not put in front of her
again. Declining is final. Every transition returns a new `FollowUp`; invalid ones raise a
`InvalidTransition` subclass that the app can turn into a message.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from courses.programme_data import Survey
from courses.schools import CHILE

Status = Literal["scheduled", "answered", "declined"]
SCHEDULED: Final = "scheduled"
ANSWERED: Final = "answered"
DECLINED: Final = "declined"
STATUSES: tuple[Status, ...] = ("scheduled", "answered", "declined")

AnsweredBy = Literal["participant", "phone"]
ANSWERED_BY: tuple[AnsweredBy, ...] = ("participant", "phone")

MAX_POSTPONEMENTS = 3


class InvalidTransition(Exception):
    """A follow-up cannot go from its current state to the one asked for."""


class AlreadyAnswered(InvalidTransition):
    """It was answered already; an answer is final."""


class AlreadyDeclined(InvalidTransition):
    """She declined it; that is final and it is never offered again."""


class NotDueYet(InvalidTransition):
    """It cannot be answered or postponed before its due date."""


class TooManyPostponements(InvalidTransition):
    """She has postponed it `MAX_POSTPONEMENTS` times already."""


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


# ----------------------------------------------------------------------------- schedule
@dataclass(frozen=True)
class Due:
    """The survey `months` after completion is due at `due_at` (in Chile's time zone)."""

    months: int
    due_at: datetime


def add_months(moment: datetime, months: int) -> datetime:
    """The same local time `months` calendar months later in Chile; a day the target month does
    not have becomes its last day (31 Jan + 1 month = 28 or 29 Feb). A local time that does not
    exist (the hour Chile skips in September) moves forward past the gap."""
    _require_aware(moment, "moment")
    local = moment.astimezone(CHILE)
    year, month0 = divmod(local.year * 12 + local.month - 1 + months, 12)
    day = min(local.day, calendar.monthrange(year, month0 + 1)[1])
    shifted = local.replace(year=year, month=month0 + 1, day=day)
    return shifted.astimezone(UTC).astimezone(CHILE)


def schedule(completed_at: datetime, months: Sequence[int]) -> list[Due]:
    """When each follow-up is due, soonest first. Months are counted on Chile's calendar (the
    date she completed in Santiago, not in UTC); repeated months count once."""
    _require_aware(completed_at, "completed_at")
    for m in months:
        if m < 1:
            raise ValueError(f"follow-up months must be 1 or more, got {m}")
    return [Due(m, add_months(completed_at, m)) for m in sorted(set(months))]


# ----------------------------------------------------------------------------- state
@dataclass(frozen=True)
class FollowUp:
    """One follow-up survey for one participant and where it stands."""

    months: int
    due_at: datetime
    status: Status = SCHEDULED
    postponed_until: datetime | None = None
    postponements: int = 0
    closed_at: datetime | None = None  # when it was answered or declined
    answered_by: AnsweredBy | None = None

    def __post_init__(self) -> None:
        _require_aware(self.due_at, "due_at")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if not 0 <= self.postponements <= MAX_POSTPONEMENTS:
            raise ValueError(f"postponements must be 0..{MAX_POSTPONEMENTS}")
        if (self.status == ANSWERED) != (self.answered_by is not None):
            raise ValueError("answered_by is set exactly when the survey is answered")
        if (self.status == SCHEDULED) != (self.closed_at is None):
            raise ValueError("closed_at is set exactly when the survey is answered or declined")

    @classmethod
    def from_due(cls, due: Due) -> FollowUp:
        return cls(due.months, due.due_at)


def is_due(f: FollowUp, now: datetime) -> bool:
    """Still owed: not answered, not declined, and its date has come. A postponed survey is still
    due (postponing only changes when it is offered)."""
    _require_aware(now, "now")
    return f.status == SCHEDULED and now >= f.due_at


def _check_open(f: FollowUp) -> None:
    if f.status == ANSWERED:
        raise AlreadyAnswered(f"the {f.months}-month follow-up was answered already")
    if f.status == DECLINED:
        raise AlreadyDeclined(f"the {f.months}-month follow-up was declined")


def postpone(f: FollowUp, now: datetime, days: int = 7) -> FollowUp:
    """'Later, please': not offered again for `days` days. Allowed `MAX_POSTPONEMENTS` times."""
    _require_aware(now, "now")
    if days < 1:
        raise ValueError(f"days must be 1 or more, got {days}")
    _check_open(f)
    if not is_due(f, now):
        raise NotDueYet(f"the {f.months}-month follow-up is not due until {f.due_at}")
    if f.postponements >= MAX_POSTPONEMENTS:
        raise TooManyPostponements(
            f"the {f.months}-month follow-up was postponed {MAX_POSTPONEMENTS} times already"
        )
    return replace(f, postponed_until=now + timedelta(days=days), postponements=f.postponements + 1)


def decline(f: FollowUp, now: datetime) -> FollowUp:
    """'No, thank you': final, at any time before she answers; it is never offered again."""
    _require_aware(now, "now")
    _check_open(f)
    return replace(f, status=DECLINED, closed_at=now)


def answer(f: FollowUp, now: datetime, by: AnsweredBy) -> FollowUp:
    """She answered, herself in Senda (`participant`) or to a tutor who called her (`phone`).
    Allowed once it is due, even while postponed or after the last postponement."""
    _require_aware(now, "now")
    if by not in ANSWERED_BY:
        raise ValueError(f"by must be one of {ANSWERED_BY}, got {by!r}")
    _check_open(f)
    if not is_due(f, now):
        raise NotDueYet(f"the {f.months}-month follow-up is not due until {f.due_at}")
    return replace(f, status=ANSWERED, closed_at=now, answered_by=by)


def may_offer(f: FollowUp, now: datetime) -> bool:
    """Due, not postponed into the future, and not postponed the maximum number of times."""
    return (
        is_due(f, now)
        and f.postponements < MAX_POSTPONEMENTS
        and (f.postponed_until is None or f.postponed_until <= now)
    )


def offer_first(followups: Iterable[FollowUp], now: datetime) -> FollowUp | None:
    """The one survey to offer at launch: the oldest due one that may be offered, or None. The
    object returned is one of those passed in, so the caller can find its record."""
    candidates = [f for f in followups if may_offer(f, now)]
    if not candidates:
        return None
    return min(candidates, key=lambda f: (f.due_at, f.months))


# ----------------------------------------------------------------------------- answers
TEXT_MAX = 2000


@dataclass(frozen=True)
class Answer:
    """One checked answer: an option id for a single-choice question, or her own words."""

    question_id: str
    outcome: str | None = None
    choice: str | None = None
    text: str | None = None


def check_answers(
    survey: Survey, submitted: Mapping[str, str]
) -> tuple[list[Answer], dict[str, str]]:
    """Her submitted answers (question id -> value) checked against the survey: the answers to
    keep, and per question what is wrong ("required", "unknown-option", "too-long", or
    "unknown-question" for a field the survey does not ask). Empty optional answers are not
    kept; an open answer is trimmed and at most `TEXT_MAX` characters."""
    answers: list[Answer] = []
    errors: dict[str, str] = {}
    asked = {q.id for q in survey.questions}
    for key in submitted:
        if key not in asked:
            errors[key[:64]] = "unknown-question"
    for question in survey.questions:
        value = (submitted.get(question.id) or "").strip()
        if not value:
            if question.required:
                errors[question.id] = "required"
            continue
        if question.kind == "single":
            if value not in {option_id for option_id, _text in question.options}:
                errors[question.id] = "unknown-option"
                continue
            answers.append(Answer(question.id, question.outcome, choice=value))
        else:
            if len(value) > TEXT_MAX:
                errors[question.id] = "too-long"
                continue
            answers.append(Answer(question.id, text=value))
    return answers, errors
