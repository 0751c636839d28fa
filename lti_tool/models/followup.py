"""The follow-up schedule: which survey is due for whom, and where it stands.

Not sensitive by itself (it says that she completed her pathway, which her facilitator sees
anyway); her answers and the contact she agreed to are, and live in `models/private/followup.py`.
One row per woman and survey (3 and 6 months), created when she completes her pathway.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.types import UtcDateTime, utcnow


class FollowUp(db.Model):  # type: ignore[name-defined]
    """One follow-up survey for one participant (courses/followup.py holds its rules)."""

    __tablename__ = "follow_up"
    __table_args__ = (
        UniqueConstraint("user_id", "months"),
        Index("ix_follow_up_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    # The plan she completed (kept as a snapshot: reports count by pathway and course).
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolment.id", ondelete="SET NULL"), nullable=True
    )
    context_id: Mapped[int] = mapped_column(
        ForeignKey("lms_context.id", ondelete="CASCADE"), index=True
    )
    survey_id: Mapped[str] = mapped_column(String(64))
    months: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    postponed_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    postponements: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Who typed the answers she gave on the phone (a programme team member).
    entered_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
