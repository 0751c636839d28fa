"""The session of a launched person: opened only by a verified LTI launch, replaced (never
merged) at every launch, and expired after its lifetime.

Inside an LMS iframe the session cookie must be `SameSite=None; Secure` to come back, and
`Partitioned` (CHIPS) so that browsers blocking third-party cookies keep it for this LMS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import generate_csrf
from itsdangerous import URLSafeTimedSerializer

from lti_tool.actor import Actor, Role
from lti_tool.lti.errors import LaunchRejected
from lti_tool.services import launches
from lti_tool.settings import settings

P = ParamSpec("P")
R = TypeVar("R")


class LtiSessionInterface(SecureCookieSessionInterface):
    """Over plain HTTP (local development) Lax is the only option a browser accepts."""

    _serializer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if request.is_secure else "Lax"

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return request.is_secure

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Flask builds a new serializer twice a request (reading, then writing the cookie); it
        # holds only the keys, so one per set of keys serves every request.
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer is None or self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
        return self._serializer[1]


def start_session(actor: Actor, locale: str | None, extra: dict[str, Any] | None = None) -> None:
    """Replace whatever session the browser had with one for this launch."""
    session.clear()
    session.permanent = True
    session.update(
        {
            "uid": actor.user_id,
            "pid": actor.platform_id,
            "prog": actor.programme_id,
            "ctx": actor.context_id,
            "rl": actor.resource_link_id,
            "role": actor.role.value,
            "name": actor.name[:80],
            "at": int(time.time()),
            "seen": int(time.time()),
        }
    )
    if actor.mentees:
        session["mentees"] = list(actor.mentees)
    if locale:
        session["locale"] = locale
    if extra:
        session.update(extra)
    # Her first page's forms need the session's CSRF secret: made now, it travels in this
    # response's cookie instead of making that page send the whole session cookie again.
    generate_csrf()


# How often the session's "last seen" time is rewritten (each rewrite sends a new cookie).
SEEN_RESOLUTION_SECONDS = 30


def end_session() -> None:
    """Forget who this browser was (the "Salir" button, an idle or changed session)."""
    session.clear()


def session_actor() -> Actor | None:
    """The actor of this browser's session; None without one, or when it expired. A session
    ends after its lifetime, after `idle_timeout_minutes` without a request (a shared phone or
    a community-centre computer), and as soon as her platform is disabled, her role in the
    course changes or she is erased."""
    if "uid" not in session:
        return None
    now = time.time()
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    idle = settings().idle_timeout_minutes * 60
    if now - session.get("at", 0) > lifetime or now - session.get("seen", now) > idle:
        end_session()
        return None
    role = Role.of(session.get("role"))
    if role is None:  # a cookie from an older Senda, or tampered: start again from the LMS
        end_session()
        raise LaunchRejected("unknown_role")
    if not launches.session_is_current(
        session["uid"], session["pid"], session.get("ctx"), role, session.get("at", 0)
    ):
        end_session()
        raise LaunchRejected("session_ended")
    if now - session.get("seen", 0) > SEEN_RESOLUTION_SECONDS:
        session["seen"] = int(now)
    return Actor(
        user_id=session["uid"],
        platform_id=session["pid"],
        programme_id=session.get("prog", 1),
        context_id=session.get("ctx"),
        resource_link_id=session.get("rl"),
        role=role,
        name=session.get("name", ""),
        mentees=tuple(session.get("mentees", ())),
    )


def require_role(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Allow the view only to a launched session whose course role is one of `roles` (any
    launched session when none is given)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = session_actor()
            if actor is None:
                raise LaunchRejected("session_expired")
            if roles and actor.role not in roles:
                abort(403)
            g.actor = actor
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor
