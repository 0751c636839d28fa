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

from lti_tool.actor import Actor, Role
from lti_tool.lti.errors import LaunchRejected

P = ParamSpec("P")
R = TypeVar("R")


class LtiSessionInterface(SecureCookieSessionInterface):
    """Over plain HTTP (local development) Lax is the only option a browser accepts."""

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if request.is_secure else "Lax"

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return request.is_secure


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
        }
    )
    if actor.mentees:
        session["mentees"] = list(actor.mentees)
    if locale:
        session["locale"] = locale
    if extra:
        session.update(extra)


def session_actor() -> Actor | None:
    """The actor of this browser's session; None without one, or when it expired."""
    if "uid" not in session:
        return None
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if time.time() - session.get("at", 0) > lifetime:
        session.clear()
        return None
    role = Role.of(session.get("role"))
    if role is None:  # a cookie from an older Senda, or tampered: start again from the LMS
        session.clear()
        raise LaunchRejected("unknown_role")
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
