"""Which statements may run without a transaction (lti_tool/__init__.py, only_reads): a read
that holds nothing until a commit. Everything else makes psycopg send BEGIN first, so a row
lock, a transaction-local setting or a write is never cut short by autocommit. (The behaviour on
a real server is in test_pool.py.)"""

from __future__ import annotations

import pytest

from lti_tool import only_reads


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT 1",
        "  \n  select lti_user.id FROM lti_user WHERE lti_user.sub = %(sub)s",
        "SELECT count(*) FROM score_outbox WHERE note = 'for updates'",  # words, not a clause
    ],
)
def test_a_plain_read_runs_without_a_transaction(statement: str) -> None:
    assert only_reads(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO platform (issuer) VALUES (%(issuer)s) RETURNING id",
        "UPDATE activity_progress SET revision = 2 WHERE id = 1",
        "DELETE FROM one_time_item WHERE key = %(key)s",
        "WITH due AS (SELECT id FROM score_outbox) UPDATE score_outbox SET state = 'x'",
        "SELECT id FROM workshop_session WHERE id = 1 FOR UPDATE",
        "SELECT id FROM score_outbox\nFOR  UPDATE SKIP LOCKED",
        "select id from platform for no key update",
        "SELECT id FROM platform FOR SHARE",
        "SELECT id FROM platform FOR KEY SHARE",
        "SELECT set_config('enable_sort', 'off', true)",
        "SELECT pg_advisory_xact_lock(7)",
        "SAVEPOINT sa_savepoint_1",
        "SET LOCAL lock_timeout = '1s'",
    ],
)
def test_a_write_a_lock_or_a_setting_begins_a_transaction(statement: str) -> None:
    assert not only_reads(statement)
