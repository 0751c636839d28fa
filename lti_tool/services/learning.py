"""A participant's journey: placement into a plan, then progress on activities.

Every change of progress and the grade it causes are written in one transaction: the score waits
in the outbox (lti_tool/services/grades.py) until a worker delivers it. Everything here is scoped
by her own identity: the actor's user and LMS course.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from courses import progression
from courses.model import Activity, Catalogue
from courses.placement import Placement, PlanChange, link_may_add, place, replan
from courses.progression import ActivityState, QuizResult
from lti_tool.actor import Actor
from lti_tool.models import (
    ActivityProgress,
    Enrolment,
    SchoolProgress,
    WorkshopSession,
    db,
    utcnow,
)
from lti_tool.services import content, followup, privacy, revisions
from lti_tool.services import grades as outbox
from lti_tool.services.calendar import single_event_calendar
from lti_tool.services.dbutil import read_under_lock
from lti_tool.services.errors import NoContent, SessionNotFound


class NotEnrolled(LookupError):
    """She has not completed the intake in this LMS course yet."""


@dataclass(frozen=True)
class Journey:
    """Everything a page about her plan needs, loaded with two queries."""

    enrolment: Enrolment
    catalogue: Catalogue
    progress: dict[str, ActivityState]
    rows: dict[str, ActivityProgress]

    @property
    def courses(self) -> list[progression.CourseProgress]:
        return progression.plan(
            self.catalogue, self.enrolment.pathway_id, self.enrolment.course_ids, self.progress
        )

    def activity(self, activity_id: str) -> Activity | None:
        """An activity of her plan, or None (not in her courses: 404 for her)."""
        activity = self.catalogue.activities.get(activity_id)
        if activity is None or activity.course_id not in self.enrolment.course_ids:
            return None
        return activity

    @property
    def plan_state(self) -> outbox.PlanState:
        return outbox.PlanState(
            user_id=self.enrolment.user_id,
            context_id=self.enrolment.context_id,
            pathway_id=self.enrolment.pathway_id,
            course_ids=tuple(self.enrolment.course_ids),
            catalogue=self.catalogue,
            progress=self.progress,
        )

    def course_status(self, course_id: str) -> str | None:
        for course in self.courses:
            if course.course.id == course_id:
                return course.status
        return None


def enrolment_of(actor: Actor) -> Enrolment | None:
    if actor.context_id is None:
        return None
    enrolment: Enrolment | None = db.session.scalar(
        select(Enrolment).where(
            Enrolment.user_id == actor.user_id, Enrolment.context_id == actor.context_id
        )
    )
    return enrolment


def journey(actor: Actor) -> Journey:
    enrolment = enrolment_of(actor)
    if enrolment is None:
        raise NotEnrolled
    return journey_of(enrolment)


def journey_of(enrolment: Enrolment) -> Journey:
    rows = {
        row.activity_id: row
        for row in db.session.scalars(
            select(ActivityProgress).where(ActivityProgress.enrolment_id == enrolment.id)
        )
    }
    return journey_from(enrolment, rows)


def journey_from(enrolment: Enrolment, rows: dict[str, ActivityProgress]) -> Journey:
    """Her journey from her enrolment and her progress rows, already read."""
    progress = {k: ActivityState(r.completed, r.score) for k, r in rows.items()}
    return Journey(enrolment, content.catalogue(enrolment.content_version_id), progress, rows)


def suggest(
    answers: Mapping[str, list[str]], choose_pathway: str | None = None
) -> tuple[int, Placement]:
    found = content.latest_catalogue()
    if found is None:
        raise NoContent("no content imported")
    version_id, catalogue = found
    return version_id, place(answers, catalogue, choose_pathway)


def enrol(
    actor: Actor,
    answers: Mapping[str, list[str]],
    choose_pathway: str | None,
    demographics: Mapping[str, Any] | None,
) -> Enrolment:
    """Save the intake: her answers, her plan, and (only with consent) her demographics.
    A second intake in the same course (the Back button, or she changed her answers) keeps her
    plan as it is, with the courses staff added: only her answers change, and a different
    suggestion is offered to her (`new_suggestion`), never applied silently."""
    assert actor.context_id is not None
    enrolment = enrolment_of(actor)
    if enrolment is not None:
        enrolment.answers = {k: list(v) for k, v in answers.items()}
        enrolment.updated_at = utcnow()
        privacy.record_demographics(actor, demographics, why="participant-intake")
        db.session.commit()
        return enrolment
    version_id, placement = suggest(answers, choose_pathway)
    enrolment = Enrolment(user_id=actor.user_id, context_id=actor.context_id)
    db.session.add(enrolment)
    enrolment.content_version_id = version_id
    enrolment.pathway_id = placement.pathway_id
    enrolment.level = placement.level
    enrolment.course_ids = list(placement.course_ids)
    enrolment.answers = {k: list(v) for k, v in answers.items()}
    enrolment.placement_rule = placement.rule_id
    enrolment.placed_by = "participant" if choose_pathway else "placement"
    enrolment.updated_at = utcnow()
    privacy.record_demographics(actor, demographics, why="participant-intake")
    db.session.commit()
    return enrolment


class UnknownPathway(LookupError):
    """Not a pathway (or level) of her content version."""


def new_suggestion(actor: Actor) -> Placement | None:
    """The pathway and level her current answers suggest, when they differ from her plan's."""
    enrolment = enrolment_of(actor)
    if enrolment is None:
        return None
    catalogue = content.catalogue(enrolment.content_version_id)
    placement = place(enrolment.answers, catalogue)
    if (placement.pathway_id, placement.level) == (enrolment.pathway_id, enrolment.level):
        return None
    return placement


def _replan(enrolment: Enrolment, pathway_id: str, level: str | None) -> PlanChange:
    catalogue = content.catalogue(enrolment.content_version_id)
    pathway = catalogue.pathways.get(pathway_id)
    if pathway is None or (level is not None and level not in {x.id for x in pathway.levels}):
        raise UnknownPathway(pathway_id)
    return replan(
        enrolment.answers,
        catalogue,
        enrolment.pathway_id,
        enrolment.level,
        enrolment.course_ids,
        pathway_id,
        level,
    )


def plan_change(
    actor: Actor, pathway_id: str, level: str | None = None
) -> tuple[Journey, PlanChange]:
    """What moving to this pathway (and level) would change, to show her first. Writes nothing."""
    enrolment = enrolment_of(actor)
    if enrolment is None:
        raise NotEnrolled
    return journey_of(enrolment), _replan(enrolment, pathway_id, level)


def change_pathway(actor: Actor, pathway_id: str, level: str | None = None) -> PlanChange:
    """She confirmed another pathway or level: the rules still choose the courses from her
    intake answers (the level too, unless she chose it); courses staff added stay; her progress
    and demographics are not touched. Her grade never goes down for it (grades.py)."""
    enrolment = enrolment_of(actor)
    if enrolment is None:
        raise NotEnrolled
    change = _replan(enrolment, pathway_id, level)
    enrolment.pathway_id = change.placement.pathway_id
    enrolment.level = change.placement.level
    enrolment.course_ids = list(change.course_ids)
    enrolment.placement_rule = change.placement.rule_id
    enrolment.placed_by = "participant"
    enrolment.updated_at = utcnow()
    outbox.enqueue_progress(journey_of(enrolment).plan_state, comment_activity=None)
    db.session.commit()
    return change


def change_plan(enrolment: Enrolment, level: str, course_ids: list[str], by: str) -> None:
    """A facilitator changes her level or course selection (or she changes pathway)."""
    catalogue = content.catalogue(enrolment.content_version_id)
    enrolment.level = level
    enrolment.course_ids = [c for c in course_ids if c in catalogue.courses]
    enrolment.placed_by = by
    enrolment.updated_at = utcnow()
    outbox.enqueue_progress(journey_of(enrolment).plan_state, comment_activity=None)
    db.session.commit()


# ----------------------------------------------------------------------------- progress
def _row(j: Journey, activity: Activity) -> ActivityProgress:
    """Her progress row for this activity, created if needed. INSERT … ON CONFLICT DO NOTHING:
    the same first submit sent twice at once (a double tap) finds the row the other request
    created instead of failing on the unique key."""
    row = j.rows.get(activity.id)
    if row is None:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        now = utcnow()
        db.session.execute(
            insert(ActivityProgress)
            .values(
                enrolment_id=j.enrolment.id,
                activity_id=activity.id,
                completed=False,
                attempts=0,
                data={},
                fingerprint="",
                started_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["enrolment_id", "activity_id"])
        )
        row = db.session.scalars(
            select(ActivityProgress).where(
                ActivityProgress.enrolment_id == j.enrolment.id,
                ActivityProgress.activity_id == activity.id,
            )
        ).one()
        j.rows[activity.id] = row
    return row


def _touch(j: Journey, activity: Activity) -> None:
    j.enrolment.last_activity_id = activity.id
    j.enrolment.last_activity_at = utcnow()


def _complete(j: Journey, activity: Activity, row: ActivityProgress) -> bool:
    """Mark complete; True if this changed her progress (a grade may follow)."""
    if row.completed:
        return False
    row.completed = True
    row.completed_at = utcnow()
    row.fingerprint = activity.fingerprint
    j.progress[activity.id] = ActivityState(True, row.score)
    return True


def _finish(j: Journey, activity: Activity, changed: bool) -> None:
    _touch(j, activity)
    if changed:
        outbox.enqueue_progress(j.plan_state, comment_activity=activity)
        _on_progress(j)
    db.session.commit()


def _on_progress(j: Journey) -> None:
    """A completed plan keeps its date and schedules the follow-up surveys (once)."""
    followup.on_progress(j.enrolment, j.catalogue, progression.pathway_complete(j.courses))


def open_activity(j: Journey, activity: Activity) -> ActivityProgress:
    """She opened it: remember where she is ("continue where you left off")."""
    row = _row(j, activity)
    _touch(j, activity)
    db.session.commit()
    return row


def mark_viewed(j: Journey, activity: Activity) -> None:
    """She finished reading or listening ("Done"). Completes lessons, media and activities whose
    completion is `viewed`."""
    row = _row(j, activity)
    changed = activity.completion == "viewed" and _complete(j, activity, row)
    _finish(j, activity, changed)


class Unanswered(ValueError):
    """A quiz sent with questions left blank: nothing is graded or written."""

    def __init__(self, question_ids: list[str]) -> None:
        super().__init__(", ".join(question_ids))
        self.question_ids = question_ids


class EmptyAnswer(ValueError):
    """A reflection sent empty: nothing is written and the step stays as it was."""


def require_every_answer(activity: Activity, answers: Mapping[str, list[str]]) -> None:
    """A quiz is checked only with every question answered: else Unanswered (a button pressed
    too soon is not an attempt)."""
    blank = [q.id for q in activity.questions if not answers.get(q.id)]
    if blank:
        raise Unanswered(blank)


def _sorted_answers(answers: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    return {k: sorted(v) for k, v in answers.items()}


def is_repeat(
    row: ActivityProgress | SchoolProgress | None,
    attempt: int | None,
    answers: Mapping[str, list[str]],
) -> bool:
    """The same answers sent again from a page that had seen fewer attempts than are stored (a
    double tap, a refresh, the Back button): not a new attempt."""
    return (
        row is not None
        and attempt is not None
        and attempt < (row.attempts or 0)
        and _sorted_answers((row.data or {}).get("answers", {})) == _sorted_answers(answers)
    )


def submit_quiz(
    j: Journey,
    activity: Activity,
    answers: Mapping[str, list[str]],
    attempt: int | None = None,
) -> QuizResult:
    """Grade her answers and keep her best score. Every question must be answered (else
    Unanswered, nothing written). `attempt` is how many attempts the page she answered on had
    seen: the same answers sent again from an older page (a refresh, the Back button) are not
    a new attempt and change nothing."""
    require_every_answer(activity, answers)
    result = progression.grade_quiz(activity, answers)
    if is_repeat(j.rows.get(activity.id), attempt, answers):
        return result
    row = _row(j, activity)
    row.attempts = (row.attempts or 0) + 1
    row.data = {"answers": _sorted_answers(answers), "last_score": result.score}
    row.score = max(row.score or 0.0, result.score)
    row.updated_at = utcnow()
    j.progress[activity.id] = ActivityState(row.completed, row.score)
    passed = result.passed or activity.completion == "viewed"
    changed = passed and _complete(j, activity, row)
    _finish(j, activity, changed)
    return result


def last_quiz_result(j: Journey, activity: Activity) -> QuizResult | None:
    """Her last attempt, graded again from what was stored (the page after a submit)."""
    row = j.rows.get(activity.id)
    return progression.last_attempt(activity, row.data if row else None)


def write_values(
    row: ActivityProgress | SchoolProgress,
    activity: Activity,
    values: Mapping[str, str],
    revision: int | None,
) -> dict[str, str]:
    """Her worksheet answers, the fields sent over those saved (a pathway's or a school's row);
    returns them all. A save from an older `revision` that would change them raises
    revisions.Stale and writes nothing."""
    read_under_lock(row)
    allowed = {f.id for f in activity.fields}
    before = dict((row.data or {}).get("values", {}))
    saved = {**before, **{k: v[:5000] for k, v in values.items() if k in allowed}}
    if revisions.advance(row, revision, unchanged=saved == before):
        row.data = {**(row.data or {}), "values": saved}
    row.updated_at = utcnow()
    return saved


def write_text(row: ActivityProgress | SchoolProgress, text: str, revision: int | None) -> None:
    """Her reflection's answer (a pathway's or a school's row). A save from an older `revision`
    that would change it raises revisions.Stale and writes nothing."""
    read_under_lock(row)
    unchanged = (row.data or {}).get("text") == text[:10000]
    if revisions.advance(row, revision, unchanged=unchanged):
        row.data = {"text": text[:10000]}
    row.updated_at = utcnow()


def save_worksheet(
    j: Journey,
    activity: Activity,
    values: Mapping[str, str],
    submit: bool,
    revision: int | None = None,
) -> bool:
    """Save what she typed (autosave or submit). Returns True when the worksheet is complete.
    A save from an older `revision` that would change what is saved raises revisions.Stale and
    writes nothing."""
    row = _row(j, activity)
    saved = write_values(row, activity, values, revision)
    complete = progression.worksheet_complete(activity, saved)
    changed = False
    if submit and (complete or activity.completion == "viewed"):
        changed = _complete(j, activity, row)
    _finish(j, activity, changed)
    return complete


def save_reflection(j: Journey, activity: Activity, text: str, revision: int | None = None) -> None:
    """Save her answer and complete the step. Empty text raises EmptyAnswer and a save from an
    older `revision` that would change her answer revisions.Stale; neither writes anything."""
    if not text.strip():
        raise EmptyAnswer(activity.id)
    row = _row(j, activity)
    write_text(row, text, revision)
    changed = _complete(j, activity, row)
    _finish(j, activity, changed)


def record_attendance(enrolment: Enrolment, activity: Activity, present: bool) -> None:
    """A facilitator marked her at a workshop session: attending completes the workshop.
    Does not commit: the caller records a whole session's attendance in one transaction."""
    j = journey_of(enrolment)
    row = _row(j, activity)
    if present and activity.completion in ("attended", "viewed") and _complete(j, activity, row):
        outbox.enqueue_progress(j.plan_state, comment_activity=activity)
        _on_progress(j)


# ---------------------------------------------------------------------------- workshops
def upcoming_sessions(j: Journey, limit: int = 5) -> list[WorkshopSession]:
    """Live sessions of the workshops of her plan, soonest first."""
    activity_ids = [
        a.id
        for c in j.courses
        for a in j.catalogue.course_activities(c.course.id)
        if a.kind == "workshop"
    ]
    if not activity_ids:
        return []
    return list(
        db.session.scalars(
            select(WorkshopSession)
            .where(
                WorkshopSession.context_id == j.enrolment.context_id,
                WorkshopSession.activity_id.in_(activity_ids),
                WorkshopSession.starts_at >= utcnow(),
                WorkshopSession.cancelled_at.is_(None),
            )
            .order_by(WorkshopSession.starts_at)
            .limit(limit)
        )
    )


def sessions_of(j: Journey, activity: Activity) -> list[WorkshopSession]:
    """Every session scheduled in her LMS course for this workshop."""
    return list(
        db.session.scalars(
            select(WorkshopSession)
            .where(
                WorkshopSession.context_id == j.enrolment.context_id,
                WorkshopSession.activity_id == activity.id,
            )
            .order_by(WorkshopSession.starts_at)
        )
    )


REMINDER_AHEAD = timedelta(days=7)


def reminders(sessions: list[WorkshopSession], now: datetime) -> list[WorkshopSession]:
    """Her upcoming sessions that start within a week: a reminder at the top of her plan."""
    ahead = now + REMINDER_AHEAD
    return [s for s in sessions if s.cancelled_at is None and now <= s.starts_at <= ahead]


def workshop_calendar(
    j: Journey, session_id: int, locale: str, host: str, summary: Callable[[str], str]
) -> tuple[bytes, str]:
    """An .ics for a live session of a workshop of her plan, in her LMS course, not cancelled
    (else SessionNotFound): Chile's time zone with its VTIMEZONE, so any calendar shows the
    right hour across the daylight-saving changes. (bytes, file name)"""
    session = db.session.scalar(
        select(WorkshopSession).where(
            WorkshopSession.id == session_id,
            WorkshopSession.context_id == j.enrolment.context_id,
            WorkshopSession.cancelled_at.is_(None),
        )
    )
    activity = j.activity(session.activity_id) if session else None
    if session is None or activity is None or activity.kind != "workshop":
        raise SessionNotFound(session_id)
    start = session.starts_at
    body = single_event_calendar(
        product="Workshops",
        uid=f"senda-workshop-{session.id}@{host}",
        start=start,
        end=start + timedelta(minutes=activity.duration_minutes or activity.minutes),
        summary=summary(activity.title.get(locale)),
        description="\n".join(line for line in (session.note, session.meeting_url) if line),
        url=session.meeting_url,
        location=session.meeting_url,
        last_modified=session.updated_at,
    )
    return body, f"senda-{locale}-workshop-{session.id}.ics"


class UnrelatedCourse(LookupError):
    """A course of another pathway: a link never adds it to her plan."""


def may_add_from_link(j: Journey, course_id: str) -> bool:
    """A course outside her plan that she may add herself (courses.placement.link_may_add)."""
    return link_may_add(j.catalogue, j.enrolment.pathway_id, course_id)


def add_course_from_link(j: Journey, course_id: str) -> None:
    """She opened a link to a course outside her plan and chose to add it. A course of another
    pathway is refused (UnrelatedCourse): her facilitator or a change of pathway decides that."""
    if course_id not in j.catalogue.courses or course_id in j.enrolment.course_ids:
        return
    if not may_add_from_link(j, course_id):
        raise UnrelatedCourse(course_id)
    change_plan(j.enrolment, j.enrolment.level, [*j.enrolment.course_ids, course_id], "link")


def open_or_enrol(actor: Actor, answers: Mapping[str, list[str]], chosen: str | None,
                  demographics: Mapping[str, Any] | None) -> Enrolment:  # fmt: skip
    """The intake's submit; the same form posted twice at once leaves the first one standing."""
    try:
        return enrol(actor, answers, chosen, demographics)
    except IntegrityError:
        db.session.rollback()
        enrolment = enrolment_of(actor)
        assert enrolment is not None
        return enrolment
