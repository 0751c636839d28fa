"""The participant's pages: intake, her plan, courses and activities.

Every page is server-rendered HTML that works without JavaScript; a little JavaScript only saves
worksheets as she types. Pages query the database at most a handful of times: the catalogue is
cached per content version, and her progress is one query.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from courses import progression
from courses.model import Activity, Catalogue
from courses.placement import invalid_answers
from lti_tool.auth import current_actor, require_role
from lti_tool.extensions import db
from lti_tool.models import Demographics, WorkshopSession, utcnow
from lti_tool.schemas import (
    REGIONS,
    ChoosePathwaySchema,
    DemographicsSchema,
    QuizAnswersSchema,
    ReflectionSchema,
    WorksheetSchema,
    demographics_values,
    errors_of,
)
from lti_tool.services import content, learning

bp = Blueprint("learner", __name__)
participant = require_role("participant")


def _journey() -> learning.Journey | None:
    try:
        return learning.journey(current_actor())
    except learning.NotEnrolled:
        return None


@bp.get("/start")
@participant
def entry() -> ResponseReturnValue:
    """Where a participant's launch lands: the intake first, then what the link opens."""
    j = _journey()
    if j is None:
        return redirect(url_for("learner.intake"))
    target = session.get("target", "")
    kind, _sep, value = target.partition(":")
    if kind == "course" and value in j.catalogue.courses:
        if value not in j.enrolment.course_ids:
            learning.change_plan(
                j.enrolment, j.enrolment.level, [*j.enrolment.course_ids, value], "link"
            )
        return redirect(url_for("learner.course", course_id=value))
    return redirect(url_for("learner.home"))


@bp.get("/plan")
@participant
def home() -> ResponseReturnValue:
    j = _journey()
    if j is None:
        return redirect(url_for("learner.intake"))
    courses = j.courses
    next_up = progression.next_activity(j.catalogue, courses, j.progress)
    workshop_ids = [
        a.id
        for c in courses
        for a in j.catalogue.course_activities(c.course.id)
        if a.kind == "workshop"
    ]
    sessions = _upcoming_sessions(j.enrolment.context_id, workshop_ids)
    placement = next(
        (r for r in j.catalogue.placement.rules if r.id == j.enrolment.placement_rule), None
    )
    return render_template(
        "learner/home.html",
        j=j,
        courses=courses,
        next_up=next_up,
        percent=progression.pathway_percent(courses),
        complete=progression.pathway_complete(courses),
        sessions=sessions,
        pathway=j.catalogue.pathways[j.enrolment.pathway_id],
        reason=placement.reason if placement else j.catalogue.placement.fallback.reason,
        other_pathways=[p for p in j.catalogue.pathway_ids if p != j.enrolment.pathway_id],
        started=bool(j.enrolment.last_activity_id),
    )


def _upcoming_sessions(context_id: int, activity_ids: list[str]) -> list[WorkshopSession]:
    if not activity_ids:
        return []
    return list(
        db.session.scalars(
            select(WorkshopSession)
            .where(
                WorkshopSession.context_id == context_id,
                WorkshopSession.activity_id.in_(activity_ids),
                WorkshopSession.starts_at >= utcnow(),
            )
            .order_by(WorkshopSession.starts_at)
            .limit(5)
        )
    )


# ---------------------------------------------------------------------------------- intake
def _intake_answers(form: Any, questions: Any) -> dict[str, list[str]]:
    return {q.id: form.getlist(q.id) for q in questions if form.getlist(q.id)}


@bp.route("/intake", methods=["GET", "POST"])
@participant
def intake() -> ResponseReturnValue:
    """Her first visit: a few questions about her experience and motivations."""
    found = content.latest_catalogue()
    if found is None:
        return render_template("learner/no_content.html"), 503
    _version, catalogue = found
    questions = catalogue.placement.questions
    actor = current_actor()
    existing = learning.enrolment_of(actor)
    errors: dict[str, str] = {}
    answers: dict[str, list[str]] = dict(existing.answers) if existing else {}
    demo: dict[str, Any] = {}
    if request.method == "POST":
        answers = _intake_answers(request.form, questions)
        errors.update(invalid_answers(answers, catalogue.placement))
        known = {q.id for q in questions} | set(DemographicsSchema().fields)
        for unknown in set(request.form) - known:
            errors[unknown[:64]] = "unknown field"  # mass assignment: role, user_id, score…
        demo_form = {k: v for k, v in request.form.items() if k in DemographicsSchema().fields}
        try:
            demo = DemographicsSchema().load(demo_form)
        except ValidationError as exc:
            errors.update(errors_of(exc))
        if not errors:
            target = session.get("target", "")
            chosen = target.partition(":")[2] if target.startswith("pathway:") else None
            if chosen not in catalogue.pathways:
                chosen = None
            try:
                learning.enrol(actor, answers, chosen, demographics_values(demo))
            except IntegrityError:  # the same form submitted twice at once: the first won
                db.session.rollback()
            flash(_("Your plan is ready."), "ok")
            return redirect(url_for("learner.home", placed=1))
    stored = db.session.scalar(select(Demographics).where(Demographics.user_id == actor.user_id))
    return render_template(
        "learner/intake.html",
        questions=questions,
        answers=answers,
        errors=errors,
        regions=REGIONS,
        demo=demo,
        stored=stored,
    ), (400 if errors else 200)


@bp.post("/pathway")
@participant
def choose_pathway() -> ResponseReturnValue:
    """She prefers the other pathway: the rules still suggest the level and courses."""
    try:
        data = ChoosePathwaySchema().load(request.form)
    except ValidationError:
        abort(400)
    actor = current_actor()
    enrolment = learning.enrolment_of(actor)
    if enrolment is None:
        return redirect(url_for("learner.intake"))
    catalogue = content.catalogue(enrolment.content_version_id)
    if data["pathway"] not in catalogue.pathways:
        abort(400)
    learning.enrol(actor, enrolment.answers, data["pathway"], _stored_demographics(actor.user_id))
    flash(_("Your pathway was changed."), "ok")
    return redirect(url_for("learner.home"))


def _stored_demographics(user_id: int) -> dict[str, Any] | None:
    row = db.session.scalar(select(Demographics).where(Demographics.user_id == user_id))
    if row is None:
        return None
    return {
        "region": row.region,
        "municipality": row.municipality,
        "migrant": row.migrant,
        "indigenous": row.indigenous,
    }


@bp.route("/privacy", methods=["GET", "POST"])
@participant
def privacy() -> ResponseReturnValue:
    """What Senda keeps about her, and withdrawing consent (which deletes her demographics)."""
    actor = current_actor()
    if request.method == "POST":
        learning.save_demographics(actor.user_id, None)
        db.session.commit()
        flash(_("Your optional information was deleted."), "ok")
        return redirect(url_for("learner.privacy"))
    stored = db.session.scalar(select(Demographics).where(Demographics.user_id == actor.user_id))
    return render_template("learner/privacy.html", stored=stored)


# --------------------------------------------------------------------------------- courses
@bp.get("/courses/<course_id>")
@participant
def course(course_id: str) -> ResponseReturnValue:
    j = _journey()
    if j is None:
        return redirect(url_for("learner.intake"))
    state = next((c for c in j.courses if c.course.id == course_id), None)
    if state is None:
        abort(404)
    return render_template(
        "learner/course.html",
        j=j,
        state=state,
        course=state.course,
        titles={c: j.catalogue.courses[c].title for c in state.locked_by},
    )


def _activity_or_404(j: learning.Journey, activity_id: str) -> Activity:
    activity = j.activity(activity_id)
    if activity is None:
        abort(404)
    return activity


def _next_in_course(j: learning.Journey, activity: Activity) -> Activity | None:
    ids = j.catalogue.courses[activity.course_id].activity_ids
    after = ids[ids.index(activity.id) + 1 :]
    for candidate in after:
        if not progression.is_done(candidate, j.progress):
            return j.catalogue.activities[candidate]
    return None


def render_activity(
    catalogue: Catalogue,
    activity: Activity,
    j: learning.Journey | None = None,
    preview: bool = False,
    **extra: Any,
) -> str:
    """The activity page as a participant sees it; designers' preview passes no journey."""
    row = j.rows.get(activity.id) if j else None
    sessions: list[WorkshopSession] = []
    if activity.kind == "workshop" and j is not None:
        sessions = list(
            db.session.scalars(
                select(WorkshopSession)
                .where(
                    WorkshopSession.context_id == j.enrolment.context_id,
                    WorkshopSession.activity_id == activity.id,
                )
                .order_by(WorkshopSession.starts_at)
            )
        )
    return render_template(
        "learner/activity.html",
        activity=activity,
        course=catalogue.courses[activity.course_id],
        row=row,
        data=(row.data if row else {}) or {},
        done=bool(row and row.completed),
        locked=bool(j and j.course_status(activity.course_id) == progression.LOCKED),
        preview=preview,
        sessions=sessions,
        **extra,
    )


@bp.get("/activities/<activity_id>")
@participant
def activity(activity_id: str) -> ResponseReturnValue:
    j = _journey()
    if j is None:
        return redirect(url_for("learner.intake"))
    return render_activity(j.catalogue, _activity_or_404(j, activity_id), j)


def _work_on(activity_id: str, *kinds: str) -> tuple[learning.Journey, Activity]:
    """Her journey and an activity she may work on now: of her plan (else 404), of one of
    `kinds` when given (else 404), and in a course that is open (else 403)."""
    j = _journey()
    if j is None:
        abort(404)
    activity = _activity_or_404(j, activity_id)
    if kinds and activity.kind not in kinds:
        abort(404)
    if j.course_status(activity.course_id) == progression.LOCKED:
        abort(403)
    return j, activity


def _after(j: learning.Journey, activity: Activity) -> ResponseReturnValue:
    following = _next_in_course(j, activity)
    if following is not None:
        return redirect(url_for("learner.activity", activity_id=following.id))
    return redirect(url_for("learner.course", course_id=activity.course_id, finished=activity.id))


@bp.post("/activities/<activity_id>/done")
@participant
def done(activity_id: str) -> ResponseReturnValue:
    j, activity = _work_on(activity_id)
    learning.mark_viewed(j, activity)
    return _after(j, activity)


@bp.post("/activities/<activity_id>/quiz")
@participant
def quiz(activity_id: str) -> ResponseReturnValue:
    j, activity = _work_on(activity_id, "quiz")
    answers = {q.id: request.form.getlist(q.id) for q in activity.questions}
    try:
        answers = QuizAnswersSchema().load({"answers": answers})["answers"]
    except ValidationError:
        abort(400)
    result = learning.submit_quiz(j, activity, answers)
    return render_activity(
        j.catalogue,
        activity,
        j,
        result=result,
        chosen={r.question_id: r.chosen for r in result.questions},
        next_up=_next_in_course(j, activity),
    )


@bp.post("/activities/<activity_id>/reflection")
@participant
def reflection(activity_id: str) -> ResponseReturnValue:
    j, activity = _work_on(activity_id, "reflection")
    try:
        data = ReflectionSchema().load(request.form)
    except ValidationError as exc:
        return render_activity(j.catalogue, activity, j, errors=errors_of(exc)), 400
    learning.save_reflection(j, activity, data["text"])
    flash(_("Saved. Only you can see this answer."), "ok")
    return _after(j, activity)


@bp.post("/activities/<activity_id>/worksheet")
@participant
def worksheet(activity_id: str) -> ResponseReturnValue:
    """Saves a worksheet: as JSON while she types (autosave), or as a form (Save / Submit)."""
    j, activity = _work_on(activity_id, "worksheet")
    as_json = request.is_json
    if as_json:
        body = request.get_json(silent=True) or {}
    else:
        body = {
            "values": {f.id: request.form.get(f.id, "") for f in activity.fields},
            "submit": request.form.get("action") == "submit",
        }
    try:
        data = WorksheetSchema().load(body)
    except ValidationError as exc:
        if as_json:
            return jsonify(ok=False, errors=errors_of(exc)), 400
        return render_activity(j.catalogue, activity, j, errors=errors_of(exc)), 400
    complete = learning.save_worksheet(j, activity, data["values"], data["submit"])
    if as_json:
        return jsonify(ok=True, complete=complete)
    if data["submit"] and not complete:
        missing = [
            f.label
            for f in activity.fields
            if f.required and not data["values"].get(f.id, "").strip()
        ]
        return render_activity(j.catalogue, activity, j, missing=missing), 400
    flash(_("Saved."), "ok")
    if data["submit"]:
        return _after(j, activity)
    return redirect(url_for("learner.activity", activity_id=activity.id))


@bp.get("/activities/<activity_id>/print")
@participant
def print_worksheet(activity_id: str) -> ResponseReturnValue:
    """A printable page of her worksheet (the browser saves it as PDF)."""
    j = _journey()
    if j is None:
        abort(404)
    activity = _activity_or_404(j, activity_id)
    if activity.kind != "worksheet":
        abort(404)
    row = j.rows.get(activity.id)
    values = (row.data.get("values", {}) if row else {}) or {}
    return render_template(
        "learner/print.html", activity=activity, values=values, name=current_actor().name
    )
