"""A participant on a 360-px phone, through the demo LMS, in a real browser.

She launches, answers the intake, is placed, finishes a lesson and a quiz, fills part of the
Business Model Canvas, leaves, relaunches and continues where she left; the same in English; a
facilitator then sees her progress. Every page is checked with axe-core (WCAG 2.2 AA), weighed,
and photographed for reviewers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Frame, Locator, expect
from sqlalchemy import select

from courses.model import Activity, Catalogue
from lti_tool.demo.models import DemoScore
from lti_tool.models import ActivityProgress, db
from lti_tool.services import content
from tests.e2e.conftest import (
    PAGE_BUDGET_BYTES,
    Site,
    check_accessibility,
    launch,
    measure_weight,
    screenshot,
)
from tests.support.journey import complete_course


def catalogue() -> Catalogue:
    found = content.latest_catalogue()
    assert found is not None
    return found[1]


def first_of(kind: str, course_id: str) -> Activity:
    return next(a for a in catalogue().course_activities(course_id) if a.kind == kind)


def click(frame: Frame, target: Locator) -> None:
    """Click something that loads a new page, and wait for that page."""
    with frame.expect_navigation():
        target.click()


def answer_intake(frame: Frame, goal: str) -> None:
    frame.get_by_role("radio", name=goal).check()
    frame.get_by_role("group", name=re.compile("vendes algo|sell something")).get_by_role(
        "radio", name=re.compile("^(No)$")
    ).check()
    click(frame, frame.get_by_role("button", name=re.compile("Ver mi ruta|See my pathway")))


def pass_quiz(frame: Frame, quiz: Activity, locale: str) -> None:
    for question in quiz.questions:
        group = frame.get_by_role(
            "group", name=re.compile(re.escape(question.text.get(locale)[:30]))
        )
        for option in question.options:
            if option.correct:
                group.get_by_label(option.text.get(locale), exact=True).check()
    click(
        frame,
        frame.get_by_role("button", name=re.compile("Revisar mis respuestas|Check my answers")),
    )


UI = {
    "es": {
        "hello": "Hola, {name}",
        "pathway": "Emprendimiento · Básico",
        "done": "Listo, siguiente paso",
        "passed": "¡Muy bien! Aprobaste esta prueba.",
        "saved": "Guardado",
        "continue": "Continúa donde quedaste",
    },
    "en": {
        "hello": "Hello, {name}",
        "pathway": "Entrepreneurship · Basic",
        "done": "Done, next step",
        "passed": "Well done! You passed this check.",
        "saved": "Saved",
        "continue": "Continue where you left off",
    },
}
PEOPLE = [("es", "Carmen Soto", "u-carmen"), ("en", "Emily Clarke", "u-emily")]


@pytest.mark.parametrize(("locale", "person", "sub"), PEOPLE, ids=["spanish", "english"])
def test_participant_journey_on_a_phone(
    site: Site, phone: BrowserContext, locale: str, person: str, sub: str
) -> None:
    """Launch, intake, placement, a lesson, a quiz, part of the Business Model Canvas; leave,
    come back and continue; her progress reaches the LMS gradebook."""
    ui, shot = UI[locale], f"{locale}-"
    page = phone.new_page()
    page.goto(site.url + "/demo")
    screenshot(page, "00-demo-lms")
    frame = launch(page, site, person)
    first_name = person.split()[0]
    expect(frame.get_by_role("heading", level=1)).to_have_text(ui["hello"].format(name=first_name))
    check_accessibility(frame, "intake")
    screenshot(frame, shot + "01-intake")

    goal = next(q for q in catalogue().placement.questions if q.id == "goal")
    answer_intake(frame, dict(goal.options)["own-business"].get(locale))
    expect(frame.get_by_text(ui["pathway"])).to_be_visible()
    check_accessibility(frame, "plan")
    screenshot(frame, shot + "02-plan")

    # One clear next action: the first step of the first course.
    lesson = first_of("lesson", "life-skills")
    click(frame, frame.get_by_role("link", name=lesson.title.get(locale)))
    check_accessibility(frame, "lesson")
    screenshot(frame, shot + "03-lesson")
    click(frame, frame.get_by_role("button", name=ui["done"]))

    quiz = first_of("quiz", "life-skills")
    frame.goto(site.url + f"/activities/{quiz.id}")
    check_accessibility(frame, "quiz")
    pass_quiz(frame, quiz, locale)
    expect(frame.get_by_text(ui["passed"])).to_be_visible()
    check_accessibility(frame, "quiz-result")
    screenshot(frame, shot + "04-quiz-result")

    # The other kinds of page of the course, each checked.
    for kind in ("media", "reflection", "workshop"):
        activity = first_of(kind, "life-skills")
        frame.goto(site.url + f"/activities/{activity.id}")
        check_accessibility(frame, kind)
        screenshot(frame, shot + f"05-{kind}")
    frame.goto(site.url + "/courses/life-skills")
    check_accessibility(frame, "course")
    screenshot(frame, shot + "06-course")
    frame.goto(site.url + "/privacy")
    check_accessibility(frame, "privacy")

    # The Business Model Canvas opens after the life-skills course: the rest of that course is
    # completed quickly here, through the services.
    complete_course(sub, "life-skills")
    canvas = next(
        a for a in catalogue().course_activities("ent-business-idea") if a.kind == "worksheet"
    )
    frame.goto(site.url + f"/activities/{canvas.id}")
    check_accessibility(frame, "worksheet")
    first_field = canvas.fields[0]
    answer = "Vecinas de mi población que trabajan todo el día"
    frame.get_by_label(first_field.label.get(locale)).fill(answer)
    expect(frame.locator("#saved")).to_have_text(ui["saved"], timeout=5000)  # saved as she types
    screenshot(frame, shot + "07-business-model-canvas")

    # She leaves, and comes back another day from the LMS.
    page.goto("about:blank")
    frame = launch(page, site, person)
    expect(frame.get_by_text(ui["continue"])).to_be_visible()
    frame.goto(site.url + f"/activities/{canvas.id}")
    expect(frame.get_by_label(first_field.label.get(locale))).to_have_value(answer)

    # Her progress reached the LMS gradebook.
    expect_grade(page, site)

    # Page weight: each participant page under the budget, compressed, without media.
    for path, name in (
        ("/plan", "plan"),
        (f"/activities/{lesson.id}", "lesson"),
        (f"/activities/{quiz.id}", "quiz"),
        (f"/activities/{canvas.id}", "worksheet"),
        ("/courses/life-skills", "course"),
        ("/intake", "intake"),
    ):
        weight = measure_weight(page, site, path, f"{locale}-{name}")
        assert weight <= PAGE_BUDGET_BYTES, (name, weight)


def expect_grade(page: object, site: Site) -> None:
    import time

    for _ in range(50):
        with site.app.app_context():
            if db.session.scalar(select(DemoScore.id).limit(1)) is not None:
                return
        time.sleep(0.2)
    raise AssertionError("no score reached the demo gradebook")


def test_facilitator_and_designer_pages(site: Site, phone: BrowserContext) -> None:
    page = phone.new_page()
    frame = launch(page, site, "Emily Clarke")
    goal = next(q for q in catalogue().placement.questions if q.id == "goal")
    answer_intake(frame, dict(goal.options)["job"].en)
    lesson = first_of("lesson", "life-skills")
    click(frame, frame.get_by_role("link", name=lesson.title.en))
    click(frame, frame.get_by_role("button", name="Done, next step"))

    facilitator = launch(page, site, "Paula Rojas")
    expect(facilitator.get_by_role("heading", level=1)).to_have_text("Tu grupo")
    expect(facilitator.get_by_role("link", name="Emily Clarke")).to_be_visible()
    check_accessibility(facilitator, "cohort")
    screenshot(facilitator, "10-facilitator-cohort")
    click(facilitator, facilitator.get_by_role("link", name="Emily Clarke"))
    expect(facilitator.get_by_text(re.compile(r"\d+% completado"))).to_be_visible()
    check_accessibility(facilitator, "participant")
    screenshot(facilitator, "11-facilitator-participant")
    facilitator.goto(site.url + "/cohort/workshops")
    check_accessibility(facilitator, "workshops")
    workshop = first_of("workshop", "life-skills")
    facilitator.get_by_label("Taller").select_option(workshop.id)
    # Given an hour ago: attendance is taken once a session has started.
    given = datetime.now(ZoneInfo("America/Santiago")) - timedelta(hours=1)
    facilitator.get_by_label("Fecha y hora (Chile)").fill(given.strftime("%Y-%m-%dT%H:%M"))
    facilitator.get_by_label("Enlace de la reunión").fill("https://meet.example.org/senda")
    click(facilitator, facilitator.get_by_role("button", name="Programar"))
    screenshot(facilitator, "12-facilitator-workshops")
    click(facilitator, facilitator.locator("ul.steps a").first)
    check_accessibility(facilitator, "attendance")
    facilitator.get_by_label("Emily Clarke").check()
    click(facilitator, facilitator.get_by_role("button", name="Guardar asistencia"))
    with site.app.app_context():
        attended = db.session.scalar(
            select(ActivityProgress.completed).where(ActivityProgress.activity_id == workshop.id)
        )
    assert attended
    facilitator.goto(site.url + "/cohort/grades")
    check_accessibility(facilitator, "grades")
    screenshot(facilitator, "13-facilitator-grades")

    designer = launch(page, site, "Daniela Muñoz")
    expect(designer.get_by_role("heading", level=1)).to_have_text("Diseño de contenidos")
    check_accessibility(designer, "design")
    designer.goto(site.url + "/design/courses/ent-business-idea")
    check_accessibility(designer, "design-course")
    canvas = next(a for a in catalogue().activities.values() if a.kind == "worksheet")
    designer.goto(site.url + f"/design/activities/{canvas.id}")
    expect(designer.get_by_text("Vista previa")).to_be_visible()
    check_accessibility(designer, "preview")
    screenshot(designer, "14-designer-preview")
    designer.goto(site.url + "/design/checks")
    check_accessibility(designer, "checks")


def test_keyboard_only(site: Site, phone: BrowserContext) -> None:
    frame = launch(phone.new_page(), site, "Yasna Joseph")
    page = phone.new_page()  # the same session, as a page of its own, to own the keyboard
    page.goto(frame.url)
    # The skip link is the first stop, and it moves to the content.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Saltar al contenido")
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("main")
    # Reach the first answer with Tab alone, choose it with the arrow keys, submit with Enter.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "radio":
            break
    page.keyboard.press("ArrowDown")  # radios: arrows move and select
    expect(page.get_by_role("radio", name="Encontrar un trabajo con contrato")).to_be_checked()
    submit = page.get_by_role("button", name="Ver mi ruta")
    submit.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Empleabilidad · Básico")).to_be_visible()
    page.locator("a.button").first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_role("button", name="Listo, siguiente paso").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    with site.app.app_context():
        assert db.session.scalar(select(ActivityProgress.id).limit(1)) is not None


def test_reading_and_quizzes_work_without_javascript(site: Site, browser: object) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 780}, java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    # Without JavaScript the demo LMS's auto-posting forms show a Continue button.
    page.goto(site.url + "/demo/launch?person=u-rosa")
    page.get_by_role("button", name=re.compile("Continuar")).click()
    page.wait_for_load_state()
    assert "/intake" in page.url
    page.get_by_role("radio", name="Encontrar un trabajo con contrato").check()
    page.get_by_role("button", name="Ver mi ruta").click()
    lesson = first_of("lesson", "life-skills")
    page.goto(site.url + f"/activities/{lesson.id}")
    expect(page.locator(".prose")).to_be_visible()
    page.get_by_role("button", name="Listo, siguiente paso").click()
    quiz = first_of("quiz", "life-skills")
    page.goto(site.url + f"/activities/{quiz.id}")
    pass_quiz(page.main_frame, quiz, "es")
    expect(page.get_by_text("¡Muy bien! Aprobaste esta prueba.")).to_be_visible()
    context.close()
