"""A simulated LMS for `make bench`: the AGS token endpoint and score endpoints of a gradebook,
`latency` seconds away.

Every request is answered `latency` seconds after it arrived, and a new connection costs one
more round trip before its first request is read (its handshake): a worker that opens a
connection per score pays for it, one that keeps them open does not. HTTP/1.1 with keep-alive,
a thread per connection (as a real LMS behind a load balancer takes many requests at once).

It checks what a gradebook checks: a bearer token it issued, the score's fields, and a
timestamp strictly later than the last one for the same user and line item (else 409, as
Moodle). It runs in a process of its own (`python -m tests.support.sim_lms PORT LATENCY`, prints
"ready"), so it never shares the worker's interpreter; `GET /stats` gives its counts as JSON.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LATENCY = 0.0
_lock = threading.Lock()
_tokens: set[str] = set()
_last: dict[tuple[str, str], datetime] = {}
STATS: dict[str, int] = {
    "connections": 0,
    "token_requests": 0,
    "scores": 0,
    "accepted": 0,
    "refused_409": 0,
    "bad_requests": 0,
    "unauthorised": 0,
}


def _count(name: str) -> None:
    with _lock:
        STATS[name] += 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        _count("connections")
        if LATENCY:
            time.sleep(LATENCY)  # the connection's handshake: one round trip

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"", kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/stats":
            with _lock:
                body = json.dumps(STATS).encode()
            self._answer(200, body, "application/json")
        else:
            self._answer(404)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if LATENCY:
            time.sleep(LATENCY)
        if self.path == "/token":
            _count("token_requests")
            if b"client_assertion=" not in body or b"client_credentials" not in body:
                self._answer(400)
                return
            token = secrets.token_hex(16)
            with _lock:
                _tokens.add(token)
            answer = {"access_token": token, "token_type": "bearer", "expires_in": 3600}
            self._answer(200, json.dumps(answer).encode(), "application/json")
        elif self.path.startswith("/lineitems/") and self.path.endswith("/scores"):
            self._score(self.path.split("/")[2], body)
        else:
            self._answer(404)

    def _score(self, item: str, body: bytes) -> None:
        _count("scores")
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        with _lock:
            known = token in _tokens
        if not known:
            _count("unauthorised")
            self._answer(401)
            return
        try:
            score = json.loads(body)
            stamp = datetime.fromisoformat(score["timestamp"])
            valid = (
                stamp.tzinfo is not None
                and score["activityProgress"]
                and score["gradingProgress"]
                and 0 <= score["scoreGiven"] <= score["scoreMaximum"]
            )
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            _count("bad_requests")
            self._answer(400)
            return
        with _lock:
            last = _last.get((score["userId"], item))
            later = last is None or stamp > last
            if later:
                _last[(score["userId"], item)] = stamp
                STATS["accepted"] += 1
            else:
                STATS["refused_409"] += 1
        self._answer(200 if later else 409)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many connections opened at once must not wait for a retry


def main() -> None:
    global LATENCY
    port, LATENCY = int(sys.argv[1]), float(sys.argv[2])
    server = Server(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
