"""Sessions on shared phones and community-centre computers: an idle timeout, a visible "Salir",
and sessions that end when the platform is disabled, her role changes or she is erased."""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import select

from lti_tool.models import LtiUser, Platform, db
from lti_tool.services import launches
from tests.support.journey import intake, post
from tests.support.lti import LTI, Launcher

SECRET = "Mi pareja no sabe que estudio aquí."


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def write_reflection(launcher: Launcher) -> None:
    intake(launcher.client)
    post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": SECRET},
        token_from="/activities/ls-strengths",
    )


def test_sessions_on_a_shared_phone_the_next_person_sees_nothing_after_the_idle_timeout(
    launcher: Launcher,
) -> None:
    launcher.launch("participant")
    write_reflection(launcher)
    assert SECRET in text(launcher.client.get("/activities/ls-strengths"))
    with launcher.client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60  # she left the phone half an hour ago
    later = launcher.client.get("/activities/ls-strengths")
    assert later.status_code == 401 and SECRET not in text(later)
    assert "session_expired" in text(later)


def test_sessions_a_visible_log_out_on_every_page_ends_the_session(launcher: Launcher) -> None:
    launcher.launch("participant")
    write_reflection(launcher)
    for path in ("/plan", "/privacy", "/activities/ls-strengths"):
        assert 'action="/logout"' in text(launcher.client.get(path)), path
    out = post(launcher.client, "/logout", token_from="/plan")
    assert out.status_code == 200 and "Saliste de Senda" in text(out)
    after = launcher.client.get("/activities/ls-strengths")
    assert after.status_code == 401 and SECRET not in text(after)
    assert launcher.client.get("/plan").headers["Cache-Control"] == "no-store"


def test_sessions_end_when_the_platform_is_disabled(launcher: Launcher) -> None:
    launcher.launch("participant")
    assert launcher.client.get("/plan", follow_redirects=True).status_code == 200
    platform = db.session.get(Platform, launcher.platform.db_id)
    assert platform is not None
    platform.active = False
    db.session.commit()
    launches.forget_live_sessions()  # as every worker does within seconds
    ended = launcher.client.get("/plan")
    assert ended.status_code == 401 and "session_ended" in text(ended)


def test_sessions_end_when_her_role_in_the_course_changes(app: Flask, launcher: Launcher) -> None:
    launcher.launch("facilitator", sub="paula")
    assert launcher.client.get("/cohort").status_code == 200
    with app.test_client() as elsewhere:  # the LMS now launches her as a learner
        Launcher(elsewhere, launcher.platform).launch("participant", sub="paula")
    launches.forget_live_sessions()
    ended = launcher.client.get("/cohort")
    assert ended.status_code == 401 and "session_ended" in text(ended)


def test_sessions_end_when_she_is_erased(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen")
    write_reflection(launcher)
    user = db.session.scalar(select(LtiUser).where(LtiUser.sub == "carmen"))
    from lti_tool.services.privacy.core import _erase

    assert user is not None
    _erase(user.id)
    db.session.commit()
    launches.forget_live_sessions()
    ended = launcher.client.get("/activities/ls-strengths")
    assert ended.status_code == 401 and SECRET not in text(ended)


def test_sessions_a_refused_launch_by_the_next_person_ends_the_previous_session(
    launcher: Launcher,
) -> None:
    launcher.launch("participant", sub="carmen", given_name="Carmen")
    write_reflection(launcher)
    refused = launcher.launch("participant", sub="yasna", **{LTI + "version": "1.1"})
    assert refused.status_code == 400
    after = launcher.client.get("/activities/ls-strengths")
    assert after.status_code == 401 and SECRET not in text(after)


def test_sessions_a_relaunch_as_another_person_replaces_the_session(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen", given_name="Carmen")
    write_reflection(launcher)
    second = launcher.launch("participant", sub="yasna", given_name="Yasna", name="Yasna Joseph")
    assert second.status_code == 302
    page = text(launcher.client.get("/activities/ls-strengths", follow_redirects=True))
    assert SECRET not in page and "Hola, Carmen" not in page  # ("El Carmen" is a commune)


def test_sessions_signed_with_a_replaced_key_end_and_a_fallback_key_keeps_them(
    launcher: Launcher, app: Flask
) -> None:
    """The cookie's signer is made once per set of keys: rotating SECRET_KEY ends every
    session, unless the old key is kept in SECRET_KEY_FALLBACKS."""
    launcher.launch("participant")
    assert launcher.client.get("/plan", follow_redirects=True).status_code == 200
    old = app.secret_key
    app.secret_key = "a-new-key-" + "x" * 40
    try:
        app.config["SECRET_KEY_FALLBACKS"] = [old]
        assert launcher.client.get("/plan", follow_redirects=True).status_code == 200
        app.config["SECRET_KEY_FALLBACKS"] = []
        assert launcher.client.get("/plan").status_code == 401
    finally:
        app.secret_key = old
        app.config["SECRET_KEY_FALLBACKS"] = []


def test_sessions_her_first_page_after_the_launch_sends_no_new_session_cookie(
    launcher: Launcher,
) -> None:
    """The launch's cookie already holds what her pages' forms need (the CSRF secret): the
    first page does not send her whole session cookie again, on prepaid data."""
    launched = launcher.launch("participant")
    assert "senda_session=" in " ".join(launched.headers.getlist("Set-Cookie"))
    first = launcher.client.get(launched.headers["Location"], follow_redirects=True)
    assert first.status_code == 200 and 'name="csrf_token"' in text(first)
    assert not any(c.startswith("senda_session=") for c in first.headers.getlist("Set-Cookie"))
