"""Her journey in a real browser on a 360-px phone (Senda issue #13, items 1 to 3): her work is
never lost, the signals are honest, and her plan never changes without her saying so.

In Spanish and English; JavaScript off where the point is what happens without it; the keyboard
alone for the pathway change; axe-core on every page visited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect
from sqlalchemy import select

from courses.model import Activity, Catalogue
from lti_tool.models import ActivityProgress, Enrolment, LtiUser, db
from lti_tool.services import content
from tests.e2e.conftest import PHONE, Site, check_accessibility, launch
from tests.support.journey import complete_course

STYLES = (Path(__file__).parents[2] / "static" / "css" / "senda.css").read_text()
LOCALES = {"es": "es-CL", "en": "en-US"}
PEOPLE = {"es": ("Carmen Soto", "u-carmen"), "en": ("Emily Clarke", "u-emily")}
UI = {
    "es": {
        "see": "Ver mi ruta",
        "save": "Guardar",
        "submit": "Guardar y enviar",
        "missing": "Para enviar, completa",
        "saved": "Guardado",
        "check_answers": "Revisa tus respuestas",
        "answer_goal": "Responde esta pregunta",
        "prefer": "Prefiero",
        "confirm": "Sí, cambiar mi plan",
        "keep": "No, dejar mi plan como está",
        "changed": "Tu plan cambió",
        "typing": "Aprieta Guardar",
    },
    "en": {
        "see": "See my pathway",
        "save": "Save",
        "submit": "Save and submit",
        "missing": "To submit, fill in",
        "saved": "Saved",
        "check_answers": "Please check your answers",
        "answer_goal": "Answer this question",
        "prefer": "I prefer",
        "confirm": "Yes, change my plan",
        "keep": "No, keep my plan as it is",
        "changed": "Your plan changed",
        "typing": "Press Save",
    },
}


def catalogue() -> Catalogue:
    found = content.latest_catalogue()
    assert found is not None
    return found[1]


def canvas() -> Activity:
    return next(
        a for a in catalogue().course_activities("ent-business-idea") if a.kind == "worksheet"
    )


def phone_context(browser: Browser, locale: str, javascript: bool = True) -> BrowserContext:
    return browser.new_context(
        viewport=PHONE,
        device_scale_factor=1,
        locale=LOCALES[locale],
        java_script_enabled=javascript,
    )


def open_without_javascript(context: BrowserContext, site: Site, sub: str) -> Page:
    """Launch from the demo LMS with JavaScript off: its auto-posting forms show a button."""
    page = context.new_page()
    page.goto(site.url + f"/demo/launch?person={sub}")
    page.get_by_role("button").first.click()
    page.wait_for_load_state()
    return page


def check_without_javascript(browser: Browser, page: Page, name: str) -> None:
    """axe-core needs JavaScript: the page's HTML, as the JavaScript-less browser got it, is
    checked in a browser with JavaScript on, with Senda's stylesheet inline (for the contrast)
    and its scripts left out (they would not have run)."""
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S)
    html = re.sub(r'<link rel="stylesheet"[^>]*>', f"<style>{STYLES}</style>", html)
    context = browser.new_context(viewport=PHONE, java_script_enabled=True)
    try:
        other = context.new_page()
        other.set_content(html)
        check_accessibility(other.main_frame, name)
    finally:
        context.close()


def answer(frame: Frame | Page, question_id: str, option_id: str, locale: str) -> None:
    question = next(q for q in catalogue().placement.questions if q.id == question_id)
    group = frame.get_by_role("group", name=re.compile(re.escape(question.text.get(locale)[3:40])))
    group.get_by_label(dict(question.options)[option_id].get(locale), exact=True).check()


def enrolment_of(site: Site, sub: str) -> Enrolment | None:
    with site.app.app_context():
        found: Enrolment | None = db.session.scalar(
            select(Enrolment)
            .join(LtiUser, LtiUser.id == Enrolment.user_id)
            .where(LtiUser.sub == sub)
        )
        if found is not None:
            db.session.expunge(found)
        return found


@pytest.mark.parametrize("locale", ["es", "en"])
def test_refresh_after_a_failed_save_keeps_the_newer_text(
    site: Site, browser: Browser, locale: str
) -> None:
    """Submit with a required field empty; keep typing (saved as she types); the phone reloads
    the tab: the newer text is still there, and nothing of the old form came back."""
    ui = UI[locale]
    person, sub = PEOPLE[locale]
    context = phone_context(browser, locale)
    page = context.new_page()
    frame = launch(page, site, person)
    answer(frame, "goal", "own-business", locale)
    answer(frame, "has-business", "no", locale)
    with frame.expect_navigation():
        frame.get_by_role("button", name=ui["see"]).click()
    with site.app.app_context():
        complete_course(sub, "life-skills")
    sheet = canvas()
    required = [f for f in sheet.fields if f.required]
    first, second = required[0], required[1]
    frame.goto(site.url + f"/activities/{sheet.id}")
    check_accessibility(frame, "worksheet")
    # Without the script's help the page says nothing saves by itself; with it, that it does.
    expect(frame.locator("#saving-help")).not_to_contain_text(ui["typing"])

    frame.get_by_label(first.label.get(locale)).fill("Primera versión")
    with frame.expect_navigation():
        frame.get_by_role("button", name=ui["submit"]).click()
    expect(frame.get_by_text(ui["missing"])).to_be_visible()
    assert "/worksheet" not in frame.url  # the error is a page of its own, not the POST
    check_accessibility(frame, "worksheet-missing")

    # She keeps typing; it is saved as she types.
    frame.get_by_label(first.label.get(locale)).fill("Versión nueva, más completa")
    frame.get_by_label(second.label.get(locale)).fill("Lo que escribí después")
    expect(frame.locator("#saved")).to_have_text(ui["saved"], timeout=5000)

    # The phone reloads the tab.
    frame.evaluate("location.reload()")
    frame.wait_for_load_state()
    expect(frame.get_by_label(first.label.get(locale))).to_have_value("Versión nueva, más completa")
    expect(frame.get_by_label(second.label.get(locale))).to_have_value("Lo que escribí después")
    with site.app.app_context():
        row = db.session.scalar(
            select(ActivityProgress).where(ActivityProgress.activity_id == sheet.id)
        )
        assert row is not None
        assert row.data["values"][first.id] == "Versión nueva, más completa"
    context.close()


@pytest.mark.parametrize("locale", ["es", "en"])
def test_without_javascript_a_refresh_never_sends_the_old_form_again(
    site: Site, browser: Browser, locale: str
) -> None:
    """Without JavaScript: the page says nothing saves as she types; a failed submit ends on a
    page that a refresh only reloads."""
    ui = UI[locale]
    _person, sub = PEOPLE[locale]
    context = phone_context(browser, locale, javascript=False)
    page = open_without_javascript(context, site, sub)
    answer(page, "goal", "own-business", locale)
    page.get_by_role("button", name=ui["see"]).click()
    page.wait_for_load_state()
    with site.app.app_context():
        complete_course(sub, "life-skills")
    sheet = canvas()
    first = next(f for f in sheet.fields if f.required)
    page.goto(site.url + f"/activities/{sheet.id}")
    expect(page.locator("#saving-help")).to_contain_text(ui["typing"])
    check_without_javascript(browser, page, "worksheet-no-js")
    page.get_by_label(first.label.get(locale)).fill("Mi texto")
    page.get_by_role("button", name=ui["submit"]).click()
    page.wait_for_load_state()
    expect(page.get_by_text(ui["missing"])).to_be_visible()
    with site.app.app_context():
        before = db.session.execute(
            select(ActivityProgress.revision, ActivityProgress.updated_at).where(
                ActivityProgress.activity_id == sheet.id
            )
        ).one()
    page.reload()
    page.wait_for_load_state()
    expect(page.get_by_label(first.label.get(locale))).to_have_value("Mi texto")
    check_without_javascript(browser, page, "worksheet-missing-no-js")
    with site.app.app_context():
        after = db.session.execute(
            select(ActivityProgress.revision, ActivityProgress.updated_at).where(
                ActivityProgress.activity_id == sheet.id
            )
        ).one()
    # The reload sent nothing: not even the same text again (which would keep the revision,
    # nothing having changed, but not the time of the save).
    assert before == after and before.revision == 1
    context.close()


@pytest.mark.parametrize("locale", ["es", "en"])
def test_an_empty_intake_is_refused_with_a_clear_message(
    site: Site, browser: Browser, locale: str
) -> None:
    ui = UI[locale]
    _person, sub = PEOPLE[locale]
    context = phone_context(browser, locale, javascript=False)
    page = open_without_javascript(context, site, sub)
    assert "/intake" in page.url
    check_without_javascript(browser, page, "intake")
    response = None
    with page.expect_response(lambda r: r.url.endswith("/intake")) as info:
        page.get_by_role("button", name=ui["see"]).click()
    response = info.value
    page.wait_for_load_state()
    assert response.status == 400
    # The summary at the top, announced; each question's own message is tied to it as well.
    expect(page.get_by_role("alert").filter(has_text=ui["check_answers"])).to_be_visible()
    expect(page.get_by_text(ui["answer_goal"])).to_be_visible()
    check_without_javascript(browser, page, "intake-refused")
    assert enrolment_of(site, sub) is None  # not placed, no plan "ready"
    context.close()


@pytest.mark.parametrize("locale", ["es", "en"])
def test_the_pathway_switch_asks_first(site: Site, browser: Browser, locale: str) -> None:
    """One tap on "I prefer…" never changes her plan: a page says what would change, and only
    its confirm button does it. With the keyboard alone."""
    ui = UI[locale]
    person, sub = PEOPLE[locale]
    context = phone_context(browser, locale)
    frame = launch(context.new_page(), site, person)
    answer(frame, "goal", "own-business", locale)
    answer(frame, "has-business", "no", locale)
    with frame.expect_navigation():
        frame.get_by_role("button", name=ui["see"]).click()
    placed = enrolment_of(site, sub)
    assert placed is not None and placed.pathway_id == "entrepreneurship"

    page = context.new_page()  # the same session, as a page of its own, to own the keyboard
    page.goto(site.url + "/plan")
    check_accessibility(page.main_frame, "plan")
    prefer = page.get_by_role("link", name=re.compile(ui["prefer"])).first
    prefer.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check_accessibility(page.main_frame, "change-confirm")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    unchanged = enrolment_of(site, sub)
    assert unchanged is not None and unchanged.pathway_id == "entrepreneurship"

    # "No" keeps the plan.
    page.get_by_role("link", name=ui["keep"]).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    still = enrolment_of(site, sub)
    assert still is not None and still.pathway_id == "entrepreneurship"

    # "Yes" changes it, and says so.
    page.get_by_role("link", name=re.compile(ui["prefer"])).first.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_role("button", name=ui["confirm"]).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text(ui["changed"])).to_be_visible()
    check_accessibility(page.main_frame, "plan-changed")
    changed = enrolment_of(site, sub)
    assert changed is not None and changed.pathway_id == "employment"
    context.close()
