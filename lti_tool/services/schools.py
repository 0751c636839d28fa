"""The programme's schools: the Mentor Training School (volunteers apply) and the Leadership
School (the programme team invites), run for cohorts that start on a date.

Who sees what:
- the programme team forms cohorts, invites women who meet the school's rule (content), places
  volunteers, assigns each Leadership School participant a personal mentor, schedules, changes
  and cancels the live workshops (a cancelled one stays listed, shown as cancelled to everyone)
  and takes their attendance, and sees who may become a mentor and grants the role.
  It sees members' progress, never what they wrote.
- a member does her school in Senda: modules open week by week from her cohort's start; she
  reads her mentor's notes.
- her personal mentor sees her progress and her homework (the school's worksheets: their text
  says the mentor reads them) and writes dated notes; never her reflections, demographics or
  anything else of hers. Every read of homework is written to the access log.
Nothing crosses programmes: another programme's cohort, member or workshop is "not found".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from courses import mentoring as rules
from courses import progression
from courses import schools as school_rules
from courses.model import Activity, Catalogue, School, Text
from courses.progression import ActivityState, QuizResult
from courses.schools import SchoolCourse, chile_today, from_chile
from lti_tool.actor import Actor, Role
from lti_tool.models import (
    Enrolment,
    Grant,
    LmsContext,
    LtiUser,
    MentorNote,
    MentorProfile,
    SchoolAttendance,
    SchoolCohort,
    SchoolMember,
    SchoolProgress,
    SchoolWorkshop,
    db,
    utcnow,
)
from lti_tool.services import content, learning, mentoring, programme, revisions
from lti_tool.services.calendar import single_event_calendar
from lti_tool.services.dbutil import hold_until_commit, read_under_lock
from lti_tool.services.errors import (
    CohortNotFound,
    NoContent,
    PersonNotFound,
    Refused,
    SchoolMemberNotFound,
    SchoolNotFound,
    SchoolWorkshopNotFound,
)
from lti_tool.services.privacy import core as privacy_log

APPLIED, INVITED, ACTIVE, DECLINED = "applied", "invited", "active", "declined"


def _catalogue() -> Catalogue:
    latest = content.latest_catalogue()
    if latest is None:
        raise NoContent("no content imported")
    return latest[1]


def _school(catalogue: Catalogue, school_id: str) -> School:
    school = catalogue.schools.get(school_id)
    if school is None or school_id not in catalogue.school_ids:
        raise SchoolNotFound(school_id)
    return school


def _today() -> date:
    return chile_today(utcnow())


# =========================================================================== the programme team
@dataclass(frozen=True)
class CohortSummary:
    id: int
    school_id: str
    name: str
    starts_on: date
    members: int
    invited: int


@dataclass(frozen=True)
class SchoolsOverview:
    schools: list[School]
    cohorts: dict[str, list[CohortSummary]]
    applicants: dict[str, int]  # volunteers waiting for a cohort, by school


def overview(actor: Actor) -> SchoolsOverview:
    """The programme's schools, their cohorts and how many volunteers wait for one."""
    programme.require(actor, Role.PROGRAMME_TEAM)
    catalogue = _catalogue()
    schools = [catalogue.schools[s] for s in catalogue.school_ids if s in catalogue.schools]
    active = func.count(SchoolMember.id).filter(SchoolMember.status == ACTIVE)
    invited = func.count(SchoolMember.id).filter(SchoolMember.status == INVITED)
    cohorts: dict[str, list[CohortSummary]] = defaultdict(list)
    for row, members, pending in db.session.execute(
        select(SchoolCohort, active, invited)
        .outerjoin(SchoolMember, SchoolMember.cohort_id == SchoolCohort.id)
        .where(SchoolCohort.programme_id == actor.programme_id)
        .group_by(SchoolCohort.id)
        .order_by(SchoolCohort.starts_on.desc(), SchoolCohort.id.desc())
    ):
        cohorts[row.school_id].append(
            CohortSummary(row.id, row.school_id, row.name, row.starts_on, members, pending)
        )
    applicants = dict(
        db.session.execute(
            select(SchoolMember.school_id, func.count(SchoolMember.id))
            .where(SchoolMember.programme_id == actor.programme_id, SchoolMember.status == APPLIED)
            .group_by(SchoolMember.school_id)
        )
        .tuples()
        .all()
    )
    return SchoolsOverview(schools, dict(cohorts), applicants)


def create_cohort(actor: Actor, school_id: str, name: str, starts_on: date) -> int:
    programme.require(actor, Role.PROGRAMME_TEAM)
    _school(_catalogue(), school_id)
    if not name.strip():
        raise Refused("name")
    row = SchoolCohort(
        programme_id=actor.programme_id,
        school_id=school_id,
        name=name.strip()[:255],
        starts_on=starts_on,
        created_by=actor.user_id,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def _cohort(actor: Actor, cohort_id: int) -> SchoolCohort:
    programme.require(actor, Role.PROGRAMME_TEAM)
    found: SchoolCohort | None = db.session.scalar(
        select(SchoolCohort).where(
            SchoolCohort.id == cohort_id, SchoolCohort.programme_id == actor.programme_id
        )
    )
    if found is None:
        raise CohortNotFound(cohort_id)
    return found


@dataclass(frozen=True)
class MemberRow:
    id: int
    user_id: int
    name: str
    status: str
    mentor_id: int | None
    mentor_name: str
    percent: int


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str


@dataclass(frozen=True)
class WorkshopRow:
    id: int
    activity_id: str
    starts_at: datetime
    meeting_url: str
    note: str
    cancelled: bool = False  # it stays listed, shown as cancelled
    revision: int = 0  # what its change page names (`edit_workshop`)


def _row_of(workshop: SchoolWorkshop) -> WorkshopRow:
    return WorkshopRow(
        workshop.id,
        workshop.activity_id,
        workshop.starts_at,
        workshop.meeting_url,
        workshop.note,
        workshop.cancelled_at is not None,
        workshop.revision or 0,
    )


@dataclass(frozen=True)
class CohortPage:
    cohort: SchoolCohort
    school: School
    members: list[MemberRow]
    candidates: list[Person]  # she may be invited (the school's rule), or applied and waits
    mentors: list[Person]  # for the personal-mentor choice (schools run week by week)
    workshops: list[WorkshopRow]
    workshop_activities: dict[str, Activity]
    catalogue: Catalogue = field(repr=False)

    @property
    def invites(self) -> bool:
        return self.school.audience == "invited"


def _member_percent(
    catalogue: Catalogue,
    school: School,
    cohort_start: date,
    progress: Mapping[str, ActivityState],
) -> int:
    plan = school_rules.school_plan(catalogue, school, progress, cohort_start, _today())
    return school_rules.school_percent(plan)


def _progress_of(member_ids: Collection[int]) -> dict[int, dict[str, ActivityState]]:
    states: dict[int, dict[str, ActivityState]] = defaultdict(dict)
    if member_ids:
        for member_id, activity_id, completed, score in db.session.execute(
            select(
                SchoolProgress.member_id,
                SchoolProgress.activity_id,
                SchoolProgress.completed,
                SchoolProgress.score,
            ).where(SchoolProgress.member_id.in_(sorted(member_ids)))
        ):
            states[member_id][activity_id] = ActivityState(completed, score)
    return states


def mentors_of_programme(programme_id: int) -> list[Person]:
    """Everyone who may be a personal mentor: the mentor grant-holders and whoever wrote a
    mentor profile in the programme (one query)."""
    granted = select(Grant.user_id).where(
        Grant.programme_id == programme_id,
        Grant.role == Role.MENTOR.value,
        Grant.revoked_at.is_(None),
    )
    profiled = select(MentorProfile.user_id).where(MentorProfile.programme_id == programme_id)
    return [
        Person(user_id, name or "")
        for user_id, name in db.session.execute(
            select(LtiUser.id, LtiUser.name)
            .where(LtiUser.id.in_(granted.union(profiled).scalar_subquery()))
            .order_by(LtiUser.name, LtiUser.id)
        )
    ]


def _participants(programme_id: int, exclude: Collection[int]) -> list[Person]:
    """People with a plan in an LMS course of the programme."""
    query = (
        select(LtiUser.id, LtiUser.name)
        .join(Enrolment, Enrolment.user_id == LtiUser.id)
        .join(LmsContext, LmsContext.id == Enrolment.context_id)
        .where(LmsContext.programme_id == programme_id)
        .group_by(LtiUser.id, LtiUser.name)
        .order_by(LtiUser.name, LtiUser.id)
    )
    if exclude:
        query = query.where(LtiUser.id.not_in(sorted(exclude)))
    return [Person(user_id, name or "") for user_id, name in db.session.execute(query)]


_MENTOR = aliased(LtiUser, name="mentor")


def cohort_page(actor: Actor, cohort_id: int) -> CohortPage:
    cohort = _cohort(actor, cohort_id)
    catalogue = _catalogue()
    school = _school(catalogue, cohort.school_id)
    rows = db.session.execute(
        select(SchoolMember, LtiUser.name, _MENTOR.name)
        .join(LtiUser, LtiUser.id == SchoolMember.user_id)
        .outerjoin(_MENTOR, _MENTOR.id == SchoolMember.mentor_id)
        .where(SchoolMember.cohort_id == cohort.id)
        .order_by(LtiUser.name, SchoolMember.id)
    ).all()
    progress = _progress_of([m.id for m, _n, _mn in rows])
    members = [
        MemberRow(
            m.id,
            m.user_id,
            name or "",
            m.status,
            m.mentor_id,
            mentor_name or "",
            _member_percent(catalogue, school, cohort.starts_on, progress[m.id]),
        )
        for m, name, mentor_name in rows
    ]
    in_school = set(
        db.session.scalars(
            select(SchoolMember.user_id).where(
                SchoolMember.programme_id == actor.programme_id,
                SchoolMember.school_id == school.id,
                SchoolMember.status != APPLIED,
            )
        )
    )
    if school.audience == "invited":
        people = _participants(actor.programme_id, in_school)
        standing = mentoring.standing_of([p.user_id for p in people], actor.programme_id)
        candidates = [
            p
            for p in people
            if school_rules.may_invite(
                school.invitation, standing.get(p.user_id, mentoring.NOBODY).pathway_complete
            )
        ]
    else:
        candidates = [
            Person(user_id, name or "")
            for user_id, name in db.session.execute(
                select(SchoolMember.user_id, LtiUser.name)
                .join(LtiUser, LtiUser.id == SchoolMember.user_id)
                .where(
                    SchoolMember.programme_id == actor.programme_id,
                    SchoolMember.school_id == school.id,
                    SchoolMember.status == APPLIED,
                )
                .order_by(SchoolMember.created_at)
            )
        ]
    workshops = [
        _row_of(w)
        for w in db.session.scalars(
            select(SchoolWorkshop)
            .where(SchoolWorkshop.cohort_id == cohort.id)
            .order_by(SchoolWorkshop.starts_at)
        )
    ]
    return CohortPage(
        cohort=cohort,
        school=school,
        members=members,
        candidates=candidates,
        mentors=mentors_of_programme(actor.programme_id) if school.weeks else [],
        workshops=workshops,
        workshop_activities=_workshop_activities(catalogue, school),
        catalogue=catalogue,
    )


def _workshop_activities(catalogue: Catalogue, school: School) -> dict[str, Activity]:
    return {
        a.id: a
        for course_id in school.course_ids
        if course_id in catalogue.courses
        for a in catalogue.course_activities(course_id)
        if a.kind == "workshop"
    }


def invite(actor: Actor, cohort_id: int, user_ids: Collection[int]) -> int:
    """Invite women to a cohort of a school that invites (the Leadership School): only those
    who meet its rule (they completed their pathway), once each. Returns how many were
    invited; anyone else is refused before anything is written."""
    cohort = _cohort(actor, cohort_id)
    school = _school(_catalogue(), cohort.school_id)
    if school.audience != "invited":
        raise Refused("not-invited-school")
    wanted = set(user_ids)
    if not wanted:
        return 0
    allowed = {p.user_id for p in _participants(actor.programme_id, ())} & wanted
    standing = mentoring.standing_of(allowed, actor.programme_id)
    if allowed != wanted or not all(
        school_rules.may_invite(school.invitation, standing[u].pathway_complete) for u in wanted
    ):
        raise Refused("not-eligible")
    existing = {
        m.user_id: m
        for m in db.session.scalars(
            select(SchoolMember).where(
                SchoolMember.programme_id == actor.programme_id,
                SchoolMember.school_id == school.id,
                SchoolMember.user_id.in_(sorted(wanted)),
            )
        )
    }
    count = 0
    for user_id in sorted(wanted):
        row = existing.get(user_id)
        if row is not None and row.status in (ACTIVE, INVITED):
            continue
        row = row or SchoolMember(
            programme_id=actor.programme_id, school_id=school.id, user_id=user_id
        )
        row.cohort_id = cohort.id
        row.status = INVITED
        row.invited_by = actor.user_id
        row.answered_at = None
        db.session.add(row)
        count += 1
    db.session.commit()
    return count


def place(actor: Actor, cohort_id: int, user_id: int) -> None:
    """A volunteer who applied joins a cohort."""
    cohort = _cohort(actor, cohort_id)
    row = db.session.scalar(
        select(SchoolMember).where(
            SchoolMember.programme_id == actor.programme_id,
            SchoolMember.school_id == cohort.school_id,
            SchoolMember.user_id == user_id,
            SchoolMember.status == APPLIED,
        )
    )
    if row is None:
        raise PersonNotFound(user_id)
    row.cohort_id = cohort.id
    row.status = ACTIVE
    row.answered_at = utcnow()
    db.session.commit()


def assign_mentor(actor: Actor, member_id: int, mentor_id: int | None) -> None:
    """Her personal mentor (a mentor of the programme), or none."""
    programme.require(actor, Role.PROGRAMME_TEAM)
    member = db.session.scalar(
        select(SchoolMember).where(
            SchoolMember.id == member_id, SchoolMember.programme_id == actor.programme_id
        )
    )
    if member is None or member.cohort_id is None:
        raise SchoolMemberNotFound(member_id)
    mentors = {p.user_id for p in mentors_of_programme(actor.programme_id)}
    if mentor_id is not None and (mentor_id == member.user_id or mentor_id not in mentors):
        raise Refused("mentor")
    member.mentor_id = mentor_id
    db.session.commit()


# ------------------------------------------------------------------------ live workshops
def schedule_workshop(
    actor: Actor,
    cohort_id: int,
    activity_id: str,
    starts_at_local: datetime,
    meeting_url: str,
    note: str,
) -> int:
    """A live session of one of the school's workshops for this cohort; Chile's local time.
    The very same session sent again (a double tap, Back and send again) is the one already
    scheduled: its id, and nothing written."""
    cohort = _cohort(actor, cohort_id)
    catalogue = _catalogue()
    school = _school(catalogue, cohort.school_id)
    if activity_id not in _workshop_activities(catalogue, school):
        raise Refused("workshop")
    row = SchoolWorkshop(
        cohort_id=cohort.id,
        activity_id=activity_id,
        starts_at=from_chile(starts_at_local),
        meeting_url=meeting_url,
        note=_note(note),
        created_by=actor.user_id,
    )
    # The same form sent twice at once: the second waits for the first, then finds it.
    hold_until_commit(SchoolCohort, cohort.id)
    same = db.session.scalar(
        select(SchoolWorkshop.id).where(
            SchoolWorkshop.cohort_id == row.cohort_id,
            SchoolWorkshop.activity_id == row.activity_id,
            SchoolWorkshop.starts_at == row.starts_at,
            SchoolWorkshop.meeting_url == row.meeting_url,
            SchoolWorkshop.note == row.note,
            SchoolWorkshop.cancelled_at.is_(None),  # the same again after cancelling is new
        )
    )
    if same is not None:
        return same
    db.session.add(row)
    db.session.commit()
    return row.id


def _note(note: str) -> str:
    return note.strip()[:500]


@dataclass(frozen=True)
class WorkshopPage:
    workshop: WorkshopRow
    cohort: SchoolCohort
    activity: Activity | None
    members: list[Person]  # active members, by member id
    member_ids: dict[int, int]  # user id → member id
    present: set[int]  # member ids


def _workshop(actor: Actor, workshop_id: int) -> tuple[SchoolWorkshop, SchoolCohort]:
    programme.require(actor, Role.PROGRAMME_TEAM)
    row = db.session.execute(
        select(SchoolWorkshop, SchoolCohort)
        .join(SchoolCohort, SchoolCohort.id == SchoolWorkshop.cohort_id)
        .where(SchoolWorkshop.id == workshop_id, SchoolCohort.programme_id == actor.programme_id)
    ).one_or_none()
    if row is None:
        raise SchoolWorkshopNotFound(workshop_id)
    return row[0], row[1]


def workshop_page(actor: Actor, workshop_id: int) -> WorkshopPage:
    workshop, cohort = _workshop(actor, workshop_id)
    rows = db.session.execute(
        select(SchoolMember.id, SchoolMember.user_id, LtiUser.name)
        .join(LtiUser, LtiUser.id == SchoolMember.user_id)
        .where(SchoolMember.cohort_id == cohort.id, SchoolMember.status == ACTIVE)
        .order_by(LtiUser.name)
    ).all()
    present = set(
        db.session.scalars(
            select(SchoolAttendance.member_id).where(
                SchoolAttendance.workshop_id == workshop.id, SchoolAttendance.present.is_(True)
            )
        )
    )
    return WorkshopPage(
        workshop=_row_of(workshop),
        cohort=cohort,
        activity=_catalogue().activities.get(workshop.activity_id),
        members=[Person(member_id, name or "") for member_id, _u, name in rows],
        member_ids={user_id: member_id for member_id, user_id, _n in rows},
        present=present,
    )


def _attended(workshop_id: int) -> bool:
    """Someone was marked present at this session."""
    return (
        db.session.scalar(
            select(SchoolAttendance.id)
            .where(SchoolAttendance.workshop_id == workshop_id, SchoolAttendance.present.is_(True))
            .limit(1)
        )
        is not None
    )


def edit_workshop(
    actor: Actor,
    workshop_id: int,
    starts_at_local: datetime,
    meeting_url: str,
    note: str,
    revision: int | None = None,
) -> bool:
    """Change a live session's time (Chile's local time), link or note; the school team of its
    programme only. False when it has them already (a double tap, a save without changes):
    nothing is written. Refused, with nothing written: ("cancelled") for a cancelled session;
    revisions.Stale when `revision`, the one her page showed, is older than the session's
    (another tab or another member of the team saved since: hers never silently overwrites
    theirs); ("attended") when someone was marked present and the new time is still to come:
    attendance is never earlier than its session."""
    workshop, _cohort = _workshop_held(actor, workshop_id)
    if workshop.cancelled_at is not None:
        raise Refused("cancelled")
    wanted = (from_chile(starts_at_local), meeting_url, _note(note))
    same = (workshop.starts_at, workshop.meeting_url, workshop.note) == wanted
    revisions.check_revision(workshop.revision, revision, unchanged=same)
    if same:
        return False
    if wanted[0] > utcnow() and _attended(workshop.id):
        raise Refused("attended")
    workshop.starts_at, workshop.meeting_url, workshop.note = wanted
    workshop.revision = revisions.next_revision(workshop.revision)
    db.session.commit()
    return True


def _workshop_held(actor: Actor, workshop_id: int) -> tuple[SchoolWorkshop, SchoolCohort]:
    """The workshop (see _workshop), read again under a row lock until the commit: two saves
    at the same moment (a double tap, two of the team) are served one after the other, and
    the second sees what the first saved."""
    workshop, cohort = _workshop(actor, workshop_id)
    read_under_lock(workshop)
    return workshop, cohort


def cancel_workshop(actor: Actor, workshop_id: int) -> bool:
    """Cancel a live session; the school team of its programme only. It stays listed, shown as
    cancelled to the team and to the cohort's members, and is no longer offered for their
    calendars. Refused ("attended") once someone was marked present. False if it was cancelled
    already (the button tapped twice, an older page): nothing changes."""
    workshop, _cohort = _workshop_held(actor, workshop_id)
    if workshop.cancelled_at is not None:
        return False
    if _attended(workshop.id):
        raise Refused("attended")
    workshop.cancelled_at = utcnow()
    db.session.commit()
    return True


def record_workshop_attendance(
    actor: Actor,
    workshop_id: int,
    present: Collection[int],
    shown_present: Collection[int] | None = None,
) -> int:
    """Who attended (member ids of the cohort); attending completes the workshop activity for
    her. One transaction; returns how many attended now. `shown_present`: who was marked
    present on the page she saved from; only the ticks she changed there are saved, so an
    older page (another tab, another member of the team) never marks absent someone marked
    present since. Refused, with nothing written, before the session starts ("not-started")
    and for a cancelled one ("cancelled")."""
    workshop, cohort = _workshop_held(actor, workshop_id)
    if workshop.cancelled_at is not None:
        raise Refused("cancelled")
    if workshop.starts_at > utcnow():
        raise Refused("not-started")
    catalogue = _catalogue()
    activity = catalogue.activities.get(workshop.activity_id)
    members = list(
        db.session.scalars(
            select(SchoolMember).where(
                SchoolMember.cohort_id == cohort.id, SchoolMember.status == ACTIVE
            )
        )
    )
    chosen = set(present)
    if not chosen <= {m.id for m in members}:
        raise SchoolMemberNotFound(sorted(chosen)[0])
    shown = None if shown_present is None else set(shown_present)
    existing = {
        a.member_id: a
        for a in db.session.scalars(
            select(SchoolAttendance).where(SchoolAttendance.workshop_id == workshop.id)
        )
    }
    rows = _rows_of([m.id for m in members], workshop.activity_id)
    now = utcnow()
    attended = 0
    for member in members:
        here = member.id in chosen
        record = existing.get(member.id)
        if shown is not None and here == (member.id in shown):
            attended += bool(record and record.present)  # not changed here: what is saved stands
            continue
        attended += here
        if record is None and not here:
            continue
        record = record or SchoolAttendance(workshop_id=workshop.id, member_id=member.id)
        record.present = here
        record.recorded_by = actor.user_id
        record.recorded_at = now
        db.session.add(record)
        if here and activity is not None and activity.completion in ("attended", "viewed"):
            row = rows.get(member.id) or SchoolProgress(
                member_id=member.id, activity_id=activity.id, data={}
            )
            if not row.completed:
                row.completed, row.completed_at, row.updated_at = True, now, now
            db.session.add(row)
    db.session.commit()
    return attended


def _rows_of(member_ids: list[int], activity_id: str) -> dict[int, SchoolProgress]:
    if not member_ids:
        return {}
    return {
        r.member_id: r
        for r in db.session.scalars(
            select(SchoolProgress).where(
                SchoolProgress.member_id.in_(member_ids), SchoolProgress.activity_id == activity_id
            )
        )
    }


# ------------------------------------------------------------------- who may become a mentor
@dataclass(frozen=True)
class Candidate:
    user_id: int
    name: str
    school_id: str
    missing_courses: tuple[str, ...]
    missing_titles: tuple[Text, ...]
    hours: float
    missing_hours: float
    eligible: bool
    is_mentor: bool


def mentor_candidates(actor: Actor) -> list[Candidate]:
    """Everyone in a school that makes mentors (the Mentor Training School), with what she
    still needs by the school's rule (content): its courses, the gender training and the
    volunteer hours of the sessions she co-led. For the programme team."""
    programme.require(actor, Role.PROGRAMME_TEAM)
    catalogue = _catalogue()
    schools = {s.id: s for s in catalogue.schools.values() if s.mentor_eligibility}
    if not schools:
        return []
    rows = db.session.execute(
        select(SchoolMember.user_id, LtiUser.name, SchoolMember.school_id)
        .join(LtiUser, LtiUser.id == SchoolMember.user_id)
        .where(
            SchoolMember.programme_id == actor.programme_id,
            SchoolMember.school_id.in_(sorted(schools)),
            SchoolMember.status == ACTIVE,
        )
        .order_by(LtiUser.name, LtiUser.id)
    ).all()
    ids = [user_id for user_id, _n, _s in rows]
    standing = mentoring.standing_of(ids, actor.programme_id)
    hours = mentoring.hours_by_person(actor.programme_id, ids)
    granted = set(
        db.session.scalars(
            select(Grant.user_id).where(
                Grant.programme_id == actor.programme_id,
                Grant.role == Role.MENTOR.value,
                Grant.revoked_at.is_(None),
                Grant.user_id.in_(ids),
            )
        )
    )
    result = []
    for user_id, name, school_id in rows:
        eligibility = schools[school_id].mentor_eligibility
        assert eligibility is not None
        verdict = rules.mentor_eligibility(
            rules.MentorRule(eligibility.course_ids, eligibility.volunteer_hours),
            standing.get(user_id, mentoring.NOBODY).completed_courses,
            hours.get(user_id, 0.0),
        )
        result.append(
            Candidate(
                user_id,
                name or "",
                school_id,
                verdict.missing_courses,
                tuple(
                    catalogue.courses[c].title if c in catalogue.courses else Text(c, c)
                    for c in verdict.missing_courses
                ),
                hours.get(user_id, 0.0),
                verdict.missing_hours,
                verdict.eligible,
                user_id in granted,
            )
        )
    return result


def grant_mentor(actor: Actor, user_id: int) -> None:
    """The programme team makes an eligible graduate a mentor (the programme's mentor grant).
    Refused if she does not meet the rule yet."""
    candidate = next((c for c in mentor_candidates(actor) if c.user_id == user_id), None)
    if candidate is None:
        raise PersonNotFound(user_id)
    if not candidate.eligible:
        raise Refused("not-eligible")
    programme.grant(actor, user_id, Role.MENTOR, None)


# ============================================================================ the participant
@dataclass(frozen=True)
class Offer:
    """A school on her plan page: an invitation to answer, her school, or one she may join."""

    school: School
    member_id: int | None
    status: str | None  # applied | invited | active | None (she may apply)
    cohort_name: str
    starts_on: date | None


def offers(actor: Actor, pathway_complete: bool, in_schools: bool = True) -> list[Offer]:
    """Her invitations and schools, and the volunteers' schools she may apply to once she has
    completed her pathway (one query, when she may be in a school)."""
    latest = content.latest_catalogue()
    if latest is None:
        return []
    catalogue = latest[1]
    rows = (
        {
            member.school_id: (member, name, starts)
            for member, name, starts in db.session.execute(
                select(SchoolMember, SchoolCohort.name, SchoolCohort.starts_on)
                .outerjoin(SchoolCohort, SchoolCohort.id == SchoolMember.cohort_id)
                .where(
                    SchoolMember.programme_id == actor.programme_id,
                    SchoolMember.user_id == actor.user_id,
                )
            )
        }
        if in_schools
        else {}
    )
    result = []
    for school_id in catalogue.school_ids:
        school = catalogue.schools.get(school_id)
        if school is None:
            continue
        found = rows.get(school_id)
        if found is not None:
            member, name, starts = found
            if member.status != DECLINED:
                result.append(Offer(school, member.id, member.status, name or "", starts))
        elif school.audience == "volunteers" and school_rules.may_invite(None, pathway_complete):
            result.append(Offer(school, None, None, "", None))
    return result


def apply(actor: Actor, school_id: str) -> None:
    """She volunteers for a school that takes volunteers (the Mentor Training School), once
    she completed her pathway; the programme team places her in a cohort."""
    school = _school(_catalogue(), school_id)
    if school.audience != "volunteers":
        raise Refused("not-volunteers-school")
    standing = mentoring.standing_of([actor.user_id], actor.programme_id)[actor.user_id]
    if not school_rules.may_invite(None, standing.pathway_complete):
        raise Refused("not-eligible")
    existing = db.session.scalar(
        select(SchoolMember).where(
            SchoolMember.programme_id == actor.programme_id,
            SchoolMember.school_id == school.id,
            SchoolMember.user_id == actor.user_id,
        )
    )
    if existing is not None and existing.status != DECLINED:
        db.session.rollback()
        return
    row = existing or SchoolMember(
        programme_id=actor.programme_id, school_id=school.id, user_id=actor.user_id
    )
    row.status, row.cohort_id, row.answered_at = APPLIED, None, None
    db.session.add(row)
    db.session.commit()


def answer(actor: Actor, member_id: int, accept: bool) -> None:
    """She accepts or declines an invitation (hers only)."""
    row = db.session.scalar(
        select(SchoolMember).where(
            SchoolMember.id == member_id,
            SchoolMember.user_id == actor.user_id,
            SchoolMember.programme_id == actor.programme_id,
            SchoolMember.status == INVITED,
        )
    )
    if row is None:
        raise SchoolMemberNotFound(member_id)
    row.status = ACTIVE if accept else DECLINED
    row.answered_at = utcnow()
    db.session.commit()


@dataclass(frozen=True)
class Note:
    id: int
    body: str
    created_at: datetime
    author: str


@dataclass(frozen=True)
class MySchool:
    """Her school, as she does it."""

    member: SchoolMember
    cohort: SchoolCohort
    school: School
    catalogue: Catalogue
    plan: list[SchoolCourse]
    progress: dict[str, ActivityState]
    rows: dict[str, SchoolProgress]
    mentor_name: str
    notes: list[Note] = field(default_factory=list)
    workshops: list[WorkshopRow] = field(default_factory=list)
    hours: float | None = None  # a school that makes mentors: her volunteer hours
    eligibility: rules.Eligibility | None = None
    sessions: list[mentoring.MentorSession] = field(default_factory=list)  # her internship

    @property
    def percent(self) -> int:
        return school_rules.school_percent(self.plan)

    @property
    def complete(self) -> bool:
        return school_rules.school_complete(self.plan)

    @property
    def week(self) -> int | None:
        if not self.school.weeks:
            return None
        return school_rules.current_week(self.cohort.starts_on, _today(), self.school.weeks)

    def activity(self, activity_id: str) -> Activity | None:
        activity = self.catalogue.activities.get(activity_id)
        if activity is None or activity.course_id not in {c.course.id for c in self.plan}:
            return None
        return activity

    def open(self, activity: Activity) -> bool:
        return school_rules.may_work_on(self.plan, activity)

    def opens_on(self, activity: Activity) -> date | None:
        for course in self.plan:
            for release in course.modules:
                if release.module.id == activity.module_id:
                    return release.opens_on
        return None

    def next_activity(self) -> Activity | None:
        for course in self.plan:
            for release in course.modules:
                if not release.released:
                    continue
                for activity_id in release.module.activity_ids:
                    activity = self.catalogue.activities[activity_id]
                    if course.status == school_rules.LOCKED or activity.kind == "workshop":
                        continue
                    if not progression.is_done(activity_id, self.progress):
                        return activity
        return None


def _my_member(actor: Actor, school_id: str) -> tuple[SchoolMember, SchoolCohort, str]:
    row = db.session.execute(
        select(SchoolMember, SchoolCohort, LtiUser.name)
        .join(SchoolCohort, SchoolCohort.id == SchoolMember.cohort_id)
        .outerjoin(LtiUser, LtiUser.id == SchoolMember.mentor_id)
        .where(
            SchoolMember.programme_id == actor.programme_id,
            SchoolMember.school_id == school_id,
            SchoolMember.user_id == actor.user_id,
            SchoolMember.status == ACTIVE,
        )
    ).one_or_none()
    if row is None:
        raise SchoolNotFound(school_id)
    return row[0], row[1], row[2] or ""


def my_school(actor: Actor, school_id: str, details: bool = True) -> MySchool:
    """Her school: its courses with what is open, her mentor's notes, the cohort's live
    workshops, and (in the school that makes mentors) her hours and what she still needs."""
    catalogue = _catalogue()
    school = _school(catalogue, school_id)
    member, cohort, mentor_name = _my_member(actor, school_id)
    rows = {
        r.activity_id: r
        for r in db.session.scalars(
            select(SchoolProgress).where(SchoolProgress.member_id == member.id)
        )
    }
    progress = {k: ActivityState(r.completed, r.score) for k, r in rows.items()}
    elsewhere = [c for c in school_rules.school_courses(school) if c not in school.course_ids]
    eligibility = hours = None
    sessions: list[mentoring.MentorSession] = []
    if elsewhere or school.mentor_eligibility:
        standing = mentoring.standing_of([actor.user_id], actor.programme_id)[actor.user_id]
        for course_id in elsewhere:  # completed in one of her plans: done here too
            if course_id in standing.completed_courses and course_id in catalogue.courses:
                for activity_id in catalogue.courses[course_id].activity_ids:
                    progress.setdefault(activity_id, ActivityState(True))
        if school.mentor_eligibility and details:
            sessions = mentoring.co_led(actor)
            hours = mentoring.hours_of(sessions, actor.user_id)
            eligibility = rules.mentor_eligibility(
                rules.MentorRule(
                    school.mentor_eligibility.course_ids, school.mentor_eligibility.volunteer_hours
                ),
                standing.completed_courses,
                hours,
            )
    plan = school_rules.school_plan(catalogue, school, progress, cohort.starts_on, _today())
    notes: list[Note] = []
    workshops: list[WorkshopRow] = []
    if details:
        notes = _notes(member.id)
        workshops = [
            _row_of(w)
            for w in db.session.scalars(
                select(SchoolWorkshop)
                .where(
                    SchoolWorkshop.cohort_id == cohort.id,
                    SchoolWorkshop.starts_at >= utcnow() - timedelta(hours=3),
                )
                .order_by(SchoolWorkshop.starts_at)
            )
        ]
    return MySchool(
        member,
        cohort,
        school,
        catalogue,
        plan,
        progress,
        rows,
        mentor_name,
        notes,
        workshops,
        hours,
        eligibility,
    )


def _notes(member_id: int) -> list[Note]:
    return [
        Note(n.id, n.body, n.created_at, name or "")
        for n, name in db.session.execute(
            select(MentorNote, LtiUser.name)
            .outerjoin(LtiUser, LtiUser.id == MentorNote.author_id)
            .where(MentorNote.member_id == member_id)
            .order_by(MentorNote.created_at.desc(), MentorNote.id.desc())
        )
    ]


def workshops_of(mine: MySchool, activity: Activity) -> list[WorkshopRow]:
    """The cohort's sessions of a workshop activity (the cancelled ones too, shown as such)."""
    return [
        _row_of(w)
        for w in db.session.scalars(
            select(SchoolWorkshop)
            .where(
                SchoolWorkshop.cohort_id == mine.cohort.id,
                SchoolWorkshop.activity_id == activity.id,
            )
            .order_by(SchoolWorkshop.starts_at)
        )
    ]


def workshop_calendar(
    actor: Actor,
    school_id: str,
    workshop_id: int,
    locale: str,
    host: str,
    summary: Callable[[str], str],
) -> tuple[bytes, str]:
    """An .ics for a live session of a workshop of her cohort, in Chile's time zone with its
    VTIMEZONE, as for her pathway's workshops; another cohort's, or a cancelled one, is not
    found. Each change is a new SEQUENCE, so her calendar takes the new time. (bytes, name)"""
    mine = my_school(actor, school_id, details=False)
    row = db.session.scalar(
        select(SchoolWorkshop).where(
            SchoolWorkshop.id == workshop_id,
            SchoolWorkshop.cohort_id == mine.cohort.id,
            SchoolWorkshop.cancelled_at.is_(None),
        )
    )
    activity = mine.catalogue.activities.get(row.activity_id) if row else None
    if row is None or activity is None:
        raise SchoolNotFound(str(workshop_id))
    body = single_event_calendar(
        product="Schools",
        uid=f"senda-school-workshop-{row.id}@{host}",
        start=row.starts_at,
        end=row.starts_at + timedelta(minutes=activity.duration_minutes or activity.minutes),
        summary=summary(activity.title.get(locale)),
        description="\n".join(line for line in (row.note, row.meeting_url) if line),
        url=row.meeting_url or None,
        location=row.meeting_url or None,
        sequence=row.revision or 0,
    )
    return body, f"senda-{locale}-school-workshop-{row.id}.ics"


# ----------------------------------------------------------------------- her work in a school
class NotOpen(Refused):
    """The activity's course is locked or its module's week has not come."""

    def __init__(self) -> None:
        super().__init__("not-open")


def work_on(
    actor: Actor, school_id: str, activity_id: str, kinds: tuple[str, ...] = ()
) -> tuple[MySchool, Activity]:
    """Her school and an activity she may work on now: of her school (else not found), of one
    of `kinds` when given (else not found), open today (else NotOpen)."""
    mine = my_school(actor, school_id, details=False)
    activity = mine.activity(activity_id)
    if activity is None or (kinds and activity.kind not in kinds):
        raise SchoolNotFound(activity_id)
    if not mine.open(activity):
        raise NotOpen
    return mine, activity


def _row(mine: MySchool, activity: Activity) -> SchoolProgress:
    row = mine.rows.get(activity.id)
    if row is None:
        row = SchoolProgress(member_id=mine.member.id, activity_id=activity.id, data={})
        db.session.add(row)
        mine.rows[activity.id] = row
    return row


def _complete(mine: MySchool, activity: Activity, row: SchoolProgress) -> None:
    if not row.completed:
        row.completed = True
        row.completed_at = utcnow()
        mine.progress[activity.id] = ActivityState(True, row.score)


def mark_viewed(actor: Actor, school_id: str, activity_id: str) -> MySchool:
    mine, activity = work_on(actor, school_id, activity_id)
    row = _row(mine, activity)
    if activity.completion == "viewed":
        _complete(mine, activity, row)
    row.updated_at = utcnow()
    db.session.commit()
    return mine


def submit_quiz(
    actor: Actor,
    school_id: str,
    activity_id: str,
    answers: Mapping[str, list[str]],
    attempt: int | None = None,
) -> tuple[MySchool, Activity, QuizResult]:
    """As a pathway's quiz (`learning.submit_quiz`): every question answered or
    learning.Unanswered, nothing written; the same answers sent again from an older page (a
    double tap, a refresh) are not a new attempt."""
    mine, activity = work_on(actor, school_id, activity_id, ("quiz",))
    learning.require_every_answer(activity, answers)
    result = progression.grade_quiz(activity, answers)
    if learning.is_repeat(mine.rows.get(activity.id), attempt, answers):
        return mine, activity, result
    row = _row(mine, activity)
    row.attempts = (row.attempts or 0) + 1
    row.data = {"answers": {k: sorted(v) for k, v in answers.items()}, "last_score": result.score}
    row.score = max(row.score or 0.0, result.score)
    row.updated_at = utcnow()
    if result.passed or activity.completion == "viewed":
        _complete(mine, activity, row)
    db.session.commit()
    return mine, activity, result


def last_quiz_result(mine: MySchool, activity: Activity) -> QuizResult | None:
    """Her last attempt at a quiz of her school, graded again from what was saved."""
    row = mine.rows.get(activity.id)
    return progression.last_attempt(activity, row.data if row else None)


def save_worksheet(
    actor: Actor,
    school_id: str,
    activity_id: str,
    values: Mapping[str, str],
    submit: bool,
    revision: int | None = None,
) -> tuple[MySchool, Activity, bool]:
    """Save her homework as she types, or submit it. (school, activity, complete) A save from
    an older `revision` raises revisions.Stale and writes nothing."""
    mine, activity = work_on(actor, school_id, activity_id, ("worksheet",))
    row = _row(mine, activity)
    saved = learning.write_values(row, activity, values, revision)
    complete = progression.worksheet_complete(activity, saved)
    if submit and (complete or activity.completion == "viewed"):
        _complete(mine, activity, row)
    db.session.commit()
    return mine, activity, complete


def save_reflection(
    actor: Actor, school_id: str, activity_id: str, text: str, revision: int | None = None
) -> MySchool:
    """Save her answer and complete the step. Empty text raises learning.EmptyAnswer (what
    she wrote before stays) and a save from an older `revision` revisions.Stale; neither
    writes anything."""
    mine, activity = work_on(actor, school_id, activity_id, ("reflection",))
    if not text.strip():
        raise learning.EmptyAnswer(activity_id)
    row = _row(mine, activity)
    learning.write_text(row, text, revision)
    _complete(mine, activity, row)
    db.session.commit()
    return mine


# ================================================================== her personal mentor
@dataclass(frozen=True)
class Homework:
    activity: Activity
    values: dict[str, str]
    submitted: bool
    updated_at: datetime | None


@dataclass(frozen=True)
class MenteePage:
    member_id: int
    name: str
    school: School
    cohort: SchoolCohort
    plan: list[SchoolCourse]
    homework: list[Homework]
    notes: list[Note]

    @property
    def percent(self) -> int:
        return school_rules.school_percent(self.plan)


def _mentee(actor: Actor, member_id: int) -> tuple[SchoolMember, SchoolCohort, str]:
    """A member she is the personal mentor of; anyone else is not found."""
    mentoring.require_mentor(actor)
    row = db.session.execute(
        select(SchoolMember, SchoolCohort, LtiUser.name)
        .join(SchoolCohort, SchoolCohort.id == SchoolMember.cohort_id)
        .join(LtiUser, LtiUser.id == SchoolMember.user_id)
        .where(
            SchoolMember.id == member_id,
            SchoolMember.programme_id == actor.programme_id,
            SchoolMember.mentor_id == actor.user_id,
            SchoolMember.status == ACTIVE,
        )
    ).one_or_none()
    if row is None:
        raise SchoolMemberNotFound(member_id)
    return row[0], row[1], row[2] or ""


def mentee_page(actor: Actor, member_id: int) -> MenteePage:
    """Her mentee's progress in the school and her homework (the school's worksheets), and
    the notes. Nothing else of hers: not her reflections, quiz answers, pathway, demographics
    or requests for help. The read is written to the access log."""
    member, cohort, name = _mentee(actor, member_id)
    catalogue = _catalogue()
    school = _school(catalogue, member.school_id)
    rows = {
        r.activity_id: r
        for r in db.session.scalars(
            select(SchoolProgress).where(SchoolProgress.member_id == member.id)
        )
    }
    progress = {k: ActivityState(r.completed, r.score) for k, r in rows.items()}
    plan = school_rules.school_plan(catalogue, school, progress, cohort.starts_on, _today())
    homework = []
    for course_id in school.course_ids:
        for activity in catalogue.course_activities(course_id):
            if activity.kind != "worksheet":
                continue
            row = rows.get(activity.id)
            values: dict[str, Any] = (row.data.get("values", {}) if row else {}) or {}
            homework.append(
                Homework(
                    activity,
                    {k: str(v) for k, v in values.items()},
                    bool(row and row.completed),
                    row.updated_at if row else None,
                )
            )
    privacy_log.log(actor.user_id, member.user_id, "school-homework", "read", "personal-mentor")
    notes = _notes(member.id)
    db.session.commit()
    return MenteePage(member.id, name, school, cohort, plan, homework, notes)


def add_note(actor: Actor, member_id: int, body: str, seen: int | None = None) -> None:
    """A dated note for her mentee, which the mentee reads on her school page. `seen` is the
    newest note the mentor's page showed (0: none): the same words she already wrote since
    then are that note sent again (a double tap, the Back button), not a second one."""
    member, _cohort, _name = _mentee(actor, member_id)
    text = body.strip()[:2000]
    if not text:
        raise Refused("empty")
    hold_until_commit(SchoolMember, member.id)  # the same note sent twice at once: one note
    written_since = (
        db.session.scalars(
            select(MentorNote.body).where(
                MentorNote.member_id == member.id,
                MentorNote.author_id == actor.user_id,
                MentorNote.id > seen,
            )
        ).all()
        if seen is not None
        else []
    )
    if text in written_since:
        db.session.rollback()
        return
    db.session.add(MentorNote(member_id=member.id, author_id=actor.user_id, body=text))
    privacy_log.log(actor.user_id, member.user_id, "mentor-note", "write", "personal-mentor")
    db.session.commit()


# ===================================================================== her plan page's card
@dataclass(frozen=True)
class AfterTraining:
    """What her plan page shows of mentoring and the schools: her sessions (a reminder for
    those of the next days, on every launch), her invitations and schools."""

    sessions: list[mentoring.SessionCard]
    reminders: list[mentoring.SessionCard]
    offers: list[Offer]
    topics: dict[str, Text]


def after_training(
    actor: Actor, pathway_complete: bool, has_sign_ups: bool = True, in_schools: bool = True
) -> AfterTraining:
    """A query for her sign-ups and one for her schools, each only when she may have some."""
    card = mentoring.plan_card(actor, has_sign_ups)
    latest = content.latest_catalogue()
    topics = (
        {t.id: t.title for t in latest[1].mentoring.topics}
        if latest and latest[1].mentoring
        else {}
    )
    return AfterTraining(
        sessions=card.sessions,
        reminders=card.reminders(utcnow()),
        offers=offers(actor, pathway_complete, in_schools),
        topics=topics,
    )
