"""A launch that works although the browser keeps no cookie for Senda inside the LMS's iframe.

The demo LMS is served on one site (localhost) and Senda on another (127.0.0.1), so Senda is a
third party in the iframe: its cookies do not come back there. The launch then goes through the
LTI client-side storage (the state is put in and read back from the LMS page by postMessage),
and, since the session cookie cannot be kept either, Senda offers a new window, where she lands
on her intake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, expect

from tests.support.lms import separate_lms
from tests.support.servers import free_port


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}  # the small test programme; no demo LMS on Senda's own server


@pytest.fixture
def two_sites(app: Flask, imported: int, tmp_path: Path) -> Iterator[tuple[str, str]]:
    tool_url = f"http://127.0.0.1:{free_port()}"
    lms_url = f"http://localhost:{free_port()}"  # another site: Senda is a third party
    with separate_lms(app, tmp_path, tool_url, lms_url):
        yield tool_url, lms_url


def test_launch_without_cookies_uses_platform_storage_then_a_new_window(
    browser: Browser, two_sites: tuple[str, str]
) -> None:
    tool_url, lms_url = two_sites
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    page.goto(lms_url + "/demo")
    page.locator(".activity").first.get_by_role("link", name="Carmen Soto").click()
    frame = page.frame(name="senda-frame")
    assert frame is not None
    # The state went through the LMS page's storage, the launch was confirmed, and since no
    # session cookie can live in this iframe, Senda offers a new window.
    button = frame.get_by_role("button", name="Abrir Senda en una ventana nueva")
    expect(button).to_be_visible(timeout=15000)
    with context.expect_page() as opened:
        button.click()
    window = opened.value
    window.wait_for_load_state()
    expect(window.get_by_role("heading", level=1)).to_have_text("Hola, Carmen")
    assert window.url.startswith(tool_url + "/intake")
    context.close()
