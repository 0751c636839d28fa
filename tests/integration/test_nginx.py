"""The shipped production set-up, run: Debian's nginx with deploy/nginx/senda.conf (only its
ports, paths and certificate changed) in front of gunicorn started with the options of
deploy/systemd/senda-web.service, `proxy_count = 1`, a self-signed certificate for
senda.example.org (resolved to loopback here), and a complete https launch through it.

Skipped only where nginx is not installed (`make nginx` installs it; `make test` runs it first).
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import DATABASE_URL, REDIS_URL
from tests.support import stack

pytestmark = pytest.mark.skipif(
    stack.nginx_binary() is None,
    reason="nginx is not installed here: `make nginx` installs Debian's (apt-get, as root)",
)

METRICS_TOKEN = "nginx-test-metrics-token-0123456789"
LOGINS_PER_ADDRESS = 4
WORKERS = 2


def phone(address: str, certificate: Path) -> requests.Session:
    """A woman's phone as nginx sees it: its own address (127.0.0.0/8 is all this machine)."""
    return stack.client(certificate, address)


@pytest.fixture(autouse=True)
def senda_resolves_to_loopback(fake_dns: None) -> Iterator[None]:
    """senda.example.org is this machine, over the suite's fake DNS (which would send every
    *.example.org to a public address)."""
    with stack.resolving_to_loopback(stack.HOST):
        yield


@dataclass
class Stack:
    nginx: stack.Nginx
    gunicorn: str  # http://127.0.0.1:N, what Prometheus scrapes
    issuer: str


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("nginx")
    database_url = DATABASE_URL or f"sqlite:///{folder / 'senda.db'}"
    (folder / "metrics").mkdir()
    _workers, options = stack.unit_gunicorn_args()
    with stack.simulator() as issuer, stack.resolving_to_loopback(stack.HOST):
        env = stack.prepare_senda(
            issuer,
            database_url,
            REDIS_URL or None,
            users=2,
            schema="senda_nginx_test",
            extra_env={
                "SENDA_PROXY_COUNT": "1",
                "SENDA_METRICS__TOKEN": METRICS_TOKEN,
                "SENDA_LIMITS__LOGIN_PER_ADDRESS": f"{LOGINS_PER_ADDRESS}/hour",
                "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
            },
        )
        binary = Path(sys.executable).parent / "gunicorn"
        with (
            stack.gunicorn(binary, "lti_tool.wsgi:app", env, stack.ROOT, WORKERS, options) as (
                app,
                _,
            ),
            stack.nginx(app, folder / "nginx") as proxy,
        ):
            yield Stack(proxy, app, issuer)


def test_nginx_an_https_launch_gives_the_iframe_cookies(production: Stack) -> None:
    browser = phone("127.0.0.2", production.nginx.certificate)
    set_cookies: list[str] = []
    locations: list[str] = []

    def record(response: requests.Response, *_args: object, **_kwargs: object) -> None:
        set_cookies.extend(response.raw.headers.getlist("Set-Cookie"))
        if "Location" in response.headers:
            locations.append(response.headers["Location"])

    browser.hooks["response"].append(record)
    _made, redirects, page = stack.senda_launch(
        production.nginx.https, production.issuer, browser, "u0"
    )
    assert page.status_code == 200
    assert redirects <= 1
    assert "Participante" in page.text
    # Senda saw https, the name and the port the browser used: its launch URL (the OIDC
    # redirect_uri) is built from the request, and the launch POST arrived there.
    redirect_uri = parse_qs(urlsplit(locations[0]).query)["redirect_uri"][0]
    assert redirect_uri == production.nginx.https + "/lti/launch"
    # The session cookie as the browser receives it: usable inside a cross-site LMS iframe.
    session_cookies = [c for c in set_cookies if c.startswith("senda_session=")]
    assert session_cookies
    for cookie in session_cookies:
        attributes = {a.strip().split("=")[0].lower(): a for a in cookie.split(";")[1:]}
        assert attributes["samesite"].strip() == "SameSite=None"
        assert "secure" in attributes
        assert "partitioned" in attributes
        assert "httponly" in attributes
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    # Her page, compressed by nginx; nothing of nginx's version.
    assert page.headers["Content-Encoding"] == "gzip"
    assert page.headers["Server"] == "nginx"


def test_nginx_the_app_sees_the_clients_address_not_a_forged_one(production: Stack) -> None:
    """The login limit counts per client address: with proxy_count = 1 that is the address nginx
    saw, never one the client claims in X-Forwarded-For. (Without Redis each gunicorn worker
    counts in its own memory, so up to WORKERS x the limit get through; with Redis, the limit.)"""
    login = {
        "iss": production.issuer,
        "login_hint": "u1",
        "target_link_uri": production.nginx.https + "/lti/launch",
        "client_id": stack.CLIENT_ID,
        "lti_deployment_id": stack.DEPLOYMENT,
    }
    url = production.nginx.https + "/lti/login"
    most = LOGINS_PER_ADDRESS if REDIS_URL else WORKERS * LOGINS_PER_ADDRESS
    first = phone("127.0.0.3", production.nginx.certificate)
    plain = [first.post(url, data=login, allow_redirects=False) for _ in range(3 * most)]
    # Claiming to be someone else each time changes nothing: all count against this phone.
    forged = [
        first.post(
            url,
            data=login,
            allow_redirects=False,
            headers={"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"198.51.100.{n}"},
        )
        for n in range(3 * most)
    ]
    statuses = [r.status_code for r in plain + forged]
    assert set(statuses) == {302, 429}
    assert LOGINS_PER_ADDRESS <= statuses.count(302) <= most
    refused = next(r for r in plain if r.status_code == 429)
    assert "Retry-After" in refused.headers
    # Another phone (another address) is not held back by the first one's limit.
    second = phone("127.0.0.4", production.nginx.certificate)
    assert second.post(url, data=login, allow_redirects=False).status_code == 302


def test_nginx_compresses_css_and_serves_it_as_flask_would(production: Stack) -> None:
    browser = phone("127.0.0.5", production.nginx.certificate)
    response = browser.get(
        production.nginx.https + "/static/css/senda.css",
        headers={"Accept-Encoding": "gzip"},
        stream=True,
    )
    raw = response.raw.read(decode_content=False)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-cache"
    css = (stack.ROOT / "static" / "css" / "senda.css").read_bytes()
    assert gzip.decompress(raw) == css
    assert len(raw) < len(css) / 2
    # Revalidation costs a 304 and no body.
    again = browser.get(
        production.nginx.https + "/static/css/senda.css",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path", ["/metrics", "/metrics/", "/metrics?format=x", "//metrics", "/%6Detrics", "/./metrics"]
)
def test_nginx_metrics_are_not_public(production: Stack, path: str) -> None:
    """Through nginx, /metrics is refused even with the right token; Prometheus scrapes gunicorn's
    loopback port with it."""
    browser = phone("127.0.0.6", production.nginx.certificate)
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    response = browser.get(production.nginx.https + path, headers=bearer, allow_redirects=False)
    assert response.status_code == 404
    assert "senda_" not in response.text
    assert browser.get(production.nginx.https + path).status_code == 404
    prometheus = stack.client(production.nginx.certificate)
    assert prometheus.get(production.gunicorn + "/metrics", timeout=10).status_code == 404
    scraped = prometheus.get(production.gunicorn + "/metrics", headers=bearer, timeout=10)
    assert scraped.status_code == 200
    assert "senda_request_seconds_bucket" in scraped.text


def test_nginx_metrics_add_up_the_workers_launches(production: Stack) -> None:
    browser = phone("127.0.0.7", production.nginx.certificate)
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    prometheus = stack.client(production.nginx.certificate)

    def launches() -> float:
        text = prometheus.get(production.gunicorn + "/metrics", headers=bearer, timeout=10).text
        found = re.search(r'^senda_launches_total\{role="participant"\} (\S+)$', text, re.M)
        return float(found.group(1)) if found else 0.0

    before = launches()
    for sub in ("u0", "u1"):
        stack.senda_launch(production.nginx.https, production.issuer, browser, sub)
    assert launches() == before + 2


def test_nginx_plain_http_redirects_to_https(production: Stack) -> None:
    response = phone("127.0.0.8", production.nginx.certificate).get(
        production.nginx.http + "/lti/jwks?x=1", allow_redirects=False
    )
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{stack.HOST}/lti/jwks?x=1"


def test_nginx_refuses_a_name_it_does_not_serve(production: Stack) -> None:
    """No certificate, no page for another name (here, the bare address): Senda is never served
    under a Host it does not own."""
    browser = phone("127.0.0.9", production.nginx.certificate)
    with pytest.raises(requests.exceptions.SSLError):
        browser.get(f"https://127.0.0.1:{production.nginx.https_port}/health", timeout=10)


def test_nginx_with_senda_down_says_so_in_both_languages(tmp_path: Path) -> None:
    """gunicorn stopped or restarting: nginx answers 502 with Senda's short bilingual page (and
    its stylesheet, served by nginx itself), never its own English error page."""
    from tests.support.servers import free_port

    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with stack.nginx(down, tmp_path / "nginx") as proxy:
        browser = phone("127.0.0.10", proxy.certificate)
        page = browser.get(proxy.https + "/plan")
        css = browser.get(proxy.https + "/static/css/senda.css")
    assert page.status_code == 502
    assert page.headers["Content-Type"].startswith("text/html")
    assert "Senda no está disponible en este momento" in page.text
    assert '<section class="card" lang="en">' in page.text
    assert "Senda is unavailable right now" in page.text
    assert "nginx" not in page.text.lower()
    assert css.status_code == 200


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here"
)
@pytest.mark.parametrize("unit", ["senda-web.service", "senda-worker.service"])
def test_systemd_units_verify(tmp_path: Path, unit: str) -> None:
    """`systemd-analyze verify` on the shipped units, their paths pointed at this checkout (it
    checks that every command exists)."""
    venv = Path(sys.executable).parent.parent
    env_file = tmp_path / "senda.env"
    env_file.write_text((stack.ROOT / "deploy" / "senda.env.example").read_text())
    text = (stack.ROOT / "deploy" / "systemd" / unit).read_text()
    for old, new in (
        ("/srv/senda/venv", str(venv)),
        ("/srv/senda/src", str(stack.ROOT)),
        ("/etc/senda/senda.env", str(env_file)),
    ):
        assert old in text
        text = text.replace(old, new)
    (tmp_path / unit).write_text(text)
    result = subprocess.run(  # noqa: S603
        ["systemd-analyze", "verify", "--man=no", str(tmp_path / unit)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    complaints = [
        line
        for line in result.stderr.splitlines()
        # A container without systemd as PID 1 has no running manager to ask about these.
        if unit in line or "Unknown" in line or "Failed" in line
    ]
    assert result.returncode == 0 and not complaints, result.stderr


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.e2e
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Chromium is not installed here: `make browser` installs it"
)
def test_nginx_in_an_lms_iframe_chromium_keeps_the_partitioned_cookie(production: Stack) -> None:
    """As the browser sees them: Chromium opens the LMS's course page (another site), which
    launches Senda through nginx in an iframe; the session cookie is stored SameSite=None,
    Secure and partitioned under the LMS's site, and it comes back on her next page."""

    # Playwright's sync API refuses a thread where an asyncio loop runs (the browser tests' own
    # Playwright, earlier in the same pytest process): this browser gets a thread of its own.
    def in_chromium() -> None:
        from playwright.sync_api import sync_playwright

        https = production.nginx.https
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    f"--host-resolver-rules=MAP {stack.HOST} 127.0.0.1",
                ],
            )
            try:
                context = browser.new_context(ignore_https_errors=True)
                page = context.new_page()
                page.goto(f"{production.issuer}/course?tool={https}&sub=u1")
                frame = page.frame_locator('iframe[name="tool"]')
                frame.locator("main").wait_for(timeout=30_000)
                tool = next(f for f in page.frames if f.url.startswith(https))
                assert urlsplit(tool.url).path == "/plan"
                cookies = [c for c in context.cookies(https) if c["name"] == "senda_session"]
                assert len(cookies) == 1
                cookie = cookies[0]
                assert cookie["sameSite"] == "None"
                assert cookie["secure"] is True
                assert cookie["httpOnly"] is True
                assert cookie.get("partitionKey", "").startswith("http://127.0.0.1")
                # Her next page inside the frame: the cookie came back, she is still herself.
                response = tool.goto(https + "/plan")
                assert response is not None and response.status == 200
                assert "Participante" in tool.content()
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(in_chromium).result(timeout=120)
