"""Help requests, behind the privacy boundary.

A participant asks her programme's support team for help; only the support leads of her programme
(and of her region, when she gave one and their grant names regions) see the request. Every read
of a request, by her or by a lead, and every change is written to the access log in the same
transaction. Nothing here logs, exports or reports what she wrote: reports get counts only,
suppressed under 5 (`courses/reach.py`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, insert, select, true
from sqlalchemy.orm import aliased

from courses import reach
from courses import support as rules
from lti_tool.actor import Actor, Role
from lti_tool.models import Grant, LtiUser, db, utcnow
from lti_tool.models.private import AccessLog, Demographics, SupportMessage, SupportRequest
from lti_tool.services.dbutil import hold_until_commit
from lti_tool.services.errors import Forbidden, SupportRequestNotFound
from lti_tool.services.privacy.core import log

WHAT = "support-request"


@dataclass(frozen=True)
class MessageView:
    id: int
    at: datetime
    body: str
    by_participant: bool
    for_her: bool
    author: str
    status_change: str | None


@dataclass(frozen=True)
class RequestView:
    id: int
    status: str
    needs: tuple[str, ...]
    details: str
    region: str | None
    contact_channel: str
    contact_value: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    participant_id: int
    participant: str  # her name, for the support team
    handled_by: str
    messages: tuple[MessageView, ...]


@dataclass(frozen=True)
class RequestSummary:
    id: int
    status: str
    needs: tuple[str, ...]
    region: str | None
    created_at: datetime
    updated_at: datetime
    participant: str
    replies: int  # messages she can read that the team wrote


@dataclass(frozen=True)
class Counts:
    """How many requests, by status and by need, each published only when 0 or at least 5."""

    total: int | None
    by_status: dict[str, int | None]
    by_need: dict[str, int | None]


# ------------------------------------------------------------------------ the participant
def my_region(actor: Actor, why: str) -> str | None:
    """The region she gave, with consent, at her intake (a logged read), to route her request."""
    region = db.session.scalar(
        select(Demographics.region).where(Demographics.user_id == actor.user_id)
    )
    log(actor.user_id, actor.user_id, "demographics", "read", why)
    return region or None


@dataclass(frozen=True)
class HelpPage:
    requests: list[RequestSummary]
    region: str | None  # to preselect in the form: the region she gave at her intake


def help_page(actor: Actor) -> HelpPage:
    """Her requests and the region she gave (both logged reads), for the help page."""
    region = my_region(actor, why="participant-help-form")
    return HelpPage(my_requests(actor), region)


def region_for_directory(actor: Actor) -> str | None:
    region = my_region(actor, why="participant-directory")
    db.session.commit()
    return region


def ask(
    actor: Actor,
    needs: tuple[str, ...],
    details: str,
    channel: str,
    phone: str | None,
    region: str | None,
    seen: int | None = None,
) -> int:
    """She asks for help; the request's id. The number is stored only for the phone and
    WhatsApp channels. `seen` is the newest of her requests the form's page showed (0: none):
    the same request sent again from that page (a double tap, Back, a phone reloading the tab)
    is the one already sent, and its id is returned with nothing written."""
    if actor.role != Role.PARTICIPANT:
        raise Forbidden("only participants ask for help")
    # Her two taps at once are served one after the other, so the second finds the first.
    hold_until_commit(LtiUser, actor.user_id)
    now = utcnow()
    row = SupportRequest(
        programme_id=actor.programme_id,
        user_id=actor.user_id,
        region=region or None,
        needs=list(rules.clean_needs(needs)),
        details=details.strip()[: rules.MAX_DETAILS],
        contact_channel=channel if channel in rules.CONTACT_CHANNELS else "senda",
        contact_value=phone if channel in rules.CHANNELS_WITH_NUMBER and phone else None,
        status=rules.OPEN,
        created_at=now,
        updated_at=now,
    )
    if seen is not None:
        already = _same_request_since(actor, seen, row)
        if already is not None:
            db.session.commit()
            return already
    db.session.add(row)
    db.session.flush()
    log(actor.user_id, actor.user_id, WHAT, "write", "participant-asks-for-help")
    db.session.commit()
    return row.id


def _same_request_since(actor: Actor, seen: int, asked: SupportRequest) -> int | None:
    """The id of a request of hers newer than `seen` saying exactly what `asked` says."""
    for row in db.session.scalars(
        select(SupportRequest).where(
            SupportRequest.user_id == actor.user_id,
            SupportRequest.programme_id == actor.programme_id,
            SupportRequest.id > seen,
        )
    ):
        same = (row.needs, row.details, row.contact_channel, row.contact_value, row.region) == (
            asked.needs,
            asked.details,
            asked.contact_channel,
            asked.contact_value,
            asked.region,
        )
        if same:
            return row.id
    return None


def my_requests(actor: Actor) -> list[RequestSummary]:
    """Her requests, newest first (a logged read)."""
    replies = (
        select(func.count(SupportMessage.id))
        .where(
            SupportMessage.request_id == SupportRequest.id,
            SupportMessage.for_her.is_(True),
            SupportMessage.by_participant.is_(False),
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(SupportRequest, replies)
        .where(
            SupportRequest.user_id == actor.user_id,
            SupportRequest.programme_id == actor.programme_id,
        )
        .order_by(SupportRequest.id.desc())
    ).all()
    summaries = [_summary(row, "", count or 0) for row, count in rows]
    if rows:
        log(actor.user_id, actor.user_id, WHAT, "read", "participant-own-requests")
    db.session.commit()
    return summaries


def _mine(actor: Actor, request_id: int, lock: bool = False) -> SupportRequest:
    """One of her requests; `lock`: held until the commit, so that two taps at once (or her tap
    and a lead's answer) change it one after the other."""
    query = select(SupportRequest).where(
        SupportRequest.id == request_id,
        SupportRequest.user_id == actor.user_id,
        SupportRequest.programme_id == actor.programme_id,
    )
    row = db.session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise SupportRequestNotFound(request_id)
    return row


def my_request(actor: Actor, request_id: int) -> RequestView:
    """One of her requests with the replies meant for her (never the team's internal notes)."""
    row = _mine(actor, request_id)
    view = _view(row, for_her_only=True)
    log(actor.user_id, actor.user_id, WHAT, "read", "participant-own-request")
    db.session.commit()
    return view


def add_my_message(actor: Actor, request_id: int, body: str, seen: int | None = None) -> bool:
    """She writes to the support team (a closed request opens again). `seen`: the newest
    message her page showed; the same words sent again from that page are not a second message.
    False when nothing was written for that reason."""
    row = _mine(actor, request_id, lock=True)
    text = body.strip()[: rules.MAX_MESSAGE]
    if not text:
        raise ValueError("empty message")
    if seen is not None and _written_since(row, seen, actor, text, for_her=True, status=None):
        db.session.commit()
        return False
    reopened = row.status == rules.CLOSED
    if reopened:
        _move(row, rules.OPEN)
    db.session.add(
        SupportMessage(
            request_id=row.id,
            author_id=actor.user_id,
            by_participant=True,
            for_her=True,
            body=text,
            status_change=rules.OPEN if reopened else None,
        )
    )
    row.updated_at = utcnow()
    log(actor.user_id, actor.user_id, WHAT, "write", "participant-message")
    db.session.commit()
    return True


def set_my_status(actor: Actor, request_id: int, status: str) -> bool:
    """She closes a request she no longer needs, or reopens it. False, with nothing written,
    when it already is where she asks (a second tap, a page from before the team's move)."""
    row = _mine(actor, request_id, lock=True)
    if rules.participant_already_has(row.status, status):
        db.session.commit()
        return False
    if not rules.participant_can_move(row.status, status):
        raise rules.InvalidMove(status)
    _move(row, status)
    db.session.add(
        SupportMessage(
            request_id=row.id,
            author_id=actor.user_id,
            by_participant=True,
            for_her=True,
            body="",
            status_change=status,
        )
    )
    log(actor.user_id, actor.user_id, WHAT, "write", "participant-status")
    db.session.commit()
    return True


# --------------------------------------------------------------------------- the support team
def grant_regions(actor: Actor, *roles: Role) -> set[str | None]:
    """The regions of her active grants of `roles` in the programme of her launch (None: the
    whole programme); Forbidden without one. (The boundary checks grants itself, so that no
    caller can hand it a wider scope.)"""
    regions = set(
        db.session.scalars(
            select(Grant.region).where(
                Grant.user_id == actor.user_id,
                Grant.programme_id == actor.programme_id,
                Grant.role.in_([r.value for r in roles]),
                Grant.revoked_at.is_(None),
            )
        )
    )
    if not regions:
        raise Forbidden("no grant")
    return regions


def _lead_regions(actor: Actor) -> set[str | None]:
    return grant_regions(actor, Role.SUPPORT_LEAD)


def _visible(regions: set[str | None]) -> ColumnElement[bool]:
    """The SQL condition for the requests a lead with these grant regions sees
    (`courses.support.lead_sees`)."""
    if None in regions:
        return true()
    return SupportRequest.region.in_(sorted(r for r in regions if r))


def queue(actor: Actor, status: str | None = None) -> list[RequestSummary]:
    """The requests she may handle, open ones first, oldest change first within a status.
    Every request listed is a logged read (its needs and her name are shown)."""
    regions = _lead_regions(actor)
    replies = (
        select(func.count(SupportMessage.id))
        .where(
            SupportMessage.request_id == SupportRequest.id,
            SupportMessage.for_her.is_(True),
            SupportMessage.by_participant.is_(False),
        )
        .scalar_subquery()
    )
    query = (
        select(SupportRequest, LtiUser.name, replies)
        .join(LtiUser, LtiUser.id == SupportRequest.user_id)
        .where(SupportRequest.programme_id == actor.programme_id, _visible(regions))
        .order_by(SupportRequest.updated_at, SupportRequest.id)
        .limit(500)
    )
    if status in rules.STATUSES:
        query = query.where(SupportRequest.status == status)
    rows = db.session.execute(query).all()
    order = {s: n for n, s in enumerate(rules.STATUSES)}
    result = sorted(
        (_summary(row, name or "", count or 0) for row, name, count in rows),
        key=lambda s: order.get(s.status, 9),
    )
    if rows:  # one statement for the whole list, however long
        now = utcnow()
        db.session.execute(
            insert(AccessLog),
            [
                {"reader_id": actor.user_id, "subject_id": row.user_id, "what": WHAT,
                 "action": "read", "why": "support-queue", "at": now}
                for row, _name, _count in rows
            ],
        )  # fmt: skip
    db.session.commit()
    return result


def _theirs(actor: Actor, request_id: int, lock: bool = False) -> SupportRequest:
    regions = _lead_regions(actor)
    query = select(SupportRequest).where(
        SupportRequest.id == request_id,
        SupportRequest.programme_id == actor.programme_id,
        _visible(regions),
    )
    row = db.session.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise SupportRequestNotFound(request_id)
    return row


def team_request(actor: Actor, request_id: int) -> RequestView:
    """A request of her programme (and region), with every message and internal note."""
    row = _theirs(actor, request_id)
    view = _view(row, for_her_only=False)
    log(actor.user_id, row.user_id, WHAT, "read", "support-lead")
    db.session.commit()
    return view


def answer(
    actor: Actor,
    request_id: int,
    body: str,
    for_her: bool,
    status: str | None,
    seen: int | None = None,
) -> bool:
    """A support lead writes to her (`for_her`) or a note for the team, and/or moves the
    request. Her first answer or move makes her the one handling it. `seen`: the newest entry
    her page showed; the same answer sent again from that page writes nothing (False)."""
    row = _theirs(actor, request_id, lock=True)
    text = body.strip()[: rules.MAX_MESSAGE]
    if seen is not None and _written_since(row, seen, actor, text, for_her, status or None):
        db.session.commit()
        return False
    change = status if status and status != row.status else None
    if change is not None and not rules.team_can_move(row.status, change):
        raise rules.InvalidMove(change)
    if not text and change is None:
        raise ValueError("nothing to save")
    if change is not None:
        _move(row, change)
    db.session.add(
        SupportMessage(
            request_id=row.id,
            author_id=actor.user_id,
            by_participant=False,
            for_her=for_her if text else True,
            body=text,
            status_change=change,
        )
    )
    if row.handled_by is None:
        row.handled_by = actor.user_id
    row.updated_at = utcnow()
    log(actor.user_id, row.user_id, WHAT, "write", "support-lead")
    db.session.commit()
    return True


def _written_since(
    row: SupportRequest, seen: int, actor: Actor, text: str, for_her: bool, status: str | None
) -> bool:
    """Whether `actor` already wrote this entry after `seen` (the newest entry her page showed):
    the same words to the same readers, or, without words, the same move, and the request is
    where it would take it."""
    if status is not None and row.status != status:
        return False
    for entry in db.session.scalars(
        select(SupportMessage).where(
            SupportMessage.request_id == row.id,
            SupportMessage.author_id == actor.user_id,
            SupportMessage.id > seen,
        )
    ):
        if text and entry.body == text and entry.for_her == for_her:
            return True
        if not text and not entry.body and status is not None and entry.status_change == status:
            return True
    return False


def counts(actor: Actor) -> Counts:
    """Counts of the requests of her programme (support leads: of their regions) for reports:
    totals by status and by need, small cells suppressed. No request is read one by one."""
    visible: ColumnElement[bool]
    try:
        grant_regions(actor, Role.PROGRAMME_TEAM)
        visible = true()
    except Forbidden:
        visible = _visible(_lead_regions(actor))
    rows = db.session.execute(
        select(SupportRequest.status, SupportRequest.needs).where(
            SupportRequest.programme_id == actor.programme_id, visible
        )
    ).all()
    statuses = Counter(status for status, _needs in rows)
    needs = Counter(need for _status, chosen in rows for need in set(chosen or ()))
    log(actor.user_id, None, WHAT, "read", "support-counts")
    db.session.commit()
    return Counts(
        total=reach.suppress_count(len(rows)),
        by_status=reach.suppress_counts({s: statuses.get(s, 0) for s in rules.STATUSES}),
        # Several needs per request: each need is its own count, with no total to subtract from.
        by_need={n: reach.suppress_count(needs.get(n, 0)) for n in rules.NEEDS},
    )


# ------------------------------------------------------------------------------- helpers
def _move(row: SupportRequest, status: str) -> None:
    row.status = status
    row.updated_at = utcnow()
    row.closed_at = utcnow() if status == rules.CLOSED else None


def _summary(row: SupportRequest, name: str, replies: int) -> RequestSummary:
    return RequestSummary(
        id=row.id,
        status=row.status,
        needs=tuple(row.needs or ()),
        region=row.region,
        created_at=row.created_at,
        updated_at=row.updated_at,
        participant=name,
        replies=replies,
    )


_MESSAGE_AUTHOR = aliased(LtiUser, name="message_author")


def _view(row: SupportRequest, for_her_only: bool) -> RequestView:
    query = (
        select(SupportMessage, _MESSAGE_AUTHOR.name)
        .outerjoin(_MESSAGE_AUTHOR, _MESSAGE_AUTHOR.id == SupportMessage.author_id)
        .where(SupportMessage.request_id == row.id)
        .order_by(SupportMessage.at, SupportMessage.id)
    )
    if for_her_only:
        query = query.where(SupportMessage.for_her.is_(True))
    messages = tuple(
        MessageView(m.id, m.at, m.body, m.by_participant, m.for_her, name or "", m.status_change)
        for m, name in db.session.execute(query)
    )
    ids = [i for i in (row.user_id, row.handled_by) if i is not None]
    names: dict[int, str] = {}
    for user_id, name in db.session.execute(
        select(LtiUser.id, LtiUser.name).where(LtiUser.id.in_(ids))
    ):
        names[user_id] = name
    return RequestView(
        id=row.id,
        status=row.status,
        needs=tuple(row.needs or ()),
        details=row.details or "",
        region=row.region,
        contact_channel=row.contact_channel,
        contact_value=row.contact_value,
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        participant_id=row.user_id,
        participant=names.get(row.user_id) or "",
        handled_by=(names.get(row.handled_by) or "") if row.handled_by else "",
        messages=messages,
    )
