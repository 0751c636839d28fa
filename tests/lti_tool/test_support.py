"""Help requests, the referral directory and the quick exit through HTTP: a participant asks
for help and reads the reply; who else can reach a request (by URL and by guessing ids); what a
refused form leaves; and that no word of a request reaches a log line, an export, a report or an
e-mail."""

from __future__ import annotations

import logging
import re
import smtplib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lti_tool.models import LtiUser, db
from tests.conftest import another_programmes_lms, row_counts
from tests.factories import GrantFactory
from tests.support.journey import csrf, intake, post
from tests.support.lti import Launcher

SECRET = "Mi pareja me quita el teléfono"
PHONE = "+56 9 8765 4321"
REPLY = "Hola, te llamamos mañana a las 10."
NOTE = "Coordinar con el Centro de la Mujer de Maipú"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def user_id(sub: str) -> int:
    found = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == sub))
    assert found is not None
    return found


def launch_staff(launcher: Launcher, sub: str, name: str, *grants: tuple[str, str | None],
                 role: str = "facilitator") -> int:  # fmt: skip
    launcher.launch(role, sub=sub, name=name, given_name=name.split()[0])
    person = user_id(sub)
    for grant, region in grants:
        GrantFactory(user_id=person, role=grant, region=region)
    return person


def ask(client: FlaskClient, **fields: Any) -> Any:
    data: dict[str, Any] = {
        "needs": ["violence", "transport"],
        "details": SECRET,
        "contact": "whatsapp",
        "phone": PHONE,
        "region": "metropolitana",
    }
    data.update(fields)
    return post(client, "/s", data, token_from="/s")


def carmen_asks(launcher: Launcher) -> int:
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)
    response = ask(launcher.client)
    assert response.status_code == 302, text(response)
    match = re.search(r"/s/(\d+)$", response.headers["Location"])
    assert match
    return int(match.group(1))


# ----------------------------------------------------------------------- the participant
def test_every_participant_page_offers_help_in_one_tap(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen")
    intake(launcher.client)
    for path in ("/plan", "/courses/ls", "/activities/ls-welcome", "/privacy", "/opportunities"):
        page = text(launcher.client.get(path))
        assert 'class="help-link" href="/s"' in page, path
    page = text(launcher.client.get("/s"))
    assert "<title>Senda</title>" in page  # nothing about help in the tab or the history
    assert "Necesito apoyo" in page and 'href="tel:1455"' in page


def test_she_asks_for_help_and_reads_the_reply(launcher: Launcher) -> None:
    request_id = carmen_asks(launcher)
    page = text(launcher.client.get(f"/s/{request_id}"))
    assert "<title>Senda</title>" in page
    assert SECRET in page and PHONE in page and "Enviada" in page
    assert "Todavía no hay respuesta" in page

    launch_staff(launcher, "sofia", "Sofía Reyes", ("support_lead", None))
    queue = text(launcher.client.get("/s/team"))
    assert "Carmen Soto" in queue and SECRET not in queue  # the list shows needs, not her words
    handle = text(launcher.client.get(f"/s/team/{request_id}"))
    assert SECRET in handle and PHONE in handle
    token = csrf(launcher.client, f"/s/team/{request_id}")
    for body, audience, status in ((NOTE, "team", ""), (REPLY, "her", "in-progress")):
        response = launcher.client.post(
            f"/s/team/{request_id}",
            data={"csrf_token": token, "body": body, "audience": audience, "status": status},
        )
        assert response.status_code == 302

    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    page = text(launcher.client.get(f"/s/{request_id}"))
    assert REPLY in page and "En curso" in page and "Sofía Reyes" in page
    assert NOTE not in page  # the team's notes stay with the team
    response = post(launcher.client, f"/s/{request_id}/message", {"body": " \n "},
                    token_from=f"/s/{request_id}")  # fmt: skip
    assert response.status_code == 400 and "Escribe un mensaje" in text(response)
    response = post(launcher.client, f"/s/{request_id}/message", {"body": "Gracias"},
                    token_from=f"/s/{request_id}")  # fmt: skip
    assert response.status_code == 302
    response = post(launcher.client, f"/s/{request_id}/status", {"status": "closed"},
                    token_from=f"/s/{request_id}")  # fmt: skip
    assert response.status_code == 302
    assert "Cerrada" in text(launcher.client.get(f"/s/{request_id}"))


@pytest.mark.parametrize(
    ("fields", "field_error"),
    [
        ({"needs": []}, "Elige al menos una cosa"),
        ({"contact": "phone", "phone": ""}, "Escribe el número"),
        ({"contact": "whatsapp", "phone": "llámame"}, "Escribe el número"),
        ({"needs": ["weapons"]}, None),
        ({"region": "atlantis"}, None),
        ({"details": "x" * 2001}, "un poco menos"),
        ({"contact": "pigeon"}, None),
        ({"user_id": "7"}, None),  # mass assignment
    ],
)
def test_a_refused_request_says_why_and_stores_nothing(
    launcher: Launcher, fields: dict[str, Any], field_error: str | None
) -> None:
    launcher.launch("participant", sub="carmen")
    intake(launcher.client)
    before = row_counts()
    response = ask(launcher.client, **fields)
    assert response.status_code == 400
    page = text(response)
    assert "no se ha enviado nada" in page
    if field_error:
        assert field_error in page
    assert row_counts() == before


def test_the_form_without_a_csrf_token_is_refused(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen")
    before = row_counts()
    response = launcher.client.post("/s", data={"needs": ["housing"], "contact": "senda"})
    assert response.status_code == 400 and row_counts() == before


# ------------------------------------------------------------------------ authorization
def test_facilitators_mentors_and_tutors_without_a_support_grant_are_refused(
    launcher: Launcher,
) -> None:
    request_id = carmen_asks(launcher)
    people = [
        ("paula", "Paula Rojas", (), "facilitator"),
        ("lucia", "Lucía Fernández", (("mentor", None),), "mentor"),
        ("marta", "Marta Díaz", (("tutor", None),), "facilitator"),
        ("ana", "Ana Pérez", (("programme_team", None),), "facilitator"),
    ]
    for sub, name, grants, role in people:
        launch_staff(launcher, sub, name, *grants, role=role)
        for path in ("/s/team", f"/s/team/{request_id}", f"/s/team/{request_id + 1}"):
            assert launcher.client.get(path).status_code == 403, (sub, path)
        response = launcher.client.post(
            f"/s/team/{request_id}",
            data={"csrf_token": csrf(launcher.client, "/s/directory"), "body": "x"},
        )
        assert response.status_code == 403, sub
        # Her own help pages are for participants.
        assert launcher.client.get(f"/s/{request_id}").status_code == 403
        if sub == "paula":  # the cohort pages never show it
            cohort = text(launcher.client.get(f"/cohort/participants/{user_id('carmen')}"))
            assert SECRET not in cohort and PHONE not in cohort and "apoyo" not in cohort.lower()


def test_another_participant_guessing_ids_finds_nothing(launcher: Launcher) -> None:
    request_id = carmen_asks(launcher)
    launcher.launch("participant", sub="yasna", name="Yasna Joseph")
    for guess in (request_id, request_id + 1, 0, 999_999):
        assert launcher.client.get(f"/s/{guess}").status_code == 404
    response = post(launcher.client, f"/s/{request_id}/message", {"body": "hola"},
                    token_from="/s")  # fmt: skip
    assert response.status_code == 404
    response = post(launcher.client, f"/s/{request_id}/status", {"status": "closed"},
                    token_from="/s")  # fmt: skip
    assert response.status_code == 404


def test_support_leads_of_another_programme_or_region_find_nothing(
    app: Flask, client: FlaskClient, launcher: Launcher
) -> None:
    request_id = carmen_asks(launcher)
    launch_staff(launcher, "berta", "Berta Bío", ("support_lead", "biobio"))
    assert launcher.client.get(f"/s/team/{request_id}").status_code == 404
    assert "Carmen Soto" not in text(launcher.client.get("/s/team"))
    launch_staff(launcher, "rita", "Rita Metropolitana", ("support_lead", "metropolitana"))
    assert launcher.client.get(f"/s/team/{request_id}").status_code == 200

    away, other_id = another_programmes_lms(client)
    away.launch("facilitator", sub="olga", name="Olga Otra")
    GrantFactory(user_id=user_id("olga"), role="support_lead", programme_id=other_id)
    for guess in (request_id, request_id + 1, 1):
        assert away.client.get(f"/s/team/{guess}").status_code == 404
    assert "Carmen" not in text(away.client.get("/s/team"))


# ----------------------------------------------------------------------- no words leak
def test_no_word_of_a_request_reaches_logs_exports_reports_or_email(
    launcher: Launcher, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[Any] = []

    class NoMail:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            sent.append(args)

    monkeypatch.setattr(smtplib, "SMTP", NoMail)
    monkeypatch.setattr(smtplib, "SMTP_SSL", NoMail)
    caplog.set_level(logging.DEBUG)
    request_id = carmen_asks(launcher)
    launcher.client.get(f"/s/{request_id}")
    export = text(launcher.client.get("/privacy/my-data.json"))
    privacy_page = text(launcher.client.get("/privacy"))
    launch_staff(launcher, "sofia", "Sofía Reyes", ("support_lead", None))
    launcher.client.get("/s/team")
    launcher.client.get(f"/s/team/{request_id}")
    token = csrf(launcher.client, f"/s/team/{request_id}")
    launcher.client.post(f"/s/team/{request_id}", data={"csrf_token": token, "body": REPLY})
    report = text(launcher.client.get("/s/report"))
    launch_staff(launcher, "ana", "Ana Pérez", ("programme_team", None))
    team_report = text(launcher.client.get("/s/report"))
    programme_pages = text(launcher.client.get("/programme")) + text(
        launcher.client.get("/programme/people")
    )
    assert '"help_requests":1' in export
    for words in (SECRET, PHONE, REPLY, "violence", "transport"):
        for where, content in (
            ("log", caplog.text),
            ("export", export),
            ("privacy page", privacy_page),
            ("report", report + team_report),
            ("programme pages", programme_pages),
        ):
            assert words not in content, (words, where)
    assert "menos de 5" in report  # one request: a suppressed count
    assert sent == []


# ------------------------------------------------------------------ directory and exit
def test_the_directory_by_region_with_sources_opening_in_a_new_window(
    launcher: Launcher,
) -> None:
    launcher.launch("participant", sub="carmen")
    intake(launcher.client, None, consent="true", region="metropolitana")
    page = text(launcher.client.get("/s/directory"))
    assert "<title>Senda</title>" in page
    assert "Asistencia Judicial Metropolitana" in page and "Fono 1455" in page
    assert 'href="tel:1455"' in page
    for link in re.findall(r"<a [^>]*https://[^>]*>", page):
        assert 'target="_blank"' in link and 'rel="noopener noreferrer"' in link, link
    national = text(launcher.client.get("/s/directory?region="))
    assert "Asistencia Judicial Metropolitana" not in national and "Fono 1455" in national


def test_the_directory_works_without_a_session(client: FlaskClient, imported: int) -> None:
    page = text(client.get("/s/directory?region=metropolitana"))
    assert "Fono 1455" in page and "Asistencia Judicial Metropolitana" in page


def test_after_a_quick_exit_every_help_page_shows_the_neutral_page(launcher: Launcher) -> None:
    request_id = carmen_asks(launcher)
    exit_link = re.search(r'class="quick-exit" href="([^"]+)"', text(launcher.client.get("/s")))
    assert exit_link and exit_link.group(1) == "/s/exit"
    response = launcher.client.get("/s/exit")
    assert response.status_code == 302 and response.headers["Location"] == "/recipes"
    neutral = text(launcher.client.get("/recipes"))
    assert "Sopaipillas" in neutral and SECRET not in neutral
    # Back, or any old link of the history: the neutral page, never what she was reading.
    for path in ("/s", f"/s/{request_id}", "/s/directory", "/s?k=old"):
        response = launcher.client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/recipes", path
    # She opens help again from the menu: everything is there.
    plan = text(launcher.client.get("/plan"))
    link = re.search(r'class="help-link" href="([^"]+)"', plan)
    assert link and "k=" in link.group(1)
    assert launcher.client.get(link.group(1).replace("&amp;", "&")).status_code == 200
    assert SECRET in text(launcher.client.get(f"/s/{request_id}"))
    # A second exit hides them again, including the menu link of before.
    launcher.client.get("/s/exit")
    assert launcher.client.get(link.group(1).replace("&amp;", "&")).status_code == 302


def test_the_quick_exit_works_without_a_session(client: FlaskClient, imported: int) -> None:
    response = client.get("/s/exit", follow_redirects=True)
    assert response.status_code == 200 and "Sopaipillas" in text(response)


def test_help_pages_stay_within_the_query_budget(launcher: Launcher) -> None:
    from sqlalchemy import event

    request_id = carmen_asks(launcher)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def measure(paths: tuple[str, ...]) -> None:
        for path in paths:
            launcher.client.get(path)
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                response = launcher.client.get(path)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            assert response.status_code == 200, path
            assert len(statements) <= 8, (path, [s.split("FROM")[-1][:50] for s in statements])

    for _ in range(6):
        ask(launcher.client)
    measure(("/s", f"/s/{request_id}", "/s/directory", "/opportunities", "/plan"))
    launch_staff(launcher, "sofia", "Sofía Reyes", ("support_lead", None))
    measure(("/s/team", f"/s/team/{request_id}", "/s/report"))
