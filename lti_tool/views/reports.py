"""The programme team's outcome pages: the report (reach, retention, completion, workshops,
follow-up outcomes) with its CSV, the list of due follow-ups to call, and answers given on the
phone.

Anyone launched may ask; the services refuse (403) without a programme-team grant. Small counts
are hidden by the service, so the page, its charts and the CSV can only show what it returns.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.actor import Actor
from lti_tool.services import reports
from lti_tool.services.errors import FollowUpClosed, NotDueYet
from lti_tool.views.followup import answer_messages, submitted_answers
from lti_tool.web.forms import ConfirmSchema, ReportFiltersSchema, errors_of
from lti_tool.web.session import current_actor, require_role

bp = Blueprint("reports", __name__, url_prefix="/programme")
launched = require_role()


# The fields she types (a browser without a date picker shows a text box): a mistake in them
# is said beside them. Any other bad value comes from an edited address: a plain 400.
_TYPED = frozenset({"start", "end"})


def _filters() -> tuple[reports.Filters | None, dict[str, str]]:
    """The filters of the query string, or None and a message for each date typed wrong."""
    raw = {key: value for key, value in request.args.items() if value.strip()}
    try:
        data = ReportFiltersSchema().load(raw)
    except ValidationError as exc:
        if not set(exc.normalized_messages()) <= _TYPED:
            abort(400)
        return None, errors_of(exc)
    filters = reports.Filters(
        start=data["start"],
        end=data["end"],
        region=data["region"] or None,
        pathway=data["pathway"] or None,
        cohort_id=data["cohort"],
    )
    return filters, {}


@bp.get("/reports")
@launched
def report() -> ResponseReturnValue:
    filters, errors = _filters()
    if filters is None:
        # Only the filter form, with what she typed and each message beside its date: no
        # figures, not even the unfiltered ones, which could pass for the period she asked.
        choices = reports.filter_choices(current_actor())
        return render_template(
            "reports/report.html", report=None, choices=choices, typed=request.args, errors=errors
        ), 400
    result = reports.report(current_actor(), filters)
    return render_template(
        "reports/report.html",
        report=result,
        choices=result.choices,
        typed=filters.as_query(),
        errors={},
    )


@bp.get("/reports.csv")
@launched
def report_csv() -> ResponseReturnValue:
    filters, _errors = _filters()
    if filters is None:  # the page's link carries only filters the page accepted
        abort(400)
    result = reports.report(current_actor(), filters)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(reports.csv_rows(result))
    stamp = result.generated_at.strftime("%Y-%m-%d")
    return Response(
        "\ufeff" + buffer.getvalue(),  # a BOM, so that spreadsheet programs read UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="senda-report-{stamp}.csv"'},
    )


# ---------------------------------------------------------------------------- follow-up calls
@bp.get("/follow-up")
@launched
def calls() -> ResponseReturnValue:
    """Due follow-ups of women who agreed to be contacted: name and contact only."""
    return render_template("reports/calls.html", due=reports.due_contacts(current_actor()))


@bp.get("/follow-up/<int:follow_up_id>")
@launched
def phone(follow_up_id: int) -> ResponseReturnValue:
    form = reports.phone_form(current_actor(), follow_up_id)
    return render_template("reports/phone.html", form=form, errors={}, answers={})


@bp.post("/follow-up/<int:follow_up_id>")
@launched
def phone_answers(follow_up_id: int) -> ResponseReturnValue:
    actor = current_actor()
    submitted = submitted_answers()
    agreed = submitted.pop("confirm", "") == "true"
    if not agreed:
        # Every mistake at once: the unticked box and any unanswered question.
        errors = answer_messages(reports.phone_answer_errors(actor, follow_up_id, submitted))
        errors["confirm"] = _("Tick the box to confirm that she agreed to answer.")
        return _phone_page(actor, follow_up_id, errors, submitted)
    try:
        errors = reports.enter_by_phone(actor, follow_up_id, submitted)
    except FollowUpClosed:
        if reports.phone_form(actor, follow_up_id).status == "answered":
            # A double tap, or Back and send again: her answers are in, nothing went wrong.
            flash(_("Her answers were saved already: the first answers are kept."), "ok")
            return redirect(url_for("reports.calls"))
        flash(_("This survey is closed already. Nothing was changed."), "error")
        return redirect(url_for("reports.calls"))
    except NotDueYet:
        abort(400)
    if errors:
        return _phone_page(actor, follow_up_id, answer_messages(errors), submitted)
    flash(_("Her answers were saved, marked as given on the phone."), "ok")
    return redirect(url_for("reports.calls"))


def _phone_page(
    actor: Actor, follow_up_id: int, errors: dict[str, str], answers: dict[str, str]
) -> ResponseReturnValue:
    """The phone form again (400) with what was typed and each message beside its field."""
    form = reports.phone_form(actor, follow_up_id)
    return render_template("reports/phone.html", form=form, errors=errors, answers=answers), 400


@bp.post("/follow-up/<int:follow_up_id>/decline")
@launched
def phone_decline(follow_up_id: int) -> ResponseReturnValue:
    actor = current_actor()
    try:
        ConfirmSchema().load(request.form)
    except ValidationError:
        # Final, so never recorded without the box ticked; said beside the box.
        errors = {"decline": _("Tick the box to confirm that she does not want to answer.")}
        return _phone_page(actor, follow_up_id, errors, {})
    try:
        reports.decline_by_phone(actor, follow_up_id)
    except FollowUpClosed:
        # Declined already (a double tap) is what the team recorded; answered already is not.
        if reports.phone_form(actor, follow_up_id).status != "declined":
            flash(_("This survey is closed already. Nothing was changed."), "error")
            return redirect(url_for("reports.calls"))
    flash(_("Recorded: she does not want to answer. She will not be asked again."), "ok")
    return redirect(url_for("reports.calls"))
