"""Designers' and facilitators' pages the way they are really used: the LMS's "add activity"
picker sent empty, with too many ticks, twice (a double tap, Back and send again) or without a
picker of her own; the content imported twice; Senda's registration with an LMS confirmed twice;
the designer's pages asked for something that does not exist."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import responses
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lti_tool.models import ContentVersion, Platform, db
from lti_tool.services import content
from lti_tool.services.registration import create_token
from tests.conftest import TEST_CONTENT, another_programmes_lms, override_settings, row_counts
from tests.lti_tool.test_bad_input import deep_linking_launch
from tests.lti_tool.test_programme_paths import as_team, said_on
from tests.lti_tool.test_registration import MOODLE, confirmation_of, finish, moodle, start
from tests.lti_tool.test_staff_paths import group_error_tied
from tests.support.journey import csrf, post
from tests.support.lti import Launcher

__all__ = ["moodle"]  # the fixture, used by name

PICKER = "/deep-linking"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def targets(launcher: Launcher) -> list[str]:
    """The picker's first two items: the intake and the first pathway."""
    return re.findall(r'name="items" value="([^"]+)"', text(launcher.client.get(PICKER)))[:2]


# ------------------------------------------------------------------- the "add activity" picker
def test_the_picker_sent_with_nothing_ticked_says_so_beside_the_choices(
    launcher: Launcher,
) -> None:
    deep_linking_launch(launcher)
    refused = post(launcher.client, PICKER, token_from=PICKER)
    assert refused.status_code == 400
    body = text(refused)
    assert "Elige al menos un elemento." in body and 'name="JWT"' not in body
    group_error_tied(body, "items", "err-items")
    # The request is still open: she ticks one and sends again.
    sent = post(launcher.client, PICKER, {"items": "intake"}, token_from=PICKER)
    assert sent.status_code == 200 and 'name="JWT"' in text(sent)


def test_two_ticked_when_the_lms_takes_one_keeps_her_ticks(launcher: Launcher) -> None:
    """The LMS accepts one item: she is told so, with both of her ticks still there, and the
    request stays open for the one she keeps."""
    deep_linking_launch(launcher, accept_multiple=False)
    both = targets(launcher)
    refused = post(launcher.client, PICKER, {"items": both}, token_from=PICKER)
    assert refused.status_code == 400
    body = text(refused)
    assert "Este LMS acepta solo un elemento a la vez." in body and 'name="JWT"' not in body
    group_error_tied(body, "items", "err-items")
    for target in both:
        assert re.search(rf'value="{re.escape(target)}" checked', body), target
    sent = post(launcher.client, PICKER, {"items": both[:1]}, token_from=PICKER)
    assert sent.status_code == 200 and 'name="JWT"' in text(sent)


def test_the_picker_sent_twice_says_it_went_to_the_lms_already(launcher: Launcher) -> None:
    """A double tap, or Back and send again: one answer to the LMS; the second send says plainly
    that her choice went already and how to add something else, not "no access"."""
    deep_linking_launch(launcher)
    token = csrf(launcher.client, PICKER)  # one page, sent twice
    first = launcher.client.post(PICKER, data={"items": "intake", "csrf_token": token})
    again = launcher.client.post(PICKER, data={"items": "intake", "csrf_token": token})
    assert first.status_code == 200 and 'name="JWT"' in text(first)
    assert again.status_code == 409
    body = text(again)
    assert 'name="JWT"' not in body
    assert "Tu elección ya se envió al LMS" in body
    assert "abre de nuevo el menú “agregar actividad” del LMS" in body
    back = launcher.client.get(PICKER)  # Back to the picker, reloaded
    assert back.status_code == 409 and "Tu elección ya se envió al LMS" in text(back)


def test_the_picker_without_a_request_of_her_own_is_refused(
    client: FlaskClient, launcher: Launcher
) -> None:
    """Another programme's designer, signed in on the same browser, never opened the picker:
    sending one gives no answer to any LMS."""
    deep_linking_launch(launcher)
    other, _ = another_programmes_lms(client)
    other.launch("designer", sub="other-designer")
    token = csrf(client, "/design")
    refused = client.post(PICKER, data={"items": "intake", "csrf_token": token})
    assert refused.status_code == 403 and 'name="JWT"' not in text(refused)


# ---------------------------------------------------------------------------- content import
def newer_content(app: Flask, tmp_path: Path) -> None:
    newer = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, newer)
    (newer / "media" / "new.txt").write_text("a new file makes a new version")
    override_settings(app, content_path=str(newer))


def test_importing_twice_stores_one_version_and_says_nothing_changed(
    app: Flask, launcher: Launcher, tmp_path: Path
) -> None:
    as_team(app, launcher)
    newer_content(app, tmp_path)
    before = count(ContentVersion)
    token = csrf(launcher.client, "/programme/content")  # one page, tapped twice
    for _ in range(2):
        tapped = launcher.client.post("/programme/content/import", data={"csrf_token": token})
        assert tapped.status_code == 302
    assert count(ContentVersion) == before + 1
    version = content.latest_version_id()
    assert said_on(launcher, "/programme/content") == [
        f"Importado como versión {version}.",
        f"Nada cambió desde la versión {version}.",
    ]


def test_two_imports_at_the_same_moment_store_one_version(
    app: Flask, tmp_path: Path, monkeypatch: Any
) -> None:
    """The second tap lands while the first is still compiling: it finds the version the first
    stored, rather than a 500 on the database's unique digest."""
    newer_content(app, tmp_path)
    compile_tree = content.compile_tree

    def first_tap_stores_it_meanwhile(root: Path) -> Any:
        document, problems = compile_tree(root)
        db.session.add(ContentVersion(digest=content.tree_digest(root), document=document))
        db.session.commit()
        return document, problems

    monkeypatch.setattr(content, "compile_tree", first_tap_stores_it_meanwhile)
    before = count(ContentVersion)
    result = content.import_tree()
    assert not result.created and count(ContentVersion) == before + 1  # the first tap's
    assert result.version_id == db.session.scalar(select(func.max(ContentVersion.id)))


# ----------------------------------------------------------------------- dynamic registration
def test_registration_opened_without_its_link_says_the_link_is_not_valid(
    client: FlaskClient, moodle: Any
) -> None:
    before = row_counts()
    page = client.get("/lti/register")
    assert page.status_code == 403
    assert "Este enlace de registro no es válido" in text(page)
    empty = client.post("/lti/register", data={})
    assert empty.status_code == 400 and "No se registró nada." in text(empty)
    assert row_counts() == before


def test_register_pressed_twice_registers_once_and_says_so_both_times(
    client: FlaskClient, moodle: Any
) -> None:
    """A double tap, or Back and Register again: one platform, and the second press says Senda
    is registered, not that nothing was registered."""
    page = start(client, create_token())
    confirmation = confirmation_of(page)
    first = finish(client, confirmation)
    again = finish(client, confirmation)
    assert first.status_code == again.status_code == 200
    assert "Senda quedó registrada" in text(again) and "register-close.js" in text(again)
    registrations = [c for c in moodle.calls if c.request.method == "POST"]
    assert len(registrations) == 1
    assert db.session.scalar(select(func.count()).where(Platform.issuer == MOODLE)) == 1


def test_the_registration_link_opened_again_is_dead(client: FlaskClient, moodle: Any) -> None:
    token = create_token()
    finish(client, confirmation_of(start(client, token)))
    back = start(client, token)
    assert back.status_code == 403 and "Este enlace de registro no es válido" in text(back)


# ---------------------------------------------------------------------------- designer pages
def test_the_designers_pages_for_unknown_ids_are_a_spanish_404_and_write_nothing(
    launcher: Launcher,
) -> None:
    launcher.launch("designer")
    found = content.latest_catalogue()
    assert found is not None
    course_id = next(iter(found[1].courses))
    activity_id = next(iter(found[1].activities))
    before = row_counts()
    for page in ("/design/courses/no-such-course", "/design/activities/no-such-activity"):
        missing = launcher.client.get(page)
        assert missing.status_code == 404 and "No encontramos esa página." in text(missing)
    for page in (f"/design/courses/{course_id}", f"/design/activities/{activity_id}"):
        assert launcher.client.get(page).status_code == 200
    assert row_counts() == before


def test_register_pressed_again_while_the_lms_still_answers_the_first_says_the_same(
    app: Flask, client: FlaskClient, moodle: Any
) -> None:
    """The administrator presses Register, the LMS takes its time, she presses again: the
    second press waits for the first's answer and says Senda is registered, instead of saying
    the link is not valid while the first press registers Senda."""
    confirmation = confirmation_of(start(client, create_token()))
    registering = threading.Event()
    answer = {
        "client_id": "moodle-client-7",
        "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": "12"},
    }

    def slow_lms(_request: Any) -> tuple[int, dict[str, str], str]:
        registering.set()
        time.sleep(0.6)
        return 200, {"Content-Type": "application/json"}, json.dumps(answer)

    moodle.remove(responses.POST, MOODLE + "/mod/lti/openid-registration.php")
    moodle.add_callback(responses.POST, MOODLE + "/mod/lti/openid-registration.php", slow_lms)
    db.session.commit()
    pages: list[Any] = []

    def press() -> None:
        pages.append(finish(app.test_client(), confirmation))

    first = threading.Thread(target=press)
    first.start()
    assert registering.wait(10)
    again = finish(app.test_client(), confirmation)
    first.join(30)
    assert [p.status_code for p in pages] == [200] and again.status_code == 200
    assert "Senda quedó registrada" in text(pages[0]) and "Senda quedó registrada" in text(again)
    registrations = [c for c in moodle.calls if c.request.method == "POST"]
    assert len(registrations) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Platform.issuer == MOODLE)) == 1
