"""The employment tutor's use cases: her caseload, one woman's page (diagnosis, CV, workshops,
progress, last visit, dated notes, CVs to comment, offers to point), and the participant's side
(her tutor, the notes, sending her CV for comments, her CV as a one-page PDF).

Everything a tutor reads of a woman goes through `services/privacy/tutoring.py`, which checks
that she is in the caseload and writes the access log. Each use case commits once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from fpdf import FPDF
from sqlalchemy import select

from courses import progression
from courses.cv import Cv, build_cv, cv_worksheet, diagnosis_worksheets
from courses.model import Activity, Catalogue
from lti_tool.actor import Actor, Role
from lti_tool.models import (
    ActivityProgress,
    Attendance,
    Enrolment,
    LmsContext,
    LtiUser,
    WorkshopSession,
    db,
)
from lti_tool.services import content, learning, opportunities
from lti_tool.services.documents import BRAND, INK, MUTED
from lti_tool.services.documents import latin as _latin
from lti_tool.services.errors import ParticipantNotFound
from lti_tool.services.privacy import tutoring as private
from lti_tool.services.privacy.support import grant_regions

EMPLOYMENT = "employment"


# ------------------------------------------------------------------------------ her plan
def _enrolments(programme_id: int, user_ids: list[int]) -> dict[int, Enrolment]:
    """Each woman's plan in the programme: the employment one if she has one, else her latest."""
    found: dict[int, Enrolment] = {}
    if not user_ids:
        return found
    rows = db.session.scalars(
        select(Enrolment)
        .join(LmsContext, LmsContext.id == Enrolment.context_id)
        .where(Enrolment.user_id.in_(user_ids), LmsContext.programme_id == programme_id)
        .order_by(Enrolment.updated_at, Enrolment.id)
    )
    for row in rows:
        current = found.get(row.user_id)
        if current is None or row.pathway_id == EMPLOYMENT or current.pathway_id != EMPLOYMENT:
            found[row.user_id] = row
    return found


def _last_visit(user: LtiUser, enrolment: Enrolment | None) -> datetime:
    last = user.last_launch_at
    if enrolment is not None and enrolment.last_activity_at and enrolment.last_activity_at > last:
        return enrolment.last_activity_at
    return last


@dataclass(frozen=True)
class CaseRow:
    user_id: int
    name: str
    pathway: str | None
    level: str | None
    percent: int
    current_course: str | None
    last_visit: datetime
    cv_waiting: int


def caseload(actor: Actor) -> tuple[list[CaseRow], Catalogue | None]:
    """The women assigned to her, with progress, last visit and CVs waiting for a comment."""
    ids = private.caseload_ids(actor)
    users = {
        u.id: u for u in db.session.scalars(select(LtiUser).where(LtiUser.id.in_(ids)))
    } if ids else {}  # fmt: skip
    enrolments = _enrolments(actor.programme_id, ids)
    progress: dict[int, dict[str, progression.ActivityState]] = defaultdict(dict)
    if enrolments:
        for row in db.session.scalars(
            select(ActivityProgress).where(
                ActivityProgress.enrolment_id.in_([e.id for e in enrolments.values()])
            )
        ):
            progress[row.enrolment_id][row.activity_id] = progression.ActivityState(
                row.completed, row.score
            )
    waiting = private.pending_reviews(actor.programme_id, ids)
    rows = []
    catalogue = None
    for user_id in ids:
        user = users.get(user_id)
        if user is None:
            continue
        enrolment = enrolments.get(user_id)
        percent, current = 0, None
        if enrolment is not None:
            catalogue = content.catalogue(enrolment.content_version_id)
            plan = progression.plan(
                catalogue, enrolment.pathway_id, enrolment.course_ids, progress[enrolment.id]
            )
            percent = progression.pathway_percent(plan)
            current = next((c.course.id for c in plan if c.status == progression.OPEN), None)
        rows.append(
            CaseRow(
                user_id,
                user.name or user.given_name,
                enrolment.pathway_id if enrolment else None,
                enrolment.level if enrolment else None,
                percent,
                current,
                _last_visit(user, enrolment),
                waiting.get(user_id, 0),
            )
        )
    rows.sort(key=lambda r: (-r.cv_waiting, r.name.lower()))
    db.session.commit()
    return rows, catalogue


@dataclass(frozen=True)
class WorkshopLine:
    activity: Activity
    done: bool
    attended_on: tuple[datetime, ...]


@dataclass(frozen=True)
class Case:
    """One woman of her caseload, as the tutor's page shows her."""

    user_id: int
    name: str
    journey: learning.Journey | None
    courses: list[progression.CourseProgress]
    percent: int
    last_visit: datetime
    diagnosis: list[tuple[Activity, dict[str, str]]]
    cv: tuple[Activity, dict[str, str]] | None
    workshops: list[WorkshopLine]
    notes: list[private.NoteView]
    reviews: list[private.ReviewView]
    pointed: list[opportunities.OpportunityView] = field(default_factory=list)
    to_point: list[opportunities.OpportunityView] = field(default_factory=list)


def _participant_of(actor: Actor, participant_id: int) -> LtiUser:
    return private.in_caseload(actor, participant_id)


def case(actor: Actor, participant_id: int) -> Case:
    """Her diagnosis and CV worksheets, workshops, progress, last visit, notes and CVs sent for
    comments; every read of her work, notes and CVs is logged (the log rows are written
    together, at the commit)."""
    reads: list[str] = []
    result = _case(actor, participant_id, reads)
    private.record_reads(actor, participant_id, reads, "tutor-caseload")
    db.session.commit()
    return result


def _case(actor: Actor, participant_id: int, reads: list[str]) -> Case:
    user = _participant_of(actor, participant_id)
    enrolment = _enrolments(actor.programme_id, [participant_id]).get(participant_id)
    journey = learning.journey_of(enrolment) if enrolment else None
    courses = journey.courses if journey else []
    diagnosis: list[tuple[Activity, dict[str, str]]] = []
    cv = None
    workshops: list[WorkshopLine] = []
    if journey is not None:
        catalogue, course_ids = journey.catalogue, journey.enrolment.course_ids
        sheets = list(diagnosis_worksheets(catalogue, course_ids))
        cv_sheet = cv_worksheet(catalogue, course_ids)
        values = private.worksheet_values(
            actor,
            participant_id,
            journey.rows,
            [a.id for a in sheets] + ([cv_sheet.id] if cv_sheet else []),
            why="tutor-caseload",
            reads=reads,
        )
        diagnosis = [(a, values.get(a.id, {})) for a in sheets]
        cv = (cv_sheet, values.get(cv_sheet.id, {})) if cv_sheet else None
        workshops = _workshops(journey, participant_id)
    pointed, to_point = opportunities.for_tutor_page(actor, participant_id, journey)
    result = Case(
        user_id=participant_id,
        name=user.name or user.given_name,
        journey=journey,
        courses=courses,
        percent=progression.pathway_percent(courses),
        last_visit=_last_visit(user, enrolment),
        diagnosis=diagnosis,
        cv=cv,
        workshops=workshops,
        notes=private.notes_for_tutor(actor, participant_id, reads),
        reviews=private.reviews_for_tutor(actor, participant_id, reads),
        pointed=pointed,
        to_point=to_point,
    )
    return result


def _workshops(journey: learning.Journey, user_id: int) -> list[WorkshopLine]:
    activities = [
        a
        for course_id in journey.enrolment.course_ids
        if course_id in journey.catalogue.courses
        for a in journey.catalogue.course_activities(course_id)
        if a.kind == "workshop"
    ]
    attended: dict[str, list[datetime]] = defaultdict(list)
    for activity_id, starts_at in db.session.execute(
        select(WorkshopSession.activity_id, WorkshopSession.starts_at)
        .join(Attendance, Attendance.session_id == WorkshopSession.id)
        .where(Attendance.user_id == user_id, Attendance.present.is_(True))
        .order_by(WorkshopSession.starts_at)
    ):
        attended[activity_id].append(starts_at)
    return [
        WorkshopLine(a, progression.is_done(a.id, journey.progress), tuple(attended[a.id]))
        for a in activities
    ]


CvAlreadyWaiting = private.CvAlreadyWaiting


def add_note(actor: Actor, participant_id: int, body: str, seen: int | None = None) -> bool:
    """A note she reads; False when the same note came again from the same page (`seen`: the
    newest note that page showed) and nothing was written."""
    private.require_in_caseload(actor, participant_id, lock=True)
    written = private.add_note(actor, participant_id, body, seen)
    db.session.commit()
    return written


def comment_cv(
    actor: Actor, participant_id: int, review_id: int, text: str, revision: int | None = None
) -> None:
    """Comments on a CV she sent; revisions.Stale when comments were saved after the page was
    shown (`revision`: the one of the comments it showed)."""
    private.require_in_caseload(actor, participant_id, lock=True)
    private.comment(actor, participant_id, review_id, text, revision)
    db.session.commit()


def point(actor: Actor, participant_id: int, opportunity_id: int) -> None:
    """Point an open offer of her programme to a woman of her caseload."""
    private.require_in_caseload(actor, participant_id)
    opportunities.point(actor, participant_id, opportunity_id)
    db.session.commit()


# ------------------------------------------------------------------- the programme team
@dataclass(frozen=True)
class AssignmentRow:
    user_id: int
    name: str
    pathway: str | None
    tutor_id: int | None
    tutor: str


@dataclass(frozen=True)
class TutorOption:
    user_id: int
    name: str


def assignments(actor: Actor) -> tuple[list[AssignmentRow], list[TutorOption]]:
    """Participants of the programme's employment pathway with their tutor, and the tutors."""
    grant_regions(actor, Role.PROGRAMME_TEAM)
    rows = db.session.execute(
        select(LtiUser.id, LtiUser.name, Enrolment.pathway_id)
        .join(Enrolment, Enrolment.user_id == LtiUser.id)
        .join(LmsContext, LmsContext.id == Enrolment.context_id)
        .where(LmsContext.programme_id == actor.programme_id, Enrolment.pathway_id == EMPLOYMENT)
        .distinct()
        .order_by(LtiUser.name, LtiUser.id)
    ).all()
    tutors = private.current_tutors(actor.programme_id, [r[0] for r in rows])
    options = [TutorOption(user_id, name or "") for user_id, name in _tutors(actor.programme_id)]
    db.session.commit()
    return [
        AssignmentRow(
            user_id,
            name or "",
            pathway,
            tutors[user_id].tutor_id if user_id in tutors else None,
            tutors[user_id].tutor if user_id in tutors else "",
        )
        for user_id, name, pathway in rows
    ], options


def _tutors(programme_id: int) -> list[tuple[int, str]]:
    from lti_tool.models import Grant

    return [
        (row[0], row[1])
        for row in db.session.execute(
            select(LtiUser.id, LtiUser.name)
            .join(Grant, Grant.user_id == LtiUser.id)
            .where(
                Grant.programme_id == programme_id,
                Grant.role == Role.TUTOR.value,
                Grant.revoked_at.is_(None),
            )
            .distinct()
            .order_by(LtiUser.name)
        )
    ]


def assign(actor: Actor, participant_id: int, tutor_id: int | None) -> None:
    private.assign(actor, participant_id, tutor_id)
    db.session.commit()


# -------------------------------------------------------------------- the participant
@dataclass(frozen=True)
class MyTutoring:
    tutor: str | None
    since: datetime | None
    notes: list[private.NoteView]
    reviews: list[private.ReviewView]
    cv_activity: Activity | None


def _my_cv_sheet(actor: Actor) -> tuple[learning.Journey | None, Activity | None]:
    try:
        journey = learning.journey(actor)
    except learning.NotEnrolled:
        return None, None
    return journey, cv_worksheet(journey.catalogue, journey.enrolment.course_ids)


def my_tutoring(actor: Actor) -> MyTutoring:
    """Her tutor, the tutor's notes and her CVs sent for comments."""
    assignment = private.tutor_of(actor.programme_id, actor.user_id)
    notes = private.my_notes(actor)
    reviews = private.my_reviews(actor)
    _journey, sheet = _my_cv_sheet(actor)
    db.session.commit()
    return MyTutoring(
        assignment.tutor if assignment else None,
        assignment.assigned_at if assignment else None,
        notes,
        reviews,
        sheet,
    )


@dataclass(frozen=True)
class OnHerPlan:
    tutor: str | None
    offers: list[opportunities.OpportunityView]


def on_her_plan(actor: Actor, has_tutor: bool = True, has_pointers: bool = True) -> OnHerPlan:
    """Her tutor's name and the open offers her tutor pointed to her (a query for each she
    may have: her plan page already knows whether she has either)."""
    assignment = private.tutor_of(actor.programme_id, actor.user_id) if has_tutor else None
    offers = opportunities.pointed_to_me(actor) if has_pointers else []
    return OnHerPlan(assignment.tutor if assignment else None, offers)


@dataclass(frozen=True)
class CvPanel:
    """Beside her CV worksheet: whether she can send it, and her tutor's comments."""

    tutor: str | None
    reviews: list[private.ReviewView]


def cv_panel(actor: Actor, activity: Activity) -> CvPanel | None:
    """For her CV worksheet only; None on every other activity."""
    from courses.cv import is_cv_worksheet

    if not is_cv_worksheet(activity):
        return None
    assignment = private.tutor_of(actor.programme_id, actor.user_id)
    reviews = [r for r in private.my_reviews(actor) if r.activity_id == activity.id]
    db.session.commit()
    return CvPanel(assignment.tutor if assignment else None, reviews)


def send_cv(actor: Actor) -> int:
    """She sends her CV worksheet, as it is now, to her tutor for comments (CvAlreadyWaiting
    when her tutor already has it as it is now, without comments yet)."""
    journey, sheet = _my_cv_sheet(actor)
    if journey is None or sheet is None:
        raise ParticipantNotFound(actor.user_id)
    row = journey.rows.get(sheet.id)
    values = dict((row.data or {}).get("values", {})) if row else {}
    if not any(str(v).strip() for v in values.values()):
        raise ValueError("empty CV")
    review_id = private.send_cv(actor, sheet.id, values)
    db.session.commit()
    return review_id


# --------------------------------------------------------------------------- the CV PDF
def my_cv(actor: Actor) -> Cv:
    journey, sheet = _my_cv_sheet(actor)
    if journey is None or sheet is None:
        raise ParticipantNotFound(actor.user_id)
    row = journey.rows.get(sheet.id)
    values = dict((row.data or {}).get("values", {})) if row else {}
    return build_cv(sheet, values)


def cv_of(actor: Actor, participant_id: int) -> Cv:
    """A woman's CV, for her tutor (a logged read of her CV worksheet)."""
    _participant_of(actor, participant_id)
    enrolment = _enrolments(actor.programme_id, [participant_id]).get(participant_id)
    journey = learning.journey_of(enrolment) if enrolment else None
    sheet = cv_worksheet(journey.catalogue, journey.enrolment.course_ids) if journey else None
    if journey is None or sheet is None:
        raise ParticipantNotFound(participant_id)
    values = private.worksheet_values(
        actor, participant_id, journey.rows, [sheet.id], why="tutor-cv-pdf"
    )
    db.session.commit()
    return build_cv(sheet, values.get(sheet.id, {}))


def cv_pdf(cv: Cv, headings: Mapping[str, str], lang: str) -> bytes:
    """A one-page A4 CV: her name and contact, then the sections under CV headings. The type
    gets smaller until everything fits on one page; only then are the longest entries cut."""
    for size in (11.0, 10.5, 10.0, 9.5, 9.0, 8.5):
        pdf = _cv_document(cv, headings, lang, size, None)
        if pdf.page_no() == 1:
            return bytes(pdf.output())
    for limit in (600, 400, 250, 150, 80):
        pdf = _cv_document(cv, headings, lang, 8.5, limit)
        if pdf.page_no() == 1:
            return bytes(pdf.output())
    return bytes(pdf.output())


def _cv_document(
    cv: Cv,
    headings: Mapping[str, str],
    lang: str,
    size: float,
    limit: int | None,
) -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=14)
    pdf.set_title(_latin(cv.name or "CV"))
    pdf.set_author(_latin(cv.name))
    pdf.set_lang(lang)
    pdf.set_creator("Senda")
    pdf.add_page()
    width = pdf.epw
    line = size * 0.46
    pdf.set_text_color(*INK)
    pdf.set_font("Helvetica", "B", size * 2)
    pdf.multi_cell(
        width, size * 0.85, _latin(cv.name or ""), new_x="LMARGIN", new_y="NEXT", align="L"
    )
    if cv.contact:
        pdf.set_font("Helvetica", "", size)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(width, line, _latin(cv.contact), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.6)
    pdf.ln(1.5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(2.5)
    period_width = 26.0
    for section in cv.sections:
        pdf.set_text_color(*BRAND)
        pdf.set_font("Helvetica", "B", size * 1.05)
        title = headings.get(section.key) or section.label.get(lang) or section.key
        pdf.multi_cell(
            width, line * 1.2, _latin(title.upper()), new_x="LMARGIN", new_y="NEXT", align="L"
        )
        pdf.set_draw_color(*MUTED)
        pdf.set_line_width(0.2)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.ln(1.2)
        pdf.set_text_color(*INK)
        pdf.set_font("Helvetica", "", size)
        single = len(section.entries) == 1 and not section.entries[0].period
        if section.inline or single:
            text = " · ".join(_cut(e.text, limit) for e in section.entries)
            pdf.multi_cell(width, line, _latin(text), new_x="LMARGIN", new_y="NEXT", align="L")
        else:
            for entry in section.entries:
                text = _latin(_cut(entry.text, limit))
                if entry.period:
                    pdf.set_font("Helvetica", "B", size)
                    y = pdf.get_y()
                    pdf.cell(period_width, line, _latin(entry.period))
                    pdf.set_font("Helvetica", "", size)
                    pdf.set_xy(pdf.l_margin + period_width, y)
                    pdf.multi_cell(
                        width - period_width, line, text, new_x="LMARGIN", new_y="NEXT", align="L"
                    )
                else:
                    y = pdf.get_y()
                    pdf.cell(4, line, "•")
                    pdf.set_xy(pdf.l_margin + 4, y)
                    pdf.multi_cell(width - 4, line, text, new_x="LMARGIN", new_y="NEXT", align="L")
                pdf.ln(0.6)
        pdf.ln(2.2)
    return pdf


def _cut(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
