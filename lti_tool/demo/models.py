"""The demo LMS's own tables: its signing key, the links in its one course, and its gradebook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.types import UtcDateTime, utcnow


class DemoKey(db.Model):  # type: ignore[name-defined]
    __tablename__ = "demo_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DemoLink(db.Model):  # type: ignore[name-defined]
    """An activity in the demo course that launches Senda (as Moodle's "External tool")."""

    __tablename__ = "demo_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    custom: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lineitem_id: Mapped[int | None] = mapped_column(ForeignKey("demo_lineitem.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DemoLineItem(db.Model):  # type: ignore[name-defined]
    """A gradebook column."""

    __tablename__ = "demo_lineitem"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(255))
    score_maximum: Mapped[float] = mapped_column(Float, default=100)
    resource_id: Mapped[str] = mapped_column(String(255), default="")
    tag: Mapped[str] = mapped_column(String(255), default="")
    resource_link_id: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DemoScore(db.Model):  # type: ignore[name-defined]
    """Every score the tool posted, as received."""

    __tablename__ = "demo_score"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lineitem_id: Mapped[int] = mapped_column(ForeignKey("demo_lineitem.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    score_given: Mapped[float | None] = mapped_column(Float, nullable=True)
    score_maximum: Mapped[float | None] = mapped_column(Float, nullable=True)
    activity_progress: Mapped[str] = mapped_column(String(32), default="")
    grading_progress: Mapped[str] = mapped_column(String(32), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    timestamp: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
