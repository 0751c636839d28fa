"""The platforms' public keys, cached so that a launch never waits on the LMS.

A launch looks its `kid` up in a per-process cache of parsed keys, then in the key set stored in
the database. Only an unknown `kid` triggers a fetch of the platform's JWKS (a key rotation), and
at most once per `jwks_refetch_interval_seconds` per platform across all workers, so a flood of
forged kids cannot make us hammer the LMS. Stale key sets are refreshed off the hot path by the
outbox worker (`refresh_stale_key_sets`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import or_, select, update

from lti_tool.lti import http
from lti_tool.memo import forget, memo
from lti_tool.models import Platform, db, utcnow
from lti_tool.settings import settings

log = logging.getLogger(__name__)

_locks_guard = threading.Lock()


# A worker re-reads a platform's stored key set this often, so a key the platform removed (and
# another worker's fetch dropped) stops verifying here too within seconds.
KEYS_FRESH_SECONDS = 10.0


@dataclass(frozen=True)
class _KeyMap:
    read_at: float
    keys: dict[str, RSAPublicKey]


def _maps() -> dict[int, _KeyMap]:
    found: dict[int, _KeyMap] = memo("platform_keys", dict)
    return found


class KeyNotFound(LookupError):
    """No key with this kid, even after a permitted re-fetch."""


class KeySetUnavailable(RuntimeError):
    """The platform's JWKS could not be fetched (down, slow, too large, or not JSON)."""


def _parse_key_set(key_set: dict[str, Any] | None) -> dict[str, RSAPublicKey]:
    keys: dict[str, RSAPublicKey] = {}
    for jwk in (key_set or {}).get("keys", []):
        if not isinstance(jwk, dict):
            continue
        kid = jwk.get("kid")
        if not kid or jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
            continue
        try:
            key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(key, RSAPublicKey):
            keys[str(kid)] = key
    return keys


def _remember(platform_id: int, key_set: dict[str, Any] | None) -> dict[str, RSAPublicKey]:
    """Replace the platform's keys as a whole: a kid no longer published is gone."""
    keys = _parse_key_set(key_set)
    _maps()[platform_id] = _KeyMap(time.monotonic(), keys)
    return keys


def _lock_for(platform_id: int) -> threading.Lock:
    locks: dict[int, threading.Lock] = memo("platform_key_locks", dict)
    with _locks_guard:
        return locks.setdefault(platform_id, threading.Lock())


def public_key(platform_id: int, kid: str) -> RSAPublicKey:
    """The platform's key for `kid`. Known keys come from memory (re-read from the database
    every few seconds); an unknown kid fetches the key set, at most once per interval."""
    known = _maps().get(platform_id)
    if known is not None and time.monotonic() - known.read_at < KEYS_FRESH_SECONDS:
        key = known.keys.get(kid)
        if key is not None:
            return key
    with _lock_for(platform_id):
        platform = db.session.get(Platform, platform_id)
        if platform is None:
            raise KeyNotFound(kid)
        keys = _remember(platform_id, platform.key_set)
        if kid in keys:
            return keys[kid]
        if not _claim_fetch(platform_id):
            raise KeyNotFound(kid)
        keys = _remember(platform_id, fetch_and_store(platform_id, platform.key_set_url))
        if kid not in keys:
            raise KeyNotFound(kid)
        return keys[kid]


def _claim_fetch(platform_id: int) -> bool:
    """Atomically take the right to fetch: only if the last fetch is older than the interval."""
    interval = settings().lti.jwks_refetch_interval_seconds
    now = utcnow()
    with db.engine.begin() as conn:
        result = conn.execute(
            update(Platform)
            .where(
                Platform.id == platform_id,
                or_(
                    Platform.key_set_fetched_at.is_(None),
                    Platform.key_set_fetched_at < now - timedelta(seconds=interval),
                ),
            )
            .values(key_set_fetched_at=now)
        )
        return bool(result.rowcount)


def fetch_and_store(platform_id: int, key_set_url: str) -> dict[str, Any]:
    try:
        key_set = http.get_json(key_set_url)
    except (requests.RequestException, ValueError) as exc:
        log.warning("key set fetch failed for platform %s: %s", platform_id, type(exc).__name__)
        raise KeySetUnavailable(str(platform_id)) from exc
    if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
        raise KeySetUnavailable(str(platform_id))
    with db.engine.begin() as conn:
        conn.execute(
            update(Platform)
            .where(Platform.id == platform_id)
            .values(key_set=key_set, key_set_fetched_at=utcnow())
        )
    return key_set


def refresh_stale_key_sets() -> int:
    """Re-fetch key sets older than `jwks_cache_seconds` (called by the worker, not launches)."""
    max_age = settings().lti.jwks_cache_seconds
    cutoff = utcnow() - timedelta(seconds=max_age)
    stale = db.session.execute(
        select(Platform.id, Platform.key_set_url).where(
            Platform.active.is_(True),
            or_(Platform.key_set_fetched_at.is_(None), Platform.key_set_fetched_at < cutoff),
        )
    ).all()
    refreshed = 0
    for platform_id, url in stale:
        try:
            key_set = fetch_and_store(platform_id, url)
        except KeySetUnavailable:
            continue
        _remember(platform_id, key_set)  # keys the platform no longer publishes are gone
        refreshed += 1
    return refreshed


def forget_cached_keys() -> None:
    forget("platform_keys")
