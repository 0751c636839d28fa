"""Follow-up answers and the contact she agreed to: every read and write is logged.

Answers are written once (her own, or typed by the programme team from a phone call) and are
only ever read back by her (her data page and download) or counted in aggregate for reports
(`outcome_counts`, which decrypts only the few distinct sealed options). Contacts are read only
for the programme team's list of due follow-ups, one logged read per woman listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, delete, func, select, type_coerce

from courses.followup import Answer
from lti_tool.actor import Actor
from lti_tool.models import FollowUp, db, utcnow
from lti_tool.models.encryption import keyring
from lti_tool.models.private import FollowUpAnswer, FollowUpContact
from lti_tool.services.privacy.core import log, log_many

CHANNELS = ("phone", "whatsapp", "email")


# ---------------------------------------------------------------------------- answers
def save_answers(
    follow_up: FollowUp, answers: Sequence[Answer], reader_id: int | None, why: str
) -> None:
    """Store the answers of one survey. Does not commit: the service closes the survey in the
    same transaction."""
    for answer in answers:
        db.session.add(
            FollowUpAnswer(
                follow_up_id=follow_up.id,
                user_id=follow_up.user_id,
                question_id=answer.question_id,
                outcome=answer.outcome,
                choice=answer.choice,
                text=answer.text,
            )
        )
    log(reader_id, follow_up.user_id, "followup", "write", why)


def outcome_counts(follow_up_ids: Any) -> Counter[tuple[int, str, str]]:
    """How many answers chose each option, per survey (months) and outcome, among the
    follow-ups selected by `follow_up_ids` (a SELECT of ids): one aggregate query. Groups are
    merged by plaintext, since after a key rotation an option may have two ciphertexts. The
    caller logs the read (`privacy.reach.log_aggregate_read`)."""
    raw = type_coerce(FollowUpAnswer.choice, String())
    rows = db.session.execute(
        select(FollowUp.months, FollowUpAnswer.outcome, raw, func.count())
        .join(FollowUp, FollowUp.id == FollowUpAnswer.follow_up_id)
        .where(FollowUpAnswer.follow_up_id.in_(follow_up_ids), FollowUpAnswer.outcome.is_not(None))
        .group_by(FollowUp.months, FollowUpAnswer.outcome, raw)
    ).all()
    ring = keyring()
    opened: dict[str, str] = {}
    counts: Counter[tuple[int, str, str]] = Counter()
    for months, outcome, sealed, n in rows:
        if sealed is None:
            continue
        if sealed not in opened:
            opened[sealed] = ring.unseal(sealed)
        counts[(int(months), str(outcome), opened[sealed])] += int(n)
    return counts


@dataclass(frozen=True)
class MyAnswers:
    id: int
    months: int
    survey_id: str
    status: str
    due_at: datetime
    closed_at: datetime | None
    answered_by: str | None
    answers: dict[str, str]  # question id -> option id or her words


def my_answers(actor: Actor, why: str) -> list[MyAnswers]:
    """Her follow-up surveys and what she answered, for her (the read is logged). Two
    queries; does not commit (the caller's page commits its log)."""
    surveys = list(
        db.session.scalars(
            select(FollowUp).where(FollowUp.user_id == actor.user_id).order_by(FollowUp.months)
        )
    )
    answers: dict[int, dict[str, str]] = {}
    if any(f.status == "answered" for f in surveys):
        for row in db.session.scalars(
            select(FollowUpAnswer)
            .where(FollowUpAnswer.user_id == actor.user_id)
            .order_by(FollowUpAnswer.id)
        ):
            answers.setdefault(row.follow_up_id, {})[row.question_id] = row.choice or row.text or ""
        log(actor.user_id, actor.user_id, "followup", "read", why)
    return [
        MyAnswers(
            f.id,
            f.months,
            f.survey_id,
            f.status,
            f.due_at,
            f.closed_at,
            f.answered_by,
            answers.get(f.id, {}),
        )
        for f in surveys
    ]


# ---------------------------------------------------------------------------- contact
@dataclass(frozen=True)
class Contact:
    channel: str  # phone | whatsapp | email
    value: str
    consented_at: datetime


def my_contact(actor: Actor, why: str) -> Contact | None:
    """The contact she agreed to, for her. Does not commit."""
    row = db.session.scalar(select(FollowUpContact).where(FollowUpContact.user_id == actor.user_id))
    if row is None:
        return None
    log(actor.user_id, actor.user_id, "followup-contact", "read", why)
    return Contact(row.channel, row.value, row.consented_at)


def set_contact(actor: Actor, channel: str, value: str, why: str) -> None:
    """Store (or replace) how she agrees to be contacted. Does not commit."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}")
    row = db.session.scalar(
        select(FollowUpContact).where(FollowUpContact.user_id == actor.user_id)
    ) or FollowUpContact(user_id=actor.user_id)
    row.channel = channel
    row.value = value
    row.consented_at = utcnow()
    db.session.add(row)
    log(actor.user_id, actor.user_id, "followup-contact", "write", why)


def delete_contact(actor: Actor, why: str) -> bool:
    """She withdraws her consent: the contact is deleted. Does not commit."""
    result = db.session.execute(
        delete(FollowUpContact).where(FollowUpContact.user_id == actor.user_id)
    )
    log(actor.user_id, actor.user_id, "followup-contact", "delete", why)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def contacted_users() -> Any:
    """A SELECT of the ids of the women who left a contact (used inside a query)."""
    return select(FollowUpContact.user_id)


def contacts_of(reader_id: int, user_ids: Iterable[int], why: str) -> dict[int, Contact]:
    """The contacts of these women, for the programme team's call list: one query, and one
    logged read for each woman whose contact is shown. Does not commit."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    found = {
        row.user_id: Contact(row.channel, row.value, row.consented_at)
        for row in db.session.scalars(
            select(FollowUpContact).where(FollowUpContact.user_id.in_(ids))
        )
    }
    log_many(reader_id, sorted(found), "followup-contact", "read", why)
    return found
