"""Key-set refresh: re-fetch platforms' key sets older than `jwks_cache_seconds`, so that a
launch never waits on the LMS for keys."""

from __future__ import annotations

from lti_tool.lti import platform_keys

INTERVAL_SECONDS = 600.0


def run_once() -> int:
    """Refresh stale key sets; returns how many were refreshed."""
    return platform_keys.refresh_stale_key_sets()
