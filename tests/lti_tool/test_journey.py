"""The participant's journey through the pages: intake, plan, activities, progress saved."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import event, func, select
from sqlalchemy import text as sql

from lti_tool.models import ActivityProgress, Enrolment, db
from lti_tool.models.private import Demographics
from tests.conftest import row_counts
from tests.support.journey import complete_course, csrf, intake, post
from tests.support.lti import LTI, Launcher


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def test_new_participant_is_asked_the_intake_first(launcher: Launcher) -> None:
    launcher.launch("participant")
    page = launcher.client.get("/", follow_redirects=True)
    assert "/intake" in page.request.path
    body = text(page)
    assert "¿Qué quieres lograr?" in body and "Opcional: sobre ti" in body


def test_intake_places_her_and_explains_why(launcher: Launcher) -> None:
    launcher.launch("participant")
    response = intake(launcher.client, {"goal": "own-business", "has-business": "yes"})
    assert response.status_code == 302
    home = text(launcher.client.get("/plan"))
    assert "Emprendimiento · Avanzado" in home
    assert "Ya tienes un negocio." in home  # why
    assert "Bienvenida" in home  # the first step, one clear next action
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None and enrolment.course_ids == ["ls", "ent-plan"]


def test_she_can_choose_the_other_pathway(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client, {"goal": "own-business", "has-business": "yes"})
    # One tap changes nothing: it shows what would change.
    tap = post(launcher.client, "/pathway", {"pathway": "employment"})
    assert tap.status_code == 303 and tap.headers["Location"].startswith("/plan/change?")
    assert db.session.scalar(select(Enrolment.pathway_id)) == "entrepreneurship"
    page = text(launcher.client.get(tap.headers["Location"]))
    assert "¿Cambiar mi plan?" in page and "Sí, cambiar mi plan" in page
    post(launcher.client, "/pathway", {"pathway": "employment", "confirm": "true"})
    db.session.expire_all()
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None and enrolment.pathway_id == "employment"
    assert enrolment.placed_by == "participant"
    assert "Empleabilidad" in text(launcher.client.get("/plan"))


def test_demographics_are_stored_only_with_consent(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client, region="araucania", migrant="no", indigenous="yes")
    assert db.session.scalar(select(func.count()).select_from(Demographics)) == 0
    intake(
        launcher.client,
        consent="true",
        region="araucania",
        municipality="09112",  # Padre Las Casas, from the checked list of communes
        indigenous="yes",
    )
    stored = db.session.scalar(select(Demographics))
    assert stored is not None and stored.region == "araucania" and stored.indigenous == "yes"
    assert stored.municipality == "09112"
    assert stored.migrant == ""
    # At rest, nothing of it is readable.
    raw = db.session.execute(sql("SELECT region, municipality, indigenous FROM demographics")).one()
    assert not {"araucania", "09112", "yes"} & set(raw)
    # Withdrawing consent deletes them.
    post(launcher.client, "/privacy", token_from="/privacy")
    assert db.session.scalar(select(func.count()).select_from(Demographics)) == 0


def test_intake_with_a_forged_answer_changes_nothing(launcher: Launcher) -> None:
    launcher.launch("participant")
    before = row_counts()
    response = intake(launcher.client, {"goal": "rule-the-world"})
    assert response.status_code == 400
    assert "Revisa tus respuestas" in text(response)
    assert row_counts() == before


def test_mass_assignment_fields_are_refused(launcher: Launcher) -> None:
    launcher.launch("participant")
    before = row_counts()
    response = intake(
        launcher.client, {"goal": "job"}, consent="true", role="designer", user_id="1"
    )
    assert response.status_code == 400
    assert row_counts() == before


def test_lesson_done_moves_to_the_next_step_and_is_saved(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    page = text(launcher.client.get("/activities/ls-welcome"))
    assert "Este es un texto de prueba" in page
    response = post(
        launcher.client, "/activities/ls-welcome/done", token_from="/activities/ls-welcome"
    )
    assert response.headers["Location"] == "/activities/ls-story"
    row = db.session.scalar(
        select(ActivityProgress).where(ActivityProgress.activity_id == "ls-welcome")
    )
    assert row is not None and row.completed
    home = text(launcher.client.get("/plan"))
    assert "Continúa donde quedaste" in home and "Historia" in home  # the next one


def test_audio_has_a_transcript_and_loads_nothing_until_played(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    page = text(launcher.client.get("/activities/ls-story"))
    assert '<audio controls preload="none" src="/media/ls-story.es.ogg">' in page
    assert "Me llamo Carmen y vendo empanadas." in page
    media = launcher.client.get("/media/ls-story.es.ogg")
    assert media.status_code == 200
    media.close()
    assert launcher.client.get("/media/../course.yaml").status_code == 404


def test_quiz_feedback_retry_and_pass(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    wrong = post(
        launcher.client, "/activities/ls-check/quiz", {"q1": "b"}, token_from="/activities/ls-check"
    )
    # Post, redirect, get: the result is a page of its own, so a refresh sends nothing again.
    assert wrong.status_code == 303
    assert wrong.headers["Location"] == "/activities/ls-check?checked=1"
    page = text(launcher.client.get(wrong.headers["Location"]))
    assert "Respondiste bien 0 de 1." in page and "No del todo: No." in page
    refreshed = text(launcher.client.get(wrong.headers["Location"]))
    assert _without_csrf(refreshed) == _without_csrf(page)  # a refresh shows the same
    right = text(
        post(
            launcher.client,
            "/activities/ls-check/quiz",
            {"q1": "a"},
            token_from="/activities/ls-check",
            follow_redirects=True,
        )
    )
    assert "¡Muy bien! Aprobaste esta prueba." in right and "Correcto: ¡Bien!" in right
    row = db.session.scalar(
        select(ActivityProgress).where(ActivityProgress.activity_id == "ls-check")
    )
    assert row is not None and row.completed and row.attempts == 2 and row.score == 1.0


def _without_csrf(page: str) -> str:
    """The page without its CSRF tokens, which are signed with the second they were made."""
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token"', page)


def _option_order(page: str) -> list[str]:
    return re.findall(r'name="q1" value="([^"]+)"', page)


def test_quiz_options_keep_their_order_on_refresh_and_change_between_attempts(
    launcher: Launcher,
) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    first = _option_order(text(launcher.client.get("/activities/ls-check")))
    assert sorted(first) == ["a", "b"]
    assert _option_order(text(launcher.client.get("/activities/ls-check"))) == first  # a refresh
    wrong = text(
        post(
            launcher.client,
            "/activities/ls-check/quiz",
            {"q1": "b"},
            token_from="/activities/ls-check",
            follow_redirects=True,  # the result is a page of its own (post, redirect, get)
        )
    )
    # The result shows the order she answered in, her answer kept, its comment, and a new try
    # is a new page (no second submit of the same form).
    assert _option_order(wrong) == first and "No del todo: No." in wrong
    assert 'value="b" checked disabled' in wrong and "Revisar mis respuestas" not in wrong
    assert 'href="/activities/ls-check">Intentar de nuevo' in wrong
    second = _option_order(text(launcher.client.get("/activities/ls-check")))
    assert second == list(reversed(first))
    # Grading reads the option's id, whatever its place on the page.
    right = text(
        post(
            launcher.client,
            "/activities/ls-check/quiz",
            {"q1": "a"},
            token_from="/activities/ls-check",
            follow_redirects=True,
        )
    )
    assert "Aprobaste" in right and _option_order(right) == second


def test_a_quiz_with_a_pass_mark_of_67_passes_two_of_three_and_fails_one(
    launcher: Launcher,
) -> None:
    """The real content's checks have three questions and a pass mark of 67, 70 or 75: one
    right answer of three is not a pass (the check stays open, no score moves), two are."""
    launcher.launch("participant")
    intake(launcher.client)
    complete_course("user-1", "ls")

    def answer(**answers: str) -> str:
        return text(
            post(
                launcher.client,
                "/activities/ent-idea-check/quiz",
                answers,
                token_from="/activities/ent-idea-check",
                follow_redirects=True,  # the result is a page of its own
            )
        )

    def check_row() -> ActivityProgress | None:
        db.session.expire_all()
        return db.session.scalar(
            select(ActivityProgress).where(ActivityProgress.activity_id == "ent-idea-check")
        )

    one = answer(q1="a", q2="b", q3="b")
    assert "Respondiste bien 1 de 3." in one and "Aprobaste" not in one
    assert "Lee los comentarios" in one
    row = check_row()
    assert row is not None and not row.completed and row.score == pytest.approx(1 / 3)

    two = answer(q1="a", q2="a", q3="b")
    assert "Respondiste bien 2 de 3." in two and "¡Muy bien! Aprobaste esta prueba." in two
    row = check_row()
    assert row is not None and row.completed and row.score == pytest.approx(2 / 3)


def test_reflection_is_private_and_saved(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": "Cocino muy bien."},
        token_from="/activities/ls-strengths",
    )
    assert "Cocino muy bien." in text(launcher.client.get("/activities/ls-strengths"))


def test_worksheet_autosave_submit_and_print(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    complete_course("user-1", "ls")
    token = csrf(launcher.client, "/activities/ent-idea-bmc")
    saved = launcher.client.post(
        "/activities/ent-idea-bmc/worksheet",
        json={"values": {"customers": "Vecinas del barrio"}},
        headers={"X-CSRFToken": token},
    )
    assert saved.get_json() == {"ok": True, "complete": True, "revision": 1}
    assert "Vecinas del barrio" in text(launcher.client.get("/activities/ent-idea-bmc"))
    # Unknown fields or a posted score never get in.
    refused = launcher.client.post(
        "/activities/ent-idea-bmc/worksheet",
        json={"values": {"customers": "x"}, "score": 100},
        headers={"X-CSRFToken": token},
    )
    assert refused.status_code == 400
    submitted = post(
        launcher.client,
        "/activities/ent-idea-bmc/worksheet",
        {"customers": "Vecinas", "offer": "Pan amasado", "action": "submit"},
        token_from="/activities/ent-idea-bmc",
    )
    assert submitted.status_code == 302
    # Her worksheet as a PDF download, with her answers (what a print from inside the LMS
    # iframe cannot give).
    pdf = launcher.client.get("/activities/ent-idea-bmc/worksheet.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"] == (
        'attachment; filename="senda-ent-idea-bmc-es.pdf"'
    )
    words = pdf_text(pdf.data)
    assert "Pan amasado" in words and "Vecinas" in words and "Tus clientes" in words
    # "Download as PDF" saves what she just typed first: the file and her worksheet have it.
    typed = post(
        launcher.client,
        "/activities/ent-idea-bmc/worksheet",
        {"customers": "Vecinas y ñañas", "offer": "Pan amasado", "action": "pdf"},
        token_from="/activities/ent-idea-bmc",
    )
    assert typed.status_code == 200 and typed.mimetype == "application/pdf"
    assert "Vecinas y ñañas" in pdf_text(typed.data)
    assert "Vecinas y ñañas" in text(launcher.client.get("/activities/ent-idea-bmc"))
    # In English, in English; and only a worksheet of her plan has one.
    launcher.client.post("/locale", data={"locale": "en", "csrf_token": token})
    english = launcher.client.get("/activities/ent-idea-bmc/worksheet.pdf")
    assert "Your customers" in pdf_text(english.data)
    assert launcher.client.get("/activities/ls-welcome/worksheet.pdf").status_code == 404
    assert launcher.client.get("/activities/emp-diag-intro/worksheet.pdf").status_code == 404


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_worksheet_pdf_marks_only_the_fields_she_left_empty(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    complete_course("user-1", "ls")
    post(
        launcher.client,
        "/activities/ent-idea-bmc/worksheet",
        {"customers": "Vecinas de la población", "offer": ""},
        token_from="/activities/ent-idea-bmc",
    )
    words = pdf_text(launcher.client.get("/activities/ent-idea-bmc/worksheet.pdf").data)
    # Her answer under its heading, and the dash only where she wrote nothing.
    assert re.search(r"Tus clientes\s+Vecinas de la población", words), words
    assert re.search(r"Tu propuesta\s+—", words), words
    assert words.count("—") == 1


def test_worksheet_needs_a_csrf_token(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    complete_course("user-1", "ls")
    response = launcher.client.post(
        "/activities/ent-idea-bmc/worksheet", json={"values": {"customers": "x"}}
    )
    assert response.status_code == 400


def test_submitting_an_incomplete_worksheet_says_what_is_missing(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    complete_course("user-1", "ls")
    response = post(
        launcher.client,
        "/activities/ent-idea-bmc/worksheet",
        {"customers": "", "action": "submit"},
        token_from="/activities/ent-idea-bmc",
    )
    # What she wrote is saved, and the page that says what is missing is a GET (a refresh
    # never sends the form again).
    assert response.status_code == 303
    assert response.headers["Location"] == "/activities/ent-idea-bmc?missing=1"
    page = text(launcher.client.get(response.headers["Location"]))
    assert "Para enviar, completa" in page and "Tus clientes" in page
    assert "no está enviada" in page


def test_every_text_offers_listening_only_when_the_browser_can_speak(launcher: Launcher) -> None:
    """The Listen button comes hidden; speak.js shows it when the browser has speech. A locked
    step has neither its text nor the button."""
    launcher.launch("participant")
    intake(launcher.client)
    page = text(launcher.client.get("/activities/ls-welcome"))
    assert re.search(r'<p class="listen" hidden><button [^>]*id="listen"', page)
    assert 'data-lang="es"' in page and ">Escuchar</button>" in page
    assert 'data-stop="Dejar de leer"' in page and "/static/js/speak.js" in page
    assert 'id="activity-text" lang="es"' in page
    locked = text(launcher.client.get("/activities/ent-idea-intro"))
    assert "speak.js" not in locked and 'id="listen"' not in locked


def test_locked_course_cannot_be_worked_on(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    page = text(launcher.client.get("/courses/ent-idea"))
    assert "Este curso se abre cuando termines" in page and "Yo puedo" in page
    response = post(
        launcher.client, "/activities/ent-idea-intro/done", token_from="/activities/ent-idea-intro"
    )
    assert response.status_code == 403


def test_activities_outside_her_plan_are_not_found(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)  # entrepreneurship basic
    assert launcher.client.get("/activities/emp-diag-intro").status_code == 404
    assert launcher.client.get("/courses/no-such-course").status_code == 404
    assert launcher.client.get("/activities/no-such-thing").status_code == 404
    # A course of the programme outside her plan is offered, never added by opening it.
    offer = launcher.client.get("/courses/emp-diag")
    assert offer.status_code == 200 and "pertenece a otra ruta" in text(offer)
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None and "emp-diag" not in enrolment.course_ids


def test_a_course_link_outside_her_plan_adds_it_only_when_she_says_so(
    launcher: Launcher,
) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    # A course of her pathway's other level.
    response = launcher.launch(
        "participant", **{LTI + "custom": {"senda_target": "course:ent-plan"}}
    )
    assert response.headers["Location"] == "/courses/ent-plan"
    assert "¿Quieres agregarlo?" in text(launcher.client.get("/courses/ent-plan"))
    post(launcher.client, "/courses/ent-plan/add", token_from="/courses/ent-plan")
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None and enrolment.course_ids[-1] == "ent-plan"
    assert enrolment.placed_by == "link"


def test_she_continues_where_she_left_after_relaunch(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    post(launcher.client, "/activities/ls-welcome/done", token_from="/activities/ls-welcome")
    launcher.launch("participant")  # next day, from the LMS again
    home = text(launcher.client.get("/", follow_redirects=True))
    assert "Continúa donde quedaste" in home
    assert re.search(r'href="/activities/ls-story"', home)


def test_progress_of_one_participant_is_invisible_to_another(
    app: Flask, launcher: Launcher
) -> None:
    launcher.launch("participant", sub="a")
    intake(launcher.client)
    post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": "secreto de A"},
        token_from="/activities/ls-strengths",
    )
    launcher.launch("participant", sub="b", given_name="Rosa")
    intake(launcher.client)
    page = text(launcher.client.get("/activities/ls-strengths"))
    assert "secreto de A" not in page


def test_participant_pages_stay_within_the_query_budget(app: Flask, launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    post(launcher.client, "/activities/ls-welcome/done", token_from="/activities/ls-welcome")
    statements: list[str] = []
    engine = db.engine

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    for path in (
        "/plan",
        "/courses/ls",
        "/activities/ls-story",
        "/activities/ls-check",
        "/activities/ls-workshop",
        "/privacy",
    ):
        launcher.client.get(path)  # warm the per-process caches (catalogue, CSP origins)
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = launcher.client.get(path)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, path
        assert len(statements) <= 8, (path, statements)


def test_english_launch_gives_english_pages(launcher: Launcher) -> None:
    launcher.launch("participant", locale="en-US")
    intake(launcher.client)
    home = text(launcher.client.get("/plan"))
    assert "Entrepreneurship · Basic" in home and "Your first step" in home
    assert "Welcome" in home
