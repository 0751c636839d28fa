"""The optional, consented demographics and the access log of sensitive data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.encryption import Sealed
from lti_tool.models.types import UtcDateTime, utcnow


class Demographics(db.Model):  # type: ignore[name-defined]
    """Optional, consented data for the programme's reach reports. Deleted when consent is
    withdrawn; never shown to facilitators. Sealed (deterministic encryption) so that reports
    can count it in SQL. Flags are "yes", "no" or "" (prefer not to say)."""

    __tablename__ = "demographics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), unique=True)
    region: Mapped[str] = mapped_column(Sealed, default="")
    municipality: Mapped[str] = mapped_column(Sealed, default="")
    migrant: Mapped[str] = mapped_column(Sealed, default="")
    indigenous: Mapped[str] = mapped_column(Sealed, default="")
    consented_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AccessLog(db.Model):  # type: ignore[name-defined]
    """Who read or changed whose sensitive data, when, and why. Holds ids and codes only."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_subject", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    reader_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    # The person whose data it was; kept (as NULL) after she is erased.
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    what: Mapped[str] = mapped_column(String(32))  # demographics, work, export, erasure…
    action: Mapped[str] = mapped_column(String(16))  # read | write | delete
    why: Mapped[str] = mapped_column(String(64))  # the use case: "participant-privacy-page"…
