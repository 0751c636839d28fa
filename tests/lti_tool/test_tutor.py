"""The employment tutor, the tutor assignment and the opportunities board through HTTP: a tutor
sees only her caseload (by URL and by guessing ids), comments a CV her participant sent, writes
dated notes the participant reads, points an offer that appears on her plan; the CV downloads as
a one-page PDF; links to other sites open in a new window."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lti_tool.models import LtiUser, db
from lti_tool.services import opportunities
from tests.conftest import row_counts
from tests.factories import GrantFactory
from tests.services.test_support import pdf_text
from tests.support.journey import csrf, post
from tests.support.lti import Launcher
from tests.support.tutoring_content import use_content_with_cv

NOTE = "Hoy revisamos tu diagnóstico: buscamos trabajo de cajera cerca de tu casa."
COMMENT = "Agrega tu curso de manipulación de alimentos en Estudios."


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def user_id(sub: str) -> int:
    found = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == sub))
    assert found is not None
    return found


@pytest.fixture
def cv_content(app: Flask, tmp_path: Path, imported: int) -> int:
    return use_content_with_cv(app, tmp_path)


def participant(launcher: Launcher, sub: str, name: str) -> int:
    launcher.launch("participant", sub=sub, name=name, given_name=name.split()[0])
    response = post(launcher.client, "/intake", {"goal": "job"}, token_from="/intake")
    assert response.status_code == 302
    return user_id(sub)


def staff(launcher: Launcher, sub: str, name: str, *grants: str) -> int:
    launcher.launch("facilitator", sub=sub, name=name, given_name=name.split()[0])
    person = user_id(sub)
    for grant in grants:
        GrantFactory(user_id=person, role=grant)
    return person


def assign(launcher: Launcher, participant_id: int, tutor_id: int | None) -> Any:
    staff(launcher, "ana", "Ana Pérez")
    return post(
        launcher.client,
        "/tutor/assignments",
        {"participant_id": participant_id, "tutor_id": "" if tutor_id is None else tutor_id},
        token_from="/tutor/assignments",
    )


def tutoring_team(launcher: Launcher) -> dict[str, int]:
    """Carmen with her tutor Marta, Yasna with hers (Tamara), and Ana of the programme team."""
    people = {
        "carmen": participant(launcher, "carmen", "Carmen Soto"),
        "yasna": participant(launcher, "yasna", "Yasna Joseph"),
        "marta": staff(launcher, "marta", "Marta Díaz", "tutor"),
        "tamara": staff(launcher, "tamara", "Tamara Tutora", "tutor"),
        "ana": staff(launcher, "ana", "Ana Pérez", "programme_team"),
    }
    assert assign(launcher, people["carmen"], people["marta"]).status_code == 302
    assert assign(launcher, people["yasna"], people["tamara"]).status_code == 302
    return people


@pytest.fixture
def team(launcher: Launcher, cv_content: int) -> dict[str, int]:
    return tutoring_team(launcher)


def test_the_programme_team_assigns_and_nobody_else(
    launcher: Launcher, team: dict[str, int]
) -> None:
    page = text(launcher.client.get("/tutor/assignments"))
    assert "Carmen Soto" in page and "Marta Díaz" in page
    for sub in ("marta", "carmen"):
        launcher.launch("participant" if sub == "carmen" else "facilitator", sub=sub)
        assert launcher.client.get("/tutor/assignments").status_code == 403
    staff(launcher, "paula", "Paula Rojas")
    before = row_counts()
    response = launcher.client.post(
        "/tutor/assignments",
        data={"csrf_token": csrf(launcher.client, "/cohort"), "participant_id": team["yasna"],
              "tutor_id": team["marta"]},
    )  # fmt: skip
    assert response.status_code == 403 and row_counts() == before


def test_a_tutor_sees_only_her_caseload(launcher: Launcher, team: dict[str, int]) -> None:
    staff(launcher, "marta", "Marta Díaz")
    caseload = text(launcher.client.get("/tutor"))
    assert "Carmen Soto" in caseload and "Yasna Joseph" not in caseload
    assert launcher.client.get(f"/tutor/participants/{team['carmen']}").status_code == 200
    for guess in (team["yasna"], team["tamara"], team["ana"], 0, 999_999):
        for path in (f"/tutor/participants/{guess}", f"/tutor/participants/{guess}/cv.pdf"):
            assert launcher.client.get(path).status_code == 404, path
        response = post(launcher.client, f"/tutor/participants/{guess}/notes", {"body": "x"},
                        token_from="/tutor")  # fmt: skip
        assert response.status_code == 404
    # Without a tutor grant: refused, even for her.
    for sub, role in (("paula", "facilitator"), ("lucia", "mentor"), ("carmen", "participant")):
        launcher.launch(role, sub=sub)
        assert launcher.client.get("/tutor").status_code == 403
        assert launcher.client.get(f"/tutor/participants/{team['carmen']}").status_code == 403


def test_a_tutor_comments_a_cv_and_she_reads_it_beside_her_worksheet(
    launcher: Launcher, team: dict[str, int]
) -> None:
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    values = {
        "full-name": "Carmen Soto Pérez",
        "contact": "+56 9 1234 5678",
        "work-experience": "2020–2024 Cajera en supermercado",
    }
    response = post(launcher.client, "/activities/emp-prof-cv/worksheet",
                    {**values, "action": "save"}, token_from="/activities/emp-prof-cv")  # fmt: skip
    assert response.status_code in (302, 403)  # the course may still be locked for her
    if response.status_code == 403:
        from tests.support.journey import complete_course

        for course in ("ls", "emp-diag", "emp-work"):
            complete_course("carmen", course)
        response = post(
            launcher.client,
            "/activities/emp-prof-cv/worksheet",
            {**values, "action": "save"},
            token_from="/activities/emp-prof-cv",
        )
        assert response.status_code == 302
    page = text(launcher.client.get("/activities/emp-prof-cv"))
    assert "Enviar mi currículum a mi tutora" in page and "Marta Díaz" in page
    response = post(launcher.client, "/my-tutor/cv", {"back": "/activities/emp-prof-cv"},
                    token_from="/activities/emp-prof-cv")  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/activities/emp-prof-cv#tutor"
    )
    pages, drawn = pdf_text(launcher.client.get("/my-tutor/cv.pdf").data)
    assert pages == 1 and "Carmen Soto P" in drawn and "EXPERIENCIA LABORAL" in drawn

    staff(launcher, "marta", "Marta Díaz")
    assert "1 currículum por comentar" in text(launcher.client.get("/tutor"))
    case = text(launcher.client.get(f"/tutor/participants/{team['carmen']}"))
    review = re.search(r'action="(/tutor/participants/\d+/reviews/\d+)"', case)
    assert review and "2020–2024 Cajera en supermercado" in case
    response = post(launcher.client, review.group(1), {"body": COMMENT},
                    token_from=f"/tutor/participants/{team['carmen']}")  # fmt: skip
    assert response.status_code == 302
    response = post(launcher.client, f"/tutor/participants/{team['carmen']}/notes",
                    {"body": NOTE}, token_from="/tutor")  # fmt: skip
    assert response.status_code == 302
    response = post(launcher.client, f"/tutor/participants/{team['carmen']}/notes",
                    {"body": "   "}, token_from="/tutor")  # fmt: skip
    assert response.status_code == 400 and "Escribe la nota" in text(response)
    pdf = launcher.client.get(f"/tutor/participants/{team['carmen']}/cv.pdf")
    assert pdf.mimetype == "application/pdf" and pdf_text(pdf.data)[0] == 1

    # Another tutor cannot comment it, even knowing the URL.
    staff(launcher, "tamara", "Tamara Tutora")
    response = post(launcher.client, review.group(1), {"body": "x"}, token_from="/tutor")
    assert response.status_code == 404

    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    page = text(launcher.client.get("/activities/emp-prof-cv"))
    assert COMMENT in page and "Comentarios de Marta Díaz" in page
    mine = text(launcher.client.get("/my-tutor"))
    assert NOTE in mine and COMMENT in mine
    assert "Marta Díaz es tu tutora laboral" in text(launcher.client.get("/plan"))


def test_an_offer_the_tutor_points_appears_on_her_plan(
    launcher: Launcher, team: dict[str, int]
) -> None:
    staff(launcher, "marta", "Marta Díaz")
    closes = (opportunities.today() + timedelta(days=20)).isoformat()
    response = post(
        launcher.client,
        "/opportunities/manage",
        {"kind": "job", "title": "Cajera en Maipú", "organisation": "Supermercado",
         "region": "metropolitana", "pathway": "employment", "closes_on": closes,
         "url": "https://www.bne.cl/ofertas/123"},
        token_from="/opportunities/manage",
    )  # fmt: skip
    assert response.status_code == 302
    case = text(launcher.client.get(f"/tutor/participants/{team['carmen']}"))
    offer = re.search(r'<option value="(\d+)">Cajera en Maipú', case)
    assert offer
    response = post(launcher.client, f"/tutor/participants/{team['carmen']}/point",
                    {"opportunity_id": offer.group(1)}, token_from="/tutor")  # fmt: skip
    assert response.status_code == 302
    response = post(launcher.client, f"/tutor/participants/{team['yasna']}/point",
                    {"opportunity_id": offer.group(1)}, token_from="/tutor")  # fmt: skip
    assert response.status_code == 404

    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    plan = text(launcher.client.get("/plan"))
    assert "Cajera en Maipú" in plan and "Marta Díaz pensó en ti para esto." in plan
    link = re.search(r'<a href="https://www.bne.cl/ofertas/123"[^>]*>', plan)
    assert link and 'target="_blank"' in link.group(0) and "noopener" in link.group(0)
    board = text(launcher.client.get("/opportunities"))
    assert "Cajera en Maipú" in board
    launcher.launch("participant", sub="yasna", name="Yasna Joseph")
    assert "Cajera en Maipú" not in text(launcher.client.get("/plan"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Escribe un título"),
        ({"url": "http://inseguro.example.org"}, "https://"),
        ({"closes_on": "31/12/2026"}, "Escribe la fecha de cierre"),
        ({"closes_on": "2020-01-01"}, "La fecha de cierre ya pasó"),
        ({"kind": "lottery"}, None),
        ({"posted_by": "1"}, None),
    ],
)
def test_a_refused_offer_says_why_and_posts_nothing(
    launcher: Launcher, cv_content: int, fields: dict[str, str], message: str | None
) -> None:
    staff(launcher, "ana", "Ana Pérez", "programme_team")
    data = {
        "kind": "job-fair",
        "title": "Feria laboral de Biobío",
        "closes_on": (opportunities.today() + timedelta(days=5)).isoformat(),
        "url": "https://www.sence.cl/feria",
        **fields,
    }
    before = row_counts()
    response = post(launcher.client, "/opportunities/manage", data,
                    token_from="/opportunities/manage")  # fmt: skip
    assert response.status_code == 400
    if message:
        assert message in text(response)
    assert row_counts() == before


def test_participants_and_facilitators_cannot_post(launcher: Launcher, cv_content: int) -> None:
    for role, sub in (("participant", "carmen"), ("facilitator", "paula")):
        launcher.launch(role, sub=sub)
        assert launcher.client.get("/opportunities/manage").status_code == 403
    launcher.launch("facilitator", sub="paula")
    assert launcher.client.get("/opportunities").status_code == 403


def test_tutoring_pages_stay_within_the_query_budget(
    launcher: Launcher, team: dict[str, int]
) -> None:
    from sqlalchemy import event

    from tests.support.journey import complete_course

    for course in ("ls", "emp-diag", "emp-work"):
        complete_course("carmen", course)
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    cv = {"full-name": "Carmen", "action": "save"}
    post(launcher.client, "/activities/emp-prof-cv/worksheet", cv, token_from="/my-tutor")
    post(launcher.client, "/my-tutor/cv", {}, token_from="/my-tutor")
    pages = {
        "carmen": ["/plan", "/my-tutor", "/activities/emp-prof-cv", "/opportunities"],
        "marta": ["/tutor", f"/tutor/participants/{team['carmen']}", "/opportunities/manage"],
        "ana": ["/tutor/assignments"],
    }
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    for sub, paths in pages.items():
        launcher.launch("participant" if sub == "carmen" else "facilitator", sub=sub)
        for path in paths:
            launcher.client.get(path)
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", count)
            try:
                response = launcher.client.get(path)
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            assert response.status_code == 200, path
            shown = [s.split("FROM")[-1][:60].replace("\n", " ") for s in statements]
            assert len(statements) <= 8, (path, len(statements), shown)
