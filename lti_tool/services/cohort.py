"""What staff see of an LMS course: the cohort, each participant's plan, workshops, attendance.

Every function takes a `CourseScope`, which only two functions make: `scope_of(actor)` for the
course staff of the launch's course, and `programme.course_scope(actor, id)` for the programme
team, after checking the course belongs to her programme. A participant id from another course
is "not found", whatever ids are typed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from courses import progression, signals
from courses.model import Activity
from courses.progression import ActivityState
from courses.schools import from_chile
from lti_tool.actor import Actor
from lti_tool.models import (
    ActivityProgress,
    Attendance,
    Enrolment,
    LmsContext,
    LtiUser,
    Membership,
    WorkshopSession,
    db,
    utcnow,
)
from lti_tool.services import content, learning, revisions
from lti_tool.services.dbutil import hold_until_commit, read_under_lock
from lti_tool.services.errors import Forbidden, ParticipantNotFound, Refused, SessionNotFound


@dataclass(frozen=True)
class CourseScope:
    """One LMS course the actor may see as staff."""

    context_id: int
    by_programme: bool = False  # reached through a programme grant, not the course's launch


def scope_of(actor: Actor) -> CourseScope:
    """The launch's LMS course, for its course staff."""
    if actor.context_id is None or not actor.is_course_staff:
        raise Forbidden("no course")
    return CourseScope(actor.context_id)


@dataclass(frozen=True)
class Member:
    user: LtiUser
    membership: Membership
    enrolment: Enrolment | None
    percent: int
    current_course: str | None
    last_active: datetime | None
    # Whether she needs a call this week, and why (courses/signals.py); her next step.
    call: signals.Call | None = None
    step: Activity | None = None

    @property
    def never_launched(self) -> bool:
        return self.membership.last_launch_at is None and self.enrolment is None


def course(scope: CourseScope) -> LmsContext:
    found = db.session.get(LmsContext, scope.context_id)
    if found is None:
        raise Forbidden("course gone")
    return found


def members(scope: CourseScope, subs: frozenset[str] | None = None) -> list[Member]:
    """Every participant of the LMS course (launched, or known from the roster) with progress;
    only those whose `sub` is in `subs` when given (a mentor's scope). Three queries whatever
    the cohort's size."""
    query = (
        select(Membership, LtiUser)
        .join(LtiUser, LtiUser.id == Membership.user_id)
        .where(Membership.context_id == scope.context_id, Membership.role == "participant")
        .order_by(LtiUser.name, LtiUser.id)
    )
    if subs is not None:
        query = query.where(LtiUser.sub.in_(sorted(subs)))
    rows = db.session.execute(query).all()
    enrolments = {
        e.user_id: e
        for e in db.session.scalars(
            select(Enrolment).where(Enrolment.context_id == scope.context_id)
        )
    }
    progress: dict[int, dict[str, ActivityState]] = defaultdict(dict)
    opened: dict[int, dict[str, tuple[datetime, int]]] = defaultdict(dict)
    if enrolments:
        # Columns only: what she wrote (encrypted) is never read for the cohort page.
        for row in db.session.execute(
            select(
                ActivityProgress.enrolment_id,
                ActivityProgress.activity_id,
                ActivityProgress.completed,
                ActivityProgress.score,
                ActivityProgress.started_at,
                ActivityProgress.attempts,
            )
            .join(Enrolment, Enrolment.id == ActivityProgress.enrolment_id)
            .where(Enrolment.context_id == scope.context_id)
        ):
            progress[row.enrolment_id][row.activity_id] = ActivityState(row.completed, row.score)
            if not row.completed:
                opened[row.enrolment_id][row.activity_id] = (row.started_at, row.attempts or 0)
    now = utcnow()
    result = []
    for membership, user in rows:
        enrolment = enrolments.get(user.id)
        percent, current, finished = 0, None, False
        step: Activity | None = None
        started: signals.Step | None = None
        if enrolment is not None:
            catalogue = content.catalogue(enrolment.content_version_id)
            mine = progress[enrolment.id]
            plan = progression.plan(catalogue, enrolment.pathway_id, enrolment.course_ids, mine)
            percent = progression.pathway_percent(plan)
            finished = progression.pathway_complete(plan)
            current = next((c.course.id for c in plan if c.status == progression.OPEN), None)
            step = progression.next_activity(catalogue, plan, mine)
            if step is not None and step.id in opened[enrolment.id]:
                opened_at, attempts = opened[enrolment.id][step.id]
                started = signals.Step(step.id, opened_at, attempts if step.kind == "quiz" else 0)
        last = (
            enrolment.last_activity_at
            if enrolment and enrolment.last_activity_at
            else membership.last_launch_at
        )
        situation = signals.Situation(
            opened=membership.last_launch_at is not None or enrolment is not None,
            placed=enrolment is not None,
            finished=finished,
            last_active=last,
            step=started,
        )
        call = signals.needs_call(situation, now)
        result.append(Member(user, membership, enrolment, percent, current, last, call, step))
    return result


def needing_calls(found: list[Member]) -> list[Member]:
    """The women who need a call this week, in the order the page lists them."""
    calling = [(m.call, m) for m in found if m.call is not None]
    return [m for _call, m in sorted(calling, key=lambda pair: signals.order_key(pair[0]))]


def participant(scope: CourseScope, user_id: int) -> tuple[LtiUser, learning.Journey | None]:
    """A participant of this LMS course and her journey, or ParticipantNotFound."""
    found = db.session.execute(
        select(LtiUser)
        .join(Membership, Membership.user_id == LtiUser.id)
        .where(
            Membership.context_id == scope.context_id,
            LtiUser.id == user_id,
            Membership.role == "participant",
        )
    ).scalar_one_or_none()
    if found is None:
        raise ParticipantNotFound(user_id)
    enrolment = db.session.scalar(
        select(Enrolment).where(
            Enrolment.context_id == scope.context_id, Enrolment.user_id == user_id
        )
    )
    return found, learning.journey_of(enrolment) if enrolment else None


def change_plan(scope: CourseScope, user_id: int, level: str, course_ids: list[str]) -> bool:
    """A facilitator overrides her level or course selection (within her pathway). False when
    it is her plan already (a double tap, a save without changes): nothing is written and no
    grade is sent again."""
    _user, journey = participant(scope, user_id)
    if journey is None:
        raise ParticipantNotFound(user_id)
    pathway = journey.catalogue.pathways[journey.enrolment.pathway_id]
    allowed = {c for lvl in pathway.levels for c in lvl.course_ids}
    courses = [c for c in course_ids if c in allowed] or list(pathway.level(level).course_ids)
    enrolment = journey.enrolment
    if enrolment.level == level and set(enrolment.course_ids) == set(courses):
        return False
    learning.change_plan(enrolment, level, courses, by="facilitator")
    return True


# ------------------------------------------------------------------------------ workshops
def workshops() -> dict[str, Activity]:
    """Every live-workshop activity of the newest content, by id."""
    latest = content.latest_catalogue()
    if latest is None:
        return {}
    return {a.id: a for a in latest[1].activities.values() if a.kind == "workshop"}


def sessions(scope: CourseScope) -> list[WorkshopSession]:
    return list(
        db.session.scalars(
            select(WorkshopSession)
            .where(WorkshopSession.context_id == scope.context_id)
            .order_by(WorkshopSession.starts_at.desc())
        )
    )


def schedule(
    scope: CourseScope,
    actor: Actor,
    activity_id: str,
    starts_at_local: datetime,
    meeting_url: str,
    note: str,
) -> tuple[WorkshopSession, bool]:
    """Schedule a live session; the time is Chile's local time. The very same session sent
    again (a double tap, Back and send again) is not scheduled twice: (the session, whether it
    is new)."""
    starts_at = from_chile(starts_at_local)
    # The same form sent twice at once: the second waits for the first, then finds it.
    hold_until_commit(LmsContext, scope.context_id)
    same = db.session.scalar(
        select(WorkshopSession).where(
            WorkshopSession.context_id == scope.context_id,
            WorkshopSession.activity_id == activity_id,
            WorkshopSession.starts_at == starts_at,
            WorkshopSession.meeting_url == meeting_url,
            WorkshopSession.note == note,
            WorkshopSession.cancelled_at.is_(None),
        )
    )
    if same is not None:
        return same, False
    row = WorkshopSession(
        context_id=scope.context_id,
        activity_id=activity_id,
        starts_at=starts_at,
        meeting_url=meeting_url,
        note=note,
        created_by=actor.user_id,
    )
    db.session.add(row)
    db.session.commit()
    return row, True


def has_started(session: WorkshopSession) -> bool:
    return session.starts_at <= utcnow()


def _attended(session_id: int) -> bool:
    """Someone was marked present at this session."""
    return any(attendance(session_id).values())


def update_session(
    scope: CourseScope,
    session_id: int,
    starts_at_local: datetime,
    meeting_url: str,
    note: str,
    revision: int | None = None,
) -> bool:
    """Change a session's time (Chile's local time), link or note; False when it has them
    already (a double tap, a save without changes). Refused ("cancelled") for a cancelled
    session; revisions.Stale when `revision`, the version the page showed, is older than the
    session's (another tab or another facilitator saved since: hers never silently overwrites
    theirs); and ("attended") when someone was marked present and the new time is still to
    come: attendance is never earlier than its session."""
    session = _session_held(scope, session_id)
    if session.cancelled_at is not None:
        raise Refused("cancelled")
    starts_at = from_chile(starts_at_local)
    same = (session.starts_at, session.meeting_url, session.note) == (starts_at, meeting_url, note)
    revisions.check_revision(session.revision, revision, unchanged=same)
    if same:
        return False
    if starts_at > utcnow() and _attended(session.id):
        raise Refused("attended")
    session.starts_at = starts_at
    session.meeting_url = meeting_url
    session.note = note
    session.updated_at = utcnow()
    session.revision = revisions.next_revision(session.revision)
    db.session.commit()
    return True


def cancel_session(scope: CourseScope, session_id: int) -> bool:
    """Cancel a session: it stays listed, as cancelled, and leaves her plan and reminders.
    Refused ("attended") once someone was marked present. False if it was already cancelled."""
    session = _session_held(scope, session_id)
    if session.cancelled_at is not None:
        return False
    if _attended(session.id):
        raise Refused("attended")
    session.cancelled_at = utcnow()
    db.session.commit()
    return True


def _session_held(scope: CourseScope, session_id: int) -> WorkshopSession:
    """The session, read again under a row lock until the commit: two saves at the same moment
    (a double tap, two facilitators) are served one after the other, and the second sees what
    the first saved."""
    session = session_of(scope, session_id)
    read_under_lock(session)
    return session


def session_of(scope: CourseScope, session_id: int) -> WorkshopSession:
    found = db.session.scalar(
        select(WorkshopSession).where(
            WorkshopSession.id == session_id, WorkshopSession.context_id == scope.context_id
        )
    )
    if found is None:
        raise SessionNotFound(session_id)
    return found


def attendance(session_id: int) -> dict[int, bool]:
    return {
        a.user_id: a.present
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session_id))
    }


def record_attendance(
    scope: CourseScope,
    session_id: int,
    present_ids: set[int],
    recorded_by: int,
    shown_present: set[int] | None = None,
) -> int:
    """Save who attended; attendance completes the workshop for them (and may send a grade).
    One transaction for the whole session; returns how many changed. `shown_present`: who was
    marked present on the page she saved from; only the ticks she changed there are saved, so
    an older page (another tab, a second facilitator) never marks absent someone the other
    marked present since. Refused, with nothing written, before the session starts
    ("not-started") and for a cancelled session ("cancelled")."""
    session = session_of(scope, session_id)
    if session.cancelled_at is not None:
        raise Refused("cancelled")
    if not has_started(session):
        raise Refused("not-started")
    previous = attendance(session.id)
    changed = 0
    for member in members(scope):
        user_id = member.user.id
        present = user_id in present_ids
        if shown_present is not None and present == (user_id in shown_present):
            continue  # she did not change this one: what is saved stands
        if previous.get(user_id) == present or (user_id not in previous and not present):
            continue
        # One statement: the same form saved twice at once (a double tap) updates, never fails.
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(Attendance).values(
            session_id=session.id,
            user_id=user_id,
            present=present,
            recorded_by=recorded_by,
            recorded_at=utcnow(),
        )
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["session_id", "user_id"],
                set_={
                    "present": statement.excluded.present,
                    "recorded_by": statement.excluded.recorded_by,
                    "recorded_at": statement.excluded.recorded_at,
                },
            )
        )
        enrolment = member.enrolment
        if enrolment is not None and present:
            activity = content.catalogue(enrolment.content_version_id).activities.get(
                session.activity_id
            )
            if activity is not None and activity.course_id in enrolment.course_ids:
                learning.record_attendance(enrolment, activity, present=True)
        changed += 1
    db.session.commit()
    return changed
