"""Deep Linking in a real browser, through the demo LMS's "add an activity" on a 360-px phone:
the designer's picker, the picker sent with nothing ticked, a course added to the LMS, and the
picker opened again afterwards (Back, an old tab), which says the choice already went to the
LMS. Zero axe-core violations on each of Senda's pages, and the error tied to the choices."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, expect

from tests.e2e.conftest import Site, check_accessibility, launch, screenshot
from tests.e2e.test_participant_journey import click
from tests.e2e.test_staff_signals import no_sideways_scroll

ADD = "Agregar actividad desde Senda"


def test_a_designer_adds_a_course_and_the_picker_opened_again_says_it_was_sent(
    site: Site, phone: BrowserContext
) -> None:
    page = phone.new_page()
    frame = launch(page, site, "Daniela Muñoz", activity=ADD)
    expect(frame.get_by_role("heading", level=1)).to_have_text("Agrega Senda a tu curso")
    check_accessibility(frame, "deep-linking picker")
    no_sideways_scroll(frame)
    screenshot(frame, "60-deep-linking-picker")

    # Nothing ticked: said beside the choices, announced, and nothing sent.
    click(frame, frame.get_by_role("button", name="Agregar al curso"))
    alert = frame.get_by_role("alert")
    expect(alert).to_have_text("Elige al menos un elemento.")
    first = frame.get_by_role("checkbox").first
    expect(first).to_have_attribute("aria-invalid", "true")
    check_accessibility(frame, "deep-linking picker, nothing chosen")

    # One course ticked: the LMS receives it.
    first.check()
    with page.expect_response(lambda r: r.url.endswith("/demo/deep-link-return")) as returned:
        frame.get_by_role("button", name="Agregar al curso").click()
    assert returned.value.status == 200
    expect(frame.get_by_role("status")).to_contain_text("1 actividad(es) agregada(s)")

    # The picker opened again (Back, an old tab): its choice went to the LMS already.
    frame.goto(site.url + "/deep-linking")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Ya se envió a tu curso")
    check_accessibility(frame, "deep-linking picker, already sent")
    no_sideways_scroll(frame)
