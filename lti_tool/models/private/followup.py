"""Her follow-up answers and the contact she agreed to be reached at: sensitive, encrypted.

A single-choice answer is Sealed (deterministic) so that reports count options in SQL without
decrypting a row; the open answer and the contact are Encrypted (random IV).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.encryption import Encrypted, Sealed
from lti_tool.models.types import UtcDateTime, utcnow


class FollowUpAnswer(db.Model):  # type: ignore[name-defined]
    """One answer to one question of one follow-up survey."""

    __tablename__ = "follow_up_answer"
    __table_args__ = (
        UniqueConstraint("follow_up_id", "question_id"),
        Index("ix_follow_up_answer_outcome", "outcome", "follow_up_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_up.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(64))
    # What the question measures (courses.programme_data.OUTCOMES), for single-choice answers.
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    choice: Mapped[str | None] = mapped_column(Sealed, nullable=True)
    text: Mapped[str | None] = mapped_column(Encrypted, nullable=True)


class FollowUpContact(db.Model):  # type: ignore[name-defined]
    """How she agreed to be contacted about her follow-up surveys if she no longer opens the
    LMS. Only with her consent; she can change or delete it at any time."""

    __tablename__ = "follow_up_contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), unique=True)
    channel: Mapped[str] = mapped_column(String(16))  # phone | whatsapp | email
    value: Mapped[str] = mapped_column(Encrypted)
    consented_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
