"""Follow-up surveys 3 and 6 months after she completes her pathway.

- `on_progress`: when her plan becomes complete, its date is kept and both surveys are
  scheduled (once per woman: a second completed plan does not ask again).
- `offer_at_launch`: the survey to put in front of her at launch, if any (courses/followup.py
  decides: due, not postponed, at most one).
- She answers, postpones (three times at most) or declines (final) it; she may leave a contact
  for the programme team to call her if she no longer opens the LMS.
- The programme team's side (the call list of due follow-ups and answers given on the phone)
  is in `services/reports.py`, with the rest of the team's outcome pages.

Her answers and contact are sensitive: they go through `services/privacy/followup.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from courses import followup as rules
from courses.model import Catalogue
from courses.programme_data import Survey
from lti_tool.actor import Actor
from lti_tool.models import Enrolment, FollowUp, db, utcnow
from lti_tool.services import content
from lti_tool.services.dbutil import upsert
from lti_tool.services.errors import (
    FollowUpClosed,
    FollowUpNotFound,
    NotDueYet,
    TooManyPostponements,
)
from lti_tool.services.privacy import followup as private
from lti_tool.services.privacy.followup import CHANNELS, Contact, MyAnswers

POSTPONE_DAYS = 7

__all__ = ["CHANNELS", "Contact", "MyAnswers"]


# ------------------------------------------------------------------------------ domain glue
def domain(row: FollowUp) -> rules.FollowUp:
    return rules.FollowUp(
        months=row.months,
        due_at=row.due_at,
        status=row.status,  # type: ignore[arg-type]
        postponed_until=row.postponed_until,
        postponements=row.postponements,
        closed_at=row.closed_at,
        answered_by=row.answered_by,  # type: ignore[arg-type]
    )


def store(row: FollowUp, state: rules.FollowUp) -> None:
    row.status = state.status
    row.postponed_until = state.postponed_until
    row.postponements = state.postponements
    row.closed_at = state.closed_at
    row.answered_by = state.answered_by


def transition(row: FollowUp, change: Callable[[rules.FollowUp], rules.FollowUp]) -> rules.FollowUp:
    """Run a domain transition; its refusals become the service's named errors."""
    try:
        state = change(domain(row))
    except rules.NotDueYet as exc:
        raise NotDueYet(row.id) from exc
    except rules.TooManyPostponements as exc:
        raise TooManyPostponements(row.id) from exc
    except rules.InvalidTransition as exc:
        raise FollowUpClosed(row.id) from exc
    return state


# ------------------------------------------------------------------------------ scheduling
def on_progress(enrolment: Enrolment, catalogue: Catalogue, complete: bool) -> None:
    """Her progress changed: the first time her plan is complete, keep the date and schedule
    the follow-up surveys of the content. Does not commit (the progress transaction does)."""
    if not complete or enrolment.completed_at is not None:
        return
    now = utcnow()
    enrolment.completed_at = now
    surveys = {s.months_after_completion: s for s in catalogue.surveys}
    for due in rules.schedule(now, list(surveys)):
        # Once per woman and survey: a second completed plan (or the same completion saved
        # twice at once) leaves the first schedule standing.
        upsert(
            FollowUp,
            {
                "user_id": enrolment.user_id,
                "enrolment_id": enrolment.id,
                "context_id": enrolment.context_id,
                "survey_id": surveys[due.months].id,
                "months": due.months,
                "completed_at": now,
                "due_at": due.due_at,
                "status": rules.SCHEDULED,
                "postponements": 0,
                "created_at": now,
            },
            keys=("user_id", "months"),
            update=(),
        )


def offer_at_launch(actor: Actor) -> int | None:
    """The follow-up to offer her first at this launch, or None (one query)."""
    now = utcnow()
    rows = list(
        db.session.scalars(
            select(FollowUp).where(
                FollowUp.user_id == actor.user_id,
                FollowUp.status == rules.SCHEDULED,
                FollowUp.due_at <= now,
            )
        )
    )
    states = [domain(row) for row in rows]
    chosen = rules.offer_first(states, now)
    if chosen is None:
        return None
    return next(row.id for row, state in zip(rows, states, strict=True) if state is chosen)


# ------------------------------------------------------------------------------ her pages
def survey_for(row: FollowUp) -> Survey:
    """The survey's newest wording (the latest content), or the one she was scheduled with."""
    found = content.latest_catalogue()
    catalogues = [found[1]] if found else []
    enrolment_version = db.session.scalar(
        select(Enrolment.content_version_id).where(Enrolment.id == row.enrolment_id)
    )
    if enrolment_version is not None:
        catalogues.append(content.catalogue(enrolment_version))
    for catalogue in catalogues:
        for survey in catalogue.surveys:
            if survey.id == row.survey_id:
                return survey
        for survey in catalogue.surveys:
            if survey.months_after_completion == row.months:
                return survey
    raise FollowUpNotFound(row.id)


def _hers(actor: Actor, follow_up_id: int) -> FollowUp:
    row = db.session.scalar(
        select(FollowUp).where(FollowUp.id == follow_up_id, FollowUp.user_id == actor.user_id)
    )
    if row is None:
        raise FollowUpNotFound(follow_up_id)
    return row


@dataclass(frozen=True)
class SurveyPage:
    id: int
    months: int
    survey: Survey
    status: str  # scheduled | answered | declined
    due: bool  # its date has come (it can be answered or postponed)
    due_at: datetime
    may_postpone: bool


def survey_page(actor: Actor, follow_up_id: int) -> SurveyPage:
    """One of her follow-ups with its questions; another woman's is not found."""
    row = _hers(actor, follow_up_id)
    state = domain(row)
    now = utcnow()
    return SurveyPage(
        id=row.id,
        months=row.months,
        survey=survey_for(row),
        status=row.status,
        due=rules.is_due(state, now),
        due_at=row.due_at,
        may_postpone=rules.is_due(state, now) and state.postponements < rules.MAX_POSTPONEMENTS,
    )


def answer(actor: Actor, follow_up_id: int, submitted: Mapping[str, str]) -> dict[str, str]:
    """She answers her survey. Returns the errors per question (nothing saved), or {}."""
    row = _hers(actor, follow_up_id)
    answers, errors = rules.check_answers(survey_for(row), submitted)
    if errors:
        return errors
    store(row, transition(row, lambda f: rules.answer(f, utcnow(), "participant")))
    private.save_answers(row, answers, actor.user_id, "participant-followup")
    commit_answers(row.id)
    return {}


def commit_answers(follow_up_id: int) -> None:
    """Commit a survey's answers; the same survey answered twice at once (a double submit, or
    her and a phone call) keeps the first answers and the second is told it is closed."""
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise FollowUpClosed(follow_up_id) from exc


def postpone(actor: Actor, follow_up_id: int) -> datetime:
    """'Later, please': not offered again for a week. Returns when it will be offered again.
    'Later' while it is put off already (a double tap, a second tab) is the same request: it
    does not use up another of her postponements."""
    row = _hers(actor, follow_up_id)
    if row.status == rules.SCHEDULED and row.postponed_until and row.postponed_until > utcnow():
        return row.postponed_until
    state = transition(row, lambda f: rules.postpone(f, utcnow(), POSTPONE_DAYS))
    store(row, state)
    db.session.commit()
    assert state.postponed_until is not None
    return state.postponed_until


def decline(actor: Actor, follow_up_id: int) -> None:
    """'No, thank you': recorded, final, and never offered or listed for a call again."""
    row = _hers(actor, follow_up_id)
    store(row, transition(row, lambda f: rules.decline(f, utcnow())))
    db.session.commit()


@dataclass(frozen=True)
class Mine:
    surveys: list[MyAnswers]
    contact: Contact | None


def mine(actor: Actor) -> Mine:
    """Her follow-ups (dates, status, answers) and the contact she left, for her page."""
    surveys = private.my_answers(actor, "participant-followup-page")
    contact = private.my_contact(actor, "participant-followup-page")
    db.session.commit()
    return Mine(surveys, contact)


def set_contact(actor: Actor, channel: str, value: str) -> None:
    private.set_contact(actor, channel, value.strip(), "participant-followup-contact")
    db.session.commit()


def delete_contact(actor: Actor) -> None:
    private.delete_contact(actor, "participant-followup-contact")
    db.session.commit()
