"""The opportunities board: offers and calls posted by the programme team and tutors, and the
offers a tutor points to a woman of her caseload."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.types import UtcDateTime, utcnow


class Opportunity(db.Model):  # type: ignore[name-defined]
    """A job offer, a fair, or a funding or seed-capital call (courses/opportunities.py KINDS),
    for one region or the whole country, one pathway or both. It leaves the board by itself
    after its closing day; a poster may also withdraw it."""

    __tablename__ = "opportunity"
    __table_args__ = (Index("ix_opportunity_board", "programme_id", "closes_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pathway: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closes_on: Mapped[date] = mapped_column(Date)
    url: Mapped[str] = mapped_column(String(1024))
    posted_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class OpportunityPointer(db.Model):  # type: ignore[name-defined]
    """A tutor points an offer to a woman of her caseload; she sees it on her plan."""

    __tablename__ = "opportunity_pointer"
    __table_args__ = (UniqueConstraint("opportunity_id", "participant_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunity.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("lti_user.id", ondelete="CASCADE"), index=True
    )
    tutor_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
