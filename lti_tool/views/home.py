"""The landing page after a launch, which sends each role to its own home, and the language
switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_actor, require_role
from lti_tool.web import LOCALES

bp = Blueprint("home", __name__)


@bp.get("/")
@require_role()
def index() -> ResponseReturnValue:
    """Each role has its own home."""
    destination = {
        "participant": "learner.entry",
        "facilitator": "facilitator.cohort",
        "designer": "designer.index",
    }[current_actor().role]
    return redirect(url_for(destination))


@bp.post("/locale")
def set_locale() -> ResponseReturnValue:
    """Switch the interface language; returns to the same page (only paths on this site)."""
    locale = request.form.get("locale")
    if locale in LOCALES:
        session["locale"] = locale
    next_url = request.form.get("next", "")
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not next_url.startswith("/") or next_url.startswith("//"):
        next_url = url_for("home.index")
    return redirect(next_url)


@bp.get("/health")
def health() -> tuple[dict[str, str], int]:
    """For load balancers: 200 when the database answers."""
    from sqlalchemy import text

    from lti_tool.extensions import db

    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}, 200


@bp.get("/media/<path:filename>")
def media(filename: str) -> ResponseReturnValue:
    """Images and recordings from content/media (public programme material, long-cached)."""
    from flask import send_from_directory

    from lti_tool.services.content import content_root

    response = send_from_directory(content_root() / "media", filename, max_age=7 * 86400)
    return response
