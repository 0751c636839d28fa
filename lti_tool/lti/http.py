"""Outgoing HTTP to LMSs: one pooled session, a User-Agent (Canvas requires one since 2026),
timeouts, no redirects, no proxies from the environment, and a guard against requests into our own
network (SSRF).

The guard sits in the connection itself: the host is resolved once, every address it resolves to
must be public, and the socket connects to one of those very addresses (TLS still verifies the
certificate against the host name). There is no window between the check and the connection in
which DNS could answer differently (DNS rebinding). URLs that come from launch claims (grades,
roster) must also belong to the platform's own hosts (`lti/registry.platform_hosts`).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import has_app_context
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from lti_tool.settings import settings

USER_AGENT = "Senda/0.1 (LTI 1.3 tool; +https://github.com/senda-lti)"
# A key set is a few kilobytes; a document from an LMS is never near this.
MAX_DOCUMENT_BYTES = 1024 * 1024

_local = threading.local()
# In the message of a connection refused by the guard (so callers can tell it from an outage).
UNSAFE_MARK = "refused: unsafe address"


class UnsafeUrl(ValueError):
    """The URL is not https, or resolves to a private, loopback or link-local address, or is not
    on the platform's hosts."""


class DocumentTooLarge(ValueError):
    """The LMS answered with more than MAX_DOCUMENT_BYTES, or took longer than the deadline."""


def _allow_private() -> bool:
    return has_app_context() and settings().lti.allow_private_urls


def checked_addresses(host: str, port: int, allow_private: bool | None = None) -> list[str]:
    """Resolve `host` once; every address must be public unless private ones are allowed."""
    allow = _allow_private() if allow_private is None else allow_private
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise UnsafeUrl(f"cannot resolve {host}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise UnsafeUrl(f"cannot resolve {host}")
    if not allow:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%")[0]).is_global:
                raise UnsafeUrl(f"{host} resolves to a non-public address")
    return addresses


class _GuardedMixin:
    """`_new_conn` of urllib3's connections, resolving and checking in one step."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        try:
            addresses = checked_addresses(self.host, self.port)
        except UnsafeUrl as exc:
            raise NewConnectionError(self, f"{UNSAFE_MARK}: {exc}") from exc  # type: ignore[arg-type]
        timeout = self.timeout if isinstance(self.timeout, int | float) else None
        last: OSError | None = None
        for address in addresses:
            try:
                sock = socket.create_connection(
                    (address, self.port), timeout, source_address=self.source_address
                )
            except OSError as exc:
                last = exc
                continue
            for option in self.socket_options or ():
                sock.setsockopt(*option)
            return sock
        raise NewConnectionError(self, f"connection failed: {last}")  # type: ignore[arg-type]


class GuardedHTTPConnection(_GuardedMixin, HTTPConnection):
    pass


class GuardedHTTPSConnection(_GuardedMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }
        self.poolmanager.key_fn_by_scheme = dict(self.poolmanager.key_fn_by_scheme)

    def pool_for(self, url: str) -> HTTPConnectionPool:
        """The pool `send` takes for `url` (no proxy, certificates verified against the CA bundle
        requests uses), set up as `send` sets it up: a request sent through it directly uses the
        session's kept-open connections and the guard."""
        request = requests.PreparedRequest()
        request.url = url
        pool = self.get_connection_with_tls_context(request, verify=True)
        assert isinstance(pool, HTTPConnectionPool)
        self.cert_verify(pool, url, verify=True, cert=None)
        return pool


def guarded_session(session_class: type[requests.Session] = requests.Session) -> Any:
    """A requests session whose connections pass the guard; no proxies from the environment."""
    session = session_class()
    session.trust_env = False
    session.headers["User-Agent"] = USER_AGENT
    adapter = GuardedAdapter(pool_connections=16, pool_maxsize=32)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def session() -> requests.Session:
    """This thread's pooled session (requests sessions are not thread-safe)."""
    found: requests.Session | None = getattr(_local, "session", None)
    if found is None:
        found = guarded_session()
        _local.session = found
    return found


def timeout() -> float:
    return settings().lti.http_timeout_seconds


def check_url(url: str, allow_private: bool | None = None) -> None:
    """Raise UnsafeUrl unless `url` is https to a public address (or private ones are allowed).
    The connection checks again, on the address it really connects to."""
    allow = _allow_private() if allow_private is None else allow_private
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl(f"not an http(s) URL: {url[:200]}")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("credentials in the URL")
    if allow:
        return
    if parts.scheme != "https":
        raise UnsafeUrl("only https URLs are accepted")
    checked_addresses(parts.hostname, parts.port or 443, allow_private=False)


def on_hosts(url: str | None, hosts: Iterable[str]) -> bool:
    """Whether `url` is on one of `hosts` (a platform's own hosts)."""
    if not url:
        return False
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return bool(host) and host in {h.lower().rstrip(".") for h in hosts}


def get_json(url: str, *, allow_private: bool | None = None, **kwargs: Any) -> object:
    """GET a JSON document of at most MAX_DOCUMENT_BYTES within one overall deadline (a slow
    or endless answer cannot hold the caller longer than the timeout)."""
    check_url(url, allow_private)
    deadline = time.monotonic() + timeout()
    response = session().get(url, timeout=timeout(), allow_redirects=False, stream=True, **kwargs)
    try:
        response.raise_for_status()
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > MAX_DOCUMENT_BYTES:
            raise DocumentTooLarge(url[:200])
        body = bytearray()
        for chunk in response.iter_content(chunk_size=16384):
            body.extend(chunk)
            if len(body) > MAX_DOCUMENT_BYTES:
                raise DocumentTooLarge(url[:200])
            if time.monotonic() > deadline:
                raise DocumentTooLarge(f"{url[:200]}: too slow")
    finally:
        response.close()
    try:
        return json.loads(bytes(body))
    except RecursionError as exc:  # absurdly nested
        raise ValueError("document nested too deeply") from exc
