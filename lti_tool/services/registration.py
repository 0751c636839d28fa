"""Registering Senda with an LMS by LTI Dynamic Registration, authorised by one-time tokens.

An administrator of Senda creates a one-time registration URL (`flask --app lti_tool
registration token`). The LMS administrator pastes it into Moodle or Canvas; the LMS opens it with
`openid_configuration` and `registration_token`; Senda checks the platform's configuration, asks
the administrator to confirm, registers itself, and stores the platform. Without a valid, unused
token nothing is registered.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lti_tool.lti import platform_keys, registry
from lti_tool.lti.registration import (
    RegistrationRefused,
    ToolUrls,
    fetch_platform_configuration,
    platform_declaration,
    product_of,
    register_tool,
)
from lti_tool.models import RegistrationToken, db, utcnow

log = logging.getLogger(__name__)

__all__ = ["RegistrationRefused", "create_token", "list_tokens", "register", "revoke_token"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(hours: int = 24, note: str = "") -> str:
    token = secrets.token_urlsafe(24)
    db.session.add(
        RegistrationToken(
            token_hash=_hash(token), note=note, expires_at=utcnow() + timedelta(hours=hours)
        )
    )
    db.session.commit()
    return token


def list_tokens() -> list[str]:
    rows = []
    now = utcnow()
    for token in db.session.scalars(select(RegistrationToken).order_by(RegistrationToken.id)):
        if token.revoked_at:
            state = "revoked"
        elif token.used_at:
            state = f"used (platform {token.platform_id})"
        elif token.expires_at < now:
            state = "expired"
        else:
            state = f"valid until {token.expires_at:%Y-%m-%d %H:%M} UTC"
        rows.append(f"{token.id:>3}  {state}  {token.note}")
    return rows


def revoke_token(token_id: int) -> bool:
    token = db.session.get(RegistrationToken, token_id)
    if token is None:
        return False
    token.revoked_at = utcnow()
    db.session.commit()
    return True


def token_is_usable(token: str) -> bool:
    if not token:
        return False
    row = db.session.scalar(
        select(RegistrationToken).where(RegistrationToken.token_hash == _hash(token))
    )
    return not (row is None or row.used_at or row.revoked_at or row.expires_at < utcnow())


@dataclass(frozen=True)
class PlatformToConfirm:
    issuer: str
    product: str


def preview(config_url: str, registration_token: str) -> PlatformToConfirm:
    """The platform the administrator is about to register (nothing is stored)."""
    config = fetch_platform_configuration(config_url, registration_token)
    return PlatformToConfirm(issuer=config["issuer"], product=product_of(config))


def register(token: str, config_url: str, registration_token: str, tool: ToolUrls) -> int:
    """Register Senda with the platform and store it; returns the new platform's id."""
    # Claiming the token locks its row until the commit below: a second use waits, then fails.
    claimed = db.session.execute(
        update(RegistrationToken)
        .where(
            RegistrationToken.token_hash == _hash(token),
            RegistrationToken.used_at.is_(None),
            RegistrationToken.revoked_at.is_(None),
            RegistrationToken.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise RegistrationRefused(_l("This registration link is not valid or was already used."))
    try:
        config: dict[str, Any] = fetch_platform_configuration(config_url, registration_token)
        client = register_tool(config, tool, registration_token)
        platform = registry.upsert_platform(platform_declaration(config, client), source="dynamic")
        row = db.session.scalar(
            select(RegistrationToken).where(RegistrationToken.token_hash == _hash(token))
        )
        assert row is not None
        row.platform_id = platform.id
        db.session.commit()
    except RegistrationRefused:
        db.session.rollback()
        raise
    try:  # fetch the platform's keys now, so the first launch need not
        platform_keys.fetch_and_store(platform.id, platform.key_set_url)
    except platform_keys.KeySetUnavailable:
        log.info("platform %s key set not fetched at registration", platform.id)
    return platform.id
