"""The programme above the LMS courses: its team's grants and its courses.

Programme roles (programme team, support lead, employment tutor, mentor) are granted here, per
programme and optionally per region, and work across the programme's LMS courses. Every query is
scoped by the actor's grants in the actor's programme: nothing crosses programmes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from lti_tool.actor import PROGRAMME_ROLES, Actor, Role
from lti_tool.models import (
    DEFAULT_PROGRAMME_ID,
    Deployment,
    Enrolment,
    Grant,
    LmsContext,
    LtiUser,
    Membership,
    Platform,
    Programme,
    db,
    utcnow,
)
from lti_tool.services.cohort import CourseScope
from lti_tool.services.errors import Forbidden, NotFound, PersonNotFound


class CourseNotFound(NotFound):
    pass


class GrantNotFound(NotFound):
    pass


@dataclass(frozen=True)
class GrantView:
    id: int
    role: Role
    region: str | None
    user_id: int
    name: str
    granted_at: datetime


def grants_of(actor: Actor) -> list[GrantView]:
    """Her active grants in the programme of her launch (one query)."""
    rows = db.session.execute(
        select(Grant, LtiUser.name)
        .join(LtiUser, LtiUser.id == Grant.user_id)
        .where(
            Grant.user_id == actor.user_id,
            Grant.programme_id == actor.programme_id,
            Grant.revoked_at.is_(None),
        )
        .order_by(Grant.id)
    ).all()
    return [_view(grant, name) for grant, name in rows if Role.of(grant.role)]


def _view(grant: Grant, name: str) -> GrantView:
    return GrantView(
        grant.id, Role(grant.role), grant.region, grant.user_id, name or "", grant.granted_at
    )


def roles_of(actor: Actor) -> frozenset[Role]:
    return frozenset(g.role for g in grants_of(actor))


def require(actor: Actor, *roles: Role) -> list[GrantView]:
    """Her grants among `roles`, or Forbidden."""
    held = [g for g in grants_of(actor) if g.role in roles]
    if not held:
        raise Forbidden("no grant")
    return held


# -------------------------------------------------------------------------- the courses
@dataclass(frozen=True)
class CourseSummary:
    id: int
    title: str
    label: str
    platform: str
    participants: int
    enrolled: int


def courses(actor: Actor) -> list[CourseSummary]:
    """Every LMS course of her programme, with head counts (one query)."""
    require(actor, Role.PROGRAMME_TEAM)
    participants = func.count(
        func.distinct(case((Membership.role == "participant", Membership.user_id)))
    )
    rows = db.session.execute(
        select(
            LmsContext.id,
            LmsContext.title,
            LmsContext.label,
            Platform.name,
            Platform.issuer,
            participants,
            func.count(func.distinct(Enrolment.id)),
        )
        .join(Deployment, Deployment.id == LmsContext.deployment_id)
        .join(Platform, Platform.id == Deployment.platform_id)
        .outerjoin(Membership, Membership.context_id == LmsContext.id)
        .outerjoin(Enrolment, Enrolment.context_id == LmsContext.id)
        .where(LmsContext.programme_id == actor.programme_id)
        .group_by(LmsContext.id, LmsContext.title, LmsContext.label, Platform.name, Platform.issuer)
        .order_by(LmsContext.title, LmsContext.id)
    ).all()
    return [
        CourseSummary(row[0], row[1] or "", row[2] or "", row[3] or row[4], row[5], row[6])
        for row in rows
    ]


def course_scope(actor: Actor, context_id: int) -> CourseScope:
    """An LMS course of her programme, for the programme team; another programme's is not
    found."""
    require(actor, Role.PROGRAMME_TEAM)
    found = db.session.scalar(
        select(LmsContext.id).where(
            LmsContext.id == context_id, LmsContext.programme_id == actor.programme_id
        )
    )
    if found is None:
        raise CourseNotFound(context_id)
    return CourseScope(found, by_programme=True)


# ---------------------------------------------------------------------------- people
@dataclass(frozen=True)
class Person:
    id: int
    name: str
    courses: int
    last_launch_at: datetime


def people(actor: Actor, search: str = "", limit: int = 50) -> list[Person]:
    """People who launched in her programme's courses (to grant roles, or to erase)."""
    require(actor, Role.PROGRAMME_TEAM)
    query = (
        select(LtiUser.id, LtiUser.name, func.count(Membership.id), LtiUser.last_launch_at)
        .join(Membership, Membership.user_id == LtiUser.id)
        .join(LmsContext, LmsContext.id == Membership.context_id)
        .where(LmsContext.programme_id == actor.programme_id)
        .group_by(LtiUser.id, LtiUser.name, LtiUser.last_launch_at)
        .order_by(LtiUser.name, LtiUser.id)
        .limit(limit)
    )
    if search.strip():
        query = query.where(LtiUser.name.ilike(f"%{search.strip()[:80]}%"))
    return [Person(row[0], row[1] or "", row[2], row[3]) for row in db.session.execute(query)]


def person(actor: Actor, user_id: int) -> Person:
    """One person of her programme (to show her entry again), or PersonNotFound."""
    require(actor, Role.PROGRAMME_TEAM)
    row = db.session.execute(
        select(LtiUser.id, LtiUser.name, func.count(Membership.id), LtiUser.last_launch_at)
        .join(Membership, Membership.user_id == LtiUser.id)
        .join(LmsContext, LmsContext.id == Membership.context_id)
        .where(LmsContext.programme_id == actor.programme_id, LtiUser.id == user_id)
        .group_by(LtiUser.id, LtiUser.name, LtiUser.last_launch_at)
    ).first()
    if row is None:
        raise PersonNotFound(user_id)
    return Person(row[0], row[1] or "", row[2], row[3])


def _in_programme(programme_id: int, user_id: int) -> bool:
    return (
        db.session.scalar(
            select(Membership.id)
            .join(LmsContext, LmsContext.id == Membership.context_id)
            .where(Membership.user_id == user_id, LmsContext.programme_id == programme_id)
            .limit(1)
        )
        is not None
    )


def team_grants(actor: Actor) -> list[GrantView]:
    """Every active grant of her programme."""
    require(actor, Role.PROGRAMME_TEAM)
    rows = db.session.execute(
        select(Grant, LtiUser.name)
        .join(LtiUser, LtiUser.id == Grant.user_id)
        .where(Grant.programme_id == actor.programme_id, Grant.revoked_at.is_(None))
        .order_by(Grant.role, LtiUser.name)
    ).all()
    return [_view(grant, name) for grant, name in rows if Role.of(grant.role)]


def grant(actor: Actor, user_id: int, role: Role, region: str | None) -> None:
    """The programme team gives a programme role to a person of the programme."""
    require(actor, Role.PROGRAMME_TEAM)
    if role not in PROGRAMME_ROLES:
        raise Forbidden(role)
    if not _in_programme(actor.programme_id, user_id):
        raise PersonNotFound(user_id)
    _add_grant(actor.programme_id, user_id, role, region, granted_by=actor.user_id)
    db.session.commit()


def _add_grant(
    programme_id: int, user_id: int, role: Role, region: str | None, granted_by: int | None
) -> bool:
    existing = db.session.scalar(
        select(Grant.id).where(
            Grant.programme_id == programme_id,
            Grant.user_id == user_id,
            Grant.role == role.value,
            Grant.region.is_(None) if region is None else Grant.region == region,
            Grant.revoked_at.is_(None),
        )
    )
    if existing is not None:
        return False
    db.session.add(
        Grant(
            programme_id=programme_id,
            user_id=user_id,
            role=role.value,
            region=region,
            granted_by=granted_by,
        )
    )
    return True


def revoke(actor: Actor, grant_id: int) -> bool:
    """Remove a role; False if it was removed already (a double tap, a second tab)."""
    require(actor, Role.PROGRAMME_TEAM)
    row = db.session.scalar(
        select(Grant).where(Grant.id == grant_id, Grant.programme_id == actor.programme_id)
    )
    if row is None:
        raise GrantNotFound(grant_id)
    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    db.session.commit()
    return True


# ------------------------------------------------------------------- the command line
def programmes() -> list[Programme]:
    return list(db.session.scalars(select(Programme).order_by(Programme.id)))


def grant_from_cli(issuer: str, sub: str, role: Role, programme_slug: str | None,
                   region: str | None) -> tuple[int, bool]:  # fmt: skip
    """Grant a role to (issuer, sub) — the first member of the programme team, before anyone
    can use the page. The person must have launched Senda once. (grant id, created)."""
    user = db.session.execute(
        select(LtiUser)
        .join(Platform, Platform.id == LtiUser.platform_id)
        .where(Platform.issuer == issuer, LtiUser.sub == sub)
    ).scalar_one_or_none()
    if user is None:
        raise PersonNotFound(sub)
    if programme_slug:
        programme_id = db.session.scalar(
            select(Programme.id).where(Programme.slug == programme_slug)
        )
        if programme_id is None:
            raise NotFound(programme_slug)
    else:
        programme_id = DEFAULT_PROGRAMME_ID
    created = _add_grant(programme_id, user.id, role, region, granted_by=None)
    db.session.commit()
    return user.id, created


def grant_for_demo(platform_id: int, sub: str, name: str, role: Role) -> None:
    """The built-in demo LMS's people hold their programme roles before their first launch."""
    user_id = db.session.scalar(
        select(LtiUser.id).where(LtiUser.platform_id == platform_id, LtiUser.sub == sub)
    )
    if user_id is None:
        user = LtiUser(platform_id=platform_id, sub=sub, name=name)
        db.session.add(user)
        db.session.flush()
        user_id = user.id
    _add_grant(DEFAULT_PROGRAMME_ID, user_id, role, None, granted_by=None)
    db.session.commit()


def create_programme(slug: str, name: str) -> int:
    row = Programme(slug=slug, name=name)
    db.session.add(row)
    db.session.commit()
    return row.id


def move_platform(platform_id: int, programme_slug: str) -> None:
    """Put an LMS (and the courses it will bring) under another programme."""
    programme_id = db.session.scalar(select(Programme.id).where(Programme.slug == programme_slug))
    platform = db.session.get(Platform, platform_id)
    if programme_id is None or platform is None:
        raise NotFound(programme_slug)
    platform.programme_id = programme_id
    for context in db.session.scalars(
        select(LmsContext)
        .join(Deployment, Deployment.id == LmsContext.deployment_id)
        .where(Deployment.platform_id == platform_id)
    ):
        context.programme_id = programme_id
    db.session.commit()
