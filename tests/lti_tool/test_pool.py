"""Database connections: no liveness round trip for a connection that just worked, and a
connection the server closed while it sat idle is replaced before a page uses it."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, select, text

import lti_tool
from lti_tool.models import Platform, db
from lti_tool.services.dbutil import hold_until_commit
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
    """The server goes away in the middle of a request that only read: the request ends as it
    would have (there is no transaction to end), and the next request gets a new connection
    although the old one was used a moment ago."""
    with app.app_context():
        pid = int(db.session.scalar(text("SELECT pg_backend_pid()")) or 0)
        admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        db.session.remove()  # the end of the request
    time.sleep(0.05)  # the server's farewell reaches the socket before the next request
    assert _backend_pid(app) != pid


def test_pool_a_connection_killed_while_in_the_pool_is_replaced_at_once(app: Flask) -> None:
    first = _backend_pid(app)  # used a moment ago: no liveness round trip is due
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    admin.dispose()
    time.sleep(0.05)  # the farewell reaches the socket
    assert _backend_pid(app) not in (first, 0)


def _in_transaction() -> bool:
    from psycopg.pq import TransactionStatus

    dbapi = db.session.connection().connection.dbapi_connection
    assert dbapi is not None
    return bool(dbapi.info.transaction_status != TransactionStatus.IDLE)


def test_pool_a_read_opens_no_transaction(app: Flask) -> None:
    """A page that only reads costs one round trip per query: no BEGIN before it, and no
    COMMIT or ROLLBACK after it."""
    from tests.factories import PlatformFactory

    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.scalar(select(Platform.id).limit(1))
        assert not _in_transaction()
        db.session.add(PlatformFactory.build(issuer="https://begun-by-the-write.example"))
        db.session.flush()
        assert _in_transaction()  # the write began one
        db.session.scalar(select(Platform.id).limit(1))
        assert _in_transaction()  # and what follows reads inside it, its own rows included
        db.session.rollback()
        db.session.remove()


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT id FROM platform WHERE id = 1 FOR UPDATE",
        "SELECT id FROM platform FOR NO KEY UPDATE SKIP LOCKED",
        "SELECT id FROM platform WHERE id = 1 FOR SHARE",
        "SELECT set_config('enable_sort', 'off', true)",
        "SELECT pg_advisory_xact_lock(42)",
    ],
)
def test_pool_a_select_that_holds_something_until_the_commit_begins_a_transaction(
    app: Flask, statement: str
) -> None:
    with app.app_context():
        db.session.execute(text(statement))
        assert _in_transaction()
        db.session.rollback()
        db.session.remove()


def test_pool_a_row_lock_is_held_until_the_commit(app: Flask) -> None:
    """hold_until_commit's lock must outlive its own statement (it did not, run on its own)."""
    from tests.factories import PlatformFactory

    with app.app_context():
        platform = PlatformFactory.build(issuer="https://locked.example")
        db.session.add(platform)
        db.session.commit()
        platform_id = platform.id
        hold_until_commit(Platform, platform_id)
        other = create_engine(DATABASE_URL)
        with other.connect() as connection:
            connection.execute(text("SET lock_timeout = '100ms'"))
            with pytest.raises(Exception, match="lock timeout"):
                connection.execute(
                    text("SELECT id FROM platform WHERE id = :id FOR UPDATE"), {"id": platform_id}
                )
        other.dispose()
        db.session.rollback()
        db.session.remove()
