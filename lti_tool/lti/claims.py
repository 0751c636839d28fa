"""What Senda takes from a verified id_token: a marshmallow schema at the LTI boundary.

Only claims named here are read; everything else in the token is ignored (LTI Core §5.4.7).
Senda never reads the e-mail: it does not need it (data minimisation). The course role comes
from the one table in `lti_tool/lti/roles.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from lti_tool.actor import Role
from lti_tool.lti.roles import course_role

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)


class _ContextSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(1, 255))
    title = fields.String(load_default="")
    label = fields.String(load_default="")


class _ResourceLinkSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(1, 255))
    title = fields.String(load_default="")


class _AgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    scope = fields.List(fields.String(), load_default=list)
    lineitem = fields.Url(load_default=None, allow_none=True, require_tld=False)
    lineitems = fields.Url(load_default=None, allow_none=True, require_tld=False)


class _NrpsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    context_memberships_url = fields.Url(required=True, require_tld=False)


class _LaunchPresentationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    locale = fields.String(load_default="")
    return_url = fields.String(load_default="")
    document_target = fields.String(load_default="")


class _DeepLinkingSettingsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    deep_link_return_url = fields.Url(required=True, require_tld=False)
    accept_types = fields.List(fields.String(), load_default=list)
    accept_multiple = fields.Boolean(load_default=True)
    data = fields.Raw(load_default=None, allow_none=True)


def _claim(name: str, nested: Schema | type[Schema], **kwargs: Any) -> fields.Nested:
    return fields.Nested(nested, data_key=name, **kwargs)


class LaunchClaimsSchema(Schema):
    """Checks the claims Senda relies on, after pylti1p3 and our adapter verified the token."""

    class Meta:
        unknown = EXCLUDE

    sub = fields.String(load_default="", validate=validate.Length(max=255))
    name = fields.String(load_default="")
    given_name = fields.String(load_default="")
    locale = fields.String(load_default="")
    message_type = fields.String(
        data_key=LTI + "message_type", required=True, validate=validate.OneOf(MESSAGE_TYPES)
    )
    deployment_id = fields.String(data_key=LTI + "deployment_id", required=True)
    roles = fields.List(fields.Raw(), data_key=LTI + "roles", load_default=list)
    role_scope_mentor = fields.List(
        fields.Raw(), data_key=LTI + "role_scope_mentor", load_default=list
    )
    target_link_uri = fields.String(data_key=LTI + "target_link_uri", load_default="")
    context = _claim(LTI + "context", _ContextSchema, load_default=None, allow_none=True)
    resource_link = _claim(
        LTI + "resource_link", _ResourceLinkSchema, load_default=None, allow_none=True
    )
    custom = fields.Dict(
        data_key=LTI + "custom", keys=fields.String(), values=fields.Raw(), load_default=dict
    )
    launch_presentation = _claim(
        LTI + "launch_presentation", _LaunchPresentationSchema, load_default=dict
    )
    ags = _claim(AGS + "endpoint", _AgsSchema, load_default=None, allow_none=True)
    nrps = _claim(NRPS + "namesroleservice", _NrpsSchema, load_default=None, allow_none=True)
    deep_linking = _claim(
        DL + "deep_linking_settings", _DeepLinkingSettingsSchema, load_default=None, allow_none=True
    )


# Built once: a schema instance holds no request state, and building one costs more than using it.
_LAUNCH_CLAIMS = LaunchClaimsSchema()


@dataclass(frozen=True)
class LaunchClaims:
    """The parts of a verified launch Senda acts on."""

    message_type: str
    deployment_id: str
    sub: str
    name: str
    given_name: str
    locale: str
    lti_roles: list[str]
    role: Role | None  # None: no role Senda knows (the launch is refused)
    context_id: str | None
    context_title: str
    context_label: str
    resource_link_id: str | None
    resource_link_title: str
    target_link_uri: str
    custom: dict[str, Any] = field(default_factory=dict)
    return_url: str = ""
    ags: dict[str, Any] | None = None
    memberships_url: str | None = None
    deep_linking: dict[str, Any] | None = None
    # LTI Core §5.3.7.1: the users (their `sub`) a mentor mentors in this context.
    mentor_scope: tuple[str, ...] = ()

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == DEEP_LINKING_REQUEST

    @property
    def frame_origin(self) -> str | None:
        """The LMS origin the launch came from, from the signed return URL."""
        parts = urlsplit(self.return_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
        return None


def parse_claims(body: dict[str, Any]) -> LaunchClaims:
    """Raise marshmallow.ValidationError when a claim Senda needs is missing or malformed."""
    data = _LAUNCH_CLAIMS.load(body)
    roles = [r for r in data["roles"] if isinstance(r, str)]
    context = data["context"] or {}
    link = data["resource_link"] or {}
    presentation = data["launch_presentation"] or {}
    if data["message_type"] == RESOURCE_LINK_REQUEST and not link:
        raise ValidationError({"resource_link": ["missing"]})
    if data["message_type"] == DEEP_LINKING_REQUEST and not data["deep_linking"]:
        raise ValidationError({"deep_linking_settings": ["missing"]})
    return LaunchClaims(
        message_type=data["message_type"],
        deployment_id=data["deployment_id"],
        sub=data["sub"],
        name=data["name"][:255],
        given_name=data["given_name"][:255],
        locale=(data["locale"] or presentation.get("locale") or "")[:16],
        lti_roles=roles,
        role=course_role(roles),
        context_id=context.get("id"),
        context_title=context.get("title", "")[:255],
        context_label=context.get("label", "")[:255],
        resource_link_id=link.get("id"),
        resource_link_title=link.get("title", "")[:255],
        target_link_uri=data["target_link_uri"],
        custom={str(k): v for k, v in data["custom"].items()},
        return_url=presentation.get("return_url", ""),
        ags=data["ags"],
        memberships_url=(data["nrps"] or {}).get("context_memberships_url"),
        deep_linking=data["deep_linking"],
        mentor_scope=tuple(
            str(sub)[:255] for sub in data["role_scope_mentor"][:1000] if isinstance(sub, str)
        ),
    )
