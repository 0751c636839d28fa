"""Deep Linking 2.0: a designer or facilitator, adding Senda from the LMS's "add activity" picker,
chooses the intake, whole pathways or single courses; Senda answers with signed content items."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, session
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError, fields, validate

from lti_tool.actor import COURSE_STAFF
from lti_tool.services import deep_linking
from lti_tool.views.urls import launch_url
from lti_tool.web.session import current_actor, require_role

bp = Blueprint("deep_linking", __name__, url_prefix="/deep-linking")


class SelectionSchema(Schema):
    csrf_token = fields.String(load_only=True)
    items = fields.List(
        fields.String(validate=validate.Length(max=128)),
        required=True,
        validate=validate.Length(min=1),
    )


def _settings() -> tuple[str, dict[str, Any]]:
    """The open request's key and settings. Raises AlreadyAnswered once it was answered."""
    key = session.get("dl")
    try:
        return str(key), deep_linking.held_settings(key if isinstance(key, str) else None)
    except deep_linking.NoRequest:
        abort(403)  # no deep-linking launch, or it expired unanswered


def _already_sent() -> ResponseReturnValue:
    """A second send (a double tap, Back and send again, an old tab): the first one reached the
    LMS; say so, and how to add something else, instead of an error."""
    return render_template("lti/deep_linking_sent.html"), 409


def _locale() -> str:
    return str(session.get("locale", "es"))


@bp.get("")
@require_role(*COURSE_STAFF)
def picker() -> ResponseReturnValue:
    try:
        _settings()
    except deep_linking.AlreadyAnswered:
        return _already_sent()
    return render_template(
        "lti/deep_linking.html", items=deep_linking.available(_locale()), chosen=()
    )


@bp.post("")
@require_role(*COURSE_STAFF)
def respond() -> ResponseReturnValue:
    """Sign the chosen items and post them back to the LMS's deep_link_return_url."""
    try:
        key, _open = _settings()
    except deep_linking.AlreadyAnswered:
        return _already_sent()
    items = deep_linking.available(_locale())
    try:
        data = SelectionSchema().load(
            {
                "items": request.form.getlist("items"),
                "csrf_token": request.form.get("csrf_token", ""),
            }
        )
    except ValidationError:
        return render_template("lti/deep_linking.html", items=items, chosen=(), error=True), 400
    chosen = list(dict.fromkeys(data["items"]))
    try:
        return_url, token = deep_linking.respond(
            current_actor(), key, chosen, _locale(), launch_url()
        )
    except deep_linking.OnlyOne:
        # Her ticks are kept, so she unticks all but one rather than starting over.
        return render_template(
            "lti/deep_linking.html", items=items, chosen=chosen, single=True
        ), 400
    except deep_linking.NotAChoice:
        abort(400)
    except deep_linking.AlreadyAnswered:
        return _already_sent()
    # The key stays in the session: the request is used up in the store (one response per
    # launch), and a second send is then told what happened.
    return render_template("lti/deep_linking_return.html", return_url=return_url, jwt=token)
