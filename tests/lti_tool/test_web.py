"""Headers, error pages and the cookieless (platform storage) launch."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from lti_tool.models import Platform, db
from tests.conftest import row_counts
from tests.support.lti import LTI, Launcher


def test_security_headers_on_every_page(launcher: Launcher) -> None:
    launcher.launch("participant")
    for path in ("/", "/lti/jwks", "/health"):
        response = launcher.client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp
        assert "frame-ancestors 'self' https://lms.example.edu" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert launcher.client.get("/").headers["Cache-Control"] == "no-store"


def test_frame_ancestors_never_allow_everyone(client: FlaskClient, launcher: Launcher) -> None:
    csp = client.get("/health").headers["Content-Security-Policy"]
    assert "*" not in csp.split("frame-ancestors")[1]


def test_health(client: FlaskClient) -> None:
    assert client.get("/health").get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_errors_show_no_stack_trace(app: Flask, client: FlaskClient) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail")

    response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Traceback" not in page and "secret detail" not in page
    assert "Algo salió mal" in page
    assert not app.debug


def test_not_found_is_translated(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "No encontramos esa página" in response.get_data(as_text=True)


OURS = {"Origin": "http://localhost"}  # what a browser sends from Senda's own pages


def _storage_login(launcher: Launcher) -> tuple[str, str, str]:
    response = launcher.client.get(
        "/lti/login",
        query_string={
            "iss": launcher.platform.issuer,
            "login_hint": "u",
            "target_link_uri": "http://localhost/lti/launch",
            "client_id": launcher.platform.client_id,
            "lti_storage_target": "_parent",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    state = page.split('data-state="')[1].split('"')[0]
    auth_url = page.split('data-auth-url="')[1].split('"')[0].replace("&amp;", "&")
    nonce = auth_url.split("nonce=")[1].split("&")[0]
    assert 'data-origin="https://lms.example.edu"' in page
    return state, nonce, auth_url


def test_platform_storage_launch_works_without_cookies(app: Flask, launcher: Launcher) -> None:
    state, nonce, _ = _storage_login(launcher)
    token = launcher.sign(launcher.claims(nonce=nonce))
    with app.test_client() as cookieless:  # the iframe's cookies are blocked
        before = row_counts()
        page = cookieless.post("/lti/launch", data={"id_token": token, "state": state})
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert 'data-mode="get"' in text and f'data-state="{state}"' in text
        assert row_counts() == before  # nothing recorded before the browser is proven
        ticket = text.split('name="ticket" value="')[1].split('"')[0]
        # The page read the state back from the platform's storage frame and confirms it.
        confirmed = cookieless.post(
            "/lti/launch/confirm", data={"ticket": ticket, "state": state}, headers=OURS
        )
        assert confirmed.status_code == 200
        assert "session-check" in confirmed.get_data(as_text=True)
        assert cookieless.get("/lti/session-check").status_code == 200
        assert "Hola, Carmen" in cookieless.get("/", follow_redirects=True).get_data(as_text=True)
        # The ticket was single use.
        again = cookieless.post(
            "/lti/launch/confirm", data={"ticket": ticket, "state": state}, headers=OURS
        )
        assert again.status_code == 401


def test_platform_storage_with_a_wrong_state_is_refused(app: Flask, launcher: Launcher) -> None:
    state, nonce, _ = _storage_login(launcher)
    token = launcher.sign(launcher.claims(nonce=nonce))
    with app.test_client() as cookieless:
        text = cookieless.post("/lti/launch", data={"id_token": token, "state": state}).get_data(
            as_text=True
        )
        ticket = text.split('name="ticket" value="')[1].split('"')[0]
        before = row_counts()
        refused = cookieless.post(
            "/lti/launch/confirm", data={"ticket": ticket, "state": "state-other"}, headers=OURS
        )
        assert refused.status_code == 401
        assert row_counts() == before


def test_new_window_handoff_opens_the_session_once(app: Flask, launcher: Launcher) -> None:
    state, nonce, _ = _storage_login(launcher)
    token = launcher.sign(launcher.claims(nonce=nonce))
    with app.test_client() as frame:
        text = frame.post("/lti/launch", data={"id_token": token, "state": state}).get_data(
            as_text=True
        )
        ticket = text.split('name="ticket" value="')[1].split('"')[0]
        checked = frame.post(
            "/lti/launch/confirm", data={"ticket": ticket, "state": state}, headers=OURS
        )
        handoff = checked.get_data(as_text=True).split('name="ticket" value="')[1].split('"')[0]
    with app.test_client() as new_window:
        opened = new_window.post("/lti/launch/continue", data={"ticket": handoff}, headers=OURS)
        assert opened.status_code == 302
        assert "Hola, Carmen" in new_window.get("/", follow_redirects=True).get_data(as_text=True)
        assert (
            new_window.post(
                "/lti/launch/continue", data={"ticket": handoff}, headers=OURS
            ).status_code
            == 401
        )


def test_login_csrf_through_the_cookieless_hand_over_is_refused(
    app: Flask, launcher: Launcher
) -> None:
    """An attacker launches in her own browser, then makes the victim's browser post her ticket
    and state (or her new-window hand-over) from another site: refused, nobody signed in."""
    state, nonce, _ = _storage_login(launcher)
    token = launcher.sign(launcher.claims(nonce=nonce, sub="attacker"))
    with app.test_client() as attacker:
        text = attacker.post("/lti/launch", data={"id_token": token, "state": state}).get_data(
            as_text=True
        )
    ticket = text.split('name="ticket" value="')[1].split('"')[0]
    evil = {"Origin": "https://evil.example.com"}
    with app.test_client() as victim:
        for headers in (evil, {"Sec-Fetch-Site": "cross-site"}, {}):
            refused = victim.post(
                "/lti/launch/confirm", data={"ticket": ticket, "state": state}, headers=headers
            )
            assert refused.status_code == 403 and "foreign_origin" in refused.get_data(True)
        assert victim.get("/lti/session-check").status_code == 401
        # The same ticket still works from Senda's own page in the attacker's browser.
    with app.test_client() as attacker:
        handoff_page = attacker.post(
            "/lti/launch/confirm", data={"ticket": ticket, "state": state}, headers=OURS
        )
        handoff = handoff_page.get_data(as_text=True).split('name="ticket" value="')[1]
        handoff = handoff.split('"')[0]
    with app.test_client() as victim:
        refused = victim.post("/lti/launch/continue", data={"ticket": handoff}, headers=evil)
        assert refused.status_code == 403
        assert victim.get("/lti/session-check").status_code == 401


def test_csrf_token_is_required_on_forms(launcher: Launcher) -> None:
    launcher.launch("participant")
    response = launcher.client.post("/locale", data={"locale": "en", "next": "/"})
    assert response.status_code == 400
    assert "formulario expiró" in response.get_data(as_text=True)


def test_sql_metacharacters_in_claims_are_stored_verbatim(launcher: Launcher) -> None:
    title = "'; DROP TABLE lti_user; --"
    launcher.launch("participant", **{LTI + "context": {"id": "c'1", "title": title}})
    from lti_tool.models import LmsContext

    context = db.session.query(LmsContext).one()
    assert context.title == title and context.context_id == "c'1"


def test_platform_origin_in_csp_follows_registration(
    app: Flask, client: FlaskClient, launcher: Any
) -> None:
    from lti_tool.web.headers import forget_frame_ancestors

    platform = db.session.get(Platform, launcher.platform.db_id)
    assert platform is not None
    platform.active = False
    db.session.commit()
    forget_frame_ancestors()
    assert "lms.example.edu" not in client.get("/health").headers["Content-Security-Policy"]


def test_tenants_frame_ancestors_are_per_platform(app: Flask, launcher: Launcher) -> None:
    """A platform's pages may be framed by its own origins only; origins another tenant's
    launches taught Senda (its school domains) never reach them."""
    from tests.conftest import register_platform
    from tests.support.lti import Launcher as TenantLauncher

    other = register_platform("https://other.example.org", "client-b", "dep-b", "other")
    with app.test_client() as tenant_b:
        b = TenantLauncher(tenant_b, other)
        b.launch(
            "participant",
            **{LTI + "launch_presentation": {"return_url": "https://school-b.example.org/c/1"}},
        )
        csp_b = tenant_b.get("/health").headers["Content-Security-Policy"]
        assert "https://school-b.example.org" in csp_b.split("frame-ancestors")[1]
    launcher.launch("participant")
    csp_a = launcher.client.get("/health").headers["Content-Security-Policy"]
    ancestors = csp_a.split("frame-ancestors")[1]
    assert "https://lms.example.edu" in ancestors
    assert "school-b" not in ancestors and "other.example.org" not in ancestors
    with app.test_client() as anonymous:
        assert (
            anonymous.get("/health")
            .headers["Content-Security-Policy"]
            .endswith("frame-ancestors 'self'")
        )
