"""Senda's own public addresses, for documents sent to LMSs (never taken from a claim)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for

from lti_tool.settings import settings


def base_url() -> str:
    """The configured public URL, or the request's host (one machine, development)."""
    return (settings().public_url or request.host_url).rstrip("/")


def tool_host() -> str:
    public_url = settings().public_url
    return urlsplit(public_url).netloc if public_url else request.host


def launch_url() -> str:
    """The one redirect URI Senda registers; never taken from the request (open redirect)."""
    public_url = settings().public_url
    if public_url:
        return public_url.rstrip("/") + url_for("lti.launch")
    return url_for("lti.launch", _external=True)


def is_own_url(url: str) -> bool:
    """True only for http(s) URLs on Senda's own host; no userinfo or backslash tricks."""
    if "\\" in url:
        return False
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and "@" not in parts.netloc
        and parts.netloc.lower() == tool_host().lower()
    )


def own_origin() -> str:
    parts = urlsplit(base_url())
    return f"{parts.scheme}://{parts.netloc}".lower()


def from_our_own_page() -> bool:
    """True when this POST was sent by a page of Senda in this browser: the browser's `Origin`
    (or, without it, `Sec-Fetch-Site`) cannot be forged by another site's page."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.rstrip("/").lower() == own_origin()
    return request.headers.get("Sec-Fetch-Site") == "same-origin"
