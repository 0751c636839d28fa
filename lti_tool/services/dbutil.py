"""Small database helpers that work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import TextClause, bindparam, inspect, select, text

from lti_tool.models import db

_statements: dict[tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], TextClause] = {}


def upsert(model: Any, values: dict[str, Any], keys: Sequence[str], update: Sequence[str]) -> int:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET update … RETURNING id; the row's id.

    One statement, so a double-submitted launch cannot create two rows. The SQL (the same on
    SQLite ≥ 3.35 and PostgreSQL) is built once per shape and reused: launches run several of
    these and SQLAlchemy would otherwise compile each one anew.
    """
    table = model.__table__
    columns = tuple(values)
    signature = (table.name, columns, tuple(keys), tuple(update))
    statement = _statements.get(signature)
    if statement is None:
        assignments = ", ".join(f"{c} = excluded.{c}" for c in update or keys[:1])
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 - names from the model
            f"VALUES ({', '.join(':' + c for c in columns)}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {assignments} RETURNING id"
        )
        # Typed parameters, so column types (UTC timestamps) convert values as the ORM does.
        statement = text(sql).bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))
        _statements[signature] = statement
    row_id: int = db.session.execute(statement, values).scalar_one()
    return row_id


def hold_until_commit(model: Any, row_id: int) -> None:
    """Lock one row until this transaction ends, so that two requests for the same thing
    (a double tap, two tabs) landing at the same moment are served one after the other: the
    second waits, then finds what the first saved. PostgreSQL; SQLite, a development
    database, has no row locks and ignores it."""
    table = model.__table__
    db.session.execute(select(table.c.id).where(table.c.id == row_id).with_for_update()).all()


def read_under_lock(row: Any) -> None:
    """Read `row` again and lock it until this transaction ends (as hold_until_commit): a save
    then compares what it sends with what the save before it wrote, not with what this request
    read first. Two saves at the same moment (a double tap, two tabs, two of the team) are
    served one after the other, and a page's revision check sees the first one's. Call it
    before reading the row's fields; a row not yet in the database has nothing to lock."""
    if inspect(row).persistent:
        db.session.refresh(row, with_for_update=True)
