"""Grade delivery: claims due scores from the outbox and delivers them to the LMS.

Several worker processes may run at once. A claim is a lease: the row is locked for
`lease_seconds`; a worker that dies mid-delivery loses its lease and another worker sends the
score again later. That repeat is harmless: the score carries the full value and the time of its
event, so the LMS keeps one result (Moodle answers 409 to a repeat, which counts as delivered).
Scores of one (participant, link) go out in the order of their events. PostgreSQL claims rows
with `FOR UPDATE SKIP LOCKED`; SQLite serialises writers anyway.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from lti_tool.lti import ags
from lti_tool.models import LtiUser, Platform, ResourceLink, ScoreOutbox, db, utcnow
from lti_tool.models.outbox import DELIVERED, PARKED, PENDING
from lti_tool.settings import OutboxSettings, settings

log = logging.getLogger(__name__)


@dataclass
class RoundResult:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    parked: int = 0


def _settings() -> OutboxSettings:
    return settings().outbox


def claim(batch_size: int | None = None) -> list[int]:
    """Lease a batch of due scores to this worker; returns their ids, oldest first."""
    config = _settings()
    batch = int(batch_size or config.batch_size)
    now = utcnow()
    older = aliased(ScoreOutbox)
    candidates = (
        select(ScoreOutbox.id)
        .where(
            ScoreOutbox.status == PENDING,
            ScoreOutbox.next_attempt_at <= now,
            or_(ScoreOutbox.locked_until.is_(None), ScoreOutbox.locked_until < now),
            # Keep each (participant, link) in order: wait for its older undelivered score.
            ~exists().where(
                and_(
                    older.user_id == ScoreOutbox.user_id,
                    older.resource_link_id == ScoreOutbox.resource_link_id,
                    older.status == PENDING,
                    older.id < ScoreOutbox.id,
                )
            ),
        )
        .order_by(ScoreOutbox.id)
        .limit(batch)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=ScoreOutbox)
    ids = list(db.session.scalars(candidates))
    if not ids:
        db.session.rollback()
        return []
    token = secrets.token_hex(8)
    db.session.execute(
        update(ScoreOutbox)
        .where(
            ScoreOutbox.id.in_(ids),
            or_(ScoreOutbox.locked_until.is_(None), ScoreOutbox.locked_until < now),
        )
        .values(
            locked_until=now + timedelta(seconds=config.lease_seconds),
            claim=token,
            pending_key=None,  # newer progress now queues a new score behind this one
        )
    )
    db.session.commit()
    return list(
        db.session.scalars(
            select(ScoreOutbox.id).where(ScoreOutbox.claim == token).order_by(ScoreOutbox.id)
        )
    )


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Exponential back-off with jitter, capped; the LMS's Retry-After wins when longer."""
    config = _settings()
    delay = min(config.backoff_max_seconds, config.backoff_base_seconds * 2 ** (attempts - 1))
    delay = random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not cryptography
    return max(delay, retry_after or 0.0)


def _scopes(link: ResourceLink) -> list[str]:
    return sorted(set(link.ags_scopes.split()))


def deliver(
    score_id: int,
    after_send: Callable[[], None] | None = None,
    clients: dict[int, ags.LmsClient] | None = None,
) -> str:
    """Send one claimed score; returns its new status. `clients` are reused across a round
    (one per platform); `after_send` lets tests crash the worker between the LMS's answer and
    the commit."""
    row = db.session.get(ScoreOutbox, score_id)
    if row is None or row.status != PENDING:
        return "gone"
    link = db.session.get(ResourceLink, row.resource_link_id)
    user = db.session.get(LtiUser, row.user_id)
    platform = db.session.get(Platform, row.platform_id)
    assert link is not None and user is not None and platform is not None
    clients = {} if clients is None else clients
    client = clients.get(platform.id)
    if client is None:
        client = ags.LmsClient(platform, settings().lti.http_timeout_seconds)
        clients[platform.id] = client
    scopes = _scopes(link)
    outcome = DELIVERED
    try:
        lineitem_url = link.lineitem_url
        if not lineitem_url:
            if not link.lineitems_url:
                raise ags.GiveUp(
                    "the link has no line item and the LMS offers no line-items service"
                )
            lineitem_url = client.find_or_create_lineitem(
                scopes,
                link.lineitems_url,
                link.resource_link_id,
                link.title or "Senda",
                row.score_maximum,
                link.target,
            )
            link.lineitem_url = lineitem_url
        client.post_score(
            scopes,
            lineitem_url,
            ags.ScoreMessage(
                user_id=user.sub,
                given=row.score_given,
                maximum=row.score_maximum,
                activity_progress=row.activity_progress,
                grading_progress=row.grading_progress,
                timestamp=row.event_at,
                comment=row.comment,
            ),
        )
    except ags.AlreadyApplied:
        row.last_error = "409: the LMS already had this score"
    except ags.Retry as exc:
        row.attempts += 1
        row.last_error = str(exc)[:500]
        if row.attempts >= _settings().max_attempts:
            outcome = PARKED
        else:
            outcome = PENDING
            row.next_attempt_at = utcnow() + timedelta(
                seconds=backoff(row.attempts, exc.retry_after)
            )
    except ags.GiveUp as exc:
        row.attempts += 1
        row.last_error = str(exc)[:500]
        outcome = PARKED
        if str(exc).startswith("HTTP 404") and link.lineitems_url and row.attempts < 2:
            # The line item we found earlier was deleted: find or create it again, once.
            link.lineitem_url = None
            outcome = PENDING
            row.next_attempt_at = utcnow()
    if after_send is not None:
        after_send()
    row.status = outcome
    row.locked_until = None
    row.claim = None
    if outcome == DELIVERED:
        row.delivered_at = utcnow()
    if outcome != DELIVERED:
        log.info("score %s %s after %s attempt(s)", row.id, outcome, row.attempts)
    db.session.commit()
    # A round sends hundreds of scores with one session: keep it from growing.
    db.session.expunge(row)
    db.session.expunge(user)
    return outcome


def run_once(batch_size: int | None = None) -> RoundResult:
    result = RoundResult()
    clients: dict[int, ags.LmsClient] = {}
    for score_id in claim(batch_size):
        result.claimed += 1
        try:
            outcome = deliver(score_id, clients=clients)
        except Exception:  # one broken row must not stop the others; its lease will expire
            log.exception("delivery of score %s failed", score_id)
            db.session.rollback()
            continue
        if outcome == DELIVERED:
            result.delivered += 1
        elif outcome == PARKED:
            result.parked += 1
        else:
            result.retried += 1
    return result
