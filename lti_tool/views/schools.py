"""The schools (the Mentor Training School, the Leadership School), for the women in them and for
the programme team; and the programme team's view of the mentoring network.

- `school` (/school/…): a participant answers an invitation, applies to a volunteers' school and
  does her school: modules open week by week, live workshops, homework her mentor reads, her
  mentor's notes. Every page works without JavaScript (a little saves worksheets as she types).
- `schools` (/programme/…): the programme team forms cohorts, invites and places women, assigns
  personal mentors, schedules, changes and cancels the live workshops and takes attendance,
  sees who may become a mentor and grants the role, and sees every mentoring session and mentor
  of the programme.
  Any launched session may ask; the services refuse (403) without a programme-team grant, and an
  id of another programme is not found (404).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from marshmallow import ValidationError

from courses.model import Activity
from courses.progression import QuizResult
from lti_tool.actor import Role
from lti_tool.services import learning, mentoring, revisions, schools
from lti_tool.services.errors import Refused
from lti_tool.web import live_sessions
from lti_tool.web.forms import (
    AnswerSchema,
    AssignMentorSchema,
    AttendanceFormSchema,
    CohortSchema,
    InviteSchema,
    PersonSchema,
    QuizAnswersSchema,
    ReflectionSchema,
    WorksheetSchema,
    WorkshopSessionSchema,
    attempts_seen,
    errors_of,
    form_data,
    id_set,
    without_blanks,
)
from lti_tool.web.session import current_actor, require_role

school_bp = Blueprint("school", __name__, url_prefix="/school")
bp = Blueprint("schools", __name__, url_prefix="/programme")
participant = require_role(Role.PARTICIPANT)
launched = require_role()


def _locale() -> str:
    return str(get_locale() or "es")


def refusal(reason: str) -> str:
    messages = {
        "not-eligible": _("She does not meet the school's rule yet: she has not completed it all."),
        "not-open": _("This step is not open yet."),
        "name": _("Give the cohort a name."),
        "mentor": _("Choose a mentor of the programme."),
        "workshop": _("Choose a workshop."),
        "not-invited-school": _("This school takes volunteers: place those who applied."),
        "not-volunteers-school": _("This school is by invitation."),
        "cancelled": _("This session was cancelled: it can no longer change."),
        "not-started": _(
            "You can take attendance once the session has started. Come back after it begins."
        ),
        "attended": _(
            "Attendance was already taken for this session: it cannot be cancelled or moved to "
            "a time still to come."
        ),
    }
    return messages.get(reason, _("That cannot be done now."))


# ============================================================================== participants
@school_bp.get("/<school_id>")
@participant
def school(school_id: str) -> ResponseReturnValue:
    mine = schools.my_school(current_actor(), school_id)
    return render_template("schools/school.html", mine=mine)


@school_bp.post("/<school_id>/apply")
@participant
def apply(school_id: str) -> ResponseReturnValue:
    try:
        schools.apply(current_actor(), school_id)
    except Refused as exc:
        return render_template("error.html", title=refusal(exc.reason), message="", code=403), 403
    flash(_("Thank you for volunteering. The programme team will tell you when you start."), "ok")
    return redirect(url_for("learner.home"))


@school_bp.post("/invitations/<int:member_id>")
@participant
def answer(member_id: int) -> ResponseReturnValue:
    try:
        data = AnswerSchema().load(request.form)
    except ValidationError:
        abort(400)
    schools.answer(current_actor(), member_id, data["accept"])
    if data["accept"]:
        flash(_("Welcome to the school!"), "ok")
    else:
        flash(_("You declined the invitation."), "ok")
    return redirect(url_for("learner.home"))


def _render_activity(
    mine: schools.MySchool, activity: Activity, status: int = 200, **extra: Any
) -> ResponseReturnValue:
    row = mine.rows.get(activity.id)
    return render_template(
        "schools/activity.html",
        mine=mine,
        activity=activity,
        course=mine.catalogue.courses[activity.course_id],
        data=(row.data if row else {}) or {},
        revision=(row.revision or 0) if row else 0,  # what the next save names
        attempts=(row.attempts or 0) if row else 0,  # what the next quiz submit names
        done=bool(row and row.completed)
        or bool(mine.progress.get(activity.id) and mine.progress[activity.id].completed),
        is_open=mine.open(activity),
        opens_on=mine.opens_on(activity),
        sessions=schools.workshops_of(mine, activity) if activity.kind == "workshop" else [],
        now=datetime.now(UTC),
        duration=timedelta(minutes=activity.duration_minutes or activity.minutes),
        **extra,
    ), status


@school_bp.get("/<school_id>/activities/<activity_id>")
@participant
def activity(school_id: str, activity_id: str) -> ResponseReturnValue:
    """A step of her school. After a quiz's submit (`?checked=1`) her last attempt is shown
    with its feedback, graded again from what was saved: a refresh shows the same and sends
    nothing."""
    mine, found = _her_step(school_id, activity_id)
    if found.kind == "quiz" and request.args.get("checked"):
        result = schools.last_quiz_result(mine, found)
        if result is not None:
            return _quiz_result(mine, found, result)
    return _render_activity(mine, found)


def _next_in_course(mine: schools.MySchool, activity: Activity) -> Activity | None:
    ids = mine.catalogue.courses[activity.course_id].activity_ids
    for candidate in ids[ids.index(activity.id) + 1 :]:
        following = mine.catalogue.activities[candidate]
        state = mine.progress.get(candidate)
        if mine.open(following) and not (state and state.completed):
            return following
    return None


def _after(mine: schools.MySchool, activity: Activity) -> ResponseReturnValue:
    following = _next_in_course(mine, activity)
    if following is not None:
        return redirect(
            url_for("school.activity", school_id=mine.school.id, activity_id=following.id)
        )
    return redirect(url_for("school.school", school_id=mine.school.id))


def _her_step(school_id: str, activity_id: str) -> tuple[schools.MySchool, Activity]:
    """Her school and one of its activities; 404 for an activity of no school of hers."""
    mine = schools.my_school(current_actor(), school_id, details=False)
    found = mine.activity(activity_id)
    if found is None:
        abort(404)
    return mine, found


def _again(school_id: str, activity_id: str, status: int, **extra: Any) -> ResponseReturnValue:
    """The activity's page once more, with why her submit was not taken."""
    mine, found = _her_step(school_id, activity_id)
    return _render_activity(mine, found, status, **extra)


def _not_open(school_id: str, activity_id: str) -> ResponseReturnValue:
    return _again(school_id, activity_id, 403, error=refusal("not-open"))


def _stale(school_id: str, activity_id: str, sent: dict[str, str]) -> ResponseReturnValue:
    """A save from an older page (another window saved since): 409, the newer text kept and
    shown, and what she sent shown beside it to copy, so nothing she wrote is lost."""
    return _again(school_id, activity_id, 409, stale=sent)


@school_bp.post("/<school_id>/activities/<activity_id>/done")
@participant
def done(school_id: str, activity_id: str) -> ResponseReturnValue:
    try:
        mine = schools.mark_viewed(current_actor(), school_id, activity_id)
    except schools.NotOpen:
        return _not_open(school_id, activity_id)
    activity_ = mine.catalogue.activities[activity_id]
    return _after(mine, activity_)


@school_bp.get("/<school_id>/workshops/<int:workshop_id>/calendar.ics")
@participant
def workshop_calendar(school_id: str, workshop_id: int) -> ResponseReturnValue:
    """A calendar file for a live session of her cohort's workshop (America/Santiago)."""
    body, filename = schools.workshop_calendar(
        current_actor(),
        school_id,
        workshop_id,
        str(get_locale() or "es"),
        request.host.split(":")[0] or "senda",
        lambda title: _("Live workshop: %(title)s", title=title),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@school_bp.post("/<school_id>/activities/<activity_id>/quiz")
@participant
def quiz(school_id: str, activity_id: str) -> ResponseReturnValue:
    _mine, found = _her_step(school_id, activity_id)
    if found.kind != "quiz":
        abort(404)
    answers = {q.id: request.form.getlist(q.id) for q in found.questions}
    try:
        answers = QuizAnswersSchema().load({"answers": answers})["answers"]
    except ValidationError:
        abort(400)
    try:
        schools.submit_quiz(
            current_actor(),
            school_id,
            activity_id,
            answers,
            attempt=attempts_seen(request.form.get("attempt")),
        )
    except schools.NotOpen:
        return _not_open(school_id, activity_id)
    except learning.Unanswered as exc:
        return _again(
            school_id,
            activity_id,
            400,
            chosen={k: frozenset(v) for k, v in answers.items()},
            unanswered=set(exc.question_ids),
        )
    # Post, redirect, get: her result is a page of its own, and a refresh never sends again.
    return redirect(
        url_for("school.activity", school_id=school_id, activity_id=activity_id, checked=1),
        code=303,
    )


def _quiz_result(
    mine: schools.MySchool, activity_: Activity, result: QuizResult
) -> ResponseReturnValue:
    return _render_activity(
        mine,
        activity_,
        result=result,
        chosen={r.question_id: r.chosen for r in result.questions},
        next_up=_next_in_course(mine, activity_),
    )


@school_bp.post("/<school_id>/activities/<activity_id>/reflection")
@participant
def reflection(school_id: str, activity_id: str) -> ResponseReturnValue:
    try:
        data = ReflectionSchema().load(request.form)
    except ValidationError as exc:
        return _again(school_id, activity_id, 400, errors=errors_of(exc))
    try:
        mine = schools.save_reflection(
            current_actor(), school_id, activity_id, data["text"], revision=data.get("revision")
        )
    except schools.NotOpen:
        return _not_open(school_id, activity_id)
    except learning.EmptyAnswer:
        errors = {"text": _("Write your answer before saving. Nothing was saved.")}
        return _again(school_id, activity_id, 400, errors=errors)
    except revisions.Stale:
        return _stale(school_id, activity_id, {"text": data["text"]})
    flash(_("Saved. Only you can see this answer."), "ok")
    return _after(mine, mine.catalogue.activities[activity_id])


@school_bp.post("/<school_id>/activities/<activity_id>/worksheet")
@participant
def worksheet(school_id: str, activity_id: str) -> ResponseReturnValue:
    """Her homework: as JSON while she types (autosave), or as a form (Save / Submit)."""
    as_json = request.is_json
    if as_json:
        body = request.get_json(silent=True) or {}
    else:
        body = {
            "values": {
                k: v
                for k, v in request.form.items()
                if k not in ("csrf_token", "action", "revision")
            },
            "submit": request.form.get("action") == "submit",
        }
        if request.form.get("revision") is not None:
            body["revision"] = request.form.get("revision")
    try:
        data = WorksheetSchema().load(body)
    except ValidationError as exc:
        if as_json:
            return jsonify(ok=False, reason="invalid", errors=errors_of(exc)), 400
        return _again(school_id, activity_id, 400, errors=errors_of(exc))
    try:
        mine, activity_, complete = schools.save_worksheet(
            current_actor(),
            school_id,
            activity_id,
            data["values"],
            data["submit"],
            revision=data.get("revision"),
        )
    except schools.NotOpen:
        if as_json:
            return jsonify(ok=False), 403
        return _not_open(school_id, activity_id)
    except revisions.Stale as exc:
        if as_json:
            return jsonify(ok=False, reason="stale", revision=exc.current), 409
        return _stale(school_id, activity_id, data["values"])
    if as_json:
        row = mine.rows.get(activity_id)
        return jsonify(ok=True, complete=complete, revision=row.revision if row else 0)
    if data["submit"] and not complete:
        missing = [
            f.label
            for f in activity_.fields
            if f.required and not str(data["values"].get(f.id, "")).strip()
        ]
        return _render_activity(mine, activity_, 400, missing=missing)
    flash(_("Saved."), "ok")
    if data["submit"]:
        return _after(mine, activity_)
    return redirect(url_for("school.activity", school_id=school_id, activity_id=activity_id))


# ============================================================================ programme team
@bp.get("/schools")
@launched
def index() -> ResponseReturnValue:
    return render_template(
        "schools/index.html", overview=schools.overview(current_actor()), errors={}, form={}
    )


@bp.post("/schools/cohorts")
@launched
def create_cohort() -> ResponseReturnValue:
    actor = current_actor()
    try:
        data = CohortSchema().load(request.form)
        cohort_id = schools.create_cohort(actor, data["school_id"], data["name"], data["starts_on"])
    except ValidationError as exc:
        errors = errors_of(exc)
    except Refused as exc:
        errors = {exc.reason: refusal(exc.reason)}
    else:
        flash(_("The cohort was created."), "ok")
        return redirect(url_for("schools.cohort", cohort_id=cohort_id))
    return render_template(
        "schools/index.html",
        overview=schools.overview(actor),
        errors=errors,
        form=request.form,
    ), 400


def _cohort_page(
    cohort_id: int, errors: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    page = schools.cohort_page(current_actor(), cohort_id)
    return render_template(
        "schools/cohort.html", page=page, errors=errors or {}, form=request.form
    ), status


@bp.get("/schools/cohorts/<int:cohort_id>")
@launched
def cohort(cohort_id: int) -> ResponseReturnValue:
    return _cohort_page(cohort_id)


@bp.post("/schools/cohorts/<int:cohort_id>/invite")
@launched
def invite(cohort_id: int) -> ResponseReturnValue:
    try:
        data = InviteSchema().load(form_data(request.form, lists=("user_ids",)))
        count = schools.invite(current_actor(), cohort_id, data["user_ids"])
    except ValidationError as exc:
        return _cohort_page(cohort_id, errors_of(exc), 400)
    except Refused as exc:
        return _cohort_page(cohort_id, {"user_ids": refusal(exc.reason)}, 409)
    flash(
        ngettext("%(num)s woman was invited.", "%(num)s women were invited.", count),
        "ok",
    )
    return redirect(url_for("schools.cohort", cohort_id=cohort_id))


@bp.post("/schools/cohorts/<int:cohort_id>/place")
@launched
def place(cohort_id: int) -> ResponseReturnValue:
    try:
        data = PersonSchema().load(request.form)
    except ValidationError:
        abort(400)
    schools.place(current_actor(), cohort_id, data["user_id"])
    flash(_("She joined the cohort."), "ok")
    return redirect(url_for("schools.cohort", cohort_id=cohort_id))


@bp.post("/schools/members/<int:member_id>/mentor")
@launched
def assign_mentor(member_id: int) -> ResponseReturnValue:
    try:
        data = AssignMentorSchema().load(without_blanks(form_data(request.form), "mentor_id"))
    except ValidationError:
        abort(400)
    cohort_id = request.args.get("cohort", type=int)
    try:
        schools.assign_mentor(current_actor(), member_id, data["mentor_id"])
    except Refused as exc:
        if cohort_id is None:
            abort(409)
        return _cohort_page(cohort_id, {"mentor": refusal(exc.reason)}, 409)
    flash(_("Her mentor was saved."), "ok")
    if cohort_id is None:
        return redirect(url_for("schools.index"))
    return redirect(url_for("schools.cohort", cohort_id=cohort_id))


@bp.post("/schools/cohorts/<int:cohort_id>/workshops")
@launched
def schedule_workshop(cohort_id: int) -> ResponseReturnValue:
    try:
        data = WorkshopSessionSchema().load(request.form)
        schools.schedule_workshop(
            current_actor(),
            cohort_id,
            data["activity_id"],
            data["starts_at"],
            data["meeting_url"],
            data["note"],
        )
    except ValidationError as exc:
        return _cohort_page(cohort_id, errors_of(exc), 400)
    except Refused as exc:
        return _cohort_page(cohort_id, {"activity_id": refusal(exc.reason)}, 400)
    flash(_("The session was scheduled."), "ok")
    return redirect(url_for("schools.cohort", cohort_id=cohort_id))


@bp.route("/schools/workshops/<int:workshop_id>", methods=["GET", "POST"])
@launched
def workshop(workshop_id: int) -> ResponseReturnValue:
    """Take attendance: attending completes the workshop for her. Never for a cancelled session
    (409, nothing written)."""
    actor = current_actor()
    refused = ""
    if request.method == "POST":
        try:
            data = AttendanceFormSchema().load(form_data(request.form, lists=("present",)))
        except ValidationError:
            abort(400)
        shown = data["shown"]
        try:
            count = schools.record_workshop_attendance(
                actor,
                workshop_id,
                data["present"],
                shown_present=None if shown is None else id_set(shown),
            )
        except Refused as exc:
            refused = refusal(exc.reason)
        else:
            flash(
                ngettext(
                    "Attendance saved: %(num)s woman came.",
                    "Attendance saved: %(num)s women came.",
                    count,
                ),
                "ok",
            )
            return redirect(url_for("schools.workshop", workshop_id=workshop_id))
    return render_template(
        "schools/workshop.html",
        page=schools.workshop_page(actor, workshop_id),
        refused=refused,
    ), (409 if refused else 200)


def _change_page(workshop_id: int, status: int = 200, **shown: Any) -> ResponseReturnValue:
    """The change page of a school cohort's session (live_sessions.change_page)."""
    page = schools.workshop_page(current_actor(), workshop_id)
    saved = page.workshop
    return live_sessions.change_page(
        "schools/workshop_edit.html",
        (saved.starts_at, saved.meeting_url, saved.note, saved.revision),
        status,
        page=page,
        **shown,
    )


@bp.route("/schools/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@launched
def edit_workshop(workshop_id: int) -> ResponseReturnValue:
    """Change a session's time, link or note; or cancel it. A save from an older page (another
    tab, another member of the team saved since) is refused (409) and what she sent is shown
    beside the saved session."""
    if request.method == "GET":
        return _change_page(workshop_id)
    return live_sessions.save_change(
        partial(_change_page, workshop_id),
        lambda starts_at, meeting_url, note, revision: schools.edit_workshop(
            current_actor(), workshop_id, starts_at, meeting_url, note, revision=revision
        ),
        refusal,
        url_for("schools.workshop", workshop_id=workshop_id),
    )


@bp.post("/schools/workshops/<int:workshop_id>/cancel")
@launched
def cancel_workshop(workshop_id: int) -> ResponseReturnValue:
    """Cancel a session (after a tick that says so): the cohort's members see it cancelled."""
    return live_sessions.cancel(
        partial(_change_page, workshop_id),
        lambda: schools.cancel_workshop(current_actor(), workshop_id),
        refusal,
        url_for("schools.workshop", workshop_id=workshop_id),
        _("The session was cancelled. The cohort's members see it as cancelled."),
    )


@bp.get("/mentors")
@launched
def mentors() -> ResponseReturnValue:
    """Who may become a mentor by the Mentor Training School's rule, and granting the role."""
    return render_template(
        "schools/mentors.html", candidates=schools.mentor_candidates(current_actor())
    )


@bp.post("/mentors/<int:user_id>/grant")
@launched
def grant_mentor(user_id: int) -> ResponseReturnValue:
    try:
        schools.grant_mentor(current_actor(), user_id)
    except Refused as exc:
        return render_template(
            "schools/mentors.html",
            candidates=schools.mentor_candidates(current_actor()),
            error=refusal(exc.reason),
        ), 409
    flash(_("She is a mentor now."), "ok")
    return redirect(url_for("schools.mentors"))


@bp.get("/mentoring")
@launched
def network() -> ResponseReturnValue:
    """Every mentoring session of the programme (attendance, ratings) and every mentor."""
    found = mentoring.network(current_actor())
    return render_template(
        "schools/network.html",
        network=found,
        topic_names={t.id: t.title.get(_locale()) for t in mentoring.topics()},
    )
