"""LTI Dynamic Registration 1.0 (https://www.imsglobal.org/spec/lti-dr/v1p0).

An administrator of Senda creates a one-time registration URL (`flask --app lti_tool
registration token`). The LMS administrator pastes it into Moodle (Site administration → Plugins →
External tool → Manage tools → "Tool URL…" → Add LTI Advantage) or Canvas (Developer Keys →
LTI Registration). The LMS opens it with `openid_configuration` and `registration_token`; Senda
fetches the platform's configuration, checks it, asks the administrator to confirm, registers
itself at the platform's `registration_endpoint`, stores the platform, and tells the LMS window to
close (`org.imsglobal.lti.close`). Without a valid, unused token nothing is registered.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Blueprint, current_app, render_template, request, url_for
from sqlalchemy import select, update

from lti_tool.extensions import csrf, db
from lti_tool.lti import http, platform_keys, registry
from lti_tool.models import RegistrationToken, utcnow

log = logging.getLogger(__name__)
bp = Blueprint("registration", __name__, url_prefix="/lti")

LTI_PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
LTI_TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)


class RegistrationRefused(Exception):
    """Shown to the administrator; nothing was registered."""


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


def _usable_token(token: str) -> RegistrationToken | None:
    row = db.session.scalar(
        select(RegistrationToken).where(RegistrationToken.token_hash == _hash(token))
    )
    if row is None or row.used_at or row.revoked_at or row.expires_at < utcnow():
        return None
    return row


def fetch_platform_configuration(url: str, registration_token: str) -> dict[str, Any]:
    """GET the platform's OpenID configuration and check that it speaks for its own URL."""
    try:
        http.check_url(url)
        headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
        config = http.get_json(url, headers=headers)
    except http.UnsafeUrl as exc:
        raise RegistrationRefused("The configuration URL is not a public https address.") from exc
    except (requests.RequestException, ValueError) as exc:
        raise RegistrationRefused("The LMS's configuration could not be read.") from exc
    if not isinstance(config, dict):
        raise RegistrationRefused("The LMS's configuration is not a JSON object.")
    issuer = config.get("issuer")
    # DR §3.5.1: the configuration URL must start with the issuer, so a platform cannot claim
    # to be another one.
    if not isinstance(issuer, str) or not url.startswith(issuer.rstrip("/")):
        raise RegistrationRefused("The issuer does not match the configuration's address.")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        value = config.get(field)
        if not isinstance(value, str):
            raise RegistrationRefused(f"The LMS's configuration has no {field}.")
        try:
            http.check_url(value)
        except http.UnsafeUrl as exc:
            raise RegistrationRefused(f"The LMS's {field} is not a public https address.") from exc
    return config


def _base_url() -> str:
    public_url = current_app.config["SENDA"]["public_url"]
    return (public_url or request.host_url).rstrip("/")


def tool_registration_document(config: dict[str, Any]) -> dict[str, Any]:
    """What Senda asks the platform for (DR §3.6). Names but not emails: data minimisation."""
    base = _base_url()
    name = current_app.config["SENDA"]["lti"]["tool_name"]
    launch = base + url_for("lti.launch")
    supported = set(config.get("scopes_supported") or SCOPES)
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": base + url_for("lti.login"),
        "redirect_uris": [launch],
        "client_name": name,
        "jwks_uri": base + url_for("lti.jwks"),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(s for s in SCOPES if s in supported),
        LTI_TOOL_CONFIG: {
            "domain": urlsplit(base).netloc,
            "target_link_uri": launch,
            "description": "Entrepreneurship and employment pathways for women",
            "claims": ["iss", "sub", "name", "given_name", "family_name", "locale"],
            "messages": [
                {"type": "LtiDeepLinkingRequest", "target_link_uri": launch, "label": name},
                {"type": "LtiResourceLinkRequest", "target_link_uri": launch, "label": name},
            ],
        },
    }


def register(token: str, config_url: str, registration_token: str) -> int:
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
        raise RegistrationRefused("This registration link is not valid or was already used.")
    try:
        config = fetch_platform_configuration(config_url, registration_token)
        headers = {"Content-Type": "application/json"}
        if registration_token:
            headers["Authorization"] = f"Bearer {registration_token}"
        response = http.session().post(
            config["registration_endpoint"],
            json=tool_registration_document(config),
            headers=headers,
            timeout=http.timeout(),
            allow_redirects=False,
        )
        if response.status_code not in (200, 201):
            raise RegistrationRefused(
                f"The LMS refused the registration (HTTP {response.status_code})."
            )
        answer = response.json()
        client_id = answer.get("client_id")
        if not isinstance(client_id, str) or not client_id:
            raise RegistrationRefused("The LMS did not return a client ID.")
        tool_config = answer.get(LTI_TOOL_CONFIG) or {}
        platform_config = config.get(LTI_PLATFORM_CONFIG) or {}
        deployment_id = tool_config.get("deployment_id")
        platform = registry.upsert_platform(
            {
                "issuer": config["issuer"],
                "client_id": client_id,
                "name": platform_config.get("product_family_code", "") or config["issuer"],
                "auth_login_url": config["authorization_endpoint"],
                "auth_token_url": config["token_endpoint"],
                "auth_audience": config.get("authorization_server"),
                "key_set_url": config["jwks_uri"],
                "product": platform_config.get("product_family_code", ""),
                "deployment_ids": [str(deployment_id)] if deployment_id else [],
            },
            source="dynamic",
        )
        row = db.session.scalar(
            select(RegistrationToken).where(RegistrationToken.token_hash == _hash(token))
        )
        assert row is not None
        row.platform_id = platform.id
        db.session.commit()
    except (RegistrationRefused, requests.RequestException, ValueError):
        db.session.rollback()
        raise
    try:  # fetch the platform's keys now, so the first launch need not
        platform_keys.fetch_and_store(platform.id, platform.key_set_url)
    except platform_keys.KeySetUnavailable:
        log.info("platform %s key set not fetched at registration", platform.id)
    return platform.id


@bp.get("/register")
def start() -> tuple[str, int] | str:
    """Opened by the LMS with our token, `openid_configuration` and `registration_token`."""
    token = request.args.get("token", "")
    config_url = request.args.get("openid_configuration", "")
    registration_token = request.args.get("registration_token", "")
    if not token or _usable_token(token) is None:
        return render_template("lti/register.html", error="token"), 403
    if not config_url:
        return render_template("lti/register.html", error="no_configuration"), 400
    try:
        config = fetch_platform_configuration(config_url, registration_token)
    except RegistrationRefused as exc:
        return render_template("lti/register.html", error="refused", detail=str(exc)), 400
    return render_template(
        "lti/register.html",
        issuer=config["issuer"],
        product=(config.get(LTI_PLATFORM_CONFIG) or {}).get("product_family_code", ""),
        token=token,
        config_url=config_url,
        registration_token=registration_token,
    )


@bp.post("/register")
@csrf.exempt  # the one-time token is the credential; the LMS frame may not keep our cookies
def finish() -> tuple[str, int] | str:
    """The administrator confirmed: register, then ask the LMS to close this window."""
    try:
        platform_id = register(
            request.form.get("token", ""),
            request.form.get("openid_configuration", ""),
            request.form.get("registration_token", ""),
        )
    except RegistrationRefused as exc:
        return render_template("lti/register.html", error="refused", detail=str(exc)), 400
    log.info("platform %s registered dynamically", platform_id)
    return render_template("lti/register.html", done=True)
