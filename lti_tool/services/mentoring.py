"""Mentoring after training: mentors, their small-group sessions, sign-ups and the waiting list.

Who sees what:
- a mentor (a person with the programme's mentor grant, or a launch with the LTI Mentor role)
  sees her own profile and sessions (and those she co-leads), the women signed up for them, and
  the women she accompanies: in the LMS course she was launched into, those of her
  `role_scope_mentor` (their progress only); in the Leadership School, those she was assigned
  (services/schools.py). Never reflections, demographics or requests for help.
- a participant sees the upcoming sessions of her programme, mentors' public profiles, and her
  own sign-ups; she may sign up when she has done what the content's sign-up rule asks.
- the programme team sees every session of its programme.
Nothing crosses programmes: another programme's session is "not found".

Who has a place and who waits is never stored: it follows from the live requests in order
(`courses.mentoring.allocate`), so a cancellation frees a place for the first woman waiting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import ScalarSelect, Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from courses import mentoring as rules
from courses import progression
from courses.model import Catalogue
from courses.programme_data import MentoringTopic
from courses.progression import ActivityState
from courses.schools import CHILE, from_chile
from lti_tool.actor import Actor, Role
from lti_tool.models import (
    DEFAULT_PROGRAMME_ID,
    ActivityProgress,
    Enrolment,
    Grant,
    LmsContext,
    LtiUser,
    MentoringSession,
    MentoringSignUp,
    MentorProfile,
    SchoolMember,
    SchoolProgress,
    db,
    utcnow,
)
from lti_tool.services import cohort, content, programme, revisions
from lti_tool.services.calendar import single_event_calendar
from lti_tool.services.cohort import CourseScope, Member
from lti_tool.services.dbutil import hold_until_commit, read_under_lock
from lti_tool.services.errors import (
    Forbidden,
    MentoringSessionNotFound,
    MentorNotFound,
    ParticipantNotFound,
    Refused,
)

SCHEDULED, HELD, CANCELLED = "scheduled", "held", "cancelled"
ONLINE, IN_PERSON = "online", "in_person"
MODES = (ONLINE, IN_PERSON)
RATE_WITHIN = timedelta(days=30)  # her past sessions stay on her list this long, to rate them


# =============================================================================== who she is
def is_mentor(actor: Actor) -> bool:
    """A launch with the LTI Mentor role, or the programme's mentor grant."""
    return actor.role == Role.MENTOR or Role.MENTOR in programme.roles_of(actor)


def require_mentor(actor: Actor) -> None:
    if not is_mentor(actor):
        raise Forbidden("not a mentor")


def _is_team(actor: Actor) -> bool:
    return Role.PROGRAMME_TEAM in programme.roles_of(actor)


@dataclass(frozen=True)
class Standing:
    """What she has completed, across every plan of hers in the programme and its schools."""

    pathway_complete: bool
    completed_courses: frozenset[str]


NOBODY = Standing(False, frozenset())


def standing_of(user_ids: Collection[int], programme_id: int) -> dict[int, Standing]:
    """Each person's standing (three queries, whatever the number of people). A course counts
    as completed wherever she completed it: a plan of hers in any LMS course of the programme,
    or a school."""
    if not user_ids:
        return {}
    ids = sorted(set(user_ids))
    enrolments = list(
        db.session.scalars(
            select(Enrolment)
            .join(LmsContext, LmsContext.id == Enrolment.context_id)
            .where(Enrolment.user_id.in_(ids), LmsContext.programme_id == programme_id)
        )
    )
    states: dict[int, dict[str, ActivityState]] = defaultdict(dict)
    if enrolments:
        for enrolment_id, activity_id, completed, score in db.session.execute(
            select(
                ActivityProgress.enrolment_id,
                ActivityProgress.activity_id,
                ActivityProgress.completed,
                ActivityProgress.score,
            ).where(ActivityProgress.enrolment_id.in_([e.id for e in enrolments]))
        ):
            states[enrolment_id][activity_id] = ActivityState(completed, score)
    pathway_done: set[int] = set()
    courses: dict[int, set[str]] = defaultdict(set)
    for enrolment in enrolments:
        catalogue = content.catalogue(enrolment.content_version_id)
        progress = states[enrolment.id]
        plan = progression.plan(catalogue, enrolment.pathway_id, enrolment.course_ids, progress)
        if progression.pathway_complete(plan):
            pathway_done.add(enrolment.user_id)
        courses[enrolment.user_id] |= _completed_courses(catalogue, progress)
    latest = content.latest_catalogue()
    if latest is not None:
        school: dict[int, dict[str, ActivityState]] = defaultdict(dict)
        for user_id, activity_id, completed in db.session.execute(
            select(SchoolMember.user_id, SchoolProgress.activity_id, SchoolProgress.completed)
            .join(SchoolMember, SchoolMember.id == SchoolProgress.member_id)
            .where(SchoolMember.user_id.in_(ids), SchoolMember.programme_id == programme_id)
        ):
            if completed:
                school[user_id][activity_id] = ActivityState(True)
        for user_id, progress in school.items():
            courses[user_id] |= _completed_courses(latest[1], progress)
    return {
        user_id: Standing(user_id in pathway_done, frozenset(courses[user_id])) for user_id in ids
    }


def _completed_courses(catalogue: Catalogue, progress: Mapping[str, ActivityState]) -> set[str]:
    touched = {
        catalogue.activities[a].course_id
        for a, state in progress.items()
        if state.completed and a in catalogue.activities
    }
    return {c for c in touched if progression.course_complete(catalogue, c, progress)}


def sign_up_rule(catalogue: Catalogue | None) -> rules.SignUpRule:
    """The content's rule; without mentoring content, the programme's own rule (graduates)."""
    if catalogue is None or catalogue.mentoring is None:
        return rules.SignUpRule(pathway_complete=True)
    return rules.SignUpRule.from_content(catalogue.mentoring.sign_up_requires)


def may_sign_up(standing: Standing, catalogue: Catalogue | None) -> bool:
    return rules.may_sign_up(
        sign_up_rule(catalogue), standing.pathway_complete, standing.completed_courses
    )


def _catalogue() -> Catalogue | None:
    latest = content.latest_catalogue()
    return latest[1] if latest else None


def topics() -> tuple[MentoringTopic, ...]:
    catalogue = _catalogue()
    return catalogue.mentoring.topics if catalogue and catalogue.mentoring else ()


# =============================================================================== profiles
@dataclass(frozen=True)
class Profile:
    user_id: int
    name: str
    bio: str
    region: str
    topics: tuple[str, ...]
    online: bool
    in_person: bool
    per_month: int
    revision: int  # for her profile form to name


def _profile_fields(row: MentorProfile) -> tuple[Any, ...]:
    return (
        row.bio,
        row.region,
        list(row.topics or ()),
        row.online,
        row.in_person,
        row.per_month,
    )


def _profile_view(row: MentorProfile, name: str) -> Profile:
    return Profile(
        row.user_id,
        name,
        row.bio,
        row.region,
        tuple(row.topics or ()),
        row.online,
        row.in_person,
        row.per_month,
        row.revision or 0,
    )


def _own_profile(actor: Actor) -> MentorProfile | None:
    found: MentorProfile | None = db.session.scalar(
        select(MentorProfile).where(
            MentorProfile.programme_id == actor.programme_id,
            MentorProfile.user_id == actor.user_id,
        )
    )
    return found


def my_profile(actor: Actor) -> Profile | None:
    require_mentor(actor)
    row = _own_profile(actor)
    return _profile_view(row, actor.name) if row else None


def save_profile(
    actor: Actor,
    bio: str,
    region: str,
    topic_ids: Iterable[str],
    online: bool,
    in_person: bool,
    per_month: int,
    revision: int | None = None,
) -> None:
    """Her public profile. Unknown topics are refused (the form offers the content's); a save
    from a page older than the saved profile raises revisions.Stale, unless it sends what is
    saved (a double tap)."""
    require_mentor(actor)
    known = {t.id for t in topics()}
    chosen = list(dict.fromkeys(topic_ids))
    if not chosen or any(t not in known for t in chosen):
        raise Refused("topics")
    if not (online or in_person):
        raise Refused("modes")
    existing = _own_profile(actor)
    if existing is not None:
        read_under_lock(existing)
    sent = (bio.strip()[:600], region, chosen, online, in_person, per_month)
    unchanged = existing is not None and _profile_fields(existing) == sent
    row = existing or MentorProfile(programme_id=actor.programme_id, user_id=actor.user_id)
    if not revisions.advance(row, revision, unchanged=unchanged):
        db.session.rollback()
        return
    row.bio, row.region, row.topics, row.online, row.in_person, row.per_month = sent
    row.updated_at = utcnow()
    db.session.add(row)
    db.session.commit()


def public_profile(actor: Actor, mentor_id: int) -> tuple[Profile, list[SessionCard]]:
    """A mentor's public profile and her upcoming sessions, for anyone of her programme."""
    row = db.session.execute(
        select(MentorProfile, LtiUser.name)
        .join(LtiUser, LtiUser.id == MentorProfile.user_id)
        .where(MentorProfile.user_id == mentor_id, MentorProfile.programme_id == actor.programme_id)
    ).one_or_none()
    if row is None:
        raise MentorNotFound(mentor_id)
    profile = _profile_view(row[0], row[1] or "")
    cards = _cards(
        actor,
        _upcoming_query(actor.programme_id).where(MentoringSession.mentor_id == mentor_id),
    )
    return profile, cards


# =============================================================================== sessions
@dataclass(frozen=True)
class SessionCard:
    """A session as a participant sees it. The link and the place are hers only once she has
    a place."""

    id: int
    topic_id: str
    starts_at: datetime
    duration_minutes: int
    mode: str
    region: str
    capacity: int
    live: int  # live requests: min(live, capacity) have a place
    status: str
    mentor_id: int
    mentor_name: str
    details: str
    mine: str | None  # booked | waiting | None
    position: int | None  # in the waiting list
    meeting_url: str
    place: str
    attended: bool | None = None
    rating: int | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def booked(self) -> int:
        return min(self.live, self.capacity)

    @property
    def waiting(self) -> int:
        return max(0, self.live - self.capacity)

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.live)

    @property
    def full(self) -> bool:
        return self.live >= self.capacity

    def open_now(self, now: datetime) -> bool:
        return self.status == SCHEDULED and rules.open_for_sign_up(self.starts_at, now)

    def may_rate(self, now: datetime) -> bool:
        return self.status != CANCELLED and rules.may_rate(
            self.starts_at, now, self.mine == "booked", self.attended
        )

    def reminder(self, now: datetime) -> bool:
        return (
            self.mine == "booked"
            and self.status == SCHEDULED
            and rules.due_for_reminder(self.starts_at, now)
        )


_OTHER_LIVE = aliased(MentoringSignUp, name="other_live")


@cache  # built once: a statement is immutable, and building one costs more than running it
def _live_count() -> ScalarSelect[int]:
    return (
        select(func.count(_OTHER_LIVE.id))
        .where(_OTHER_LIVE.session_id == MentoringSession.id, _OTHER_LIVE.cancelled_at.is_(None))
        .correlate(MentoringSession)
        .scalar_subquery()
    )


_EARLIER = aliased(MentoringSignUp, name="earlier")


@cache
def _rank() -> ScalarSelect[int]:
    """How many live requests of the same session came before hers (her place in line, from
    0): the same order as `courses.mentoring.allocate` (time of request, then id)."""
    return (
        select(func.count(_EARLIER.id))
        .where(
            _EARLIER.session_id == MentoringSignUp.session_id,
            _EARLIER.cancelled_at.is_(None),
            or_(
                _EARLIER.requested_at < MentoringSignUp.requested_at,
                and_(
                    _EARLIER.requested_at == MentoringSignUp.requested_at,
                    _EARLIER.id < MentoringSignUp.id,
                ),
            ),
        )
        .correlate(MentoringSignUp)
        .scalar_subquery()
    )


def _upcoming_query(programme_id: int) -> Select[Any]:
    return (
        select(MentoringSession, LtiUser.name, _live_count())
        .join(LtiUser, LtiUser.id == MentoringSession.mentor_id)
        .where(
            MentoringSession.programme_id == programme_id,
            MentoringSession.status == SCHEDULED,
            MentoringSession.starts_at > utcnow(),
        )
        .order_by(MentoringSession.starts_at, MentoringSession.id)
    )


def _card(
    session: MentoringSession,
    mentor_name: str,
    live: int,
    sign_up: MentoringSignUp | None = None,
    rank: int | None = None,
) -> SessionCard:
    mine = position = None
    if sign_up is not None and sign_up.cancelled_at is None and rank is not None:
        if rank < session.capacity:
            mine = "booked"
        else:
            mine, position = "waiting", rank - session.capacity + 1
    booked = mine == "booked"
    return SessionCard(
        id=session.id,
        topic_id=session.topic_id,
        starts_at=session.starts_at,
        duration_minutes=session.duration_minutes,
        mode=session.mode,
        region=session.region,
        capacity=session.capacity,
        live=int(live or 0),
        status=session.status,
        mentor_id=session.mentor_id,
        mentor_name=mentor_name or "",
        details=session.details,
        mine=mine,
        position=position,
        meeting_url=session.meeting_url if booked else "",
        place=session.place if booked else "",
        attended=sign_up.attended if sign_up else None,
        rating=sign_up.rating if sign_up else None,
    )


def _mine(actor: Actor, since: datetime) -> dict[int, SessionCard]:
    """Her live sign-ups (and past ones she may still rate), by session (one query)."""
    rows = db.session.execute(
        select(MentoringSignUp, MentoringSession, LtiUser.name, _live_count(), _rank())
        .join(MentoringSession, MentoringSession.id == MentoringSignUp.session_id)
        .join(LtiUser, LtiUser.id == MentoringSession.mentor_id)
        .where(
            MentoringSignUp.user_id == actor.user_id,
            MentoringSignUp.cancelled_at.is_(None),
            MentoringSession.programme_id == actor.programme_id,
            MentoringSession.starts_at >= since,
        )
        .order_by(MentoringSession.starts_at)
    ).all()
    return {
        session.id: _card(session, name, live, sign_up, rank)
        for sign_up, session, name, live, rank in rows
    }


def _cards(actor: Actor, query: Select[Any]) -> list[SessionCard]:
    mine = _mine(actor, utcnow())
    cards = []
    for session, name, live in db.session.execute(query).all():
        cards.append(mine.get(session.id) or _card(session, name, live))
    return cards


@dataclass(frozen=True)
class Board:
    eligible: bool
    sessions: list[SessionCard]
    mine: list[SessionCard]
    topics: tuple[MentoringTopic, ...]
    regions: tuple[str, ...]  # regions with upcoming sessions


def board(actor: Actor, topic: str = "", region: str = "") -> Board:
    """Upcoming sessions of her programme by topic and region, and her own sign-ups (upcoming
    and recent, to rate them). Four queries."""
    catalogue = _catalogue()
    standing = standing_of([actor.user_id], actor.programme_id).get(actor.user_id, NOBODY)
    now = utcnow()
    mine = _mine(actor, now - RATE_WITHIN)
    rows = db.session.execute(_upcoming_query(actor.programme_id)).all()
    regions = tuple(sorted({s.region for s, _n, _l in rows if s.region}))
    sessions = [
        mine.get(session.id) or _card(session, name, live)
        for session, name, live in rows
        if (not topic or session.topic_id == topic) and (not region or session.region == region)
    ]
    return Board(
        eligible=may_sign_up(standing, catalogue),
        sessions=sessions,
        mine=list(mine.values()),
        topics=catalogue.mentoring.topics if catalogue and catalogue.mentoring else (),
        regions=regions,
    )


@dataclass(frozen=True)
class SessionPage:
    card: SessionCard
    profile: Profile | None
    eligible: bool
    comment: str
    open: bool  # sign-ups and cancellations are open
    rateable: bool  # she may rate it now
    revision: int  # of her rating, for the rating form to name


def _rating_fields(sign_up: MentoringSignUp | None) -> tuple[int | None, str]:
    return (sign_up.rating, sign_up.comment or "") if sign_up else (None, "")


def session_page(actor: Actor, session_id: int) -> SessionPage:
    """One session of her programme, her place in it, and the mentor's public profile."""
    row = db.session.execute(
        select(MentoringSession, LtiUser.name, _live_count(), MentorProfile)
        .join(LtiUser, LtiUser.id == MentoringSession.mentor_id)
        .outerjoin(
            MentorProfile,
            and_(
                MentorProfile.user_id == MentoringSession.mentor_id,
                MentorProfile.programme_id == MentoringSession.programme_id,
            ),
        )
        .where(
            MentoringSession.id == session_id,
            MentoringSession.programme_id == actor.programme_id,
        )
    ).one_or_none()
    if row is None:
        raise MentoringSessionNotFound(session_id)
    session, name, live, profile = row
    mine = db.session.execute(
        select(MentoringSignUp, _rank()).where(
            MentoringSignUp.session_id == session.id,
            MentoringSignUp.user_id == actor.user_id,
        )
    ).one_or_none()
    sign_up, rank = mine if mine else (None, None)
    standing = standing_of([actor.user_id], actor.programme_id).get(actor.user_id, NOBODY)
    card = _card(session, name, live, sign_up, rank)
    now = utcnow()
    return SessionPage(
        card=card,
        profile=_profile_view(profile, name or "") if profile else None,
        eligible=may_sign_up(standing, _catalogue()),
        comment=sign_up.comment if sign_up and sign_up.rating else "",
        open=card.open_now(now),
        rateable=card.may_rate(now),
        revision=(sign_up.revision or 0) if sign_up else 0,
    )


def _session_for_update(actor: Actor, session_id: int) -> MentoringSession:
    """The session, locked until the end of the transaction (PostgreSQL: two women asking for
    the last place at once are served one after the other)."""
    found: MentoringSession | None = db.session.scalar(
        select(MentoringSession)
        .where(
            MentoringSession.id == session_id,
            MentoringSession.programme_id == actor.programme_id,
        )
        .with_for_update()
    )
    if found is None:
        raise MentoringSessionNotFound(session_id)
    return found


def _allocation(session: MentoringSession) -> rules.Allocation:
    requests = [
        rules.SeatRequest(str(r.user_id), r.requested_at, r.cancelled_at)
        for r in db.session.scalars(
            select(MentoringSignUp)
            .where(MentoringSignUp.session_id == session.id)
            .order_by(MentoringSignUp.requested_at, MentoringSignUp.id)
        )
    ]
    return rules.allocate(session.capacity, requests)


@dataclass(frozen=True)
class Place:
    booked: bool
    position: int | None  # in the waiting list


def sign_up(actor: Actor, session_id: int) -> Place:
    """She asks for a place: she gets one if one is free, else she waits in line. Asking again
    changes nothing. Refused: before she completed what the rule asks (`not-eligible`), once
    the session started or was cancelled (`closed`), for a mentor's own session (`own`)."""
    session = _session_for_update(actor, session_id)
    now = utcnow()
    if session.status != SCHEDULED or not rules.open_for_sign_up(session.starts_at, now):
        raise Refused("closed")
    if actor.user_id in (session.mentor_id, session.co_mentor_id):
        raise Refused("own")
    standing = standing_of([actor.user_id], actor.programme_id).get(actor.user_id, NOBODY)
    if not may_sign_up(standing, _catalogue()):
        raise Refused("not-eligible")
    row = db.session.scalar(
        select(MentoringSignUp).where(
            MentoringSignUp.session_id == session.id, MentoringSignUp.user_id == actor.user_id
        )
    )
    if row is None:
        db.session.add(MentoringSignUp(session_id=session.id, user_id=actor.user_id))
    elif row.cancelled_at is not None:  # she asks again: to the back of the line
        row.requested_at = now
        row.cancelled_at = None
        row.attended = None
    db.session.flush()
    allocation = _allocation(session)
    db.session.commit()
    person = str(actor.user_id)
    return Place(allocation.is_booked(person), allocation.position(person))


def cancel(actor: Actor, session_id: int) -> bool:
    """She gives up her place (or leaves the waiting list) before the session starts; the
    first woman waiting takes the place. False if she had nothing to cancel."""
    session = _session_for_update(actor, session_id)
    if not rules.open_for_sign_up(session.starts_at, utcnow()):
        raise Refused("closed")
    row = db.session.scalar(
        select(MentoringSignUp).where(
            MentoringSignUp.session_id == session.id,
            MentoringSignUp.user_id == actor.user_id,
            MentoringSignUp.cancelled_at.is_(None),
        )
    )
    if row is None:
        db.session.rollback()
        return False
    row.cancelled_at = utcnow()
    db.session.commit()
    return True


def rate(
    actor: Actor, session_id: int, rating: int, comment: str, revision: int | None = None
) -> None:
    """Her one-tap rating (and an optional comment) of a session she had a place in, once it
    has started. Rating again replaces the earlier one, unless it comes from a page older than
    that one (revisions.Stale): her newer comment stays. The same answer sent again (a double
    tap) changes nothing."""
    if rating not in rules.RATINGS:
        raise Refused("rating")
    page = session_page(actor, session_id)
    if not page.rateable:
        raise Refused("not-rateable")
    row = db.session.scalar(
        select(MentoringSignUp).where(
            MentoringSignUp.session_id == session_id, MentoringSignUp.user_id == actor.user_id
        )
    )
    assert row is not None  # she had a place
    read_under_lock(row)
    sent = (rating, comment.strip()[:500])
    if not revisions.advance(row, revision, unchanged=_rating_fields(row) == sent):
        db.session.rollback()
        return
    row.rating, row.comment = sent
    row.rated_at = utcnow()
    db.session.commit()


def calendar_file(
    actor: Actor, session_id: int, locale: str, host: str, summary: Callable[[str], str]
) -> tuple[bytes, str]:
    """An .ics for a session she has a place in, in Chile's time zone with its VTIMEZONE, so
    any calendar shows the right hour across the daylight-saving changes. (bytes, file name)"""
    page = session_page(actor, session_id)
    card = page.card
    if card.mine != "booked" or card.status == CANCELLED:
        raise MentoringSessionNotFound(session_id)
    catalogue = _catalogue()
    topic = catalogue.mentoring.topic(card.topic_id) if catalogue and catalogue.mentoring else None
    lines = [card.mentor_name, *(line for line in (card.details, card.meeting_url) if line)]
    body = single_event_calendar(
        product="Mentoring",
        uid=f"senda-mentoring-{actor.programme_id}-{card.id}@{host}",
        start=card.starts_at,
        end=card.ends_at,
        summary=summary(topic.title.get(locale) if topic else card.topic_id),
        description="\n".join(lines),
        url=card.meeting_url,
        location=card.meeting_url or card.place,
    )
    return body, f"senda-{locale}-{card.id}.ics"


# ------------------------------------------------------------------------- her plan's card
@dataclass(frozen=True)
class PlanCard:
    """For her plan page: her upcoming sessions (a reminder for those of the next days)."""

    sessions: list[SessionCard]

    def reminders(self, now: datetime) -> list[SessionCard]:
        return [s for s in self.sessions if s.reminder(now)]


def plan_card(actor: Actor, has_sign_ups: bool = True) -> PlanCard:
    """One query, when she may have sign-ups."""
    if not has_sign_ups:
        return PlanCard([])
    now = utcnow()
    return PlanCard([c for c in _mine(actor, now).values() if c.status != CANCELLED])


# =============================================================================== mentors
@dataclass(frozen=True)
class MentorSession:
    """A session as its mentor sees it."""

    id: int
    topic_id: str
    starts_at: datetime
    duration_minutes: int
    mode: str
    region: str
    capacity: int
    live: int
    status: str
    mentor_id: int
    mentor_name: str
    co_mentor_id: int | None
    co_mentor_name: str
    meeting_url: str
    place: str
    details: str

    @property
    def booked(self) -> int:
        return min(self.live, self.capacity)

    @property
    def waiting(self) -> int:
        return max(0, self.live - self.capacity)

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


_CO_MENTOR = aliased(LtiUser, name="co_mentor")


def _mentor_sessions_query() -> Select[Any]:
    return (
        select(MentoringSession, LtiUser.name, _CO_MENTOR.name, _live_count())
        .join(LtiUser, LtiUser.id == MentoringSession.mentor_id)
        .outerjoin(_CO_MENTOR, _CO_MENTOR.id == MentoringSession.co_mentor_id)
    )


def _mentor_session(
    session: MentoringSession, mentor: str | None, co: str | None, live: int
) -> MentorSession:
    return MentorSession(
        id=session.id,
        topic_id=session.topic_id,
        starts_at=session.starts_at,
        duration_minutes=session.duration_minutes,
        mode=session.mode,
        region=session.region,
        capacity=session.capacity,
        live=int(live or 0),
        status=session.status,
        mentor_id=session.mentor_id,
        mentor_name=mentor or "",
        co_mentor_id=session.co_mentor_id,
        co_mentor_name=co or "",
        meeting_url=session.meeting_url,
        place=session.place,
        details=session.details,
    )


def hours_of(sessions: Iterable[MentorSession | MentoringSession], user_id: int) -> float:
    """Volunteer hours from the sessions she led or co-led that were held."""
    return rules.volunteer_hours(
        rules.HeldSession(
            s.starts_at,
            s.status == HELD,
            "lead" if s.mentor_id == user_id else "co-lead",
            duration_minutes=s.duration_minutes,
        )
        for s in sessions
        if user_id in (s.mentor_id, s.co_mentor_id)
    )


def co_led(actor: Actor) -> list[MentorSession]:
    """The sessions she leads or co-leads, newest first (one query): an intern's internship."""
    rows = db.session.execute(
        _mentor_sessions_query()
        .where(
            MentoringSession.programme_id == actor.programme_id,
            or_(
                MentoringSession.mentor_id == actor.user_id,
                MentoringSession.co_mentor_id == actor.user_id,
            ),
        )
        .order_by(MentoringSession.starts_at.desc())
    ).all()
    return [_mentor_session(*row) for row in rows]


def hours_by_person(programme_id: int, user_ids: Collection[int]) -> dict[int, float]:
    """Volunteer hours of each person, from the held sessions of the programme (one query)."""
    if not user_ids:
        return {}
    ids = sorted(set(user_ids))
    sessions = list(
        db.session.scalars(
            select(MentoringSession).where(
                MentoringSession.programme_id == programme_id,
                MentoringSession.status == HELD,
                or_(MentoringSession.mentor_id.in_(ids), MentoringSession.co_mentor_id.in_(ids)),
            )
        )
    )
    return {user_id: hours_of(sessions, user_id) for user_id in ids}


@dataclass(frozen=True)
class SchoolMentee:
    member_id: int
    user_id: int
    name: str
    school_id: str


@dataclass(frozen=True)
class MentorHome:
    profile: Profile | None
    upcoming: list[MentorSession]
    past: list[MentorSession]
    hours: float
    school_mentees: list[SchoolMentee]
    course_mentees: list[Member]
    lti_mentor: bool  # launched with the Mentor role: her course mentees are shown


def home(actor: Actor) -> MentorHome:
    """Her profile, her sessions (led or co-led), her hours and the women she accompanies."""
    require_mentor(actor)
    profile = _own_profile(actor)
    rows = db.session.execute(
        _mentor_sessions_query()
        .where(
            MentoringSession.programme_id == actor.programme_id,
            or_(
                MentoringSession.mentor_id == actor.user_id,
                MentoringSession.co_mentor_id == actor.user_id,
            ),
        )
        .order_by(MentoringSession.starts_at.desc())
    ).all()
    sessions = [_mentor_session(*row) for row in rows]
    now = utcnow()
    upcoming = sorted(
        (s for s in sessions if s.ends_at > now and s.status == SCHEDULED),
        key=lambda s: s.starts_at,
    )
    past = [s for s in sessions if s not in upcoming][:30]
    school_mentees = [
        SchoolMentee(member_id, user_id, name or "", school_id)
        for member_id, user_id, name, school_id in db.session.execute(
            select(SchoolMember.id, SchoolMember.user_id, LtiUser.name, SchoolMember.school_id)
            .join(LtiUser, LtiUser.id == SchoolMember.user_id)
            .where(
                SchoolMember.programme_id == actor.programme_id,
                SchoolMember.mentor_id == actor.user_id,
                SchoolMember.status == "active",
            )
            .order_by(LtiUser.name, SchoolMember.id)
        )
    ]
    lti_mentor = actor.role == Role.MENTOR and actor.context_id is not None
    return MentorHome(
        profile=_profile_view(profile, actor.name) if profile else None,
        upcoming=upcoming,
        past=past,
        hours=hours_of(sessions, actor.user_id),
        school_mentees=school_mentees,
        course_mentees=mentees(actor) if lti_mentor else [],
        lti_mentor=lti_mentor,
    )


@dataclass(frozen=True)
class Intern:
    user_id: int
    name: str


def interns(actor: Actor) -> list[Intern]:
    """Women in the Mentor Training School of her programme, who may co-lead a session with
    her (their internship)."""
    require_mentor(actor)
    catalogue = _catalogue()
    schools = [
        s.id for s in (catalogue.schools.values() if catalogue else ()) if s.mentor_eligibility
    ]
    if not schools:
        return []
    return [
        Intern(user_id, name or "")
        for user_id, name in db.session.execute(
            select(SchoolMember.user_id, LtiUser.name)
            .join(LtiUser, LtiUser.id == SchoolMember.user_id)
            .where(
                SchoolMember.programme_id == actor.programme_id,
                SchoolMember.school_id.in_(schools),
                SchoolMember.status == "active",
                SchoolMember.user_id != actor.user_id,
            )
            .order_by(LtiUser.name)
        )
    ]


@dataclass(frozen=True)
class NewSession:
    topic_id: str
    starts_at_local: datetime  # Chile's wall-clock time, naive
    duration_minutes: int
    mode: str
    meeting_url: str
    place: str
    region: str
    capacity: int
    details: str
    co_mentor_id: int | None


def offer(actor: Actor, data: NewSession) -> int:
    """She offers a session. Refused: without a profile (`no-profile`), an unknown topic
    (`topic`), a time in the past or more than a year ahead (`when`), an online session without
    a link or one in person without a place (`where`), over her monthly limit (`month-full`),
    a co-mentor who is not an intern of the programme (`co-mentor`). The same session sent
    again (a double tap, the Back button) is not a second one: its id is returned."""
    require_mentor(actor)
    profile = _own_profile(actor)
    if profile is None:
        raise Refused("no-profile")
    if data.topic_id not in {t.id for t in topics()}:
        raise Refused("topic")
    starts_at = from_chile(data.starts_at_local)
    now = utcnow()
    if starts_at <= now or starts_at > now + timedelta(days=366):
        raise Refused("when")
    if data.mode not in MODES:
        raise Refused("where")
    if data.mode == ONLINE and not data.meeting_url:
        raise Refused("where")
    if data.mode == IN_PERSON and not data.place.strip():
        raise Refused("where")
    if data.co_mentor_id is not None and data.co_mentor_id not in {
        i.user_id for i in interns(actor)
    }:
        raise Refused("co-mentor")
    # The same offer sent twice at once: the second waits for the first, then finds it (and
    # the monthly limit counts the first).
    hold_until_commit(LtiUser, actor.user_id)
    existing = db.session.scalars(
        select(MentoringSession).where(
            MentoringSession.programme_id == actor.programme_id,
            MentoringSession.mentor_id == actor.user_id,
            MentoringSession.status != CANCELLED,
        )
    ).all()
    row = MentoringSession(
        programme_id=actor.programme_id,
        mentor_id=actor.user_id,
        co_mentor_id=data.co_mentor_id,
        topic_id=data.topic_id,
        starts_at=starts_at,
        duration_minutes=data.duration_minutes,
        mode=data.mode,
        meeting_url=data.meeting_url if data.mode == ONLINE else "",
        place=data.place.strip() if data.mode == IN_PERSON else "",
        region=data.region,
        capacity=data.capacity,
        details=data.details.strip(),
        status=SCHEDULED,
    )
    for earlier in existing:
        if earlier.status == SCHEDULED and _same_offer(earlier, row):
            return earlier.id
    if not rules.may_offer(profile.per_month, [s.starts_at for s in existing], starts_at):
        raise Refused("month-full")
    db.session.add(row)
    db.session.commit()
    return row.id


_OFFER_FIELDS = (
    "topic_id",
    "starts_at",
    "duration_minutes",
    "mode",
    "meeting_url",
    "place",
    "region",
    "capacity",
    "details",
    "co_mentor_id",
)


def _same_offer(earlier: MentoringSession, new: MentoringSession) -> bool:
    return all(getattr(earlier, f) == getattr(new, f) for f in _OFFER_FIELDS)


@dataclass(frozen=True)
class Attendee:
    user_id: int
    name: str
    booked: bool
    position: int | None
    attended: bool | None


@dataclass(frozen=True)
class SessionDetail:
    """A session with the women signed up, for its mentor (and the programme team)."""

    session: MentorSession
    attendees: list[Attendee]  # those with a place, then the waiting list, in order
    private_note: str
    ratings: dict[int, int]  # rating → how many
    comments: list[str]  # without names
    may_take_attendance: bool
    may_cancel: bool
    lead: bool  # she leads it (a co-mentor sees it, the lead changes it)
    revision: int  # of the attendance and the private note, for the attendance form to name


def _session_of_mentor(actor: Actor, session_id: int) -> MentoringSession:
    """Her session: she leads it (a mentor), or co-leads it (named by its mentor: an intern of
    the Mentor Training School); the programme team may open any of its programme's."""
    session: MentoringSession | None = db.session.scalar(
        select(MentoringSession).where(
            MentoringSession.id == session_id,
            MentoringSession.programme_id == actor.programme_id,
        )
    )
    if session is None:
        raise MentoringSessionNotFound(session_id)
    if actor.user_id == session.co_mentor_id:
        return session
    if actor.user_id == session.mentor_id and is_mentor(actor):
        return session
    if _is_team(actor):
        return session
    raise MentoringSessionNotFound(session_id)


def session_detail(actor: Actor, session_id: int) -> SessionDetail:
    session = _session_of_mentor(actor, session_id)
    row = db.session.execute(
        _mentor_sessions_query().where(MentoringSession.id == session.id)
    ).one()
    view = _mentor_session(*row)
    sign_ups = db.session.execute(
        select(MentoringSignUp, LtiUser.name)
        .join(LtiUser, LtiUser.id == MentoringSignUp.user_id)
        .where(MentoringSignUp.session_id == session.id)
        .order_by(MentoringSignUp.requested_at, MentoringSignUp.id)
    ).all()
    allocation = rules.allocate(
        session.capacity,
        [rules.SeatRequest(str(s.user_id), s.requested_at, s.cancelled_at) for s, _ in sign_ups],
    )
    by_user = {s.user_id: (s, name) for s, name in sign_ups}
    attendees = [
        Attendee(
            int(person),
            by_user[int(person)][1] or "",
            allocation.is_booked(person),
            allocation.position(person),
            by_user[int(person)][0].attended,
        )
        for person in (*allocation.booked, *allocation.waiting)
    ]
    ratings: dict[int, int] = {}
    comments = []
    for s, _name in sign_ups:
        if s.rating:
            ratings[s.rating] = ratings.get(s.rating, 0) + 1
            if s.comment:
                comments.append(s.comment)
    now = utcnow()
    lead = session.mentor_id == actor.user_id
    return SessionDetail(
        session=view,
        attendees=attendees,
        private_note=session.private_note or "",
        ratings=ratings,
        comments=comments,
        may_take_attendance=lead and session.status != CANCELLED and session.starts_at <= now,
        may_cancel=lead and session.status == SCHEDULED and session.starts_at > now,
        lead=lead,
        revision=session.revision or 0,
    )


def record_attendance(
    actor: Actor,
    session_id: int,
    present_ids: Collection[int],
    note: str,
    revision: int | None = None,
) -> int:
    """Its lead mentor records who came (among the women with a place) and a short private
    note, once the session has started; the session counts as held (volunteer hours). Returns
    how many attended. A save from a page older than the saved attendance and note raises
    revisions.Stale, unless it sends what is saved (a double tap): her newer note stays."""
    session = _session_of_mentor(actor, session_id)
    if session.mentor_id != actor.user_id:
        raise MentoringSessionNotFound(session_id)
    read_under_lock(session)
    if session.status == CANCELLED or session.starts_at > utcnow():
        raise Refused("not-started")
    allocation = _allocation(session)
    booked = {int(p) for p in allocation.booked}
    rows = list(
        db.session.scalars(
            select(MentoringSignUp).where(
                MentoringSignUp.session_id == session.id, MentoringSignUp.user_id.in_(booked)
            )
        )
    )
    present = set(present_ids) & booked
    came = sorted(row.user_id for row in rows if row.attended)
    unchanged = (session.private_note or "", came) == (note.strip()[:1000], sorted(present))
    revisions.advance(session, revision, unchanged=unchanged)  # attendance is written anyway
    for row in rows:
        row.attended = row.user_id in present
    session.status = HELD
    session.held_at = session.held_at or utcnow()
    session.private_note = note.strip()[:1000]
    db.session.commit()
    return len(present)


def cancel_session(actor: Actor, session_id: int) -> bool:
    """Its lead mentor cancels a session that has not started; the women signed up see it.
    False if it was cancelled already (the button tapped twice): nothing changes."""
    session = _session_of_mentor(actor, session_id)
    if session.mentor_id != actor.user_id:
        raise MentoringSessionNotFound(session_id)
    if session.status == CANCELLED:
        db.session.rollback()
        return False
    if session.status != SCHEDULED or session.starts_at <= utcnow():
        raise Refused("closed")
    session.status = CANCELLED
    session.cancelled_at = utcnow()
    db.session.commit()
    return True


# ------------------------------------------------------------- her mentees in an LMS course
def _scope(actor: Actor) -> CourseScope:
    if actor.role != Role.MENTOR or actor.context_id is None:
        raise Forbidden("not a mentor of this course")
    return CourseScope(actor.context_id)


def mentees(actor: Actor) -> list[Member]:
    """The participants of this course in her `role_scope_mentor`, with their progress."""
    if not actor.mentees:
        _scope(actor)
        return []
    return cohort.members(_scope(actor), subs=frozenset(actor.mentees))


def mentee(actor: Actor, user_id: int) -> Member:
    """One of her mentees; anyone else is not found."""
    for member in mentees(actor):
        if member.user.id == user_id:
            return member
    raise ParticipantNotFound(user_id)


# =============================================================================== the team
@dataclass(frozen=True)
class TeamSession:
    session: MentorSession
    attended: int
    ratings: int  # how many women answered
    helped_a_lot: int  # of them, how many said it helped a lot


@dataclass(frozen=True)
class NetworkMentor:
    user_id: int
    name: str
    granted: bool  # holds the mentor grant (else: launched with the LTI Mentor role)
    has_profile: bool
    topics: tuple[str, ...]
    region: str
    hours: float
    upcoming: int


@dataclass(frozen=True)
class Network:
    sessions: list[TeamSession]
    mentors: list[NetworkMentor]


def network(actor: Actor, days: int = 120) -> Network:
    """Every session of the programme from `days` ago on, with attendance and ratings, and every
    mentor with her hours. For the programme team."""
    programme.require(actor, Role.PROGRAMME_TEAM)
    since = utcnow() - timedelta(days=days)
    attended = (
        select(func.count(MentoringSignUp.id))
        .where(
            MentoringSignUp.session_id == MentoringSession.id, MentoringSignUp.attended.is_(True)
        )
        .correlate(MentoringSession)
        .scalar_subquery()
    )

    def answers(*condition: Any) -> ScalarSelect[int]:
        return (
            select(func.count(MentoringSignUp.id))
            .where(MentoringSignUp.session_id == MentoringSession.id, *condition)
            .correlate(MentoringSession)
            .scalar_subquery()
        )

    ratings = answers(MentoringSignUp.rating.is_not(None))
    helped = answers(MentoringSignUp.rating == max(rules.RATINGS))
    rows = db.session.execute(
        _mentor_sessions_query()
        .add_columns(attended, ratings, helped)
        .where(
            MentoringSession.programme_id == actor.programme_id,
            MentoringSession.starts_at >= since,
        )
        .order_by(MentoringSession.starts_at.desc())
    ).all()
    sessions = [
        TeamSession(
            _mentor_session(s, m, c, live),
            int(a or 0),
            int(r or 0),
            int(h or 0),
        )
        for s, m, c, live, a, r, h in rows
    ]
    # Mentors: the grant-holders and whoever has a profile (LTI Mentors who wrote one).
    granted: dict[int, str] = dict(
        db.session.execute(
            select(Grant.user_id, LtiUser.name)
            .join(LtiUser, LtiUser.id == Grant.user_id)
            .where(
                Grant.programme_id == actor.programme_id,
                Grant.role == Role.MENTOR.value,
                Grant.revoked_at.is_(None),
            )
        )
        .tuples()
        .all()
    )
    profiles = {
        p.user_id: (p, name)
        for p, name in db.session.execute(
            select(MentorProfile, LtiUser.name)
            .join(LtiUser, LtiUser.id == MentorProfile.user_id)
            .where(MentorProfile.programme_id == actor.programme_id)
        )
    }
    people = set(granted) | set(profiles)
    hours = hours_by_person(actor.programme_id, people)
    now = utcnow()
    upcoming: dict[int, int] = defaultdict(int)
    for item in sessions:
        if item.session.status == SCHEDULED and item.session.starts_at > now:
            upcoming[item.session.mentor_id] += 1
    mentors = []
    for user_id in people:
        profile, profile_name = profiles.get(user_id, (None, ""))
        mentors.append(
            NetworkMentor(
                user_id=user_id,
                name=granted.get(user_id) or profile_name or "",
                granted=user_id in granted,
                has_profile=profile is not None,
                topics=tuple(profile.topics or ()) if profile else (),
                region=profile.region if profile else "",
                hours=hours.get(user_id, 0.0),
                upcoming=upcoming[user_id],
            )
        )
    mentors.sort(key=lambda m: (m.name.lower(), m.user_id))
    return Network(sessions, mentors)


# =============================================================================== the demo
def seed_demo(platform_id: int, sub: str, programme_id: int = DEFAULT_PROGRAMME_ID) -> None:
    """The demo LMS's mentor has a profile and two upcoming sessions (once), so a newcomer
    sees the network after `make run`."""
    mentor_user_id = db.session.scalar(
        select(LtiUser.id).where(LtiUser.platform_id == platform_id, LtiUser.sub == sub)
    )
    if mentor_user_id is None:
        return
    exists = db.session.scalar(
        select(MentorProfile.id).where(
            MentorProfile.user_id == mentor_user_id, MentorProfile.programme_id == programme_id
        )
    )
    if exists is not None:
        return
    db.session.add(
        MentorProfile(
            programme_id=programme_id,
            user_id=mentor_user_id,
            bio=(
                "Tengo una pastelería en Temuco hace doce años. Empecé vendiendo a mis vecinas; "
                "hoy vendo por Instagram y en ferias. Me gusta ayudar a ordenar los números y a "
                "perderle el miedo a vender por internet."
            ),
            region="araucania",
            topics=["ecommerce", "financing", "finances"],
            online=True,
            in_person=False,
            per_month=4,
        )
    )
    today = datetime.now(CHILE).replace(hour=18, minute=30, second=0, microsecond=0)
    for days, topic, capacity in ((5, "ecommerce", 6), (12, "financing", 4)):
        starts = (today + timedelta(days=days)).replace(tzinfo=None).replace(tzinfo=CHILE)
        db.session.add(
            MentoringSession(
                programme_id=programme_id,
                mentor_id=mentor_user_id,
                topic_id=topic,
                starts_at=starts.astimezone(UTC),
                duration_minutes=rules.SESSION_MINUTES,
                mode=ONLINE,
                meeting_url="https://meet.jit.si/senda-mentoria-demo",
                region="araucania",
                capacity=capacity,
                details="Trae tus dudas y, si puedes, una foto de lo que vendes.",
                status=SCHEDULED,
            )
        )
    db.session.commit()
