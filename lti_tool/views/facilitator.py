"""Facilitators' pages: their cohort, each participant's plan, workshops and attendance.

Everything is scoped to the LMS course of the session: a facilitator of course X never sees a
participant of course Y (404), whatever ids she types.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError
from sqlalchemy import select

from courses import progression
from lti_tool.auth import current_actor, require_role
from lti_tool.extensions import db
from lti_tool.models import LmsContext, LtiUser, ResourceLink, ScoreOutbox, WorkshopSession
from lti_tool.schemas import (
    AttendanceSchema,
    PlanOverrideSchema,
    WorkshopSessionSchema,
    errors_of,
    form_data,
)
from lti_tool.services import cohort as cohort_service
from lti_tool.services import content, learning

bp = Blueprint("facilitator", __name__, url_prefix="/cohort")
staff = require_role("facilitator", "designer")


def _context_id() -> int:
    context_id = current_actor().context_id
    if context_id is None:
        abort(404)
    return context_id


@bp.get("")
@staff
def cohort() -> ResponseReturnValue:
    members = cohort_service.members(_context_id())
    only_inactive = request.args.get("show") == "inactive"
    shown = [m for m in members if m.inactive] if only_inactive else members
    latest = content.latest_catalogue()
    context = db.session.get(LmsContext, _context_id())
    return render_template(
        "facilitator/cohort.html",
        roster_url=context.memberships_url if context else None,
        members=shown,
        total=len(members),
        inactive=sum(1 for m in members if m.inactive),
        only_inactive=only_inactive,
        catalogue=latest[1] if latest else None,
    )


@bp.get("/participants/<int:user_id>")
@staff
def participant(user_id: int) -> ResponseReturnValue:
    try:
        user, enrolment = cohort_service.participant(_context_id(), user_id)
    except LookupError:
        abort(404)
    journey = learning.journey_of(enrolment) if enrolment else None
    choices: dict[str, object] = {}
    if journey is not None:
        for level in journey.catalogue.pathways[journey.enrolment.pathway_id].levels:
            for course_id in level.course_ids:
                choices.setdefault(course_id, level)
    return render_template(
        "facilitator/participant.html",
        user=user,
        j=journey,
        course_choices=list(choices.items()),
        courses=journey.courses if journey else [],
        percent=progression.pathway_percent(journey.courses) if journey else 0,
    )


@bp.post("/participants/<int:user_id>/plan")
@staff
def change_plan(user_id: int) -> ResponseReturnValue:
    """Override her level or course selection."""
    try:
        _user, enrolment = cohort_service.participant(_context_id(), user_id)
        data = PlanOverrideSchema().load(form_data(request.form, lists=("courses",)))
    except LookupError:
        abort(404)
    except ValidationError:
        abort(400)
    if enrolment is None:
        abort(404)
    catalogue = content.catalogue(enrolment.content_version_id)
    pathway = catalogue.pathways[enrolment.pathway_id]
    allowed = {c for level in pathway.levels for c in level.course_ids}
    courses = [c for c in data["courses"] if c in allowed] or list(
        pathway.level(data["level"]).course_ids
    )
    learning.change_plan(enrolment, data["level"], courses, by="facilitator")
    flash(_("The plan was updated."), "ok")
    return redirect(url_for("facilitator.participant", user_id=user_id))


# ------------------------------------------------------------------------------ workshops
def _workshops() -> list[tuple[str, object]]:
    latest = content.latest_catalogue()
    if latest is None:
        return []
    catalogue = latest[1]
    return [(a.id, a) for a in catalogue.activities.values() if a.kind == "workshop"]


@bp.route("/workshops", methods=["GET", "POST"])
@staff
def workshops() -> ResponseReturnValue:
    """Schedule live sessions (date, time, meeting link) for this LMS course."""
    context_id = _context_id()
    errors: dict[str, str] = {}
    workshops = dict(_workshops())
    if request.method == "POST":
        try:
            data = WorkshopSessionSchema().load(request.form)
        except ValidationError as exc:
            errors = errors_of(exc)
        else:
            if data["activity_id"] not in workshops:
                errors["activity_id"] = _("Choose a workshop.")
        if not errors:
            zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
            starts_at = data["starts_at"].replace(tzinfo=zone).astimezone(UTC)
            db.session.add(
                WorkshopSession(
                    context_id=context_id,
                    activity_id=data["activity_id"],
                    starts_at=starts_at,
                    meeting_url=data["meeting_url"],
                    note=data["note"],
                    created_by=current_actor().user_id,
                )
            )
            db.session.commit()
            flash(_("The session was scheduled."), "ok")
            return redirect(url_for("facilitator.workshops"))
    return render_template(
        "facilitator/workshops.html",
        workshops=workshops,
        sessions=cohort_service.sessions(context_id),
        errors=errors,
        form=request.form,
    ), (400 if errors else 200)


@bp.route("/workshops/<int:session_id>", methods=["GET", "POST"])
@staff
def attendance(session_id: int) -> ResponseReturnValue:
    """Take attendance: attending completes the workshop for each participant marked present."""
    context_id = _context_id()
    try:
        session = cohort_service.session_of(context_id, session_id)
    except LookupError:
        abort(404)
    if request.method == "POST":
        try:
            data = AttendanceSchema().load(form_data(request.form, lists=("present",)))
        except ValidationError:
            abort(400)
        changed = cohort_service.record_attendance(
            session, set(data["present"]), current_actor().user_id
        )
        flash(
            ngettext(
                "Attendance saved (%(num)s change).", "Attendance saved (%(num)s changes).", changed
            ),
            "ok",
        )
        return redirect(url_for("facilitator.attendance", session_id=session_id))
    latest = content.latest_catalogue()
    activity = latest[1].activities.get(session.activity_id) if latest else None
    return render_template(
        "facilitator/attendance.html",
        session=session,
        activity=activity,
        members=cohort_service.members(context_id),
        present=cohort_service.attendance(session.id),
    )


@bp.post("/roster")
@staff
def sync_roster() -> ResponseReturnValue:
    """Fetch the LMS's member list (all pages), so nobody is missed."""
    from lti_tool.grades.ags import GiveUp, Retry
    from lti_tool.services import roster

    context = db.session.get(LmsContext, _context_id())
    if context is None:
        abort(404)
    try:
        count = roster.sync(context)
    except LookupError:
        flash(_("This LMS course does not share its member list with Senda."), "error")
    except (GiveUp, Retry):
        flash(
            _(
                "The LMS did not answer. Ask the LMS administrator to enable Names and Role "
                "Provisioning for Senda, then try again."
            ),
            "error",
        )
    else:
        flash(
            ngettext(
                "%(num)s member listed by the LMS.", "%(num)s members listed by the LMS.", count
            ),
            "ok",
        )
    return redirect(url_for("facilitator.cohort"))


# ---------------------------------------------------------------------------------- grades
@bp.get("/grades")
@staff
def grades() -> ResponseReturnValue:
    """What is waiting for the LMS gradebook, and what failed (with a retry button)."""
    context_id = _context_id()
    rows = db.session.execute(
        select(ScoreOutbox, ResourceLink, LtiUser)
        .join(ResourceLink, ResourceLink.id == ScoreOutbox.resource_link_id)
        .join(LtiUser, LtiUser.id == ScoreOutbox.user_id)
        .where(ResourceLink.context_id == context_id)
        .order_by(ScoreOutbox.id.desc())
        .limit(200)
    ).all()
    counts: dict[str, int] = {}
    for score, _link, _user in rows:
        counts[score.status] = counts.get(score.status, 0) + 1
    return render_template("facilitator/grades.html", rows=rows, counts=counts)


@bp.post("/grades/<int:score_id>/retry")
@staff
def retry_grade(score_id: int) -> ResponseReturnValue:
    from lti_tool.grades import worker

    owned = db.session.scalar(
        select(ScoreOutbox.id)
        .join(ResourceLink, ResourceLink.id == ScoreOutbox.resource_link_id)
        .where(ScoreOutbox.id == score_id, ResourceLink.context_id == _context_id())
    )
    if owned is None:
        abort(404)
    if worker.retry(score_id):
        flash(_("The score will be sent again."), "ok")
    return redirect(url_for("facilitator.grades"))
