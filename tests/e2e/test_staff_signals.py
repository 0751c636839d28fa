"""Staff signals in a real browser, through the demo LMS, on a 360-px phone: the facilitator's
cohort page says who needs a call this week and why (a woman away for 10 days, women on the
LMS's roster who never opened Senda), and the grades page says what was sent, what waits and
what failed and why, failed first, dated. In Spanish and in English, with the keyboard alone,
zero axe-core violations on every page visited, and screenshots for reviewers."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from playwright.sync_api import BrowserContext, Frame, Page, expect
from sqlalchemy import select

from lti_tool.models import (
    Enrolment,
    LtiUser,
    Membership,
    ResourceLink,
    ScoreOutbox,
    db,
    utcnow,
)
from lti_tool.models.outbox import DELIVERED, PARKED
from tests.e2e.conftest import Site, check_accessibility, launch, screenshot
from tests.e2e.test_participant_journey import answer_intake, catalogue, click, first_of
from tests.factories import ScoreFactory


def user(sub: str) -> LtiUser:
    found = db.session.scalar(select(LtiUser).where(LtiUser.sub == sub))
    assert found is not None, sub
    return found


def wait_for_a_sent_score() -> None:
    """The grade worker inside the app delivers Carmen's score to the demo gradebook."""
    for _ in range(50):
        db.session.expire_all()
        if db.session.scalar(select(ScoreOutbox.id).where(ScoreOutbox.status == DELIVERED)):
            return
        time.sleep(0.2)
    raise AssertionError("no score was delivered")


def no_sideways_scroll(frame: Frame) -> None:
    width = frame.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{frame.url} scrolls sideways on a phone ({width} px)"


def calls_section(frame: Frame) -> str:
    return frame.locator("#calls").inner_text()


def tab_to(page: Page, name: str, limit: int = 60) -> None:
    """Press Tab until the focused element's text is `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.innerText.trim()") == name:
            return
    raise AssertionError(f"{name!r} cannot be reached with the keyboard")


def test_facilitator_sees_who_needs_a_call_and_why_grades_failed(
    site: Site, phone: BrowserContext
) -> None:
    page = phone.new_page()
    goal = next(q for q in catalogue().placement.questions if q.id == "goal")
    # Carmen starts and finishes her first lesson: a score goes to the LMS.
    frame = launch(page, site, "Carmen Soto")
    check_accessibility(frame, "intake")
    answer_intake(frame, dict(goal.options)["own-business"].es)
    check_accessibility(frame, "plan")
    lesson = first_of("lesson", "life-skills")
    click(frame, frame.get_by_role("link", name=lesson.title.es))
    check_accessibility(frame, "lesson")
    click(frame, frame.get_by_role("button", name="Listo, siguiente paso"))
    check_accessibility(frame, "after the lesson")
    wait_for_a_sent_score()
    # Rosa started ten days ago and has not come back; a score of hers failed for good.
    frame = launch(page, site, "Rosa Huenchumil")
    answer_intake(frame, dict(goal.options)["job"].es)
    check_accessibility(frame, "employment plan")
    rosa = user("u-rosa")
    ten_days_ago = utcnow() - timedelta(days=10)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == rosa.id))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == rosa.id))
    assert enrolment is not None and membership is not None
    enrolment.last_activity_at = membership.last_launch_at = ten_days_ago
    link = db.session.scalar(
        select(ResourceLink).where(ResourceLink.context_id == enrolment.context_id)
    )
    assert link is not None
    ScoreFactory(
        link=link,
        user_id=rosa.id,
        status=PARKED,
        attempts=8,
        last_error="HTTP 404",
        event_at=ten_days_ago,
    )
    db.session.commit()

    # Paula, the facilitator, asks the LMS for its member list: Yasna never opened Senda.
    frame = launch(page, site, "Paula Rojas")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Tu grupo")
    check_accessibility(frame, "cohort before the roster")
    click(frame, frame.get_by_role("button", name="Actualizar la lista desde el LMS"))
    calls = calls_section(frame)
    assert "Necesitan una llamada esta semana" in calls
    assert re.search(r"Yasna Joseph\s+Nunca abrió Senda\. El LMS la incluyó el", calls), calls
    assert re.search(r"Rosa Huenchumil\s+Empezó su plan y no ha vuelto hace 10 días", calls)
    assert "Carmen Soto" not in calls
    assert calls.index("Yasna Joseph") < calls.index("Rosa Huenchumil")
    assert "inactiva" not in frame.locator("main").inner_text().lower()
    expect(frame.get_by_role("table", name="Participantes")).to_contain_text("Carmen Soto")
    check_accessibility(frame, "cohort with calls")
    no_sideways_scroll(frame)
    screenshot(frame, "40-facilitator-cohort-calls")

    # With the keyboard alone: from the list, open Yasna's page.
    top = phone.new_page()  # the same session, as a page of its own, to own the keyboard
    top.goto(frame.url)
    tab_to(top, "Yasna Joseph")
    with top.expect_navigation():
        top.keyboard.press("Enter")
    expect(top.get_by_role("heading", level=1)).to_have_text("Yasna Joseph")
    check_accessibility(top.main_frame, "participant who never opened Senda")

    # The grades page: failed first with the reason in words, dated, a summary on top.
    click(frame, frame.get_by_role("link", name="Calificaciones"))
    main = frame.locator("main").inner_text()
    assert re.search(r"Con error: te necesitan\s+1", main), main
    assert re.search(r"Enviadas al LMS\s+[1-9]", main), main
    rows = frame.locator(".scores > li")
    first = rows.first.inner_text()
    assert "Rosa Huenchumil" in first and "Falló, quedó apartada" in first
    assert "La columna de notas de esta actividad ya no existe en el LMS" in first
    assert re.search(r"\d{1,2} \w{3} 20\d\d, \d{1,2}:\d\d", first), first
    expect(rows.filter(has_text="Carmen Soto").first).to_contain_text("Enviada")
    for key in ("parked", "delivered", "pending", "InProgress"):
        assert key not in main, key
    check_accessibility(frame, "grades")
    no_sideways_scroll(frame)
    screenshot(frame, "41-facilitator-grades")
    # The filter, with the keyboard: only the failed ones.
    top.goto(frame.url)
    tab_to(top, "Ver las con error")
    with top.expect_navigation():
        top.keyboard.press("Enter")
    assert "show=failed" in top.url
    expect(top.locator(".scores > li")).to_have_count(1)
    check_accessibility(top.main_frame, "failed grades")
    top.close()

    # The same pages in English.
    click(frame, frame.get_by_role("button", name="English"))
    expect(frame.get_by_role("heading", level=1)).to_have_text("Grades sent to the LMS")
    first = frame.locator(".scores > li").first.inner_text()
    assert "Failed, set aside" in first and "The grade column of this activity is gone" in first
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, 20\d\d, \d{1,2}:\d\d\s?[AP]M", first), first
    check_accessibility(frame, "grades (en)")
    screenshot(frame, "42-facilitator-grades-en")
    click(frame, frame.get_by_role("link", name="Cohort"))
    calls = calls_section(frame)
    assert "Needs a call this week" in calls
    assert "Never opened Senda. The LMS listed her on" in calls
    assert "Started her plan and has not come back for 10 days." in calls
    check_accessibility(frame, "cohort with calls (en)")
    no_sideways_scroll(frame)
    screenshot(frame, "43-facilitator-cohort-calls-en")
