"""LTI endpoints an LMS calls: OIDC login, launch, the tool's key set, and Canvas's JSON config.

The launch flow (LTI Core §4, Security Framework §5.1.1):

1. The LMS sends the browser to `/lti/login` (GET or POST) with `iss`, `login_hint`,
   `target_link_uri` and optional `client_id`, `lti_message_hint`, `lti_deployment_id`,
   `lti_storage_target`.
2. Senda stores a fresh state and nonce (shared store), sets the state in a cookie, and sends the
   browser to the platform's authentication endpoint. When the platform offers client-side
   storage (`lti_storage_target`), the state is also put there by postMessage, because the
   cookie may be blocked inside the LMS's iframe.
3. The platform POSTs `id_token` and `state` to `/lti/launch`; Senda validates everything
   (lti_tool/lti/adapter.py), and only then writes anything.
4. The browser is bound to the login by the state cookie; failing that, by the state read back
   from platform storage (`/lti/launch/confirm`); failing both, Senda offers a new window.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from werkzeug.wrappers import Response as WerkzeugResponse

from lti_tool import onetime
from lti_tool.auth import Actor, session_actor, start_session
from lti_tool.extensions import csrf
from lti_tool.lti import keys
from lti_tool.lti.adapter import SendaMessageLaunch, begin_login, state_cookie_name
from lti_tool.lti.claims import PARTICIPANT, LaunchClaims, parse_claims
from lti_tool.lti.errors import LaunchRejected
from lti_tool.services.launches import record_launch
from lti_tool.web import locale_from_tag

bp = Blueprint("lti", __name__, url_prefix="/lti")

MAX_LAUNCH_BYTES = 64 * 1024
TICKET_PREFIX = "launch-ticket:"
TICKET_TTL_SECONDS = 120
_NO_CONTROL_CHARS = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="control characters")


class LoginRequestSchema(Schema):
    """The third-party login initiation parameters (Security Framework §5.1.1.1)."""

    class Meta:
        unknown = EXCLUDE

    iss = fields.String(required=True, validate=[validate.Length(1, 255), _NO_CONTROL_CHARS])
    login_hint = fields.String(
        required=True, validate=[validate.Length(1, 2048), _NO_CONTROL_CHARS]
    )
    target_link_uri = fields.String(
        required=True, validate=[validate.Length(1, 2048), _NO_CONTROL_CHARS]
    )
    lti_message_hint = fields.String(validate=[validate.Length(max=4096), _NO_CONTROL_CHARS])
    client_id = fields.String(validate=[validate.Length(max=255), _NO_CONTROL_CHARS])
    lti_deployment_id = fields.String(validate=[validate.Length(max=255), _NO_CONTROL_CHARS])
    lti_storage_target = fields.String(
        validate=[validate.Length(max=64), validate.Regexp(r"^[A-Za-z0-9_\-]+$")]
    )


_LOGIN_REQUEST = LoginRequestSchema()


def _tool_host() -> str:
    public_url = current_app.config["SENDA"]["public_url"]
    return urlsplit(public_url).netloc if public_url else request.host


def _is_own_url(url: str) -> bool:
    """True only for http(s) URLs on Senda's own host; no userinfo or backslash tricks."""
    if "\\" in url:
        return False
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and "@" not in parts.netloc
        and parts.netloc.lower() == _tool_host().lower()
    )


def launch_url() -> str:
    """The one redirect URI Senda registers; never taken from the request (open redirect)."""
    public_url = current_app.config["SENDA"]["public_url"]
    if public_url:
        return public_url.rstrip("/") + url_for("lti.launch")
    return url_for("lti.launch", _external=True)


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login() -> ResponseReturnValue:
    """OIDC third-party initiated login. Writes only a short-lived state record."""
    raw = request.args if request.method == "GET" else request.form
    try:
        params: dict[str, str] = _LOGIN_REQUEST.load(raw.to_dict())
    except ValidationError as exc:
        raise LaunchRejected("bad_login_request") from exc
    if not _is_own_url(params["target_link_uri"]):
        raise LaunchRejected("bad_target")
    start = begin_login(params, launch_url())
    storage_target = params.get("lti_storage_target")
    response: WerkzeugResponse
    if storage_target:
        parts = urlsplit(start.platform.auth_login_url)
        response = Response(
            render_template(
                "lti/login_storage.html",
                auth_url=start.auth_url,
                state=start.state,
                storage_target=storage_target,
                storage_origin=f"{parts.scheme}://{parts.netloc}",
            )
        )
    else:
        response = redirect(start.auth_url, code=302)
    start.cookies.update_response(response)
    return response


def _landing(claims: LaunchClaims, role: str) -> str:
    if claims.is_deep_linking:
        return url_for("deep_linking.picker")
    return url_for("home.index")


def _rejection_with_relaunch(launch: SendaMessageLaunch) -> LaunchRejected:
    """The cookie was blocked: offer to repeat the login in a new, first-party window."""
    exc = LaunchRejected("cookies_blocked")
    exc.relaunch = {k: v for k, v in launch.login.get("relaunch", {}).items() if v}
    return exc


@bp.post("/launch")
@csrf.exempt
def launch() -> ResponseReturnValue:
    """The LTI message launch: validate, then record, then start the session."""
    if (request.content_length or 0) > MAX_LAUNCH_BYTES:
        raise LaunchRejected("too_large")
    lti_launch = SendaMessageLaunch()
    try:
        body = lti_launch.verified_body()
    except LaunchRejected as exc:
        if exc.reason == "cookies_blocked":
            raise _rejection_with_relaunch(lti_launch) from exc
        raise
    try:
        claims = parse_claims(body)
    except ValidationError as exc:
        raise LaunchRejected("missing_claims") from exc
    if claims.is_deep_linking and claims.role == PARTICIPANT:
        raise LaunchRejected("deep_linking_forbidden")
    assert lti_launch.platform is not None and lti_launch.deployment_pk is not None
    pending = {
        "platform": dataclasses.asdict(lti_launch.platform),
        "deployment_pk": lti_launch.deployment_pk,
        "claims": dataclasses.asdict(claims),
    }
    if lti_launch.browser_bound:
        response = redirect(_complete_launch(pending))
        # The state cookie has served; browsers would otherwise keep one per launch for minutes.
        secure = request.is_secure
        response.delete_cookie(
            state_cookie_name(lti_launch.state),
            path="/",
            secure=secure,
            httponly=True,
            samesite="None" if secure else None,
            partitioned=secure,
        )
        return response
    # The cookie was blocked but the platform offers storage: the page reads the state back
    # from it, in this browser, before anything is recorded.
    ticket = secrets.token_urlsafe(32)
    onetime.store().put(
        TICKET_PREFIX + ticket, {**pending, "state": lti_launch.state}, TICKET_TTL_SECONDS
    )
    parts = urlsplit(lti_launch.platform.auth_login_url)
    return render_template(
        "lti/launch_storage.html",
        ticket=ticket,
        state=lti_launch.state,
        storage_target=lti_launch.login["storage_target"],
        storage_origin=f"{parts.scheme}://{parts.netloc}",
    )


def _complete_launch(pending: dict[str, Any]) -> str:
    """Record the verified launch and start the session; returns where to go next."""
    from lti_tool.lti.registry import PlatformInfo

    platform = PlatformInfo(**pending["platform"])
    claims = LaunchClaims(**pending["claims"])
    record = record_launch(platform, pending["deployment_pk"], claims)
    actor = Actor(
        user_id=record.user_id,
        platform_id=platform.id,
        context_id=record.context_id,
        resource_link_id=record.resource_link_id,
        role=claims.role,
        name=claims.given_name or claims.name,
    )
    # What the link opens ("course:…", "pathway:…", "intake"): set by Senda's deep linking.
    extra: dict[str, Any] = {"target": str(claims.custom.get("senda_target", ""))[:128]}
    if claims.is_deep_linking:
        assert claims.deep_linking is not None
        extra["dl"] = {
            "return_url": claims.deep_linking["deep_link_return_url"],
            "data": claims.deep_linking.get("data"),
            "accept_multiple": claims.deep_linking.get("accept_multiple", True),
            "deployment_id": claims.deployment_id,
        }
    start_session(actor, locale_from_tag(claims.locale), extra)
    return _landing(claims, actor.role)


@bp.post("/launch/confirm")
@csrf.exempt
def confirm_launch() -> str:
    """Second half of a cookieless launch: the page proved the state from platform storage."""
    pending = onetime.store().take(TICKET_PREFIX + request.form.get("ticket", ""))
    if pending is None:
        raise LaunchRejected("state_invalid")
    if not secrets.compare_digest(request.form.get("state", ""), pending["state"]):
        raise LaunchRejected("browser_mismatch")
    next_url = _complete_launch(pending)
    # The session cookie may be blocked too; the page checks, and offers a new window if so.
    handoff = secrets.token_urlsafe(32)
    onetime.store().put(
        TICKET_PREFIX + handoff,
        {"session": dict(session), "next": next_url},
        TICKET_TTL_SECONDS,
    )
    return render_template("lti/session_check.html", next_url=next_url, handoff=handoff)


@bp.post("/launch/continue")
@csrf.exempt
def continue_launch() -> ResponseReturnValue:
    """Open an already verified launch in a new, first-party window (cookies blocked in the
    iframe). The one-time ticket is the credential; it expires within two minutes."""
    handoff = onetime.store().take(TICKET_PREFIX + request.form.get("ticket", ""))
    if handoff is None or "session" not in handoff:
        raise LaunchRejected("state_invalid")
    session.clear()
    session.update(handoff["session"])
    session.permanent = True
    return redirect(handoff["next"])


@bp.get("/session-check")
def session_check() -> tuple[Response, int]:
    """Tells the launch page whether the session cookie came back (204) or not (401)."""
    actor = session_actor()
    return jsonify(ok=actor is not None), 200 if actor else 401


@bp.get("/jwks")
def jwks() -> Response:
    """Senda's public keys (current and previous), for platforms verifying our JWTs."""
    response = jsonify(keys.published_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def base_url() -> str:
    public_url = current_app.config["SENDA"]["public_url"]
    return (public_url or request.host_url).rstrip("/")


@bp.get("/config.json")
def canvas_config() -> Response:
    """A Canvas LTI 1.3 developer key configuration (Admin → Developer Keys → + LTI Key →
    "Enter URL")."""
    base = base_url()
    host = urlsplit(base).netloc
    name = current_app.config["SENDA"]["lti"]["tool_name"]
    placements = [
        {
            "placement": placement,
            "message_type": "LtiDeepLinkingRequest",
            "target_link_uri": base + url_for("lti.launch"),
            "text": name,
        }
        for placement in ("link_selection", "assignment_selection")
    ]
    placements.append(
        {
            "placement": "course_navigation",
            "message_type": "LtiResourceLinkRequest",
            "target_link_uri": base + url_for("lti.launch"),
            "text": name,
            "default": "disabled",
        }
    )
    return jsonify(
        {
            "title": name,
            "description": "Entrepreneurship and employment pathways for women",
            "oidc_initiation_url": base + url_for("lti.login"),
            "target_link_uri": base + url_for("lti.launch"),
            "public_jwk_url": base + url_for("lti.jwks"),
            "scopes": [
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
            ],
            "extensions": [
                {
                    "domain": host,
                    "platform": "canvas.instructure.com",
                    "privacy_level": "public",
                    "settings": {"placements": placements},
                }
            ],
            "custom_fields": {"canvas_user_locale": "$Canvas.user.locale"},
        }
    )
