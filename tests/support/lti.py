"""A test platform that performs real LTI 1.3 logins and launches against the app's test client:
OIDC login initiation, then an RS256-signed id_token posted to /lti/launch."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.keys import TestKey

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TEACHING_ASSISTANT = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
)
CONTENT_DEVELOPER = "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"
ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator"
INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
INSTITUTION_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
SYSTEM_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"

TOOL = "http://localhost"
LAUNCH_URL = TOOL + "/lti/launch"

ROLES = {
    "participant": [LEARNER],
    "facilitator": [INSTRUCTOR],
    "designer": [CONTENT_DEVELOPER],
    "mentor": [MENTOR],
}


@dataclass
class TestPlatform:
    """What a registered LMS knows: its issuer, our client_id, a deployment, its key."""

    __test__ = False

    issuer: str
    client_id: str
    deployment_id: str
    key: TestKey
    db_id: int = 0

    @property
    def auth_login_url(self) -> str:
        return self.issuer + "/auth"


@dataclass
class Login:
    state: str
    nonce: str
    redirect_uri: str
    response: TestResponse


@dataclass
class Launcher:
    """Drives login + launch through the Flask test client, like a browser and an LMS would."""

    client: FlaskClient
    platform: TestPlatform
    extra_claims: dict[str, Any] = field(default_factory=dict)
    base_url: str = "http://localhost"  # "https://localhost" to act as if behind TLS

    def login(self, **params: Any) -> Login:
        query = {
            "iss": self.platform.issuer,
            "login_hint": "user-hint-1",
            "target_link_uri": LAUNCH_URL,
            "lti_message_hint": "message-hint-1",
            "client_id": self.platform.client_id,
            "lti_deployment_id": self.platform.deployment_id,
        }
        query.update(params)
        query = {k: v for k, v in query.items() if v is not None}
        method = query.pop("_method", "GET")
        if method == "POST":
            response = self.client.post("/lti/login", data=query, base_url=self.base_url)
        else:
            response = self.client.get("/lti/login", query_string=query, base_url=self.base_url)
        if response.status_code != 302:
            return Login(state="", nonce="", redirect_uri="", response=response)
        location = response.headers["Location"]
        auth = parse_qs(urlsplit(location).query)
        return Login(
            state=auth["state"][0],
            nonce=auth["nonce"][0],
            redirect_uri=auth["redirect_uri"][0],
            response=response,
        )

    def claims(
        self, role: str = "participant", nonce: Any = "", **overrides: Any
    ) -> dict[str, Any]:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.platform.issuer,
            "aud": self.platform.client_id,
            "sub": "user-1",
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": "Carmen Soto",
            "given_name": "Carmen",
            "family_name": "Soto",
            "locale": "es-CL",
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.platform.deployment_id,
            LTI + "target_link_uri": LAUNCH_URL,
            LTI + "roles": ROLES[role],
            LTI + "resource_link": {"id": "link-1", "title": "Senda"},
            LTI + "context": {"id": "course-1", "title": "Cohorte 1", "label": "C1"},
            LTI + "launch_presentation": {"return_url": self.platform.issuer + "/course/1"},
        }
        body.update(self.extra_claims)
        for key, value in {"nonce": nonce, **overrides}.items():
            if value is _DELETE:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    def sign(
        self,
        body: dict[str, Any],
        key: TestKey | None = None,
        headers: dict[str, Any] | None = None,
    ) -> str:
        key = key or self.platform.key
        header = {"kid": key.kid}
        if headers is not None:
            header = headers
        return jwt.encode(body, key.private, algorithm="RS256", headers=header)

    def post_launch(self, id_token: str | None, state: str | None) -> TestResponse:
        data = {}
        if id_token is not None:
            data["id_token"] = id_token
        if state is not None:
            data["state"] = state
        return self.client.post("/lti/launch", data=data, base_url=self.base_url)

    def launch(self, role: str = "participant", **overrides: Any) -> TestResponse:
        login = self.login()
        assert login.response.status_code == 302, login.response.data[:500]
        body = self.claims(role, nonce=login.nonce, **overrides)
        return self.post_launch(self.sign(body), login.state)


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


_DELETE = _Delete()
DELETE: Any = _DELETE


def new_id() -> str:
    return uuid.uuid4().hex
