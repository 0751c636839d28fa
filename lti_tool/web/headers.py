"""Security headers on every response: a strict Content-Security-Policy whose frame-ancestors
name the registered LMS origins, no sniffing, no referrer across sites, no caching of pages."""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from flask import Response, g, request, session

from lti_tool.memo import forget, memo
from lti_tool.services import platforms

log = logging.getLogger(__name__)

VIDEO_FRAMES = "https://www.youtube-nocookie.com https://player.vimeo.com"


def _platform_origins(platform_id: int | None) -> list[str]:
    """The origins allowed to frame this response: those of the platform of the session or of
    the launch under way (never every tenant's), refreshed at most once a minute."""
    if platform_id is None:
        return []
    cached: dict[int, tuple[float, list[str]]] = memo("frame_ancestors", dict)
    found = cached.get(platform_id)
    if found is not None and time.monotonic() - found[0] < 60:
        return found[1]
    try:
        origins = platforms.frame_ancestor_origins(platform_id)
    except Exception:  # the database may be down; never fail a page over a header
        log.warning("could not load frame-ancestor origins")
        return []
    cached[platform_id] = (time.monotonic(), origins)
    return origins


def forget_frame_ancestors() -> None:
    forget("frame_ancestors")


@lru_cache(maxsize=256)
def _policy(origins: tuple[str, ...], frame_src: str, form_targets: str) -> str:
    """The Content-Security-Policy for these framing origins (built once per distinct value:
    every page of a platform's sessions sends the same one)."""
    allowed = " ".join(["'self'", *origins])
    form_action = " ".join([allowed, form_targets]).strip()
    return (
        "default-src 'self'; img-src 'self' data:; media-src 'self' https:; "
        f"frame-src {frame_src}; "
        "script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action {form_action}; frame-ancestors {allowed}"
    )


def security_headers(response: Response) -> Response:
    # The platform of this session (or launch) may frame Senda and receive its forms (the
    # deep-linking response); no other tenant's origins.
    here = g._get_current_object()  # one proxy lookup, not five
    platform_id = getattr(here, "frame_platform_id", None) or session.get("pid")
    headers = response.headers
    headers["Content-Security-Policy"] = _policy(
        tuple(_platform_origins(platform_id)),
        getattr(here, "csp_frame_src", VIDEO_FRAMES),
        getattr(here, "csp_form_targets", ""),
    )
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    req = request._get_current_object()  # type: ignore[attr-defined]
    if req.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if not req.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    return response
