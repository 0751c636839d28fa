"""Floods: the anonymous login and launch endpoints are limited per client address and per
platform, with a clear page; with Redis down, a clear "try again" page and an honest /health."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from lti_tool import create_app
from tests.conftest import app_settings, override_settings
from tests.support.lti import Launcher


def login_from(client: FlaskClient, launcher: Launcher, address: str) -> Any:
    return client.get(
        "/lti/login",
        query_string={
            "iss": launcher.platform.issuer,
            "login_hint": "u",
            "target_link_uri": "http://localhost/lti/launch",
            "client_id": launcher.platform.client_id,
        },
        environ_base={"REMOTE_ADDR": address},
    )


def test_floods_logins_are_limited_per_client_address(
    app: Flask, client: FlaskClient, launcher: Launcher
) -> None:
    override_settings(app, limits={"login_per_address": "20/minute"})
    statuses = [login_from(client, launcher, "203.0.113.7").status_code for _ in range(30)]
    assert statuses[:20] == [302] * 20 and set(statuses[20:]) == {429}
    refused = login_from(client, launcher, "203.0.113.7")
    assert "Retry-After" in refused.headers
    assert "Demasiadas solicitudes" in refused.get_data(as_text=True)
    # Another address (the next community centre) is not affected.
    assert login_from(client, launcher, "198.51.100.9").status_code == 302


def test_floods_logins_are_limited_per_platform(
    app: Flask, client: FlaskClient, launcher: Launcher
) -> None:
    override_settings(app, limits={"login_per_platform": "10/minute"})
    statuses = [login_from(client, launcher, f"203.0.113.{n}").status_code for n in range(15)]
    assert statuses.count(302) == 10 and statuses.count(429) == 5


def test_floods_with_redis_down_launches_say_try_again_and_health_says_why(
    app: Flask, migrated: str, launcher: Launcher
) -> None:
    down = create_app(app_settings(migrated, redis_url="redis://127.0.0.1:1/0"))
    down.config["TESTING"] = True
    with down.app_context():
        client = down.test_client()
        response = login_from(client, Launcher(client, launcher.platform), "203.0.113.1")
        assert response.status_code == 503
        page = response.get_data(as_text=True)
        assert "state_store_unavailable" in page and "intenta de nuevo" in page.lower()
        health = client.get("/health")
        assert health.status_code == 503
        assert health.get_json() == {"status": "unavailable", "database": "ok", "redis": "down"}
        from lti_tool.models import db

        db.session.remove()
        db.engine.dispose()
