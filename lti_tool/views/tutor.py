"""The employment tutor's pages (her caseload, one woman's page, notes, CV comments, offers to
point, the CV as PDF), the programme team's assignment of tutors, and the participant's side:
her tutor, the tutor's notes, sending her CV, and her CV as a one-page PDF.

Tutors and the programme team arrive with any course role: the services check their grants
(403 without one) and the caseload (404 for anyone else's participant)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from courses.cv import Cv
from lti_tool.actor import Role
from lti_tool.services import revisions, tutoring
from lti_tool.services.errors import NoTutor
from lti_tool.web.forms import (
    AssignTutorSchema,
    CvCommentSchema,
    NoteSchema,
    PointSchema,
    errors_of,
)
from lti_tool.web.session import current_actor, require_role

bp = Blueprint("tutor", __name__)
launched = require_role()
participant = require_role(Role.PARTICIPANT)


# --------------------------------------------------------------------------- the tutor
@bp.get("/tutor")
@launched
def caseload() -> ResponseReturnValue:
    rows, catalogue = tutoring.caseload(current_actor())
    return render_template("tutor/caseload.html", rows=rows, catalogue=catalogue)


@bp.get("/tutor/participants/<int:user_id>")
@launched
def case(user_id: int) -> ResponseReturnValue:
    return _case_page(user_id, {}, 200)


def _case_page(
    user_id: int, errors: dict[str, str], status: int, form: dict[str, str] | None = None
) -> Any:
    """Her page; after a refusal, with the message beside the field and what the tutor wrote in
    it (`form`: field → text, the note's as "note", a CV comment's as "review-<id>")."""
    return render_template(
        "tutor/case.html",
        case=tutoring.case(current_actor(), user_id),
        errors=errors,
        form=form or {},
    ), status


@bp.post("/tutor/participants/<int:user_id>/notes")
@launched
def add_note(user_id: int) -> ResponseReturnValue:
    try:
        data = NoteSchema().load(request.form)
    except ValidationError as exc:
        message = next(iter(errors_of(exc).values()))
        return _case_page(user_id, {"note": message}, 400, {"note": request.form.get("body", "")})
    # The same note sent twice from one page is saved once; the first tap saved it.
    tutoring.add_note(current_actor(), user_id, data["body"], seen=data["seen"])
    flash(_("The note was saved. She can read it."), "ok")
    return redirect(url_for("tutor.case", user_id=user_id) + "#notes")


@bp.post("/tutor/participants/<int:user_id>/reviews/<int:review_id>")
@launched
def comment(user_id: int, review_id: int) -> ResponseReturnValue:
    field = f"review-{review_id}"
    typed = {field: request.form.get("body", "")}
    try:
        data = CvCommentSchema().load(request.form)
        tutoring.comment_cv(
            current_actor(), user_id, review_id, data["body"], revision=data["revision"]
        )
    except ValidationError as exc:
        return _case_page(user_id, {field: next(iter(errors_of(exc).values()))}, 400, typed)
    except revisions.Stale:
        message = _(
            "These comments were changed after you opened this page. Read them above; what "
            "you wrote is still here. Save again to replace them."
        )
        return _case_page(user_id, {field: message}, 409, typed)
    flash(_("Your comments were saved. She sees them next to her CV."), "ok")
    return redirect(url_for("tutor.case", user_id=user_id) + "#cv")


@bp.post("/tutor/participants/<int:user_id>/point")
@launched
def point(user_id: int) -> ResponseReturnValue:
    try:
        data = PointSchema().load(request.form)
    except ValidationError:
        abort(400)
    tutoring.point(current_actor(), user_id, data["opportunity_id"])
    flash(_("She will see this offer on her plan."), "ok")
    return redirect(url_for("tutor.case", user_id=user_id) + "#offers")


@bp.get("/tutor/participants/<int:user_id>/cv.pdf")
@launched
def case_cv(user_id: int) -> ResponseReturnValue:
    return _pdf(tutoring.cv_of(current_actor(), user_id))


# ------------------------------------------------------------------- the programme team
@bp.get("/tutor/assignments")
@launched
def assignments() -> ResponseReturnValue:
    rows, tutors = tutoring.assignments(current_actor())
    return render_template("tutor/assignments.html", rows=rows, tutors=tutors)


@bp.post("/tutor/assignments")
@launched
def assign() -> ResponseReturnValue:
    raw = dict(request.form)
    if raw.get("tutor_id") == "":
        raw["tutor_id"] = None  # type: ignore[assignment]
    try:
        data = AssignTutorSchema().load(raw)
    except ValidationError:
        abort(400)
    tutoring.assign(current_actor(), data["participant_id"], data["tutor_id"])
    flash(_("Saved."), "ok")
    return redirect(url_for("tutor.assignments"))


# -------------------------------------------------------------------- the participant
@bp.get("/my-tutor")
@participant
def mine() -> ResponseReturnValue:
    return render_template("tutor/mine.html", mine=tutoring.my_tutoring(current_actor()))


@bp.post("/my-tutor/cv")
@participant
def send_cv() -> ResponseReturnValue:
    """She sends her CV worksheet to her tutor, then goes back to where she pressed the button."""
    try:
        tutoring.send_cv(current_actor())
    except tutoring.CvAlreadyWaiting:
        flash(
            _("Your tutor already has this CV as it is now. Her comments will appear here."), "ok"
        )
    except NoTutor:
        flash(_("You do not have a tutor yet. Your programme will assign one."), "error")
    except ValueError:
        flash(_("Write your CV first, then send it."), "error")
    else:
        flash(_("Sent to your tutor. Her comments will appear here."), "ok")
    back = request.form.get("back", "")
    if back.startswith("/activities/") and "//" not in back:
        return redirect(back + "#tutor")
    return redirect(url_for("tutor.mine"))


@bp.get("/my-tutor/cv.pdf")
@participant
def my_cv() -> ResponseReturnValue:
    return _pdf(tutoring.my_cv(current_actor()))


def cv_headings() -> dict[str, str]:
    return {
        "profile-summary": _("Profile"),
        "work-experience": _("Work experience"),
        "other-experience": _("Other experience"),
        "education": _("Education"),
        "courses-and-certificates": _("Courses and certificates"),
        "skills": _("Skills"),
        "availability": _("Availability"),
        "references": _("References"),
    }


def _pdf(cv: Cv) -> ResponseReturnValue:
    if cv.empty:
        abort(404)
    body = tutoring.cv_pdf(cv, cv_headings(), str(get_locale() or "es"))
    name = "".join(c for c in cv.name if c.isalnum() or c == " ").strip().replace(" ", "-")
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="CV-{name or "Senda"}.pdf"'
    return response
