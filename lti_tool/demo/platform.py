"""The demo LMS's platform side, built on `lti1p3platform` (a platform implementation Senda did
not write): OIDC login initiation, the authentication response with a signed id_token, the access
token endpoint, Assignment and Grade Services, Names and Role Provisioning, and deep-linking
responses. This module is only the Flask glue and the demo's storage."""

from __future__ import annotations

import typing as t
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from flask import current_app, redirect, render_template, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import (
    AssignmentsGradesService,
    NamesRoleProvisioningService,
    TPage,
)
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from lti_tool.demo import people
from lti_tool.demo.models import DemoKey, DemoLineItem, DemoLink, DemoScore
from lti_tool.models import db
from lti_tool.settings import settings

CLIENT_ID = "senda-demo-client"
DEPLOYMENT_ID = "demo-deployment-1"


def demo_base() -> str:
    base: str = settings().demo.base_url
    return base.rstrip("/")


def tool_base() -> str:
    tool_url = settings().demo.tool_url
    return (tool_url or demo_base()).rstrip("/")


def issuer() -> str:
    return demo_base() + "/demo"


def platform_private_pem() -> str:
    """The demo LMS's signing key, created on first use."""
    key = db.session.scalar(select(DemoKey).order_by(DemoKey.id))
    if key is None:
        from lti_tool.lti.keys import new_key_pair

        pem, _ = new_key_pair()
        key = DemoKey(private_pem=pem)
        db.session.add(key)
        db.session.commit()
    return key.private_pem


def platform_public_pem() -> str:
    private = serialization.load_pem_private_key(platform_private_pem().encode(), password=None)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


class FlaskPlatformRequest(Request):
    def build_metadata(self, req: Any) -> TRequest:
        return {
            "method": req.method,
            "form_data": req.form.to_dict(),
            # lti1p3platform adds 1 to `page` for the next link: it must be a number.
            "get_data": {
                k: int(v) if k == "page" and v.isdigit() else v for k, v in req.args.items()
            },
            "headers": req.headers,
            "content_type": req.content_type,
            "path": req.path,
            "json": req.get_json(silent=True),
        }


class DemoPlatformConf(LTI1P3PlatformConfAbstract):
    """The demo LMS's registration of Senda (what Moodle keeps in its "External tool" type)."""

    def init_platform_config(self, **kwargs: Any) -> None:
        pass

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        tool = tool_base()
        return (
            Registration()
            .set_iss(issuer())
            .set_client_id(CLIENT_ID)
            .set_deployment_id(DEPLOYMENT_ID)
            .set_oidc_login_url(tool + "/lti/login")
            .set_launch_url(tool + "/lti/launch")
            .set_deeplink_launch_url(tool + "/lti/launch")
            .set_tool_key_set_url(tool + "/lti/jwks")
            .set_platform_private_key(platform_private_pem())
            .set_platform_public_key(platform_public_pem())
        )


def _hints() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="demo-lms-message-hint")


class DemoOIDCLogin(OIDCLoginAbstract):
    """Starts a launch: sends the browser to the tool's login initiation URL."""

    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = _hints().dumps(kwargs)

    def get_redirect(self, url: str) -> Response:
        return redirect(url)


def start_launch(
    person: people.Person, link_id: int | None, deep_link: bool, storage: bool
) -> Response:
    login = DemoOIDCLogin(FlaskPlatformRequest(request), DemoPlatformConf())
    login.set_lti_message_hint(person=person.id, link=link_id, deep_link=deep_link)
    url = login.prepare_preflight_url(person.id)
    if storage:
        # Offer client-side storage: the demo page answers lti.put_data / lti.get_data.
        url += "&lti_storage_target=_parent"
    return redirect(url)


class DemoMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    """The platform's authentication response: a signed id_token auto-posted to the tool."""

    def get_preflight_response(self) -> dict[str, Any]:
        assert self._request is not None
        return self._request.get_data or self._request.form_data

    def prepare_launch(self, preflight_response: dict[str, Any]) -> None:
        registration = self._platform_config.get_registration()
        # The platform must only ever post the id_token to the redirect URI it registered.
        if preflight_response.get("redirect_uri") != registration.get_launch_url():
            raise PermissionError("redirect_uri is not the registered launch URL")
        try:
            hint = _hints().loads(preflight_response.get("lti_message_hint", ""), max_age=600)
        except BadSignature as exc:
            raise PermissionError("bad lti_message_hint") from exc
        person = people.person(hint["person"])
        if person is None or preflight_response.get("login_hint") != person.id:
            raise PermissionError("login_hint does not match")
        self.set_user_data(person.id, list(person.roles), full_name=person.name)
        self.set_extra_claims(
            {
                "given_name": person.given_name,
                "family_name": person.family_name,
                "locale": person.locale,
            }
        )
        if person.mentees:
            self.set_extra_claims(
                {
                    "https://purl.imsglobal.org/spec/lti/claim/role_scope_mentor": list(
                        person.mentees
                    )
                }
            )
        self.set_launch_context_claim(
            people.COURSE_ID,
            context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            context_title=people.COURSE_TITLE,
            context_label=people.COURSE_LABEL,
        )
        self.set_extra_claims(
            {
                "https://purl.imsglobal.org/spec/lti/claim/launch_presentation": {
                    "document_target": "iframe",
                    "return_url": issuer(),
                    "locale": person.locale,
                },
                "https://purl.imsglobal.org/spec/lti/claim/tool_platform": {
                    "guid": "senda-demo-lms",
                    "name": "Senda demo LMS",
                    "product_family_code": "senda-demo",
                },
            }
        )
        base = issuer()
        # A small page size, so the roster comes in pages (rel="next") as in big LMS courses.
        self.set_nrps(f"{base}/nrps/memberships?limit=4")
        if hint.get("deep_link"):
            self.set_dl(
                f"{base}/deep-link-return",
                title="Senda",
                accept_types={"ltiResourceLink"},
                extra_data={"demo": "opaque-data-42"},
            )
            return
        link = db.session.get(DemoLink, hint.get("link")) if hint.get("link") else None
        if link is None:
            link = default_link()
        self.set_resource_link_claim(f"demo-link-{link.id}", title=link.title)
        if link.custom:
            self.set_custom_parameters_claim(dict(link.custom))
        lineitem_url = f"{base}/ags/lineitems/{link.lineitem_id}" if link.lineitem_id else None
        self.set_ags(f"{base}/ags/lineitems", lineitem_url, allow_creating_lineitems=True)

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> str:
        return render_template("demo/autopost.html", **launch_data)


def default_link() -> DemoLink:
    """The course's first activity: "Senda", no line item (Senda creates one through AGS)."""
    link = db.session.scalar(select(DemoLink).order_by(DemoLink.id))
    if link is None:
        link = DemoLink(title="Senda", custom={})
        db.session.add(link)
        db.session.commit()
    return link


# ------------------------------------------------------------------------------ services
def _lineitem_json(item: DemoLineItem) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": f"{issuer()}/ags/lineitems/{item.id}",
        "label": item.label,
        "scoreMaximum": item.score_maximum,
    }
    for key, value in (
        ("resourceId", item.resource_id),
        ("tag", item.tag),
        ("resourceLinkId", item.resource_link_id),
    ):
        if value:
            data[key] = value
    return data


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class DemoAGS(AssignmentsGradesService):
    def find_lineitems(
        self,
        page: int = 1,
        limit: int | None = None,
        line_item_id: str | None = None,
        resource_link_id: str | None = None,
        resource_id: str | None = None,
        tag: str | None = None,
    ) -> TPage:
        query = select(DemoLineItem).order_by(DemoLineItem.id)
        if resource_link_id:
            query = query.where(DemoLineItem.resource_link_id == resource_link_id)
        if resource_id:
            query = query.where(DemoLineItem.resource_id == resource_id)
        if tag:
            query = query.where(DemoLineItem.tag == tag)
        items = [_lineitem_json(i) for i in db.session.scalars(query)]
        return {"content": items, "has_next": False, "next": None}

    def find_lineitem(self, line_item_id: str) -> t.Any:
        from lti1p3platform.exceptions import LineItemNotFoundException

        item = db.session.get(DemoLineItem, int(line_item_id))
        if item is None:
            raise LineItemNotFoundException(line_item_id)
        return _lineitem_json(item)

    def create_lineitem(self, creation_data: t.Any) -> t.Any:
        item = DemoLineItem(
            label=str(creation_data.get("label", "Senda"))[:255],
            score_maximum=float(creation_data.get("scoreMaximum", 100)),
            resource_id=str(creation_data.get("resourceId", ""))[:255],
            tag=str(creation_data.get("tag", ""))[:255],
            resource_link_id=str(creation_data.get("resourceLinkId", ""))[:255],
        )
        db.session.add(item)
        db.session.flush()
        link_id = item.resource_link_id.removeprefix("demo-link-")
        if link_id.isdigit():
            link = db.session.get(DemoLink, int(link_id))
            if link is not None and link.lineitem_id is None:
                link.lineitem_id = item.id
        db.session.commit()
        return _lineitem_json(item)

    def update_lineitem(self, update_data: t.Any) -> t.Any:
        raise NotImplementedError

    def delete_lineitem(self, line_item_id: str) -> None:
        raise NotImplementedError

    def update_score(self, line_item_id: str, score: t.Any) -> UpdateScoreStatus:
        from lti1p3platform.exceptions import LineItemNotFoundException

        item = db.session.get(DemoLineItem, int(line_item_id))
        if item is None:
            raise LineItemNotFoundException(line_item_id)
        timestamp = _parse_time(score["timestamp"])
        last = db.session.scalar(
            select(DemoScore.timestamp)
            .where(DemoScore.lineitem_id == item.id, DemoScore.user_id == score["userId"])
            .order_by(DemoScore.id.desc())
            .limit(1)
        )
        # Like Moodle: a score must be strictly later than the last one recorded.
        if last is not None and timestamp <= _parse_time(last):
            return UpdateScoreStatus.OLD_TIMESTAMP
        given = score.get("scoreGiven")
        maximum = score.get("scoreMaximum")
        if given is not None and maximum is not None and float(given) > float(maximum):
            return UpdateScoreStatus.NOTAPPLIED
        db.session.add(
            DemoScore(
                lineitem_id=item.id,
                user_id=str(score["userId"]),
                score_given=None if given is None else float(given),
                score_maximum=None if maximum is None else float(maximum),
                activity_progress=str(score.get("activityProgress", "")),
                grading_progress=str(score.get("gradingProgress", "")),
                comment=str(score.get("comment", ""))[:2000],
                timestamp=score["timestamp"],
            )
        )
        db.session.commit()
        return UpdateScoreStatus.SUCCESS

    def get_results(
        self, line_item_id: str, page: int = 1, limit: int | None = None, user_id: str | None = None
    ) -> TPage:
        latest = latest_scores()
        results = [
            {
                "userId": uid,
                "resultScore": s.score_given,
                "resultMaximum": s.score_maximum,
                "comment": s.comment,
            }
            for (lid, uid), s in latest.items()
            if str(lid) == str(line_item_id) and (user_id is None or uid == user_id)
        ]
        return {"content": results, "has_next": False, "next": None}


class DemoNRPS(NamesRoleProvisioningService):
    def get_member_data_page(
        self,
        page: int = 1,
        limit: int | None = None,
        role: str | None = None,
        since: str | None = None,
        **kwargs: Any,
    ) -> TPage:
        members = [
            {
                "user_id": p.id,
                "status": "Active",
                "name": p.name,
                "given_name": p.given_name,
                "family_name": p.family_name,
                "roles": list(p.roles),
            }
            for p in people.PEOPLE
            if role is None or role in p.roles
        ]
        page, limit = int(page), int(limit) if limit else len(members) or 1
        start = (page - 1) * limit
        return {
            "content": members[start : start + limit],
            "has_next": start + limit < len(members),
            "next": None,
        }

    def get_context_by_id(self) -> Context:
        return Context(id=people.COURSE_ID, label=people.COURSE_LABEL, title=people.COURSE_TITLE)


def latest_scores() -> dict[tuple[int, str], DemoScore]:
    """The gradebook: the latest score per (line item, user)."""
    newest = (
        select(func.max(DemoScore.id)).group_by(DemoScore.lineitem_id, DemoScore.user_id)
    ).scalar_subquery()
    rows = db.session.scalars(select(DemoScore).where(DemoScore.id.in_(newest)))
    return {(row.lineitem_id, row.user_id): row for row in rows}
