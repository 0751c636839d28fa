"""The tool's own keys, registration tokens, and short-lived one-time items (OIDC state)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.types import UtcDateTime, utcnow


class ToolKey(db.Model):  # type: ignore[name-defined]
    """An RSA key pair that signs Senda's JWTs. Rotation moves `current` to `previous`; both stay
    in the published JWKS so that tokens signed just before a rotation still verify."""

    __tablename__ = "tool_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # current | previous | retired
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RegistrationToken(db.Model):  # type: ignore[name-defined]
    """Authorises one LTI Dynamic Registration. Only a hash is stored; single use; revocable."""

    __tablename__ = "registration_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    platform_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class OneTimeItem(db.Model):  # type: ignore[name-defined]
    """A value that can be taken exactly once before it expires (OIDC state with its nonce, launch
    hand-over tickets). Used when no Redis is configured; see lti_tool/onetime.py."""

    __tablename__ = "one_time_item"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class PendingRegistration(db.Model):  # type: ignore[name-defined]
    """A dynamic registration from an LMS whose issuer Senda already knows. A registration never
    changes a platform Senda trusts: it waits here until an administrator approves it
    (`flask --app lti_tool platforms approve ID`)."""

    __tablename__ = "pending_registration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    declared: Mapped[dict[str, Any]] = mapped_column(JSON)
    token_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decision: Mapped[str] = mapped_column(String(16), default="")  # approved | rejected
