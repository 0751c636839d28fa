"""Recording a verified launch: who, in which LMS course, through which link, with which role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti.claims import LaunchClaims
from lti_tool.lti.registry import PlatformInfo
from lti_tool.memo import memo
from lti_tool.models import LmsContext, LtiUser, Membership, Platform, ResourceLink, utcnow
from lti_tool.services.dbutil import upsert


@dataclass(frozen=True)
class LaunchRecord:
    user_id: int
    context_id: int | None
    resource_link_id: int | None


def _link_target(claims: LaunchClaims) -> str:
    """What a link opens, from the custom parameter Senda puts in deep-linked items."""
    value = claims.custom.get("senda_target", "")
    return str(value)[:128] if isinstance(value, str) else ""


def record_launch(platform: PlatformInfo, deployment_pk: int, claims: LaunchClaims) -> LaunchRecord:
    """Upsert the user, the context, the resource link and the membership, in one transaction."""
    now = utcnow()
    user_id = upsert(
        LtiUser,
        {
            "platform_id": platform.id,
            "sub": claims.sub,
            "name": claims.name,
            "given_name": claims.given_name,
            "email": claims.email,
            "locale": claims.locale,
            "created_at": now,
            "last_launch_at": now,
        },
        keys=("platform_id", "sub"),
        update=("name", "given_name", "email", "locale", "last_launch_at"),
    )
    context_id = None
    if claims.context_id:
        context_id = upsert(
            LmsContext,
            {
                "deployment_id": deployment_pk,
                "context_id": claims.context_id,
                "title": claims.context_title,
                "label": claims.context_label,
                "memberships_url": claims.memberships_url,
                "created_at": now,
            },
            keys=("deployment_id", "context_id"),
            update=("title", "label", "memberships_url"),
        )
        upsert(
            Membership,
            {
                "user_id": user_id,
                "context_id": context_id,
                "role": claims.role,
                "lms_roles": " ".join(claims.lti_roles)[:4000],
                "from_roster": False,
                "created_at": now,
                "last_launch_at": now,
            },
            keys=("user_id", "context_id"),
            update=("role", "lms_roles", "from_roster", "last_launch_at"),
        )
    link_id = None
    if claims.resource_link_id:
        ags = claims.ags or {}
        link_id = upsert(
            ResourceLink,
            {
                "deployment_id": deployment_pk,
                "context_id": context_id,
                "resource_link_id": claims.resource_link_id,
                "title": claims.resource_link_title,
                "target": _link_target(claims),
                "lineitem_url": ags.get("lineitem"),
                "lineitems_url": ags.get("lineitems"),
                "ags_scopes": " ".join(ags.get("scope", [])),
                "created_at": now,
            },
            keys=("deployment_id", "resource_link_id"),
            update=("context_id", "title", "target", "lineitem_url", "lineitems_url", "ags_scopes"),
        )
    origin = claims.frame_origin
    if origin:
        _remember_frame_origin(platform.id, origin)
    db.session.commit()
    return LaunchRecord(user_id=user_id, context_id=context_id, resource_link_id=link_id)


def _remember_frame_origin(platform_id: int, origin: str) -> None:
    known: set[tuple[int, str]] = memo("known_frame_origins", set)
    if (platform_id, origin) in known:  # the usual case: no query at all
        return
    origins = db.session.scalar(select(Platform.frame_origins).where(Platform.id == platform_id))
    if origins is None or origin in origins:
        known.add((platform_id, origin))
        return
    platform = db.session.get(Platform, platform_id)
    assert platform is not None
    platform.frame_origins = [*origins, origin][-20:]
