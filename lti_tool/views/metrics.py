"""/metrics for Prometheus: not public. A request that may not read it gets a 404, as if there
were nothing here (`web/metrics.py` says who may). Like /health it has no session, no CSRF and
no rate limit."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from lti_tool.services import metrics as figures
from lti_tool.web import metrics

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape() -> Response:
    if not metrics.allowed():
        abort(404)
    body, content_type = metrics.exposition(figures.outbox_figures())
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
