"""Two requests landing at the same moment, each in its own database session: the second starts
while the first is inside its INSERT into (or UPDATE of) a table, held there a moment. Without a
lock both have looked before either has written: two copies of one thing, or a save that
silently overwrites the other's."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from flask import Flask
from sqlalchemy import event

from lti_tool.models import db
from tests.conftest import DATABASE_URL

T = TypeVar("T")

# Row locks are PostgreSQL's; SQLite (a development database) has none.
needs_row_locks = pytest.mark.skipif(
    not DATABASE_URL, reason="row locks need a server database (SENDA_TEST_DATABASE_URL)"
)


def at_the_same_moment(
    app: Flask, table: str, call: Callable[[], T], *, writing_with: str = "INSERT INTO"
) -> list[T]:
    """`call` twice, in two threads, the second started while the first is writing to
    `table` (`writing_with` "UPDATE" for a change of a row); their results in the order they
    finished."""
    db.session.commit()  # the test's own writes, visible to both
    writing = threading.Event()
    prefix = f"{writing_with} {table} "

    def slow_insert(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith(prefix):
            writing.set()
            time.sleep(0.3)

    results: list[T] = []
    errors: list[BaseException] = []

    def one() -> None:
        with app.app_context():
            try:
                results.append(call())
            except BaseException as error:  # re-raised in the test's thread
                errors.append(error)
            finally:
                db.session.remove()

    engine = db.engine
    event.listen(engine, "before_cursor_execute", slow_insert)
    try:
        first = threading.Thread(target=one)
        first.start()
        assert writing.wait(10), f"the first call never wrote to {table}"
        second = threading.Thread(target=one)
        second.start()
        first.join(30)
        second.join(30)
    finally:
        event.remove(engine, "before_cursor_execute", slow_insert)
    if errors:
        raise errors[0]
    return results
