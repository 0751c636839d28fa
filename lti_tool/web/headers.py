"""Security headers on every response: a strict Content-Security-Policy whose frame-ancestors
name the registered LMS origins, no sniffing, no referrer across sites, no caching of pages."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Response, g, request

from lti_tool.memo import forget, memo
from lti_tool.services import platforms

log = logging.getLogger(__name__)

VIDEO_FRAMES = "https://www.youtube-nocookie.com https://player.vimeo.com"


def _platform_origins() -> list[str]:
    """Every registered platform origin, refreshed at most once a minute."""
    cached: dict[str, Any] = memo("frame_ancestors", dict)
    origins: list[str] = cached.get("origins", [])
    if time.monotonic() - cached.get("at", -1e9) > 60:
        try:
            origins = platforms.frame_ancestor_origins()
        except Exception:  # the database may be down; never fail a page over a header
            log.warning("could not load frame-ancestor origins")
            origins = []
        cached.update(at=time.monotonic(), origins=origins)
    return origins


def forget_frame_ancestors() -> None:
    forget("frame_ancestors")


def security_headers(response: Response) -> Response:
    # Platforms may frame Senda, and receive its forms (the deep-linking response).
    allowed = " ".join(["'self'", *_platform_origins()])
    form_targets = " ".join([allowed, g.get("csp_form_targets", "")]).strip()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; media-src 'self' https:; "
        f"frame-src {g.get('csp_frame_src', VIDEO_FRAMES)}; "
        "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action {form_targets}; frame-ancestors {allowed}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
