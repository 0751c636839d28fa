"""Error pages, in one place: launch refusals with their reason, HTTP errors, an expired form,
named not-found errors from the services (404), and anything unexpected (500, no details)."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request, session
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, TooManyRequests

from lti_tool.lti.errors import REASONS, LaunchRejected
from lti_tool.services import health
from lti_tool.services.errors import Forbidden, NotFound
from lti_tool.web import metrics
from lti_tool.web.session import end_session

log = logging.getLogger(__name__)


def render_rejection(exc: LaunchRejected) -> tuple[str, int]:
    reason = REASONS[exc.reason]
    if request.path.startswith("/lti/") and "uid" in session:
        # A refused launch or login ends whatever session this browser had: on a shared phone
        # the next person's refused launch must not leave the previous person signed in.
        end_session()
    log.info("launch refused", extra={"event": "refusal", "reason": exc.reason})
    metrics.refused(exc.reason)
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


def _page(status: int) -> tuple[str, int]:
    messages = {
        400: _("Something in that request was not right."),
        403: _("You do not have access to this page."),
        404: _("We could not find that page."),
        405: _("That is not how this page is used."),
        413: _("That was too large."),
        429: _("Too many requests. Please wait a moment and try again."),
    }
    message = messages.get(status, _("Something went wrong. Please try again."))
    return render_template("error.html", title=message, message="", code=status), status


def _http_error(exc: HTTPException) -> tuple[str, int]:
    return _page(exc.code or 500)


def _too_many(exc: TooManyRequests) -> tuple[str, int, dict[str, str]]:
    page, status = _page(429)  # and when to come back (the length of the limit's window)
    return page, status, {"Retry-After": str(exc.retry_after or 60)}


def _not_found(exc: NotFound) -> tuple[str, int]:
    return _page(404)


def _forbidden(exc: Forbidden) -> tuple[str, int]:
    return _page(403)


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
    health.discard_failed_transaction()
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


def init_app(app: Flask) -> None:
    app.register_error_handler(LaunchRejected, render_rejection)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(Forbidden, _forbidden)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(TooManyRequests, _too_many)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _server_error)
