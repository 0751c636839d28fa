"""A gradebook that misbehaves on command, endpoint by endpoint — the token endpoint, the score
POST, the line-items service and the roster's pages — and otherwise behaves like Moodle's (a score
must be strictly later than the last one for that user and line item, or 409).

It records everything it receives: every score POST with what it answered (`received`), and the
values the gradebook held, in the order it came to hold them (`history()`), so a test can assert
the exact sequence each participant's column went through, not just that something arrived."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

# Where a fault can be put: the endpoints a tool calls.
TOKEN = "token"
SCORES = "scores"
LINEITEMS = "lineitems"
MEMBERSHIPS = "memberships"
ENDPOINTS = (TOKEN, SCORES, LINEITEMS, MEMBERSHIPS)


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
class Received:
    """One score POST as it reached the LMS, and what the LMS answered."""

    user_id: str
    lineitem: str
    score_given: float
    timestamp: str
    status: int  # 200 applied, 409 refused as not newer, or the scripted fault's status
    fault: str = ""  # the scripted behaviour it met, "" when none


@dataclass
class FlakyLms:
    port: int
    # What the next requests to each endpoint get: "ok", "429", "500", "401", "slow", "400",
    # "404". A fault is used up by the first request to its endpoint.
    faults: dict[str, deque[str]] = field(
        default_factory=lambda: {name: deque() for name in ENDPOINTS}
    )
    accepted: list[Accepted] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    posts: int = 0  # every score POST that reached us, accepted or not
    token_requests: int = 0
    tokens: set[str] = field(default_factory=set)
    slow_seconds: float = 2.0
    latency: float = 0.0  # every score POST waits this long (an LMS far away, or busy)
    # The line-items service: the items it holds, and every request to it ("GET"/"POST").
    lineitems: list[dict[str, Any]] = field(default_factory=list)
    lineitem_requests: list[str] = field(default_factory=list)
    # The roster (NRPS), served `page_size` members a page with rel="next" links.
    members: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    roster_requests: list[int] = field(default_factory=list)  # the page asked for, in order
    # What the worker's concurrency looks like from here: score requests being answered at
    # once (all, and per user), and the client connections they came on.
    max_in_flight: int = 0
    max_in_flight_per_user: int = 0
    connections: set[int] = field(default_factory=set)
    _in_flight: int = 0
    _user_in_flight: dict[str, int] = field(default_factory=dict)
    _server: Any = None
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _last: dict[tuple[str, str], datetime] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail(self, endpoint: str, *behaviours: str) -> None:
        """Script the next answers of one endpoint."""
        assert endpoint in ENDPOINTS, endpoint
        with self._lock:
            self.faults[endpoint].extend(behaviours)

    def _next(self, endpoint: str) -> str:
        with self._lock:
            queue = self.faults[endpoint]
            return queue.popleft() if queue else "ok"

    def _authorised(self) -> bool:
        auth = request.headers.get("Authorization", "")
        return auth.removeprefix("Bearer ") in self.tokens

    def app(self) -> Flask:
        app = Flask("flaky-lms")

        @app.post("/token")
        def token() -> Any:
            with self._lock:
                self.token_requests += 1
                number = self.token_requests
            behaviour = self._next(TOKEN)
            if behaviour != "ok":
                return self._misbehave(behaviour)
            assert request.form["grant_type"] == "client_credentials"
            assert request.form["client_assertion"]
            value = f"token-{number}"
            self.tokens.add(value)
            return jsonify(access_token=value, token_type="bearer", expires_in=3600)

        @app.post("/lineitems/<item>/scores")
        def scores(item: str) -> Any:
            user = (request.get_json(force=True, silent=True) or {}).get("userId", "")
            with self._lock:
                self.posts += 1
                self.connections.add(int(request.environ.get("REMOTE_PORT", 0)))
                self._in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self._in_flight)
                mine = self._user_in_flight.get(user, 0) + 1
                self._user_in_flight[user] = mine
                self.max_in_flight_per_user = max(self.max_in_flight_per_user, mine)
            try:
                return score(item)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self._user_in_flight[user] -= 1

        def score(item: str) -> Any:
            if self.latency:
                time.sleep(self.latency)
            score = request.get_json(force=True)
            behaviour = self._next(SCORES)
            if behaviour == "slow":
                # Answers after the tool gave up waiting, having applied the score anyway.
                time.sleep(self.slow_seconds)
            elif behaviour != "ok":
                self._record(item, score, int(behaviour), behaviour)
                return self._misbehave(behaviour)
            if not self._authorised():
                self._record(item, score, 401, behaviour if behaviour != "ok" else "")
                return "unknown token", 401
            for key in ("userId", "timestamp", "activityProgress", "gradingProgress"):
                assert key in score, key
            stamp = datetime.fromisoformat(score["timestamp"])
            assert stamp.tzinfo is not None
            fault = "" if behaviour == "ok" else behaviour
            with self._lock:
                last = self._last.get((score["userId"], item))
                if last is not None and stamp <= last:
                    self._record(item, score, 409, fault, locked=True)
                    return "Refusing score with an earlier timestamp", 409
                if score["scoreGiven"] > score["scoreMaximum"]:
                    self._record(item, score, 400, fault, locked=True)
                    return "scoreGiven above scoreMaximum", 400
                self._last[(score["userId"], item)] = stamp
                self._record(item, score, 200, fault, locked=True)
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

        @app.get("/lineitems")
        def list_lineitems() -> Any:
            self.lineitem_requests.append("GET")
            behaviour = self._next(LINEITEMS)
            if behaviour != "ok":
                return self._misbehave(behaviour)
            if not self._authorised():
                return "unknown token", 401
            return jsonify(self.lineitems)

        @app.post("/lineitems")
        def create_lineitem() -> Any:
            self.lineitem_requests.append("POST")
            behaviour = self._next(LINEITEMS)
            if behaviour != "ok":
                return self._misbehave(behaviour)
            if not self._authorised():
                return "unknown token", 401
            body = request.get_json(force=True)
            if self.latency:
                time.sleep(self.latency)  # a slow LMS: a second request would arrive meanwhile
            with self._lock:
                # Numbered from 101, apart from the items tests name themselves (/lineitems/1).
                item = {**body, "id": f"{self.url}/lineitems/{101 + len(self.lineitems)}"}
                self.lineitems.append(item)
            return jsonify(item), 201

        @app.get("/memberships")
        def memberships() -> Any:
            page = int(request.args.get("page", "1"))
            self.roster_requests.append(page)
            behaviour = self._next(MEMBERSHIPS)
            if behaviour != "ok":
                return self._misbehave(behaviour)
            if not self._authorised():
                return "unknown token", 401
            start = (page - 1) * self.page_size
            body = {
                "id": f"{self.url}/memberships",
                "context": {"id": "course-1"},
                "members": self.members[start : start + self.page_size],
            }
            response = jsonify(body)
            if start + self.page_size < len(self.members):
                response.headers["Link"] = f'<{self.url}/memberships?page={page + 1}>; rel="next"'
            return response

        return app

    def _record(
        self, item: str, score: dict[str, Any], status: int, fault: str, locked: bool = False
    ) -> None:
        entry = Received(
            str(score.get("userId")),
            item,
            float(score.get("scoreGiven", -1)),
            str(score.get("timestamp")),
            status,
            fault,
        )
        if locked:
            self.received.append(entry)
        else:
            with self._lock:
                self.received.append(entry)

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

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every score POST that reached us has been answered (one the tool gave up
        waiting for is still being handled)."""
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not self._in_flight, "a score POST is still being handled"

    def latest(self) -> dict[tuple[str, str], Accepted]:
        result: dict[tuple[str, str], Accepted] = {}
        for score in self.accepted:
            result[(score.user_id, score.lineitem)] = score
        return result

    def history(self) -> dict[tuple[str, str], list[float]]:
        """The values each (participant, line item) column held, in the order it held them."""
        result: dict[tuple[str, str], list[float]] = {}
        for score in self.accepted:
            result.setdefault((score.user_id, score.lineitem), []).append(score.score_given)
        return result
