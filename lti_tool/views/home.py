"""The shared pages: the home that sends each role to its own page, the language switch, the
health check and the programme's media."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from lti_tool.actor import Role
from lti_tool.extensions import csrf
from lti_tool.services import health
from lti_tool.services.content import content_root
from lti_tool.web.i18n import LOCALES
from lti_tool.web.session import current_actor, end_session, require_role, session_actor

bp = Blueprint("home", __name__)

HOMES = {
    Role.PARTICIPANT: "learner.entry",
    Role.FACILITATOR: "facilitator.cohort",
    Role.DESIGNER: "designer.index",
    Role.MENTOR: "mentor.index",
}


@bp.get("/")
@require_role()
def index() -> ResponseReturnValue:
    """Each course role has its own home."""
    return redirect(url_for(HOMES.get(current_actor().role, "learner.entry")))


@bp.post("/logout")
@csrf.exempt  # checked below, only while someone is in: a second "Salir" finds no session
def logout() -> ResponseReturnValue:
    """ "Salir": forget this browser's session (a shared phone, a community-centre computer)."""
    if session_actor() is not None:
        csrf.protect()  # another site cannot log her out
    end_session()
    return render_template("logged_out.html")


@bp.post("/locale")
def set_locale() -> ResponseReturnValue:
    """Switch the interface language; returns to the same page (only paths on this site)."""
    locale = request.form.get("locale")
    if locale in LOCALES:
        session["locale"] = locale
    next_url = request.form.get("next", "")
    parts = urlsplit(next_url)
    if (
        parts.scheme
        or parts.netloc
        or not next_url.startswith("/")
        or next_url.startswith("//")
        or any(ord(c) < 32 or c in "\\\x7f" for c in next_url)  # CR/LF would split the header
    ):
        next_url = url_for("home.index")
    return redirect(next_url)


@bp.get("/health")
def health_check() -> tuple[dict[str, str], int]:
    """For load balancers and monitoring: 200 when the database and Redis answer."""
    database, redis = health.database_ok(), health.state_store_ok()
    status = "ok" if database and redis else "unavailable"
    body = {
        "status": status,
        "database": "ok" if database else "down",
        "redis": "ok" if redis else "down",
    }
    return body, 200 if status == "ok" else 503


@bp.get("/media/<path:filename>")
def media(filename: str) -> ResponseReturnValue:
    """Images and recordings from content/media (public programme material, long-cached)."""
    return send_from_directory(content_root() / "media", filename, max_age=7 * 86400)
