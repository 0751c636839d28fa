"""Rate limits on the anonymous LTI login, per client address and per platform.

Counted by the `limits` library (the one Flask-Limiter is built on), in fixed windows: in Redis
when Senda has one, shared by every worker; in this process's memory otherwise, and for as long as
Redis does not answer (a login is then limited per worker rather than not at all). Flask-Limiter
itself added about 0.8 ms of work to every login and some to every other request (`make bench`),
more than the login's own work; only the login needs a limit, so the view asks for it.

The client's address is the socket's, or the one ProxyFix took from the proxy (`proxy_count`).
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from lti_tool.settings import settings

log = logging.getLogger(__name__)

PREFIX = "senda-limits"
# After Redis failed to answer, count in memory for this long before asking it again.
RETRY_REDIS_AFTER_SECONDS = 10.0


@lru_cache(maxsize=64)
def _item(notation: str) -> RateLimitItem:
    return parse(notation)


class Limiter:
    def __init__(self, redis_url: str | None) -> None:
        self.memory = FixedWindowRateLimiter(MemoryStorage())
        storage: Storage | None = None
        if redis_url:
            storage = RedisStorage(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self.shared = FixedWindowRateLimiter(storage) if storage else None
        self.shared_failed_at = 0.0

    def hit(self, item: RateLimitItem, *key: str) -> bool:
        """Count one request; False when the limit is spent."""
        now = time.monotonic()
        if self.shared and now - self.shared_failed_at > RETRY_REDIS_AFTER_SECONDS:
            try:
                return self.shared.hit(item, PREFIX, *key)
            except Exception:  # Redis down or slow: count here rather than refuse or let through
                self.shared_failed_at = now
                log.warning("rate limits counted in memory", extra={"event": "limits"})
        return self.memory.hit(item, PREFIX, *key)


def init_app(app: Flask) -> None:
    app.extensions["senda_limiter"] = Limiter(app.config["SENDA"].redis_url)


def check_login() -> None:
    """Count this login against its client address and its platform; 429 when either is spent.
    Raises werkzeug's TooManyRequests, whose page says when to come back."""
    config = settings().limits
    if not config.enabled:
        return
    limiter: Limiter = current_app.extensions["senda_limiter"]
    address = request.remote_addr or "unknown"
    issuer = (request.values.get("iss") or "")[:255]
    for notation, key in (
        (config.login_per_address, "address:" + address),
        (config.login_per_platform, "iss:" + issuer),
    ):
        item = _item(notation)
        if not limiter.hit(item, "login", key):
            raise TooManyRequests(retry_after=item.get_expiry())
