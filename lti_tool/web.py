"""Cross-cutting web concerns: the session cookie inside LMS iframes, language, security headers,
error pages."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, g, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lti_tool.lti.errors import REASONS, LaunchRejected
from lti_tool.memo import forget, memo

log = logging.getLogger(__name__)
LOCALES = ("es", "en")


class LtiSessionInterface(SecureCookieSessionInterface):
    """Over HTTPS the session cookie must be `SameSite=None; Secure` to come back with requests
    inside the LMS's iframe, and `Partitioned` (CHIPS) so that browsers that block third-party
    cookies keep it for this LMS. Over plain HTTP (local development) Lax is the only option."""

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if request.is_secure else "Lax"

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return request.is_secure


def locale_from_tag(tag: str | None) -> str | None:
    """'es-CL' -> 'es', 'en_US' -> 'en'; None for languages Senda does not speak."""
    if not tag:
        return None
    language = tag.replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else None


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    return request.accept_languages.best_match(LOCALES) or "es"


def _platform_origins() -> list[str]:
    """Every registered platform origin, refreshed at most once a minute."""
    cached: dict[str, Any] = memo("frame_ancestors", dict)
    origins: list[str] = cached.get("origins", [])
    if time.monotonic() - cached.get("at", -1e9) > 60:
        from lti_tool.lti.registry import frame_ancestor_origins

        try:
            origins = frame_ancestor_origins()
        except Exception:  # the database may be down; never fail a page over a header
            log.warning("could not load frame-ancestor origins")
            origins = []
        cached.update(at=time.monotonic(), origins=origins)
    return origins


def forget_frame_ancestors() -> None:
    forget("frame_ancestors")


VIDEO_FRAMES = "https://www.youtube-nocookie.com https://player.vimeo.com"


def _security_headers(response: Response) -> Response:
    # Platforms may frame Senda, and receive its forms (the deep-linking response).
    platforms = " ".join(["'self'", *_platform_origins()])
    form_targets = " ".join([platforms, g.get("csp_form_targets", "")]).strip()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; media-src 'self' https:; "
        f"frame-src {g.get('csp_frame_src', VIDEO_FRAMES)}; "
        "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action {form_targets}; frame-ancestors {platforms}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def render_rejection(exc: LaunchRejected) -> tuple[str, int]:
    reason = REASONS[exc.reason]
    log.info("launch rejected: %s", exc.reason)
    return (
        render_template(
            "error.html",
            title=_("Senda could not open"),
            message=reason.message,
            admin_hint=reason.admin_hint,
            code=exc.reason,
            relaunch=exc.relaunch,
        ),
        reason.status,
    )


def _http_error(exc: HTTPException) -> tuple[str, int]:
    messages = {
        400: _("Something in that request was not right."),
        403: _("You do not have access to this page."),
        404: _("We could not find that page."),
        405: _("That is not how this page is used."),
        413: _("That was too large."),
        429: _("Too many requests. Please wait a moment and try again."),
    }
    status = exc.code or 500
    message = messages.get(status, _("Something went wrong. Please try again."))
    return render_template("error.html", title=message, message="", code=status), status


def _csrf_error(exc: CSRFError) -> tuple[str, int]:
    return (
        render_template(
            "error.html",
            title=_("This form has expired"),
            message=_("Please go back, reload the page and try again. Nothing was saved."),
            code="csrf",
        ),
        400,
    )


def _server_error(exc: Exception) -> tuple[str, int]:
    log.exception("unhandled error")
    return (
        render_template(
            "error.html",
            title=_("Something went wrong"),
            message=_(
                "Please try again in a moment. If it keeps happening, tell your facilitator."
            ),
            code=500,
        ),
        500,
    )


REGION_NAMES = {
    "arica-parinacota": "Arica y Parinacota",
    "tarapaca": "Tarapacá",
    "antofagasta": "Antofagasta",
    "atacama": "Atacama",
    "coquimbo": "Coquimbo",
    "valparaiso": "Valparaíso",
    "metropolitana": "Metropolitana de Santiago",
    "ohiggins": "Libertador General Bernardo O'Higgins",
    "maule": "Maule",
    "nuble": "Ñuble",
    "biobio": "Biobío",
    "araucania": "La Araucanía",
    "los-rios": "Los Ríos",
    "los-lagos": "Los Lagos",
    "aysen": "Aysén del General Carlos Ibáñez del Campo",
    "magallanes": "Magallanes y de la Antártica Chilena",
}


def _media_url(src: str) -> str:
    """Content media are served from /media/…; https sources are used as they are."""
    if src.startswith("https://"):
        return src
    return url_for("home.media", filename=src.removeprefix("media/"))


def _template_globals() -> dict[str, Any]:
    return {
        "current_locale": str(get_locale() or "es"),
        "actor": g.get("actor"),
        "region_names": REGION_NAMES,
        "kind_names": {
            "lesson": _("Reading"),
            "media": _("Audio"),
            "quiz": _("Knowledge check"),
            "reflection": _("Reflection"),
            "worksheet": _("Worksheet"),
            "workshop": _("Live workshop"),
        },
        "level_names": {"basic": _("Basic"), "advanced": _("Advanced")},
        "media_url": _media_url,
    }


def _fresh_request_state() -> None:
    # A request may run inside an app context its caller pushed (tests, CLI tasks); per-request
    # state kept on `g` (the actor, Babel's cached locale) must not leak from an earlier request.
    g.pop("actor", None)
    g.pop("csp_frame_src", None)
    g.pop("csp_form_targets", None)
    g.pop("csrf_token", None)  # Flask-WTF caches the session's token here
    refresh()


def init_app(app: Flask) -> None:
    app.session_interface = LtiSessionInterface()
    app.before_request(_fresh_request_state)
    app.after_request(_security_headers)
    app.register_error_handler(LaunchRejected, render_rejection)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
    app.context_processor(_template_globals)
