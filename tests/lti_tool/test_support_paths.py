"""The help pages and the tutor's pages the way people really use them: a double tap, a page
sent again after Back, a second tab, a form refused with her words still in it, a status that
changed while the page was open, and ids that belong to someone else.

A double tap is simulated as browsers send it: the same form of the same page posted twice, the
second before she has seen the first's answer."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from lti_tool.models import db
from lti_tool.models.private import CvReview, SupportMessage, SupportRequest, TutorNote
from tests.conftest import row_counts
from tests.lti_tool.test_support import PHONE, REPLY, SECRET, carmen_asks, launch_staff, text
from tests.lti_tool.test_tutor import staff, tutoring_team
from tests.support.journey import complete_course, csrf, intake
from tests.support.lti import Launcher
from tests.support.tutoring_content import use_content_with_cv

LONG = ("Necesito que me llamen después de las seis.\r\n" * 50)[:2100]  # over 2000 when sent


def form_fields(page: str, action: str) -> dict[str, Any]:
    """The hidden fields of the form posting to `action`, as her browser would send them."""
    match = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert match, f"no form posting to {action}"
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(1)
        )
    }


def send(
    client: FlaskClient, page: str, action: str, data: dict[str, Any], token_from: str = ""
) -> TestResponse:
    """Press the form's button on a page she already has (its hidden fields and her input).
    `token_from`: a page of this session to take the form token from, when the page was shown
    to another launch (the tests switch people; a real browser keeps its session)."""
    fields = form_fields(page, action)
    if token_from:
        fields["csrf_token"] = csrf(client, token_from)
    return client.post(action, data={**fields, **data})


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def error_tied(page: str, field_id: str, error_id: str, message: str) -> None:
    """The field says it is invalid and names its error, and the message is announced."""
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', page)
    assert tag, field_id
    assert 'aria-invalid="true"' in tag.group(0), tag.group(0)
    described = re.search(r'aria-describedby="([^"]*)"', tag.group(0))
    assert described and error_id in described.group(1).split(), tag.group(0)
    error = re.search(rf'<p [^>]*id="{error_id}"[^>]*>([^<]*)</p>', page)
    assert error and message in html.unescape(error.group(1)), error_id
    alerts = [
        page[alert.end() : page.find(f"</{alert.group(1)}>", alert.end())]
        for alert in re.finditer(r'<(p|div)\b[^>]*role="alert"[^>]*>', page)
    ]
    assert 'role="alert"' in error.group(0) or any(message in html.unescape(a) for a in alerts)


# ------------------------------------------------------------------- she asks for help
ASKED = {
    "needs": ["violence", "transport"],
    "details": SECRET,
    "contact": "whatsapp",
    "phone": PHONE,
    "region": "metropolitana",
}


def test_a_double_tap_on_send_makes_one_request(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)
    page = text(launcher.client.get("/s"))
    first = send(launcher.client, page, "/s", ASKED)
    second = send(launcher.client, page, "/s", ASKED)  # the same page: a double tap, or Back
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(SupportRequest) == 1
    shown = text(launcher.client.get(second.headers["Location"]))
    assert "Enviada. Solo el equipo de apoyo" in shown and SECRET in shown
    # From a fresh page she may ask again, even for the same thing: that is a new request.
    again = send(launcher.client, text(launcher.client.get("/s")), "/s", ASKED)
    assert again.status_code == 302 and count(SupportRequest) == 2


def test_a_different_request_from_the_same_page_is_not_taken_for_a_repeat(
    launcher: Launcher,
) -> None:
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)
    page = text(launcher.client.get("/s"))
    send(launcher.client, page, "/s", ASKED)
    other = send(launcher.client, page, "/s", {**ASKED, "needs": ["housing"]})  # a second tab
    assert other.status_code == 302 and count(SupportRequest) == 2


def test_a_refused_request_keeps_her_words_and_ties_each_error_to_its_field(
    launcher: Launcher,
) -> None:
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)
    page = text(launcher.client.get("/s"))
    before = row_counts()
    refused = send(launcher.client, page, "/s", {**ASKED, "needs": []})
    assert refused.status_code == 400 and row_counts() == before
    shown = text(refused)
    assert SECRET in shown and PHONE in shown  # what she wrote is still there
    assert re.search(r'value="whatsapp"[^>]* checked', shown)
    assert re.search(r'value="metropolitana" selected', shown)
    for need in ("childcare", "violence"):
        error_tied(shown, f"need-{need}", "needs-error", "Elige al menos una cosa")
    refused = send(launcher.client, page, "/s", {**ASKED, "phone": "llámame"})
    assert refused.status_code == 400 and row_counts() == before
    shown = text(refused)
    assert SECRET in shown and "llámame" in shown
    assert re.search(r'value="violence"[^>]* checked', shown)
    error_tied(shown, "phone", "phone-error", "Escribe el número")


# ----------------------------------------------------------- her messages and her status
def test_her_message_sent_twice_from_the_same_page_is_one_message(launcher: Launcher) -> None:
    request_id = carmen_asks(launcher)
    path = f"/s/{request_id}"
    page = text(launcher.client.get(path))
    for _ in range(2):
        sent = send(launcher.client, page, f"{path}/message", {"body": "¿Me llaman hoy?"})
        assert sent.status_code == 302
    assert count(SupportMessage, SupportMessage.request_id == request_id) == 1
    # The same words again from the page that shows her first message: a new message.
    page = text(launcher.client.get(path))
    send(launcher.client, page, f"{path}/message", {"body": "¿Me llaman hoy?"})
    assert count(SupportMessage, SupportMessage.request_id == request_id) == 2


def test_a_refused_message_keeps_what_she_wrote(launcher: Launcher) -> None:
    request_id = carmen_asks(launcher)
    path = f"/s/{request_id}"
    page = text(launcher.client.get(path))
    before = row_counts()
    refused = send(launcher.client, page, f"{path}/message", {"body": LONG})
    assert refused.status_code == 400 and row_counts() == before
    shown = text(refused)
    assert "Necesito que me llamen después de las seis." in shown
    error_tied(shown, "body", "body-error", "Escribe un mensaje")


def test_closing_twice_or_from_an_old_page_is_not_an_error(launcher: Launcher) -> None:
    request_id = carmen_asks(launcher)
    path = f"/s/{request_id}"
    page = text(launcher.client.get(path))
    first = send(launcher.client, page, f"{path}/status", {"status": "closed"})
    assert "Guardado" in text(launcher.client.get(path))
    second = send(launcher.client, page, f"{path}/status", {"status": "closed"})
    assert first.status_code == second.status_code == 302
    shown = text(launcher.client.get(path))
    assert "Cerrada" in shown and "Guardado" not in shown and "ya estaba cerrada" in shown
    assert count(SupportMessage, SupportMessage.request_id == request_id) == 1

    # She opens it again; the team takes it; an old tab still offers "open it again".
    closed_page = text(launcher.client.get(path))
    send(launcher.client, closed_page, f"{path}/status", {"status": "open"})
    launch_staff(launcher, "sofia", "Sofía Reyes", ("support_lead", None))
    team_page = text(launcher.client.get(f"/s/team/{request_id}"))
    send(launcher.client, team_page, f"/s/team/{request_id}", {"status": "in-progress"})
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    before = row_counts()
    old = send(launcher.client, closed_page, f"{path}/status", {"status": "open"}, token_from=path)
    assert old.status_code == 302 and row_counts() == before
    shown = text(launcher.client.get(path))
    assert "En curso" in shown and "Guardado" not in shown


# ------------------------------------------------------------------------ the support team
def test_a_reply_sent_twice_reaches_her_once(launcher: Launcher) -> None:
    request_id = carmen_asks(launcher)
    launch_staff(launcher, "sofia", "Sofía Reyes", ("support_lead", None))
    path = f"/s/team/{request_id}"
    page = text(launcher.client.get(path))
    for _ in range(2):
        sent = send(launcher.client, page, path, {"body": REPLY, "audience": "her",
                                                  "status": "in-progress"})  # fmt: skip
        assert sent.status_code == 302
    bodies = db.session.scalars(select(SupportMessage.body)).all()  # encrypted: read, then count
    assert bodies.count(REPLY) == 1
    # A change of status alone, tapped twice: one change, and no error for the second.
    page = text(launcher.client.get(path))
    for _ in range(2):
        moved = send(launcher.client, page, path, {"body": "", "status": "closed"})
        assert moved.status_code == 302
    assert count(SupportMessage, SupportMessage.status_change == "closed") == 1
    assert "Guardado" in text(launcher.client.get(path))


def test_a_reply_whose_move_she_made_impossible_is_kept_and_explained(
    launcher: Launcher,
) -> None:
    request_id = carmen_asks(launcher)
    launch_staff(launcher, "sofia", "Sofía Reyes", ("support_lead", None))
    path = f"/s/team/{request_id}"
    send(launcher.client, text(launcher.client.get(path)), path, {"status": "in-progress"})
    page = text(launcher.client.get(path))  # offers "open" and "closed"
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    mine = text(launcher.client.get(f"/s/{request_id}"))
    send(launcher.client, mine, f"/s/{request_id}/status", {"status": "closed"})

    launch_staff(launcher, "sofia", "Sofía Reyes")
    before = row_counts()
    refused = send(launcher.client, page, path, {"body": REPLY, "status": "open"}, token_from=path)
    assert refused.status_code == 409 and row_counts() == before
    shown = text(refused)
    assert REPLY in shown  # her reply is still there, to send again
    error_tied(shown, "status", "status-error", "Cerrada")


def test_a_refused_reply_keeps_what_the_lead_wrote(launcher: Launcher) -> None:
    request_id = carmen_asks(launcher)
    launch_staff(launcher, "sofia", "Sofía Reyes", ("support_lead", None))
    path = f"/s/team/{request_id}"
    page = text(launcher.client.get(path))
    before = row_counts()
    refused = send(launcher.client, page, path, {"body": LONG, "audience": "team"})
    assert refused.status_code == 400 and row_counts() == before
    shown = text(refused)
    assert "Necesito que me llamen" in shown
    assert re.search(r'value="team" checked', shown)
    error_tied(shown, "body", "body-error", "escribe un poco menos")
    empty = send(launcher.client, page, path, {"body": "  ", "status": ""})
    assert empty.status_code == 400
    error_tied(text(empty), "body", "body-error", "Escribe un mensaje o elige")


def test_a_lead_of_another_region_cannot_answer_by_url(launcher: Launcher) -> None:
    request_id = carmen_asks(launcher)
    launch_staff(launcher, "sofia", "Sofía Reyes", ("support_lead", None))
    page = text(launcher.client.get(f"/s/team/{request_id}"))
    launch_staff(launcher, "berta", "Berta Bío", ("support_lead", "biobio"))
    before = row_counts()
    response = send(launcher.client, page, f"/s/team/{request_id}", {"body": "Hola"},
                    token_from="/s/team")  # fmt: skip
    assert response.status_code == 404 and row_counts() == before
    assert SECRET not in text(response)


# ---------------------------------------------------------------------------- the tutor
@pytest.fixture
def team(app: Flask, tmp_path: Path, imported: int, launcher: Launcher) -> dict[str, int]:
    """Carmen with her tutor Marta, Yasna with hers (Tamara), and Ana of the programme team,
    in a programme whose employment pathway has a CV worksheet."""
    use_content_with_cv(app, tmp_path)
    return tutoring_team(launcher)


def test_a_note_saved_twice_is_one_note(launcher: Launcher, team: dict[str, int]) -> None:
    staff(launcher, "marta", "Marta Díaz")
    path = f"/tutor/participants/{team['carmen']}"
    page = text(launcher.client.get(path))
    for _ in range(2):
        saved = send(launcher.client, page, f"{path}/notes", {"body": "Llamar el lunes."})
        assert saved.status_code == 302
    assert count(TutorNote) == 1
    page = text(launcher.client.get(path))
    send(launcher.client, page, f"{path}/notes", {"body": "Llamar el lunes."})
    assert count(TutorNote) == 2


def test_a_refused_note_keeps_what_the_tutor_wrote(
    launcher: Launcher, team: dict[str, int]
) -> None:
    staff(launcher, "marta", "Marta Díaz")
    path = f"/tutor/participants/{team['carmen']}"
    page = text(launcher.client.get(path))
    too_long = "Revisamos su diagnóstico.\r\n" * 200
    refused = send(launcher.client, page, f"{path}/notes", {"body": too_long})
    assert refused.status_code == 400 and count(TutorNote) == 0
    shown = text(refused)
    assert "Revisamos su diagnóstico." in shown
    error_tied(shown, "note", "note-error", "Escribe la nota")


def _carmen_sends_her_cv(launcher: Launcher) -> str:
    for course in ("ls", "emp-diag", "emp-work"):
        complete_course("carmen", course)
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    sheet = "/activities/emp-prof-cv"
    page = text(launcher.client.get(sheet))
    saved = send(launcher.client, page, f"{sheet}/worksheet",
                 {"full-name": "Carmen Soto Pérez", "action": "save"})  # fmt: skip
    assert saved.status_code == 302
    return text(launcher.client.get(sheet))


def test_her_cv_sent_twice_waits_once_for_her_tutor(
    launcher: Launcher, team: dict[str, int]
) -> None:
    page = _carmen_sends_her_cv(launcher)
    for _ in range(2):
        sent = send(launcher.client, page, "/my-tutor/cv", {})
        assert sent.status_code == 302
    assert count(CvReview) == 1
    shown = text(launcher.client.get("/activities/emp-prof-cv"))
    # Both taps' answers are true: the first sent it, the second found it waiting.
    assert "Enviado a tu tutora" in shown and "Tu tutora ya tiene este currículum" in shown
    staff(launcher, "marta", "Marta Díaz")
    assert "1 currículum por comentar" in text(launcher.client.get("/tutor"))


def test_comments_from_an_old_tab_never_replace_newer_ones(
    launcher: Launcher, team: dict[str, int]
) -> None:
    send(launcher.client, _carmen_sends_her_cv(launcher), "/my-tutor/cv", {})
    staff(launcher, "marta", "Marta Díaz")
    path = f"/tutor/participants/{team['carmen']}"
    old_tab = text(launcher.client.get(path))
    action = re.search(r'action="(/tutor/participants/\d+/reviews/\d+)"', old_tab)
    assert action
    assert send(launcher.client, old_tab, action.group(1), {"body": "Primera."}).status_code == 302
    new_tab = text(launcher.client.get(path))
    saved = send(launcher.client, new_tab, action.group(1), {"body": "Agrega tu curso."})
    assert saved.status_code == 302
    # Saving the same words twice from one page is not a conflict.
    assert send(launcher.client, new_tab, action.group(1),
                {"body": "Agrega tu curso."}).status_code == 302  # fmt: skip
    stale = send(launcher.client, old_tab, action.group(1), {"body": "Primera, corregida."})
    assert stale.status_code == 409
    shown = text(stale)
    assert "Primera, corregida." in shown and "Agrega tu curso." in shown
    review = db.session.scalar(select(CvReview))
    assert review is not None and review.comment == "Agrega tu curso."


def test_a_refused_comment_keeps_what_the_tutor_wrote(
    launcher: Launcher, team: dict[str, int]
) -> None:
    send(launcher.client, _carmen_sends_her_cv(launcher), "/my-tutor/cv", {})
    staff(launcher, "marta", "Marta Díaz")
    path = f"/tutor/participants/{team['carmen']}"
    page = text(launcher.client.get(path))
    action = re.search(r'action="(/tutor/participants/\d+/reviews/(\d+))"', page)
    assert action
    refused = send(launcher.client, page, action.group(1), {"body": "Muy bien.\r\n" * 500})
    assert refused.status_code == 400
    shown = text(refused)
    assert "Muy bien." in shown
    review_id = action.group(2)
    error_tied(shown, f"comment-{review_id}", f"comment-error-{review_id}", "Escribe la nota")


def test_pointing_and_assigning_twice_change_nothing_more(
    launcher: Launcher, team: dict[str, int]
) -> None:
    """Already right before this audit: both are idempotent."""
    from datetime import timedelta

    from lti_tool.models import OpportunityPointer
    from lti_tool.models.private import TutorAssignment
    from lti_tool.services import opportunities
    from tests.support.journey import post

    staff(launcher, "marta", "Marta Díaz")
    closes = (opportunities.today() + timedelta(days=20)).isoformat()
    post(launcher.client, "/opportunities/manage",
         {"kind": "job", "title": "Cajera en Maipú", "organisation": "Súper", "region": "",
          "pathway": "", "closes_on": closes, "url": "https://www.bne.cl/1"},
         token_from="/opportunities/manage")  # fmt: skip
    path = f"/tutor/participants/{team['carmen']}"
    page = text(launcher.client.get(path))
    offer = re.search(r'<option value="(\d+)">Cajera', page)
    assert offer
    for _ in range(2):
        pointed = send(launcher.client, page, f"{path}/point", {"opportunity_id": offer.group(1)})
        assert pointed.status_code == 302
    assert count(OpportunityPointer) == 1

    staff(launcher, "ana", "Ana Pérez")
    page = text(launcher.client.get("/tutor/assignments"))
    for _ in range(2):
        assigned = launcher.client.post("/tutor/assignments", data={
            **form_fields(page, "/tutor/assignments"), "participant_id": team["carmen"],
            "tutor_id": team["tamara"]})  # fmt: skip
        assert assigned.status_code == 302
    assert count(TutorAssignment, TutorAssignment.ended_at.is_(None)) == 2  # carmen's, yasna's
