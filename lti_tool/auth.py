"""Who is asking: the actor of a Senda session, created only by a verified LTI launch.

A session belongs to one person in one LMS course with one role. It is replaced (never merged) at
every launch, and it expires. Every view that reads or changes data gets the actor from here and
scopes its queries by the actor's context, so nothing crosses courses or platforms.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import current_app, g, session

from lti_tool.lti.errors import LaunchRejected

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Actor:
    user_id: int
    platform_id: int
    context_id: int | None
    resource_link_id: int | None
    role: str
    name: str

    @property
    def is_staff(self) -> bool:
        return self.role in ("facilitator", "designer")


def start_session(actor: Actor, locale: str | None, extra: dict[str, Any] | None = None) -> None:
    """Replace whatever session the browser had with one for this launch."""
    session.clear()
    session.permanent = True
    session.update(
        {
            "uid": actor.user_id,
            "pid": actor.platform_id,
            "ctx": actor.context_id,
            "rl": actor.resource_link_id,
            "role": actor.role,
            "name": actor.name[:80],
            "at": int(time.time()),
        }
    )
    if locale:
        session["locale"] = locale
    if extra:
        session.update(extra)


def session_actor() -> Actor | None:
    if "uid" not in session:
        return None
    lifetime = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    if time.time() - session.get("at", 0) > lifetime:
        session.clear()
        return None
    return Actor(
        user_id=session["uid"],
        platform_id=session["pid"],
        context_id=session.get("ctx"),
        resource_link_id=session.get("rl"),
        role=session["role"],
        name=session.get("name", ""),
    )


def require_role(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Allow the view only to a launched session whose role is one of `roles`."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            actor = session_actor()
            if actor is None:
                raise LaunchRejected("session_expired")
            if roles and actor.role not in roles:
                from flask import abort

                abort(403)
            g.actor = actor
            return view(*args, **kwargs)

        return wrapper

    return decorator


def current_actor() -> Actor:
    actor: Actor = g.actor
    return actor
