"""Retention: erase people who stopped coming longer ago than the programme keeps data, and
forget old access-log rows (`[privacy]` settings)."""

from __future__ import annotations

from lti_tool.services import privacy

INTERVAL_SECONDS = 6 * 3600.0


def run_once() -> tuple[int, int]:
    """(people erased, access-log rows deleted)."""
    return privacy.purge_expired()
