"""A launch, from the LMS's login to her first page.

1. `begin_login`: the LMS sends the browser to `/lti/login`; Senda stores a fresh state and nonce
   in the shared one-time store and sends the browser to the platform's authentication endpoint.
2. `verify`: the platform POSTs `id_token` and `state`; the adapter (lti/adapter.py) validates
   everything, and only then is anything read from the token.
3. `complete`: the verified launch is recorded (user, course, link, membership) in one
   transaction, and the actor and her first page are decided here, so the browser needs exactly
   one redirect after the launch POST.
When the browser blocked the state cookie but the platform offers storage, the verified launch
waits under a one-time ticket until the page proves the state from platform storage.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import BindParameter, Select, and_, bindparam, exists, select, update

from courses.followup import SCHEDULED
from courses.links import LinkTarget, TargetKind
from lti_tool.actor import Actor, Role
from lti_tool.lti import http, onetime, registry
from lti_tool.lti.adapter import LoginStart, SendaMessageLaunch, begin_login
from lti_tool.lti.claims import LaunchClaims, parse_claims
from lti_tool.lti.errors import LaunchRejected
from lti_tool.lti.registry import PlatformInfo
from lti_tool.memo import forget, memo
from lti_tool.models import (
    Enrolment,
    FollowUp,
    Grant,
    LmsContext,
    LtiUser,
    Membership,
    Platform,
    ResourceLink,
    UtcDateTime,
    db,
    utcnow,
)
from lti_tool.services import deep_linking, followup, programme
from lti_tool.services.dbutil import upsert

__all__ = ["LoginStart", "begin_login", "complete", "verify"]

log = logging.getLogger(__name__)

TICKET_PREFIX = "launch-ticket:"
TICKET_TTL_SECONDS = 120


@dataclass(frozen=True)
class VerifiedLaunch:
    """A launch whose token verified, not yet recorded."""

    pending: dict[str, Any]  # JSON-able: waits in the one-time store for a cookieless browser
    browser_bound: bool  # the state cookie came back: this browser started the login
    state: str
    storage_target: str
    platform: PlatformInfo


def verify() -> VerifiedLaunch:
    """Validate the launch POST of this request; LaunchRejected says why not."""
    launch = SendaMessageLaunch()
    try:
        body = launch.verified_body()
    except LaunchRejected as exc:
        if exc.reason == "cookies_blocked":
            # Offer to repeat the login in a new, first-party window.
            relaunch = {k: v for k, v in launch.login.get("relaunch", {}).items() if v}
            blocked = LaunchRejected("cookies_blocked")
            blocked.relaunch = relaunch
            raise blocked from exc
        raise
    try:
        claims = parse_claims(body)
    except ValidationError as exc:
        raise LaunchRejected("missing_claims") from exc
    if claims.role is None:
        raise LaunchRejected("unknown_role")
    if claims.is_deep_linking and claims.role not in (Role.FACILITATOR, Role.DESIGNER):
        raise LaunchRejected("deep_linking_forbidden")
    assert launch.platform is not None and launch.deployment_pk is not None
    return VerifiedLaunch(
        pending={
            "platform": dataclasses.asdict(launch.platform),
            "deployment_pk": launch.deployment_pk,
            "claims": dataclasses.asdict(claims),
        },
        browser_bound=launch.browser_bound,
        state=launch.state,
        storage_target=str(launch.login.get("storage_target", "")),
        platform=launch.platform,
    )


@dataclass(frozen=True)
class Landing:
    """Who she is now, and where her first page is."""

    actor: Actor
    locale: str
    session_extra: dict[str, Any]
    endpoint: str
    values: dict[str, str]


def _claims_of(pending: dict[str, Any]) -> LaunchClaims:
    raw = dict(pending["claims"])
    raw["role"] = Role(raw["role"])
    raw["mentor_scope"] = tuple(raw.get("mentor_scope") or ())
    return LaunchClaims(**raw)


def complete(pending: dict[str, Any]) -> Landing:
    """Record the verified launch and decide her first page. Commits once."""
    platform = PlatformInfo(**pending["platform"])
    claims = _claims_of(pending)
    assert claims.role is not None
    recorded = _record(platform, pending["deployment_pk"], claims)
    actor = Actor(
        user_id=recorded.user_id,
        platform_id=platform.id,
        programme_id=recorded.programme_id,
        context_id=recorded.context_id,
        resource_link_id=recorded.link_id,
        role=claims.role,
        name=claims.given_name or claims.name,
        mentees=claims.mentor_scope if claims.role == Role.MENTOR else (),
    )
    target = LinkTarget.parse(claims.custom.get("senda_target"))
    # Which programme pages to offer in the menu (access itself is checked on every request).
    grants = programme.roles_of(actor) if recorded.may_have_grants else frozenset()
    extra: dict[str, Any] = {
        "target": target.format(),
        "grants": sorted(role.value for role in grants),
    }
    held: dict[str, Any] | None = None
    if claims.is_deep_linking:
        assert claims.deep_linking is not None
        held = {
            "return_url": claims.deep_linking["deep_link_return_url"],
            "data": claims.deep_linking.get("data"),
            "accept_multiple": claims.deep_linking.get("accept_multiple", True),
            "deployment_id": claims.deployment_id,
        }
        endpoint, values = "deep_linking.picker", dict[str, str]()
    else:
        endpoint, values = _first_page(actor, target, recorded)
    db.session.commit()
    if held is not None:  # after the commit: the one-time store writes in its own transaction
        extra["dl"] = deep_linking.hold_settings(held)
    return Landing(actor, claims.locale, extra, endpoint, values)


def _first_page(actor: Actor, target: LinkTarget, recorded: Recorded) -> tuple[str, dict[str, str]]:
    if actor.role == Role.FACILITATOR:
        return "facilitator.cohort", {}
    if actor.role == Role.DESIGNER:
        return "designer.index", {}
    if actor.role == Role.MENTOR:
        return "mentor.index", {}
    if recorded.may_have_follow_up:
        survey = followup.offer_at_launch(actor)
        if survey is not None:  # a due follow-up survey is offered first (she may say later)
            return "followup.survey", {"follow_up_id": str(survey)}
    if not recorded.enrolled:
        return "learner.intake", {}
    if target.kind == TargetKind.COURSE:
        return "learner.course", {"course_id": target.id}
    return "learner.home", {}


@dataclass(frozen=True)
class Recorded:
    """The rows of a recorded launch, and what the first page needs to know of her."""

    user_id: int
    context_id: int | None
    link_id: int | None
    programme_id: int
    enrolled: bool
    # Worth asking (one query each) only when these are True.
    may_have_grants: bool
    may_have_follow_up: bool


# How stale "last launched" may be: a returning participant's launch then writes nothing.
LAST_LAUNCH_PRECISION = timedelta(minutes=5)

_known_statement: Select[Any] | None = None


def _known_query() -> Select[Any]:
    """Everything the database knows of this launch's person, course, link and membership, in
    one read (a returning participant's launch needs no other)."""
    global _known_statement
    if _known_statement is None:
        user, context = LtiUser.__table__, LmsContext.__table__
        member, link = Membership.__table__, ResourceLink.__table__
        grant, follow_up, enrolment = Grant.__table__, FollowUp.__table__, Enrolment.__table__
        deployment: BindParameter[int] = bindparam("deployment_pk")
        _known_statement = (
            select(
                user.c.id.label("user_id"),
                user.c.name,
                user.c.given_name,
                user.c.locale,
                user.c.last_launch_at,
                context.c.id.label("context_pk"),
                context.c.title.label("context_title"),
                context.c.label.label("context_label"),
                context.c.memberships_url,
                context.c.programme_id,
                member.c.id.label("membership_id"),
                member.c.role,
                member.c.lms_roles,
                member.c.mentor_scope,
                member.c.from_roster,
                member.c.last_launch_at.label("member_launch_at"),
                link.c.id.label("link_pk"),
                link.c.context_id.label("link_context"),
                link.c.title.label("link_title"),
                link.c.target,
                link.c.lineitem_url,
                link.c.lineitems_url,
                link.c.ags_scopes,
                exists()
                .where(grant.c.user_id == user.c.id, grant.c.revoked_at.is_(None))
                .label("has_grants"),
                exists()
                .where(
                    follow_up.c.user_id == user.c.id,
                    follow_up.c.status == SCHEDULED,
                    follow_up.c.due_at <= bindparam("now", type_=UtcDateTime()),
                )
                .label("follow_up_due"),
                exists()
                .where(enrolment.c.user_id == user.c.id, enrolment.c.context_id == context.c.id)
                .label("enrolled"),
            )
            .select_from(
                user.outerjoin(
                    context,
                    and_(
                        context.c.deployment_id == deployment,
                        context.c.context_id == bindparam("context_id"),
                    ),
                )
                .outerjoin(
                    member, and_(member.c.user_id == user.c.id, member.c.context_id == context.c.id)
                )
                .outerjoin(
                    link,
                    and_(
                        link.c.deployment_id == deployment,
                        link.c.resource_link_id == bindparam("resource_link_id"),
                    ),
                )
            )
            .where(user.c.platform_id == bindparam("platform_id"), user.c.sub == bindparam("sub"))
        )
    return _known_statement


def _record(platform: PlatformInfo, deployment_pk: int, claims: LaunchClaims) -> Recorded:
    """Record the user, the course, the link and the membership: one read, and a write only for
    what is new or changed. Does not commit."""
    assert claims.role is not None
    now = utcnow()
    origin = claims.frame_origin  # first: it also tells which hosts the platform owns
    if origin:
        _remember_frame_origin(platform.id, origin)
    known = db.session.execute(
        _known_query(),
        {
            "platform_id": platform.id,
            "sub": claims.sub,
            "deployment_pk": deployment_pk,
            "context_id": claims.context_id or "",
            "resource_link_id": claims.resource_link_id or "",
            "now": now,
        },
    ).one_or_none()
    stale = now - LAST_LAUNCH_PRECISION

    user = {"name": claims.name, "given_name": claims.given_name, "locale": claims.locale}
    if known is None or any(getattr(known, k) != v for k, v in user.items()):
        user_id = upsert(
            LtiUser,
            {
                "platform_id": platform.id,
                "sub": claims.sub,
                **user,
                "created_at": now,
                "last_launch_at": now,
            },
            keys=("platform_id", "sub"),
            update=("name", "given_name", "locale", "last_launch_at"),
        )
    else:
        user_id = known.user_id
        if known.last_launch_at is None or known.last_launch_at < stale:
            db.session.execute(
                update(LtiUser.__table__)
                .where(LtiUser.__table__.c.id == user_id)
                .values(last_launch_at=now)
            )

    context_id: int | None = None
    programme_id = platform.programme_id
    if claims.context_id:
        course = {
            "title": claims.context_title,
            "label": claims.context_label,
            "memberships_url": claims.memberships_url
            if http.on_hosts(claims.memberships_url, registry.platform_hosts(platform.id))
            else None,
        }
        if (
            known is None
            or known.context_pk is None
            or (
                (known.context_title, known.context_label, known.memberships_url)
                != (course["title"], course["label"], course["memberships_url"])
            )
        ):
            context_id = upsert(
                LmsContext,
                {
                    "deployment_id": deployment_pk,
                    "context_id": claims.context_id,
                    **course,
                    # Only when the course is first seen: the programme team may move it later.
                    "programme_id": platform.programme_id,
                    "created_at": now,
                },
                keys=("deployment_id", "context_id"),
                update=("title", "label", "memberships_url"),
            )
            programme_id = _programme_of(context_id)
        else:
            context_id = known.context_pk
            programme_id = known.programme_id
        member = {
            "role": claims.role.value,
            "lms_roles": " ".join(claims.lti_roles)[:4000],
            "mentor_scope": list(claims.mentor_scope) if claims.role == Role.MENTOR else [],
            "from_roster": False,
        }
        if (
            known is None
            or known.membership_id is None
            or known.context_pk != context_id
            or any(getattr(known, k) != v for k, v in member.items())
            or known.member_launch_at is None
            or known.member_launch_at < stale
        ):
            upsert(
                Membership,
                {
                    "user_id": user_id,
                    "context_id": context_id,
                    **member,
                    "created_at": now,
                    "last_launch_at": now,
                },
                keys=("user_id", "context_id"),
                update=("role", "lms_roles", "mentor_scope", "from_roster", "last_launch_at"),
            )

    link_id = None
    if claims.resource_link_id:
        ags = _owned_service_urls(platform.id, claims.ags or {})
        placement = {
            "context_id": context_id,
            "title": claims.resource_link_title,
            "target": LinkTarget.parse(claims.custom.get("senda_target")).format(),
            "lineitem_url": ags.get("lineitem"),
            "lineitems_url": ags.get("lineitems"),
            "ags_scopes": " ".join(ags.get("scope", [])),
        }
        stored = (
            None
            if known is None or known.link_pk is None
            else {
                "context_id": known.link_context,
                "title": known.link_title,
                "target": known.target,
                "lineitem_url": known.lineitem_url,
                "lineitems_url": known.lineitems_url,
                "ags_scopes": known.ags_scopes,
            }
        )
        if stored != placement:
            link_id = upsert(
                ResourceLink,
                {
                    "deployment_id": deployment_pk,
                    "resource_link_id": claims.resource_link_id,
                    **placement,
                    "created_at": now,
                },
                keys=("deployment_id", "resource_link_id"),
                update=tuple(placement),
            )
        else:
            assert known is not None
            link_id = known.link_pk

    fresh = known is None or known.user_id != user_id  # a new person: nothing to find yet
    return Recorded(
        user_id=user_id,
        context_id=context_id,
        link_id=link_id,
        programme_id=programme_id,
        enrolled=not fresh
        and known is not None
        and bool(known.enrolled)
        and known.context_pk == context_id,
        may_have_grants=not fresh and known is not None and bool(known.has_grants),
        may_have_follow_up=not fresh and known is not None and bool(known.follow_up_due),
    )


def _owned_service_urls(platform_id: int, ags: dict[str, Any]) -> dict[str, Any]:
    """The AGS claim with only the service URLs on the platform's own hosts: a bearer token is
    never sent to a host the platform does not own (SSRF)."""
    hosts = registry.platform_hosts(platform_id)
    kept = dict(ags)
    for key in ("lineitem", "lineitems"):
        if kept.get(key) and not http.on_hosts(kept[key], hosts):
            log.warning("service URL refused", extra={"event": "launch", "reason": "foreign_host"})
            kept[key] = None
    return kept


def _programme_of(context_id: int) -> int:
    # Courses rarely move between programmes; remember the answer for a short while.
    known: dict[int, int] = memo("course_programmes", dict)
    if context_id not in known:
        found = db.session.scalar(
            select(LmsContext.programme_id).where(LmsContext.id == context_id)
        )
        assert found is not None
        if len(known) > 10_000:
            known.clear()
        known[context_id] = found
    return known[context_id]


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
    forget("frame_ancestors", "platform_hosts")  # pages and service checks learn it at once


# --------------------------------------------------------------------- cookieless hand-over
def hold(verified: VerifiedLaunch) -> str:
    """Keep a verified launch for the page that reads the state from platform storage."""
    ticket = secrets.token_urlsafe(32)
    onetime.store().put(
        TICKET_PREFIX + ticket, {**verified.pending, "state": verified.state}, TICKET_TTL_SECONDS
    )
    return ticket


def redeem(ticket: str, state: str) -> dict[str, Any]:
    """The launch held under `ticket`, if `state` is the one its login issued."""
    pending = onetime.store().take(TICKET_PREFIX + ticket)
    if pending is None:
        raise LaunchRejected("state_invalid")
    if not secrets.compare_digest(state, pending["state"]):
        raise LaunchRejected("browser_mismatch")
    return pending


def hand_over(session_data: dict[str, Any], next_url: str) -> str:
    """A one-time ticket that opens this session in a new, first-party window."""
    handoff = secrets.token_urlsafe(32)
    onetime.store().put(
        TICKET_PREFIX + handoff, {"session": session_data, "next": next_url}, TICKET_TTL_SECONDS
    )
    return handoff


def take_hand_over(ticket: str) -> dict[str, Any]:
    handoff = onetime.store().take(TICKET_PREFIX + ticket)
    if handoff is None or "session" not in handoff:
        raise LaunchRejected("state_invalid")
    return handoff


# ------------------------------------------------------------------ sessions that stay true
SESSION_CHECK_SECONDS = 5.0


def session_is_current(
    user_id: int, platform_id: int, context_id: int | None, role: Role, opened_at: float = 0.0
) -> bool:
    """Whether what a session was opened with still holds: the person exists (not erased), her
    platform is active, and her role in the course is the one she launched with. Checked on
    every request, remembered a few seconds per process; a session that a launch opened in the
    last few seconds was checked by that launch (her first page needs no query for it)."""
    if time.time() - opened_at < SESSION_CHECK_SECONDS and opened_at > _forgotten_at():
        return True
    cache: dict[tuple[int, int | None, str], tuple[float, bool]] = memo("live_sessions", dict)
    key = (user_id, context_id, role.value)
    found = cache.get(key)
    if found is not None and time.monotonic() - found[0] < SESSION_CHECK_SECONDS:
        return found[1]
    query = (
        select(Platform.active, Membership.role)
        .select_from(LtiUser)
        .join(Platform, Platform.id == LtiUser.platform_id)
        .outerjoin(
            Membership,
            (Membership.user_id == LtiUser.id) & (Membership.context_id == context_id),
        )
        .where(LtiUser.id == user_id, LtiUser.platform_id == platform_id)
    )
    row = db.session.execute(query).one_or_none()
    current = row is not None and bool(row.active)
    if current and context_id is not None:
        current = row is not None and row.role == role.value
    if len(cache) > 50_000:
        cache.clear()
    cache[key] = (time.monotonic(), current)
    return current


def _forgotten_at() -> float:
    return memo("live_sessions_forgotten_at", lambda: [0.0])[0]


def forget_live_sessions() -> None:
    """Check every session again at its next request (what every worker does within seconds)."""
    forget("live_sessions")
    memo("live_sessions_forgotten_at", lambda: [0.0])[0] = time.time()
