"""What every request needs, whatever page it asks for: the session inside LMS iframes, the
language, security headers and error pages."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import refresh

from lti_tool.web import errors, logs
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


def init_app(app: Flask) -> None:
    app.session_interface = LtiSessionInterface()
    app.before_request(_fresh_request_state)
    logs.init_app(app)
    app.after_request(security_headers)
    errors.init_app(app)
    app.context_processor(template_globals)
