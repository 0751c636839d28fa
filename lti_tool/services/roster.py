"""The LMS roster (Names and Role Provisioning Services 2.0): every member of the LMS course,
including participants who never opened Senda, so facilitators can reach them."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.lti import http, registry
from lti_tool.lti.ags import GiveUp, LmsClient, Retry
from lti_tool.lti.roles import course_role
from lti_tool.models import LtiUser, Membership, Platform, db, utcnow
from lti_tool.services import cohort
from lti_tool.services.cohort import CourseScope
from lti_tool.services.dbutil import upsert
from lti_tool.settings import settings


class NoRosterService(LookupError):
    """This LMS course offers no roster service."""


class LmsUnavailable(RuntimeError):
    """The LMS did not answer, or refused."""


def sync(scope: CourseScope) -> int:
    """Fetch every page of the roster and record its members; returns how many were listed."""
    context = cohort.course(scope)
    if not context.memberships_url:
        raise NoRosterService(scope.context_id)
    platform = db.session.get(Platform, context.deployment.platform_id)
    assert platform is not None
    if not http.on_hosts(context.memberships_url, registry.platform_hosts(platform.id)):
        raise LmsUnavailable("the roster URL is not on the platform's hosts")
    client = LmsClient(platform, settings().lti.http_timeout_seconds)
    try:
        members = client.members(context.memberships_url)
    except (GiveUp, Retry) as exc:
        raise LmsUnavailable(str(exc)) from exc
    now = utcnow()
    count = 0
    for member in members:
        sub = str(member.get("user_id") or "")
        if not sub or member.get("status", "Active") != "Active":
            continue
        roles = [str(r) for r in member.get("roles") or []]
        role = course_role(roles)
        if role is None:
            continue
        user_id = upsert(
            LtiUser,
            {
                "platform_id": platform.id,
                "sub": sub[:255],
                "name": str(member.get("name") or "")[:255],
                "given_name": str(member.get("given_name") or "")[:255],
                "locale": "",
                "created_at": now,
                "last_launch_at": now,
            },
            keys=("platform_id", "sub"),
            update=("name", "given_name"),
        )
        # A roster never upgrades someone who launched: their launch's role stands.
        existing = db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == user_id, Membership.context_id == context.id
            )
        )
        if existing is None:
            db.session.add(
                Membership(
                    user_id=user_id,
                    context_id=context.id,
                    role=role.value,
                    lms_roles=" ".join(roles)[:4000],
                    from_roster=True,
                )
            )
        count += 1
    db.session.commit()
    return count
