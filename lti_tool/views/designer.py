"""Designers' pages: browse the programme in either language, preview any activity exactly as a
participant sees it, read the validation report, import the content folder, and move a cohort
to the newest content version."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from courses import progression
from courses.model import Catalogue
from lti_tool.actor import Role
from lti_tool.services import content
from lti_tool.views.learner import render_activity
from lti_tool.web.session import current_actor, require_role
from lti_tool.web.templating import per_language

bp = Blueprint("designer", __name__, url_prefix="/design")
designer = require_role(Role.DESIGNER)


def _catalogue() -> Catalogue:
    found = content.latest_catalogue()
    if found is None:
        abort(404)
    return found[1]


@bp.get("")
@designer
def index() -> ResponseReturnValue:
    found = content.latest_catalogue()
    version_id, catalogue = found if found else (None, None)
    return render_template("designer/index.html", catalogue=catalogue, version_id=version_id)


@bp.get("/courses/<course_id>")
@designer
def course(course_id: str) -> ResponseReturnValue:
    catalogue = _catalogue()
    found = catalogue.courses.get(course_id)
    if found is None:
        abort(404)
    return render_template(
        "designer/course.html",
        catalogue=catalogue,
        course=found,
        rule=progression.completion_rule(catalogue, found.id),
        **_rule_words(),
    )


def _make_rule_words() -> dict[str, dict[str, str]]:
    """Completion rules and phases as sentences (content files hold their keys)."""
    return {
        "completion_names": {
            "lesson:viewed": _("When she reads it and taps “Done”."),
            "media:viewed": _("When she listens to or watches it and taps “Done”."),
            "quiz:passed": _("When she passes it with %(mark)s or more."),
            "quiz:viewed": _("When she answers it once, whatever her score."),
            "reflection:submitted": _("When she writes her reflection and saves it."),
            "reflection:viewed": _("When she opens it and taps “Done”, written or not."),
            "worksheet:submitted": _("When she submits it with every required field filled in."),
            "worksheet:viewed": _("When she taps “Done”, filled in or not."),
            "workshop:attended": _("When a facilitator marks her present at a live session."),
            "workshop:viewed": _("When she opens it and taps “Done”, without attending."),
        },
        "phase_names": {
            "diagnosis": _("Diagnosis"),
            "workshops": _("Workshops"),
            "enablement": _("Job readiness"),
            "job-entry": _("Getting a job"),
        },
    }


_rule_words = per_language(_make_rule_words)


@bp.get("/activities/<activity_id>")
@designer
def preview(activity_id: str) -> ResponseReturnValue:
    """The participant's page for this activity, without saving anything."""
    catalogue = _catalogue()
    activity = catalogue.activities.get(activity_id)
    if activity is None:
        abort(404)
    return render_activity(catalogue, activity, None, preview=True)


@bp.get("/checks")
@designer
def validation() -> ResponseReturnValue:
    """The validation report of the content folder, and how it compares to the latest import.
    Importing and moving cohorts are the programme team's (views/programme.py)."""
    return render_template(
        "designer/checks.html",
        checks=content.checks(current_actor().context_id),
        can_import=Role.PROGRAMME_TEAM.value in session.get("grants", ()),
    )
