"""Demographics, what a participant sees and downloads of herself, erasure and retention, and
the access log every module of the privacy boundary writes to (`log`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm.attributes import flag_modified

from courses import geography
from lti_tool.actor import Actor
from lti_tool.models import (
    ActivityProgress,
    Attendance,
    Enrolment,
    FollowUp,
    Grant,
    LmsContext,
    LtiUser,
    Membership,
    MentoringSession,
    MentoringSignUp,
    MentorNote,
    MentorProfile,
    Opportunity,
    OpportunityPointer,
    SchoolAttendance,
    SchoolCohort,
    SchoolMember,
    SchoolProgress,
    SchoolWorkshop,
    ScoreOutbox,
    WorkshopSession,
    db,
    utcnow,
)
from lti_tool.models.private import (
    AccessLog,
    CvReview,
    Demographics,
    FollowUpAnswer,
    FollowUpContact,
    SupportMessage,
    SupportRequest,
    TutorAssignment,
    TutorNote,
)
from lti_tool.services.errors import PersonNotFound
from lti_tool.settings import settings

YES_NO = ("yes", "no")


def log(reader_id: int | None, subject_id: int | None, what: str, action: str, why: str) -> None:
    db.session.add(
        AccessLog(reader_id=reader_id, subject_id=subject_id, what=what, action=action, why=why)
    )


def log_many(
    reader_id: int | None, subject_ids: Sequence[int], what: str, action: str, why: str
) -> None:
    """One access-log row per subject, written in one statement (a list of people read)."""
    if subject_ids:
        now = utcnow()
        db.session.execute(
            insert(AccessLog),
            [
                {
                    "at": now,
                    "reader_id": reader_id,
                    "subject_id": subject_id,
                    "what": what,
                    "action": action,
                    "why": why,
                }
                for subject_id in subject_ids
            ],
        )


# ---------------------------------------------------------------------------- demographics
@dataclass(frozen=True)
class DemographicsView:
    region: str
    municipality: str  # a commune's CUT code ("13101"); older rows may hold free text
    migrant: str  # yes | no | "" (prefer not to say)
    indigenous: str
    consented_at: datetime


def demographics_values(data: Mapping[str, Any]) -> dict[str, str] | None:
    """What may be stored from the intake form: nothing without consent; "prefer not to say"
    is stored as unknown; nothing at all if every answer is empty."""
    if not data.get("consent"):
        return None
    commune = geography.commune(str(data.get("municipality") or "").strip())
    values = {
        # The region follows from the commune (its CUT code) when she chose one.
        "region": commune.region if commune else str(data.get("region") or ""),
        "municipality": commune.code if commune else "",
        "migrant": str(data.get("migrant") or "") if data.get("migrant") in YES_NO else "",
        "indigenous": str(data.get("indigenous") or "") if data.get("indigenous") in YES_NO else "",
    }
    return values if any(values.values()) else None


def record_demographics(actor: Actor, values: Mapping[str, str] | None, why: str) -> None:
    """Store her consented answers; without consent, delete what was stored (withdrawal).
    Does not commit: the intake saves her plan in the same transaction."""
    existing = db.session.scalar(select(Demographics).where(Demographics.user_id == actor.user_id))
    if not values:
        if existing is not None:
            db.session.delete(existing)
            log(actor.user_id, actor.user_id, "demographics", "delete", why)
        return
    row = existing or Demographics(user_id=actor.user_id)
    row.region = values.get("region", "")
    row.municipality = values.get("municipality", "")
    row.migrant = values.get("migrant", "")
    row.indigenous = values.get("indigenous", "")
    row.consented_at = utcnow()
    db.session.add(row)
    log(actor.user_id, actor.user_id, "demographics", "write", why)


def my_demographics(actor: Actor, why: str) -> DemographicsView | None:
    """Her own demographics, for her (the read is logged like any other)."""
    row = db.session.scalar(select(Demographics).where(Demographics.user_id == actor.user_id))
    log(actor.user_id, actor.user_id, "demographics", "read", why)
    db.session.commit()
    if row is None:
        return None
    return DemographicsView(
        row.region, row.municipality, row.migrant, row.indigenous, row.consented_at
    )


def withdraw_demographics(actor: Actor) -> bool:
    """Delete her optional information; False if none was held (withdrawn already)."""
    held = db.session.scalar(
        select(Demographics.user_id).where(Demographics.user_id == actor.user_id)
    )
    record_demographics(actor, None, why="participant-withdrawal")
    db.session.commit()
    return held is not None


# ----------------------------------------------------------------- what Senda holds of her
def export(actor: Actor, complete: bool = False) -> dict[str, Any]:
    """Everything Senda holds about her, readable, for the page and the JSON download. The
    download (`complete`) also has her mentoring and schools, which the page leaves out to stay
    within its query budget."""
    found = db.session.execute(
        select(LtiUser, Demographics, FollowUpContact)
        .outerjoin(Demographics, Demographics.user_id == LtiUser.id)
        .outerjoin(FollowUpContact, FollowUpContact.user_id == LtiUser.id)
        .where(LtiUser.id == actor.user_id)
    ).first()
    if found is None:
        raise PersonNotFound(actor.user_id)
    user, demographics, contact = found
    follow_ups: dict[int, dict[str, Any]] = {}
    for survey, answer in db.session.execute(
        select(FollowUp, FollowUpAnswer)
        .outerjoin(FollowUpAnswer, FollowUpAnswer.follow_up_id == FollowUp.id)
        .where(FollowUp.user_id == actor.user_id)
        .order_by(FollowUp.months, FollowUpAnswer.id)
    ):
        entry = follow_ups.setdefault(
            survey.id,
            {
                "survey": survey.survey_id,
                "months_after_completion": survey.months,
                "due": survey.due_at.isoformat(),
                "status": survey.status,
                "answered_by": survey.answered_by,
                "answers": {},
            },
        )
        if answer is not None:
            entry["answers"][answer.question_id] = answer.choice or answer.text or ""
    plans = db.session.execute(
        select(Enrolment, LmsContext)
        .join(LmsContext, LmsContext.id == Enrolment.context_id)
        .where(Enrolment.user_id == actor.user_id)
        .order_by(Enrolment.id)
    ).all()
    work: dict[int, list[ActivityProgress]] = {}
    for row in db.session.scalars(
        select(ActivityProgress)
        .where(ActivityProgress.enrolment_id.in_([e.id for e, _c in plans]))
        .order_by(ActivityProgress.id)
    ):
        work.setdefault(row.enrolment_id, []).append(row)
    courses = [
        {
            "lms_course": context.title,
            "pathway": enrolment.pathway_id,
            "level": enrolment.level,
            "courses": list(enrolment.course_ids),
            "intake_answers": dict(enrolment.answers or {}),
            "placed_by": enrolment.placed_by,
            "started": enrolment.created_at.isoformat(),
            "activities": [
                {
                    "activity": row.activity_id,
                    "completed": row.completed,
                    "completed_at": row.completed_at.isoformat() if row.completed_at else None,
                    "score": row.score,
                    "what_you_wrote": dict(row.data or {}),
                }
                for row in work.get(enrolment.id, [])
            ],
        }
        for enrolment, context in plans
    ]
    memberships = [
        {"lms_course": context.title, "role": membership.role}
        for membership, context in db.session.execute(
            select(Membership, LmsContext)
            .join(LmsContext, LmsContext.id == Membership.context_id)
            .where(Membership.user_id == actor.user_id)
            .order_by(Membership.id)
        )
    ]
    attended, scores, help_requests, tutor_notes, cvs_sent = db.session.execute(
        select(
            select(func.count())
            .select_from(Attendance)
            .where(Attendance.user_id == actor.user_id, Attendance.present.is_(True))
            .scalar_subquery(),
            select(func.count())
            .select_from(ScoreOutbox)
            .where(ScoreOutbox.user_id == actor.user_id)
            .scalar_subquery(),
            *(
                select(func.count())
                .select_from(model)
                .where(column == actor.user_id)
                .scalar_subquery()
                for model, column in (
                    (SupportRequest, SupportRequest.user_id),
                    (TutorNote, TutorNote.participant_id),
                    (CvReview, CvReview.participant_id),
                )
            ),
        )
    ).one()
    mentoring_held = _mentoring_export(actor.user_id) if complete else {}
    log(actor.user_id, actor.user_id, "everything", "read", "participant-export")
    db.session.commit()
    return {
        "person": {
            "name": user.name,
            "given_name": user.given_name,
            "language": user.locale,
            "first_seen": user.created_at.isoformat(),
            "last_launch": user.last_launch_at.isoformat(),
        },
        "roles": memberships,
        "plans": courses,
        "workshops_attended": attended or 0,
        "scores_sent_to_the_lms": scores or 0,
        "follow_up_surveys": list(follow_ups.values()),
        "follow_up_contact": None
        if contact is None
        else {
            "channel": contact.channel,
            "contact": contact.value,
            "agreed_at": contact.consented_at.isoformat(),
        },
        **mentoring_held,
        # Counts only: what she asked her support team, her tutor's notes and the comments on
        # her CV are read in Senda, never written into a file that may stay on a shared phone.
        "help_requests": help_requests or 0,
        "tutor_notes": tutor_notes or 0,
        "cvs_sent_to_her_tutor": cvs_sent or 0,
        "optional_information": None
        if demographics is None
        else {
            "region": demographics.region,
            "municipality": _commune_name(demographics.municipality),
            "municipality_code": demographics.municipality
            if geography.commune(demographics.municipality)
            else "",
            "migrant": demographics.migrant,
            "indigenous": demographics.indigenous,
            "consented_at": demographics.consented_at.isoformat(),
        },
    }


def _commune_name(value: str) -> str:
    """A stored CUT code as the commune's name (older rows hold the free text she typed)."""
    commune = geography.commune(value)
    return commune.name if commune else value


def _mentoring_export(user_id: int) -> dict[str, Any]:
    """Her mentoring sign-ups and ratings, her schools (with what she wrote there and her
    mentor's notes to her), and, if she mentors, her profile and sessions."""
    sign_ups = [
        {
            "topic": session.topic_id,
            "starts_at": session.starts_at.isoformat(),
            "cancelled_by_you": sign_up.cancelled_at is not None,
            "attended": sign_up.attended,
            "rating": sign_up.rating,
            "comment": sign_up.comment,
        }
        for sign_up, session in db.session.execute(
            select(MentoringSignUp, MentoringSession)
            .join(MentoringSession, MentoringSession.id == MentoringSignUp.session_id)
            .where(MentoringSignUp.user_id == user_id)
            .order_by(MentoringSession.starts_at)
        )
    ]
    members = list(db.session.scalars(select(SchoolMember).where(SchoolMember.user_id == user_id)))
    ids = [m.id for m in members]
    work: dict[int, list[SchoolProgress]] = {}
    notes: dict[int, list[MentorNote]] = {}
    if ids:
        for row in db.session.scalars(
            select(SchoolProgress)
            .where(SchoolProgress.member_id.in_(ids))
            .order_by(SchoolProgress.id)
        ):
            work.setdefault(row.member_id, []).append(row)
        for note in db.session.scalars(
            select(MentorNote).where(MentorNote.member_id.in_(ids)).order_by(MentorNote.id)
        ):
            notes.setdefault(note.member_id, []).append(note)
    schools = [
        {
            "school": member.school_id,
            "status": member.status,
            "activities": [
                {
                    "activity": row.activity_id,
                    "completed": row.completed,
                    "what_you_wrote": dict(row.data or {}),
                }
                for row in work.get(member.id, [])
            ],
            "notes_from_your_mentor": [
                {"date": n.created_at.isoformat(), "note": n.body} for n in notes.get(member.id, [])
            ],
        }
        for member in members
    ]
    profile = db.session.scalar(select(MentorProfile).where(MentorProfile.user_id == user_id))
    led = [
        {"topic": s.topic_id, "starts_at": s.starts_at.isoformat(), "status": s.status}
        for s in db.session.scalars(
            select(MentoringSession)
            .where(MentoringSession.mentor_id == user_id)
            .order_by(MentoringSession.starts_at)
        )
    ]
    return {
        "mentoring_sessions": sign_ups,
        "schools": schools,
        "as_a_mentor": None
        if profile is None and not led
        else {
            "bio": profile.bio if profile else "",
            "topics": list(profile.topics or ()) if profile else [],
            "region": profile.region if profile else "",
            "sessions": led,
        },
    }


WORK_KINDS = ("reflections", "worksheets")


def delete_my_work(actor: Actor, kinds: set[str]) -> int:
    """Delete what she wrote in reflections and/or worksheets (her progress stays: the LMS
    grade does not change). Returns how many answers were deleted."""
    keys = {"reflections": "text", "worksheets": "values"}
    wanted = {keys[k] for k in kinds if k in keys}
    deleted = 0
    rows = db.session.scalars(
        select(ActivityProgress)
        .join(Enrolment, Enrolment.id == ActivityProgress.enrolment_id)
        .where(Enrolment.user_id == actor.user_id)
    )
    school_rows = db.session.scalars(
        select(SchoolProgress)
        .join(SchoolMember, SchoolMember.id == SchoolProgress.member_id)
        .where(SchoolMember.user_id == actor.user_id)
    )
    for row in [*rows, *school_rows]:
        data = dict(row.data or {})
        if wanted & set(data):
            row.data = {k: v for k, v in data.items() if k not in wanted}
            row.updated_at = utcnow()
            deleted += 1
    log(actor.user_id, actor.user_id, "work", "delete", "participant-delete-work")
    db.session.commit()
    return deleted


# ---------------------------------------------------------------------------- erasure
def _erase(user_id: int) -> None:
    """Remove a person and everything that is hers, in every table. Rows that only mention her
    as the staff member who did something keep the row and lose the name."""
    enrolments = select(Enrolment.id).where(Enrolment.user_id == user_id)
    db.session.execute(
        delete(ActivityProgress).where(ActivityProgress.enrolment_id.in_(enrolments))
    )
    db.session.execute(delete(FollowUpAnswer).where(FollowUpAnswer.user_id == user_id))
    for model in (
        FollowUp,
        FollowUpContact,
        Enrolment,
        Demographics,
        Membership,
        Attendance,
        ScoreOutbox,
        Grant,
    ):
        db.session.execute(delete(model).where(model.user_id == user_id))
    _erase_support_and_tutoring(user_id)
    db.session.execute(
        update(FollowUp).where(FollowUp.entered_by == user_id).values(entered_by=None)
    )
    db.session.execute(
        update(Attendance).where(Attendance.recorded_by == user_id).values(recorded_by=None)
    )
    db.session.execute(
        update(WorkshopSession).where(WorkshopSession.created_by == user_id).values(created_by=None)
    )
    db.session.execute(update(Grant).where(Grant.granted_by == user_id).values(granted_by=None))
    _erase_mentoring(user_id)
    db.session.execute(
        update(AccessLog).where(AccessLog.subject_id == user_id).values(subject_id=None)
    )
    db.session.execute(
        update(AccessLog).where(AccessLog.reader_id == user_id).values(reader_id=None)
    )
    db.session.execute(delete(LtiUser).where(LtiUser.id == user_id))


def _erase_mentoring(user_id: int) -> None:
    """Her sign-ups, schools (work, attendance, her mentor's notes to her), mentor profile and
    the sessions she led; rows that only name her as co-mentor, mentor or author lose the name."""
    members = select(SchoolMember.id).where(SchoolMember.user_id == user_id)
    for model in (SchoolProgress, SchoolAttendance, MentorNote):
        db.session.execute(delete(model).where(model.member_id.in_(members)))
    led = select(MentoringSession.id).where(MentoringSession.mentor_id == user_id)
    db.session.execute(delete(MentoringSignUp).where(MentoringSignUp.session_id.in_(led)))
    for model in (MentoringSignUp, SchoolMember, MentorProfile):
        db.session.execute(delete(model).where(model.user_id == user_id))
    db.session.execute(delete(MentoringSession).where(MentoringSession.mentor_id == user_id))
    for column in (
        MentoringSession.co_mentor_id,
        SchoolMember.mentor_id,
        SchoolMember.invited_by,
        MentorNote.author_id,
        SchoolCohort.created_by,
        SchoolWorkshop.created_by,
        SchoolAttendance.recorded_by,
    ):
        db.session.execute(update(column.class_).where(column == user_id).values({column: None}))


def _erase_support_and_tutoring(user_id: int) -> None:
    """Her help requests, tutor notes, CVs sent and offers pointed to her go; where she only
    acted as staff (a reply, a note, an offer posted), the row stays without her name."""
    requests = select(SupportRequest.id).where(SupportRequest.user_id == user_id)
    db.session.execute(delete(SupportMessage).where(SupportMessage.request_id.in_(requests)))
    db.session.execute(delete(SupportRequest).where(SupportRequest.user_id == user_id))
    db.session.execute(delete(TutorNote).where(TutorNote.participant_id == user_id))
    db.session.execute(delete(CvReview).where(CvReview.participant_id == user_id))
    db.session.execute(
        delete(TutorAssignment).where(
            (TutorAssignment.participant_id == user_id) | (TutorAssignment.tutor_id == user_id)
        )
    )
    db.session.execute(
        delete(OpportunityPointer).where(OpportunityPointer.participant_id == user_id)
    )
    for column, model in (
        (SupportMessage.author_id, SupportMessage),
        (SupportRequest.handled_by, SupportRequest),
        (TutorNote.author_id, TutorNote),
        (CvReview.tutor_id, CvReview),
        (CvReview.commented_by, CvReview),
        (TutorAssignment.assigned_by, TutorAssignment),
        (Opportunity.posted_by, Opportunity),
        (OpportunityPointer.tutor_id, OpportunityPointer),
    ):
        db.session.execute(update(model).where(column == user_id).values({column.key: None}))


def erase_person(actor: Actor, user_id: int) -> bool:
    """The programme team erases a person of its programme, on her request. False, with nothing
    changed, when her programme holds nobody with this id (erased already: a double tap, a second
    tab); another programme's person is answered the same, so the answer never tells whether an
    id exists elsewhere."""
    in_programme = db.session.scalar(
        select(Membership.id)
        .join(LmsContext, LmsContext.id == Membership.context_id)
        .where(Membership.user_id == user_id, LmsContext.programme_id == actor.programme_id)
        .limit(1)
    )
    if user_id == actor.user_id:
        raise PersonNotFound(user_id)
    if in_programme is None:
        return False
    _erase(user_id)
    log(actor.user_id, None, "person", "delete", "programme-erasure")
    db.session.commit()
    return True


def purge_expired(now: datetime | None = None) -> tuple[int, int]:
    """The retention job: erase people with no launch for `inactive_person_days` (when set),
    and forget access-log rows older than `access_log_days`. (people, log rows)."""
    now = now or utcnow()
    config = settings().privacy
    people = 0
    if config.inactive_person_days:
        cutoff = now - timedelta(days=config.inactive_person_days)
        for user_id in db.session.scalars(
            select(LtiUser.id).where(LtiUser.last_launch_at < cutoff)
        ).all():
            _erase(user_id)
            log(None, None, "person", "delete", "retention")
            people += 1
    log_cutoff = now - timedelta(days=config.access_log_days)
    result = db.session.execute(delete(AccessLog).where(AccessLog.at < log_cutoff))
    db.session.commit()
    return people, int(result.rowcount or 0)  # type: ignore[attr-defined]


def access_log(subject_id: int | None = None, limit: int = 200) -> list[AccessLog]:
    query = select(AccessLog).order_by(AccessLog.id.desc()).limit(limit)
    if subject_id is not None:
        query = query.where(AccessLog.subject_id == subject_id)
    return list(db.session.scalars(query))


def reencrypt() -> int:
    """Re-encrypt every sensitive value with the newest key (after a key was added in front)."""
    changed = 0
    # Reading decrypts with whichever key matches; flagging the column writes it again, which
    # encrypts with the newest key.
    for row in db.session.scalars(select(Demographics)):
        for name in ("region", "municipality", "migrant", "indigenous"):
            flag_modified(row, name)
        changed += 1
    for progress in db.session.scalars(select(ActivityProgress)):
        flag_modified(progress, "data")
        changed += 1
    for answer in db.session.scalars(select(FollowUpAnswer)):
        for name in ("choice", "text"):
            flag_modified(answer, name)
        changed += 1
    for contact in db.session.scalars(select(FollowUpContact)):
        flag_modified(contact, "value")
        changed += 1
    encrypted: tuple[tuple[Any, str], ...] = (
        (SchoolProgress, "data"),
        (MentoringSession, "private_note"),
        (MentoringSignUp, "comment"),
        (MentorNote, "body"),
    )
    for model, column in encrypted:
        for item in db.session.scalars(select(model)):
            flag_modified(item, column)
            changed += 1
    encrypted_rows: tuple[tuple[type, tuple[str, ...]], ...] = (
        (SupportRequest, ("region", "needs", "details", "contact_channel", "contact_value")),
        (SupportMessage, ("body",)),
        (TutorNote, ("body",)),
        (CvReview, ("values", "comment")),
    )
    for model, names in encrypted_rows:
        for row in db.session.scalars(select(model)):
            for name in names:
                flag_modified(row, name)
            changed += 1
    db.session.commit()
    return changed
