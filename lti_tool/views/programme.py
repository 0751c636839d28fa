"""The programme team's pages: every LMS course of the programme, the people and their roles,
erasure on request, and the content (import a new version, move cohorts to it).

Anyone launched may ask; the services refuse (403) without a programme-team grant, and an id of
another programme's course or person is not found (404).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from marshmallow import ValidationError

from courses.authoring.errors import ContentInvalid
from lti_tool.actor import PROGRAMME_ROLES, Role
from lti_tool.services import cohort, content, privacy, programme, versions
from lti_tool.web.forms import REGIONS, ConfirmSchema, GrantSchema
from lti_tool.web.session import current_actor, require_role

bp = Blueprint("programme", __name__, url_prefix="/programme")
launched = require_role()


@bp.get("")
@launched
def index() -> ResponseReturnValue:
    actor = current_actor()
    return render_template(
        "programme/index.html",
        courses=programme.courses(actor),
        grants=programme.grants_of(actor),
    )


@bp.get("/courses/<int:context_id>")
@launched
def course(context_id: int) -> ResponseReturnValue:
    scope = programme.course_scope(current_actor(), context_id)
    latest = content.latest_catalogue()
    return render_template(
        "programme/course.html",
        course=cohort.course(scope),
        members=cohort.members(scope),
        catalogue=latest[1] if latest else None,
        checks=content.checks(context_id),
    )


@bp.post("/courses/<int:context_id>/migrate")
@launched
def migrate(context_id: int) -> ResponseReturnValue:
    """Move every participant of this LMS course to the newest content version."""
    result = versions.migrate_context(programme.course_scope(current_actor(), context_id))
    if result.moved:
        flash(
            ngettext(
                "%(num)s participant moved to the newest content.",
                "%(num)s participants moved to the newest content.",
                result.moved,
            ),
            "ok",
        )
    if result.stayed:
        flash(
            ngettext(
                "%(num)s participant stayed on her version: her pathway is not in the newest "
                "content.",
                "%(num)s participants stayed on their version: their pathway is not in the "
                "newest content.",
                result.stayed,
            ),
            "error",
        )
    if not (result.moved or result.stayed):  # a double tap, or a second tab: nobody was behind
        flash(
            _("Everyone in this course was on the newest content already. Nothing was changed."),
            "ok",
        )
    return redirect(url_for("programme.course", context_id=context_id))


# ---------------------------------------------------------------------------- people
@bp.get("/people")
@launched
def people() -> ResponseReturnValue:
    return _people_page(request.args.get("q", "")[:80])


def _people_page(search: str, erase_error_for: int | None = None) -> str:
    actor = current_actor()
    found = programme.people(actor, search)
    if erase_error_for is not None and all(p.id != erase_error_for for p in found):
        found.insert(0, programme.person(actor, erase_error_for))  # her entry, with its error
    return render_template(
        "programme/people.html",
        people=found,
        grants=programme.team_grants(actor),
        search=search,
        roles=sorted(PROGRAMME_ROLES),
        regions=REGIONS,
        erase_error_for=erase_error_for,
    )


@bp.post("/grants")
@launched
def grant() -> ResponseReturnValue:
    try:
        data = GrantSchema().load(request.form)
    except ValidationError:
        abort(400)
    programme.grant(current_actor(), data["user_id"], Role(data["role"]), data["region"] or None)
    flash(_("The role was granted."), "ok")
    return redirect(url_for("programme.people"))


@bp.post("/grants/<int:grant_id>/revoke")
@launched
def revoke(grant_id: int) -> ResponseReturnValue:
    if programme.revoke(current_actor(), grant_id):
        flash(_("The role was removed."), "ok")
    else:
        flash(_("This role was removed already. Nothing was changed."), "ok")
    return redirect(url_for("programme.people"))


@bp.post("/people/<int:user_id>/erase")
@launched
def erase(user_id: int) -> ResponseReturnValue:
    """Erase a person and everything Senda holds about her, on her request."""
    actor = current_actor()
    programme.require(actor, Role.PROGRAMME_TEAM)
    try:
        ConfirmSchema().load(request.form)
    except ValidationError:
        # It cannot be undone: said beside her box, her entry open, nothing erased.
        return _people_page(request.form.get("q", "")[:80], erase_error_for=user_id), 400
    if privacy.erase_person(actor, user_id):
        flash(_("The person and all her data were erased."), "ok")
    else:
        flash(_("Senda holds nothing about this person any more. Nothing was changed."), "ok")
    return redirect(url_for("programme.people"))


# ---------------------------------------------------------------------------- content
@bp.get("/content")
@launched
def content_page() -> ResponseReturnValue:
    actor = current_actor()
    return render_template(
        "programme/content.html",
        checks=content.checks(None),
        courses=programme.courses(actor),
    )


@bp.post("/content/import")
@launched
def import_content() -> ResponseReturnValue:
    programme.require(current_actor(), Role.PROGRAMME_TEAM)
    try:
        result = content.import_tree()
    except ContentInvalid as exc:
        flash(
            ngettext(
                "Not imported: the content has %(num)s problem.",
                "Not imported: the content has %(num)s problems.",
                len(exc.errors),
            ),
            "error",
        )
    else:
        if result.created:
            flash(_("Imported as version %(id)s.", id=result.version_id), "ok")
        else:
            flash(_("Nothing changed since version %(id)s.", id=result.version_id), "ok")
    return redirect(url_for("programme.content_page"))
