"""End-to-end tests in a real browser (Debian's Chromium driven by Playwright), through the demo
LMS exactly as a newcomer uses `make run`: the real curriculum, the demo LMS on the same server,
the grade worker inside the app. Screenshots of the main pages at 360 px are written to
tests/artifacts/screenshots/ for reviewers."""

from __future__ import annotations

import gzip
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Frame, Page, sync_playwright

from lti_tool.demo.setup import register_demo_platform
from lti_tool.services import content
from tests.conftest import REAL_CONTENT as _REAL_CONTENT
from tests.support.servers import free_port, serving

REAL_CONTENT = Path(os.environ.get("SENDA_E2E_CONTENT", _REAL_CONTENT))
ARTIFACTS = Path(__file__).parent.parent / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = os.environ.get("SENDA_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
PHONE = {"width": 360, "height": 780}
WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}
}
PAGE_BUDGET_BYTES = 60 * 1024


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    port = free_port()
    return {
        "content_path": str(REAL_CONTENT),
        "demo": {"enabled": True, "base_url": f"http://127.0.0.1:{port}"},
        "lti": {"allow_private_urls": True},
        "outbox": {"run_in_app": True, "poll_seconds": 0.2, "backoff_base_seconds": 0.5},
    }


@dataclass
class Site:
    url: str
    app: Flask
    weights: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def site(app: Flask, settings_overrides: dict[str, Any]) -> Iterator[Site]:
    content.import_tree()
    register_demo_platform()
    port = int(str(settings_overrides["demo"]["base_url"]).rsplit(":", 1)[1])
    with serving(app, port) as url:
        yield Site(url, app)
    stop = app.extensions.get("senda_worker")
    if stop:
        stop[1].set()
        stop[0].join(timeout=5)


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="es-CL")
    yield context
    context.close()


def tool_frame(page: Page) -> Frame:
    frame = page.frame(name="senda-frame")
    assert frame is not None
    return frame


def launch(page: Page, site: Site, person_name: str, activity: str = "Senda") -> Frame:
    """On the demo LMS page, open Senda as someone, and return the iframe Senda runs in."""
    page.goto(site.url + "/demo")
    block = page.locator(".activity", has=page.locator("h3", has_text=activity)).first
    with page.expect_response(lambda r: "/lti/launch" in r.url):
        block.get_by_role("link", name=person_name).click()
    frame = tool_frame(page)
    frame.wait_for_load_state()
    return frame


def screenshot(target: Page | Frame, name: str) -> None:
    """A full-page, 360-px wide screenshot. For Senda's iframe, the same page is opened on its
    own in the same browser session, so the whole page shows, not just the visible part."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"{name}.png")
    if isinstance(target, Frame):
        page = target.page.context.new_page()
        page.goto(target.url)
        page.screenshot(path=path, full_page=True)
        page.close()
    else:
        target.screenshot(path=path, full_page=True)


def check_accessibility(frame: Frame, name: str) -> None:
    """Zero axe-core violations (WCAG 2.2 A and AA) on the page in the frame."""
    results = Axe().run(frame, options=WCAG)  # type: ignore[arg-type]
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def measure_weight(page: Page, site: Site, path: str, name: str) -> int:
    """Bytes a participant's phone downloads for a page, gzip-compressed as any production
    proxy serves it, excluding media. Opened top-level in the same browser session."""
    total = 0
    bodies: list[bytes] = []

    def collect(response: Any) -> None:
        if response.url.startswith(site.url) and "/media/" not in response.url:
            try:
                bodies.append(response.body())
            except Exception:  # redirects have no body
                return

    page.on("response", collect)
    page.goto(site.url + path)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", collect)
    total = sum(len(gzip.compress(body)) for body in bodies)
    site.weights[name] = total
    (ARTIFACTS / "page-weights.txt").parent.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "page-weights.txt").open("a") as report:
        report.write(
            f"{name}\t{path}\t{total} bytes gzip\t{sum(len(b) for b in bodies)} bytes raw\n"
        )
    return total
