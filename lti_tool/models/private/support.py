"""Help requests: what a participant asked her programme's support team for, and the dated
messages on the way to closure. Everything she writes and every number she gives is encrypted at
rest; the needs and the region are sealed so that a report can count them without reading them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.encryption import Encrypted, EncryptedJson, Sealed
from lti_tool.models.types import UtcDateTime, utcnow


class SupportRequest(db.Model):  # type: ignore[name-defined]
    """One request for help, routed to the support leads of her programme (and of her region
    when she gave one). Status: open | in-progress | closed (courses/support.py)."""

    __tablename__ = "support_request"
    __table_args__ = (Index("ix_support_request_queue", "programme_id", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    # A region slug, or NULL (the whole programme's leads). Sealed: filtered by equality.
    region: Mapped[str | None] = mapped_column(Sealed, nullable=True)
    needs: Mapped[list[str]] = mapped_column(EncryptedJson, default=list)
    details: Mapped[str] = mapped_column(Encrypted, default="")
    contact_channel: Mapped[str] = mapped_column(Sealed, default="senda")
    # Her phone number, only for the phone and WhatsApp channels and only if she wrote one.
    contact_value: Mapped[str | None] = mapped_column(Encrypted, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The support lead who took it (set by her first answer or change of status).
    handled_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SupportMessage(db.Model):  # type: ignore[name-defined]
    """A dated entry on a request: her message, a reply to her, or an internal note of the
    support team (`for_her` false), with the status change it made, if any."""

    __tablename__ = "support_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("support_request.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    by_participant: Mapped[bool] = mapped_column(Boolean, default=False)
    for_her: Mapped[bool] = mapped_column(Boolean, default=True)
    body: Mapped[str] = mapped_column(Encrypted, default="")
    status_change: Mapped[str | None] = mapped_column(String(16), nullable=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
