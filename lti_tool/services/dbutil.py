"""Small database helpers that work the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from lti_tool.extensions import db


def upsert(model: Any, values: dict[str, Any], keys: Sequence[str], update: Sequence[str]) -> int:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET update; return the row's id. One statement, so
    a double-submitted launch cannot create two rows."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(**values)
    changes = {name: statement.excluded[name] for name in update} or {
        keys[0]: statement.excluded[keys[0]]
    }
    statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
    row_id: int = db.session.execute(statement.returning(model.id)).scalar_one()
    return row_id
