"""Senda inside the LMS, on a 360-px phone, in Spanish and English (issue #13, items 4-7).

The demo LMS embeds Senda in an iframe, as Moodle and Canvas do: Senda asks it to resize the
frame, nothing scrolls sideways, live workshops open in a new window and come with a calendar
file, worksheets download as a PDF with her answers, lessons can be listened to with the phone's
own voice, and quiz options change order from one attempt to the next. Every page visited is
checked with axe-core; the main actions are done with the keyboard."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from courses.model import Activity, Catalogue
from lti_tool.models import Enrolment, LtiUser, db
from lti_tool.services import content
from tests.e2e.conftest import PHONE, Site, check_accessibility, launch, screenshot
from tests.support.journey import complete_course

PEOPLE = [("es", "Carmen Soto", "u-carmen"), ("en", "Emily Clarke", "u-emily")]
ECOMMERCE = ("ent-selling-online", "ent-ecommerce-growth")
PATHWAY_COURSES = (
    "life-skills", "ent-business-idea", "ent-selling-online", "ent-formalisation",
    "ent-business-plan", "ent-ecommerce-growth", "ent-formal-business", "emp-diagnosis",
    "emp-workshops", "emp-enablement", "emp-job-entry", "emp-career-growth",
)  # fmt: skip
UI = {
    "es": {
        "see-plan": "Ver mi ruta",
        "listen": "Escuchar",
        "stop": "Dejar de leer",
        "pdf": "Descargar en PDF",
        "check": "Revisar mis respuestas",
        "again": "Intentar de nuevo",
        "not-quite": "No del todo:",
        "right-answer": "La respuesta correcta:",
        "passed": "¡Muy bien! Aprobaste esta prueba.",
        "join": "Entrar",
        "calendar": "Agregar a mi calendario (archivo .ics)",
        "reminder": "Recordatorio: tu taller en vivo",
    },
    "en": {
        "see-plan": "See my pathway",
        "listen": "Listen",
        "stop": "Stop reading",
        "pdf": "Download as PDF",
        "check": "Check my answers",
        "again": "Try again",
        "not-quite": "Not quite:",
        "right-answer": "The right answer:",
        "passed": "Well done! You passed this check.",
        "join": "Join",
        "calendar": "Add to my calendar (.ics file)",
        "reminder": "Reminder: your live workshop",
    },
}

# The parent page (the demo LMS) records every frame-resize message it receives.
RECORD_RESIZES = """
if (window === window.top) {
  window.__resizes = [];
  window.addEventListener("message", function (event) {
    if (event.data && event.data.subject === "lti.frameResize") {
      window.__resizes.push(event.data.height);
    }
  });
}
"""
# The phone's speech, replaced by a recorder: what would be said, in which language.
STUB_SPEECH = """
window.__spoken = [];
window.__cancelled = 0;
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  speak: function (u) { window.__spoken.push({ text: u.text, lang: u.lang }); },
  cancel: function () { window.__cancelled += 1; },
  getVoices: function () { return []; },
}});
"""


def catalogue() -> Catalogue:
    found = content.latest_catalogue()
    assert found is not None
    return found[1]


def first_of(kind: str, course_id: str) -> Activity:
    return next(a for a in catalogue().course_activities(course_id) if a.kind == kind)


def enrolled(site: Site, page: Page, person: str, sub: str, courses: tuple[str, ...]) -> Frame:
    """She launches and answers the intake; her plan is then set to `courses` (the pages of
    other courses are reached the same way)."""
    frame = launch(page, site, person)
    frame.locator("input[name=goal]").first.check()
    with frame.expect_navigation():
        frame.locator("form button[type=submit]").last.click()
    with site.app.app_context():
        enrolment = her_enrolment(sub)
        enrolment.pathway_id = "entrepreneurship"
        enrolment.course_ids = list(courses)
        db.session.commit()
    return frame


def her_enrolment(sub: str) -> Enrolment:
    enrolment = db.session.scalar(
        select(Enrolment).join(LtiUser, LtiUser.id == Enrolment.user_id).where(LtiUser.sub == sub)
    )
    assert enrolment is not None
    return enrolment


def open_in(frame: Frame, site: Site, path: str, name: str) -> None:
    frame.goto(site.url + path)
    frame.wait_for_load_state()
    check_accessibility(frame, name)


def no_sideways_scroll(frame: Frame, name: str) -> None:
    widths = frame.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{name} scrolls sideways: {widths}"


def keyboard_page(context: BrowserContext, frame: Frame) -> Page:
    """The same page on its own, so that the keyboard drives it alone."""
    page = context.new_page()
    page.goto(frame.url)
    return page


def tab_to(page: Page, text: str, limit: int = 80) -> None:
    """Press Tab until the focused element shows `text`."""
    script = """t => {
        const el = document.activeElement;
        return !!el && [el.innerText, el.value, el.getAttribute('aria-label')]
            .some(v => (v || '').includes(t));
    }"""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(script, text):
            return
    raise AssertionError(f"could not reach {text!r} with the keyboard")


def option_order(frame: Frame | Page, quiz: Activity) -> list[list[str]]:
    return [
        frame.eval_on_selector_all(f"input[name='{q.id}']", "els => els.map(e => e.value)")
        for q in quiz.questions
    ]


def pdf_text(path: Path) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


# =========================================================================== fits the LMS
@pytest.mark.parametrize(("locale", "person", "sub"), PEOPLE, ids=["spanish", "english"])
def test_senda_fits_the_lms_frame_and_never_scrolls_sideways(
    site: Site, phone: BrowserContext, locale: str, person: str, sub: str
) -> None:
    phone.add_init_script(RECORD_RESIZES)
    page = phone.new_page()
    frame = enrolled(site, page, person, sub, ECOMMERCE)
    if locale == "en":
        assert frame.evaluate("document.documentElement.lang") == "en"

    # Each page asks the LMS for a frame as tall as itself; the demo LMS, like Canvas, obeys.
    open_in(frame, site, "/plan", "plan")
    page.wait_for_function("window.__resizes.length > 0")
    wanted = frame.evaluate("document.documentElement.scrollHeight")
    page.wait_for_function(
        "h => document.getElementById('senda-frame').getBoundingClientRect().height >= h",
        arg=wanted,
    )
    assert wanted in page.evaluate("window.__resizes")

    # Every step of the two e-commerce courses of the real curriculum, at 360 px.
    for course_id in ECOMMERCE:
        open_in(frame, site, f"/courses/{course_id}", course_id)
        no_sideways_scroll(frame, course_id)
        for activity in catalogue().course_activities(course_id):
            open_in(frame, site, f"/activities/{activity.id}", activity.id)
            expect(frame.get_by_role("heading", level=1)).to_have_text(activity.title.get(locale))
            expect(frame.locator("#activity-text")).to_be_visible()  # open, not locked
            no_sideways_scroll(frame, activity.id)
    screenshot(frame, f"{locale}-20-ecommerce-step")

    # A table wider than the phone scrolls inside its own box, which the keyboard can reach.
    frame.evaluate(
        """() => {
        const cells = Array.from({length: 8}, (_, i) => `<td>Columna número ${i + 1}</td>`);
        document.getElementById('activity-text').insertAdjacentHTML('beforeend',
            `<table id="wide"><tr>${cells.join('')}</tr></table>`);
        window.dispatchEvent(new Event('resize'));
    }"""
    )
    no_sideways_scroll(frame, "a wide table")
    wide = (
        "() => { const t = document.getElementById('wide'); return t.scrollWidth > t.clientWidth; }"
    )
    assert frame.evaluate(wide)
    expect(frame.locator("#wide")).to_have_attribute("tabindex", "0")

    # And every step of every course of both pathways (a long web address in a formalisation
    # lesson used to push the page sideways).
    if locale == "es":
        for course_id in PATHWAY_COURSES:
            with site.app.app_context():
                enrolment = her_enrolment(sub)
                enrolment.course_ids = [course_id]  # open: its prerequisites are not in it
                db.session.commit()
            for activity in catalogue().course_activities(course_id):
                if course_id not in ECOMMERCE:  # those were just checked
                    open_in(frame, site, f"/activities/{activity.id}", activity.id)
                    no_sideways_scroll(frame, activity.id)


@pytest.mark.parametrize(("locale", "person", "sub"), PEOPLE, ids=["spanish", "english"])
def test_her_worksheet_downloads_as_a_pdf_with_her_answers(
    site: Site, phone: BrowserContext, locale: str, person: str, sub: str, tmp_path: Path
) -> None:
    ui = UI[locale]
    page = phone.new_page()
    frame = enrolled(site, page, person, sub, ("life-skills", "ent-business-idea"))
    with site.app.app_context():
        complete_course(sub, "life-skills")
    canvas = first_of("worksheet", "ent-business-idea")
    open_in(frame, site, f"/activities/{canvas.id}", "worksheet")
    # With the keyboard alone: type an answer, then reach the PDF button and press it.
    alone = keyboard_page(phone, frame)
    answer = "Vecinas de mi población que trabajan todo el día"
    alone.get_by_label(canvas.fields[0].label.get(locale)).fill(answer)
    tab_to(alone, ui["pdf"])
    with alone.expect_download() as download:
        alone.keyboard.press("Enter")
    saved = tmp_path / "worksheet.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"senda-{canvas.id}-{locale}.pdf"
    words = pdf_text(saved)
    assert answer in " ".join(words.split())
    assert canvas.title.get(locale) in words and canvas.fields[1].label.get(locale) in words
    # Inside the LMS frame too: a download (not a print of the LMS page), with what she typed
    # a moment ago, which is saved as well.
    frame.goto(frame.url)
    expect(frame.get_by_label(canvas.fields[0].label.get(locale))).to_have_value(answer)
    later = "Almuerzos caseros para el turno de noche"
    frame.get_by_label(canvas.fields[1].label.get(locale)).fill(later)
    with page.expect_download() as download:
        frame.get_by_role("button", name=ui["pdf"]).click()
    download.value.save_as(saved)
    words = " ".join(pdf_text(saved).split())
    assert answer in words and later in words
    frame.goto(frame.url)
    expect(frame.get_by_label(canvas.fields[1].label.get(locale))).to_have_value(later)


# ========================================================================== reading help
@pytest.mark.parametrize(("locale", "person", "sub"), PEOPLE, ids=["spanish", "english"])
def test_listen_reads_the_lesson_with_the_phones_voice(
    site: Site, phone: BrowserContext, browser: Browser, locale: str, person: str, sub: str
) -> None:
    ui = UI[locale]
    phone.add_init_script(STUB_SPEECH)
    page = phone.new_page()
    frame = enrolled(site, page, person, sub, ("life-skills",))
    lesson = first_of("lesson", "life-skills")
    open_in(frame, site, f"/activities/{lesson.id}", "lesson with Listen")
    alone = keyboard_page(phone, frame)
    tab_to(alone, ui["listen"])
    alone.keyboard.press("Enter")
    spoken = alone.evaluate("window.__spoken")
    assert spoken, "nothing was given to speechSynthesis"
    assert {s["lang"] for s in spoken} == {"es-CL" if locale == "es" else "en-US"}
    heading = alone.locator("#activity-text h2").first.inner_text()
    assert spoken[0]["text"] == heading
    expect(alone.locator("#listen")).to_have_text(ui["stop"])
    alone.keyboard.press("Enter")  # stop
    assert alone.evaluate("window.__cancelled") >= 2
    expect(alone.locator("#listen")).to_have_text(ui["listen"])

    # Without JavaScript (or without speech) there is no button that does nothing.
    quiet = browser.new_context(viewport=PHONE, java_script_enabled=False)
    quiet.add_cookies(phone.cookies())
    bare = quiet.new_page()
    bare.goto(frame.url)
    expect(bare.get_by_role("heading", level=1)).to_have_text(lesson.title.get(locale))
    expect(bare.get_by_role("button", name=ui["listen"])).to_be_hidden()
    quiet.close()


# ======================================================================== quizzes that teach
@pytest.mark.parametrize(("locale", "person", "sub"), PEOPLE, ids=["spanish", "english"])
def test_quiz_options_change_order_between_attempts_and_explain(
    site: Site, phone: BrowserContext, locale: str, person: str, sub: str
) -> None:
    ui = UI[locale]
    page = phone.new_page()
    frame = enrolled(site, page, person, sub, ("life-skills",))
    quiz = first_of("quiz", "life-skills")
    open_in(frame, site, f"/activities/{quiz.id}", "quiz")
    first = option_order(frame, quiz)
    frame.goto(frame.url)  # a refresh shows the same order
    assert option_order(frame, quiz) == first

    # A wrong answer to every question: each chosen option's comment, and a new try.
    for question in quiz.questions:
        wrong = next(o for o in question.options if not o.correct)
        frame.locator(f"input[name='{question.id}'][value='{wrong.id}']").check()
    with frame.expect_navigation():
        frame.get_by_role("button", name=ui["check"]).click()
    check_accessibility(frame, "quiz, failed")
    assert option_order(frame, quiz) == first
    expect(frame.get_by_text(ui["not-quite"]).first).to_be_visible()
    with frame.expect_navigation():
        frame.get_by_role("link", name=ui["again"]).click()
    check_accessibility(frame, "quiz, second attempt")
    second = option_order(frame, quiz)
    assert second != first
    assert [sorted(q) for q in second] == [sorted(q) for q in first]

    # She passes with one question wrong: the right option's comment shows for that one.
    missed = quiz.questions[-1]
    for question in quiz.questions:
        chosen = next(o for o in question.options if o.correct is (question is not missed))
        frame.locator(f"input[name='{question.id}'][value='{chosen.id}']").check()
    with frame.expect_navigation():
        frame.get_by_role("button", name=ui["check"]).click()
    check_accessibility(frame, "quiz, passed")
    expect(frame.get_by_text(ui["passed"])).to_be_visible()
    right = next(o for o in missed.options if o.correct)
    expect(frame.get_by_text(f"{ui['right-answer']} {right.feedback.get(locale)}")).to_be_visible()
    screenshot(frame, f"{locale}-21-quiz-passed")


# ============================================================================ live workshops
MEETING = "https://meet.example.org/senda-taller"
CHILE = ZoneInfo("America/Santiago")


@pytest.mark.parametrize(("locale", "person", "sub"), PEOPLE, ids=["spanish", "english"])
def test_live_workshop_opens_in_a_new_window_with_a_reminder_and_a_calendar_file(
    site: Site, phone: BrowserContext, locale: str, person: str, sub: str, tmp_path: Path
) -> None:
    ui = UI[locale]
    # The meeting site, answered here (no network): it would refuse to load inside a frame.
    phone.route(MEETING, lambda route: route.fulfill(body="<title>Meet</title>Reunión"))
    page = phone.new_page()
    enrolled(site, page, person, sub, ("life-skills",))
    workshop = first_of("workshop", "life-skills")

    # Her facilitator schedules a session for tomorrow evening (Chile's time).
    staff = launch(page, site, "Paula Rojas")
    open_in(staff, site, "/cohort/workshops", "workshops")
    starts = (datetime.now(CHILE) + timedelta(days=1)).replace(
        hour=18, minute=30, second=0, microsecond=0
    )
    staff.get_by_label("Taller").select_option(workshop.id)
    staff.get_by_label("Fecha y hora (Chile)").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    staff.get_by_label("Enlace de la reunión").fill(MEETING)
    with staff.expect_navigation():
        staff.get_by_role("button", name="Programar").click()
    with staff.expect_navigation():
        staff.get_by_role("link", name=re.compile("^Cambiar o cancelar")).first.click()
    check_accessibility(staff, "change a session")
    with staff.expect_navigation():
        staff.get_by_role("link", name="Talleres").first.click()
    with staff.expect_navigation():
        staff.get_by_role("link", name=workshop.title.es).first.click()
    check_accessibility(staff, "attendance before the session")
    expect(
        staff.get_by_text("Podrás tomar la asistencia cuando la sesión haya empezado")
    ).to_be_visible()
    expect(staff.get_by_role("button", name="Guardar asistencia")).to_have_count(0)

    # Her plan reminds her, with "Join" as a large button that opens a new window.
    frame = launch(page, site, person)
    open_in(frame, site, "/plan", "plan with a workshop reminder")
    expect(frame.get_by_role("heading", name=ui["reminder"])).to_be_visible()
    join = frame.get_by_role("link", name=re.compile("^" + ui["join"])).first
    expect(join).to_have_attribute("target", "_blank")
    expect(join).to_have_attribute("rel", re.compile("noopener"))
    box = join.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44  # a large tap target
    with page.expect_popup() as popup:
        join.click()
    assert popup.value.url == MEETING
    popup.value.close()
    screenshot(frame, f"{locale}-22-plan-workshop-reminder")

    # With the keyboard alone, on the workshop's page: Join, then the calendar file.
    open_in(frame, site, f"/activities/{workshop.id}", "workshop")
    alone = keyboard_page(phone, frame)
    tab_to(alone, ui["join"])
    with alone.expect_popup() as popup:
        alone.keyboard.press("Enter")
    assert popup.value.url == MEETING
    popup.value.close()
    tab_to(alone, ui["calendar"])
    with alone.expect_download() as download:
        alone.keyboard.press("Enter")
    saved = tmp_path / "workshop.ics"
    download.value.save_as(saved)
    event = next(iter(Calendar.from_ical(saved.read_bytes()).walk("VEVENT")))
    assert event.decoded("dtstart") == starts
    assert str(event.decoded("dtstart").tzinfo) == "America/Santiago"
    assert workshop.title.get(locale) in str(event.get("summary"))
    assert str(event.get("url")) == MEETING
