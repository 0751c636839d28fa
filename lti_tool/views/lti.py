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

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
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

from lti_tool.extensions import csrf
from lti_tool.lti import keys
from lti_tool.lti.adapter import state_cookie_name
from lti_tool.lti.errors import LaunchRejected
from lti_tool.services import launches
from lti_tool.settings import settings
from lti_tool.views.urls import base_url, from_our_own_page, is_own_url, launch_url
from lti_tool.web import limits, metrics
from lti_tool.web.i18n import locale_from_tag
from lti_tool.web.session import session_actor, start_session

bp = Blueprint("lti", __name__, url_prefix="/lti")

MAX_LAUNCH_BYTES = 64 * 1024
_NO_CONTROL_CHARS = validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="control characters")


class LoginRequestSchema(Schema):
    """The third-party login initiation parameters (Security Framework §5.1.1.1)."""

    class Meta:
        unknown = EXCLUDE

    iss = fields.String(required=True, validate=[validate.Length(1, 255), _NO_CONTROL_CHARS])
    # Bounded: the login stores them until the launch (a flood must not fill the store).
    login_hint = fields.String(
        required=True, validate=[validate.Length(1, 1024), _NO_CONTROL_CHARS]
    )
    target_link_uri = fields.String(
        required=True, validate=[validate.Length(1, 1024), _NO_CONTROL_CHARS]
    )
    lti_message_hint = fields.String(validate=[validate.Length(max=2048), _NO_CONTROL_CHARS])
    client_id = fields.String(validate=[validate.Length(max=255), _NO_CONTROL_CHARS])
    lti_deployment_id = fields.String(validate=[validate.Length(max=255), _NO_CONTROL_CHARS])
    lti_storage_target = fields.String(
        validate=[validate.Length(max=64), validate.Regexp(r"^[A-Za-z0-9_\-]+$")]
    )


_LOGIN_REQUEST = LoginRequestSchema()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login() -> ResponseReturnValue:
    """OIDC third-party initiated login. Writes only a short-lived state record."""
    limits.check_login()
    raw = request.args if request.method == "GET" else request.form
    try:
        params: dict[str, str] = _LOGIN_REQUEST.load(raw.to_dict())
    except ValidationError as exc:
        raise LaunchRejected("bad_login_request") from exc
    if not is_own_url(params["target_link_uri"]):
        raise LaunchRejected("bad_target")
    start = launches.begin_login(params, launch_url())
    storage_target = params.get("lti_storage_target")
    response: WerkzeugResponse
    if storage_target:
        response = Response(
            render_template(
                "lti/login_storage.html",
                auth_url=start.auth_url,
                state=start.state,
                storage_target=storage_target,
                storage_origin=_origin(start.platform.auth_login_url),
            )
        )
    else:
        response = redirect(start.auth_url, code=302)
    start.cookies.update_response(response)
    return response


def _open(landing: launches.Landing) -> str:
    """Start her session; the URL of her first page."""
    start_session(landing.actor, locale_from_tag(landing.locale), landing.session_extra)
    metrics.launched(landing.actor.role)
    url: str = url_for(landing.endpoint, **landing.values)  # type: ignore[arg-type]
    return url


@bp.post("/launch")
@csrf.exempt
def launch() -> ResponseReturnValue:
    """The LTI message launch: validate, then record, then one redirect to her first page."""
    if (request.content_length or 0) > MAX_LAUNCH_BYTES:
        raise LaunchRejected("too_large")
    verified = launches.verify()
    if verified.browser_bound:
        response = redirect(_open(launches.complete(verified.pending)))
        # The state cookie has served; browsers would otherwise keep one per launch for minutes.
        secure = request.is_secure
        response.delete_cookie(
            state_cookie_name(verified.state),
            path="/",
            secure=secure,
            httponly=True,
            samesite="None" if secure else None,
            partitioned=secure,
        )
        return response
    # The cookie was blocked but the platform offers storage: the page reads the state back
    # from it, in this browser, before anything is recorded.
    return render_template(
        "lti/launch_storage.html",
        ticket=launches.hold(verified),
        state=verified.state,
        storage_target=verified.storage_target,
        storage_origin=_origin(verified.platform.auth_login_url),
    )


@bp.post("/launch/confirm")
@csrf.exempt
def confirm_launch() -> str:
    """Second half of a cookieless launch: the page proved the state from platform storage.
    Only Senda's own launch page in this browser may redeem the ticket (login CSRF: another
    site could otherwise post the ticket and state of its own launch and sign the victim into
    the attacker's account)."""
    if not from_our_own_page():
        raise LaunchRejected("foreign_origin")
    pending = launches.redeem(request.form.get("ticket", ""), request.form.get("state", ""))
    next_url = _open(launches.complete(pending))
    # The session cookie may be blocked too; the page checks, and offers a new window if so.
    handoff = launches.hand_over(dict(session), next_url)
    return render_template("lti/session_check.html", next_url=next_url, handoff=handoff)


@bp.post("/launch/continue")
@csrf.exempt
def continue_launch() -> ResponseReturnValue:
    """Open an already verified launch in a new, first-party window (cookies blocked in the
    iframe). The one-time ticket is the credential; it expires within two minutes, and only
    Senda's own page may post it."""
    if not from_our_own_page():
        raise LaunchRejected("foreign_origin")
    handoff = launches.take_hand_over(request.form.get("ticket", ""))
    session.clear()
    session.update(handoff["session"])
    session.permanent = True
    return redirect(handoff["next"])


@bp.get("/session-check")
def session_check() -> tuple[Response, int]:
    """Tells the launch page whether the session cookie came back (200) or not (401)."""
    actor = session_actor()
    return jsonify(ok=actor is not None), 200 if actor else 401


@bp.get("/jwks")
def jwks() -> Response:
    """Senda's public keys (current and previous), for platforms verifying our JWTs."""
    response = jsonify(keys.published_jwks())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/config.json")
def canvas_config() -> Response:
    """A Canvas LTI 1.3 developer key configuration (Admin → Developer Keys → + LTI Key →
    "Enter URL")."""
    base = base_url()
    host = urlsplit(base).netloc
    name = settings().lti.tool_name
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
                    "privacy_level": "name_only",
                    "settings": {"placements": placements},
                }
            ],
            "custom_fields": {"canvas_user_locale": "$Canvas.user.locale"},
        }
    )
