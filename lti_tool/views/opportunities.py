"""The opportunities board: a participant's view (hers first; links open in a new window), and
the page where the programme team and tutors post and withdraw offers and calls."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import ValidationError

from courses import opportunities as rules
from lti_tool.actor import Role
from lti_tool.services import opportunities
from lti_tool.web.forms import REGIONS, OpportunitySchema, errors_of
from lti_tool.web.session import current_actor, require_role
from lti_tool.web.templating import per_language

bp = Blueprint("opportunities", __name__, url_prefix="/opportunities")
participant = require_role(Role.PARTICIPANT)
launched = require_role()


def _names() -> dict[str, Any]:
    return {
        "opportunity_kind_names": {
            "job": _("Job offer"),
            "job-fair": _("Job fair"),
            "entrepreneurship-fair": _("Entrepreneurship fair"),
            "funding": _("Funding call"),
            "seed-capital": _("Seed capital"),
        },
        "pathway_names": {
            "employment": _("Employment"),
            "entrepreneurship": _("Entrepreneurship"),
        },
    }


@bp.get("")
@participant
def board() -> ResponseReturnValue:
    return render_template("opportunities/board.html", board=opportunities.board(current_actor()))


@bp.get("/manage")
@launched
def manage() -> ResponseReturnValue:
    return _manage_page({}, {}, 200)


def _manage_page(form: dict[str, Any], errors: dict[str, str], status: int) -> Any:
    current, past = opportunities.manage(current_actor())
    return render_template(
        "opportunities/manage.html",
        current=current,
        past=past,
        form=form,
        errors=errors,
        kinds=rules.KINDS,
        pathways=rules.PATHWAYS,
        regions=REGIONS,
        today=opportunities.today(),
    ), status


@bp.post("/manage")
@launched
def post() -> ResponseReturnValue:
    raw = dict(request.form)
    try:
        data = OpportunitySchema().load(raw)
    except ValidationError as exc:
        return _manage_page(raw, errors_of(exc), 400)
    try:
        _id, new = opportunities.post_once(current_actor(), data)
    except ValueError:
        return _manage_page(raw, {"closes_on": _("The closing date has passed.")}, 400)
    if new:
        flash(_("Posted. Participants see it until its closing date."), "ok")
    else:
        flash(_("It was on the board already: it was not posted twice."), "ok")
    return redirect(url_for("opportunities.manage"))


@bp.post("/<int:opportunity_id>/withdraw")
@launched
def withdraw(opportunity_id: int) -> ResponseReturnValue:
    opportunities.withdraw(current_actor(), opportunity_id)
    flash(_("Withdrawn: participants no longer see it."), "ok")
    return redirect(url_for("opportunities.manage"))


bp.app_context_processor(per_language(_names))
