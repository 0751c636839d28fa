"""LTI Dynamic Registration: one pasted URL registers the LMS; without a valid token, nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_tool.models import Deployment, Platform, RegistrationToken, db
from lti_tool.services.registration import create_token, revoke_token
from tests.conftest import row_counts
from tests.support.keys import platform_key

MOODLE = "https://moodle.example.org"
CONFIG_URL = MOODLE + "/mod/lti/openid-configuration.php"


def moodle_configuration(**overrides: Any) -> dict[str, Any]:
    config = {
        "issuer": MOODLE,
        "authorization_endpoint": MOODLE + "/mod/lti/auth.php",
        "token_endpoint": MOODLE + "/mod/lti/token.php",
        "jwks_uri": MOODLE + "/mod/lti/certs.php",
        "registration_endpoint": MOODLE + "/mod/lti/openid-registration.php",
        "scopes_supported": [
            "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
            "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
        ],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
            "product_family_code": "moodle",
            "version": "4.5",
        },
    }
    config.update(overrides)
    return config


@pytest.fixture
def moodle() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(CONFIG_URL, json=moodle_configuration())
        mock.post(
            MOODLE + "/mod/lti/openid-registration.php",
            json={
                "client_id": "moodle-client-7",
                "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": "12"},
            },
        )
        mock.get(MOODLE + "/mod/lti/certs.php", json=platform_key("moodle").key_set())
        yield mock


def start(client: FlaskClient, token: str, config_url: str = CONFIG_URL) -> Any:
    return client.get(
        "/lti/register",
        query_string={
            "token": token,
            "openid_configuration": config_url,
            "registration_token": "reg-jwt",
        },
    )


def confirmation_of(page: Any) -> str:
    match = re.search(r'name="confirmation" value="([^"]+)"', page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)[:500]
    return match.group(1)


def finish(client: FlaskClient, confirmation: str) -> Any:
    return client.post("/lti/register", data={"confirmation": confirmation})


def register(client: FlaskClient, token: str, config_url: str = CONFIG_URL) -> Any:
    """The LMS opens the URL, the administrator presses Register."""
    page = start(client, token, config_url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return finish(client, confirmation_of(page))


def test_moodle_registers_with_one_pasted_url(app: Flask, client: FlaskClient, moodle: Any) -> None:
    token = create_token(note="Moodle test")
    page = start(client, token)
    assert page.status_code == 200
    assert MOODLE in page.get_data(as_text=True) and "Registrar" in page.get_data(as_text=True)
    assert token not in page.get_data(as_text=True)  # never echoed back into the page
    done = finish(client, confirmation_of(page))
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "register-close.js" in done.get_data(as_text=True)

    platform = db.session.scalar(select(Platform).where(Platform.issuer == MOODLE))
    assert platform is not None
    assert (platform.client_id, platform.source, platform.product) == (
        "moodle-client-7",
        "dynamic",
        "moodle",
    )
    assert platform.auth_login_url == MOODLE + "/mod/lti/auth.php"
    assert platform.key_set == platform_key("moodle").key_set()  # fetched at registration
    deployment = db.session.scalar(select(Deployment).where(Deployment.platform_id == platform.id))
    assert deployment is not None and deployment.deployment_id == "12"

    sent = json.loads(next(c for c in moodle.calls if c.request.method == "POST").request.body)
    # Moodle answers 400 unless these are present (mod/lti registration_helper.php).
    assert sent["response_types"] == ["id_token"]
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert sent["redirect_uris"] == ["http://localhost/lti/launch"]
    assert sent["initiate_login_uri"] == "http://localhost/lti/login"
    assert sent["jwks_uri"] == "http://localhost/lti/jwks"
    tool_config = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert tool_config["domain"] == "localhost" and tool_config["target_link_uri"]
    assert "email" not in tool_config["claims"]
    assert "lineitem.readonly" not in sent["scope"]  # only scopes the platform supports
    registration_call = next(c for c in moodle.calls if c.request.method == "POST")
    assert registration_call.request.headers["Authorization"] == "Bearer reg-jwt"


def test_registration_without_a_valid_token_registers_nothing(
    app: Flask, client: FlaskClient, moodle: Any
) -> None:
    before = row_counts()
    assert start(client, "made-up-token").status_code == 403
    assert finish(client, "made-up-confirmation").status_code == 400
    assert finish(client, "").status_code == 400
    assert start(client, "").status_code == 403
    assert row_counts() == before
    assert not [c for c in moodle.calls if c.request.method == "POST"]


def test_a_token_works_once(app: Flask, client: FlaskClient, moodle: Any) -> None:
    token = create_token()
    page = start(client, token)
    assert finish(client, confirmation_of(page)).status_code == 200
    platforms = row_counts()["platform"]
    # The confirmation too: pressed again it registers nothing (and says what the first did).
    assert finish(client, confirmation_of(page)).status_code == 200
    assert row_counts()["platform"] == platforms
    assert len([c for c in moodle.calls if c.request.method == "POST"]) == 1
    assert start(client, token).status_code == 403


def test_registration_token_is_used_up_by_the_first_get(
    app: Flask, client: FlaskClient, moodle: Any
) -> None:
    """A crawler, a prefetch or a leaked access log that replays the URL finds it dead."""
    token = create_token()
    assert start(client, token).status_code == 200
    again = start(client, token)
    assert again.status_code == 403
    row = db.session.scalar(select(RegistrationToken))
    assert row is not None and row.used_at is not None
    assert row.token_hash != token and token not in str(row.token_hash)  # stored hashed


def test_revoked_and_expired_tokens_are_refused(
    app: Flask, client: FlaskClient, moodle: Any
) -> None:
    revoked = create_token()
    row = db.session.scalar(select(RegistrationToken))
    assert row is not None and revoke_token(row.id)
    expired = create_token(hours=-1)
    before = row_counts()
    assert start(client, revoked).status_code == 403
    assert start(client, expired).status_code == 403
    assert row_counts() == before


def test_issuer_that_does_not_match_the_configuration_url_is_refused(
    app: Flask, client: FlaskClient, moodle: Any
) -> None:
    moodle.replace(
        responses.GET, CONFIG_URL, json=moodle_configuration(issuer="https://canvas.example.com")
    )
    token = create_token()
    before = row_counts()
    page = start(client, token)
    assert page.status_code == 400 and "No se registró nada" in page.get_data(as_text=True)
    assert row_counts()["platform"] == before["platform"]


def test_configuration_on_a_private_address_is_refused(
    app: Flask, client: FlaskClient, moodle: Any
) -> None:
    before = row_counts()
    for url in (
        "https://lms.internal.example/openid",
        "http://127.0.0.1:8080/openid",
        "https://169.254.169.254/latest",
    ):
        assert start(client, create_token(), url).status_code == 400
    assert row_counts()["platform"] == before["platform"]


def test_lms_refusing_the_registration_lets_the_administrator_try_again(
    app: Flask, client: FlaskClient, moodle: Any
) -> None:
    moodle.replace(responses.POST, MOODLE + "/mod/lti/openid-registration.php", status=401)
    page = start(client, create_token())
    confirmation = confirmation_of(page)
    assert finish(client, confirmation).status_code == 400
    assert row_counts()["platform"] == 0
    moodle.replace(
        responses.POST,
        MOODLE + "/mod/lti/openid-registration.php",
        json={"client_id": "moodle-client-8"},
    )
    assert finish(client, confirmation).status_code == 200
    assert row_counts()["platform"] == 1


def test_registration_cli_prints_a_url(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["registration", "token", "--base-url", "https://senda.example.org/", "--note", "x"]
    )
    assert result.exit_code == 0
    assert "https://senda.example.org/lti/register?token=" in result.output
    listed = app.test_cli_runner().invoke(args=["registration", "tokens"])
    assert "valid until" in listed.output


def test_canvas_developer_key_json(client: FlaskClient) -> None:
    config = client.get("/lti/config.json").get_json()
    assert config["oidc_initiation_url"] == "http://localhost/lti/login"
    assert config["target_link_uri"] == "http://localhost/lti/launch"
    assert config["public_jwk_url"] == "http://localhost/lti/jwks"
    placements = config["extensions"][0]["settings"]["placements"]
    assert {p["placement"] for p in placements} >= {"link_selection", "assignment_selection"}
    assert any(p["message_type"] == "LtiDeepLinkingRequest" for p in placements)


def test_an_lms_that_cannot_be_reached_gets_a_clear_page_not_a_500(
    app: Flask, client: FlaskClient
) -> None:
    import requests

    with responses.RequestsMock() as mock:
        mock.get(CONFIG_URL, body=requests.ConnectionError("no route to host"))
        page = start(client, create_token())
        assert page.status_code == 400
        assert "no se pudo leer" in page.get_data(as_text=True).lower()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(CONFIG_URL, json=moodle_configuration())
        mock.post(
            MOODLE + "/mod/lti/openid-registration.php",
            body=requests.ConnectTimeout("timed out"),
        )
        confirmation = confirmation_of(start(client, create_token()))
        before = row_counts()
        done = finish(client, confirmation)
    assert done.status_code == 400 and "Senda" in done.get_data(as_text=True)
    assert "No se pudo contactar al aula virtual" in done.get_data(as_text=True)
    assert row_counts()["platform"] == before["platform"]


@pytest.mark.parametrize(
    "issuer",
    [
        "https://moodle.example.org@attacker.example.com",  # userinfo in the issuer
        "https://moodle.example.org.attacker.example.com",  # a longer host
        "https://moodle.example.org:8443",  # another port
        "http://moodle.example.org",  # another scheme
        "https://moodle.example.org/other",  # a path the configuration is not under
    ],
)
def test_dynamic_registration_takeover_by_a_near_miss_issuer_is_refused(
    app: Flask, client: FlaskClient, moodle: Any, issuer: str
) -> None:
    moodle.replace(responses.GET, CONFIG_URL, json=moodle_configuration(issuer=issuer))
    before = row_counts()
    assert start(client, create_token()).status_code == 400
    assert row_counts()["platform"] == before["platform"]


def test_dynamic_registration_takeover_of_a_known_platform_is_held_for_approval(
    app: Flask, client: FlaskClient, moodle: Any
) -> None:
    """A second registration for a known issuer never changes the platform Senda trusts."""
    assert register(client, create_token()).status_code == 200
    trusted = db.session.scalar(select(Platform))
    assert trusted is not None
    original = (trusted.client_id, trusted.key_set_url, trusted.auth_token_url)
    attacker = MOODLE + "/attacker"
    moodle.replace(
        responses.GET,
        CONFIG_URL,
        json=moodle_configuration(
            jwks_uri=attacker + "/certs.php", token_endpoint=attacker + "/token.php"
        ),
    )
    moodle.replace(
        responses.POST,
        MOODLE + "/mod/lti/openid-registration.php",
        json={"client_id": "moodle-client-7"},  # the very same client id
    )
    done = register(client, create_token())
    assert done.status_code == 200 and "espera" in done.get_data(as_text=True)
    db.session.expire_all()
    again = db.session.scalar(select(Platform))
    assert again is not None and row_counts()["platform"] == 1
    assert (again.client_id, again.key_set_url, again.auth_token_url) == original
    # The administrator decides.
    pending = app.test_cli_runner().invoke(args=["platforms", "pending"])
    assert "moodle-client-7" in pending.output
    pending_id = pending.output.split()[0]
    rejected = app.test_cli_runner().invoke(args=["platforms", "approve", pending_id, "--reject"])
    assert "rejected" in rejected.output
    db.session.expire_all()
    assert db.session.scalar(select(Platform.key_set_url)) == original[1]
