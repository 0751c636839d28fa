"""Deep Linking 2.0 (https://www.imsglobal.org/spec/lti-dl/v2p0): a designer or facilitator,
adding Senda from the LMS's "add activity" picker, chooses the intake, whole pathways or single
courses; Senda answers with signed content items. Each item is a resource link whose custom
parameter `senda_target` says what it opens, and, when it counts toward a grade, a line item
(label, scoreMaximum, resourceId, tag) so the LMS creates its gradebook column (Moodle creates
none otherwise)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from courses.model import Catalogue
from lti_tool.auth import current_actor, require_role
from lti_tool.extensions import db
from lti_tool.lti import keys
from lti_tool.models import Platform
from lti_tool.services import content

bp = Blueprint("deep_linking", __name__, url_prefix="/deep-linking")
TAG = "senda"


class SendaDeepLink(DeepLink):
    """pylti1p3's response, with an unguessable nonce and `data` echoed only if it was sent."""

    def _generate_nonce(self) -> str:
        return secrets.token_urlsafe(24)

    def get_message_jwt(self, resources: Any) -> dict[str, object]:
        message = super().get_message_jwt(resources)
        if message.get("https://purl.imsglobal.org/spec/lti-dl/claim/data") is None:
            message.pop("https://purl.imsglobal.org/spec/lti-dl/claim/data", None)
        return message


class SelectionSchema(Schema):
    csrf_token = fields.String(load_only=True)
    items = fields.List(
        fields.String(validate=validate.Length(max=128)),
        required=True,
        validate=validate.Length(min=1),
    )


def choices(catalogue: Catalogue, locale: str) -> list[dict[str, Any]]:
    """Everything a teacher can place in a course, from Senda's own catalogue only."""
    items: list[dict[str, Any]] = [
        {
            "target": "intake",
            "title": _("Senda: first questions and plan"),
            "graded": False,
            "group": "",
        }
    ]
    for pathway_id in catalogue.pathway_ids:
        pathway = catalogue.pathways[pathway_id]
        items.append(
            {
                "target": f"pathway:{pathway.id}",
                "title": _("Senda · pathway: %(name)s", name=pathway.title.get(locale)),
                "graded": True,
                "maximum": 100.0,
                "group": pathway.title.get(locale),
            }
        )
        seen: set[str] = set()
        for level in pathway.levels:
            for course_id in level.course_ids:
                if course_id in seen:
                    continue
                seen.add(course_id)
                course = catalogue.courses[course_id]
                items.append(
                    {
                        "target": f"course:{course.id}",
                        "title": f"{course.title.get(locale)} ({level.title.get(locale)})",
                        "graded": True,
                        "maximum": course.score_maximum,
                        "group": pathway.title.get(locale),
                    }
                )
    return items


def _settings() -> dict[str, Any]:
    settings = session.get("dl")
    if not settings:
        abort(403)
    return dict(settings)


@bp.get("")
@require_role("facilitator", "designer")
def picker() -> ResponseReturnValue:
    _settings()
    found = content.latest_catalogue()
    if found is None:
        abort(503)
    locale = session.get("locale", "es")
    return render_template("lti/deep_linking.html", items=choices(found[1], locale))


@bp.post("")
@require_role("facilitator", "designer")
def respond() -> ResponseReturnValue:
    """Sign the chosen items and post them back to the LMS's deep_link_return_url."""
    settings = _settings()
    found = content.latest_catalogue()
    if found is None:
        abort(503)
    locale = session.get("locale", "es")
    available = {item["target"]: item for item in choices(found[1], locale)}
    try:
        data = SelectionSchema().load(
            {
                "items": request.form.getlist("items"),
                "csrf_token": request.form.get("csrf_token", ""),
            }
        )
    except ValidationError:
        return render_template(
            "lti/deep_linking.html", items=list(available.values()), error=True
        ), 400
    chosen = list(dict.fromkeys(data["items"]))
    # Only Senda's own catalogue: a tampered id (another tenant's, or none at all) is refused.
    if any(target not in available for target in chosen):
        abort(400)
    if not settings.get("accept_multiple", True) and len(chosen) > 1:
        return render_template(
            "lti/deep_linking.html", items=list(available.values()), single=True
        ), 400
    platform = db.session.get(Platform, current_actor().platform_id)
    if platform is None:
        abort(403)
    registration = keys.SigningRegistration()
    registration.set_issuer(platform.issuer).set_client_id(platform.client_id)
    launch_url = _launch_url()
    resources = []
    for target in chosen:
        item = available[target]
        resource = (
            DeepLinkResource()
            .set_url(launch_url)
            .set_title(item["title"][:255])
            .set_custom_params({"senda_target": target})
        )
        if item["graded"]:
            resource.set_lineitem(
                LineItem()
                .set_label(item["title"][:255])
                .set_score_maximum(item["maximum"])
                .set_resource_id(target)
                .set_tag(TAG)
            )
        resources.append(resource)
    deep_link = SendaDeepLink(
        registration,
        settings["deployment_id"],
        {"deep_link_return_url": settings["return_url"], "data": settings.get("data")},
    )
    token = deep_link.get_response_jwt(resources)
    session.pop("dl", None)  # one response per deep-linking launch
    return render_template(
        "lti/deep_linking_return.html", return_url=settings["return_url"], jwt=token
    )


def _launch_url() -> str:
    from lti_tool.lti.views import launch_url

    return launch_url()
