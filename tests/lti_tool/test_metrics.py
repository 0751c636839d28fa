"""/metrics for Prometheus: launches by role, refusals by reason, page latency by endpoint, the
outbox's depth, age and failures per platform; not public (404 to anyone else); nothing
personal in a label; several processes' counts add up (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from lti_tool import create_app
from lti_tool.lti.errors import REASONS
from lti_tool.models import Deployment, db
from lti_tool.models.outbox import DELIVERED, PARKED
from lti_tool.models.types import utcnow
from tests.conftest import app_settings, override_settings
from tests.factories import LinkFactory, ScoreFactory
from tests.support.lti import LTI, Launcher

OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}
TOKEN = "a-long-random-metrics-token-0123456789"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: FlaskClient, **kwargs: Any) -> Samples:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain")
    return parse(response.get_data(as_text=True))


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_launch_counts_by_role_and_her_pages_are_timed_by_endpoint(
    app: Flask, launcher: Launcher
) -> None:
    client = launcher.client
    before = scrape(client)
    response = launcher.launch("participant")
    assert response.status_code == 302
    first_page = response.headers["Location"]
    assert client.get(first_page).status_code == 200
    after = scrape(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("senda_launches_total", role="participant") == 1
    assert moved("senda_launches_total", role="facilitator") == 0
    assert moved("senda_request_seconds_count", endpoint="lti.launch", method="POST",
                 status_class="3xx") == 1  # fmt: skip
    assert moved("senda_request_seconds_count", endpoint="lti.login", method="GET",
                 status_class="3xx") == 1  # fmt: skip
    endpoint, _ = app.url_map.bind("localhost").match(first_page.split("?")[0])
    timed = {"endpoint": endpoint, "method": "GET", "status_class": "2xx"}
    assert moved("senda_request_seconds_count", **timed) == 1
    # Observed in the page buckets: the +Inf bucket counts it, the sum is a real duration.
    assert moved("senda_request_seconds_bucket", le="+Inf", **timed) == 1
    assert 0 < moved("senda_request_seconds_sum", **timed) < 2.5

    client.post("/logout")
    launcher.launch("facilitator", sub="ana")
    assert value(scrape(client), "senda_launches_total", role="facilitator") == (
        value(before, "senda_launches_total", role="facilitator") + 1
    )


def test_refused_logins_and_launches_count_by_their_reason_code(
    app: Flask, launcher: Launcher
) -> None:
    client = launcher.client
    before = scrape(client)
    assert launcher.launch("participant", **{LTI + "version": "1.1"}).status_code == 400
    assert client.get("/lti/login", query_string={"iss": "x"}).status_code == 400
    assert launcher.post_launch(None, "some-state").status_code == 400
    assert client.get("/").status_code == 401  # no session (any more): session_expired
    after = scrape(client)
    moved = {
        reason: value(after, "senda_launch_refusals_total", reason=reason)
        - value(before, "senda_launch_refusals_total", reason=reason)
        for reason in REASONS
    }
    assert {reason: n for reason, n in moved.items() if n} == {
        "wrong_version": 1,
        "bad_login_request": 1,
        "missing_token": 1,
        "session_expired": 1,
    }
    assert value(after, "senda_launches_total", role="participant") == value(
        before, "senda_launches_total", role="participant"
    )
    # Every reason code is exported, at 0 until it happens: rates and alerts see them all.
    for reason in REASONS:
        assert ("senda_launch_refusals_total", frozenset({("reason", reason)})) in after


def test_the_outbox_gauges_read_depth_age_and_failures_per_platform(
    app: Flask, client: FlaskClient
) -> None:
    empty = scrape(client)
    assert value(empty, "senda_outbox_waiting") == 0
    assert value(empty, "senda_outbox_oldest_waiting_seconds") == 0

    link = LinkFactory()
    quiet = LinkFactory()  # another platform, with nothing failing
    ten_minutes_ago = utcnow() - timedelta(minutes=10)
    ScoreFactory(link=link, created_at=ten_minutes_ago)
    ScoreFactory(link=link, attempts=3, last_error="HTTP 503")
    ScoreFactory(link=link, status=PARKED, attempts=12, last_error="HTTP 400")
    ScoreFactory(link=link, status=DELIVERED, attempts=1, delivered_at=utcnow())
    ScoreFactory(link=quiet, status=DELIVERED, attempts=1, delivered_at=utcnow())

    samples = scrape(client)
    busy, calm = (
        str(db.session.get(Deployment, x.deployment_id).platform_id) for x in (link, quiet)
    )
    assert value(samples, "senda_outbox_waiting") == 2
    assert 600 <= value(samples, "senda_outbox_oldest_waiting_seconds") < 700
    assert value(samples, "senda_outbox_failures", platform=busy) == 2  # retrying + parked
    assert value(samples, "senda_outbox_parked", platform=busy) == 1
    assert ("senda_outbox_failures", frozenset({("platform", calm)})) in samples
    assert value(samples, "senda_outbox_failures", platform=calm) == 0
    assert value(samples, "senda_outbox_parked", platform=calm) == 0


def test_metrics_are_not_public(app: Flask, client: FlaskClient) -> None:
    # No token configured: only this machine, by the socket's address.
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    outside = client.get("/metrics", environ_base=OUTSIDE)
    assert outside.status_code == 404
    assert b"senda_" not in outside.data
    # A forwarded header claiming loopback changes nothing.
    spoofed = client.get("/metrics", environ_base=OUTSIDE, headers={"X-Forwarded-For": "127.0.0.1"})
    assert spoofed.status_code == 404
    # Behind a proxy everything arrives from loopback: without a token, nobody.
    override_settings(app, proxy_count=1)
    assert client.get("/metrics").status_code == 404
    override_settings(app, proxy_count=0)

    # A token configured: it is the only key, from anywhere, loopback included.
    override_settings(app, metrics={"token": TOKEN})
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    for wrong in ("Bearer nope", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer ñ"):
        headers = {"Authorization": wrong}
        assert client.get("/metrics", environ_base=OUTSIDE, headers=headers).status_code == 404
    right = {"Authorization": f"Bearer {TOKEN}"}
    allowed = client.get("/metrics", environ_base=OUTSIDE, headers=right)
    assert allowed.status_code == 200
    assert b"senda_outbox_waiting" in allowed.data
    override_settings(app, proxy_count=1)
    assert client.get("/metrics", headers=right).status_code == 200
    # No session, no cookie, no rate limit, never cached.
    assert "Set-Cookie" not in allowed.headers
    assert "X-RateLimit-Limit" not in allowed.headers
    assert allowed.headers["Cache-Control"] == "no-store"


def test_the_token_is_a_checked_secret_from_the_environment() -> None:
    from lti_tool.settings import ConfigError, load_settings

    loaded = load_settings(environ={"SENDA_METRICS__TOKEN": TOKEN})
    assert loaded.metrics.token == TOKEN and loaded.metrics.enabled
    assert load_settings(environ={"SENDA_METRICS__TOKEN": ""}).metrics.token is None
    with pytest.raises(ConfigError, match=r"metrics\.token"):
        load_settings(environ={"SENDA_METRICS__TOKEN": "short"})


def test_switched_off_there_is_no_metrics_page(migrated: str) -> None:
    app = create_app(app_settings(migrated, metrics={"enabled": False}))
    assert "metrics.scrape" not in app.view_functions
    assert app.test_client().get("/metrics").status_code == 404


def test_no_label_holds_anything_personal(app: Flask, launcher: Launcher) -> None:
    sub, name = "sub-carmen-7f3a9", "Carmen Soto"
    response = launcher.launch("participant", sub=sub, name=name, given_name="Carmen")
    launcher.client.get(response.headers["Location"])
    launcher.client.get("/media/" + sub + ".png")  # a path with her id in it: a 404
    body = launcher.client.get("/metrics").get_data(as_text=True)
    for secret in (sub, name, "Carmen", "Soto", "user-hint-1"):
        assert secret not in body
    endpoints = {
        dict(labels)["endpoint"]
        for (metric, labels) in parse(body)
        if metric.startswith("senda_request_seconds")
    }
    # Endpoint names, never paths (other tests' apps in this process add their own views).
    assert all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", endpoint) for endpoint in endpoints)
    assert "home.media" in endpoints


# ---------------------------------------------------------------- several worker processes
_WORKER = textwrap.dedent(
    """
    import sys
    from lti_tool import create_app
    app = create_app({"database_url": sys.argv[1], "secret_key": "k" * 32,
                      "privacy": {"encryption_keys": [sys.argv[2]]}})
    client = app.test_client()
    for _ in range(int(sys.argv[3])):
        assert client.get("/lti/login").status_code == 400  # bad_login_request
    if sys.argv[4] == "scrape":
        sys.stdout.write(client.get("/metrics").get_data(as_text=True))
    """
)


def test_worker_processes_counts_add_up_in_multiprocess_mode(migrated: str, tmp_path: Path) -> None:
    from tests.conftest import TEST_ENCRYPTION_KEY

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SENDA_")},
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }

    def run(count: int, then: str) -> subprocess.Popen[str]:
        args = [sys.executable, "-c", _WORKER, migrated, TEST_ENCRYPTION_KEY, str(count), then]
        return subprocess.Popen(  # noqa: S603 - our own interpreter and script
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    # One worker process counts, and ends; another counts, then answers the scrape.
    first = run(3, "exit")
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err[-2000:]
    second = run(4, "scrape")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err[-2000:]
    assert len(list(tmp_path.glob("*.db"))) >= 2  # each process wrote its own files
    samples = parse(out)
    assert value(samples, "senda_launch_refusals_total", reason="bad_login_request") == 7
    timed = {"endpoint": "lti.login", "method": "GET", "status_class": "4xx"}
    assert value(samples, "senda_request_seconds_count", **timed) == 7
    assert value(samples, "senda_request_seconds_bucket", le="+Inf", **timed) == 7
    assert "senda_outbox_waiting" in out
    # Files, not memory: nothing per-process (CPU, memory) is claimed for the whole.
    assert "process_resident_memory_bytes" not in out
