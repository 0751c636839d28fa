"""Two servers on loopback: Senda, and the demo LMS as a separate platform (built on the
`lti1p3platform` package) with its own database, issuer and key, on another host name so
that the browser's cookies are cross-site as with a real LMS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask_migrate import upgrade

from lti_tool import create_app
from lti_tool.demo import platform as demo_platform
from lti_tool.extensions import db
from tests.conftest import app_settings
from tests.support.servers import free_port, serving

MIGRATIONS = str(Path(__file__).parent.parent.parent / "lti_tool" / "migrations")


@dataclass
class Lms:
    """The demo LMS as seen from a test: where it is, and a browser to drive it with."""

    url: str
    tool_url: str
    app: Flask

    def launch(self, browser: requests.Session, person: str, **params: Any) -> requests.Response:
        """Click "open as <person>" and let the browser follow the whole LTI flow."""
        response = browser.get(f"{self.url}/demo/launch", params={"person": person, **params})
        return follow_autopost(browser, response)


def follow_autopost(browser: requests.Session, response: requests.Response) -> requests.Response:
    """Submit the auto-posting form the platform returns (JavaScript would do it)."""
    form = re.search(r'<form method="post" action="([^"]+)" id="autopost"', response.text)
    if not form:
        return response
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', response.text))
    return browser.post(unescape(form.group(1)), data={k: unescape(v) for k, v in fields.items()})


@pytest.fixture
def lms(app: Flask, tmp_path: Path, imported: int) -> Iterator[Lms]:
    tool_port, lms_port = free_port(), free_port()
    tool_url = f"http://localhost:{tool_port}"
    lms_url = f"http://127.0.0.1:{lms_port}"
    lms_app = create_app(
        app_settings(
            f"sqlite:///{tmp_path / 'lms.db'}",
            redis_url=None,
            demo={"enabled": True, "base_url": lms_url, "tool_url": tool_url},
            secret_key="another-secret-for-the-lms",
        )
    )
    with lms_app.app_context():
        upgrade(directory=MIGRATIONS)
    app.config["SENDA"]["lti"]["allow_private_urls"] = True  # the LMS is on loopback
    app.config["SENDA"]["lti"]["platforms"] = [
        {
            "issuer": f"{lms_url}/demo",
            "client_id": demo_platform.CLIENT_ID,
            "deployment_ids": [demo_platform.DEPLOYMENT_ID],
            "auth_login_url": f"{lms_url}/demo/auth",
            "auth_token_url": f"{lms_url}/demo/token",
            "key_set_url": f"{lms_url}/demo/jwks",
            "name": "Demo LMS on loopback",
        }
    ]
    app.extensions.pop("senda_platforms_synced", None)
    with serving(app, tool_port), serving(lms_app, lms_port):
        yield Lms(lms_url, tool_url, lms_app)
    with lms_app.app_context():
        db.engine.dispose()
