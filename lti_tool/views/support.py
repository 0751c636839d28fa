"""Help with the barriers that push women out of training.

For a participant: "Necesito apoyo" (ask her support team for help, privately, and read their
replies), the referral directory, and a quick exit. For support leads: the requests of their
programme (and region), each tracked to closure with dated messages and notes; and counts.

Help pages are titled "Senda" in the tab and history, live under the neutral /s prefix, and carry
a quick-exit control that replaces the page with a neutral recipe page. After a quick exit, every
help page answers with that recipe page until she opens help again from the menu: pressing Back
after a quick exit shows nothing of what she was reading, with or without JavaScript (with it,
moving between help pages and the exit itself replace the page in the frame's history, so no help
page is left there at all).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import ValidationError

from courses import support as rules
from courses.support import InvalidMove
from lti_tool.actor import Role
from lti_tool.services import support
from lti_tool.services.privacy import support as requests
from lti_tool.web.forms import (
    REGIONS,
    HelpRequestSchema,
    MessageSchema,
    StatusSchema,
    SupportAnswerSchema,
    errors_of,
    form_data,
)
from lti_tool.web.session import current_actor, require_role, session_actor
from lti_tool.web.templating import per_language

bp = Blueprint("support", __name__)
participant = require_role(Role.PARTICIPANT)
launched = require_role()

P = ParamSpec("P")
R = TypeVar("R")

# session keys: the last quick exit, and the exit after which she opened help again
EXITED, REOPENED = "qx", "qx_ok"


def help_key() -> str:
    """What the menu's "Necesito apoyo" link carries: the last quick exit's key. A link in the
    history from before that exit carries an older key and opens the neutral page."""
    return str(session.get(EXITED, ""))


def hidden_after_exit(view: Callable[P, R]) -> Callable[P, R | ResponseReturnValue]:
    """After a quick exit, a help page shows the neutral page unless she came back on purpose
    (the menu's link, with the current key)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | ResponseReturnValue:
        exited = session.get(EXITED)
        if exited and session.get(REOPENED) != exited:
            if request.args.get("k") != exited:
                return redirect(url_for("support.neutral"))
            session[REOPENED] = exited
        return view(*args, **kwargs)

    return wrapper


def _names() -> dict[str, Any]:
    """Names for the help pages, and the key of the menu's "I need support" link."""
    return {
        "help_key": help_key,
        "need_names": {
            "childcare": _("Care of my children"),
            "elder-care": _("Care of an older or disabled person"),
            "transport": _("Transport"),
            "device": _("A phone, computer or data"),
            "violence": _("Violence: I want to be referred"),
            "housing": _("Housing"),
            "money": _("Money"),
            "health": _("Health"),
            "other": _("Something else"),
        },
        "status_names": {
            "open": _("Sent"),
            "in-progress": _("In progress"),
            "closed": _("Closed"),
        },
        "channel_names": {
            "senda": _("Here in Senda"),
            "phone": _("A phone call"),
            "whatsapp": _("WhatsApp"),
        },
        "referral_kind_names": {
            "emergency": _("Emergencies"),
            "violence": _("Violence against women"),
            "police": _("Police and reporting a crime"),
            "health": _("Health"),
            "housing": _("Housing"),
            "childcare": _("Care of children"),
            "money": _("Money and social benefits"),
            "legal": _("Free legal advice"),
            "municipal": _("Your municipality"),
            "migration": _("Migration papers"),
            "other": _("Other help"),
        },
    }


help_names = per_language(_names)


# ---------------------------------------------------------------------- quick exit
@bp.get("/s/exit")
def quick_exit() -> ResponseReturnValue:
    """The quick-exit control: hide every help page and show the neutral one. A plain link, so
    that it works without JavaScript and without a session."""
    session[EXITED] = secrets.token_urlsafe(8)
    return redirect(url_for("support.neutral"))


@bp.get("/recipes")
def neutral() -> ResponseReturnValue:
    """A page about nothing: a recipe."""
    return render_template("support/neutral.html")


# ---------------------------------------------------------------- the participant's help
@bp.get("/s")
@participant
@hidden_after_exit
def index() -> ResponseReturnValue:
    """Her requests, and the form to ask for help."""
    actor = current_actor()
    return _form_page(requests.help_page(actor), {}, {})


def _form_page(page: requests.HelpPage, form: dict[str, Any], errors: dict[str, str]) -> Any:
    status = 400 if errors else 200
    return render_template(
        "support/index.html",
        page=page,
        form=form,
        errors=errors,
        needs=rules.NEEDS,
        channels=rules.CONTACT_CHANNELS,
        regions=REGIONS,
    ), status


@bp.post("/s")
@participant
def ask() -> ResponseReturnValue:
    actor = current_actor()
    raw = form_data(request.form, lists=("needs",))
    try:
        data = HelpRequestSchema().load(raw)
    except ValidationError as exc:
        return _form_page(requests.help_page(actor), raw, errors_of(exc))
    # The same request sent twice from one page (a double tap, Back) is the one already sent:
    # she lands on it and reads the same words, which are true.
    request_id = requests.ask(
        actor,
        tuple(data["needs"]),
        data["details"],
        data["contact"],
        rules.clean_phone(data["phone"]),
        data["region"] or None,
        seen=data["seen"],
    )
    flash(_("Sent. Only your programme's support team can read it. They will answer here."), "ok")
    return redirect(url_for("support.mine", request_id=request_id))


@bp.get("/s/<int:request_id>")
@participant
@hidden_after_exit
def mine(request_id: int) -> ResponseReturnValue:
    return _request_page(request_id, {}, 200)


def _request_page(
    request_id: int, errors: dict[str, str], status: int, form: dict[str, Any] | None = None
) -> Any:
    return render_template(
        "support/request.html",
        req=requests.my_request(current_actor(), request_id),
        errors=errors,
        form=form or {},
    ), status


@bp.post("/s/<int:request_id>/message")
@participant
def message(request_id: int) -> ResponseReturnValue:
    try:
        data = MessageSchema().load(request.form)
    except ValidationError as exc:
        return _request_page(request_id, errors_of(exc), 400, dict(request.form))
    # A second tap writes nothing; her message was sent by the first.
    requests.add_my_message(current_actor(), request_id, data["body"], seen=data["seen"])
    flash(_("Sent."), "ok")
    return redirect(url_for("support.mine", request_id=request_id))


@bp.post("/s/<int:request_id>/status")
@participant
def my_status(request_id: int) -> ResponseReturnValue:
    try:
        data = StatusSchema().load(request.form)
        changed = requests.set_my_status(current_actor(), request_id, data["status"])
    except (ValidationError, InvalidMove):
        abort(400)
    if changed:
        flash(_("Saved."), "ok")
    elif data["status"] == rules.CLOSED:
        flash(_("This request was already closed."), "ok")
    else:
        flash(_("This request is open: the support team is working on it."), "ok")
    return redirect(url_for("support.mine", request_id=request_id))


# ----------------------------------------------------------------- the referral directory
@bp.get("/s/directory")
@hidden_after_exit
def directory() -> ResponseReturnValue:
    """Services by region and kind. Open to anyone (public numbers), even after her session
    expired; her region is preselected when she gave it."""
    region = request.args.get("region", "")
    if "region" not in request.args:
        actor = session_actor()
        if actor is not None and actor.role == Role.PARTICIPANT:
            region = requests.region_for_directory(actor) or ""
    return render_template("support/directory.html", directory=support.directory(region or None))


# --------------------------------------------------------------------- the support team
@bp.get("/s/team")
@launched
def queue() -> ResponseReturnValue:
    status = request.args.get("status", "")
    status = status if status in rules.STATUSES else ""
    return render_template(
        "support/queue.html",
        rows=requests.queue(current_actor(), status or None),
        status=status,
        statuses=rules.STATUSES,
    )


@bp.get("/s/team/<int:request_id>")
@launched
def handle(request_id: int) -> ResponseReturnValue:
    return _handle_page(request_id, {}, 200)


def _handle_page(
    request_id: int,
    errors: dict[str, str],
    status: int,
    form: dict[str, Any] | None = None,
    moved: bool = False,
) -> Any:
    """The request, its timeline and the answer form (with what she wrote, after a refusal).
    `moved`: the status she chose cannot follow the request's status now (someone moved it
    while her page was open), which the status field then says."""
    req = requests.team_request(current_actor(), request_id)
    if moved:
        status_name = help_names()["status_names"][req.status]
        errors = {
            "status": _(
                "Meanwhile this request became “%(status)s”: choose its status again. "
                "Nothing was saved; what you wrote is still here.",
                status=status_name,
            )
        }
    return render_template(
        "support/handle.html",
        req=req,
        errors=errors,
        form=form or {},
        moves=[s for s in rules.STATUSES if rules.team_can_move(req.status, s)],
    ), status


@bp.post("/s/team/<int:request_id>")
@launched
def answer(request_id: int) -> ResponseReturnValue:
    actor = current_actor()
    form = dict(request.form)
    try:
        data = SupportAnswerSchema().load(request.form)
        requests.answer(
            actor,
            request_id,
            data["body"],
            for_her=data["audience"] == "her",
            status=data["status"] or None,
            seen=data["seen"],
        )
    except ValidationError as exc:
        return _handle_page(request_id, errors_of(exc), 400, form)
    except InvalidMove:
        return _handle_page(request_id, {}, 409, form, moved=True)
    except ValueError:
        message = _("Write a message or choose a new status.")
        return _handle_page(request_id, {"body": message}, 400, form)
    flash(_("Saved."), "ok")
    return redirect(url_for("support.handle", request_id=request_id))


@bp.get("/s/report")
@launched
def report() -> ResponseReturnValue:
    return render_template(
        "support/report.html",
        counts=requests.counts(current_actor()),
        needs=rules.NEEDS,
        statuses=rules.STATUSES,
    )


bp.app_context_processor(help_names)
