"""What every request needs, whatever page it asks for: the session inside LMS iframes, the
language, security headers and error pages."""

from __future__ import annotations

from flask import Flask, abort, g, request
from flask_babel import refresh

from lti_tool.web import errors, i18n, limits, logs
from lti_tool.web.headers import security_headers
from lti_tool.web.session import LtiSessionInterface
from lti_tool.web.templating import template_globals


def _fresh_request_state() -> None:
    # A request may run inside an app context its caller pushed (tests, CLI tasks); per-request
    # state kept on `g` (the actor, Babel's cached locale) must not leak from an earlier request.
    for name in (
        "actor",
        "grants",
        "frame_platform_id",
        "csp_frame_src",
        "csp_form_targets",
        "csrf_token",
    ):
        g.pop(name, None)  # csrf_token: Flask-WTF caches the session's token here
    refresh()
    i18n.forget_translations()


def _refuse_nul_bytes() -> None:
    """A NUL byte is never text a person typed (and PostgreSQL refuses it): 400, nothing
    stored. (A page asked for without a query string or a body has none to look at.)"""
    req = request._get_current_object()  # type: ignore[attr-defined]
    if req.query_string and any("\x00" in value for value in req.args.values()):
        abort(400)
    if not (req.content_length or req.environ.get("HTTP_TRANSFER_ENCODING")):
        return
    if req.is_json:
        if b"\\u0000" in req.get_data(cache=True):
            abort(400)
    elif any("\x00" in value for value in req.form.values()):
        abort(400)


def init_app(app: Flask) -> None:
    app.session_interface = LtiSessionInterface()
    app.before_request(_fresh_request_state)
    app.before_request(_refuse_nul_bytes)
    logs.init_app(app)
    limits.init_app(app)
    app.after_request(security_headers)
    errors.init_app(app)
    app.context_processor(template_globals)
    i18n.install(app)
