"""Her follow-up surveys, 3 and 6 months after she completed her pathway.

At launch a due survey is offered first (services/launches.py); here she answers it, asks to be
asked later, or declines it for good, and she may leave a contact for the programme team to
call her if she no longer opens the LMS. Only her own surveys exist for her: another woman's id
is not found.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_date
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.actor import Role
from lti_tool.services import followup
from lti_tool.services.errors import FollowUpClosed, NotDueYet, TooManyPostponements
from lti_tool.web.forms import FollowUpContactSchema, errors_of
from lti_tool.web.session import current_actor, require_role

bp = Blueprint("followup", __name__, url_prefix="/followup")
participant = require_role(Role.PARTICIPANT)

ANSWER_ERRORS = {
    "required": lambda: _("Choose one of the answers."),
    "unknown-option": lambda: _("Choose one of the answers."),
    "too-long": lambda: _("This answer is too long."),
}


def answer_messages(errors: dict[str, str]) -> dict[str, str]:
    """The service's error codes as messages; a field the survey does not ask is a bad request
    (a tampered form), not something to show."""
    if any(code not in ANSWER_ERRORS for code in errors.values()):
        abort(400)
    return {question: ANSWER_ERRORS[code]() for question, code in errors.items()}


def submitted_answers() -> dict[str, str]:
    return {key: value for key, value in request.form.items() if key != "csrf_token"}


@bp.get("")
@participant
def index() -> ResponseReturnValue:
    """Her follow-up surveys and the contact she left (or the form to leave one)."""
    return render_template(
        "followup/index.html", mine=followup.mine(current_actor()), errors={}, form={}
    )


@bp.post("/contact")
@participant
def contact() -> ResponseReturnValue:
    actor = current_actor()
    try:
        data = FollowUpContactSchema().load(request.form)
    except ValidationError as exc:
        form = {k: v for k, v in request.form.items() if k in ("channel", "value", "consent")}
        return render_template(
            "followup/index.html", mine=followup.mine(actor), errors=errors_of(exc), form=form
        ), 400
    followup.set_contact(actor, data["channel"], data["value"])
    flash(_("Thank you. The programme team may contact you only about these surveys."), "ok")
    return redirect(url_for("followup.index"))


@bp.post("/contact/delete")
@participant
def delete_contact() -> ResponseReturnValue:
    followup.delete_contact(current_actor())
    flash(_("Your contact was deleted."), "ok")
    return redirect(url_for("followup.index"))


@bp.get("/<int:follow_up_id>")
@participant
def survey(follow_up_id: int) -> ResponseReturnValue:
    page = followup.survey_page(current_actor(), follow_up_id)
    return render_template("followup/survey.html", page=page, errors={}, answers={})


@bp.post("/<int:follow_up_id>")
@participant
def answer(follow_up_id: int) -> ResponseReturnValue:
    actor = current_actor()
    submitted = submitted_answers()
    try:
        errors = followup.answer(actor, follow_up_id, submitted)
    except FollowUpClosed:
        if followup.survey_page(actor, follow_up_id).status == "answered":
            # A double tap, or Back and send again: the answers are in, nothing went wrong.
            flash(
                _("This survey was answered already: the first answers are kept. Thank you!"), "ok"
            )
            return redirect(url_for("learner.entry"))
        flash(_("This survey is closed already. Nothing was changed."), "error")
        return redirect(url_for("followup.index"))
    except NotDueYet:
        abort(400)
    if errors:
        page = followup.survey_page(actor, follow_up_id)
        return render_template(
            "followup/survey.html", page=page, errors=answer_messages(errors), answers=submitted
        ), 400
    flash(_("Thank you! Your answers were saved."), "ok")
    return redirect(url_for("learner.entry"))


@bp.post("/<int:follow_up_id>/later")
@participant
def later(follow_up_id: int) -> ResponseReturnValue:
    try:
        until = followup.postpone(current_actor(), follow_up_id)
    except (FollowUpClosed, NotDueYet, TooManyPostponements):
        flash(_("This survey cannot be postponed again. Nothing was changed."), "error")
        return redirect(url_for("followup.survey", follow_up_id=follow_up_id))
    flash(_("All right. We will ask you again after %(date)s.", date=format_date(until)), "ok")
    return redirect(url_for("learner.entry"))


@bp.post("/<int:follow_up_id>/decline")
@participant
def decline(follow_up_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        followup.decline(actor, follow_up_id)
    except FollowUpClosed:
        # Declined already (a double tap) is what she asked for; answered already is not.
        if followup.survey_page(actor, follow_up_id).status != "declined":
            flash(_("This survey is closed already. Nothing was changed."), "error")
            return redirect(url_for("followup.index"))
    flash(_("All right. We will not ask you this survey again."), "ok")
    return redirect(url_for("learner.entry"))
