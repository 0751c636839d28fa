"""Outcomes in a real browser: a participant answers her 3-month follow-up survey on a 360-px
phone (offered first at her launch), and the programme team reads the report of a synthetic
programme of 500 women: charts each with its table, small counts as "< 5", zero axe-core
violations, within the page budget."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import select, update

from lti_tool.models import Enrolment, FollowUp, LtiUser, db, utcnow
from lti_tool.services import content
from tests.e2e.conftest import (
    PAGE_BUDGET_BYTES,
    SCREENSHOTS,
    Site,
    check_accessibility,
    launch,
    measure_weight,
    screenshot,
)
from tests.e2e.test_participant_journey import answer_intake
from tests.e2e.test_participant_journey import catalogue as content_catalogue
from tests.support import synthetic
from tests.support.journey import complete_course


def test_participant_answers_her_3_month_survey_on_a_phone(
    site: Site, phone: BrowserContext
) -> None:
    page = phone.new_page()
    frame = launch(page, site, "Carmen Soto")
    goal = next(q for q in content_catalogue().placement.questions if q.id == "goal")
    answer_intake(frame, dict(goal.options)["own-business"].es)
    enrolment = db.session.scalar(
        select(Enrolment)
        .join(LtiUser, LtiUser.id == Enrolment.user_id)
        .where(LtiUser.sub == "u-carmen")
    )
    assert enrolment is not None
    for course_id in list(enrolment.course_ids):
        complete_course("u-carmen", course_id)
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.user_id == enrolment.user_id, FollowUp.months == 3)
        .values(due_at=utcnow() - timedelta(days=1))
    )
    db.session.commit()

    frame = launch(page, site, "Carmen Soto")  # offered first
    expect(frame.get_by_role("heading", level=1)).to_contain_text("3 meses")
    check_accessibility(frame, "follow-up survey")
    screenshot(frame, "30-followup-survey")
    width = frame.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the survey must not scroll sideways on a phone"
    for question, answer in (
        ("dinero ganas", "Más"),
        ("cuántas personas", "Con 3 a 5"),
        ("estudiando", "Sí"),
        ("negocio", "Empecé un negocio"),
        ("contrato", "Sí, con contrato"),
    ):
        group = frame.get_by_role("group", name=re.compile(question))
        group.get_by_role("radio", name=answer, exact=True).check()
    frame.get_by_role("textbox").fill("Ahora vendo mis tortas por WhatsApp.")
    frame.get_by_role("button", name="Enviar mis respuestas").click()
    frame.wait_for_load_state()
    expect(frame.locator(".flash").first).to_contain_text("Tus respuestas quedaron guardadas")
    check_accessibility(frame, "plan after the survey")
    db.session.expire_all()
    row = db.session.scalar(
        select(FollowUp).where(FollowUp.user_id == enrolment.user_id, FollowUp.months == 3)
    )
    assert row is not None and (row.status, row.answered_by) == ("answered", "participant")
    weight = measure_weight(
        phone.new_page(), site, f"/followup/{row.id}", "followup-survey-answered"
    )
    assert weight < PAGE_BUDGET_BYTES


def test_programme_team_reads_the_report(site: Site, browser: Browser) -> None:
    found = content.latest_catalogue()
    assert found is not None
    synthetic.build(500, found[1], found[0], seed=5)
    sizes = (({"width": 360, "height": 780}, "phone"), ({"width": 1280, "height": 900}, "desk"))
    for viewport, name in sizes:
        context = browser.new_context(viewport=viewport, locale="es-CL")
        page = context.new_page()
        frame = launch(page, site, "Ana Pérez")
        frame.goto(site.url + "/programme")
        with frame.expect_navigation():
            frame.get_by_role("link", name="Reportes").click()
        expect(frame.get_by_role("heading", level=1)).to_have_text("Alcance y resultados")
        figures = frame.locator("figure.figure")
        assert figures.count() >= 10
        for i in range(figures.count()):
            figure = figures.nth(i)
            assert figure.locator(".chart svg, .chart .bar-hidden").count() > 0
            assert figure.locator("table").count() == 1
        expect(frame.get_by_role("table", name="Mujeres por región")).to_be_visible()
        assert "< 5" in frame.locator("#fig-municipality table").inner_text()
        check_accessibility(frame, f"report ({name})")
        screenshot(frame, f"31-report-{name}")
        top = context.new_page()  # the same session, top-level: element shots of figures
        top.goto(frame.url)
        for figure_id in ("region", "status-by-pathway", "outcome-income"):
            top.locator(f"#fig-{figure_id}").screenshot(
                path=str(SCREENSHOTS / f"32-report-{name}-{figure_id}.png")
            )
        top.close()
        # Filter by region: the page answers with the same layout, filtered.
        frame.locator("#f-region").select_option("biobio")
        with frame.expect_navigation():
            frame.get_by_role("button", name="Mostrar").click()
        assert "region=biobio" in frame.url
        check_accessibility(frame, f"filtered report ({name})")
        if name == "desk":
            weight = measure_weight(context.new_page(), site, "/programme/reports", "report")
            assert weight < PAGE_BUDGET_BYTES
            with page.expect_download() as download:
                frame.get_by_role("link", name="Descargar en CSV").click()
            path = download.value.path()
            assert path is not None
            data = Path(path).read_text(encoding="utf-8-sig")
            assert data.startswith("Sección,Tabla,Fila,Columna,Cantidad,Porcentaje")
            assert "< 5" in data
            frame.goto(site.url + "/programme/follow-up")
            check_accessibility(frame, "follow-up calls")
        context.close()
