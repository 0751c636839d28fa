"""Helpers for tests that walk a participant's or facilitator's pages like a browser."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def csrf(client: FlaskClient, path: str = "/plan") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def post(
    client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> TestResponse:
    data = dict(data or {})
    data.setdefault("csrf_token", csrf(client, kwargs.pop("token_from", "/plan")))
    return client.post(path, data=data, **kwargs)


def intake(
    client: FlaskClient, answers: dict[str, Any] | None = None, **demographics: Any
) -> TestResponse:
    """Answer the intake (business starter by default)."""
    data: dict[str, Any] = dict(answers or {"goal": "own-business", "has-business": "no"})
    data.update(demographics)
    return post(client, "/intake", data, token_from="/intake")
