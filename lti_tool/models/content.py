"""Imported content: each import of a changed content tree is a new, immutable version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.types import UtcDateTime, utcnow


class ContentVersion(db.Model):  # type: ignore[name-defined]
    """The compiled programme (courses/authoring/tree.py) as it was at one import."""

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Hash of every file of the tree: importing the same tree twice creates nothing new.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
