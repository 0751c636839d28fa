"""The programme above the LMS courses: platforms, courses and cohorts belong to one, and the
roles LTI cannot express are granted in it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.types import UtcDateTime, utcnow

# The programme every installation starts with (created by the migrations).
DEFAULT_PROGRAMME_ID = 1


class Programme(db.Model):  # type: ignore[name-defined]
    """A programme run by one team (one per installation by default; regional foundations may
    run their own on the same Senda)."""

    __tablename__ = "programme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Cohort(db.Model):  # type: ignore[name-defined]
    """Women who start together: the LMS courses of one intake, or a school's cohort."""

    __tablename__ = "cohort"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Grant(db.Model):  # type: ignore[name-defined]
    """A programme role given to a person by the programme team (or, for the first member of the
    team, from the command line), optionally limited to one region. Revoked, never deleted: who
    had access when is part of the record."""

    __tablename__ = "programme_grant"
    __table_args__ = (Index("ix_programme_grant_user", "user_id", "programme_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    granted_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
