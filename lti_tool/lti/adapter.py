"""Senda's adapter around pylti1p3: login and launch validation with the gaps closed.

pylti1p3 (the `pylti1p3next` distribution) gives us the OIDC login redirect, the message-type
validators, the deep-linking response and the AGS/NRPS clients. By default it accepts a replayed
launch (the nonce is never used up), takes `aud[0]` and ignores `azp`, has no clock leeway, fetches
the platform's key set on every launch, and keeps state in process memory. This module overrides
exactly those steps:

- state and nonce live in the shared one-time store and are consumed atomically (Security
  Framework §5.1.3 step 9): a replay finds nothing, on any worker;
- the nonce must be the one issued with *this* state (CVE-2022-31158);
- `aud` may be a list only with our client_id in it, and then `azp` must be our client_id
  (OpenID Connect Core §3.1.3.7);
- RS256 only, `kid` required, keys from the cached key set (`platform_keys`), re-fetched only on
  an unknown kid;
- `exp`/`iat` with a small leeway and a maximum token age;
- the deployment must be registered and match the login's `lti_deployment_id`;
- `target_link_uri` must match the login's (LTI Core §5.3.4).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from flask import g, request
from pylti1p3.contrib.flask import FlaskCookieService, FlaskMessageLaunch, FlaskOIDCLogin
from pylti1p3.contrib.flask import FlaskRequest as _FlaskRequest
from pylti1p3.deployment import Deployment as LibDeployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfAbstract

from lti_tool.lti import onetime, platform_keys, registry
from lti_tool.lti.claims import MESSAGE_TYPES
from lti_tool.lti.errors import LaunchRejected
from lti_tool.lti.registry import PlatformInfo
from lti_tool.settings import settings

STATE_PREFIX = "oidc-state:"
LTI_VERSION = "1.3.0"


def state_cookie_name(state: str) -> str:
    # Cookie names stay short and free of the state itself; the value carries the state.
    return "senda-st-" + hashlib.sha256(state.encode()).hexdigest()[:16]


class FlaskRequest(_FlaskRequest):
    """pylti1p3's request wrapper; `is_secure` follows ProxyFix'd `request.is_secure`."""


class SendaCookieService(FlaskCookieService):
    """Cookies that survive the LMS's cross-site POST: `SameSite=None; Secure; Partitioned`
    over HTTPS (pylti1p3 does the same only when `request.is_secure`, which is why Senda
    applies ProxyFix behind a TLS-terminating proxy)."""

    def _get_key(self, key: str) -> str:
        return state_cookie_name(key)


class SendaSessionService(SessionService):
    """Keeps what pylti1p3 would put in the Flask session in the shared one-time store instead."""

    def __init__(self, request_wrapper: FlaskRequest) -> None:
        self._pending_nonce: str | None = None
        self.saved_state = ""

    def save_nonce(self, nonce: str) -> None:
        self._pending_nonce = nonce

    def save_state_params(self, state: str, params: dict[str, object]) -> None:
        assert self._pending_nonce, "pylti1p3 saves the nonce before the state"
        ttl = settings().lti.login_state_ttl_seconds
        onetime.store().put(STATE_PREFIX + state, {**params, "nonce": self._pending_nonce}, ttl)
        self.saved_state = state


class DbToolConf(ToolConfAbstract[FlaskRequest]):
    """pylti1p3's view of Senda's registrations (lti_tool/lti/registry.py)."""

    def __init__(self) -> None:
        self.found: PlatformInfo | None = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False  # always look up by (issuer, client_id)

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        raise NotImplementedError

    def find_registration_by_params(  # type: ignore[override]  # pylti1p3 checks for None
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration | None:
        platform = registry.find_platform(iss, client_id)
        self.found = platform
        if platform is None:
            return None
        registration = Registration()
        registration.set_issuer(platform.issuer).set_client_id(platform.client_id)
        registration.set_auth_login_url(platform.auth_login_url)
        registration.set_auth_token_url(platform.auth_token_url)
        registration.set_key_set_url(platform.key_set_url)
        if platform.auth_audience:
            registration.set_auth_audience(platform.auth_audience)
        return registration

    def find_deployment(self, iss: str, deployment_id: str) -> LibDeployment | None:
        raise NotImplementedError

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> LibDeployment | None:
        if self.found is None or registry.find_deployment(self.found.id, deployment_id) is None:
            return None
        return LibDeployment().set_deployment_id(deployment_id)


class SendaOIDCLogin(FlaskOIDCLogin):
    """Third-party initiated login (LTI Core §4.1, Security Framework §5.1.1)."""

    def _get_uuid(self) -> str:
        return secrets.token_urlsafe(24)

    def _generate_nonce(self) -> str:
        # pylti1p3 mixes in uuid1 (time and MAC address); a nonce must be unguessable.
        return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class LoginStart:
    auth_url: str  # the authentication request to send the browser to
    state: str
    cookies: SendaCookieService  # holds the state cookie to set on the response
    platform: PlatformInfo


def begin_login(params: dict[str, str], launch_url: str) -> LoginStart:
    """Check the login request and prepare the authentication request to the platform."""
    tool_conf = DbToolConf()
    wrapped = FlaskRequest(request_data=params, request_is_secure=request.is_secure)
    cookies = SendaCookieService(wrapped)
    sessions = SendaSessionService(wrapped)
    login = SendaOIDCLogin(
        wrapped,
        tool_conf,
        session_service=sessions,  # type: ignore[arg-type]  # same interface, shared store
        cookie_service=cookies,
    )
    # The registration is looked up here as well as inside pylti1p3, to record which one this
    # login belongs to; the launch must then come from the same one.
    platform = registry.find_platform(params["iss"], params.get("client_id"))
    if platform is None:
        raise LaunchRejected("unknown_platform")
    g.frame_platform_id = platform.id
    login.pass_params_to_launch(
        {
            "platform_id": platform.id,
            "target_link_uri": params["target_link_uri"],
            "deployment_id": params.get("lti_deployment_id") or "",
            "storage_target": params.get("lti_storage_target") or "",
            "iat": int(time.time()),
            # To repeat the login in a new window if this browser blocks our cookies.
            "relaunch": {
                key: params.get(key, "")
                for key in (
                    "iss",
                    "login_hint",
                    "target_link_uri",
                    "lti_message_hint",
                    "client_id",
                    "lti_deployment_id",
                )
            },
        }
    )
    try:
        url = login.get_redirect_object(launch_url).get_redirect_url()
    except LtiException as exc:
        raise LaunchRejected("unknown_platform") from exc
    if tool_conf.found is None:
        raise LaunchRejected("unknown_platform")
    return LoginStart(url, sessions.saved_state, cookies, tool_conf.found)


class SendaMessageLaunch(FlaskMessageLaunch):
    """A resource-link or deep-linking launch, validated step by step (see module docstring)."""

    def __init__(self) -> None:
        self.tool_conf = DbToolConf()
        wrapped = FlaskRequest(request_is_secure=request.is_secure)
        super().__init__(
            wrapped,
            self.tool_conf,
            session_service=SendaSessionService(wrapped),
            cookie_service=SendaCookieService(wrapped),
        )
        self.login: dict[str, Any] = {}
        self.browser_bound = False
        self.state = ""
        self.platform: PlatformInfo | None = None
        self.deployment_pk: int | None = None

    # -- state and nonce ------------------------------------------------------------------
    def validate_state(self) -> SendaMessageLaunch:
        state = self._get_request_param("state")
        if not state:
            raise LaunchRejected("state_missing")
        if not self._get_request_param("id_token"):
            raise LaunchRejected("missing_token")
        record = onetime.store().take(STATE_PREFIX + state)
        if record is None:
            raise LaunchRejected("state_invalid")
        self.state, self.login = state, record
        cookie = self._cookie_service.get_cookie(state)
        if cookie is not None:
            if not hmac.compare_digest(str(cookie), state):
                raise LaunchRejected("browser_mismatch")
            self.browser_bound = True
        elif not record.get("storage_target"):
            # No cookie and no platform storage to prove this browser started the login.
            raise LaunchRejected("cookies_blocked")
        return self

    def validate_jwt_format(self) -> SendaMessageLaunch:
        try:
            super().validate_jwt_format()
        except LtiException as exc:
            raise LaunchRejected("malformed_token") from exc
        if not isinstance(self._jwt.get("header"), dict) or not isinstance(
            self._jwt.get("body"), dict
        ):
            raise LaunchRejected("malformed_token")
        return self

    def validate_nonce(self) -> SendaMessageLaunch:
        nonce = self._jwt["body"].get("nonce")
        expected = self.login.get("nonce", "")
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce, expected):
            raise LaunchRejected("nonce_invalid")
        return self

    # -- who sent it ---------------------------------------------------------------------
    def get_client_id(self) -> str:
        """Our client_id from `aud`/`azp`, by membership, never by position."""
        body = self._jwt["body"]
        aud, azp = body.get("aud"), body.get("azp")
        if isinstance(aud, str):
            if azp is not None and azp != aud:
                raise LaunchRejected("wrong_audience")
            return aud
        if isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
            if len(aud) == 1 and azp in (None, aud[0]):
                return str(aud[0])
            if isinstance(azp, str) and azp in aud:
                return azp
        raise LaunchRejected("wrong_audience")

    def validate_registration(self) -> SendaMessageLaunch:
        iss = self._jwt["body"].get("iss")
        if not isinstance(iss, str) or not iss:
            raise LaunchRejected("unknown_platform")
        client_id = self.get_client_id()
        platform = registry.find_platform(iss, client_id, include_inactive=True)
        # The token must come from the very registration the login was started for.
        if platform is None or platform.id != self.login.get("platform_id"):
            same_issuer = iss == self.login.get("relaunch", {}).get("iss")
            raise LaunchRejected("wrong_audience" if same_issuer else "unknown_platform")
        # Its pages (the refusal ones too) may be framed by this platform only.
        g.frame_platform_id = platform.id
        if not platform.active:
            raise LaunchRejected("platform_disabled")
        self.platform = platform
        self._registration = self.tool_conf.find_registration_by_params(iss, client_id)
        return self

    def validate_jwt_signature(self) -> SendaMessageLaunch:
        assert self.platform is not None
        config = settings().lti
        header = self._jwt["header"]
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str) or not kid:
            raise LaunchRejected("bad_algorithm")
        try:
            key = platform_keys.public_key(self.platform.id, kid)
        except platform_keys.KeyNotFound as exc:
            raise LaunchRejected("unknown_key") from exc
        except platform_keys.KeySetUnavailable as exc:
            raise LaunchRejected("key_set_unavailable") from exc
        leeway = config.clock_leeway_seconds
        try:
            body = jwt.decode(
                self._get_id_token(),
                key,
                algorithms=["RS256"],
                audience=self.platform.client_id,
                issuer=self.platform.issuer,
                leeway=leeway,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
            raise LaunchRejected("bad_time") from exc
        except jwt.InvalidAudienceError as exc:
            raise LaunchRejected("wrong_audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise LaunchRejected("unknown_platform") from exc
        except jwt.MissingRequiredClaimError as exc:
            reason = "nonce_invalid" if exc.claim == "nonce" else "bad_time"
            raise LaunchRejected("wrong_audience" if exc.claim == "aud" else reason) from exc
        except jwt.InvalidTokenError as exc:
            raise LaunchRejected("bad_signature") from exc
        iat = body.get("iat")
        now = time.time()
        if not isinstance(iat, int | float) or iat > now + leeway:
            raise LaunchRejected("bad_time")
        if iat < now - config.max_token_age_seconds - leeway:
            raise LaunchRejected("bad_time")
        # From here on only the verified body is used.
        self._jwt["body"] = body  # type: ignore[typeddict-item]
        return self

    def validate_deployment(self) -> SendaMessageLaunch:
        assert self.platform is not None
        deployment_id = self._jwt["body"].get(
            "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
        )
        if not isinstance(deployment_id, str) or not deployment_id:
            raise LaunchRejected("missing_claims")
        hinted = self.login.get("deployment_id")
        if hinted and hinted != deployment_id:
            raise LaunchRejected("deployment_mismatch")
        self.deployment_pk = registry.find_deployment(self.platform.id, deployment_id)
        if self.deployment_pk is None:
            raise LaunchRejected("unknown_deployment")
        return self

    def validate_message(self) -> SendaMessageLaunch:
        body = self._jwt["body"]
        if body.get("https://purl.imsglobal.org/spec/lti/claim/version") != LTI_VERSION:
            raise LaunchRejected("wrong_version")
        if body.get("https://purl.imsglobal.org/spec/lti/claim/message_type") not in MESSAGE_TYPES:
            raise LaunchRejected("unknown_message_type")
        target = body.get("https://purl.imsglobal.org/spec/lti/claim/target_link_uri")
        if target != self.login.get("target_link_uri"):
            raise LaunchRejected("target_mismatch")
        if not body.get("sub"):
            raise LaunchRejected("missing_claims")
        # A launch without a roles claim is treated as a participant's, never more
        # (security case 18); pylti1p3's validators would refuse it outright.
        body.setdefault("https://purl.imsglobal.org/spec/lti/claim/roles", [])
        try:
            super().validate_message()
        except LtiException as exc:
            raise LaunchRejected("missing_claims") from exc
        return self

    def save_launch_data(self) -> SendaMessageLaunch:
        # Senda records what it needs in its own tables (services/launches.py).
        return self

    def verified_body(self) -> dict[str, Any]:
        self.validate()
        body: dict[str, Any] = dict(self._jwt["body"])
        return body
