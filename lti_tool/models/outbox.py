"""The durable grade outbox: scores waiting to reach the LMS gradebook."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.types import UtcDateTime, utcnow

PENDING = "pending"
DELIVERED = "delivered"
PARKED = "parked"


class ScoreOutbox(db.Model):  # type: ignore[name-defined]
    """One score for one (participant, resource link), written in the same transaction as the
    progress that caused it, and delivered later by a worker (lti_tool/grades/worker.py).

    Scores carry the full current value and the time of the event, so sending one twice is
    harmless and an older one never overwrites a newer one in the LMS. While a score waits, a
    newer change for the same (participant, link) updates it instead of queueing another
    (`pending_key` is unique while the row waits and cleared when a worker claims it).
    """

    __tablename__ = "score_outbox"
    __table_args__ = (
        Index("ix_score_outbox_due", "status", "next_attempt_at"),
        # The worker's "is an older score of this participant and link still waiting?" check.
        Index("ix_score_outbox_key", "user_id", "resource_link_id", "status", "id"),
        # The claim: waiting rows only, in the order they fall due. Its plan is a walk down this
        # index that stops after `batch_size` rows, whatever the statistics say (a fresh table
        # is never analysed before its first claims).
        Index(
            "ix_score_outbox_waiting",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    resource_link_id: Mapped[int] = mapped_column(
        ForeignKey("resource_link.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    pending_key: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    activity_progress: Mapped[str] = mapped_column(String(16))
    grading_progress: Mapped[str] = mapped_column(String(16), default="FullyGraded")
    comment: Mapped[str] = mapped_column(Text, default="")
    # When the progress happened: the score's timestamp. Strictly increasing per key.
    event_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Which worker's claim holds the row (set with locked_until).
    claim: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AccessToken(db.Model):  # type: ignore[name-defined]
    """An LMS access token, reused by every worker until shortly before it expires."""

    __tablename__ = "access_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    scope_key: Mapped[str] = mapped_column(String(64), unique=True)
    token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
