"""Every login and launch that must be refused (shared/design/security-cases.md, cases 1–22; the
1EdTech certification "known bad payloads"). Each refusal returns 4xx with a translated page and
writes nothing."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
import responses
from flask import Flask

from lti_tool.lti import platform_keys, registry
from tests.conftest import register_platform, row_counts
from tests.support.keys import platform_key
from tests.support.lti import DELETE, LAUNCH_URL, LTI, Launcher


def assert_refused(response: Any, status: int, text: str | None = None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    page = response.get_data(as_text=True)
    assert "Traceback" not in page
    assert 'lang="es"' in page
    if text:
        assert text in page
    # No session is opened (a refused launch may only end the one the browser had).
    for cookie in response.headers.getlist("Set-Cookie"):
        assert not cookie.startswith("senda_session=") or cookie.startswith("senda_session=;")


# ------------------------------------------------------------------------------ login (1–5)
def test_unknown_issuer_is_refused_without_redirect(launcher: Launcher) -> None:
    before = row_counts()
    login = launcher.login(iss="https://evil.example")
    assert_refused(login.response, 400, "Senda todavía no conoce este LMS")
    assert "Location" not in login.response.headers
    assert row_counts() == before


def test_known_issuer_with_unknown_client_id_is_refused(launcher: Launcher) -> None:
    login = launcher.login(client_id="someone-else")
    assert_refused(login.response, 400)


@responses.activate
def test_same_client_id_under_two_issuers_picks_the_right_registration(
    app: Flask, launcher: Launcher
) -> None:
    """Canvas shares one issuer; other platforms may reuse a client_id: the pair decides."""
    other = register_platform(
        "https://other.example.edu", launcher.platform.client_id, "d-9", "other"
    )
    responses.get(other.issuer + "/jwks", json=other.key.key_set())
    login = launcher.login(iss=other.issuer, lti_deployment_id="d-9")
    assert login.response.headers["Location"].startswith(other.auth_login_url)
    body = launcher.claims(nonce=login.nonce, iss=other.issuer, **{LTI + "deployment_id": "d-9"})
    # Signed by the first platform's key while claiming the second's issuer: refused.
    assert_refused(launcher.post_launch(launcher.sign(body), login.state), 401)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/lti/launch",
        "//evil.example/lti/launch",
        "https://localhost.evil.example/lti/launch",
        "https://user@evil.example/lti/launch",
        "http://localhost@evil.example/",
        "http:\\\\evil.example\\lti",
        "javascript:alert(1)",
    ],
)
def test_target_link_uri_off_our_host_is_refused(launcher: Launcher, target: str) -> None:
    login = launcher.login(target_link_uri=target)
    assert_refused(login.response, 400)
    assert "Location" not in login.response.headers


@pytest.mark.parametrize("missing", ["iss", "login_hint", "target_link_uri"])
def test_login_without_required_parameter_is_refused(launcher: Launcher, missing: str) -> None:
    login = launcher.login(**{missing: None})
    assert_refused(login.response, 400)


def test_hostile_hints_are_refused_or_only_travel_url_encoded(launcher: Launcher) -> None:
    assert_refused(launcher.login(login_hint="x" * 10_000).response, 400)
    assert_refused(launcher.login(login_hint="a\r\nSet-Cookie: x=1").response, 400)
    login = launcher.login(lti_message_hint='<script>alert("x")</script>')
    location = login.response.headers["Location"]
    assert "<script>" not in location and "%3Cscript%3E" in location


def test_other_methods_on_login_are_not_allowed(client: Any) -> None:
    assert client.put("/lti/login").status_code == 405
    assert client.delete("/lti/login").status_code == 405
    assert client.get("/lti/launch").status_code == 405


# ------------------------------------------------------------------------ id_token (6–22)
def test_missing_id_token_is_refused(launcher: Launcher) -> None:
    login = launcher.login()
    before = row_counts()
    assert_refused(launcher.post_launch(None, login.state), 400)
    assert row_counts() == before


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b", "a.b.c.d", "eyJ.eyJ.sig", "%%%.%%%.%%%"])
def test_malformed_id_token_is_refused(launcher: Launcher, token: str) -> None:
    login = launcher.login()
    before = row_counts()
    response = launcher.post_launch(token, login.state)
    assert response.status_code in (400, 401)
    assert row_counts() == before


def _unsigned(body: dict[str, Any], header: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(body)}."


# Each case: (name, how to build the token from (launcher, nonce), expected status).
TokenCase = Callable[[Launcher, str], str]


def _alg_none(launcher: Launcher, nonce: str) -> str:
    return _unsigned(
        launcher.claims(nonce=nonce), {"alg": "none", "kid": launcher.platform.key.kid}
    )


def _hs256_key_confusion(launcher: Launcher, nonce: str) -> str:
    # HMAC "signed" with the platform's public key as the secret.
    header = {"alg": "HS256", "kid": launcher.platform.key.kid, "typ": "JWT"}
    signing_input = _unsigned(launcher.claims(nonce=nonce), header)[:-1]
    import hashlib
    import hmac

    mac = hmac.new(
        launcher.platform.key.public_pem.encode(), signing_input.encode(), hashlib.sha256
    )
    signature = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


def _foreign_key_same_kid(launcher: Launcher, nonce: str) -> str:
    return launcher.sign(
        launcher.claims(nonce=nonce),
        key=platform_key("attacker"),
        headers={"kid": launcher.platform.key.kid},
    )


def _tampered_payload(launcher: Launcher, nonce: str) -> str:
    token = launcher.sign(launcher.claims(nonce=nonce))
    header, _, signature = token.split(".")
    forged = launcher.claims(
        nonce=nonce,
        **{LTI + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"]},
    )
    payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def _no_kid(launcher: Launcher, nonce: str) -> str:
    return launcher.sign(launcher.claims(nonce=nonce), headers={})


def _claims(**overrides: Any) -> TokenCase:
    return lambda launcher, nonce: launcher.sign(launcher.claims(**{"nonce": nonce, **overrides}))


NOW = int(time.time())

BAD_TOKENS: list[tuple[str, TokenCase, int, str]] = [
    ("alg none", _alg_none, 401, ""),
    ("HS256 with the public key as secret", _hs256_key_confusion, 401, ""),
    ("no KID sent in JWT header", _no_kid, 401, ""),
    ("signature from a key not in the JWKS", _foreign_key_same_kid, 401, ""),
    ("payload tampered after signing", _tampered_payload, 401, ""),
    ("issuer differs by a trailing slash", _claims(iss="https://lms.example.edu/"), 400, ""),
    ("aud is another client", _claims(aud="other-client"), 401, ""),
    ("aud array without our client", _claims(aud=["x", "y"]), 401, ""),
    ("aud array with us, no azp", _claims(aud=["client-abc", "untrusted"]), 401, ""),
    ("aud array with us, azp another", _claims(aud=["client-abc", "x"], azp="x"), 401, ""),
    ("azp differs from aud", _claims(azp="someone-else"), 401, ""),
    ("expired beyond leeway", _claims(exp=NOW - 120, iat=NOW - 400), 401, "ha expirado"),
    ("no exp", _claims(exp=DELETE), 401, ""),
    ("iat far in the future", _claims(iat=NOW + 3600, exp=NOW + 7200), 401, ""),
    ("iat older than the maximum token age", _claims(iat=NOW - 3600, exp=NOW + 60), 401, ""),
    ("nonce missing", _claims(nonce=DELETE), 401, ""),
    ("nonce not the one issued", lambda lr, n: lr.sign(lr.claims(nonce="other-nonce")), 401, ""),
    ("deployment_id claim missing", _claims(**{LTI + "deployment_id": DELETE}), 400, ""),
    ("deployment_id unknown", _claims(**{LTI + "deployment_id": "nope"}), 401, ""),
    ("wrong LTI version", _claims(**{LTI + "version": "1.1.0"}), 400, ""),
    ("no LTI version", _claims(**{LTI + "version": DELETE}), 400, ""),
    ("message_type missing", _claims(**{LTI + "message_type": DELETE}), 400, ""),
    ("message_type padded", _claims(**{LTI + "message_type": "LtiResourceLinkRequest "}), 400, ""),
    ("message_type unknown", _claims(**{LTI + "message_type": "LtiStartProctoring"}), 400, ""),
    (
        "resource_link_id missing",
        _claims(**{LTI + "resource_link": {"title": "x"}}),
        400,
        "identidad",
    ),
    ("user (sub) missing", _claims(sub=DELETE), 400, "identidad"),
    (
        "target_link_uri differs from login",
        _claims(**{LTI + "target_link_uri": "http://localhost/x"}),
        401,
        "",
    ),
    ("target_link_uri missing", _claims(**{LTI + "target_link_uri": DELETE}), 401, ""),
]


@pytest.mark.parametrize(
    ("name", "make_token", "status", "text"), BAD_TOKENS, ids=[c[0] for c in BAD_TOKENS]
)
def test_bad_payload_is_refused_and_writes_nothing(
    launcher: Launcher, name: str, make_token: TokenCase, status: int, text: str
) -> None:
    login = launcher.login()
    before = row_counts()
    response = launcher.post_launch(make_token(launcher, login.nonce), login.state)
    assert_refused(response, status, text or None)
    assert row_counts() == before


def test_unknown_deployment_is_refused_with_admin_hint(launcher: Launcher) -> None:
    login = launcher.login(lti_deployment_id=None)
    body = launcher.claims(nonce=login.nonce, **{LTI + "deployment_id": "not-registered"})
    before = row_counts()
    response = launcher.post_launch(launcher.sign(body), login.state)
    assert_refused(response, 403, "add-deployment")
    assert row_counts() == before


def test_deployment_differing_from_login_hint_is_refused(app: Flask, launcher: Launcher) -> None:
    from lti_tool.models import Platform, db
    from tests.factories import DeploymentFactory

    platform = db.session.get(Platform, launcher.platform.db_id)
    DeploymentFactory(platform=platform, deployment_id="deployment-2")
    login = launcher.login()  # hints deployment-1
    body = launcher.claims(nonce=login.nonce, **{LTI + "deployment_id": "deployment-2"})
    assert_refused(launcher.post_launch(launcher.sign(body), login.state), 401)


def test_replayed_launch_is_refused(launcher: Launcher) -> None:
    login = launcher.login()
    token = launcher.sign(launcher.claims(nonce=login.nonce))
    assert launcher.post_launch(token, login.state).status_code == 302
    before = row_counts()
    assert_refused(launcher.post_launch(token, login.state), 401, "ya fue usado")
    assert row_counts() == before


def test_replay_on_another_worker_is_refused(app: Flask, launcher: Launcher, migrated: str) -> None:
    """Two app instances (two gunicorn workers) share the state store."""
    from lti_tool import create_app
    from tests.conftest import app_settings

    login = launcher.login()
    token = launcher.sign(launcher.claims(nonce=login.nonce))
    assert launcher.post_launch(token, login.state).status_code == 302
    other_worker = create_app(app_settings(migrated))
    with other_worker.test_client() as client:
        client.set_cookie(*_state_cookie(launcher, login.state))
        response = client.post("/lti/launch", data={"id_token": token, "state": login.state})
    with other_worker.app_context():
        from lti_tool.models import db

        db.engine.dispose()  # close its connections before the suite goes on
    assert response.status_code == 401


def _state_cookie(launcher: Launcher, state: str) -> tuple[str, str]:
    from lti_tool.lti.adapter import state_cookie_name

    return state_cookie_name(state), state


def test_valid_token_with_a_reused_nonce_is_refused(launcher: Launcher) -> None:
    first = launcher.login()
    assert (
        launcher.post_launch(
            launcher.sign(launcher.claims(nonce=first.nonce)), first.state
        ).status_code
        == 302
    )
    second = launcher.login()
    reused = launcher.sign(launcher.claims(nonce=first.nonce))
    assert_refused(launcher.post_launch(reused, second.state), 401)


def test_missing_state_is_refused(launcher: Launcher) -> None:
    login = launcher.login()
    token = launcher.sign(launcher.claims(nonce=login.nonce))
    assert_refused(launcher.post_launch(token, None), 400)


def test_state_that_was_never_issued_is_refused(launcher: Launcher) -> None:
    login = launcher.login()
    token = launcher.sign(launcher.claims(nonce=login.nonce))
    assert_refused(launcher.post_launch(token, "state-forged"), 401)


def test_launch_in_another_browser_is_refused(app: Flask, launcher: Launcher) -> None:
    """Login CSRF: Mal's launch POST replayed in Alice's browser (no or another state cookie)."""
    login = launcher.login()
    token = launcher.sign(launcher.claims(nonce=login.nonce))
    with app.test_client() as alice:
        alice.set_cookie(_state_cookie(launcher, login.state)[0], "state-of-another-login")
        response = alice.post("/lti/launch", data={"id_token": token, "state": login.state})
    assert_refused(response, 401)


def test_blocked_cookie_offers_a_new_window(app: Flask, launcher: Launcher) -> None:
    login = launcher.login()
    token = launcher.sign(launcher.claims(nonce=login.nonce))
    with app.test_client() as blocked:
        response = blocked.post("/lti/launch", data={"id_token": token, "state": login.state})
    assert_refused(response, 401, "Abrir Senda en una ventana nueva")
    page = response.get_data(as_text=True)
    assert 'target="_blank"' in page and 'name="login_hint" value="user-hint-1"' in page


def test_huge_id_token_is_refused_early(launcher: Launcher) -> None:
    login = launcher.login()
    before = row_counts()
    response = launcher.post_launch("a" * 1_000_000, login.state)
    assert response.status_code == 413
    assert row_counts() == before


def test_deep_linking_request_from_a_participant_is_refused(launcher: Launcher) -> None:
    login = launcher.login()
    body = launcher.claims(
        nonce=login.nonce,
        **{
            LTI + "message_type": "LtiDeepLinkingRequest",
            LTI + "resource_link": DELETE,
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
                "deep_link_return_url": "https://lms.example.edu/dl",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe"],
            },
        },
    )
    before = row_counts()
    assert_refused(launcher.post_launch(launcher.sign(body), login.state), 403)
    assert row_counts() == before


def test_disabled_platform_is_refused(app: Flask, launcher: Launcher) -> None:
    from lti_tool.models import Platform, db

    login = launcher.login()
    platform = db.session.get(Platform, launcher.platform.db_id)
    assert platform is not None
    platform.active = False
    db.session.commit()
    registry.forget_cache()  # as every worker does within seconds
    before = row_counts()
    token = launcher.sign(launcher.claims(nonce=login.nonce))
    assert_refused(launcher.post_launch(token, login.state), 403, "desactivada")
    assert row_counts() == before
    assert_refused(launcher.login().response, 400)


# ---------------------------------------------------------------- keys of the platform (9)
@responses.activate
def test_unknown_kid_refetches_the_key_set_once_then_works(app: Flask, client: Any) -> None:
    platform = register_platform(
        "https://rotating.example.edu", "c-1", "d-1", "old", store_keys=True
    )
    new_key = platform_key("new")
    jwks = responses.get(platform.issuer + "/jwks", json=new_key.key_set())
    platform.key = new_key  # the platform rotated its key
    launcher = Launcher(client, platform)
    assert launcher.launch().status_code == 302
    assert launcher.launch().status_code == 302
    assert jwks.call_count == 1


@responses.activate
def test_a_flood_of_unknown_kids_fetches_the_key_set_at_most_once(app: Flask, client: Any) -> None:
    platform = register_platform("https://flood.example.edu", "c-1", "d-1", "lms")
    jwks = responses.get(platform.issuer + "/jwks", json=platform.key.key_set())
    launcher = Launcher(client, platform)
    for i in range(10):
        login = launcher.login()
        token = launcher.sign(launcher.claims(nonce=login.nonce), headers={"kid": f"forged-{i}"})
        assert launcher.post_launch(token, login.state).status_code == 401
    assert jwks.call_count == 1


@responses.activate
def test_key_set_unreachable_gives_a_retry_page_not_a_crash(app: Flask, client: Any) -> None:
    platform = register_platform("https://down.example.edu", "c-1", "d-1", "lms", store_keys=False)
    responses.get(platform.issuer + "/jwks", status=503)
    launcher = Launcher(client, platform)
    response = launcher.launch()
    assert_refused(response, 503)


def test_launches_never_fetch_keys_they_already_have(launcher: Launcher) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for _ in range(3):
            assert launcher.launch().status_code == 302
        assert len(mock.calls) == 0
    platform_keys.forget_cached_keys()


def test_token_signed_with_symmetric_secret_never_verifies(launcher: Launcher) -> None:
    login = launcher.login()
    token = jwt.encode(
        launcher.claims(nonce=login.nonce),
        "a-shared-secret-that-is-long-enough-32b",
        algorithm="HS256",
        headers={"kid": launcher.platform.key.kid},
    )
    assert_refused(launcher.post_launch(token, login.state), 401)


def test_launch_url_constant_is_what_login_registers() -> None:
    assert LAUNCH_URL.endswith("/lti/launch")


def _age_the_last_fetch(platform_id: int, seconds: int) -> None:
    from datetime import timedelta

    from lti_tool.models import Platform, db, utcnow

    row = db.session.get(Platform, platform_id)
    assert row is not None
    row.key_set_fetched_at = utcnow() - timedelta(seconds=seconds)
    db.session.commit()


@responses.activate
def test_keys_a_key_the_platform_removed_stops_verifying_at_the_next_fetch(
    app: Flask, client: Any
) -> None:
    old, new = platform_key("old"), platform_key("new")
    platform = register_platform("https://revoking.example.edu", "c-1", "d-1", "old")
    launcher = Launcher(client, platform)
    assert launcher.launch().status_code == 302  # the old key verifies
    # The platform replaces its key set: the old key is revoked, a new one published.
    responses.get(platform.issuer + "/jwks", json=new.key_set())
    _age_the_last_fetch(platform.db_id, 11)
    platform.key = new
    assert launcher.launch().status_code == 302  # the new kid fetched the key set
    platform.key = old
    assert_refused(launcher.launch(), 401)  # a token signed with the revoked key


@responses.activate
def test_keys_a_new_platform_key_works_within_10_seconds_of_a_fetch(
    app: Flask, client: Any
) -> None:
    platform = register_platform("https://rotating2.example.edu", "c-1", "d-1", "old")
    jwks = responses.get(platform.issuer + "/jwks", json=platform_key("old").key_set())
    launcher = Launcher(client, platform)
    login = launcher.login()
    forged = launcher.sign(launcher.claims(nonce=login.nonce), headers={"kid": "not-yet"})
    assert launcher.post_launch(forged, login.state).status_code == 401  # fetched just now
    assert jwks.call_count == 1
    new = platform_key("new")
    responses.replace(responses.GET, platform.issuer + "/jwks", json=new.key_set())
    platform.key = new
    assert_refused(launcher.launch(), 401)  # within the interval: still rate-limited
    _age_the_last_fetch(platform.db_id, 10)
    assert launcher.launch().status_code == 302  # 10 s later the new key is accepted
