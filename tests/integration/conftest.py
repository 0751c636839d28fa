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

from tests.support.lms import separate_lms
from tests.support.servers import free_port


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
    tool_url = f"http://localhost:{free_port()}"
    lms_url = f"http://127.0.0.1:{free_port()}"
    with separate_lms(app, tmp_path, tool_url, lms_url) as lms_app:
        yield Lms(lms_url, tool_url, lms_app)
