"""Mentoring and the Leadership School in a real browser, through the demo LMS, on a 360-px
phone, with the keyboard alone, in Spanish and in English: a participant signs up for a session
and downloads its calendar file; the mentor (Lucía, the demo's mentor) takes attendance; as a
Leadership School mentor she reads her mentee's homework and writes a note the mentee reads.
Every page is checked with axe-core (WCAG 2.2 AA), the participant pages are weighed, and the
sign-up also works without JavaScript."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, expect
from sqlalchemy import select, update

from courses.schools import CHILE
from lti_tool.actor import Actor, Role
from lti_tool.demo.people import COURSE_ID
from lti_tool.models import (
    Enrolment,
    LmsContext,
    LtiUser,
    MentoringSession,
    MentoringSignUp,
    SchoolMember,
    db,
    utcnow,
)
from lti_tool.services import learning, mentoring, schools
from tests.e2e.conftest import (
    PAGE_BUDGET_BYTES,
    Site,
    check_accessibility,
    launch,
    measure_weight,
    screenshot,
)
from tests.factories import actor_of
from tests.support.journey import complete_course

INTAKE = {"goal": ["own-business"], "has-business": ["no"]}
PEOPLE = [("es", "Carmen Soto", "u-carmen"), ("en", "Emily Clarke", "u-emily")]
UI = {
    "es": {
        "nav": "Mentorías",
        "sign_up": "Inscribirme",
        "booked": "Tienes un cupo.",
        "calendar": "Agregar a mi calendario (archivo .ics)",
        "reminder": "Recordatorio: tu sesión de mentoría",
        "save_attendance": "Guardar asistencia",
        "saved_attendance": "Asistencia guardada: vino 1 mujer.",
        "note": "Nota privada (solo la leen tú y el equipo del programa)",
        "homework": "Tareas",
        "new_note": "Nueva nota",
        "save_note": "Guardar la nota",
        "notes": "Notas de tu mentora",
        "go_school": "Ir a mi escuela",
        "language": "English",
    },
    "en": {
        "nav": "Mentoring",
        "sign_up": "Sign up",
        "booked": "You have a place.",
        "calendar": "Add to my calendar (.ics file)",
        "reminder": "Reminder: your mentoring session",
        "save_attendance": "Save attendance",
        "saved_attendance": "Attendance saved: 1 woman came.",
        "note": "Private note (only you and the programme team read it)",
        "homework": "Homework",
        "new_note": "New note",
        "save_note": "Save the note",
        "notes": "Notes from your mentor",
        "go_school": "Go to my school",
        "language": "Español",
    },
}


# ---------------------------------------------------------------------------- set-up helpers
def person(sub: str) -> LtiUser:
    found = db.session.scalar(select(LtiUser).where(LtiUser.sub == sub))
    assert found is not None, sub
    return found


def actor(sub: str, role: Role = Role.PARTICIPANT) -> Actor:
    course = db.session.scalar(select(LmsContext).where(LmsContext.context_id == COURSE_ID))
    assert course is not None
    return actor_of(person(sub), course, role)


def graduate(site: Site, sub: str) -> None:
    """She answered the intake; her whole pathway is completed quickly, through the services."""
    with site.app.app_context():
        if db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == person(sub).id)):
            enrolment = db.session.scalar(
                select(Enrolment).where(Enrolment.user_id == person(sub).id)
            )
        else:
            enrolment = learning.enrol(actor(sub), INTAKE, None, None)
        assert enrolment is not None
        for course_id in list(enrolment.course_ids):
            complete_course(sub, course_id)


def demo_session(site: Site, topic: str = "ecommerce") -> int:
    """One of the demo mentor's two upcoming sessions (made by `flask demo register`)."""
    with site.app.app_context():
        found = db.session.scalar(
            select(MentoringSession.id)
            .where(MentoringSession.topic_id == topic)
            .order_by(MentoringSession.id)
        )
        assert found is not None
        return int(found)


def keyboard_page(context: BrowserContext, frame: Frame) -> Page:
    """The same session as a page of its own, so the keyboard drives it alone."""
    page = context.new_page()
    page.goto(frame.url)
    return page


def tab_to(page: Page, text: str, limit: int = 60) -> None:
    """Press Tab until the focused element shows `text` (a link, a button or a label's
    control)."""
    script = """t => {
        const el = document.activeElement;
        if (!el) return false;
        const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
        const field = el.tagName === 'SELECT' || el.tagName === 'TEXTAREA';
        const own = field ? [] : [el.innerText, el.value];
        return [...own, label, el.getAttribute('aria-label')].some(v => (v || '').includes(t));
    }"""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(script, text):
            return
    raise AssertionError(f"could not reach {text!r} with the keyboard")


def press_enter(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def switch_language(page: Page, locale: str) -> None:
    if locale == "en":
        tab_to(page, UI["es"]["language"])
        press_enter(page)


# ======================================================================= the participant
@pytest.mark.parametrize(("locale", "name", "sub"), PEOPLE, ids=["spanish", "english"])
def test_participant_signs_up_and_downloads_the_calendar_file(
    site: Site, phone: BrowserContext, locale: str, name: str, sub: str, tmp_path: Path
) -> None:
    ui = UI[locale]
    frame = launch(phone.new_page(), site, name)
    graduate(site, sub)
    page = keyboard_page(phone, frame)
    page.goto(site.url + "/plan")
    check_accessibility(page.main_frame, "plan-after-training")
    # With the keyboard alone: the menu, a session, the sign-up, the calendar file.
    tab_to(page, ui["nav"])
    press_enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(ui["nav"])
    check_accessibility(page.main_frame, "mentoring-board")
    screenshot(page, f"{locale}-20-mentoring-board")
    session_id = demo_session(site)
    tab_to(page, "Vender por internet" if locale == "es" else "Selling online")
    press_enter(page)
    assert page.url.endswith(f"/mentoring/sessions/{session_id}")
    check_accessibility(page.main_frame, "mentoring-session")
    tab_to(page, ui["sign_up"])
    press_enter(page)
    expect(page.get_by_text(ui["booked"], exact=True)).to_be_visible()
    check_accessibility(page.main_frame, "mentoring-session-booked")
    screenshot(page, f"{locale}-21-mentoring-session-booked")
    # The meeting link opens in a new window, never in the LMS frame.
    link = page.get_by_role("link", name=re.compile("Entrar a la sesión|Join the session"))
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    tab_to(page, ui["calendar"])
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    saved = tmp_path / "session.ics"
    download.value.save_as(saved)
    ics = saved.read_text(encoding="utf-8")
    assert "BEGIN:VTIMEZONE" in ics and "TZID:America/Santiago" in ics
    assert "DTSTART;TZID=America/Santiago:" in ics
    with site.app.app_context():
        starts = db.session.get(MentoringSession, session_id).starts_at  # type: ignore[union-attr]
    assert f"DTSTART;TZID=America/Santiago:{starts.astimezone(CHILE):%Y%m%dT%H%M%S}" in ics
    # Her plan reminds her of it on her next launch (the session is in the next days).
    frame = launch(phone.new_page(), site, name)
    expect(frame.get_by_text(ui["reminder"])).to_be_visible()
    check_accessibility(frame, "plan-reminder")
    screenshot(frame, f"{locale}-22-plan-reminder")
    for path, label in (
        ("/mentoring", "mentoring-board"),
        (f"/mentoring/sessions/{session_id}", "mentoring-session"),
        ("/plan", "plan-with-mentoring"),
    ):
        weight = measure_weight(phone.new_page(), site, path, f"{locale}-{label}")
        assert weight <= PAGE_BUDGET_BYTES, (label, weight)


def test_signing_up_and_cancelling_work_without_javascript(site: Site, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 780}, java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url + "/demo/launch?person=u-rosa")
    page.get_by_role("button", name=re.compile("Continuar")).click()
    page.wait_for_load_state()
    graduate(site, "u-rosa")
    session_id = demo_session(site, "financing")
    page.goto(site.url + f"/mentoring/sessions/{session_id}")
    page.get_by_role("button", name="Inscribirme").click()
    expect(page.get_by_text("Tienes un cupo.", exact=True)).to_be_visible()
    page.get_by_label("No puedo ir: dar mi cupo a otra mujer.").check()
    page.get_by_role("button", name="Cancelar mi inscripción").click()
    expect(page.get_by_role("button", name="Inscribirme")).to_be_visible()
    with site.app.app_context():
        row = db.session.scalar(select(MentoringSignUp))
        assert row is not None and row.cancelled_at is not None
    context.close()


# ============================================================================ the mentor
@pytest.mark.parametrize("locale", ["es", "en"], ids=["spanish", "english"])
def test_mentor_takes_attendance(site: Site, phone: BrowserContext, locale: str) -> None:
    ui = UI[locale]
    frame = launch(phone.new_page(), site, "Carmen Soto")
    graduate(site, "u-carmen")
    session_id = demo_session(site)
    with site.app.app_context():
        mentoring.sign_up(actor("u-carmen"), session_id)
        db.session.execute(
            update(MentoringSession)
            .where(MentoringSession.id == session_id)
            .values(starts_at=utcnow() - timedelta(minutes=30))
        )
        db.session.commit()
    frame = launch(phone.new_page(), site, "Lucía Fernández")
    page = keyboard_page(phone, frame)
    switch_language(page, locale)
    expect(page.get_by_role("heading", level=1)).to_have_text(ui["nav"])
    check_accessibility(page.main_frame, "mentor-home")
    screenshot(page, f"{locale}-30-mentor-home")
    tab_to(page, "Vender por internet" if locale == "es" else "Selling online")
    press_enter(page)
    check_accessibility(page.main_frame, "mentor-session")
    tab_to(page, "Carmen Soto")
    page.keyboard.press("Space")
    expect(page.get_by_label("Carmen Soto")).to_be_checked()
    tab_to(page, ui["note"])
    page.keyboard.type("Buen grupo, preguntaron mucho por los envíos.")
    tab_to(page, ui["save_attendance"])
    press_enter(page)
    expect(page.get_by_text(ui["saved_attendance"])).to_be_visible()
    check_accessibility(page.main_frame, "mentor-session-held")
    screenshot(page, f"{locale}-31-mentor-attendance")
    with site.app.app_context():
        row = db.session.scalar(select(MentoringSignUp))
        assert row is not None and row.attended is True
        assert db.session.get(MentoringSession, session_id).status == "held"  # type: ignore[union-attr]
    # Her other pages, each checked.
    for path, label in (
        ("/mentor/profile", "mentor-profile"),
        ("/mentor/sessions/new", "mentor-offer"),
    ):
        page.goto(site.url + path)
        check_accessibility(page.main_frame, label)


@pytest.mark.parametrize("locale", ["es", "en"], ids=["spanish", "english"])
def test_leadership_school_mentor_reads_her_mentee_homework(
    site: Site, phone: BrowserContext, locale: str
) -> None:
    ui = UI[locale]
    launch(phone.new_page(), site, "Ana Pérez")  # the programme team
    frame = launch(phone.new_page(), site, "Carmen Soto")
    graduate(site, "u-carmen")
    launch(phone.new_page(), site, "Lucía Fernández")
    answer = "Organicé la olla común de mi población en 2020."
    with site.app.app_context():
        team = actor("u-ana", Role.FACILITATOR)
        carmen = actor("u-carmen")
        today = datetime.now(CHILE).date()
        cohort = schools.create_cohort(team, "leadership-school", "Araucanía 2027", today)
        schools.invite(team, cohort, [carmen.user_id])
        member = db.session.scalar(select(SchoolMember.id))
        assert member is not None
        schools.assign_mentor(team, member, person("u-lucia").id)
    # Carmen accepts on her plan, with the keyboard, and writes her first homework.
    frame = launch(phone.new_page(), site, "Carmen Soto")
    page = keyboard_page(phone, frame)
    switch_language(page, locale)
    check_accessibility(page.main_frame, "plan-invitation")
    tab_to(page, "Sí, voy a participar" if locale == "es" else "Yes, I will take part")
    press_enter(page)
    page.goto(site.url + "/school/leadership-school")
    check_accessibility(page.main_frame, "school")
    screenshot(page, f"{locale}-40-leadership-school")
    for activity in ("lds-welcome", "lds-self-live", "lds-voice"):  # a lesson, a live workshop,
        page.goto(site.url + f"/school/leadership-school/activities/{activity}")  # a closed week
        check_accessibility(page.main_frame, f"school-{activity}")
    page.goto(site.url + "/school/leadership-school/activities/lds-self-homework")
    check_accessibility(page.main_frame, "school-homework")
    with site.app.app_context():
        homework = schools.work_on(carmen, "leadership-school", "lds-self-homework")[1]
    first = homework.fields[0].label.get(locale)
    page.get_by_label(first).focus()
    page.keyboard.type(answer)
    # It saves as she types, a second after she stops, and says so (the plan's autosave).
    expect(page.locator("#saved")).to_have_text("Guardado" if locale == "es" else "Saved")
    tab_to(page, "Guardar" if locale == "es" else "Save")
    press_enter(page)
    # Lucía, her mentor, reads it and writes a note.
    frame = launch(phone.new_page(), site, "Lucía Fernández")
    page = keyboard_page(phone, frame)
    switch_language(page, locale)
    tab_to(page, "Carmen Soto")
    press_enter(page)
    expect(page.get_by_role("heading", name=ui["homework"], exact=True)).to_be_visible()
    expect(page.get_by_text(answer)).to_be_visible()
    check_accessibility(page.main_frame, "mentor-school-mentee")
    screenshot(page, f"{locale}-41-mentor-reads-homework")
    tab_to(page, ui["new_note"])
    page.keyboard.type("¡Qué buena historia! Conversemos el jueves.")
    tab_to(page, ui["save_note"])
    press_enter(page)
    # Carmen reads the dated note on her school page.
    frame = launch(phone.new_page(), site, "Carmen Soto")
    page = keyboard_page(phone, frame)
    switch_language(page, locale)
    tab_to(page, ui["go_school"])
    press_enter(page)
    expect(page.get_by_text(ui["notes"])).to_be_visible()
    expect(page.get_by_text("¡Qué buena historia! Conversemos el jueves.")).to_be_visible()
    check_accessibility(page.main_frame, "school-with-note")
    weight = measure_weight(phone.new_page(), site, "/school/leadership-school", f"{locale}-school")
    assert weight <= PAGE_BUDGET_BYTES, weight


# ========================================================================= the programme team
def test_programme_team_pages(site: Site, phone: BrowserContext) -> None:
    frame = launch(phone.new_page(), site, "Ana Pérez")
    with site.app.app_context():
        team = actor("u-ana", Role.FACILITATOR)
        cohort = schools.create_cohort(
            team, "leadership-school", "Araucanía 2027", datetime.now(CHILE).date()
        )
        workshop = schools.schedule_workshop(
            team,
            cohort,
            "lds-self-live",
            datetime.now(CHILE).replace(tzinfo=None) + timedelta(days=3),
            "https://meet.example.org/lds",
            "",
        )
    for path, label in (
        ("/programme", "programme"),
        ("/programme/schools", "schools"),
        (f"/programme/schools/cohorts/{cohort}", "school-cohort"),
        (f"/programme/schools/workshops/{workshop}", "school-workshop"),
        (f"/programme/schools/workshops/{workshop}/edit", "school-workshop-change"),
        ("/programme/mentors", "mentor-eligibility"),
        ("/programme/mentoring", "mentoring-network"),
    ):
        frame.goto(site.url + path)
        expect(frame.get_by_role("heading", level=1)).to_be_visible()
        check_accessibility(frame, label)
    screenshot(frame, "50-programme-mentoring-network")
    # A participant's view of a mentor's public profile.
    frame = launch(phone.new_page(), site, "Yasna Joseph")
    with site.app.app_context():
        lucia = person("u-lucia").id
    frame.goto(site.url + f"/mentoring/mentors/{lucia}")
    check_accessibility(frame, "mentor-public-profile")
