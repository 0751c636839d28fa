"""Grade delivery: claims due scores from the outbox and delivers them to the LMS.

A round claims a batch, reads everything it will send in a few queries, sends the scores
through each platform's own pool of `outbox.concurrency_per_platform` threads (one HTTP session
per platform whose connections stay open from round to round, and one access token shared by
every worker until it expires), then records every answer in one transaction. A hung LMS holds
up only its own threads, never another tenant's scores.

Several worker processes may run at once. A claim is a lease: the row is locked for
`lease_seconds`; a worker that dies mid-delivery loses its lease and another worker sends the
score again later. That repeat is harmless: the score carries the full value and the time of its
event, so the LMS keeps one result (Moodle answers 409 to a repeat, which counts as delivered).
No request starts after half the lease: a score another worker may have taken over is never
sent by this one too.

Scores of one (participant, link) go out one at a time, in the order of their events: a claim
takes only the oldest waiting score of each, so a batch holds at most one per (participant,
link), and a newer one waits until the older one is delivered, parked or given back (its due
time then follows the older one's). The claim walks a partial index of the waiting rows in due
order and stops after a batch: no correlated subquery, and a plan that does not depend on the
table's statistics. PostgreSQL claims rows with `FOR UPDATE SKIP LOCKED`; SQLite serialises
writers anyway.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import (
    Integer,
    bindparam,
    column,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    update,
)

from lti_tool.lti import ags, http, registry
from lti_tool.models import LtiUser, Platform, ResourceLink, ScoreOutbox, db, utcnow
from lti_tool.models.outbox import DELIVERED, PARKED, PENDING
from lti_tool.models.types import UtcDateTime
from lti_tool.services import grades
from lti_tool.settings import OutboxSettings, settings

log = logging.getLogger(__name__)

# A score waiting behind an older one of the same participant and link is looked at again no
# sooner than this (its due time is moved to when the older one may be done).
BLOCKED_RECHECK = timedelta(seconds=1)
# How many times a claim looks further when every due row it found waits behind an older one.
CLAIM_PASSES = 4
# A platform's threads and connections are closed after this long unused, and made anew after
# this long in use (new token requests then sign with a rotated key).
SENDER_IDLE_SECONDS = 300.0
SENDER_MAX_AGE_SECONDS = 600.0
# No request of a round starts after this share of its lease.
LEASE_SHARE = 0.5
# `status = 'pending'` written out, not bound: only then may SQLite and a generic PostgreSQL
# plan use the partial index of waiting rows (its WHERE must be seen to hold).
WAITING = ScoreOutbox.status == literal_column(f"'{PENDING}'")
# The statements a round runs on many rows are Core statements on the table, their lists bound as
# one expanding parameter: no ORM bookkeeping, and no clause built per id.
OUTBOX = ScoreOutbox.__table__

# What became of one send, besides the LMS's answers.
RELEASED = "released"  # not sent: the round's time ran out; given back for another round
FAILED = "failed"  # an unexpected error (logged); the lease runs out and a later round tries


@dataclass
class RoundResult:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    parked: int = 0


def _settings() -> OutboxSettings:
    return settings().outbox


# ------------------------------------------------------------------------------------ claim
def claim_batch(batch_size: int | None = None) -> tuple[str, list[int]]:
    """Lease a batch of due scores to this worker: (the claim's token, their ids). At most one
    per (participant, link): the oldest waiting one."""
    token = _claim(batch_size)
    db.session.commit()
    if not token:
        return "", []
    return token, list(
        db.session.scalars(
            select(ScoreOutbox.id).where(ScoreOutbox.claim == token).order_by(ScoreOutbox.id)
        )
    )


def _claim(batch_size: int | None) -> str:
    """The claim, in the caller's transaction (which commits it); its token, or "" when
    nothing is due. Rows another worker took first are not this token's (SQLite: the update's
    condition; PostgreSQL: SKIP LOCKED)."""
    config = _settings()
    batch = int(batch_size or config.batch_size)
    now = utcnow()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    ids: list[int] = []
    for _ in range(CLAIM_PASSES):
        due = (
            select(ScoreOutbox.id, ScoreOutbox.user_id, ScoreOutbox.resource_link_id)
            .where(
                WAITING,
                ScoreOutbox.next_attempt_at <= now,
                or_(ScoreOutbox.locked_until.is_(None), ScoreOutbox.locked_until < now),
            )
            .order_by(ScoreOutbox.next_attempt_at, ScoreOutbox.id)
            .limit(batch)
        )
        if postgres:
            with walking_the_index():
                candidates = db.session.execute(due.with_for_update(skip_locked=True)).all()
        else:
            candidates = db.session.execute(due).all()
        if not candidates:
            break
        ids = _oldest_of_their_key(candidates, now, config.lease_seconds)
        if ids:
            break
        # Every row found waits behind an older one and was moved back: look further.
    if not ids:
        return ""
    token = secrets.token_hex(8)
    db.session.execute(
        OUTBOX.update()
        .where(
            OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
            or_(OUTBOX.c.locked_until.is_(None), OUTBOX.c.locked_until < now),
        )
        .values(
            locked_until=now + timedelta(seconds=config.lease_seconds),
            claim=token,
            pending_key=None,  # newer progress now queues a new score behind this one
        ),
        {"ids": ids},
    )
    return token


@contextmanager
def walking_the_index() -> Iterator[None]:
    """PostgreSQL: plan the claim's due rows as a walk down ix_score_outbox_waiting that stops
    after the batch. Without statistics the planner believes few rows wait and would rather read
    every due row and sort them (a claim then costs as much as the whole backlog): sorting and
    bitmap scans are ruled out inside this block (in this transaction), and put back after."""
    saved = db.session.execute(
        text(
            "SELECT current_setting('enable_sort') AS sort, "
            "current_setting('enable_bitmapscan') AS bitmap"
        )
    ).one()
    db.session.execute(
        text(
            "SELECT set_config('enable_sort', 'off', true), "
            "set_config('enable_bitmapscan', 'off', true)"
        )
    )
    try:
        yield
    finally:
        db.session.execute(
            text(
                "SELECT set_config('enable_sort', :sort, true), "
                "set_config('enable_bitmapscan', :bitmap, true)"
            ),
            {"sort": saved.sort, "bitmap": saved.bitmap},
        )


def _oldest_of_their_key(candidates: Sequence[Any], now: datetime, lease_seconds: int) -> list[int]:
    """The candidates that are the oldest waiting score of their (participant, link); the
    others get the due time of the one they wait for (or of its lease), so the next claims
    do not find them again before it can be done."""
    first = _first_waiting({(row.user_id, row.resource_link_id) for row in candidates})
    chosen: list[int] = []
    later: list[dict[str, Any]] = []
    for row in candidates:
        ahead = first.get((row.user_id, row.resource_link_id))
        if ahead is None or ahead.id == row.id:
            chosen.append(row.id)
    taken = set(chosen)
    for row in candidates:
        ahead = first.get((row.user_id, row.resource_link_id))
        if ahead is None or ahead.id == row.id:
            continue
        until = max(ahead.next_attempt_at, now + BLOCKED_RECHECK)
        if ahead.locked_until is not None:
            until = max(until, ahead.locked_until)
        if ahead.id in taken:
            until = max(until, now + timedelta(seconds=lease_seconds))
        later.append({"b_id": row.id, "b_at": until})
    if later:
        db.session.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == bindparam("b_id"))
            .values(next_attempt_at=bindparam("b_at")),
            later,
        )
    return chosen


# PostgreSQL: for each (participant, link), one probe of ix_score_outbox_key (every column an
# equality, then the first id): a nested loop by construction (LATERAL), whatever the planner
# believes of the table's size or of how many rows wait.
_FIRST_WAITING_PG = (
    text(
        "SELECT k.user_id, k.link_id, f.id, f.next_attempt_at, f.locked_until "
        "FROM unnest(CAST(:users AS integer[]), CAST(:links AS integer[])) "
        "AS k(user_id, link_id) CROSS JOIN LATERAL ("
        "SELECT o.id, o.next_attempt_at, o.locked_until FROM score_outbox o "
        "WHERE o.user_id = k.user_id AND o.resource_link_id = k.link_id "
        "AND o.status = 'pending' ORDER BY o.id LIMIT 1) AS f"  # PENDING
    )
    .columns(
        column("user_id", Integer),
        column("link_id", Integer),
        column("id", Integer),
        column("next_attempt_at", UtcDateTime()),
        column("locked_until", UtcDateTime()),
    )
    .subquery("first_waiting")
)


def _first_waiting(keys: set[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    """The oldest waiting score of each (participant, link): its id, due time and lease."""
    if db.session.get_bind().dialect.name == "postgresql":
        ordered = sorted(keys)
        rows = db.session.execute(
            select(_FIRST_WAITING_PG),
            {"users": [k[0] for k in ordered], "links": [k[1] for k in ordered]},
        ).all()
        return {(row.user_id, row.link_id): row for row in rows}
    # SQLite has no statistics to miss: its planner takes ix_score_outbox_key for this.
    first: dict[tuple[int, int], Any] = {}
    for row in db.session.execute(
        select(
            OUTBOX.c.id,
            OUTBOX.c.user_id,
            OUTBOX.c.resource_link_id,
            OUTBOX.c.next_attempt_at,
            OUTBOX.c.locked_until,
        ).where(WAITING, OUTBOX.c.user_id.in_(bindparam("users", expanding=True))),
        {"users": list({user for user, _link in keys})},
    ):
        key = (row.user_id, row.resource_link_id)
        if key in keys and (key not in first or row.id < first[key].id):
            first[key] = row
    return first


def claim(batch_size: int | None = None) -> list[int]:
    """Lease a batch of due scores; their ids, oldest first."""
    return claim_batch(batch_size)[1]


def _release(score_ids: list[int], token: str) -> None:
    """Give back scores this worker could not get to within its time budget."""
    if not score_ids:
        return
    db.session.execute(
        OUTBOX.update()
        .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)), OUTBOX.c.claim == token)
        .values(locked_until=None, claim=None),
        {"ids": score_ids},
    )


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Exponential back-off with jitter, capped; the LMS's Retry-After wins when longer."""
    config = _settings()
    delay = min(config.backoff_max_seconds, config.backoff_base_seconds * 2 ** (attempts - 1))
    delay = random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not cryptography
    return max(delay, retry_after or 0.0)


# ---------------------------------------------------------------- what a round sends
@dataclass(frozen=True)
class _Link:
    """What sending needs of a resource link (plain data: threads never touch the session)."""

    id: int
    scopes: tuple[str, ...]
    lineitem_url: str | None
    lineitems_url: str | None
    resource_link_id: str
    label: str
    target: str


@dataclass(frozen=True)
class _Job:
    score_id: int
    user_id: int
    platform_id: int
    link: _Link
    attempts: int
    next_attempt_at: datetime
    last_error: str
    message: ags.ScoreMessage
    refused: str | None = None  # why it must not be sent at all (parked at once)
    recomputed: bool = False  # her progress gave another value than the row held


@dataclass(frozen=True)
class _Answer:
    kind: str  # "ok" | "409" | "retry" | "giveup" | RELEASED | FAILED
    error: str = ""
    retry_after: float | None = None


@dataclass
class _Sender:
    """One platform's client (session, connections, token) and threads, kept across rounds."""

    client: ags.LmsClient
    pool: ThreadPoolExecutor
    threads: int
    signature: tuple[Any, ...]
    born: float
    used: float


_senders_lock = threading.Lock()


def _sender(app: Flask, platform: Platform) -> _Sender:
    """The platform's sender in this app, made anew when the platform or settings changed."""
    concurrency = _settings().concurrency_per_platform
    timeout = settings().lti.http_timeout_seconds
    signature = (
        platform.issuer,
        platform.client_id,
        platform.auth_token_url,
        platform.auth_audience,
        timeout,
        concurrency,
    )
    now = time.monotonic()
    with _senders_lock:
        senders: dict[int, _Sender] = app.extensions.setdefault("senda_grade_senders", {})
        for platform_id, old in list(senders.items()):
            stale = now - old.used > SENDER_IDLE_SECONDS or now - old.born > SENDER_MAX_AGE_SECONDS
            if stale or (platform_id == platform.id and old.signature != signature):
                old.pool.shutdown(wait=False)  # its threads end when their work does
                del senders[platform_id]
        found = senders.get(platform.id)
        if found is None:
            found = _Sender(
                ags.LmsClient(platform, timeout, connections=concurrency),
                ThreadPoolExecutor(concurrency, thread_name_prefix=f"senda-lms-{platform.id}"),
                concurrency,
                signature,
                now,
                now,
            )
            senders[platform.id] = found
        found.used = now
        return found


def _prepare(
    app: Flask, token: str, ids: list[int] | None, renew: bool = False
) -> tuple[list[_Job], dict[int, _Sender]]:
    """Everything the claimed scores need, read in a few queries; ends the read transaction
    (no transaction stays open while the LMS answers). The value sent is recomputed from her
    committed progress now, not taken as it was queued."""
    mine = [ScoreOutbox.claim == token, ScoreOutbox.status == PENDING]
    if ids is not None:
        mine.append(ScoreOutbox.id.in_(ids))
    if renew:  # a single score sent outside a round: hold its lease while it is sent
        db.session.execute(
            update(ScoreOutbox)
            .where(*mine)
            .values(locked_until=utcnow() + timedelta(seconds=_settings().lease_seconds))
        )
    rows = db.session.execute(
        select(
            ScoreOutbox.id,
            ScoreOutbox.user_id,
            ScoreOutbox.platform_id,
            ScoreOutbox.resource_link_id,
            ScoreOutbox.score_given,
            ScoreOutbox.score_maximum,
            ScoreOutbox.activity_progress,
            ScoreOutbox.grading_progress,
            ScoreOutbox.comment,
            ScoreOutbox.event_at,
            ScoreOutbox.attempts,
            ScoreOutbox.next_attempt_at,
            ScoreOutbox.last_error,
            LtiUser.sub,
        )
        .join(LtiUser, LtiUser.id == ScoreOutbox.user_id)
        .where(*mine)
    ).all()
    rows = sorted(rows, key=lambda r: (r.next_attempt_at, r.id))  # sent in due order
    if not rows:
        db.session.commit()
        return [], {}
    links = {
        link.id: link
        for link in db.session.scalars(
            select(ResourceLink).where(ResourceLink.id.in_({r.resource_link_id for r in rows}))
        )
    }
    platforms = list(
        db.session.scalars(select(Platform).where(Platform.id.in_({r.platform_id for r in rows})))
    )
    senders = {platform.id: _sender(app, platform) for platform in platforms}
    hosts = {platform.id: registry.platform_hosts(platform.id) for platform in platforms}
    fresh = grades.fresh_scores([(r.user_id, links[r.resource_link_id]) for r in rows])
    plain = {
        link.id: _Link(
            id=link.id,
            scopes=tuple(sorted(set(link.ags_scopes.split()))),
            lineitem_url=link.lineitem_url,
            lineitems_url=link.lineitems_url,
            resource_link_id=link.resource_link_id,
            label=link.title or "Senda",
            target=link.target,
        )
        for link in links.values()
    }
    refusals: dict[tuple[int, int], str | None] = {}
    for platform_id, link_id in {(r.platform_id, r.resource_link_id) for r in rows}:
        link = plain[link_id]
        refusal = None
        if any(
            url and not http.on_hosts(url, hosts[platform_id])
            for url in (link.lineitem_url, link.lineitems_url)
        ):
            refusal = "the service URL is not on the platform's hosts"
        elif not link.lineitem_url and not link.lineitems_url:
            refusal = "the link has no line item and the LMS offers no line-items service"
        refusals[(platform_id, link_id)] = refusal
    jobs = []
    for r in rows:
        link = plain[r.resource_link_id]
        given, maximum, progress, comment = (
            r.score_given,
            r.score_maximum,
            r.activity_progress,
            r.comment,
        )
        now = fresh[(r.user_id, link.id)]
        recomputed = now is not None and (now.given, now.maximum, now.activity_progress) != (
            given,
            maximum,
            progress,
        )
        if recomputed:
            assert now is not None
            given, maximum, progress = now.given, now.maximum, now.activity_progress
            comment = now.comment()
        jobs.append(
            _Job(
                score_id=r.id,
                user_id=r.user_id,
                platform_id=r.platform_id,
                link=link,
                attempts=r.attempts,
                next_attempt_at=r.next_attempt_at,
                last_error=r.last_error,
                message=ags.ScoreMessage(
                    user_id=r.sub,
                    given=given,
                    maximum=maximum,
                    activity_progress=progress,
                    grading_progress=r.grading_progress,
                    timestamp=r.event_at,
                    comment=comment,
                ),
                refused=refusals[(r.platform_id, r.resource_link_id)],
                recomputed=recomputed,
            )
        )
    db.session.commit()  # end the read transaction before talking to the LMS
    return jobs, senders


# ------------------------------------------------------------------------------------ send
class _LineItems:
    """Line items found or created in one round: one request per link, however many of its
    scores go out at once (several would create several gradebook columns)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._per_link: dict[int, threading.Lock] = {}
        self.found: dict[int, str] = {}
        self._failed: dict[int, Exception] = {}

    def url(self, client: ags.LmsClient, link: _Link, maximum: float) -> str:
        if link.lineitem_url:
            return link.lineitem_url
        assert link.lineitems_url is not None  # a link with neither is refused before sending
        with self._lock:
            lock = self._per_link.setdefault(link.id, threading.Lock())
        with lock:
            if link.id in self.found:
                return self.found[link.id]
            if link.id in self._failed:
                raise self._failed[link.id]
            try:
                url = client.find_or_create_lineitem(
                    list(link.scopes),
                    link.lineitems_url,
                    link.resource_link_id,
                    link.label,
                    maximum,
                    link.target,
                )
            except (ags.Retry, ags.GiveUp) as exc:
                self._failed[link.id] = exc
                raise
            self.found[link.id] = url
            return url


def _send(client: ags.LmsClient, job: _Job, items: _LineItems) -> _Answer:
    """Send one score and sort out the LMS's answer (in an app context: settings, the SSRF guard
    and the token cache need one)."""
    try:
        url = items.url(client, job.link, job.message.maximum)
        client.post_score(list(job.link.scopes), url, job.message)
    except ags.AlreadyApplied:
        return _Answer("409")
    except ags.Retry as exc:
        return _Answer("retry", str(exc), exc.retry_after)
    except ags.GiveUp as exc:
        return _Answer("giveup", str(exc))
    return _Answer("ok")


def _send_in_pool(client: ags.LmsClient, job: _Job, items: _LineItems, deadline: float) -> _Answer:
    if time.monotonic() > deadline:
        return _Answer(RELEASED)
    try:
        return _send(client, job, items)
    except Exception:  # one broken row must not stop the others; its lease expires
        log.exception("delivery of score %s failed", job.score_id)
        return _Answer(FAILED)


def _drain(
    app: Flask,
    client: ags.LmsClient,
    work: _Round,
    queue: deque[int],
    deadline: float,
) -> None:
    """Send a platform's scores of a round, taking the next from `queue` until none is left (a
    pool thread; the pool runs as many of these as it has threads). One app context and one task
    for many scores: a task and a context per score cost more CPU than a score's own work."""
    with app.app_context():
        while True:
            try:
                index = queue.popleft()
            except IndexError:
                return
            work.answers[index] = _send_in_pool(client, work.jobs[index], work.items, deadline)


# ---------------------------------------------------------------------------------- record
def _record(
    token: str, answers: list[tuple[_Job, _Answer]], items: _LineItems
) -> tuple[RoundResult, dict[int, str]]:
    """Write every answer of a round in one transaction: what was sent is what the row
    records; failures count an attempt and wait their back-off, or are parked."""
    config = _settings()
    now = utcnow()
    result = RoundResult()
    statuses: dict[int, str] = {}
    rows: list[dict[str, Any]] = []  # rows whose new state is their own
    delivered: list[int] = []  # delivered as they were queued: one statement for all
    released: list[int] = []
    # Newer scores of the same (participant, link) follow: due now, or when it is retried.
    follow_now: list[tuple[int, int]] = []
    follow_later: list[dict[str, Any]] = []
    forget_lineitem: set[int] = set()
    for job, answer in answers:
        if answer.kind == FAILED:
            statuses[job.score_id] = FAILED
            continue
        if answer.kind == RELEASED:
            released.append(job.score_id)
            statuses[job.score_id] = RELEASED
            follow_now.append((job.user_id, job.link.id))
            continue
        status, attempts, error = DELIVERED, job.attempts, job.last_error
        next_at = job.next_attempt_at
        if answer.kind == "409":
            error = "409: the LMS already had this score"
        elif answer.kind == "retry":
            attempts += 1
            error = answer.error[:500]
            if attempts >= config.max_attempts:
                status = PARKED
            else:
                status = PENDING
                next_at = now + timedelta(seconds=backoff(attempts, answer.retry_after))
        elif answer.kind == "giveup":
            attempts += 1
            error = answer.error[:500]
            status = PARKED
            if answer.error.startswith("HTTP 404") and job.link.lineitems_url and attempts < 2:
                # The line item we found earlier was deleted: find or create it again, once.
                forget_lineitem.add(job.link.id)
                status = PENDING
                next_at = now
        if status != DELIVERED:
            log.info("score %s %s after %s attempt(s)", job.score_id, status, attempts)
        statuses[job.score_id] = status
        result.delivered += status == DELIVERED
        result.retried += status == PENDING
        result.parked += status == PARKED
        if status == PENDING:
            follow_later.append(
                {"b_user": job.user_id, "b_link": job.link.id, "b_after": job.score_id,
                 "b_at": next_at}
            )  # fmt: skip
        else:
            follow_now.append((job.user_id, job.link.id))
        if answer.kind == "ok" and not job.recomputed:
            delivered.append(job.score_id)
            continue
        message = job.message  # what was sent is what the row records
        rows.append(
            {
                "b_id": job.score_id,
                "b_claim": token,
                "b_given": message.given,
                "b_maximum": message.maximum,
                "b_progress": message.activity_progress,
                "b_comment": message.comment,
                "b_status": status,
                "b_attempts": attempts,
                "b_error": error,
                "b_next": next_at,
                "b_delivered": now if status == DELIVERED else None,
            }
        )
    if delivered:
        db.session.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)), OUTBOX.c.claim == token)
            .values(status=DELIVERED, delivered_at=now, locked_until=None, claim=None),
            {"ids": delivered},
        )
    if rows:
        db.session.execute(
            OUTBOX.update()
            .where(OUTBOX.c.id == bindparam("b_id"), OUTBOX.c.claim == bindparam("b_claim"))
            .values(
                score_given=bindparam("b_given"),
                score_maximum=bindparam("b_maximum"),
                activity_progress=bindparam("b_progress"),
                comment=bindparam("b_comment"),
                status=bindparam("b_status"),
                attempts=bindparam("b_attempts"),
                last_error=bindparam("b_error"),
                next_attempt_at=bindparam("b_next"),
                delivered_at=bindparam("b_delivered"),
                locked_until=None,
                claim=None,
            ),
            rows,
        )
    _release(released, token)
    if follow_now:
        # The rows just recorded were the oldest waiting of their key: every waiting row of the
        # key is newer. (Released rows are waiting too: due now as well.)
        db.session.execute(
            OUTBOX.update()
            .where(
                WAITING,
                tuple_(OUTBOX.c.user_id, OUTBOX.c.resource_link_id).in_(
                    bindparam("keys", expanding=True)
                ),
                OUTBOX.c.claim.is_(None),
                OUTBOX.c.next_attempt_at > now,
            )
            .values(next_attempt_at=now),
            {"keys": follow_now},
        )
    if follow_later:
        db.session.execute(
            OUTBOX.update()
            .where(
                OUTBOX.c.user_id == bindparam("b_user"),
                OUTBOX.c.resource_link_id == bindparam("b_link"),
                OUTBOX.c.status == PENDING,
                OUTBOX.c.id > bindparam("b_after"),
                OUTBOX.c.claim.is_(None),
            )
            .values(next_attempt_at=bindparam("b_at")),
            follow_later,
        )
    for link_id, url in items.found.items():
        if link_id not in forget_lineitem:
            db.session.execute(
                update(ResourceLink).where(ResourceLink.id == link_id).values(lineitem_url=url)
            )
    for link_id in forget_lineitem:
        db.session.execute(
            update(ResourceLink).where(ResourceLink.id == link_id).values(lineitem_url=None)
        )
    db.session.commit()
    return result, statuses


# ------------------------------------------------------------------------------- a round
def _refusal(job: _Job) -> _Answer | None:
    return None if job.refused is None else _Answer("giveup", job.refused)


@dataclass
class _Round:
    """A claimed batch in flight: its scores queued in the platforms' pools, each answer in
    `answers` at its job's place once it is known."""

    token: str
    items: _LineItems
    jobs: list[_Job]
    answers: list[_Answer | None]
    drains: list[Future[None]]


def _start_round(app: Flask, batch_size: int | None) -> _Round | None:
    """Claim a batch, read what it sends (one transaction) and queue it; None if none is due."""
    deadline = time.monotonic() + _settings().lease_seconds * LEASE_SHARE
    token = _claim(batch_size)
    if not token:
        db.session.commit()  # the waiting rows moved back, if any
        return None
    jobs, senders = _prepare(app, token, None)
    work = _Round(token, _LineItems(), jobs, [None] * len(jobs), [])
    queues: dict[int, deque[int]] = {}  # by platform: the places of its jobs, in due order
    for index, job in enumerate(jobs):
        work.answers[index] = _refusal(job)
        if work.answers[index] is None:
            queues.setdefault(job.platform_id, deque()).append(index)
    for platform_id, queue in queues.items():
        sender = senders[platform_id]
        work.drains.extend(
            sender.pool.submit(_drain, app, sender.client, work, queue, deadline)
            for _ in range(min(len(queue), sender.threads))
        )
    return work


def _finish_round(work: _Round) -> RoundResult:
    """Wait for a round's answers and record them."""
    for drain in work.drains:
        drain.result()
    answers = []
    for job, answer in zip(work.jobs, work.answers, strict=True):
        assert answer is not None  # every queue was drained
        answers.append((job, answer))
    result, _statuses = _record(work.token, answers, work.items)
    result.claimed = len(work.jobs)
    return result


class Deliverer:
    """What `outbox work` runs: rounds one after the other, with the next round already
    claimed and queued while the current one is answered (`depth` rounds in flight), so a
    platform's pool never idles between rounds. Scores of one (participant, link) still go one
    at a time: a newer one is not claimable while an older one is in flight."""

    def __init__(self, depth: int = 2) -> None:
        self.depth = depth
        self._rounds: deque[_Round] = deque()

    def step(self, batch_size: int | None = None) -> RoundResult:
        """Top up the rounds in flight, then finish the oldest; its result (claimed = 0 when
        nothing was due and nothing was in flight)."""
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        while len(self._rounds) < self.depth:
            started = _start_round(app, batch_size)
            if started is None:
                break
            self._rounds.append(started)
        if not self._rounds:
            return RoundResult()
        return _finish_round(self._rounds.popleft())

    def close(self) -> RoundResult:
        """Finish the rounds in flight (when the worker stops)."""
        total = RoundResult()
        while self._rounds:
            _add(total, _finish_round(self._rounds.popleft()))
        return total


def _add(total: RoundResult, part: RoundResult) -> None:
    for name in ("claimed", "delivered", "retried", "parked"):
        setattr(total, name, getattr(total, name) + getattr(part, name))


def run_once(batch_size: int | None = None) -> RoundResult:
    """Claim a batch and deliver it: every platform's scores through its own pool, the
    answers recorded together."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    started = _start_round(app, batch_size)
    return RoundResult() if started is None else _finish_round(started)


def deliver(
    score_id: int,
    after_send: Callable[[], None] | None = None,
    token: str | None = None,
) -> str:
    """Send one claimed score now, in this thread; returns its new status ("gone" when it is
    not this claim's any more). `token` is the claim (by default the row's); `after_send` lets
    tests crash the worker between the LMS's answer and the commit."""
    claim_token = token or db.session.scalar(
        select(ScoreOutbox.claim).where(ScoreOutbox.id == score_id)
    )
    if not claim_token:
        db.session.rollback()
        return "gone"
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs, senders = _prepare(app, claim_token, [score_id], renew=True)
    if not jobs:
        return "gone"
    [job] = jobs
    items = _LineItems()
    with app.app_context():  # as in a pool thread: a context of its own
        answer = _refusal(job) or _send(senders[job.platform_id].client, job, items)
    if after_send is not None:
        after_send()
    _result, statuses = _record(claim_token, [(job, answer)], items)
    return statuses[score_id]
