"""The landing page after a launch, which sends each role to its own home, and the language
switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from lti_tool.auth import current_actor, require_role
from lti_tool.web import LOCALES

bp = Blueprint("home", __name__)


@bp.get("/")
@require_role()
def index() -> str:
    actor = current_actor()
    template = {
        "participant": "home/participant.html",
        "facilitator": "home/facilitator.html",
        "designer": "home/designer.html",
    }[actor.role]
    return render_template(template)


@bp.get("/deep-linking")
@require_role("facilitator", "designer")
def deep_linking() -> str:
    return render_template("home/designer.html")


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
