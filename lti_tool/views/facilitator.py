"""Course staff's pages: their cohort, each participant's plan, workshops, attendance, grades.

Everything is scoped to the LMS course of the session (`cohort.scope_of`): a facilitator of course
X never sees a participant of course Y (404), whatever ids she types.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError

from courses import progression, signals
from lti_tool.actor import COURSE_STAFF
from lti_tool.services import cohort, content, grades, roster
from lti_tool.services.errors import Refused
from lti_tool.web import live_sessions
from lti_tool.web.forms import (
    AttendanceFormSchema,
    PlanOverrideSchema,
    WorkshopSessionSchema,
    errors_of,
    form_data,
    id_set,
)
from lti_tool.web.session import current_actor, require_role
from lti_tool.web.templating import per_language

bp = Blueprint("facilitator", __name__, url_prefix="/cohort")
staff = require_role(*COURSE_STAFF)


def _scope() -> cohort.CourseScope:
    return cohort.scope_of(current_actor())


@bp.get("", endpoint="cohort")
@staff
def cohort_page() -> ResponseReturnValue:
    """Who needs a call this week (and why) at the top; everyone below."""
    scope = _scope()
    members = cohort.members(scope)
    calls = cohort.needing_calls(members)
    latest = content.latest_catalogue()
    return render_template(
        "facilitator/cohort.html",
        roster_url=cohort.course(scope).memberships_url,
        members=members,
        calls=calls,
        call_counts=signals.counts(m.call for m in calls if m.call is not None),
        stuck_tries=signals.STUCK_TRIES,
        catalogue=latest[1] if latest else None,
    )


@bp.get("/participants/<int:user_id>")
@staff
def participant(user_id: int) -> ResponseReturnValue:
    user, journey = cohort.participant(_scope(), user_id)
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
        data = PlanOverrideSchema().load(form_data(request.form, lists=("courses",)))
    except ValidationError:
        abort(400)
    if cohort.change_plan(_scope(), user_id, data["level"], data["courses"]):
        flash(_("The plan was updated."), "ok")
    else:
        flash(_("Nothing changed: her plan was already like this."), "ok")
    return redirect(url_for("facilitator.participant", user_id=user_id))


# ------------------------------------------------------------------------------ workshops
@bp.route("/workshops", methods=["GET", "POST"])
@staff
def workshops() -> ResponseReturnValue:
    """Schedule live sessions (date, time, meeting link) for this LMS course."""
    scope = _scope()
    errors: dict[str, str] = {}
    offered = cohort.workshops()
    if request.method == "POST":
        try:
            data = WorkshopSessionSchema().load(request.form)
        except ValidationError as exc:
            errors = errors_of(exc)
        else:
            if data["activity_id"] not in offered:
                errors["activity_id"] = _("Choose a workshop.")
        if not errors:
            _session, new = cohort.schedule(
                scope,
                current_actor(),
                data["activity_id"],
                data["starts_at"],
                data["meeting_url"],
                data["note"],
            )
            if new:
                flash(_("The session was scheduled."), "ok")
            else:
                flash(_("This session was scheduled already: it was not scheduled twice."), "ok")
            return redirect(url_for("facilitator.workshops"))
    return render_template(
        "facilitator/workshops.html",
        workshops=offered,
        sessions=cohort.sessions(scope),
        errors=errors,
        form=request.form,
    ), (400 if errors else 200)


def refusal(reason: str) -> str:
    """What a refused change of a session tells the facilitator, in her language."""
    messages = {
        "not-started": _(
            "You can take attendance once the session has started. Come back after it begins."
        ),
        "cancelled": _("This session was cancelled: it can no longer change."),
        "attended": _(
            "Attendance was already taken for this session: it cannot be cancelled or moved to "
            "a time still to come."
        ),
    }
    return messages.get(reason, _("That cannot be done now."))


@bp.route("/workshops/<int:session_id>", methods=["GET", "POST"])
@staff
def attendance(session_id: int) -> ResponseReturnValue:
    """Take attendance: attending completes the workshop for each participant marked present.
    Only once the session has started, and never for a cancelled one (409, nothing written)."""
    scope = _scope()
    session = cohort.session_of(scope, session_id)
    refused = ""
    if request.method == "POST":
        try:
            data = AttendanceFormSchema().load(form_data(request.form, lists=("present",)))
        except ValidationError:
            abort(400)
        shown = data["shown"]
        try:
            changed = cohort.record_attendance(
                scope,
                session_id,
                set(data["present"]),
                current_actor().user_id,
                shown_present=None if shown is None else id_set(shown),
            )
        except Refused as exc:
            refused = refusal(exc.reason)
        else:
            if changed:
                flash(
                    ngettext(
                        "Attendance saved (%(num)s change).",
                        "Attendance saved (%(num)s changes).",
                        changed,
                    ),
                    "ok",
                )
            else:
                flash(_("Nothing changed: the attendance was already saved like this."), "ok")
            return redirect(url_for("facilitator.attendance", session_id=session_id))
    present = cohort.attendance(session.id)
    return render_template(
        "facilitator/attendance.html",
        session=session,
        started=cohort.has_started(session),
        refused=refused,
        activity=cohort.workshops().get(session.activity_id),
        members=cohort.members(scope),
        present=present,
        shown=",".join(str(user_id) for user_id, here in sorted(present.items()) if here),
    ), (409 if refused else 200)


def _edit_page(
    session: cohort.WorkshopSession, status: int = 200, **shown: Any
) -> ResponseReturnValue:
    """The change page of a session of her pathway (live_sessions.change_page)."""
    return live_sessions.change_page(
        "facilitator/session_edit.html",
        (session.starts_at, session.meeting_url, session.note, session.revision),
        status,
        session=session,
        activity=cohort.workshops().get(session.activity_id),
        **shown,
    )


@bp.route("/workshops/<int:session_id>/edit", methods=["GET", "POST"])
@staff
def edit_session(session_id: int) -> ResponseReturnValue:
    """Change a session's time, link or note; or cancel it. A save from an older page (another
    tab, another facilitator saved since) is refused (409) and what she sent is shown."""
    scope = _scope()
    session = cohort.session_of(scope, session_id)
    if request.method == "GET":
        return _edit_page(session)
    return live_sessions.save_change(
        partial(_edit_page, session),
        lambda starts_at, meeting_url, note, revision: cohort.update_session(
            scope, session_id, starts_at, meeting_url, note, revision=revision
        ),
        refusal,
        url_for("facilitator.workshops"),
    )


@bp.post("/workshops/<int:session_id>/cancel")
@staff
def cancel_session(session_id: int) -> ResponseReturnValue:
    """Cancel a session (after a tick that says so): it leaves the participants' plans."""
    scope = _scope()
    session = cohort.session_of(scope, session_id)
    return live_sessions.cancel(
        partial(_edit_page, session),
        lambda: cohort.cancel_session(scope, session_id),
        refusal,
        url_for("facilitator.workshops"),
        _("The session was cancelled. Participants see it as cancelled."),
    )


@bp.post("/roster")
@staff
def sync_roster() -> ResponseReturnValue:
    """Fetch the LMS's member list (all pages), so nobody is missed."""
    try:
        count = roster.sync(_scope())
    except roster.NoRosterService:
        flash(_("This LMS course does not share its member list with Senda."), "error")
    except roster.LmsUnavailable:
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
@bp.get("/grades", endpoint="grades")
@staff
def grades_page() -> ResponseReturnValue:
    """What reached the LMS gradebook, what waits, and what failed and why (failed first, with
    a retry button); `?show=failed|waiting|sent` shows only those."""
    show = request.args.get("show") or None
    if show is not None and show not in grades.FILTERS:
        abort(400)
    rows, counts = grades.course_scores(current_actor(), show)
    latest = content.latest_catalogue()
    return render_template(
        "facilitator/grades.html",
        rows=rows,
        counts=counts,
        show=show,
        catalogue=latest[1] if latest else None,
        **_grade_words(),
    )


def _make_grade_words() -> dict[str, dict[str, str]]:
    return {
        "reason_names": {
            "token": _(
                "The LMS refused Senda's access key (token). Ask the LMS administrator to check "
                "Senda's registration and its permission to send grades."
            ),
            "forbidden": _(
                "The LMS does not let Senda send grades to this activity. Ask the LMS "
                "administrator to allow Senda's grade service."
            ),
            "unreachable": _("The LMS was unreachable: it did not answer in time."),
            "lms-error": _("The LMS had a problem on its side."),
            "busy": _("The LMS was busy and asked Senda to wait."),
            "gone": _("The grade column of this activity is gone from the LMS (it was deleted)."),
            "refused": _(
                "The LMS refused the score. Check that she is still enrolled as a student in "
                "the LMS course."
            ),
            "no-column": _(
                "This activity has no grade column in the LMS, and the LMS does not let Senda "
                "create one."
            ),
            "unsafe": _(
                "The LMS gave an address for grades outside its own site, so Senda did not send "
                "the score."
            ),
            "unreadable": _("The LMS answered something Senda could not read."),
            "other": _("Something unexpected went wrong."),
        },
        "progress_names": {
            "Initialized": _("not started"),
            "Started": _("started"),
            "InProgress": _("in progress"),
            "Submitted": _("submitted"),
            "Completed": _("completed"),
        },
    }


_grade_words = per_language(_make_grade_words)


@bp.post("/grades/<int:score_id>/retry")
@staff
def retry_grade(score_id: int) -> ResponseReturnValue:
    if grades.retry(score_id, current_actor()):
        flash(_("The score will be sent again."), "ok")
    return redirect(url_for("facilitator.grades"))
