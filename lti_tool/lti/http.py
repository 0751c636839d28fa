"""Outgoing HTTP to LMSs: one pooled session, a User-Agent (Canvas requires one since 2026),
timeouts, no redirects, and a guard against URLs that point inside our own network (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests

from lti_tool.settings import settings

USER_AGENT = "Senda/0.1 (LTI 1.3 tool; +https://github.com/senda-lti)"

_session: requests.Session | None = None


class UnsafeUrl(ValueError):
    """The URL is not https, or resolves to a private, loopback or link-local address."""


def session() -> requests.Session:
    global _session
    if _session is None:
        _session = requests.Session()
        _session.headers["User-Agent"] = USER_AGENT
    return _session


def timeout() -> float:
    return settings().lti.http_timeout_seconds


def check_url(url: str, allow_private: bool | None = None) -> None:
    """Raise UnsafeUrl unless `url` is https to a public address (or private ones are allowed)."""
    if allow_private is None:
        allow_private = settings().lti.allow_private_urls
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl(f"not an http(s) URL: {url[:200]}")
    if allow_private:
        return
    if parts.scheme != "https":
        raise UnsafeUrl("only https URLs are accepted")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise UnsafeUrl(f"cannot resolve {parts.hostname}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise UnsafeUrl(f"{parts.hostname} resolves to a non-public address")


def get_json(url: str, *, allow_private: bool | None = None, **kwargs: object) -> object:
    check_url(url, allow_private)
    response = session().get(url, timeout=timeout(), allow_redirects=False, **kwargs)  # type: ignore[arg-type]
    response.raise_for_status()
    return response.json()
