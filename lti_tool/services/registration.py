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
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lti_tool.lti import onetime, platform_keys, registry
from lti_tool.lti.registration import (
    RegistrationRefused,
    ToolUrls,
    fetch_platform_configuration,
    platform_declaration,
    product_of,
    register_tool,
)
from lti_tool.models import PendingRegistration, Platform, RegistrationToken, db, utcnow
from lti_tool.services.errors import NotFound

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


CONFIRM_PREFIX = "dr-confirm:"
CONFIRM_TTL_SECONDS = 3600
# What a used confirmation registered, so a second press says the same as the first.
DONE_PREFIX = "dr-done:"
# A confirmation whose registration is under way (the LMS has not answered yet): a second
# press waits for that answer, up to the LMS's time to answer and then some.
BUSY_PREFIX = "dr-busy:"
BUSY_SECONDS = 60
BUSY_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class PlatformToConfirm:
    issuer: str
    product: str
    confirmation: str  # a one-time value for the confirmation form (never in a URL)


def begin(token: str, config_url: str, registration_token: str) -> PlatformToConfirm:
    """The LMS opened the registration URL: the token is used up now (a second GET, a crawler
    or a leaked access log finds it dead), the configuration is checked, and the
    administrator's confirmation carries a one-time value in the form body instead."""
    token_id = _claim_token(token).id
    # Committed at once, whatever follows: the token is spent by this first request, and the
    # one-time store below writes in its own transaction.
    db.session.commit()
    config = fetch_platform_configuration(config_url, registration_token)
    confirmation = secrets.token_urlsafe(32)
    onetime.store().put(
        CONFIRM_PREFIX + _hash(confirmation),
        {
            "token_id": token_id,
            "config_url": config_url,
            "registration_token": registration_token,
        },
        CONFIRM_TTL_SECONDS,
    )
    return PlatformToConfirm(config["issuer"], product_of(config), confirmation)


def _claim_token(token: str) -> RegistrationToken:
    # One UPDATE: two requests with the same token cannot both claim it.
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
    if not token or claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.session.rollback()
        raise InvalidToken()
    row = db.session.scalar(
        select(RegistrationToken).where(RegistrationToken.token_hash == _hash(token))
    )
    assert row is not None
    return row


class InvalidToken(RegistrationRefused):
    def __init__(self) -> None:
        super().__init__(_l("This registration link is not valid or was already used."))


@dataclass(frozen=True)
class Registered:
    platform_id: int | None  # None: held for an administrator's approval
    pending_id: int | None


def register(confirmation: str, tool: ToolUrls) -> Registered:
    """The administrator confirmed: register Senda with the platform. A platform Senda does not
    know yet is stored; a registration for an issuer Senda already knows never touches the
    existing platform: it waits for an administrator (`platforms approve`). Pressed again while
    the first press still waits on the LMS, the second waits for the first's answer and says
    the same (or, if the LMS refused the first, tries again)."""
    if not confirmation:
        raise InvalidToken()
    hashed = _hash(confirmation)
    key = CONFIRM_PREFIX + hashed
    give_up_at = time.monotonic() + BUSY_SECONDS
    looks = 0
    while True:
        held = onetime.store().take(key)
        if held is not None:
            break
        done = onetime.store().peek(DONE_PREFIX + hashed)
        if done is not None:  # a double tap, or Back and Register again: the first one stands
            return Registered(done["platform_id"], done["pending_id"])
        looks += 1
        busy = onetime.store().peek(BUSY_PREFIX + hashed) is not None
        # A second look before giving up: the first press may be between taking the
        # confirmation and saying it is busy.
        if (not busy and looks > 1) or time.monotonic() > give_up_at:
            raise InvalidToken()
        time.sleep(BUSY_POLL_SECONDS)  # the first press is still waiting on the LMS
    onetime.store().put(BUSY_PREFIX + hashed, {}, BUSY_SECONDS)
    try:
        registered = _register(held, key, tool)
        onetime.store().put(
            DONE_PREFIX + hashed,
            {"platform_id": registered.platform_id, "pending_id": registered.pending_id},
            CONFIRM_TTL_SECONDS,
        )
    finally:  # after the answer is stored: a press waiting now finds it (or, refused, retries)
        onetime.store().take(BUSY_PREFIX + hashed)
    return registered


def _register(held: dict[str, Any], key: str, tool: ToolUrls) -> Registered:
    """Register with the platform the held confirmation names (see register)."""
    try:
        config: dict[str, Any] = fetch_platform_configuration(
            held["config_url"], held["registration_token"]
        )
        client = register_tool(config, tool, held["registration_token"])
    except RegistrationRefused:
        # The LMS refused or could not be reached: the administrator may press Register again.
        onetime.store().put(key, held, CONFIRM_TTL_SECONDS)
        raise
    declared = platform_declaration(config, client)
    token = db.session.get(RegistrationToken, held["token_id"])
    known = db.session.scalar(select(Platform.id).where(Platform.issuer == declared["issuer"]))
    if known is not None:
        pending = PendingRegistration(
            issuer=declared["issuer"],
            client_id=declared["client_id"],
            declared=declared,
            token_id=held["token_id"],
        )
        db.session.add(pending)
        db.session.commit()
        log.info(
            "registration held for approval",
            extra={"event": "registration", "reason": "known_issuer", "pending": pending.id},
        )
        return Registered(None, pending.id)
    platform = registry.upsert_platform(declared, source="dynamic")
    if token is not None:
        token.platform_id = platform.id
    db.session.commit()
    log.info("platform registered", extra={"event": "registration", "platform": platform.id})
    try:  # fetch the platform's keys now, so the first launch need not
        platform_keys.fetch_and_store(platform.id, platform.key_set_url)
    except platform_keys.KeySetUnavailable:
        log.info("platform %s key set not fetched at registration", platform.id)
    return Registered(platform.id, None)


def pending() -> list[PendingRegistration]:
    return list(
        db.session.scalars(
            select(PendingRegistration)
            .where(PendingRegistration.decided_at.is_(None))
            .order_by(PendingRegistration.id)
        )
    )


def decide(pending_id: int, approve: bool) -> int | None:
    """An administrator approves (the platform is created, or updated if the same issuer and
    client already exist) or rejects a held registration."""
    row = db.session.get(PendingRegistration, pending_id)
    if row is None or row.decided_at is not None:
        raise NotFound(pending_id)
    row.decided_at = utcnow()
    row.decision = "approved" if approve else "rejected"
    platform_id = None
    if approve:
        platform = registry.upsert_platform(dict(row.declared), source="dynamic")
        platform_id = platform.id
        registry.forget_cache()
    db.session.commit()
    return platform_id
