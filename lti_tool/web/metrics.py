"""Prometheus metrics (prometheus_client): launches by role, refused logins and launches by
reason code, page latency by endpoint, and, computed when Prometheus scrapes, the grade outbox's
depth, age and failures per platform.

Labels are closed sets: a Role value, a reason code of `lti/errors.py`, a Flask endpoint name
(never a path: ids in paths would make a series per person), a method, a status class and a
platform's id. Nothing personal is ever a label.

A page pays one histogram observation; the database is read only when /metrics is scraped.

Several gunicorn workers: with PROMETHEUS_MULTIPROC_DIR set (before the app is imported), every
worker writes its counts to files there and a scrape adds them up (prometheus_client's
multiprocess mode); without it, each process counts on its own (one process: `make run`).

Who may read /metrics (`allowed`): with `[metrics] token` set, only a request carrying
`Authorization: Bearer <token>`; without a token, only a request whose socket comes from this
machine (127.0.0.1 or ::1), and never behind a proxy (`proxy_count` > 0), where every request
arrives from the proxy's loopback address. Anyone else gets a 404.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Iterable, Iterator

from flask import Flask, Response, g, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    values,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector

from lti_tool.actor import COURSE_ROLES, Role
from lti_tool.lti.errors import REASONS
from lti_tool.services.metrics import OutboxFigures
from lti_tool.settings import settings

# prometheus_client chose its storage when it was imported: files when PROMETHEUS_MULTIPROC_DIR
# was set then, memory otherwise.
MULTIPROCESS = values.ValueClass is not values.MutexValue

# No `_created` series beside each counter: Prometheus does not need them here.
disable_created_metrics()
REGISTRY = CollectorRegistry()
if not MULTIPROCESS:  # a process's own CPU and memory (not defined across processes)
    ProcessCollector(registry=REGISTRY)

LAUNCHES = Counter(
    "senda_launches",
    "Completed launches (a session opened), by course role.",
    ["role"],
    registry=REGISTRY,
)
REFUSALS = Counter(
    "senda_launch_refusals",
    "Refused logins, launches and expired sessions, by Senda's reason code.",
    ["reason"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "senda_request_seconds",
    "Time to answer a request, by Flask endpoint, method and status class.",
    ["endpoint", "method", "status_class"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)
# Every course role (what a launch gives) and every reason is exported from the start, at 0, so
# that rates and alerts see them.
for _role in Role:
    if _role in COURSE_ROLES:
        LAUNCHES.labels(_role.value)
for _reason in REASONS:
    REFUSALS.labels(_reason)

_METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
_LOOPBACK_PEERS = frozenset({"127.0.0.1", "::1"})


def launched(role: Role) -> None:
    """A launch completed and opened her session."""
    LAUNCHES.labels(role.value).inc()


def refused(reason: str) -> None:
    """A login or launch was refused (a reason code of `lti/errors.py`)."""
    REFUSALS.labels(reason).inc()


# ---------------------------------------------------------------- page latency
def _start() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.get("metrics_started")
    if started is not None:
        method = request.method if request.method in _METHODS else "other"
        REQUEST_SECONDS.labels(
            request.endpoint or "none", method, f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    # First of the before-request functions: the time includes the other ones.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_observe)


# ---------------------------------------------------------------- the scrape
def allowed() -> bool:
    """May this request read /metrics? (See the module's docstring.)"""
    config = settings()
    token = config.metrics.token
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
    if config.proxy_count:
        return False
    return _is_loopback(request.environ.get("REMOTE_ADDR", ""))


def _is_loopback(address: str) -> bool:
    if address in _LOOPBACK_PEERS:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return (mapped or ip).is_loopback


def _outbox_families(figures: OutboxFigures) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "senda_outbox_waiting",
        "Scores waiting for delivery to an LMS (not parked).",
        value=figures.waiting,
    )
    yield GaugeMetricFamily(
        "senda_outbox_oldest_waiting_seconds",
        "Age of the oldest score waiting for delivery (0 when none waits).",
        value=figures.oldest_waiting_seconds,
    )
    failures = GaugeMetricFamily(
        "senda_outbox_failures",
        "Scores retrying after a failed delivery or parked, by platform id.",
        labels=["platform"],
    )
    parked = GaugeMetricFamily(
        "senda_outbox_parked",
        "Scores parked after their last attempt, by platform id.",
        labels=["platform"],
    )
    for platform in figures.platforms:
        failures.add_metric([str(platform.platform_id)], platform.failing)
        parked.add_metric([str(platform.platform_id)], platform.parked)
    yield failures
    yield parked


class _Scrape:
    """What one scrape exports: the counters (this process's, or every worker's from the
    multiprocess files) and the outbox's figures just read."""

    def __init__(self, figures: OutboxFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterable[Metric]:
        counters = MultiProcessCollector(None) if MULTIPROCESS else REGISTRY
        yield from counters.collect()
        yield from _outbox_families(self.figures)


def exposition(figures: OutboxFigures) -> tuple[bytes, str]:
    """The body and content type of the answer, in the format Prometheus asked for."""
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return encoder(_Scrape(figures)), content_type
