"""The opportunities board: the programme team and tutors post job offers, fairs and funding
calls; a participant sees the open ones, those that match her pathway and region first; a tutor
points one to a woman of her caseload, who sees it on her plan. Closed calls leave the board by
themselves the day after their closing date (Chile's date)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from courses import opportunities as rules
from courses.schools import chile_today
from lti_tool.actor import Actor, Role
from lti_tool.models import LtiUser, Opportunity, OpportunityPointer, db, utcnow
from lti_tool.services import learning
from lti_tool.services.dbutil import hold_until_commit
from lti_tool.services.errors import Forbidden, OpportunityNotFound
from lti_tool.services.privacy import support as private_support


@dataclass(frozen=True)
class OpportunityView:
    id: int
    kind: str
    title: str
    organisation: str
    description: str
    region: str | None
    pathway: str | None
    closes_on: date
    url: str
    posted_by: str = ""
    pointed_by: str = ""  # the tutor who pointed it to her
    mine: bool = False  # posted by the actor (she may withdraw it)

    @property
    def facts(self) -> rules.Facts:
        return rules.Facts(self.region, self.pathway, self.closes_on)


def today() -> date:
    return chile_today(utcnow())


def _view(row: Opportunity, **extra: Any) -> OpportunityView:
    return OpportunityView(
        row.id,
        row.kind,
        row.title,
        row.organisation,
        row.description,
        row.region,
        row.pathway,
        row.closes_on,
        row.url,
        **extra,
    )


def _open(programme_id: int) -> Any:
    return and_(
        Opportunity.programme_id == programme_id,
        Opportunity.withdrawn_at.is_(None),
        Opportunity.closes_on >= today(),
    )


# ------------------------------------------------------------------------ the participant
@dataclass(frozen=True)
class Board:
    mine: list[OpportunityView]
    others: list[OpportunityView]
    pathway: str | None
    region: str | None


def board(actor: Actor) -> Board:
    """The open opportunities of her programme, hers first (her pathway in this LMS course,
    the region she gave at her intake)."""
    enrolment = learning.enrolment_of(actor)
    pathway = enrolment.pathway_id if enrolment else None
    region = private_support.my_region(actor, why="participant-opportunities")
    rows = db.session.scalars(
        select(Opportunity).where(_open(actor.programme_id)).order_by(Opportunity.closes_on)
    ).all()
    views = [_view(r) for r in rows]
    mine, others = rules.board([(v, v.facts) for v in views], pathway, region, today())
    db.session.commit()
    return Board(mine, others, pathway, region)


_POINTING_TUTOR = aliased(LtiUser, name="pointing_tutor")


def pointed_to_me(actor: Actor) -> list[OpportunityView]:
    """Open offers her tutor pointed to her, newest first (one query)."""
    rows = db.session.execute(
        select(Opportunity, _POINTING_TUTOR.name)
        .join(OpportunityPointer, OpportunityPointer.opportunity_id == Opportunity.id)
        .outerjoin(_POINTING_TUTOR, _POINTING_TUTOR.id == OpportunityPointer.tutor_id)
        .where(OpportunityPointer.participant_id == actor.user_id, _open(actor.programme_id))
        .order_by(OpportunityPointer.created_at.desc())
    ).all()
    return [_view(row, pointed_by=name or "") for row, name in rows]


# ------------------------------------------------------------------ posting and withdrawing
def _require_poster(actor: Actor) -> set[Role]:
    held: set[Role] = set()
    for role in (Role.PROGRAMME_TEAM, Role.TUTOR):
        try:
            private_support.grant_regions(actor, role)
            held.add(role)
        except Forbidden:
            continue
    if not held:
        raise Forbidden("no grant")
    return held


_POSTER = aliased(LtiUser, name="poster")


def manage(actor: Actor) -> tuple[list[OpportunityView], list[OpportunityView]]:
    """(open, closed or withdrawn in the last 90 days) of her programme, for those who post."""
    held = _require_poster(actor)
    rows = db.session.execute(
        select(Opportunity, _POSTER.name)
        .outerjoin(_POSTER, _POSTER.id == Opportunity.posted_by)
        .where(Opportunity.programme_id == actor.programme_id)
        .order_by(Opportunity.closes_on.desc(), Opportunity.id.desc())
        .limit(300)
    ).all()
    current, past = [], []
    now = today()
    for row, name in rows:
        view = _view(
            row,
            posted_by=name or "",
            mine=row.posted_by == actor.user_id or Role.PROGRAMME_TEAM in held,
        )
        if row.withdrawn_at is None and rules.is_open(row.closes_on, now):
            current.append(view)
        elif (now - row.closes_on).days <= 90:
            past.append(view)
    current.reverse()
    return current, past


def post(actor: Actor, data: Mapping[str, Any]) -> int:
    """Post an opportunity (programme team or tutor). `data` is a validated form."""
    return post_once(actor, data)[0]


def post_once(actor: Actor, data: Mapping[str, Any]) -> tuple[int, bool]:
    """Post an opportunity unless she has the very same one on the board already (the form sent
    twice: a double tap, Back and send again): (its id, whether it is new)."""
    _require_poster(actor)
    if data["closes_on"] < today():
        raise ValueError("closed already")
    fields = {
        "kind": data["kind"],
        "title": data["title"].strip(),
        "organisation": data.get("organisation", "").strip(),
        "description": data.get("description", "").strip(),
        "region": data.get("region") or None,
        "pathway": data.get("pathway") or None,
        "closes_on": data["closes_on"],
        "url": data["url"],
    }
    # The same form sent twice at once: the second waits for the first, then finds it.
    hold_until_commit(LtiUser, actor.user_id)
    same = db.session.scalar(
        select(Opportunity.id).where(
            Opportunity.programme_id == actor.programme_id,
            Opportunity.posted_by == actor.user_id,
            Opportunity.withdrawn_at.is_(None),
            *(
                getattr(Opportunity, name).is_(None)
                if value is None
                else getattr(Opportunity, name) == value
                for name, value in fields.items()
            ),
        )
    )
    if same is not None:
        return same, False
    row = Opportunity(programme_id=actor.programme_id, posted_by=actor.user_id, **fields)
    db.session.add(row)
    db.session.commit()
    return row.id, True


def withdraw(actor: Actor, opportunity_id: int) -> None:
    """Take an opportunity off the board before its closing date: its poster, or the team."""
    held = _require_poster(actor)
    row = db.session.scalar(
        select(Opportunity).where(
            Opportunity.id == opportunity_id, Opportunity.programme_id == actor.programme_id
        )
    )
    if row is None:
        raise OpportunityNotFound(opportunity_id)
    if row.posted_by != actor.user_id and Role.PROGRAMME_TEAM not in held:
        raise Forbidden("not hers")
    if row.withdrawn_at is None:
        row.withdrawn_at = utcnow()
    db.session.commit()


# ------------------------------------------------------------------------- the tutor
def for_tutor_page(
    actor: Actor, participant_id: int, journey: learning.Journey | None
) -> tuple[list[OpportunityView], list[OpportunityView]]:
    """(pointed to her already, open ones the tutor may point), hers first. One query; does
    not commit (part of the caseload page)."""
    rows = db.session.execute(
        select(Opportunity, OpportunityPointer.id)
        .outerjoin(
            OpportunityPointer,
            and_(
                OpportunityPointer.opportunity_id == Opportunity.id,
                OpportunityPointer.participant_id == participant_id,
            ),
        )
        .where(_open(actor.programme_id))
        .order_by(Opportunity.closes_on)
    ).all()
    pathway = journey.enrolment.pathway_id if journey else None
    pointed = [_view(row) for row, pointer in rows if pointer is not None]
    candidates = [_view(row) for row, pointer in rows if pointer is None]
    mine, others = rules.board([(v, v.facts) for v in candidates], pathway, None, today())
    return pointed, mine + others


def point(actor: Actor, participant_id: int, opportunity_id: int) -> None:
    """Does not commit: the tutor's use case checks her caseload and commits."""
    found = db.session.scalar(select(Opportunity.id).where(Opportunity.id == opportunity_id,
                                                           _open(actor.programme_id)))  # fmt: skip
    if found is None:
        raise OpportunityNotFound(opportunity_id)
    exists = db.session.scalar(
        select(OpportunityPointer.id).where(
            OpportunityPointer.opportunity_id == opportunity_id,
            OpportunityPointer.participant_id == participant_id,
        )
    )
    if exists is None:
        db.session.add(
            OpportunityPointer(
                opportunity_id=opportunity_id, participant_id=participant_id, tutor_id=actor.user_id
            )
        )
