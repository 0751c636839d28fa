"""The change page of a live session, the same for the facilitator's sessions of her pathway
and the school team's of a school cohort: saving a new time, link or note, and cancelling.

`page(status, *, form, revision, errors, refused, sent)` draws the area's change page: the
saved session unless `form` (hers, sent back with its errors) and the revision her page showed;
`sent`, what she sent from an older page, beside the saved session for her to copy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import flash, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import ValidationError

from lti_tool.services import revisions
from lti_tool.services.errors import Refused
from lti_tool.web.forms import (
    ConfirmSchema,
    WorkshopSessionEditSchema,
    errors_of,
    saved_session_form,
    sent_session_form,
)

ChangePage = Callable[..., ResponseReturnValue]


def change_page(
    template: str,
    saved: tuple[datetime, str, str, int],
    status: int = 200,
    *,
    form: dict[str, str] | None = None,
    revision: int | None = None,
    errors: dict[str, str] | None = None,
    refused: str = "",
    sent: dict[str, str] | None = None,
    **context: object,
) -> ResponseReturnValue:
    """An area's change page (`template`, with its own `context`) for the session `saved` as
    (starts_at, meeting link, note, revision)."""
    starts_at, meeting_url, note, saved_revision = saved
    return render_template(
        template,
        form=saved_session_form(starts_at, meeting_url, note) if form is None else form,
        revision=saved_revision if revision is None else revision,
        errors=errors or {},
        refused=refused,
        sent=sent,
        **context,
    ), status


# (starts_at in Chile's local time, meeting link, note, revision her page showed) → changed?
SaveChange = Callable[[datetime, str, str, int | None], bool]


def save_change(
    page: ChangePage, save: SaveChange, refusal: Callable[[str], str], done: str
) -> ResponseReturnValue:
    """The change page sent: a bad form is a 400 beside its fields; a save from an older page
    (another tab, someone else saved since) a 409 showing both; success, or "nothing changed"
    for a double tap, is said on `done`."""
    form = sent_session_form(request.form)
    seen = request.form.get("revision", "")
    try:
        data = WorkshopSessionEditSchema().load(request.form)
    except ValidationError as exc:
        kept = int(seen) if seen.isdigit() else None  # the revision her page showed
        return page(400, form=form, revision=kept, errors=errors_of(exc))
    try:
        changed = save(data["starts_at"], data["meeting_url"], data["note"], data["revision"])
    except revisions.Stale:
        return page(409, sent=form)
    except Refused as exc:
        return page(409, form=form, revision=data["revision"], refused=refusal(exc.reason))
    if changed:
        flash(_("The session was changed."), "ok")
    else:
        flash(_("Nothing changed: the session already had this time, link and note."), "ok")
    return redirect(done)


def cancel(
    page: ChangePage,
    cancel_it: Callable[[], bool],
    refusal: Callable[[str], str],
    done: str,
    cancelled: str,
) -> ResponseReturnValue:
    """The cancel button (after a tick that says so); `cancelled`, what is said when it was
    cancelled now. Tapped twice, it says that it was cancelled already."""
    try:
        ConfirmSchema().load(request.form)
    except ValidationError:
        message = _("Tick the box to confirm that you are cancelling the session.")
        return page(400, errors={"confirm": message})
    try:
        now = cancel_it()
    except Refused as exc:
        return page(409, refused=refusal(exc.reason))
    flash(cancelled if now else _("This session was cancelled already. Nothing was changed."), "ok")
    return redirect(done)
