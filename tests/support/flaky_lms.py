"""A gradebook that misbehaves on command: down, slow, 429, 500, 401 — and otherwise behaves like
Moodle's (a score must be strictly later than the last one for that user and line item, or 409)."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import make_server


@dataclass
class Accepted:
    user_id: str
    lineitem: str
    score_given: float
    score_maximum: float
    activity_progress: str
    timestamp: str
    received: float = field(default_factory=time.monotonic)  # when it reached the LMS


@dataclass
class FlakyLms:
    port: int
    # What the next requests get: "ok", "429", "500", "401", "slow", "400", "404".
    script: deque[str] = field(default_factory=deque)
    accepted: list[Accepted] = field(default_factory=list)
    posts: int = 0  # every score POST that reached us, accepted or not
    token_requests: int = 0
    tokens: set[str] = field(default_factory=set)
    slow_seconds: float = 2.0
    latency: float = 0.0  # every score POST waits this long (an LMS far away, or busy)
    # What the worker's concurrency looks like from here: score requests being answered at
    # once (all, and per user), and the client connections they came on.
    in_flight: int = 0
    max_in_flight: int = 0
    max_in_flight_per_user: int = 0
    connections: set[int] = field(default_factory=set)
    # The line items it holds, created by POST /lineitems (a tool that finds none creates one).
    lineitems: list[dict[str, Any]] = field(default_factory=list)
    _user_in_flight: dict[str, int] = field(default_factory=dict)
    _server: Any = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last: dict[tuple[str, str], datetime] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Flask:
        app = Flask("flaky-lms")

        def next_behaviour() -> str:
            with self._lock:
                return self.script.popleft() if self.script else "ok"

        @app.post("/token")
        def token() -> Any:
            self.token_requests += 1
            behaviour = next_behaviour()
            if behaviour != "ok":
                return self._misbehave(behaviour)
            assert request.form["grant_type"] == "client_credentials"
            assert request.form["client_assertion"]
            value = f"token-{self.token_requests}"
            self.tokens.add(value)
            return jsonify(access_token=value, token_type="bearer", expires_in=3600)

        @app.get("/lineitems")
        def list_lineitems() -> Any:
            with self._lock:
                return jsonify(list(self.lineitems))

        @app.post("/lineitems")
        def create_lineitem() -> Any:
            item = request.get_json(force=True)
            if self.latency:
                time.sleep(self.latency)  # a slow LMS: a second request would arrive meanwhile
            with self._lock:
                item["id"] = f"{self.url}/lineitems/{len(self.lineitems) + 100}"
                self.lineitems.append(item)
            return jsonify(item), 201

        def answer_score(item: str) -> Any:
            if self.latency:
                time.sleep(self.latency)
            behaviour = next_behaviour()
            if behaviour != "ok":
                return self._misbehave(behaviour)
            auth = request.headers.get("Authorization", "")
            if auth.removeprefix("Bearer ") not in self.tokens:
                return "unknown token", 401
            score = request.get_json(force=True)
            for key in ("userId", "timestamp", "activityProgress", "gradingProgress"):
                assert key in score, key
            stamp = datetime.fromisoformat(score["timestamp"])
            assert stamp.tzinfo is not None
            with self._lock:
                last = self._last.get((score["userId"], item))
                if last is not None and stamp <= last:
                    return "Refusing score with an earlier timestamp", 409
                if score["scoreGiven"] > score["scoreMaximum"]:
                    return "scoreGiven above scoreMaximum", 400
                self._last[(score["userId"], item)] = stamp
                self.accepted.append(
                    Accepted(
                        score["userId"],
                        item,
                        score["scoreGiven"],
                        score["scoreMaximum"],
                        score["activityProgress"],
                        score["timestamp"],
                    )
                )
            return "", 200

        @app.post("/lineitems/<item>/scores")
        def scores(item: str) -> Any:
            user = (request.get_json(force=True, silent=True) or {}).get("userId", "")
            with self._lock:
                self.posts += 1
                self.connections.add(int(request.environ.get("REMOTE_PORT", 0)))
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                mine = self._user_in_flight.get(user, 0) + 1
                self._user_in_flight[user] = mine
                self.max_in_flight_per_user = max(self.max_in_flight_per_user, mine)
            try:
                return answer_score(item)
            finally:
                with self._lock:
                    self.in_flight -= 1
                    self._user_in_flight[user] -= 1

        return app

    def _misbehave(self, behaviour: str) -> Any:
        if behaviour == "slow":
            time.sleep(self.slow_seconds)
            return "", 200
        if behaviour == "401":
            self.tokens.clear()  # the LMS revoked every token
            return "expired", 401
        if behaviour == "429":
            return "slow down", 429, {"Retry-After": "0"}
        return f"error {behaviour}", int(behaviour)

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self.app(), threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def latest(self) -> dict[tuple[str, str], Accepted]:
        result: dict[tuple[str, str], Accepted] = {}
        for score in self.accepted:
            result[(score.user_id, score.lineitem)] = score
        return result
