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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

from lti_tool.lti import ags, http, registry
from lti_tool.models import LtiUser, Platform, ResourceLink, ScoreOutbox, db, utcnow
from lti_tool.models.outbox import DELIVERED, PARKED, PENDING
from lti_tool.services import grades
from lti_tool.settings import OutboxSettings, settings

log = logging.getLogger(__name__)

# Platforms delivered to at the same time by one worker (each in its own thread).
MAX_PLATFORMS_AT_ONCE = 8


@dataclass
class RoundResult:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    parked: int = 0


def _settings() -> OutboxSettings:
    return settings().outbox


def claim_batch(batch_size: int | None = None) -> tuple[str, list[int]]:
    """Lease a batch of due scores to this worker: (the claim's token, ids oldest first)."""
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
        return "", []
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
    return token, list(
        db.session.scalars(
            select(ScoreOutbox.id).where(ScoreOutbox.claim == token).order_by(ScoreOutbox.id)
        )
    )


def claim(batch_size: int | None = None) -> list[int]:
    """Lease a batch of due scores; their ids, oldest first."""
    return claim_batch(batch_size)[1]


def _renew(score_id: int, token: str) -> bool:
    """Extend this worker's lease on one score just before sending it. False when the lease
    ran out and another worker took the score (a slow LMS made the batch outlast the lease):
    then this worker must not send it too."""
    with db.engine.begin() as conn:
        renewed = conn.execute(
            update(ScoreOutbox)
            .where(
                ScoreOutbox.id == score_id,
                ScoreOutbox.claim == token,
                ScoreOutbox.status == PENDING,
            )
            .values(locked_until=utcnow() + timedelta(seconds=_settings().lease_seconds))
        )
        return bool(renewed.rowcount)


def _release(score_ids: list[int], token: str) -> None:
    """Give back scores this worker could not get to within its time budget."""
    if not score_ids:
        return
    with db.engine.begin() as conn:
        conn.execute(
            update(ScoreOutbox)
            .where(ScoreOutbox.id.in_(score_ids), ScoreOutbox.claim == token)
            .values(locked_until=None, claim=None)
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
    token: str | None = None,
) -> str:
    """Send one claimed score; returns its new status. `token` is this worker's claim (by
    default the row's, for a single score); `clients` are reused across a round (one per
    platform); `after_send` lets tests crash the worker between the LMS's answer and the
    commit. The value sent is recomputed from committed progress at this moment."""
    row = db.session.get(ScoreOutbox, score_id)
    if row is None or row.status != PENDING:
        return "gone"
    if not _renew(score_id, token or row.claim or ""):
        db.session.expunge(row)
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
    # The value as her committed progress says now (the row is only written after sending: the
    # session must not hold a write lock while the LMS answers).
    given, maximum, progress, comment = (
        row.score_given,
        row.score_maximum,
        row.activity_progress,
        row.comment,
    )
    fresh = grades.fresh_score(row.user_id, link)
    if fresh is not None and (fresh.given, fresh.maximum, fresh.activity_progress) != (
        given,
        maximum,
        progress,
    ):
        given, maximum, progress = fresh.given, fresh.maximum, fresh.activity_progress
        comment = fresh.comment()
    db.session.commit()  # end the read transaction before talking to the LMS
    scopes = _scopes(link)
    outcome = DELIVERED
    try:
        hosts = registry.platform_hosts(platform.id)
        for url in (link.lineitem_url, link.lineitems_url):
            if url and not http.on_hosts(url, hosts):
                raise ags.GiveUp("the service URL is not on the platform's hosts")
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
                maximum,
                link.target,
            )
            link.lineitem_url = lineitem_url
        client.post_score(
            scopes,
            lineitem_url,
            ags.ScoreMessage(
                user_id=user.sub,
                given=given,
                maximum=maximum,
                activity_progress=progress,
                grading_progress=row.grading_progress,
                timestamp=row.event_at,
                comment=comment,
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
    # What was sent is what the row records.
    row.score_given, row.score_maximum = given, maximum
    row.activity_progress, row.comment = progress, comment
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


def _deliver_platform(
    app: Flask, score_ids: list[int], token: str, budget_seconds: float
) -> RoundResult:
    """One platform's share of a round, in its own thread and session, within a time budget: a
    hung LMS holds up only its own scores, never another tenant's."""
    result = RoundResult()
    deadline = time.monotonic() + budget_seconds
    clients: dict[int, ags.LmsClient] = {}
    with app.app_context():
        try:
            for index, score_id in enumerate(score_ids):
                if time.monotonic() > deadline:
                    _release(score_ids[index:], token)
                    break
                result.claimed += 1
                try:
                    outcome = deliver(score_id, clients=clients, token=token)
                except Exception:  # one broken row must not stop the others; its lease expires
                    log.exception("delivery of score %s failed", score_id)
                    db.session.rollback()
                    continue
                if outcome == DELIVERED:
                    result.delivered += 1
                elif outcome == PARKED:
                    result.parked += 1
                elif outcome == PENDING:
                    result.retried += 1
        finally:
            db.session.remove()
    return result


def run_once(batch_size: int | None = None) -> RoundResult:
    """Claim a batch and deliver it, each platform in its own thread with its own budget."""
    token, ids = claim_batch(batch_size)
    if not ids:
        return RoundResult()
    by_platform: dict[int, list[int]] = {}
    for score_id, platform_id in db.session.execute(
        select(ScoreOutbox.id, ScoreOutbox.platform_id)
        .where(ScoreOutbox.id.in_(ids))
        .order_by(ScoreOutbox.id)
    ):
        by_platform.setdefault(platform_id, []).append(score_id)
    db.session.commit()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    budget = _settings().lease_seconds * 0.5
    total = RoundResult()
    with ThreadPoolExecutor(max_workers=min(len(by_platform), MAX_PLATFORMS_AT_ONCE)) as pool:
        for part in pool.map(
            lambda group: _deliver_platform(app, group, token, budget), by_platform.values()
        ):
            for field in ("claimed", "delivered", "retried", "parked"):
                setattr(total, field, getattr(total, field) + getattr(part, field))
    return total
