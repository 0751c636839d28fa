"""End-to-end tests in a real browser (Debian's Chromium driven by Playwright), through the demo
LMS exactly as a newcomer uses `make run`: the real curriculum, the demo LMS on the same server,
the grade worker inside the app. Screenshots of the main pages at 360 px are written to
tests/artifacts/screenshots/ for reviewers."""

from __future__ import annotations

import gzip
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Frame, Locator, Page, sync_playwright

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


# Pages that post themselves on at once when JavaScript runs (the demo LMS's auto-posting forms
# and the cookieless launch's storage pages): nobody sees them, so there is nothing to check. With
# JavaScript off they stay on screen with a button, and must pass axe like any page.
SELF_POSTING_PATHS = ("/demo/launch", "/demo/auth", "/lti/login", "/lti/launch")
# The demo LMS stands in for the LMS around Senda (its course page, its gradebook frame that
# refreshes itself): not Senda's pages, so not required, though tests may check them.
LMS_PATHS = ("/demo",)


@dataclass
class Audit:
    """Every document a browser test loads from the site, and whether axe checked it: a test
    that uses this fails when it visited a page (an error state included) without checking it."""

    site_url: str
    javascript: bool = True
    loaded: list[tuple[int, str]] = field(default_factory=list)
    checked: set[int] = field(default_factory=set)
    current: dict[Frame, tuple[int, str]] = field(default_factory=dict)
    exempt: set[Page] = field(default_factory=set)  # pages that only photograph or weigh

    def watch(self, context: BrowserContext) -> BrowserContext:
        for page in context.pages:
            page.on("framenavigated", self._navigated)
        context.on("page", lambda page: page.on("framenavigated", self._navigated))
        return context

    def _navigated(self, frame: Frame) -> None:
        if frame.page in self.exempt or not frame.url.startswith(self.site_url):
            return
        previous = self.current.get(frame)
        if previous and "#" in frame.url and previous[1] == frame.url.split("#")[0]:
            return  # a jump within the same document (the skip link)
        serial = len(self.loaded) + 1
        self.current[frame] = (serial, frame.url.split("#")[0])
        self.loaded.append((serial, frame.url))

    def mark(self, frame: Frame) -> None:
        entry = self.current.get(frame)
        if entry is not None:
            self.checked.add(entry[0])

    def unchecked(self) -> list[str]:
        missing = []
        for serial, url in self.loaded:
            path = urlsplit(url).path
            if serial in self.checked or (self.javascript and path.startswith(SELF_POSTING_PATHS)):
                continue
            if path.startswith(LMS_PATHS) and not path.startswith(SELF_POSTING_PATHS):
                continue
            missing.append(url)
        return missing


_AUDITS: list[Audit] = []


@contextmanager
def auditing(site_url: str, javascript: bool = True) -> Iterator[Audit]:
    """Watch contexts with `audit.watch(context)`; at the end, every page they loaded from the
    site must have been checked with axe."""
    found = Audit(site_url, javascript)
    _AUDITS.append(found)
    try:
        yield found
    finally:
        _AUDITS.remove(found)
    missing = found.unchecked()
    assert not missing, f"pages visited without an axe check: {missing}"


@pytest.fixture
def audit(site: Site) -> Iterator[Audit]:
    with auditing(site.url) as found:
        yield found


def screenshot(target: Page | Frame, name: str) -> None:
    """A full-page, 360-px wide screenshot. For Senda's iframe, the same page is opened on its
    own in the same browser session, so the whole page shows, not just the visible part."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"{name}.png")
    if isinstance(target, Frame):
        page = target.page.context.new_page()
        for audit in _AUDITS:
            audit.exempt.add(page)  # the same page again, only photographed
        page.goto(target.url)
        page.screenshot(path=path, full_page=True)
        page.close()
    else:
        target.screenshot(path=path, full_page=True)


_NO_JAVASCRIPT: list[BrowserContext] = []


def context_without_javascript(browser: Browser, **options: Any) -> BrowserContext:
    """A browser context with JavaScript off, whose pages check_accessibility knows how to
    check (axe cannot run in them: it needs timers, which are off with JavaScript)."""
    context = browser.new_context(java_script_enabled=False, **options)
    _NO_JAVASCRIPT.append(context)
    context.on("close", lambda closed: _NO_JAVASCRIPT.remove(closed))
    return context


def _axe_on_a_copy(frame: Frame) -> Any:
    """axe on exactly what a browser without JavaScript shows: the document as it stands,
    <noscript> content shown, served again at its own URL (so its CSS loads) in a page where
    no script of the site runs."""
    html = re.sub(r"</?noscript>", "", frame.content())
    url = frame.url
    browser = frame.page.context.browser
    assert browser is not None
    context = browser.new_context(viewport=PHONE)

    def serve(route: Any) -> None:
        request = route.request
        if request.resource_type == "script":
            route.abort()
        elif request.resource_type == "document" and request.url == url:
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        else:
            route.continue_()

    try:
        context.route("**/*", serve)
        page = context.new_page()
        page.goto(url)
        return Axe().run(page, options=WCAG)  # type: ignore[arg-type]
    finally:
        context.close()


def check_accessibility(target: Frame | Page, name: str) -> None:
    """Zero axe-core violations (WCAG 2.2 A and AA) on the page (or the page in the frame),
    with JavaScript on or off."""
    frame = target.main_frame if isinstance(target, Page) else target
    if frame.page.context in _NO_JAVASCRIPT:
        results = _axe_on_a_copy(frame)
    else:
        results = Axe().run(frame, options=WCAG)  # type: ignore[arg-type]
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"
    for audit in _AUDITS:
        audit.mark(frame)


def tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    """Press Tab, as a person does, until `target` has the focus; fail if it never gets it
    (an element taken out of the tab order, tabindex="-1", cannot be reached)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} cannot be reached with the Tab key")


def measure_weight(page: Page, site: Site, path: str, name: str) -> int:
    """Bytes a participant's phone downloads for a page — the document and everything it loads
    (CSS, JavaScript, fonts, images), gzip-compressed as any production proxy serves it,
    excluding media. Opened top-level in the same browser session, with the cache off so
    every resource is counted. A response whose body cannot be read fails the measurement."""
    for audit in _AUDITS:
        audit.exempt.add(page)  # a page already checked, opened again only to be weighed
    try:
        return _weigh(page, site, path, name)
    finally:
        for audit in _AUDITS:
            audit.exempt.discard(page)


def _weigh(page: Page, site: Site, path: str, name: str) -> int:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    responses: list[Any] = []

    def collect(response: Any) -> None:
        # Only the weighed page's own answers: a request the page before it left in flight (a
        # script in the LMS frame, say) can answer after this listener starts, and its body is
        # gone once the navigation below replaces that frame.
        if response.frame == page.main_frame:
            responses.append(response)

    page.on("response", collect)
    page.goto(site.url + path)
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", collect)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.detach()
    bodies: list[bytes] = []
    kinds: Counter[str] = Counter()
    for response in responses:
        if "/media/" in response.url or 300 <= response.status < 400:
            continue  # media are outside the budget; a redirect has no body
        bodies.append(response.body())
        kinds[response.request.resource_type] += 1
    assert kinds["document"] == 1 and kinds["stylesheet"] >= 1, (name, dict(kinds))
    total = sum(len(gzip.compress(body)) for body in bodies)
    site.weights[name] = total
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "page-weights.txt").open("a") as report:
        counted = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        report.write(
            f"{name}\t{path}\t{total} bytes gzip\t{sum(len(b) for b in bodies)} bytes raw"
            f"\t{counted}\n"
        )
    return total
