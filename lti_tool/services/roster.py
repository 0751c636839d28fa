"""The LMS roster (Names and Role Provisioning Services 2.0): every member of the LMS course,
including participants who never opened Senda, so facilitators can reach them."""

from __future__ import annotations

from flask import current_app

from lti_tool.extensions import db
from lti_tool.grades.ags import LmsClient
from lti_tool.lti.claims import senda_role
from lti_tool.models import LmsContext, LtiUser, Membership, Platform, utcnow
from lti_tool.services.dbutil import upsert


def sync(context: LmsContext) -> int:
    """Fetch every page of the roster and record its members; returns how many were listed."""
    if not context.memberships_url:
        raise LookupError("this LMS course offers no roster service")
    platform = db.session.get(Platform, context.deployment.platform_id)
    assert platform is not None
    client = LmsClient(platform, current_app.config["SENDA"]["lti"]["http_timeout_seconds"])
    members = client.members(context.memberships_url)
    now = utcnow()
    count = 0
    for member in members:
        sub = str(member.get("user_id") or "")
        if not sub or member.get("status", "Active") != "Active":
            continue
        user_id = upsert(
            LtiUser,
            {
                "platform_id": platform.id,
                "sub": sub[:255],
                "name": str(member.get("name") or "")[:255],
                "given_name": str(member.get("given_name") or "")[:255],
                "email": "",
                "locale": "",
                "created_at": now,
                "last_launch_at": now,
            },
            keys=("platform_id", "sub"),
            update=("name", "given_name"),
        )
        roles = [str(r) for r in member.get("roles") or []]
        # A roster never upgrades someone who launched: their launch's role stands.
        existing = (
            db.session.query(Membership).filter_by(user_id=user_id, context_id=context.id).first()
        )
        if existing is None:
            db.session.add(
                Membership(
                    user_id=user_id,
                    context_id=context.id,
                    role=senda_role(roles),
                    lms_roles=" ".join(roles)[:4000],
                    from_roster=True,
                )
            )
        count += 1
    db.session.commit()
    return count
