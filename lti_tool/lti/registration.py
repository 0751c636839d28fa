"""LTI Dynamic Registration 1.0, the protocol (https://www.imsglobal.org/spec/lti-dr/v1p0): read
the platform's OpenID configuration, check it, and send the tool's registration document.

The use case around it (one-time tokens, storing the platform) is
`lti_tool/services/registration.py`; the pages are `lti_tool/views/registration.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from flask_babel import lazy_gettext as _l

from lti_tool.lti import http

LTI_PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
LTI_TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
# The identity claims Senda asks for: names, never the e-mail (data minimisation).
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "locale")


class RegistrationRefused(Exception):
    """Shown to the administrator (a translated message); nothing was registered."""


@dataclass(frozen=True)
class ToolUrls:
    """Where the platform reaches Senda."""

    base: str
    login: str
    launch: str
    jwks: str
    name: str


def fetch_platform_configuration(url: str, registration_token: str) -> dict[str, Any]:
    """GET the platform's OpenID configuration and check that it speaks for its own URL."""
    try:
        http.check_url(url)
        headers = {"Authorization": f"Bearer {registration_token}"} if registration_token else {}
        config = http.get_json(url, headers=headers)
    except http.UnsafeUrl as exc:
        raise RegistrationRefused(
            _l("The configuration URL is not a public https address.")
        ) from exc
    except (requests.RequestException, ValueError) as exc:
        raise RegistrationRefused(_l("The LMS's configuration could not be read.")) from exc
    if not isinstance(config, dict):
        raise RegistrationRefused(_l("The LMS's configuration is not a JSON object."))
    issuer = config.get("issuer")
    if not isinstance(issuer, str) or not issuer_matches(issuer, url):
        raise RegistrationRefused(_l("The issuer does not match the configuration's address."))
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint"):
        value = config.get(field)
        if not isinstance(value, str):
            raise RegistrationRefused(_l("The LMS's configuration has no %(field)s.", field=field))
        try:
            http.check_url(value)
        except http.UnsafeUrl as exc:
            raise RegistrationRefused(
                _l("The LMS's %(field)s is not a public https address.", field=field)
            ) from exc
    return config


def _origin_and_path(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path) of an absolute http(s) URL without userinfo, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:  # a bad port
        return None
    if parts.scheme not in ("https", "http") or not parts.hostname or port is None:
        return None
    if parts.username is not None or parts.password is not None or "\\" in url:
        return None
    return parts.scheme, parts.hostname.lower().rstrip("."), port, parts.path


def issuer_matches(issuer: str, config_url: str) -> bool:
    """DR §3.5.1: the configuration must speak for its own address. The issuer's scheme, host and
    port must equal the configuration URL's, after parsing (so `https://lms.example@evil/` and
    `https://lms.example.evil.example` never pass), and its path, if any, must be a path prefix
    of the configuration URL's (Moodle installed under /moodle)."""
    ours, theirs = _origin_and_path(issuer), _origin_and_path(config_url)
    if ours is None or theirs is None or ours[:3] != theirs[:3]:
        return False
    prefix = ours[3].rstrip("/")
    return not prefix or theirs[3] == prefix or theirs[3].startswith(prefix + "/")


def tool_registration_document(config: dict[str, Any], tool: ToolUrls) -> dict[str, Any]:
    """What Senda asks the platform for (DR §3.6)."""
    supported = set(config.get("scopes_supported") or SCOPES)
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": tool.login,
        "redirect_uris": [tool.launch],
        "client_name": tool.name,
        "jwks_uri": tool.jwks,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(s for s in SCOPES if s in supported),
        LTI_TOOL_CONFIG: {
            "domain": urlsplit(tool.base).netloc,
            "target_link_uri": tool.launch,
            "description": "Entrepreneurship and employment pathways for women",
            "claims": list(CLAIMS),
            "messages": [
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": tool.launch,
                    "label": tool.name,
                },
                {
                    "type": "LtiResourceLinkRequest",
                    "target_link_uri": tool.launch,
                    "label": tool.name,
                },
            ],
        },
    }


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    deployment_id: str | None


def register_tool(
    config: dict[str, Any], tool: ToolUrls, registration_token: str
) -> RegisteredClient:
    """POST the registration document to the platform; its answer names our client_id."""
    headers = {"Content-Type": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    try:
        response = http.session().post(
            config["registration_endpoint"],
            json=tool_registration_document(config, tool),
            headers=headers,
            timeout=http.timeout(),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise RegistrationRefused(_l("The LMS could not be reached to register Senda.")) from exc
    if response.status_code not in (200, 201):
        raise RegistrationRefused(
            _l("The LMS refused the registration (HTTP %(status)s).", status=response.status_code)
        )
    try:
        answer = response.json()
    except ValueError as exc:
        raise RegistrationRefused(_l("The LMS's answer to the registration is not JSON.")) from exc
    client_id = answer.get("client_id") if isinstance(answer, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationRefused(_l("The LMS did not return a client ID."))
    tool_config = answer.get(LTI_TOOL_CONFIG) or {}
    deployment_id = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
    return RegisteredClient(client_id, str(deployment_id) if deployment_id else None)


def platform_declaration(config: dict[str, Any], client: RegisteredClient) -> dict[str, Any]:
    """The platform as Senda stores it, from its configuration and its answer."""
    platform_config = config.get(LTI_PLATFORM_CONFIG) or {}
    product = (
        platform_config.get("product_family_code", "") if isinstance(platform_config, dict) else ""
    )
    return {
        "issuer": config["issuer"],
        "client_id": client.client_id,
        "name": product or config["issuer"],
        "auth_login_url": config["authorization_endpoint"],
        "auth_token_url": config["token_endpoint"],
        "auth_audience": config.get("authorization_server"),
        "key_set_url": config["jwks_uri"],
        "product": product,
        "deployment_ids": [client.deployment_id] if client.deployment_id else [],
    }


def product_of(config: dict[str, Any]) -> str:
    platform_config = config.get(LTI_PLATFORM_CONFIG) or {}
    return (
        str(platform_config.get("product_family_code", ""))
        if isinstance(platform_config, dict)
        else ""
    )
