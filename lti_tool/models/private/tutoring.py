"""The employment tutor and the women of her caseload: who accompanies whom, the dated notes she
writes (which the participant reads), and the CVs sent to her for comments. Notes, comments and
the copy of the CV she was sent are encrypted at rest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.encryption import Encrypted, EncryptedJson
from lti_tool.models.types import UtcDateTime, utcnow


class TutorAssignment(db.Model):  # type: ignore[name-defined]
    """A tutor accompanies a participant of the programme; ended, never deleted, when the
    programme team gives her another tutor (who had access when is part of the record)."""

    __tablename__ = "tutor_assignment"
    __table_args__ = (
        Index("ix_tutor_assignment_tutor", "programme_id", "tutor_id", "ended_at"),
        Index("ix_tutor_assignment_participant", "participant_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    tutor_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    assigned_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class TutorNote(db.Model):  # type: ignore[name-defined]
    """A dated note of the tutor about her work with a participant; the participant reads it."""

    __tablename__ = "tutor_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("lti_user.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    body: Mapped[str] = mapped_column(Encrypted, default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CvReview(db.Model):  # type: ignore[name-defined]
    """She sent her CV worksheet to her tutor: a copy of it as sent, and the tutor's comments."""

    __tablename__ = "cv_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("lti_user.id", ondelete="CASCADE"), index=True
    )
    tutor_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    activity_id: Mapped[str] = mapped_column(String(64))
    values: Mapped[dict[str, Any]] = mapped_column(EncryptedJson, default=dict)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    comment: Mapped[str | None] = mapped_column(Encrypted, nullable=True)
    commented_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    commented_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # How many saves changed the comments (services/revisions.py).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
