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


def _parsed() -> dict[tuple[int, str], RSAPublicKey]:
    parsed: dict[tuple[int, str], RSAPublicKey] = memo("platform_keys", dict)
    return parsed


class KeyNotFound(LookupError):
    """No key with this kid, even after a permitted re-fetch."""


class KeySetUnavailable(RuntimeError):
    """The platform's JWKS could not be fetched (down, slow, or not JSON)."""


def _parse_key_set(platform_id: int, key_set: dict[str, Any]) -> None:
    for jwk in key_set.get("keys", []):
        kid = jwk.get("kid")
        if not kid or jwk.get("kty") != "RSA" or jwk.get("alg", "RS256") != "RS256":
            continue
        try:
            key = RSAAlgorithm.from_jwk(json.dumps(jwk))
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(key, RSAPublicKey):
            _parsed()[(platform_id, kid)] = key


def _lock_for(platform_id: int) -> threading.Lock:
    locks: dict[int, threading.Lock] = memo("platform_key_locks", dict)
    with _locks_guard:
        return locks.setdefault(platform_id, threading.Lock())


def public_key(platform_id: int, kid: str) -> RSAPublicKey:
    """The platform's key for `kid`, fetching the key set only if the kid is unknown."""
    key = _parsed().get((platform_id, kid))
    if key is not None:
        return key
    with _lock_for(platform_id):
        key = _parsed().get((platform_id, kid))
        if key is not None:
            return key
        platform = db.session.get(Platform, platform_id)
        if platform is None:
            raise KeyNotFound(kid)
        if platform.key_set:
            _parse_key_set(platform_id, platform.key_set)
            key = _parsed().get((platform_id, kid))
            if key is not None:
                return key
        if not _claim_fetch(platform_id):
            raise KeyNotFound(kid)
        _parse_key_set(platform_id, fetch_and_store(platform_id, platform.key_set_url))
        key = _parsed().get((platform_id, kid))
        if key is None:
            raise KeyNotFound(kid)
        return key


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
        # Forget parsed keys the platform no longer publishes.
        parsed = _parsed()
        for cached in [k for k in parsed if k[0] == platform_id]:
            del parsed[cached]
        _parse_key_set(platform_id, key_set)
        refreshed += 1
    return refreshed


def forget_cached_keys() -> None:
    forget("platform_keys")
