"""The pages an LMS opens for LTI Dynamic Registration (see services/registration.py)."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from lti_tool.extensions import csrf
from lti_tool.lti.registration import ToolUrls
from lti_tool.services import registration
from lti_tool.services.registration import RegistrationRefused
from lti_tool.settings import settings
from lti_tool.views.urls import base_url

bp = Blueprint("registration", __name__, url_prefix="/lti")


def _tool_urls() -> ToolUrls:
    base = base_url()
    return ToolUrls(
        base=base,
        login=base + url_for("lti.login"),
        launch=base + url_for("lti.launch"),
        jwks=base + url_for("lti.jwks"),
        name=settings().lti.tool_name,
    )


@bp.get("/register")
def start() -> tuple[str, int] | str:
    """Opened by the LMS with our token, `openid_configuration` and `registration_token`. The
    token is used up here; the confirmation travels in the form body."""
    token = request.args.get("token", "")
    config_url = request.args.get("openid_configuration", "")
    registration_token = request.args.get("registration_token", "")
    if not config_url and token:
        return render_template("lti/register.html", error="no_configuration"), 400
    try:
        platform = registration.begin(token, config_url, registration_token)
    except registration.InvalidToken:
        return render_template("lti/register.html", error="token"), 403
    except RegistrationRefused as exc:
        return render_template("lti/register.html", error="refused", detail=str(exc)), 400
    return render_template(
        "lti/register.html",
        issuer=platform.issuer,
        product=platform.product,
        confirmation=platform.confirmation,
    )


@bp.post("/register")
@csrf.exempt  # the one-time confirmation is the credential; the LMS frame may not keep cookies
def finish() -> tuple[str, int] | str:
    """The administrator confirmed: register, then ask the LMS to close this window."""
    try:
        result = registration.register(request.form.get("confirmation", ""), _tool_urls())
    except RegistrationRefused as exc:
        return render_template("lti/register.html", error="refused", detail=str(exc)), 400
    return render_template("lti/register.html", done=True, pending=result.pending_id is not None)
