"""Bad input is a 4xx with a clear page, never a 500, and changes nothing: NUL bytes, deeply
nested JSON, CR/LF in a redirect target, double taps on a first submit, an old cookie replaying
a deep-linking response, a large deep-linking `data` claim, and a platform clock that is off."""

from __future__ import annotations

import re
import threading
from typing import Any

import jwt
import requests
from flask import Flask
from sqlalchemy import func, select

from lti_tool.models import ActivityProgress, Enrolment, db
from tests.conftest import row_counts
from tests.support.journey import complete_course, csrf, intake, post
from tests.support.lti import LTI, Launcher
from tests.support.servers import free_port, serving

DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def test_bad_input_nul_bytes_are_refused_and_store_nothing(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    before = row_counts()
    refused = post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": "hola\x00mundo"},
        token_from="/activities/ls-strengths",
    )
    assert refused.status_code == 400
    assert launcher.client.get("/plan?x=%00").status_code == 400
    assert row_counts() == before


def test_bad_input_nested_or_huge_json_is_a_4xx(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen")
    intake(launcher.client)
    complete_course("carmen", "ls")  # the worksheet's course opens after this one
    token = csrf(launcher.client, "/activities/ent-idea-bmc")
    url = "/activities/ent-idea-bmc/worksheet"
    headers = {"X-CSRFToken": token, "Content-Type": "application/json"}
    nested = "[" * 100_000 + "]" * 100_000
    assert launcher.client.post(url, data=nested, headers=headers).status_code in (400, 413)
    deep = '{"values": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    assert launcher.client.post(url, data=deep, headers=headers).status_code == 400
    escaped_nul = '{"values": {"customers": "a\\u0000b"}}'
    assert launcher.client.post(url, data=escaped_nul, headers=headers).status_code == 400
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ActivityProgress)
            .where(ActivityProgress.activity_id == "ent-idea-bmc")
        )
        == 0
    )


def test_bad_input_crlf_in_the_language_switch_never_reaches_a_header(launcher: Launcher) -> None:
    launcher.launch("participant")
    for target in ("/plan\r\nSet-Cookie: evil=1", "/plan\nx", "/\\\\evil.example.com"):
        response = post(launcher.client, "/locale", {"locale": "en", "next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/" and "evil" not in str(response.headers)


def _cookie_session(launcher: Launcher, url: str) -> requests.Session:
    session = requests.Session()
    cookie = launcher.client.get_cookie("senda_session")
    assert cookie is not None
    session.cookies.set("senda_session", cookie.value, domain="127.0.0.1", path="/")
    return session


def _burst(send: Any, n: int = 12) -> list[int]:
    statuses: list[int] = []
    barrier = threading.Barrier(n)

    def one() -> None:
        barrier.wait()
        statuses.append(send())

    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_bad_input_a_double_tap_on_a_first_submit_never_gives_a_500(
    app: Flask, launcher: Launcher
) -> None:
    launcher.launch("participant")
    port = free_port()
    with serving(app, port) as url:
        browser = _cookie_session(launcher, url)
        page = browser.get(url + "/intake").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        form = {"csrf_token": token.group(1), "goal": "own-business", "has-business": "no"}
        statuses = _burst(
            lambda: browser.post(url + "/intake", data=form, allow_redirects=False).status_code
        )
        assert set(statuses) == {302}, statuses
        done = {"csrf_token": token.group(1)}
        statuses = _burst(
            lambda: (
                browser.post(
                    url + "/activities/ls-welcome/done", data=done, allow_redirects=False
                ).status_code
            )
        )
        assert set(statuses) == {302}, statuses
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 1
    assert db.session.scalar(select(func.count()).select_from(ActivityProgress)) == 1


def deep_linking_launch(launcher: Launcher, data: Any = None, **settings: Any) -> None:
    """A designer opens Senda from the LMS's "add activity" picker; `settings` are more of the
    request's deep-linking settings (accept_multiple=False)."""
    response = launcher.launch(
        "designer",
        **{
            LTI + "message_type": "LtiDeepLinkingRequest",
            LTI + "resource_link": None,
            DL + "deep_linking_settings": {
                "deep_link_return_url": "https://lms.example.edu/dl-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"],
                "data": data,
                **settings,
            },
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == "/deep-linking"


def test_bad_input_an_old_cookie_never_gets_a_second_deep_linking_response(
    launcher: Launcher,
) -> None:
    launcher.launch("designer")  # the content must be there; any launch first
    deep_linking_launch(launcher, {"n": 1})
    old_cookie = launcher.client.get_cookie("senda_session")
    assert old_cookie is not None
    first = post(launcher.client, "/deep-linking", {"items": "intake"}, token_from="/deep-linking")
    assert first.status_code == 200 and 'name="JWT"' in text(first)
    launcher.client.set_cookie("senda_session", old_cookie.value)  # replay the old cookie
    token = csrf(launcher.client, "/design")
    second = launcher.client.post("/deep-linking", data={"items": "intake", "csrf_token": token})
    assert second.status_code == 409 and 'name="JWT"' not in text(second)


def test_bad_input_a_large_deep_linking_data_claim_is_kept_off_the_cookie(
    launcher: Launcher,
) -> None:
    data = {"opaque": "z" * 30_000}
    deep_linking_launch(launcher, data)
    cookie = launcher.client.get_cookie("senda_session")
    assert cookie is not None and len(cookie.value) < 2000
    response = post(
        launcher.client, "/deep-linking", {"items": "intake"}, token_from="/deep-linking"
    )
    jwt_value = re.search(r'name="JWT" value="([^"]+)"', text(response))
    assert jwt_value is not None
    claims = jwt.decode(jwt_value.group(1), options={"verify_signature": False})
    assert claims[DL + "data"] == data


def test_bad_input_a_get_never_changes_state(launcher: Launcher) -> None:
    launcher.launch("designer")
    assert launcher.client.get("/design/lang/en").status_code == 404
    assert launcher.client.get("/logout").status_code == 405


def test_bad_input_a_platform_clock_a_minute_off_is_tolerated(launcher: Launcher) -> None:
    import time

    now = int(time.time())
    assert launcher.launch(iat=now + 50, exp=now + 350).status_code == 302  # LMS clock ahead
    assert launcher.launch(iat=now - 400, exp=now - 50).status_code == 302  # LMS clock behind
    assert launcher.launch(iat=now - 500, exp=now - 90).status_code == 401  # beyond the leeway
