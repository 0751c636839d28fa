"""`make bench`: a complete launch as a woman experiences it, over HTTP.

From the LMS's login POST to her first 200 page: Senda under gunicorn (2 sync workers) with
PostgreSQL and Redis, driven by a platform simulator that signs real RS256 id_tokens. In the same
run, under the same gunicorn settings: a Flask hello-world (the floor) and a peer tool built the
way pylti1p3's Flask example is (pylti1p3 from PyPI in its own virtual environment, its Redis
cache, its login and launch views; this file writes it, nothing is copied). Reported: launches/s
and p50/p95/p99 at concurrency 16 and 64, server CPU per launch (app, PostgreSQL, Redis),
requests per launch, and ratios to both anchors; then the CPU of each of Senda's requests, one
at a time, against the hello-world's. Targets are printed with PASS or FAIL; nothing is asserted.

Environment: SENDA_BENCH_DATABASE_URL (default the local `test` database; a schema of its own is
dropped and rebuilt), SENDA_BENCH_REDIS_URL (default db 13), SENDA_BENCH_SECONDS (10).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import stack  # noqa: E402
from tests.support.stack import (  # noqa: E402
    Clock,
    gunicorn,
    id_token,
    simulator,
)

BASE_URL = os.environ.get(
    "SENDA_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SENDA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
SECONDS = float(os.environ.get("SENDA_BENCH_SECONDS", "10"))
SCHEMA = "senda_bench_launch"
WORKERS = 2
CONCURRENCY = (16, 64)
CLIENT_PROCESSES = 4  # the load comes from this many processes, the threads shared among them
USERS = 200  # returning participants, launched round robin
PEER_VENV = ROOT / ".bench" / "peer-venv"
WORK = ROOT / ".bench"

LINES: list[str] = []


def report(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


# ------------------------------------------------------------------------------- the apps
def prepare_senda(issuer: str) -> dict[str, str]:
    """A schema of its own, migrated, with the platform, the content and 200 returning
    participants with a plan; the environment for gunicorn."""
    return stack.prepare_senda(issuer, BASE_URL, REDIS_URL, users=USERS, schema=SCHEMA)


PEER_APP = '''
"""A tool built the way pylti1p3's Flask example is: OIDC login and launch views over
pylti1p3's Flask contrib classes, its launch data kept in a Redis cache (Flask-Caching), the
platform's key set fetched by pylti1p3 on each launch, and a page rendered after the launch."""

import os

from flask import Flask, render_template_string
from flask_caching import Cache
from pylti1p3.contrib.flask import (
    FlaskCacheDataStorage, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest,
)
from pylti1p3.tool_config import ToolConfDict

app = Flask("peer")
app.config.update(
    SECRET_KEY="peer-secret",
    CACHE_TYPE="RedisCache",
    CACHE_REDIS_URL=os.environ["PEER_REDIS_URL"],
    CACHE_DEFAULT_TIMEOUT=600,
    SESSION_COOKIE_NAME="peer_session",
)
cache = Cache(app)
ISSUER = os.environ["PEER_ISSUER"]
TOOL_CONF = ToolConfDict({
    ISSUER: [{
        "default": True,
        "client_id": "bench-client",
        "auth_login_url": ISSUER + "/auth",
        "auth_token_url": ISSUER + "/token",
        "key_set_url": ISSUER + "/jwks",
        "deployment_ids": ["bench-deployment"],
    }]
})
with open(os.environ["PEER_PRIVATE_KEY"]) as f:
    TOOL_CONF.set_private_key(ISSUER, f.read(), client_id="bench-client")
PAGE = "<!doctype html><title>Peer</title><h1>Hola, {{ name }}</h1><p>{{ roles }}</p>"


@app.route("/login/", methods=["GET", "POST"])
def login():
    request = FlaskRequest()
    oidc = FlaskOIDCLogin(request, TOOL_CONF, launch_data_storage=FlaskCacheDataStorage(cache))
    return oidc.redirect(request.get_param("target_link_uri"))


@app.route("/launch/", methods=["POST"])
def launch():
    message = FlaskMessageLaunch(
        FlaskRequest(), TOOL_CONF, launch_data_storage=FlaskCacheDataStorage(cache)
    )
    data = message.get_launch_data()
    return render_template_string(
        PAGE, name=data.get("given_name", ""),
        roles=data.get("https://purl.imsglobal.org/spec/lti/claim/roles"),
    )
'''

HELLO_APP = """
from flask import Flask

app = Flask("hello")


@app.get("/")
def hello():
    return "Hello"
"""


def prepare_peer(issuer: str) -> dict[str, str]:
    """pylti1p3 from PyPI in its own virtual environment (it shares its import name with the
    pylti1p3next Senda uses)."""
    WORK.mkdir(exist_ok=True)
    if not (PEER_VENV / "bin" / "gunicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)  # noqa: S603
        subprocess.run(  # noqa: S603
            [
                str(PEER_VENV / "bin" / "pip"),
                "install",
                "-q",
                "pylti1p3",
                "Flask",
                "Flask-Caching",
                "redis",
                "gunicorn==27.0.1",
            ],
            check=True,
        )
    (WORK / "peer_app.py").write_text(PEER_APP)
    (WORK / "hello_app.py").write_text(HELLO_APP)
    key_file = WORK / "peer-tool-key.pem"
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if not key_file.exists():
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        key_file.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return {
        "PEER_REDIS_URL": REDIS_URL,
        "PEER_ISSUER": issuer,
        "PEER_PRIVATE_KEY": str(key_file),
    }


# --------------------------------------------------------------------------------- the load
@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    errors: int = 0
    redirects_after_launch: set[int] = field(default_factory=set)
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.latencies)

    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def senda_launch(base: str, issuer: str, session: requests.Session, sub: str) -> tuple[int, int]:
    """(requests, redirects after the launch POST) of a complete launch."""
    made, redirects, _page = stack.senda_launch(base, issuer, session, sub)
    return made, redirects


def peer_launch(base: str, issuer: str, session: requests.Session, sub: str) -> tuple[int, int]:
    target = base + "/launch/"
    login = session.post(
        base + "/login/",
        data=stack.login_form(issuer, sub, target),
        allow_redirects=False,
    )
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    token = id_token(issuer, sub, query["nonce"][0], target)
    response = session.post(
        query["redirect_uri"][0], data={"id_token": token, "state": query["state"][0]}
    )
    if response.status_code != 200:
        raise RuntimeError(f"peer: {response.status_code}")
    return 2, 0


def hello(base: str, _issuer: str, session: requests.Session, _sub: str) -> tuple[int, int]:
    response = session.get(base + "/")
    if response.status_code != 200:
        raise RuntimeError("hello")
    return 1, 0


def _client(
    flow: Callable[[str, str, requests.Session, str], tuple[int, int]],
    base: str,
    issuer: str,
    threads: int,
    first_user: int,
    stop_at: float,
    results: Any,
) -> None:
    """One client process: `threads` women launching one after another until `stop_at`."""
    run = Run()
    lock = threading.Lock()
    counter = iter(range(first_user, 10**9, 997))

    def woman() -> None:
        sessions = [requests.Session() for _ in range(USERS // threads + 1)]
        index = 0
        while time.monotonic() < stop_at:
            with lock:
                n = next(counter)
            session = sessions[index % len(sessions)]
            index += 1
            started = time.perf_counter()
            try:
                made, redirects = flow(base, issuer, session, f"u{n % USERS}")
            except Exception:  # counted, never hidden
                with lock:
                    run.errors += 1
                continue
            elapsed = time.perf_counter() - started
            with lock:
                run.latencies.append(elapsed)
                run.requests += made
                run.redirects_after_launch.add(redirects)

    pool = [threading.Thread(target=woman) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    results.put((run.latencies, run.requests, run.errors, run.redirects_after_launch))


def drive(
    flow: Callable[[str, str, requests.Session, str], tuple[int, int]],
    base: str,
    issuer: str,
    clock: Clock,
    concurrency: int,
    seconds: float = SECONDS,
) -> Run:
    """`concurrency` women launching at once, from several client processes: one Python process
    cannot sign tokens and parse responses fast enough for both tools (its lock on the
    interpreter would make the client the bottleneck, not the servers)."""
    processes = min(CLIENT_PROCESSES, concurrency)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    run = Run()
    before = clock.snapshot()
    started = time.monotonic()
    stop_at = started + seconds
    clients = [
        context.Process(
            target=_client,
            args=(flow, base, issuer, concurrency // processes, i, stop_at, results),
        )
        for i in range(processes)
    ]
    for client in clients:
        client.start()
    for _ in clients:
        latencies, made, errors, redirects = results.get(timeout=seconds + 120)
        run.latencies += latencies
        run.requests += made
        run.errors += errors
        run.redirects_after_launch |= redirects
    for client in clients:
        client.join()
    run.seconds = time.monotonic() - started
    run.cpu = Clock.spent(before, clock.snapshot())
    return run


def cpu_ms_per(run: Run, key: str | None = None) -> float:
    if not run.count:
        return float("nan")
    total = sum(run.cpu.values()) if key is None else run.cpu[key]
    return 1000 * total / run.count


# ---------------------------------------------------------------------- one request at a time
def per_request_cpu(base: str, issuer: str, clock: Clock, rounds: int = 200) -> dict[str, float]:
    """Server CPU (app only) of each of Senda's requests in a launch, one launch at a time."""
    session = requests.Session()
    totals: dict[str, float] = {}

    def timed(name: str, call: Callable[[], requests.Response]) -> requests.Response:
        before = clock.read()["app"]
        response = call()
        totals[name] = totals.get(name, 0.0) + clock.read()["app"] - before
        return response

    for n in range(rounds):
        sub = f"u{n % USERS}"
        target = base + "/lti/launch"
        login = timed(
            "login",
            lambda sub=sub, target=target: session.post(
                base + "/lti/login",
                data=stack.login_form(issuer, sub, target),
                allow_redirects=False,
            ),
        )
        query = parse_qs(urlsplit(login.headers["Location"]).query)
        token = id_token(issuer, sub, query["nonce"][0], target)
        launched = timed(
            "launch POST",
            lambda token=token, query=query: session.post(
                query["redirect_uri"][0],
                data={"id_token": token, "state": query["state"][0]},
                allow_redirects=False,
            ),
        )
        page = urljoin(base, launched.headers["Location"])
        timed("her first page (/plan)", lambda page=page: session.get(page))
    return {k: 1000 * v / rounds for k, v in totals.items()}


def hello_cpu(base: str, clock: Clock, rounds: int = 1000) -> float:
    session = requests.Session()
    before = clock.read()["app"]
    for _ in range(rounds):
        session.get(base + "/")
    return 1000 * (clock.read()["app"] - before) / rounds


# ------------------------------------------------------------------------------------- main
def machine() -> str:
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    return f"{os.cpu_count()} vCPU ({cpu.group(1).strip() if cpu else 'unknown CPU'}), Linux"


def main() -> None:
    report("# Launch, as a woman experiences it (make bench)")
    report(f"machine: {machine()}; gunicorn {WORKERS} sync workers each; PostgreSQL and Redis")
    report(f"{SECONDS:.0f} s per row; {USERS} returning participants, round robin")
    report()
    runs: dict[tuple[str, int], Run] = {}
    senda_bin = Path(sys.executable).parent / "gunicorn"
    with simulator() as issuer:
        env = prepare_senda(issuer)
        peer_env = prepare_peer(issuer)
        with gunicorn(senda_bin, "lti_tool.wsgi:app", env, ROOT, WORKERS) as (base, clock):
            drive(senda_launch, base, issuer, clock, 4, 2.0)  # warm every worker's caches
            for c in CONCURRENCY:
                runs[("senda", c)] = drive(senda_launch, base, issuer, clock, c)
            per_request = per_request_cpu(base, issuer, clock)
        peer_bin = PEER_VENV / "bin" / "gunicorn"
        with gunicorn(peer_bin, "peer_app:app", peer_env, WORK, WORKERS) as (base, clock):
            drive(peer_launch, base, issuer, clock, 4, 2.0)
            for c in CONCURRENCY:
                runs[("peer", c)] = drive(peer_launch, base, issuer, clock, c)
        with gunicorn(peer_bin, "hello_app:app", {}, WORK, WORKERS) as (base, clock):
            for c in CONCURRENCY:
                runs[("hello", c)] = drive(hello, base, issuer, clock, c)
            hello_ms = hello_cpu(base, clock)
    report(
        "| tool | conc. | launches/s | p50 ms | p95 ms | p99 ms | req/launch "
        "| CPU ms/launch (app + PG + Redis) | errors |"
    )
    report("|---|---|---|---|---|---|---|---|---|")
    for (name, c), run in runs.items():
        per = run.requests / run.count if run.count else 0
        report(
            f"| {name} | {c} | {run.per_second():.0f} | {run.percentile(0.5):.0f} | "
            f"{run.percentile(0.95):.0f} | {run.percentile(0.99):.0f} | {per:.1f} | "
            f"{cpu_ms_per(run):.2f} ({cpu_ms_per(run, 'app'):.2f} + "
            f"{cpu_ms_per(run, 'postgres'):.2f} + {cpu_ms_per(run, 'redis'):.2f}) | {run.errors} |"
        )
    report()
    report("Senda, one launch at a time, server CPU of each request (app only):")
    for name, ms in per_request.items():
        report(f"- {name}: {ms:.2f} ms ({ms / hello_ms:.1f}x the hello-world's {hello_ms:.2f} ms)")
    report()
    senda_cpu = statistics.mean(cpu_ms_per(runs[("senda", c)]) for c in CONCURRENCY)
    peer_cpu = statistics.mean(cpu_ms_per(runs[("peer", c)]) for c in CONCURRENCY)
    redirects = set().union(*(runs[("senda", c)].redirects_after_launch for c in CONCURRENCY))
    targets = [
        (
            "at most 1 redirect after the launch POST",
            max(redirects or {9}) <= 1,
            f"{sorted(redirects)}",
        ),
        (
            "server CPU per launch ≤ 0.75x the peer's",
            senda_cpu <= 0.75 * peer_cpu,
            f"{senda_cpu:.2f} / {peer_cpu:.2f} ms = {senda_cpu / peer_cpu:.2f}x",
        ),
    ]
    for c in CONCURRENCY:
        s, p = runs[("senda", c)].per_second(), runs[("peer", c)].per_second()
        targets.append(
            (
                f"launches/s ≥ 1.5x the peer's at concurrency {c}",
                s >= 1.5 * p,
                f"{s:.0f} / {p:.0f} = {s / p:.2f}x",
            )
        )
    p99 = runs[("senda", 64)].percentile(0.99)
    targets.append(("p99 < 250 ms at concurrency 64", p99 < 250, f"{p99:.0f} ms"))
    page = per_request.get("her first page (/plan)", float("nan"))
    targets.append(
        (
            "a participant page < 4x the hello-world request",
            page < 4 * hello_ms,
            f"{page:.2f} / {hello_ms:.2f} ms = {page / hello_ms:.1f}x",
        )
    )
    errors = sum(r.errors for r in runs.values())
    targets.append(("no errors", errors == 0, f"{errors}"))
    for name, ok, detail in targets:
        report(f"- {'PASS' if ok else 'FAIL'} {name}: {detail}")
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    with (artifacts / "bench.txt").open("a") as out:
        out.write("\n".join(LINES) + "\n\n")


if __name__ == "__main__":
    main()
