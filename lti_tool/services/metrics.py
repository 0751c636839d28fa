"""The numbers that live in the database, for the Prometheus endpoint (/metrics): the grade
outbox's depth and age, and its failures per platform. Read when Prometheus scrapes, in one
aggregate query; never on a page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from lti_tool.models import Platform, db
from lti_tool.models.outbox import PARKED, PENDING, ScoreOutbox
from lti_tool.models.types import utcnow


@dataclass(frozen=True)
class PlatformOutbox:
    """One registered platform's scores that are not getting through."""

    platform_id: int
    failing: int  # waiting after at least one failed attempt, or parked
    parked: int


@dataclass(frozen=True)
class OutboxFigures:
    waiting: int  # scores not yet delivered and not parked
    oldest_waiting_seconds: float  # how long the oldest of them has waited (0 when none)
    platforms: tuple[PlatformOutbox, ...]  # every registered platform, zeros included


def outbox_figures() -> OutboxFigures:
    """Depth, age and failures of the outbox, per registered platform, in one query (the
    `status` index keeps delivered rows out of it)."""
    pending = ScoreOutbox.status == PENDING
    parked = ScoreOutbox.status == PARKED
    rows = db.session.execute(
        select(
            Platform.id,
            func.count(case((pending, ScoreOutbox.id))),
            func.min(case((pending, ScoreOutbox.created_at))),
            func.count(case((and_(pending, ScoreOutbox.attempts > 0), ScoreOutbox.id))),
            func.count(case((parked, ScoreOutbox.id))),
        )
        .select_from(Platform)
        .outerjoin(
            ScoreOutbox,
            and_(
                ScoreOutbox.platform_id == Platform.id,
                ScoreOutbox.status.in_((PENDING, PARKED)),
            ),
        )
        .group_by(Platform.id)
        .order_by(Platform.id)
    ).all()
    now = utcnow()
    oldest = min((row[2] for row in rows if row[2] is not None), default=None)
    return OutboxFigures(
        waiting=sum(row[1] for row in rows),
        oldest_waiting_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        platforms=tuple(
            PlatformOutbox(platform_id=row[0], failing=row[3] + row[4], parked=row[4])
            for row in rows
        ),
    )
