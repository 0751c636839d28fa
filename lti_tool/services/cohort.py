"""What facilitators see of their LMS course: the cohort, each participant's plan, workshops."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from courses import progression
from courses.progression import ActivityState
from lti_tool.extensions import db
from lti_tool.models import (
    ActivityProgress,
    Attendance,
    Enrolment,
    LtiUser,
    Membership,
    WorkshopSession,
    utcnow,
)
from lti_tool.services import content

INACTIVE_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class Member:
    user: LtiUser
    membership: Membership
    enrolment: Enrolment | None
    percent: int
    current_course: str | None  # title in Spanish/English is looked up by the template
    last_active: datetime | None

    @property
    def inactive(self) -> bool:
        if self.last_active is None:
            return True
        return utcnow() - self.last_active > INACTIVE_AFTER

    @property
    def never_launched(self) -> bool:
        return self.membership.from_roster and self.membership.last_launch_at is None


def members(context_id: int) -> list[Member]:
    """Every participant of the LMS course (launched, or known from the roster) with progress.
    Three queries whatever the cohort's size."""
    rows = db.session.execute(
        select(Membership, LtiUser)
        .join(LtiUser, LtiUser.id == Membership.user_id)
        .where(Membership.context_id == context_id, Membership.role == "participant")
        .order_by(LtiUser.name, LtiUser.id)
    ).all()
    enrolments = {
        e.user_id: e
        for e in db.session.scalars(select(Enrolment).where(Enrolment.context_id == context_id))
    }
    progress: dict[int, dict[str, ActivityState]] = defaultdict(dict)
    if enrolments:
        for row in db.session.scalars(
            select(ActivityProgress)
            .join(Enrolment, Enrolment.id == ActivityProgress.enrolment_id)
            .where(Enrolment.context_id == context_id)
        ):
            progress[row.enrolment_id][row.activity_id] = ActivityState(row.completed, row.score)
    result = []
    for membership, user in rows:
        enrolment = enrolments.get(user.id)
        percent, current = 0, None
        if enrolment is not None:
            catalogue = content.catalogue(enrolment.content_version_id)
            plan = progression.plan(
                catalogue, enrolment.pathway_id, enrolment.course_ids, progress[enrolment.id]
            )
            percent = progression.pathway_percent(plan)
            current = next((c.course.id for c in plan if c.status == progression.OPEN), None)
        last = (
            enrolment.last_activity_at
            if enrolment and enrolment.last_activity_at
            else membership.last_launch_at
        )
        result.append(Member(user, membership, enrolment, percent, current, last))
    return result


def participant(context_id: int, user_id: int) -> tuple[LtiUser, Enrolment | None]:
    """A participant of this LMS course, or LookupError (another course's participant: 404)."""
    found = db.session.execute(
        select(LtiUser)
        .join(Membership, Membership.user_id == LtiUser.id)
        .where(
            Membership.context_id == context_id,
            LtiUser.id == user_id,
            Membership.role == "participant",
        )
    ).scalar_one_or_none()
    if found is None:
        raise LookupError(user_id)
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.context_id == context_id, Enrolment.user_id == user_id)
    )
    return found, enrolment


def sessions(context_id: int) -> list[WorkshopSession]:
    return list(
        db.session.scalars(
            select(WorkshopSession)
            .where(WorkshopSession.context_id == context_id)
            .order_by(WorkshopSession.starts_at.desc())
        )
    )


def session_of(context_id: int, session_id: int) -> WorkshopSession:
    found = db.session.scalar(
        select(WorkshopSession).where(
            WorkshopSession.id == session_id, WorkshopSession.context_id == context_id
        )
    )
    if found is None:
        raise LookupError(session_id)
    return found


def attendance(session_id: int) -> dict[int, bool]:
    return {
        a.user_id: a.present
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session_id))
    }


def record_attendance(session: WorkshopSession, present_ids: set[int], recorded_by: int) -> int:
    """Save who attended; attendance completes the workshop for them (and may send a grade)."""
    from lti_tool.services import learning

    previous = attendance(session.id)
    changed = 0
    for member in members(session.context_id):
        user_id = member.user.id
        present = user_id in present_ids
        if previous.get(user_id) == present or (user_id not in previous and not present):
            continue
        row = db.session.scalar(
            select(Attendance).where(
                Attendance.session_id == session.id, Attendance.user_id == user_id
            )
        ) or Attendance(session_id=session.id, user_id=user_id)
        row.present = present
        row.recorded_by = recorded_by
        row.recorded_at = utcnow()
        db.session.add(row)
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
