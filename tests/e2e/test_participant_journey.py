"""A participant on a 360-px phone, through the demo LMS, in a real browser.

She launches, answers the intake, is placed, finishes a lesson, fails then passes a quiz, fills
part of the Business Model Canvas and downloads it as a PDF, leaves, relaunches and continues
where she left; the same in English; a facilitator and a designer then work in both languages.
Every page each test visits — error states, the failed quiz, a new try and the cookie-blocked
launch included — is checked with axe-core (WCAG 2.2 AA): the `audit` fixture fails a test that
loaded a page it did not check. The keyboard test moves only with Tab and Enter; the
JavaScript-off test checks its pages too, and that her lesson and quiz were recorded."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Frame, Locator, Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from courses.model import Activity, Catalogue
from lti_tool.demo.models import DemoScore
from lti_tool.models import ActivityProgress, Enrolment, LtiUser, db
from lti_tool.services import content
from tests.e2e.conftest import (
    PAGE_BUDGET_BYTES,
    PHONE,
    Audit,
    Site,
    auditing,
    check_accessibility,
    context_without_javascript,
    launch,
    measure_weight,
    screenshot,
    tab_to,
)
from tests.support.journey import complete_course
from tests.support.lms import separate_lms
from tests.support.servers import free_port


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


def answer_quiz(frame: Frame, quiz: Activity, locale: str, right: bool) -> None:
    """Answer every question, all right or all wrong, and submit. After a result, a new try
    is a page of its own (its "Try again" link), as she would take it."""
    again = frame.get_by_role("link", name=re.compile("^(Intentar de nuevo|Try again)$"))
    if again.count():
        click(frame, again.first)
        check_accessibility(frame, "quiz-again")
    for question in quiz.questions:
        group = frame.get_by_role(
            "group", name=re.compile(re.escape(question.text.get(locale)[:30]))
        )
        if right:
            for option in question.options:
                if option.correct:
                    group.get_by_label(option.text.get(locale), exact=True).check()
        else:
            wrong = next(o for o in question.options if not o.correct)
            group.get_by_label(wrong.text.get(locale), exact=True).check()
    click(
        frame,
        frame.get_by_role(
            "button",
            name=re.compile("Revisar mis respuestas|Check my answers|Intentar de nuevo|Try again"),
        ),
    )


def pass_quiz(frame: Frame, quiz: Activity, locale: str) -> None:
    answer_quiz(frame, quiz, locale, right=True)


def visit(frame: Frame, site: Site, path: str, name: str) -> None:
    """Open a page of Senda in the frame and check it with axe."""
    frame.goto(site.url + path)
    check_accessibility(frame, name)


UI = {
    "es": {
        "hello": "Hola, {name}",
        "pathway": "Emprendimiento · Básico",
        "done": "Listo, siguiente paso",
        "passed": "¡Muy bien! Aprobaste esta prueba.",
        "failed": "Lee los comentarios de abajo y vuelve a intentarlo.",
        "saved": "Guardado",
        "continue": "Continúa donde quedaste",
        "not_found": "No encontramos esa página.",
    },
    "en": {
        "hello": "Hello, {name}",
        "pathway": "Entrepreneurship · Basic",
        "done": "Done, next step",
        "passed": "Well done! You passed this check.",
        "failed": "Read the comments below and try again.",
        "saved": "Saved",
        "continue": "Continue where you left off",
        "not_found": "We could not find that page.",
    },
}
PEOPLE = [("es", "Carmen Soto", "u-carmen"), ("en", "Emily Clarke", "u-emily")]


@pytest.mark.parametrize(("locale", "person", "sub"), PEOPLE, ids=["spanish", "english"])
def test_participant_journey_on_a_phone(
    site: Site, phone: BrowserContext, audit: Audit, locale: str, person: str, sub: str
) -> None:
    """Launch, intake, placement, a lesson, a quiz failed then passed, part of the Business
    Model Canvas and its PDF; leave, come back and continue; her progress reaches the
    LMS gradebook with the right value, under her name."""
    ui, shot = UI[locale], f"{locale}-"
    page = audit.watch(phone).new_page()
    page.goto(site.url + "/demo")
    check_accessibility(page, "demo-lms")
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
    check_accessibility(frame, "after-lesson")

    quiz = first_of("quiz", "life-skills")
    visit(frame, site, f"/activities/{quiz.id}", "quiz")
    answer_quiz(frame, quiz, locale, right=False)  # the failed state, then a pass
    expect(frame.get_by_text(ui["failed"])).to_be_visible()
    check_accessibility(frame, "quiz-failed")
    screenshot(frame, shot + "04-quiz-failed")
    pass_quiz(frame, quiz, locale)
    expect(frame.get_by_text(ui["passed"])).to_be_visible()
    check_accessibility(frame, "quiz-result")
    screenshot(frame, shot + "04-quiz-result")

    # The other kinds of page of the course, each checked.
    for kind in ("media", "reflection", "workshop"):
        activity = first_of(kind, "life-skills")
        visit(frame, site, f"/activities/{activity.id}", kind)
        screenshot(frame, shot + f"05-{kind}")
    visit(frame, site, "/courses/life-skills", "course")
    screenshot(frame, shot + "06-course")
    visit(frame, site, "/privacy", "privacy")
    # An error state: a page that does not exist.
    visit(frame, site, "/activities/no-such-activity", "not-found")
    expect(frame.get_by_text(ui["not_found"])).to_be_visible()

    # The Business Model Canvas opens after the life-skills course: the rest of that course is
    # completed quickly here, through the services.
    complete_course(sub, "life-skills")
    canvas = next(
        a for a in catalogue().course_activities("ent-business-idea") if a.kind == "worksheet"
    )
    visit(frame, site, f"/activities/{canvas.id}", "worksheet")
    first_field = canvas.fields[0]
    answer = "Vecinas de mi población que trabajan todo el día"
    frame.get_by_label(first_field.label.get(locale)).fill(answer)
    expect(frame.locator("#saved")).to_have_text(ui["saved"], timeout=5000)  # saved as she types
    screenshot(frame, shot + "07-business-model-canvas")
    # Her worksheet as a PDF, downloaded from inside the LMS frame, with what she wrote under
    # the field's label.
    with page.expect_download() as download:
        frame.get_by_role("button", name=re.compile("Descargar en PDF|Download as PDF")).click()
    words = "\n".join(p.extract_text() for p in PdfReader(str(download.value.path())).pages)
    assert first_field.label.get(locale) in words and answer in " ".join(words.split())

    # She leaves, and comes back another day from the LMS.
    page.goto("about:blank")
    frame = launch(page, site, person)
    expect(frame.get_by_text(ui["continue"])).to_be_visible()
    check_accessibility(frame, "relaunch")
    visit(frame, site, f"/activities/{canvas.id}", "worksheet-again")
    expect(frame.get_by_label(first_field.label.get(locale))).to_have_value(answer)

    # Her progress reached the LMS gradebook: her value, under her name.
    expect_grade(site, sub)

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


def expected_plan_score(sub: str) -> float:
    """What the demo LMS's "Senda" column (a plain link: her whole plan, out of 100) must hold
    for her, counted here from her recorded progress: the whole percent of the steps of her
    courses that count (every activity not optional, required workshops included) that she
    completed, as her plan page reads it."""
    enrolment = db.session.scalar(
        select(Enrolment).join(LtiUser, LtiUser.id == Enrolment.user_id).where(LtiUser.sub == sub)
    )
    assert enrolment is not None
    found = content.latest_catalogue()
    assert found is not None
    activities = [
        found[1].activities[a]
        for course_id in enrolment.course_ids
        for a in found[1].courses[course_id].activity_ids
    ]
    steps = [a.id for a in activities if a.required or not a.optional]
    done = set(
        db.session.scalars(
            select(ActivityProgress.activity_id).where(
                ActivityProgress.enrolment_id == enrolment.id,
                ActivityProgress.completed.is_(True),
            )
        )
    )
    return float(round(100 * len(done & set(steps)) / len(steps)))


def expect_grade(site: Site, sub: str) -> None:
    """The demo gradebook ends up holding her expected value, every score it holds is hers (only
    she worked in this test), and her values never went down."""
    with site.app.app_context():
        expected = expected_plan_score(sub)
    assert 0 < expected < 100  # she did part of her plan: neither nothing nor everything
    scores: list[DemoScore] = []
    for _ in range(75):
        with site.app.app_context():
            scores = list(db.session.scalars(select(DemoScore).order_by(DemoScore.id)))
            db.session.expunge_all()
        if scores and scores[-1].score_given == pytest.approx(expected):
            break
        time.sleep(0.2)
    assert scores, "no score reached the demo gradebook"
    assert {s.user_id for s in scores} == {sub}
    values = [s.score_given or 0.0 for s in scores]
    assert values[-1] == pytest.approx(expected), (values, expected)
    assert values == sorted(values)
    assert all(s.score_maximum == 100 for s in scores)


FACILITATOR_UI = {
    "es": {
        "cohort": "Tu grupo",
        "done": r"\d+% completado",
        "workshop": "Taller",
        "when": "Fecha y hora (Chile)",
        "link": "Enlace de la reunión",
        "schedule": "Programar",
        "attendance": "Guardar asistencia",
        "design": "Diseño de contenidos",
        "preview": "Vista previa",
    },
    "en": {
        "cohort": "Your cohort",
        "done": r"\d+% done",
        "workshop": "Workshop",
        "when": "Date and time (Chile)",
        "link": "Meeting link",
        "schedule": "Schedule",
        "attendance": "Save attendance",
        "design": "Content design",
        "preview": "Preview",
    },
}


def in_language(frame: Frame, locale: str) -> None:
    """Switch the page's language with the button in its header, as a person does."""
    if locale == "en":
        click(frame, frame.get_by_role("button", name="English"))
    expect(frame.locator("html")).to_have_attribute("lang", locale)


@pytest.mark.parametrize("locale", ["es", "en"], ids=["spanish", "english"])
def test_facilitator_and_designer_pages(
    site: Site, phone: BrowserContext, audit: Audit, locale: str
) -> None:
    ui = FACILITATOR_UI[locale]
    page = audit.watch(phone).new_page()
    frame = launch(page, site, "Emily Clarke")
    check_accessibility(frame, "intake")
    goal = next(q for q in catalogue().placement.questions if q.id == "goal")
    answer_intake(frame, dict(goal.options)["job"].en)
    check_accessibility(frame, "plan")
    lesson = first_of("lesson", "life-skills")
    click(frame, frame.get_by_role("link", name=lesson.title.en))
    check_accessibility(frame, "lesson")
    click(frame, frame.get_by_role("button", name="Done, next step"))
    check_accessibility(frame, "after-lesson")

    facilitator = launch(page, site, "Paula Rojas")
    check_accessibility(facilitator, "cohort")
    in_language(facilitator, locale)
    expect(facilitator.get_by_role("heading", level=1)).to_have_text(ui["cohort"])
    expect(facilitator.get_by_role("link", name="Emily Clarke")).to_be_visible()
    check_accessibility(facilitator, "cohort")
    screenshot(facilitator, f"10-facilitator-cohort-{locale}")
    click(facilitator, facilitator.get_by_role("link", name="Emily Clarke"))
    expect(facilitator.get_by_text(re.compile(ui["done"]))).to_be_visible()
    check_accessibility(facilitator, "participant")
    screenshot(facilitator, f"11-facilitator-participant-{locale}")
    visit(facilitator, site, "/cohort/workshops", "workshops")
    workshop = first_of("workshop", "life-skills")
    facilitator.get_by_label(ui["workshop"], exact=True).select_option(workshop.id)
    # Given an hour ago: attendance is taken once a session has started.
    given = datetime.now(ZoneInfo("America/Santiago")) - timedelta(hours=1)
    facilitator.get_by_label(ui["when"]).fill(given.strftime("%Y-%m-%dT%H:%M"))
    facilitator.get_by_label(ui["link"], exact=True).fill("https://meet.example.org/senda")
    click(facilitator, facilitator.get_by_role("button", name=ui["schedule"], exact=True))
    check_accessibility(facilitator, "workshop-scheduled")
    screenshot(facilitator, f"12-facilitator-workshops-{locale}")
    click(facilitator, facilitator.locator("ul.steps a").first)
    check_accessibility(facilitator, "attendance")
    facilitator.get_by_label("Emily Clarke").check()
    click(facilitator, facilitator.get_by_role("button", name=ui["attendance"]))
    check_accessibility(facilitator, "attendance-saved")
    with site.app.app_context():
        attended = db.session.scalar(
            select(ActivityProgress.completed).where(ActivityProgress.activity_id == workshop.id)
        )
    assert attended
    visit(facilitator, site, "/cohort/grades", "grades")
    screenshot(facilitator, f"13-facilitator-grades-{locale}")

    designer = launch(page, site, "Daniela Muñoz")
    check_accessibility(designer, "design")
    in_language(designer, locale)
    expect(designer.get_by_role("heading", level=1)).to_have_text(ui["design"])
    check_accessibility(designer, "design")
    visit(designer, site, "/design/courses/ent-business-idea", "design-course")
    canvas = next(a for a in catalogue().activities.values() if a.kind == "worksheet")
    visit(designer, site, f"/design/activities/{canvas.id}", "preview")
    expect(designer.get_by_text(ui["preview"]).first).to_be_visible()
    screenshot(designer, f"14-designer-preview-{locale}")
    visit(designer, site, "/design/checks", "checks")


def test_keyboard_only(site: Site, phone: BrowserContext, audit: Audit) -> None:
    """Tab and Enter only, as a person without a mouse: no element is focused by the test."""
    audit.watch(phone)
    frame = launch(phone.new_page(), site, "Yasna Joseph")
    check_accessibility(frame, "intake-in-frame")
    page = phone.new_page()  # the same session, as a page of its own, to own the keyboard
    page.goto(frame.url)
    check_accessibility(page, "intake")
    # The skip link is the first stop, and it moves to the content.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Saltar al contenido")
    page.keyboard.press("Enter")
    expect(page.locator(":focus")).to_have_id("main")
    # Reach the first answer with Tab alone, choose it with the arrow keys, submit with Enter.
    tab_to(page, page.get_by_role("radio").first)
    page.keyboard.press("ArrowDown")  # radios: arrows move and select
    expect(page.get_by_role("radio", name="Encontrar un trabajo con contrato")).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Ver mi ruta"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Empleabilidad · Básico")).to_be_visible()
    check_accessibility(page, "plan")
    lesson = first_of("lesson", "life-skills")
    tab_to(page, page.get_by_role("link", name=lesson.title.es).first)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_accessibility(page, "lesson")
    tab_to(page, page.get_by_role("button", name="Listo, siguiente paso"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_accessibility(page, "after-lesson")
    with site.app.app_context():
        done = db.session.scalar(
            select(ActivityProgress.completed).where(ActivityProgress.activity_id == lesson.id)
        )
    assert done is True


def test_reading_and_quizzes_work_without_javascript(
    site: Site, browser: Browser, audit: Audit
) -> None:
    """Without JavaScript: the launch (the LMS's forms show a button), the intake, a lesson and
    a quiz — failed, then passed — each page checked with axe, and her progress recorded."""
    audit.javascript = False
    context = audit.watch(context_without_javascript(browser, viewport=PHONE, locale="es-CL"))
    page = context.new_page()
    # Without JavaScript the demo LMS's auto-posting forms show a Continue button.
    page.goto(site.url + "/demo/launch?person=u-rosa")
    check_accessibility(page, "demo-autopost")
    page.get_by_role("button", name=re.compile("Continuar")).click()
    page.wait_for_load_state()
    for _ in range(3):  # each auto-posting step of the launch, by hand
        if "/intake" in page.url:
            break
        check_accessibility(page, "launch-step")
        page.get_by_role("button", name=re.compile("Continuar|Continue")).click()
        page.wait_for_load_state()
    assert "/intake" in page.url, page.url
    check_accessibility(page, "intake")
    page.get_by_role("radio", name="Encontrar un trabajo con contrato").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Ver mi ruta").click()
    check_accessibility(page, "plan")
    lesson = first_of("lesson", "life-skills")
    page.goto(site.url + f"/activities/{lesson.id}")
    expect(page.locator(".prose")).to_be_visible()
    check_accessibility(page, "lesson")
    with page.expect_navigation():
        page.get_by_role("button", name="Listo, siguiente paso").click()
    check_accessibility(page, "after-lesson")
    quiz = first_of("quiz", "life-skills")
    page.goto(site.url + f"/activities/{quiz.id}")
    check_accessibility(page, "quiz")
    answer_quiz(page.main_frame, quiz, "es", right=False)
    expect(page.get_by_text(UI["es"]["failed"])).to_be_visible()
    check_accessibility(page, "quiz-failed")
    pass_quiz(page.main_frame, quiz, "es")
    expect(page.get_by_text("¡Muy bien! Aprobaste esta prueba.")).to_be_visible()
    check_accessibility(page, "quiz-passed")
    with site.app.app_context():
        recorded = {
            row.activity_id: row
            for row in db.session.scalars(
                select(ActivityProgress)
                .join(Enrolment, Enrolment.id == ActivityProgress.enrolment_id)
                .join(LtiUser, LtiUser.id == Enrolment.user_id)
                .where(LtiUser.sub == "u-rosa")
            )
        }
        assert recorded[lesson.id].completed
        assert recorded[quiz.id].completed and recorded[quiz.id].attempts == 2
    context.close()


@pytest.fixture
def two_sites(app: Flask, imported: int, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Senda and the demo LMS on two sites: Senda is a third party in the LMS's iframe, and the
    browser keeps none of its cookies there."""
    tool_url = f"http://127.0.0.1:{free_port()}"
    lms_url = f"http://localhost:{free_port()}"
    with separate_lms(app, tmp_path, tool_url, lms_url):
        yield tool_url, lms_url


COOKIELESS = [("Carmen Soto", "Abrir Senda en una ventana nueva", "Hola, Carmen")]
COOKIELESS += [("Emily Clarke", "Open Senda in a new window", "Hello, Emily")]


@pytest.mark.parametrize(("person", "button", "hello"), COOKIELESS, ids=["spanish", "english"])
@pytest.mark.parametrize("settings_overrides", [{}])  # the small test programme, no demo here
def test_cookie_blocked_launch_pages_pass_axe(
    browser: Browser,
    two_sites: tuple[str, str],
    settings_overrides: dict[str, Any],
    person: str,
    button: str,
    hello: str,
) -> None:
    """The pages of a launch whose cookies are blocked — the offer of a new window, and where
    it leads — in both languages."""
    tool_url, lms_url = two_sites
    context = browser.new_context(viewport=PHONE)
    with auditing(tool_url) as audit:
        audit.watch(context)
        page = context.new_page()
        page.goto(lms_url + "/demo")
        page.locator(".activity").first.get_by_role("link", name=person).click()
        frame = page.frame(name="senda-frame")
        assert frame is not None
        offer = frame.get_by_role("button", name=button)
        expect(offer).to_be_visible(timeout=15000)
        check_accessibility(frame, "cookie-blocked")
        with context.expect_page() as opened:
            offer.click()
        window: Page = opened.value
        window.wait_for_load_state()
        expect(window.get_by_role("heading", level=1)).to_have_text(hello)
        check_accessibility(window, "new-window-intake")
    context.close()
