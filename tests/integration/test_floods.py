"""A bounded flood over real HTTP (loopback, 600 requests): one client hammers the anonymous
login endpoint; the limiter holds, the launch-state store stays small and memory stays flat."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import requests
from flask import Flask
from sqlalchemy import func, select

from lti_tool.models import OneTimeItem, db
from tests.conftest import REDIS_URL
from tests.support.lti import Launcher
from tests.support.servers import free_port, serving


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_floods_a_login_flood_is_held_and_memory_stays_flat(app: Flask, launcher: Launcher) -> None:
    port = free_port()
    params = {
        "iss": launcher.platform.issuer,
        "login_hint": "x" * 1000,
        "lti_message_hint": "y" * 2000,
        "target_link_uri": f"http://127.0.0.1:{port}/lti/launch",
        "client_id": launcher.platform.client_id,
    }
    statuses: list[int] = []
    lock = threading.Lock()

    def hammer(left: list[int]) -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    if not left[0]:
                        return
                    left[0] -= 1
                status = session.get(
                    f"http://127.0.0.1:{port}/lti/login", params=params, allow_redirects=False
                ).status_code
                with lock:
                    statuses.append(status)

    def flood(requests_sent: int) -> int:
        # A count, not a duration: a slow machine sends as many requests, only later.
        left = [requests_sent]
        threads = [threading.Thread(target=hammer, args=(left,)) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        gc.collect()
        return rss_kib()

    with serving(app, port):
        # A first flood warms every cache and pool; the second must not grow memory further:
        # refused requests cost nothing that stays.
        before = flood(300)
        after = flood(300)
    accepted = statuses.count(302)
    assert accepted <= 120  # the per-address limit over a minute
    assert len(statuses) == 600
    assert statuses.count(429) >= len(statuses) - 120
    if not REDIS_URL:
        stored = db.session.scalar(select(func.count()).select_from(OneTimeItem)) or 0
        assert stored <= 120
    assert after - before < 4 * 1024, f"RSS grew by {after - before} KiB"
    print(f"\nflood: {len(statuses)} requests, {accepted} accepted, RSS {before} -> {after} KiB")
