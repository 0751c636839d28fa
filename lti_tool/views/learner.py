"""The participant's pages: intake, her plan, courses and activities.

Every page is server-rendered HTML that works without JavaScript; a little JavaScript only saves
worksheets as she types. Pages query the database at most a handful of times: the catalogue is
cached per content version, and her progress is one query.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date, get_locale, ngettext
from flask_babel import gettext as _
from marshmallow import ValidationError

from courses import progression
from courses.links import LinkTarget, TargetKind
from courses.model import Activity, Catalogue
from courses.placement import REQUIRED, invalid_answers, place
from lti_tool.actor import Role
from lti_tool.services import content, documents, learning, plan, privacy, revisions, tutoring
from lti_tool.web.forms import (
    REGIONS,
    ChoosePathwaySchema,
    DeleteWorkSchema,
    DemographicsSchema,
    QuizAnswersSchema,
    ReflectionSchema,
    WorksheetSchema,
    attempts_seen,
    errors_of,
    form_data,
    json_body,
)
from lti_tool.web.session import current_actor, require_role

bp = Blueprint("learner", __name__)
participant = require_role(Role.PARTICIPANT)


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
    target = LinkTarget.parse(session.get("target"))
    if target.kind == TargetKind.COURSE and target.id in j.catalogue.courses:
        return redirect(url_for("learner.course", course_id=target.id))
    return redirect(url_for("learner.home"))


@bp.get("/plan")
@participant
def home() -> ResponseReturnValue:
    try:
        page = plan.plan_page(current_actor())
    except learning.NotEnrolled:
        return redirect(url_for("learner.intake"))
    j, courses = page.journey, page.courses
    # Why: the rule and every adjustment her answers made (what she wants to learn, a business
    # not yet formal), for her pathway and level as they are now.
    placement = place(j.enrolment.answers, j.catalogue, j.enrolment.pathway_id, j.enrolment.level)
    chose = placement.rule_id == "chosen"
    pathway = j.catalogue.pathways[j.enrolment.pathway_id]
    return render_template(
        "learner/home.html",
        j=j,
        courses=courses,
        next_up=progression.next_activity(j.catalogue, courses, j.progress),
        percent=progression.pathway_percent(courses),
        complete=progression.pathway_complete(courses),
        sessions=page.sessions,
        reminders=learning.reminders(page.sessions, datetime.now(UTC)),
        # Mentoring sessions (a reminder on every launch) and the schools.
        after=page.after,
        pathway=pathway,
        reasons=placement.reasons[1:] if chose else placement.reasons,
        chose=chose or j.enrolment.placed_by == "participant",
        by_staff=j.enrolment.placed_by == "facilitator",
        other_pathways=[p for p in j.catalogue.pathway_ids if p != j.enrolment.pathway_id],
        other_levels=[lv for lv in pathway.levels if lv.id != j.enrolment.level],
        started=bool(j.enrolment.last_activity_id),
        tutoring=page.tutoring,
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
    stored = privacy.my_demographics(actor, why="participant-intake-form")
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
            demo = demo_form  # what she chose stays on the page beside the message
        if not errors:
            target = LinkTarget.parse(session.get("target"))
            chosen = target.id if target.kind == TargetKind.PATHWAY else None
            if chosen not in catalogue.pathways:
                chosen = None
            learning.open_or_enrol(actor, answers, chosen, privacy.demographics_values(demo))
            if existing is None:
                flash(_("Your plan is ready."), "ok")
                return redirect(url_for("learner.home", placed=1))
            # Sent again (the Back button, or new answers): her plan stays as it is.
            suggestion = learning.new_suggestion(actor)
            if suggestion is None:
                flash(_("Your answers were saved. Your plan stays as it is."), "ok")
                return redirect(url_for("learner.home"))
            flash(
                _(
                    "Your answers were saved and your plan stays as it is. With these answers "
                    "we would suggest another pathway or level: see what would change before "
                    "you decide."
                ),
                "ok",
            )
            return redirect(
                url_for(
                    "learner.change_plan",
                    pathway=suggestion.pathway_id,
                    level=suggestion.level,
                )
            )
    return render_template(
        "learner/intake.html",
        questions=questions,
        answers=answers,
        errors=errors,
        regions=REGIONS,
        demo=demo,
        stored=stored,
        required_problem=REQUIRED,
    ), (400 if errors else 200)


@bp.get("/plan/change")
@participant
def change_plan() -> ResponseReturnValue:
    """Before her pathway or level changes: what she would have, what stays, and a button."""
    try:
        data = ChoosePathwaySchema().load(request.args)
    except ValidationError:
        abort(400)
    try:
        j, change = learning.plan_change(current_actor(), data["pathway"], data.get("level"))
    except learning.NotEnrolled:
        return redirect(url_for("learner.intake"))
    except learning.UnknownPathway:
        abort(400)
    pathway = j.catalogue.pathways[change.placement.pathway_id]
    return render_template(
        "learner/change_plan.html",
        j=j,
        change=change,
        pathway=pathway,
        level=pathway.level(change.placement.level),
        same=(change.placement.pathway_id, change.placement.level)
        == (j.enrolment.pathway_id, j.enrolment.level),
    )


@bp.post("/pathway")
@participant
def choose_pathway() -> ResponseReturnValue:
    """She confirmed another pathway or level on the page that showed what changes. Without
    the confirmation (an old button, a tap), nothing changes: she is shown that page."""
    try:
        data = ChoosePathwaySchema().load(request.form)
    except ValidationError:
        abort(400)
    if not data.get("confirm"):
        return redirect(
            url_for("learner.change_plan", pathway=data["pathway"], level=data.get("level")),
            code=303,
        )
    try:
        change = learning.change_pathway(current_actor(), data["pathway"], data.get("level"))
    except learning.NotEnrolled:
        return redirect(url_for("learner.intake"))
    except learning.UnknownPathway:
        abort(400)
    flash(
        _(
            "Your plan changed. Everything you already did is kept, and so are the courses your "
            "facilitator added."
        )
        if change.kept
        else _("Your plan changed. Everything you already did is kept."),
        "ok",
    )
    return redirect(url_for("learner.home"))


@bp.route("/privacy", methods=["GET", "POST"], endpoint="privacy")
@participant
def privacy_page() -> ResponseReturnValue:
    """What Senda keeps about her; withdrawing consent deletes her demographics."""
    if request.method == "POST":
        if privacy.withdraw_demographics(current_actor()):
            flash(_("Your optional information was deleted."), "ok")
        else:  # a double tap, or a second tab: it was gone already
            flash(_("Senda keeps no optional information about you."), "ok")
        return redirect(url_for("learner.privacy"))
    return _privacy_page()


def _privacy_page(delete_work_error: str | None = None) -> str:
    held = privacy.export(current_actor())
    return render_template(
        "learner/privacy.html",
        held=held,
        stored=held["optional_information"],
        delete_work_error=delete_work_error,
    )


@bp.get("/privacy/my-data.json")
@participant
def privacy_download() -> ResponseReturnValue:
    """Everything Senda holds about her, as a file."""
    response = jsonify(privacy.export(current_actor(), complete=True))
    response.headers["Content-Disposition"] = 'attachment; filename="senda-my-data.json"'
    return response


@bp.post("/privacy/delete-work")
@participant
def privacy_delete_work() -> ResponseReturnValue:
    """Delete what she wrote in reflections and worksheets; her progress stays."""
    try:
        data = DeleteWorkSchema().load(form_data(request.form, lists=("kinds",)))
    except ValidationError:
        return _privacy_page(delete_work_error=_("Choose what to delete.")), 400
    deleted = privacy.delete_my_work(current_actor(), set(data["kinds"]))
    if deleted:
        flash(ngettext("We deleted %(num)s answer.", "We deleted %(num)s answers.", deleted), "ok")
    else:  # a double tap, or nothing of that kind written
        flash(_("There was nothing of that kind left to delete. Nothing was changed."), "ok")
    return redirect(url_for("learner.privacy"))


# --------------------------------------------------------------------------------- courses
@bp.get("/courses/<course_id>")
@participant
def course(course_id: str) -> ResponseReturnValue:
    j = _journey()
    if j is None:
        return redirect(url_for("learner.intake"))
    state = next((c for c in j.courses if c.course.id == course_id), None)
    if state is None:
        other = j.catalogue.courses.get(course_id)
        if other is None:
            abort(404)
        # A link her teacher placed opens a course outside her plan: ask before adding it, and
        # only a course of her own pathway (another pathway's is for her facilitator to add).
        return render_template(
            "learner/course_outside_plan.html",
            course=other,
            may_add=learning.may_add_from_link(j, course_id),
            j=j,
        )
    return render_template(
        "learner/course.html",
        j=j,
        state=state,
        course=state.course,
        titles={c: j.catalogue.courses[c].title for c in state.locked_by},
    )


@bp.post("/courses/<course_id>/add")
@participant
def add_course(course_id: str) -> ResponseReturnValue:
    j = _journey()
    if j is None:
        return redirect(url_for("learner.intake"))
    if course_id not in j.catalogue.courses:
        abort(404)
    try:
        learning.add_course_from_link(j, course_id)
    except learning.UnrelatedCourse:
        return render_template(
            "learner/course_outside_plan.html",
            course=j.catalogue.courses[course_id],
            may_add=False,
            j=j,
        ), 400
    flash(_("The course was added to your plan."), "ok")
    return redirect(url_for("learner.course", course_id=course_id))


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
    sessions = learning.sessions_of(j, activity) if activity.kind == "workshop" and j else []
    orders = {}
    if activity.kind == "quiz":
        # Her next attempt's order; the result page passes the attempt she just answered.
        attempt = extra.pop("attempt", (row.attempts or 0) if row else 0)
        key = f"{j.enrolment.id}:{activity.id}" if j else f"preview:{activity.id}"
        orders = {q.id: progression.option_order(q, key, attempt) for q in activity.questions}
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
        now=datetime.now(UTC),
        duration=timedelta(minutes=activity.duration_minutes or activity.minutes),
        orders=orders,
        **extra,
    )


@bp.get("/activities/<activity_id>")
@participant
def activity(activity_id: str) -> ResponseReturnValue:
    """An activity of her plan. After a quiz's submit (`?checked=1`) her last attempt is shown
    with its feedback; after a worksheet submitted with blanks (`?missing=1`), what is missing.
    Both are read from what was saved, so a refresh shows the same and sends nothing."""
    j = _journey()
    if j is None:
        return redirect(url_for("learner.intake"))
    activity = _activity_or_404(j, activity_id)
    extra: dict[str, Any] = {}
    if activity.kind == "quiz" and request.args.get("checked"):
        result = learning.last_quiz_result(j, activity)
        if result is not None:
            attempts = j.rows[activity.id].attempts or 1
            extra.update(
                # The order she answered in, so each comment sits by its option.
                attempt=attempts - 1,
                result=result,
                chosen={r.question_id: r.chosen for r in result.questions},
                next_up=_next_in_course(j, activity),
            )
    if activity.kind == "worksheet" and request.args.get("missing"):
        row = j.rows.get(activity.id)
        values = (row.data.get("values", {}) if row else {}) or {}
        extra["missing"] = _missing(activity, values)
    return render_activity(
        j.catalogue, activity, j, cv_panel=tutoring.cv_panel(current_actor(), activity), **extra
    )


def _missing(activity: Activity, values: dict[str, str]) -> list[Any]:
    return [f.label for f in activity.fields if f.required and not values.get(f.id, "").strip()]


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


@bp.get("/workshops/sessions/<int:session_id>/calendar.ics")
@participant
def workshop_calendar(session_id: int) -> ResponseReturnValue:
    """A calendar file for a live session of a workshop of her plan (America/Santiago)."""
    j = _journey()
    if j is None:
        abort(404)
    lang = str(get_locale() or "es")
    body, filename = learning.workshop_calendar(
        j,
        session_id,
        lang,
        request.host.split(":")[0] or "senda",
        lambda title: _("Live workshop: %(title)s", title=title),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/activities/<activity_id>/done")
@participant
def done(activity_id: str) -> ResponseReturnValue:
    j, activity = _work_on(activity_id)
    learning.mark_viewed(j, activity)
    return _after(j, activity)


@bp.post("/activities/<activity_id>/quiz")
@participant
def quiz(activity_id: str) -> ResponseReturnValue:
    """Grades her answers, then shows them on a page of its own (post, redirect, get): a
    refresh never sends them again. Questions left blank: 400, nothing written."""
    j, activity = _work_on(activity_id, "quiz")
    answers = {q.id: request.form.getlist(q.id) for q in activity.questions}
    try:
        answers = QuizAnswersSchema().load({"answers": answers})["answers"]
    except ValidationError:
        abort(400)
    attempt = attempts_seen(request.form.get("attempt"))
    try:
        learning.submit_quiz(j, activity, answers, attempt=attempt)
    except learning.Unanswered as exc:
        return render_activity(
            j.catalogue,
            activity,
            j,
            chosen={k: frozenset(v) for k, v in answers.items()},
            unanswered=set(exc.question_ids),
        ), 400
    return redirect(url_for("learner.activity", activity_id=activity.id, checked=1), code=303)


@bp.post("/activities/<activity_id>/reflection")
@participant
def reflection(activity_id: str) -> ResponseReturnValue:
    j, activity = _work_on(activity_id, "reflection")
    try:
        data = ReflectionSchema().load(request.form)
    except ValidationError as exc:
        return render_activity(j.catalogue, activity, j, errors=errors_of(exc)), 400
    try:
        learning.save_reflection(j, activity, data["text"], revision=data.get("revision"))
    except learning.EmptyAnswer:
        errors = {"text": _("Write your answer before saving. Nothing was saved.")}
        return render_activity(j.catalogue, activity, j, errors=errors), 400
    except revisions.Stale:
        return render_activity(j.catalogue, activity, j, stale={"text": data["text"]}), 409
    flash(_("Saved. Only you can see this answer."), "ok")
    return _after(j, activity)


@bp.post("/activities/<activity_id>/worksheet")
@participant
def worksheet(activity_id: str) -> ResponseReturnValue:
    """Saves a worksheet: as JSON while she types (autosave), or as a form (Save / Submit).
    Every save names the revision it started from; an older one (an old form sent again) is
    refused with 409 and the newer text stays. A form always ends in a redirect to the page."""
    j, activity = _work_on(activity_id, "worksheet")
    as_json = request.is_json
    if as_json:
        body = json_body()
    else:
        body = {
            "values": {f.id: request.form.get(f.id, "") for f in activity.fields},
            "submit": request.form.get("action") == "submit",
        }
        if request.form.get("revision") is not None:
            body["revision"] = request.form.get("revision")
    # "Download as PDF" saves first, so the file holds what she has just typed.
    as_pdf = not as_json and request.form.get("action") == "pdf"
    try:
        data = WorksheetSchema().load(body)
    except ValidationError as exc:
        if as_json:
            return jsonify(ok=False, reason="invalid", errors=errors_of(exc)), 400
        return render_activity(j.catalogue, activity, j, errors=errors_of(exc)), 400
    try:
        complete = learning.save_worksheet(
            j, activity, data["values"], data["submit"], revision=data.get("revision")
        )
    except revisions.Stale as exc:
        if as_json:
            return jsonify(ok=False, reason="stale", revision=exc.current), 409
        return render_activity(j.catalogue, activity, j, stale=data["values"]), 409
    row = j.rows[activity.id]
    if as_pdf:
        return _pdf_of(j, activity, dict(row.data.get("values", {})))
    if as_json:  # with the revision her next save names
        return jsonify(ok=True, complete=complete, revision=row.revision)
    if data["submit"] and not complete:
        flash(_("Your answers are saved, but the worksheet is not submitted yet."), "error")
        return redirect(url_for("learner.activity", activity_id=activity.id, missing=1), code=303)
    flash(_("Saved."), "ok")
    if data["submit"]:
        return _after(j, activity)
    return redirect(url_for("learner.activity", activity_id=activity.id))


@bp.get("/activities/<activity_id>/worksheet.pdf")
@participant
def worksheet_pdf(activity_id: str) -> ResponseReturnValue:
    """Her worksheet as a PDF file, with what she saved: it prints cleanly from inside the LMS,
    where the browser's Print menu would print the LMS page around Senda."""
    j = _journey()
    if j is None:
        abort(404)
    activity = _activity_or_404(j, activity_id)
    if activity.kind != "worksheet":
        abort(404)
    row = j.rows.get(activity.id)
    return _pdf_of(j, activity, (row.data.get("values", {}) if row else {}) or {})


def _pdf_of(j: learning.Journey, activity: Activity, values: dict[str, str]) -> Response:
    lang = str(get_locale() or "es")
    name = current_actor().name
    course = j.catalogue.courses[activity.course_id].title.get(lang)
    subtitle = " · ".join(p for p in (course, name, format_date(datetime.now(UTC), "long")) if p)
    body = documents.worksheet_pdf(
        activity.title.get(lang),
        subtitle,
        [(f.label.get(lang), values.get(f.id, "")) for f in activity.fields],
        lang,
    )
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="senda-{activity.id}-{lang}.pdf"'
    )
    return response
