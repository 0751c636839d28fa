"""Administrators add, list, disable and enable platforms from the command line."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from lti_tool.models import Deployment, Platform, ToolKey, db
from lti_tool.settings import DeclaredPlatform
from tests.conftest import override_settings


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_add_list_disable_enable(app: Flask) -> None:
    output = run(
        app,
        "platforms", "add",
        "--issuer", "https://moodle.example.org",
        "--client-id", "abc",
        "--auth-login-url", "https://moodle.example.org/mod/lti/auth.php",
        "--auth-token-url", "https://moodle.example.org/mod/lti/token.php",
        "--key-set-url", "https://moodle.example.org/mod/lti/certs.php",
        "--deployment-id", "1",
        "--deployment-id", "2",
    )  # fmt: skip
    assert "platform 1" in output
    listing = run(app, "platforms", "list")
    assert "https://moodle.example.org" in listing and "deployments=[1, 2]" in listing
    run(app, "platforms", "disable", "1")
    assert "DISABLED" in run(app, "platforms", "list")
    run(app, "platforms", "enable", "1")
    run(app, "platforms", "add-deployment", "1", "3")
    run(app, "platforms", "remove-deployment", "1", "2")
    deployments = db.session.scalars(select(Deployment).order_by(Deployment.deployment_id)).all()
    assert [(d.deployment_id, d.active) for d in deployments] == [
        ("1", True),
        ("2", False),
        ("3", True),
    ]
    platform = db.session.scalar(select(Platform))
    assert platform is not None and platform.active


def test_config_platforms_and_database_platforms_work_together(app: Flask, client: object) -> None:
    canvas = DeclaredPlatform(
        issuer="https://canvas.instructure.com",
        client_id="100000000000042",
        deployment_ids=("7:abc",),
        auth_login_url="https://sso.canvaslms.com/api/lti/authorize_redirect",
        auth_token_url="https://sso.canvaslms.com/login/oauth2/token",
        key_set_url="https://sso.canvaslms.com/api/lti/security/jwks",
    )
    override_settings(app, lti={"platforms": (canvas,)})
    app.extensions.pop("senda_platforms_synced", None)
    from lti_tool.lti.registry import find_platform

    assert find_platform("https://canvas.instructure.com", "100000000000042") is not None
    assert "canvas.instructure.com" in run(app, "platforms", "list")


def test_keys_rotate_keeps_the_previous_key_published(app: Flask, client: object) -> None:
    run(app, "keys", "ensure")
    first = client.get("/lti/jwks").get_json()["keys"]  # type: ignore[attr-defined]
    assert len(first) == 1
    run(app, "keys", "rotate")
    second = client.get("/lti/jwks").get_json()["keys"]  # type: ignore[attr-defined]
    assert len(second) == 2 and first[0] in second
    run(app, "keys", "rotate")
    third = client.get("/lti/jwks").get_json()["keys"]  # type: ignore[attr-defined]
    assert len(third) == 2 and first[0] not in third
    assert db.session.scalar(select(ToolKey).where(ToolKey.status == "retired")) is not None


def test_published_keys_hold_no_private_material(app: Flask, client: object) -> None:
    run(app, "keys", "ensure")
    for key in client.get("/lti/jwks").get_json()["keys"]:  # type: ignore[attr-defined]
        assert {"d", "p", "q", "dp", "dq", "qi"}.isdisjoint(key)
        assert key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
