"""Pages and endpoints of the demo LMS, under /demo."""

from __future__ import annotations

import json
import logging
from typing import Any

import jwt
from flask import Blueprint, Response, abort, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from lti1p3platform.exceptions import LtiException, MissingRequiredClaim, UnsupportedGrantType
from sqlalchemy import select

from lti_tool.demo import people
from lti_tool.demo import platform as demo
from lti_tool.demo.models import DemoLineItem, DemoLink
from lti_tool.demo.setup import demo_jwks, register_demo_platform
from lti_tool.extensions import csrf
from lti_tool.models import Platform, db

log = logging.getLogger(__name__)
bp = Blueprint("demo", __name__, url_prefix="/demo")
LTI_DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


@bp.before_request
def _demo_frames() -> None:
    """The demo LMS frames Senda (and its own gradebook) and posts launches to it; Senda's own
    pages frame nothing and post only to themselves and to platforms."""
    g.csp_frame_src = f"'self' {demo.tool_base()}"
    g.csp_form_targets = demo.tool_base()


def _ensure_registered() -> None:
    """`make run` registers the demo at start; a fresh test database registers it here."""
    if demo.tool_base() != demo.demo_base():
        return  # the tool is another server; it knows this platform from its own config
    exists = db.session.scalar(
        select(Platform.id).where(
            Platform.issuer == demo.issuer(), Platform.client_id == demo.CLIENT_ID
        )
    )
    if exists is None:
        register_demo_platform()


@bp.get("")
def index() -> str:
    """The demo course page: launch Senda as anyone, add activities, watch the gradebook."""
    _ensure_registered()
    demo.default_link()
    links = db.session.scalars(select(DemoLink).order_by(DemoLink.id)).all()
    return render_template(
        "demo/index.html",
        people=[p for p in people.PEOPLE if p.launches],
        links=links,
        course_title=people.COURSE_TITLE,
        tool_origin=demo.tool_base(),
    )


@bp.get("/gradebook")
def gradebook() -> str:
    """The course gradebook, refreshed every few seconds by the page itself (no JavaScript)."""
    items = db.session.scalars(select(DemoLineItem).order_by(DemoLineItem.id)).all()
    return render_template(
        "demo/gradebook.html",
        items=items,
        learners=[p for p in people.PEOPLE if p.role == "participant"],
        scores=demo.latest_scores(),
    )


@bp.get("/launch")
def launch() -> ResponseReturnValue:
    """Begin a launch as someone: the browser goes to Senda's OIDC login initiation URL."""
    _ensure_registered()
    person = people.person(request.args.get("person", ""))
    if person is None or not person.launches:
        abort(404)
    link_id = request.args.get("link", type=int)
    deep_link = request.args.get("deep_link") == "1"
    if deep_link and person.role not in ("facilitator", "designer"):
        abort(403)  # the LMS offers "add activity" to teachers only
    return demo.start_launch(person, link_id, deep_link, storage=request.args.get("storage") == "1")


@bp.route("/auth", methods=["GET", "POST"])
@csrf.exempt
def auth() -> Any:
    """The platform's OIDC authorization endpoint: answers with the signed id_token."""
    launch = demo.DemoMessageLaunch(demo.FlaskPlatformRequest(request), demo.DemoPlatformConf())
    try:
        return launch.lti_launch()
    except (PermissionError, LtiException, AssertionError) as exc:
        log.info("demo auth refused: %s", exc)
        abort(400)


@bp.get("/jwks")
def jwks() -> Response:
    return jsonify(demo_jwks())


@bp.post("/token")
@csrf.exempt
def token() -> tuple[Response, int]:
    """OAuth 2 client-credentials grant with a JWT assertion signed by the tool."""
    conf = demo.DemoPlatformConf()
    conf.get_registration()
    try:
        return jsonify(conf.get_access_token(request.form.to_dict())), 200
    except (MissingRequiredClaim, UnsupportedGrantType, KeyError):
        return jsonify(error="invalid_request"), 400
    except (LtiException, jwt.InvalidTokenError, ValueError):
        return jsonify(error="invalid_client"), 401


def _service_response(result: Any, page_is_list: bool = False) -> Response:
    """lti1p3platform's result as HTTP. Its pages of line items and results are objects
    ({content, has_next, next}); AGS 2.0 says arrays, with paging in a rel="next" Link
    header, which is what Moodle and Canvas send and pylti1p3 expects."""
    body = result.result
    next_url = None
    if isinstance(body, dict):
        next_url = body.pop("next", None)
        if page_is_list:
            body = body.get("content", [])
    response = Response(
        json.dumps(body) if body is not None else "",
        status=result.code,
        mimetype=result.media_type if body is not None else None,
    )
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def _ags() -> demo.DemoAGS:
    conf = demo.DemoPlatformConf()
    conf.get_registration()
    base = demo.issuer()
    return demo.DemoAGS(demo.FlaskPlatformRequest(request), conf, f"{base}/ags/lineitems")


@bp.route("/ags/lineitems", methods=["GET", "POST"])
@csrf.exempt
def lineitems() -> Response:
    service = _ags()
    if request.method == "GET":
        return _service_response(
            service.handle_resp(service.handle_get_lineitems), page_is_list=True
        )
    return _service_response(service.handle_resp(service.handle_create_lineitem))


@bp.get("/ags/lineitems/<int:item_id>")
def lineitem(item_id: int) -> Response:
    service = _ags()
    return _service_response(
        service.handle_resp(service.handle_get_lineitem, line_item_id=str(item_id))
    )


@bp.post("/ags/lineitems/<int:item_id>/scores")
@csrf.exempt
def scores(item_id: int) -> Response:
    service = _ags()
    return _service_response(
        service.handle_resp(service.handle_update_score, line_item_id=str(item_id))
    )


@bp.get("/ags/lineitems/<int:item_id>/results")
def results(item_id: int) -> Response:
    service = _ags()
    return _service_response(
        service.handle_resp(service.handle_get_results, line_item_id=str(item_id))
    )


@bp.get("/nrps/memberships")
def memberships() -> Response:
    conf = demo.DemoPlatformConf()
    conf.get_registration()
    service = demo.DemoNRPS(
        demo.FlaskPlatformRequest(request), conf, f"{demo.issuer()}/nrps/memberships"
    )
    return _service_response(service.handle_resp(service.handle_get_members))


@bp.post("/deep-link-return")
@csrf.exempt
def deep_link_return() -> ResponseReturnValue:
    """The tool's deep-linking response: a JWT signed with its key, listing chosen items."""
    conf = demo.DemoPlatformConf()
    conf.get_registration()
    token = request.form.get("JWT", "")
    try:
        items = conf.validate_deeplinking_resp({"JWT": token})
        claims = jwt.decode(token, options={"verify_signature": False})  # verified just above
    except (LtiException, jwt.InvalidTokenError, KeyError) as exc:
        log.info("demo deep-link response refused: %s", exc)
        abort(400)
    # The platform's own checks on top of the library's (Deep Linking 2.0 §4.2).
    if claims.get("aud") not in (demo.issuer(), [demo.issuer()]):
        abort(400)
    if claims.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id") != demo.DEPLOYMENT_ID:
        abort(400)
    if claims.get(LTI_DL + "data") != {"demo": "opaque-data-42"}:
        abort(400)
    added = 0
    for item in items:
        if item.get("type") != "ltiResourceLink":
            continue
        line = item.get("lineItem")
        lineitem_id = None
        if isinstance(line, dict):
            row = DemoLineItem(
                label=str(line.get("label") or item.get("title", "Senda"))[:255],
                score_maximum=float(line.get("scoreMaximum", 100)),
                resource_id=str(line.get("resourceId", ""))[:255],
                tag=str(line.get("tag", ""))[:255],
            )
            db.session.add(row)
            db.session.flush()
            lineitem_id = row.id
        link = DemoLink(
            title=str(item.get("title", "Senda"))[:255],
            custom={str(k): str(v) for k, v in (item.get("custom") or {}).items()},
            lineitem_id=lineitem_id,
        )
        db.session.add(link)
        db.session.flush()
        if lineitem_id is not None:
            row.resource_link_id = f"demo-link-{link.id}"
        added += 1
    db.session.commit()
    return render_template("demo/added.html", added=added)
