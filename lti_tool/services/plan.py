"""Her plan page, the first page of almost every launch: her journey and what surrounds it
(live workshops, mentoring, the schools, her tutor).

One read brings her enrolment, her progress and whether she has anything of the rest; only what
she has is then read. A returning participant with none of it costs one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, bindparam, exists, select

from courses import progression
from lti_tool.actor import Actor
from lti_tool.models import (
    ActivityProgress,
    Enrolment,
    MentoringSession,
    MentoringSignUp,
    OpportunityPointer,
    SchoolMember,
    UtcDateTime,
    WorkshopSession,
    db,
    utcnow,
)
from lti_tool.services import learning, schools, tutoring
from lti_tool.services.privacy.tutoring import has_tutor


@dataclass(frozen=True)
class PlanPage:
    journey: learning.Journey
    courses: list[progression.CourseProgress]
    sessions: list[WorkshopSession]
    after: schools.AfterTraining
    tutoring: tutoring.OnHerPlan


@cache  # a statement is immutable, and building one costs more than running it
def _her_plan() -> Select[Any]:
    now = bindparam("now", type_=UtcDateTime())
    programme: BindParameter[int] = bindparam("programme_id")
    user = Enrolment.user_id
    return (
        select(
            Enrolment,
            ActivityProgress,
            exists()
            .where(
                WorkshopSession.context_id == Enrolment.context_id,
                WorkshopSession.starts_at >= now,
                WorkshopSession.cancelled_at.is_(None),
            )
            .label("workshops"),
            exists()
            .where(
                MentoringSignUp.user_id == user,
                MentoringSignUp.cancelled_at.is_(None),
                MentoringSession.id == MentoringSignUp.session_id,
                MentoringSession.programme_id == programme,
                MentoringSession.starts_at >= now,
            )
            .label("sign_ups"),
            exists()
            .where(SchoolMember.programme_id == programme, SchoolMember.user_id == user)
            .label("schools"),
            has_tutor(programme, user).label("tutor"),
            exists().where(OpportunityPointer.participant_id == user).label("pointers"),
        )
        .outerjoin(ActivityProgress, ActivityProgress.enrolment_id == Enrolment.id)
        .where(
            Enrolment.user_id == bindparam("user_id"),
            Enrolment.context_id == bindparam("context_id"),
        )
    )


def plan_page(actor: Actor) -> PlanPage:
    """Everything her plan page shows; NotEnrolled before her intake."""
    if actor.context_id is None:
        raise learning.NotEnrolled
    rows = db.session.execute(
        _her_plan(),
        {
            "user_id": actor.user_id,
            "context_id": actor.context_id,
            "programme_id": actor.programme_id,
            "now": utcnow(),
        },
    ).all()
    if not rows:
        raise learning.NotEnrolled
    first = rows[0]
    enrolment: Enrolment = first[0]
    progress = {row[1].activity_id: row[1] for row in rows if row[1] is not None}
    journey = learning.journey_from(enrolment, progress)
    courses = journey.courses
    complete = progression.pathway_complete(courses)
    return PlanPage(
        journey=journey,
        courses=courses,
        sessions=learning.upcoming_sessions(journey) if first.workshops else [],
        after=schools.after_training(actor, complete, first.sign_ups, first.schools),
        tutoring=tutoring.on_her_plan(actor, first.tutor, first.pointers),
    )
