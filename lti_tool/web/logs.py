"""Logs that exist, and hold no one's data: JSON lines on stderr, one per event, each with the
request's id, and one per request (method, path without its query string, status, duration).

What may be in a line: ids, reason codes, status codes, durations. What may not: names, e-mails,
tokens, answers, support text, SQL parameters (the engine hides them:
`hide_parameters`). `tests/lti_tool/test_logs.py` walks a whole journey, with a database error,
and searches every line.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_configured = False


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (gunicorn and test runners replace it)."""

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class RequestContext(logging.Filter):
    """Adds the request id (and nothing else about the request) to every line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "") if has_request_context() else ""
        return True


def configure() -> None:
    """JSON lines on stderr for Senda's loggers, once per process."""
    global _configured
    if _configured:
        return
    handler = _Stderr()
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestContext())
    logger = logging.getLogger("lti_tool")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    _configured = True


log = logging.getLogger("lti_tool.requests")


def _begin() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _end(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    if not request.path.startswith("/static/"):
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,  # never the query string: it may carry tokens
                "status": response.status_code,
                "ms": round(1000 * (time.perf_counter() - g.get("request_started", 0.0)), 1),
            },
        )
    return response


def init_app(app: Flask) -> None:
    configure()
    app.before_request(_begin)
    app.after_request(_end)
