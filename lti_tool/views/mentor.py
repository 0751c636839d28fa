"""Mentors' pages: her profile, the sessions she offers (with the women signed up, attendance and
a private note), her volunteer hours, and the women she accompanies: her Leadership School
mentees (their progress and homework, and her notes to them) and, when the LMS launched her with
the Mentor role, the participants it says she mentors in that course (their progress only).

Any launched session may ask: the services check that she is a mentor (the LTI Mentor role or the
programme's mentor grant) and that each session and mentee is hers (else 404).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.services import content, mentoring, revisions, schools
from lti_tool.services.errors import Refused
from lti_tool.web.forms import (
    REGIONS,
    ConfirmSchema,
    MentoringAttendanceSchema,
    MentoringSessionSchema,
    MentorNoteSchema,
    MentorProfileSchema,
    errors_of,
    form_data,
    without_blanks,
)
from lti_tool.web.session import current_actor, require_role

bp = Blueprint("mentor", __name__, url_prefix="/mentor")
launched = require_role()


def _topic_names() -> dict[str, str]:
    locale = str(get_locale() or "es")
    return {t.id: t.title.get(locale) for t in mentoring.topics()}


def refusal(reason: str) -> str:
    """What a refused request tells the person, in her language."""
    messages = {
        "no-profile": _("Write your mentor profile first: participants read it before signing up."),
        "topic": _("Choose one of the topics."),
        "topics": _("Choose at least one topic."),
        "modes": _("Choose at least one way to meet."),
        "when": _("Choose a date and time from now to a year ahead."),
        "where": _("An online session needs its link; a session in person needs its place."),
        "month-full": _(
            "You already offer as many sessions that month as your profile says. Change the "
            "number in your profile, or choose another month."
        ),
        "co-mentor": _("Choose a co-mentor from the list."),
        "not-started": _("You can take attendance once the session has started."),
        "closed": _("This session has started or was cancelled: it can no longer change."),
        "empty": _("Write a note of up to 2000 characters."),
    }
    return messages.get(reason, _("That cannot be done now."))


@bp.get("")
@launched
def index() -> ResponseReturnValue:
    home = mentoring.home(current_actor())
    latest = content.latest_catalogue()
    return render_template(
        "mentor/index.html",
        home=home,
        topic_names=_topic_names(),
        catalogue=latest[1] if latest else None,
    )


@bp.route("/profile", methods=["GET", "POST"])
@launched
def profile() -> ResponseReturnValue:
    """Her public profile: topics, a short bio in her words, region, how she meets, and how
    many sessions a month she offers."""
    actor = current_actor()
    current = mentoring.my_profile(actor)
    errors: dict[str, str] = {}
    form: dict[str, Any] = {}
    stale: list[str] = []
    if request.method == "POST":
        form = form_data(request.form, lists=("topics",))
        try:
            data = MentorProfileSchema().load(form)
        except ValidationError as exc:
            errors = errors_of(exc)
        else:
            try:
                mentoring.save_profile(
                    actor,
                    data["bio"],
                    data["region"],
                    data["topics"],
                    data["online"],
                    data["in_person"],
                    data["per_month"],
                    data["revision"],
                )
            except revisions.Stale:
                # The form shows the newer profile; what she sent is shown to copy.
                stale, form = [data["bio"]], {}
            except Refused as exc:
                errors[exc.reason] = refusal(exc.reason)
            else:
                flash(_("Your profile was saved."), "ok")
                return redirect(url_for("mentor.index"))
    return render_template(
        "mentor/profile.html",
        profile=current,
        topics=mentoring.topics(),
        regions=REGIONS,
        errors=errors,
        form=form,
        stale=stale,
    ), (409 if stale else 400 if errors else 200)


# Where a refused offer's message goes: beside the field it is about.
_OFFER_REFUSAL_FIELDS = {
    "topic": "topic_id",
    "when": "starts_at",
    "month-full": "starts_at",
    "co-mentor": "co_mentor_id",
}


def _offer_refusal_field(reason: str, mode: str) -> str:
    if reason == "where":
        return "place" if mode == "in_person" else "meeting_url"
    return _OFFER_REFUSAL_FIELDS.get(reason, "form")


@bp.route("/sessions/new", methods=["GET", "POST"])
@launched
def offer() -> ResponseReturnValue:
    """Offer a small-group session: topic, date and time in Chile, link or place, places."""
    actor = current_actor()
    own = mentoring.my_profile(actor)
    if own is None:
        flash(refusal("no-profile"), "error")
        return redirect(url_for("mentor.profile"))
    errors: dict[str, str] = {}
    form: dict[str, Any] = dict(request.form)
    if request.method == "POST":
        try:
            # A link left blank is no link (an in-person session has none), not a bad one.
            data = MentoringSessionSchema().load(
                without_blanks(form_data(request.form), "co_mentor_id", "meeting_url")
            )
        except ValidationError as exc:
            errors = errors_of(exc)
        else:
            try:
                session_id = mentoring.offer(
                    actor,
                    mentoring.NewSession(
                        topic_id=data["topic_id"],
                        starts_at_local=data["starts_at"],
                        duration_minutes=data["duration_minutes"],
                        mode=data["mode"],
                        meeting_url=data["meeting_url"],
                        place=data["place"],
                        region=data["region"],
                        capacity=data["capacity"],
                        details=data["details"],
                        co_mentor_id=data["co_mentor_id"],
                    ),
                )
            except Refused as exc:
                errors[_offer_refusal_field(exc.reason, data["mode"])] = refusal(exc.reason)
            else:
                flash(_("Your session was published. Participants can sign up now."), "ok")
                return redirect(url_for("mentor.session", session_id=session_id))
    return render_template(
        "mentor/offer.html",
        profile=own,
        topics=mentoring.topics(),
        regions=REGIONS,
        interns=mentoring.interns(actor),
        errors=errors,
        form=form,
    ), (400 if errors else 200)


def _session_page(
    session_id: int,
    errors: dict[str, str] | None = None,
    status: int = 200,
    form: Mapping[str, Any] | None = None,
    stale: list[str] | None = None,
) -> ResponseReturnValue:
    """The session's page; after a refused form, with its messages beside the fields and what
    she typed and ticked (`form`), or what she sent from an older page (`stale`)."""
    detail = mentoring.session_detail(current_actor(), session_id)
    return render_template(
        "mentor/session.html",
        d=detail,
        topic_names=_topic_names(),
        errors=errors or {},
        form=form or {},
        stale=stale,
    ), status


@bp.get("/sessions/<int:session_id>")
@launched
def session(session_id: int) -> ResponseReturnValue:
    return _session_page(session_id)


@bp.post("/sessions/<int:session_id>/attendance")
@launched
def attendance(session_id: int) -> ResponseReturnValue:
    """Who came, and a short private note; the session counts as held."""
    actor = current_actor()
    form = form_data(request.form, lists=("present",))
    try:
        data = MentoringAttendanceSchema().load(form)
    except ValidationError as exc:
        return _session_page(session_id, errors_of(exc), 400, form)
    try:
        count = mentoring.record_attendance(
            actor, session_id, data["present"], data["note"], data["revision"]
        )
    except revisions.Stale:
        return _session_page(session_id, status=409, stale=[data["note"]])
    except Refused as exc:
        return _session_page(session_id, {"form": refusal(exc.reason)}, 409)
    flash(
        ngettext(
            "Attendance saved: %(num)s woman came.", "Attendance saved: %(num)s women came.", count
        ),
        "ok",
    )
    return redirect(url_for("mentor.session", session_id=session_id))


@bp.post("/sessions/<int:session_id>/cancel")
@launched
def cancel(session_id: int) -> ResponseReturnValue:
    try:
        ConfirmSchema().load(request.form)
    except ValidationError:
        return _session_page(session_id, {"confirm": _("Tick the box to confirm.")}, 400)
    try:
        cancelled = mentoring.cancel_session(current_actor(), session_id)
    except Refused as exc:
        return _session_page(session_id, {"form": refusal(exc.reason)}, 409)
    if cancelled:
        flash(_("The session was cancelled. The women signed up will see it."), "ok")
    return redirect(url_for("mentor.index"))


# ---------------------------------------------------------------- the women she accompanies
@bp.get("/mentees/<int:user_id>")
@launched
def mentee(user_id: int) -> ResponseReturnValue:
    """A participant of this LMS course in her role_scope_mentor: progress only."""
    member = mentoring.mentee(current_actor(), user_id)
    latest = content.latest_catalogue()
    return render_template(
        "mentor/mentee.html", member=member, catalogue=latest[1] if latest else None
    )


@bp.get("/school/<int:member_id>")
@launched
def school_mentee(member_id: int) -> ResponseReturnValue:
    """Her Leadership School mentee: progress, homework and the notes."""
    page = schools.mentee_page(current_actor(), member_id)
    return render_template("mentor/school_mentee.html", page=page, errors={}, form={})


def _note_refused(member_id: int, errors: dict[str, str]) -> ResponseReturnValue:
    """Her mentee's page again, with the message beside the note and the note she wrote."""
    page = schools.mentee_page(current_actor(), member_id)
    return render_template(
        "mentor/school_mentee.html", page=page, errors=errors, form=request.form
    ), 400


@bp.post("/school/<int:member_id>/notes")
@launched
def add_note(member_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        data = MentorNoteSchema().load(request.form)
    except ValidationError as exc:
        return _note_refused(member_id, errors_of(exc))
    try:
        schools.add_note(actor, member_id, data["body"], seen=data["seen"])
    except Refused as exc:
        return _note_refused(member_id, {"body": refusal(exc.reason)})
    flash(_("Your note was saved. She can read it on her school page."), "ok")
    return redirect(url_for("mentor.school_mentee", member_id=member_id))
