"""Mentoring for participants: small-group sessions by topic and region, mentors' public
profiles, signing up (or joining the waiting list) and cancelling, a calendar file, and a
one-tap rating afterwards. Sessions are held in the mentor's own meeting tool: its link opens in a
new window, never inside the LMS's frame.

Every page is hers: the session ids of another programme are not found (404), and only her own
sign-ups are shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.actor import Role
from lti_tool.services import mentoring, revisions
from lti_tool.services.errors import Refused
from lti_tool.web.forms import REGIONS, ConfirmSchema, RatingSchema, errors_of
from lti_tool.web.session import current_actor, require_role

bp = Blueprint("mentoring", __name__, url_prefix="/mentoring")
participant = require_role(Role.PARTICIPANT)


def _locale() -> str:
    return str(get_locale() or "es")


def _topic_names() -> dict[str, str]:
    return {t.id: t.title.get(_locale()) for t in mentoring.topics()}


def refusal(reason: str) -> str:
    messages = {
        "not-eligible": _(
            "Mentoring sessions open when you complete your pathway. Keep going: you are on your "
            "way."
        ),
        "closed": _("This session has started or was cancelled: sign-ups are closed."),
        "own": _("This is your own session."),
        "not-rateable": _("You can rate a session once it has started, if you had a place."),
        "rating": _("Choose one of the answers."),
    }
    return messages.get(reason, _("That cannot be done now."))


@bp.get("")
@participant
def board() -> ResponseReturnValue:
    topic = request.args.get("topic", "")[:64]
    region = request.args.get("region", "")[:64]
    if region and region not in REGIONS:
        region = ""
    found = mentoring.board(current_actor(), topic, region)
    if topic and topic not in {t.id for t in found.topics}:
        topic = ""
    return render_template(
        "mentoring/board.html",
        board=found,
        topic=topic,
        region=region,
        topic_names=_topic_names(),
    )


def _session_page(
    session_id: int,
    status: int = 200,
    error: str = "",
    form_errors: dict[str, str] | None = None,
    form: Mapping[str, Any] | None = None,
    stale: list[str] | None = None,
) -> ResponseReturnValue:
    """The session's page; after a refused form, with its messages beside the fields and what
    she typed (`form`), or what she sent from an older page (`stale`)."""
    page = mentoring.session_page(current_actor(), session_id)
    return render_template(
        "mentoring/session.html",
        page=page,
        card=page.card,
        topic_names=_topic_names(),
        error=error,
        errors=form_errors or {},
        form=form or {},
        stale=stale,
    ), status


@bp.get("/sessions/<int:session_id>")
@participant
def session(session_id: int) -> ResponseReturnValue:
    return _session_page(session_id)


@bp.post("/sessions/<int:session_id>/sign-up")
@participant
def sign_up(session_id: int) -> ResponseReturnValue:
    try:
        place = mentoring.sign_up(current_actor(), session_id)
    except Refused as exc:
        return _session_page(
            session_id, 403 if exc.reason == "not-eligible" else 409, refusal(exc.reason)
        )
    if place.booked:
        flash(_("You have a place. Add it to your calendar so you do not forget."), "ok")
    else:
        flash(
            _(
                "The session is full: you are number %(num)s on the waiting list. If a place "
                "opens, it is yours and you will see it here.",
                num=place.position,
            ),
            "ok",
        )
    return redirect(url_for("mentoring.session", session_id=session_id))


@bp.post("/sessions/<int:session_id>/cancel")
@participant
def cancel(session_id: int) -> ResponseReturnValue:
    try:
        ConfirmSchema().load(request.form)
    except ValidationError:
        return _session_page(
            session_id, 400, form_errors={"confirm": _("Tick the box to confirm.")}
        )
    try:
        cancelled = mentoring.cancel(current_actor(), session_id)
    except Refused as exc:
        return _session_page(session_id, 409, refusal(exc.reason))
    if cancelled:
        flash(_("Your sign-up was cancelled. Your place goes to the next woman waiting."), "ok")
    return redirect(url_for("mentoring.session", session_id=session_id))


@bp.get("/sessions/<int:session_id>/calendar.ics")
@participant
def calendar(session_id: int) -> ResponseReturnValue:
    """A calendar file for a session she has a place in (America/Santiago, with its rules)."""
    body, filename = mentoring.calendar_file(
        current_actor(),
        session_id,
        _locale(),
        request.host.split(":")[0] or "senda",
        lambda topic: _("Mentoring: %(topic)s", topic=topic),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.post("/sessions/<int:session_id>/rating")
@participant
def rate(session_id: int) -> ResponseReturnValue:
    try:
        data = RatingSchema().load(request.form)
    except ValidationError as exc:
        return _session_page(session_id, 400, form_errors=errors_of(exc), form=request.form)
    try:
        mentoring.rate(
            current_actor(), session_id, data["rating"], data["comment"], data["revision"]
        )
    except revisions.Stale:
        return _session_page(session_id, 409, stale=[data["comment"]])
    except Refused as exc:
        return _session_page(session_id, 409, refusal(exc.reason))
    flash(_("Thank you. Your answer helps the mentors."), "ok")
    return redirect(url_for("mentoring.session", session_id=session_id))


@bp.get("/mentors/<int:mentor_id>")
@participant
def mentor(mentor_id: int) -> ResponseReturnValue:
    profile, sessions = mentoring.public_profile(current_actor(), mentor_id)
    return render_template(
        "mentoring/mentor.html", profile=profile, sessions=sessions, topic_names=_topic_names()
    )
