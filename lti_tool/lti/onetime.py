"""Values that can be taken exactly once: the OIDC state with its nonce, launch hand-over tickets.

They must live where every worker sees them (several gunicorn processes serve one launch: the
login on one, the launch POST on another), and taking one must be atomic, so a replayed launch
finds nothing even when the replay races the original on another worker. Redis `GETDEL` when
`redis_url` is set; otherwise a database `DELETE … RETURNING` in its own short transaction.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any, Protocol

from flask import Flask, current_app
from sqlalchemy import delete, insert, select

from lti_tool.lti.errors import LaunchRejected
from lti_tool.models import OneTimeItem, db, utcnow
from lti_tool.settings import Settings


class OneTimeStore(Protocol):
    def put(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None: ...

    def take(self, key: str) -> dict[str, Any] | None:
        """Return the value and forget it; None if it never existed, expired or was taken."""

    def ping(self) -> bool:
        """Whether the store answers."""

    def peek(self, key: str) -> dict[str, Any] | None:
        """The value, left in place; None if absent or expired."""


class DatabaseOneTimeStore:
    def ping(self) -> bool:
        return True  # the database's own health is checked on its own

    def peek(self, key: str) -> dict[str, Any] | None:
        with db.engine.connect() as conn:
            row = conn.execute(
                select(OneTimeItem.value, OneTimeItem.expires_at).where(OneTimeItem.key == key)
            ).first()
        if row is None or row.expires_at < utcnow():
            return None
        value: dict[str, Any] = json.loads(row.value)
        return value

    def put(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        now = utcnow()
        # Its own transaction: a login writes nothing else, and must not depend on the request's.
        with db.engine.begin() as conn:
            if random.random() < 0.05:  # noqa: S311 - sweeping expired items now and then is enough
                conn.execute(delete(OneTimeItem).where(OneTimeItem.expires_at < now))
            conn.execute(
                insert(OneTimeItem).values(
                    key=key,
                    value=json.dumps(value),
                    expires_at=now + timedelta(seconds=ttl_seconds),
                )
            )

    def take(self, key: str) -> dict[str, Any] | None:
        with db.engine.begin() as conn:
            row = conn.execute(
                delete(OneTimeItem)
                .where(OneTimeItem.key == key)
                .returning(OneTimeItem.value, OneTimeItem.expires_at)
            ).first()
        if row is None or row.expires_at < utcnow():
            return None
        value: dict[str, Any] = json.loads(row.value)
        return value


class RedisOneTimeStore:
    prefix = "senda:once:"

    def __init__(self, url: str) -> None:
        import redis  # imported here so SQLite-only installs never need a Redis server

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors = (redis.RedisError,)

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except self._errors:
            return False

    def peek(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self._redis.get(self.prefix + key)
        except self._errors as exc:
            raise LaunchRejected("state_store_unavailable") from exc
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(raw)  # type: ignore[arg-type,unused-ignore]
        return value

    def put(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        try:
            self._redis.set(self.prefix + key, json.dumps(value), ex=ttl_seconds, nx=True)
        except self._errors as exc:
            raise LaunchRejected("state_store_unavailable") from exc

    def take(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self._redis.getdel(self.prefix + key)
        except self._errors as exc:
            raise LaunchRejected("state_store_unavailable") from exc
        if raw is None:
            return None
        value: dict[str, Any] = json.loads(raw)  # type: ignore[arg-type,unused-ignore]
        return value


def init_app(app: Flask, config: Settings) -> None:
    url = config.redis_url
    app.extensions["senda_onetime"] = RedisOneTimeStore(url) if url else DatabaseOneTimeStore()


def store() -> OneTimeStore:
    result: OneTimeStore = current_app.extensions["senda_onetime"]
    return result
