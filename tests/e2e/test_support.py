"""Help, the quick exit and the employment tutor in a real browser, through the demo LMS, on a
360-px phone: a participant asks for help and reads the support lead's reply (Spanish and
English); the quick exit leaves no help page in the frame's history (with JavaScript) and Back
shows nothing of it (without); the help form works with the keyboard alone; the programme team
assigns a tutor, the participant sends her CV, the tutor comments it and she reads the comments.
Every page is checked with axe-core (WCAG 2.2 AA) and photographed for reviewers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from tests.e2e.conftest import (
    PAGE_BUDGET_BYTES,
    PHONE,
    Site,
    check_accessibility,
    launch,
    measure_weight,
    screenshot,
)
from tests.e2e.test_participant_journey import answer_intake, catalogue, click
from tests.support.journey import complete_course

UI = {
    "es": {
        "help": "Necesito apoyo",
        "need": "Transporte",
        "details": "Cuéntanos un poco más",
        "contact": "Aquí en Senda",
        "send": "Enviar",
        "sent": "Enviada",
        "request": "Solicitud del",
        "directory": "Teléfonos y lugares que pueden ayudarte",
        "exit": "Salir rápido",
        "in_progress": "En curso",
    },
    "en": {
        "help": "I need support",
        "need": "Transport",
        "details": "Tell us a little more",
        "contact": "Here in Senda",
        "send": "Send",
        "sent": "Sent",
        "request": "Request of",
        "directory": "Phone numbers and places that can help",
        "exit": "Quick exit",
        "in_progress": "In progress",
    },
}
WORDS = {"es": "No tengo plata para la micro hasta fin de mes.", "en": "I cannot pay the bus."}
REPLY = "Hola, te ayudamos con una tarjeta de transporte. Te escribo el lunes."


def enrol(page: Page, site: Site, person: str, locale: str, goal: str = "job") -> Frame:
    frame = launch(page, site, person)
    question = next(q for q in catalogue().placement.questions if q.id == "goal")
    answer_intake(frame, dict(question.options)[goal].get(locale))
    return frame


@pytest.mark.parametrize(
    ("locale", "person"),
    [("es", "Carmen Soto"), ("en", "Emily Clarke")],
    ids=["spanish", "english"],
)
def test_she_asks_for_help_reads_the_reply_and_leaves_no_trace(
    site: Site, phone: BrowserContext, locale: str, person: str
) -> None:
    ui, shot = UI[locale], f"{locale}-support-"
    page = phone.new_page()
    frame = enrol(page, site, person, locale)
    before = frame.evaluate("history.length")
    click(frame, frame.get_by_role("link", name=ui["help"]))
    expect(frame.get_by_role("heading", level=1)).to_have_text(ui["help"])
    assert frame.title() == "Senda"  # nothing in the tab or the history names the subject
    check_accessibility(frame, "help")
    screenshot(frame, shot + "01-help")
    frame.get_by_label(ui["need"], exact=True).check()
    frame.get_by_label(ui["details"]).fill(WORDS[locale])
    frame.get_by_label(ui["contact"]).check()
    click(frame, frame.get_by_role("button", name=ui["send"], exact=True))
    expect(frame.locator(".badge")).to_have_text(ui["sent"])
    expect(frame.get_by_text(WORDS[locale])).to_be_visible()
    check_accessibility(frame, "request")
    screenshot(frame, shot + "02-request")

    # The support lead answers, in Senda.
    lead = launch(page, site, "Sofía Reyes")
    click(lead, lead.get_by_role("link", name="Solicitudes de apoyo"))
    check_accessibility(lead, "queue")
    screenshot(lead, shot + "03-queue")
    click(lead, lead.get_by_role("link", name=person))
    expect(lead.get_by_text(WORDS[locale])).to_be_visible()
    check_accessibility(lead, "handle")
    lead.get_by_label("Mensaje", exact=True).fill(REPLY)
    lead.get_by_label("Estado").select_option("in-progress")
    click(lead, lead.get_by_role("button", name="Guardar"))
    expect(lead.get_by_text(REPLY)).to_be_visible()
    screenshot(lead, shot + "04-handle")

    # She comes back and reads it.
    frame = launch(page, site, person)
    frame.wait_for_url(re.compile(r"/plan"))
    before = frame.evaluate("history.length")
    click(frame, frame.get_by_role("link", name=ui["help"]))
    click(frame, frame.get_by_role("link", name=re.compile(ui["request"])))
    expect(frame.get_by_text(REPLY)).to_be_visible()
    expect(frame.locator(".badge")).to_have_text(ui["in_progress"])
    click(frame, frame.get_by_role("link", name=ui["directory"]).first)
    check_accessibility(frame, "directory")
    screenshot(frame, shot + "05-directory")
    # Inside help, each page replaced the one before: one entry since her plan.
    assert frame.evaluate("history.length") == before + 1

    # Quick exit: the neutral page replaces the help page, and Back goes to her plan.
    click(frame, frame.get_by_role("link", name=ui["exit"]))
    expect(frame.get_by_role("heading", level=1)).to_have_text("Sopaipillas")
    assert frame.evaluate("history.length") == before + 1
    check_accessibility(frame, "neutral")
    with frame.expect_navigation():
        frame.evaluate("history.back()")
    assert frame.url.endswith("/plan"), frame.url
    expect(frame.get_by_text(REPLY)).to_have_count(0)
    # Forward again: the neutral page, never the help page.
    with frame.expect_navigation():
        frame.evaluate("history.forward()")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Sopaipillas")

    # Page weight: opened again from the menu's link (which carries the exit's key).
    frame.goto(site.url + "/plan")
    href = frame.get_by_role("link", name=ui["help"]).get_attribute("href")
    assert href and "k=" in href
    for path, name in ((href, "help"), ("/s/directory", "directory"), ("/s/1", "request")):
        weight = measure_weight(page, site, path, f"{locale}-{name}")
        assert weight <= PAGE_BUDGET_BYTES, (name, weight)
        assert "/recipes" not in page.url, name  # the page itself, not the neutral one


def test_without_javascript_back_after_a_quick_exit_shows_nothing(
    site: Site, browser: Browser
) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="es-CL")
    page = context.new_page()
    page.goto(site.url + "/demo/launch?person=u-rosa")
    page.get_by_role("button", name=re.compile("Continuar")).click()
    page.wait_for_load_state()
    page.get_by_role("radio", name="Encontrar un trabajo con contrato").check()
    page.get_by_role("button", name="Ver mi ruta").click()
    page.get_by_role("link", name="Necesito apoyo").click()
    page.get_by_label("Cuidado de mis hijos e hijas").check()
    page.get_by_label("Cuéntanos un poco más").fill("Necesito sala cuna para mi hija.")
    page.get_by_role("radio", name="Una llamada").check()
    page.get_by_label("Tu número de teléfono").fill("+56 9 1111 2222")
    page.get_by_role("button", name="Enviar", exact=True).click()
    expect(page.get_by_text("Necesito sala cuna para mi hija.")).to_be_visible()
    page.get_by_role("link", name="Salir rápido").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sopaipillas")
    for _ in range(3):  # Back, Back, Back: the neutral page each time, never her request
        page.go_back()
        expect(page.get_by_text("Necesito sala cuna para mi hija.")).to_have_count(0)
        expect(page.get_by_text("+56 9 1111 2222")).to_have_count(0)
        if "/plan" in page.url or "/intake" in page.url:
            break
        expect(page.get_by_role("heading", level=1)).to_have_text("Sopaipillas")
    context.close()


def test_the_help_form_with_the_keyboard_alone(site: Site, phone: BrowserContext) -> None:
    frame = enrol(phone.new_page(), site, "Yasna Joseph", "es")
    page = phone.new_page()  # the same session, on its own, to own the keyboard
    page.goto(site.url + "/s")
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "checkbox":
            break
    page.keyboard.press("Space")  # the first need: care of her children
    expect(page.get_by_label("Cuidado de mis hijos e hijas")).to_be_checked()
    page.keyboard.press("Tab")
    for _ in range(12):
        if page.evaluate("document.activeElement.id") == "details":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("Busco jardín infantil.")
    page.get_by_role("button", name="Enviar", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Busco jardín infantil.")).to_be_visible()
    assert frame  # her launch opened the session this page uses


def test_a_tutor_comments_a_cv_she_was_sent(site: Site, phone: BrowserContext) -> None:
    page = phone.new_page()
    carmen = enrol(page, site, "Carmen Soto", "es")
    for course in ("life-skills", "emp-diagnosis", "emp-workshops"):
        complete_course("u-carmen", course)

    team = launch(page, site, "Ana Pérez")
    team.goto(site.url + "/tutor/assignments")
    check_accessibility(team, "assignments")
    team.get_by_label("Tutora de Carmen Soto").select_option(label="Marta Díaz")
    click(team, team.get_by_role("button", name=re.compile("Guardar.*Carmen Soto")))
    expect(team.get_by_label("Tutora de Carmen Soto")).to_have_value(re.compile(r"\d+"))

    carmen = launch(page, site, "Carmen Soto")
    carmen.goto(site.url + "/activities/emp-prof-cv")
    carmen.get_by_label("Nombre completo").fill("Carmen Soto Pérez")
    carmen.get_by_label("Teléfono y correo").fill("+56 9 1234 5678")
    carmen.get_by_label("Experiencia laboral").fill("2020–2024 Cajera, supermercado, Maipú")
    click(carmen, carmen.get_by_role("button", name="Guardar", exact=True))
    click(carmen, carmen.get_by_role("button", name="Enviar mi currículum a mi tutora"))
    expect(carmen.get_by_text("Tu tutora todavía no comenta.")).to_be_visible()
    check_accessibility(carmen, "cv-worksheet")

    marta = launch(page, site, "Marta Díaz")
    click(marta, marta.get_by_role("link", name="Mis participantes"))
    expect(marta.get_by_text("1 currículum por comentar")).to_be_visible()
    check_accessibility(marta, "caseload")
    screenshot(marta, "20-tutor-caseload")
    click(marta, marta.get_by_role("link", name="Carmen Soto"))
    check_accessibility(marta, "case")
    marta.get_by_label("Tus comentarios a este currículum").fill(
        "Muy claro. Agrega tu curso de manipulación de alimentos."
    )
    click(marta, marta.get_by_role("button", name="Guardar comentarios"))
    marta.get_by_label("Nueva nota").fill("Primera reunión: buscamos trabajo de cajera.")
    click(marta, marta.get_by_role("button", name="Guardar nota"))
    screenshot(marta, "21-tutor-case")

    carmen = launch(page, site, "Carmen Soto")
    carmen.goto(site.url + "/activities/emp-prof-cv")
    expect(carmen.get_by_text("Agrega tu curso de manipulación de alimentos.")).to_be_visible()
    screenshot(carmen, "22-cv-with-comments")
    carmen.goto(site.url + "/my-tutor")
    expect(carmen.get_by_text("Primera reunión: buscamos trabajo de cajera.")).to_be_visible()
    check_accessibility(carmen, "my-tutor")
    carmen.goto(site.url + "/opportunities")
    check_accessibility(carmen, "opportunities")
    pdf = page.request.get(site.url + "/my-tutor/cv.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
