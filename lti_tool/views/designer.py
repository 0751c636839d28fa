"""Designers' pages: browse the programme in either language, preview any activity exactly as a
participant sees it, read the validation report, import the content folder, and move a cohort
to the newest content version."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from courses.authoring.errors import ContentInvalid
from courses.authoring.tree import tree_digest
from lti_tool.auth import current_actor, require_role
from lti_tool.extensions import db
from lti_tool.models import ContentVersion, Enrolment
from lti_tool.services import content, versions
from lti_tool.views.learner import render_activity

bp = Blueprint("designer", __name__, url_prefix="/design")
designer = require_role("designer")


def _catalogue() -> tuple[int, object]:
    found = content.latest_catalogue()
    if found is None:
        abort(404)
    return found


@bp.get("")
@designer
def index() -> ResponseReturnValue:
    found = content.latest_catalogue()
    version_id, catalogue = found if found else (None, None)
    return render_template("designer/index.html", catalogue=catalogue, version_id=version_id)


@bp.get("/courses/<course_id>")
@designer
def course(course_id: str) -> ResponseReturnValue:
    _version_id, catalogue = _catalogue()
    found = catalogue.courses.get(course_id)  # type: ignore[attr-defined]
    if found is None:
        abort(404)
    return render_template("designer/course.html", catalogue=catalogue, course=found)


@bp.get("/activities/<activity_id>")
@designer
def preview(activity_id: str) -> ResponseReturnValue:
    """The participant's page for this activity, without saving anything."""
    _version_id, catalogue = _catalogue()
    activity = catalogue.activities.get(activity_id)  # type: ignore[attr-defined]
    if activity is None:
        abort(404)
    return render_activity(catalogue, activity, None, preview=True)  # type: ignore[arg-type]


@bp.get("/checks")
@designer
def validation() -> ResponseReturnValue:
    """The validation report of the content folder, and how it compares to the latest import."""
    root = content.content_root()
    errors = content.validate(root) if root.is_dir() else None
    latest = db.session.scalar(select(ContentVersion).order_by(ContentVersion.id.desc()).limit(1))
    folder_digest = tree_digest(root) if root.is_dir() else None
    context_id = current_actor().context_id
    behind = 0
    if latest is not None and context_id is not None:
        behind = (
            db.session.scalar(
                select(func.count())
                .select_from(Enrolment)
                .where(
                    Enrolment.context_id == context_id, Enrolment.content_version_id != latest.id
                )
            )
            or 0
        )
    return render_template(
        "designer/checks.html",
        errors=errors,
        root=root,
        latest=latest,
        changed=latest is None or folder_digest != latest.digest,
        behind=behind,
    )


@bp.post("/import")
@designer
def import_content() -> ResponseReturnValue:
    try:
        result = content.import_tree()
    except ContentInvalid as exc:
        flash(_("Not imported: the content has %(num)s problem(s).", num=len(exc.errors)), "error")
    else:
        if result.created:
            flash(_("Imported as version %(id)s.", id=result.version_id), "ok")
        else:
            flash(_("Nothing changed since version %(id)s.", id=result.version_id), "ok")
    return redirect(url_for("designer.validation"))


@bp.post("/migrate")
@designer
def migrate() -> ResponseReturnValue:
    """Move every participant of this LMS course to the newest content version."""
    context_id = current_actor().context_id
    if context_id is None:
        abort(404)
    moved = versions.migrate_context(context_id)
    flash(_("%(num)s participant(s) moved to the newest content.", num=moved), "ok")
    return redirect(url_for("designer.validation"))


@bp.get("/lang/<lang>")
@designer
def lang(lang: str) -> ResponseReturnValue:
    """Shortcut for previewing in the other language (same as the language button)."""
    from flask import session

    if lang in ("es", "en"):
        session["locale"] = lang
    return redirect(request.referrer or url_for("designer.index"))
