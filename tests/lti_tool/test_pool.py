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


def _prepared_statements(app: Flask, marker: str) -> int:
    with app.app_context():
        found = db.session.scalar(
            text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :marker"),
            {"marker": f"%{marker}%"},
        )
        db.session.remove()
    return int(found or 0)


def test_pool_requests_that_only_read_keep_the_prepared_statements(app: Flask) -> None:
    """psycopg prepares a query it ran five times, and forgets them all on a rollback: ending
    every read with one meant PostgreSQL planned her plan's query afresh on every page."""
    pid = _backend_pid(app)
    for _ in range(7):  # seven requests, each one read and nothing else
        with app.app_context():
            db.session.execute(text("SELECT 'senda-prepared-probe' WHERE 1 = :one"), {"one": 1})
            db.session.remove()
    assert _backend_pid(app) == pid  # the same pooled connection served them all
    assert _prepared_statements(app, "senda-prepared-probe") == 1


def test_pool_a_transaction_that_wrote_still_rolls_back(app: Flask) -> None:
    """Only a transaction that ran nothing but SELECTs ends with COMMIT; one that wrote and was
    not committed (a 4xx after a flush, an exception) leaves nothing behind."""
    from tests.factories import PlatformFactory

    with app.app_context():
        db.session.execute(text("SELECT 1"))  # a read first, then the write
        db.session.add(PlatformFactory.build(issuer="https://never-committed.example"))
        db.session.flush()
        db.session.remove()  # the end of a request that did not commit
    with app.app_context():
        left = db.session.scalar(
            text("SELECT count(*) FROM platform WHERE issuer = 'https://never-committed.example'")
        )
        db.session.remove()
    assert left == 0


def test_pool_a_failed_read_rolls_back_and_the_next_request_works(app: Flask) -> None:
    from sqlalchemy.exc import DBAPIError

    with app.app_context():
        with pytest.raises(DBAPIError):
            db.session.execute(text("SELECT 1 / 0"))
        db.session.remove()
    with app.app_context():
        assert db.session.scalar(text("SELECT 2")) == 2
        db.session.remove()


def test_pool_a_connection_killed_during_a_read_is_replaced(app: Flask) -> None:
    """The server goes away in the middle of a request that only read: ending the request fails
    as it always did (the page was already sent), and the next request gets a new connection."""
    from sqlalchemy.exc import DBAPIError

    with app.app_context():
        pid = int(db.session.scalar(text("SELECT pg_backend_pid()")) or 0)
        admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        with pytest.raises(DBAPIError):
            db.session.remove()  # the end of the request
    assert _backend_pid(app) != pid
