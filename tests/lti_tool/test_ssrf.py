"""No server-side request to places the platform does not own: service URLs from launch claims,
the worker's sends, key-set fetches (size and time), and DNS that changes its answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response
from sqlalchemy import select

from lti_tool.jobs import grade_delivery
from lti_tool.lti import http, platform_keys
from lti_tool.models import LmsContext, Platform, ResourceLink, ScoreOutbox, db
from lti_tool.services import learning
from tests.conftest import override_settings
from tests.factories import (
    CourseFactory,
    DeploymentFactory,
    LinkFactory,
    PlatformFactory,
    actor_of,
    member,
)
from tests.support.journey import complete_course
from tests.support.lti import Launcher
from tests.support.servers import free_port, serving

AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/lineitems/1",
        "http://169.254.169.254/latest/meta-data/",
        "https://attacker.example.com/collect",
        "https://lms.example.edu.attacker.example.com/x",
    ],
)
def test_ssrf_service_urls_not_on_the_platforms_hosts_are_never_stored(
    launcher: Launcher, url: str
) -> None:
    response = launcher.launch(
        "participant",
        **{
            AGS: {"scope": [SCORE], "lineitem": url, "lineitems": url},
            NRPS: {"context_memberships_url": url},
        },
    )
    assert response.status_code == 302  # the launch itself is fine
    link = db.session.scalar(select(ResourceLink))
    context = db.session.scalar(select(LmsContext))
    assert link is not None and link.lineitem_url is None and link.lineitems_url is None
    assert context is not None and context.memberships_url is None


def test_ssrf_service_urls_on_the_platforms_hosts_are_kept(launcher: Launcher) -> None:
    url = "https://lms.example.edu/api/lti/lineitems/1"
    launcher.launch("participant", **{AGS: {"scope": [SCORE], "lineitem": url}})
    link = db.session.scalar(select(ResourceLink))
    assert link is not None and link.lineitem_url == url


def test_ssrf_the_worker_never_sends_a_token_to_a_private_address(
    app: Flask, imported: int
) -> None:
    """A platform whose own host resolves inside our network (a registration from before the
    checks, or a DNS change): the connection is refused, the score parked, nothing sent."""
    platform = PlatformFactory(issuer="https://gradebook.internal.example")
    course = CourseFactory(deployment=DeploymentFactory(platform=platform))
    link = LinkFactory(course=course, lineitem_url="https://gradebook.internal.example/li/1")
    person = member(course, sub="carmen")
    learning.enrol(actor_of(person, course), {"goal": ["own-business"]}, None, None)
    complete_course("carmen", "ls")
    assert db.session.scalar(select(ScoreOutbox.id)) is not None
    grade_delivery.run_once()
    db.session.expire_all()
    row = db.session.scalar(select(ScoreOutbox).where(ScoreOutbox.resource_link_id == link.id))
    assert row is not None and row.status == "parked"
    assert "not a public address" in row.last_error or "not on the platform" in row.last_error


def test_ssrf_dns_that_changes_its_answer_is_checked_where_it_connects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first answer is public, the next one loopback (DNS rebinding): the connection resolves
    once and refuses before connecting."""
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1", "127.0.0.1"])

    def rebinding(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr("lti_tool.lti.http.socket.getaddrinfo", rebinding)
    http.check_url("https://rebind.example.com/jwks", allow_private=False)  # first answer: fine
    session = http.guarded_session()
    with pytest.raises(Exception, match="unsafe address"):
        session.get("https://rebind.example.com/jwks", timeout=2)


@pytest.fixture
def hostile_key_sets() -> Iterator[str]:
    app = Flask("hostile")

    @app.get("/huge")
    def huge() -> Response:
        chunk = b" " * 65536

        def body() -> Iterator[bytes]:
            yield b'{"keys": ['
            for _ in range(300 * 16):  # 300 MB, if anyone read it all
                yield chunk

        return Response(body(), mimetype="application/json")

    @app.get("/slow")
    def slow() -> Response:
        def body() -> Iterator[bytes]:
            yield b'{"keys": ['
            for _ in range(60):
                time.sleep(0.5)
                yield b" "

        return Response(body(), mimetype="application/json")

    with serving(app, free_port()) as url:
        yield url


@pytest.mark.parametrize("path", ["/huge", "/slow"])
def test_ssrf_key_set_fetches_have_a_size_cap_and_a_total_time_limit(
    app: Flask, hostile_key_sets: str, path: str
) -> None:
    override_settings(app, lti={"allow_private_urls": True, "http_timeout_seconds": 2.0})
    platform = PlatformFactory(key_set_url=hostile_key_sets + path)
    started = time.monotonic()
    with pytest.raises(platform_keys.KeySetUnavailable):
        platform_keys.fetch_and_store(platform.id, platform.key_set_url)
    assert time.monotonic() - started < 4.0  # not the 30 s the slow one would take
    assert db.session.get(Platform, platform.id).key_set is None  # type: ignore[union-attr]
