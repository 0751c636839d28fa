"""Database connections: no liveness round trip for a connection that just worked, and a
connection the server closed while it sat idle is replaced before a page uses it."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text

import lti_tool
from lti_tool.models import db
from tests.conftest import DATABASE_URL

pytestmark = pytest.mark.skipif(
    not DATABASE_URL, reason="a server database (SENDA_TEST_DATABASE_URL) closes connections"
)


def _backend_pid(app: Flask) -> int:
    with app.app_context():
        pid = int(db.session.scalar(text("SELECT pg_backend_pid()")) or 0)
        db.session.remove()
    return pid


def test_pool_a_connection_just_used_is_not_pinged(app: Flask) -> None:
    pings = []
    with app.app_context():
        engine = db.engine
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda connection: pings.append(1) or original(connection)  # type: ignore[method-assign]
    try:
        for _ in range(5):
            _backend_pid(app)
    finally:
        engine.dialect.do_ping = original  # type: ignore[method-assign]
    assert pings == []


def test_pool_a_connection_closed_while_idle_is_replaced(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(app)
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    # The connection has sat idle long enough to be checked.
    monkeypatch.setattr(lti_tool, "IDLE_BEFORE_PING_SECONDS", 0.0)
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    second = _backend_pid(app)
    assert second != first
    assert any("pg_backend_pid" in s for s in statements)
