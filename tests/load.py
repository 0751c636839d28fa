"""`make load` and `make soak`: Senda as deploy/ ships it, loaded on loopback until it stops by
itself.

Debian's nginx with deploy/nginx/senda.conf (TLS with a self-signed certificate for
senda.example.org, resolved to loopback) in front of gunicorn run with the options and worker
count of deploy/systemd/senda-web.service, `proxy_count = 1`, PostgreSQL and Redis. Every launch
is complete and new, as a woman's phone does it: a new browser (TLS handshake included), login
POST, a real RS256 id_token, launch POST, her first page (her plan, or the intake for the one in
ten who comes for the first time).

- `python -m tests.load burst` (make load): 1,000 launches by 1,000 women, arriving at an even
  pace over 60 s. Reported: errors (must be 0), latency p50/p95/p99/max, when the last one was
  done, server CPU per launch (nginx, gunicorn, PostgreSQL, Redis) and the capacity it implies.
- `python -m tests.load soak` (make soak): 10 minutes of launches at a steady 10 per second,
  every gunicorn worker's memory (RSS) sampled every 30 s; reported first, last and max, and
  whether it stayed flat (no worker grew by more than 8 MiB after its first minute).

Environment: SENDA_LOAD_DATABASE_URL (default the local `test` database; a schema of its own is
dropped and rebuilt), SENDA_LOAD_REDIS_URL (default db 12), SENDA_LOAD_LAUNCHES (1000),
SENDA_LOAD_SECONDS (60), SENDA_SOAK_SECONDS (600), SENDA_SOAK_RATE (10 launches/s). Exits 1 when
a target is missed. Figures are appended to tests/artifacts/load.txt.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import queue
import re
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support import stack  # noqa: E402

DATABASE_URL = os.environ.get(
    "SENDA_LOAD_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("SENDA_LOAD_REDIS_URL", "redis://127.0.0.1:6379/12")
LAUNCHES = int(os.environ.get("SENDA_LOAD_LAUNCHES", "1000"))
SECONDS = float(os.environ.get("SENDA_LOAD_SECONDS", "60"))
SOAK_SECONDS = float(os.environ.get("SENDA_SOAK_SECONDS", "600"))
SOAK_RATE = float(os.environ.get("SENDA_SOAK_RATE", "10"))
SAMPLE_EVERY = 30.0
SCHEMA = "senda_load"
RETURNING = 900  # of every 1,000 women, 900 have a plan already; 100 come for the first time
CLIENT_PROCESSES = 2
THREADS = 16  # per client process: enough that a launch never waits for a free thread
FLAT_KIB = 8 * 1024  # a worker may not grow by more than this after its first minute
METRICS_TOKEN = "load-test-metrics-token-0123456789"

LINES: list[str] = []


def report(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def woman(n: int) -> str:
    """Women u0…u899 of each thousand return; the other hundred launch for the first time."""
    return f"u{n % 1000}" if n % 1000 < RETURNING else f"new{n}"


# ------------------------------------------------------------------------------- the client
@dataclass
class Server:
    base: str
    issuer: str
    certificate: Path
    clock: stack.Clock
    workers: int
    access_log: Path


@dataclass
class Done:
    index: int
    lag: float  # started this long after its time (the client falling behind)
    seconds: float  # from the login POST to her first page
    ended: float  # since the start of the run
    error: str | None = None


def _client(
    base: str,
    issuer: str,
    certificate: Path,
    plan: list[tuple[int, float]],
    started: float,
    results: Any,
) -> None:
    """One client process: each launch in `plan` (index, due time) starts at its time, from a
    new browser, on one of THREADS threads."""
    todo: queue.SimpleQueue[tuple[int, float]] = queue.SimpleQueue()
    for item in plan:
        todo.put(item)
    done: list[Done] = []
    lock = threading.Lock()

    def work() -> None:
        while True:
            try:
                index, due = todo.get_nowait()
            except queue.Empty:
                return
            wait = started + due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            begun = time.monotonic()
            error = None
            try:
                with stack.client(certificate) as browser:
                    stack.senda_launch(base, issuer, browser, woman(index))
            except Exception as exc:  # counted and shown, never hidden
                error = f"{type(exc).__name__}: {str(exc)[:120]}"
            ended = time.monotonic()
            with lock:
                done.append(
                    Done(index, begun - started - due, ended - begun, ended - started, error)
                )

    # Launches are dealt in time order, so a thread takes the next one due.
    pool = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    results.put(done)


@dataclass
class Run:
    done: list[Done] = field(default_factory=list)
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    client_cpu: float = 0.0
    log_from: int = 0  # nginx's log lines before the run
    worker_seconds: float = 0.0  # per launch, from nginx's log

    @property
    def errors(self) -> list[Done]:
        return [d for d in self.done if d.error]

    def percentile(self, q: float) -> float:
        ordered = sorted(d.seconds for d in self.done if not d.error)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    def cpu_ms_per_launch(self, kind: str | None = None) -> float:
        ok = len(self.done) - len(self.errors)
        total = sum(self.cpu.values()) if kind is None else self.cpu[kind]
        return 1000 * total / ok if ok else float("nan")


def paced(server: Server, due: list[float], during: Any = None) -> Run:
    """Launch i at due[i] seconds from now, from CLIENT_PROCESSES processes (one Python process
    cannot sign tokens and make TLS handshakes fast enough alone); `during(elapsed)` is called
    every second meanwhile (the soak samples memory)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    run = Run(log_from=log_lines(server.access_log))
    before = server.clock.snapshot()
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic() + 1.0  # every process forked before the first launch is due
    clients = [
        context.Process(
            target=_client,
            args=(
                server.base,
                server.issuer,
                server.certificate,
                [(i, t) for i, t in enumerate(due) if i % CLIENT_PROCESSES == k],
                started,
                results,
            ),
        )
        for k in range(CLIENT_PROCESSES)
    ]
    for client in clients:
        client.start()
    pending = len(clients)
    while pending:
        if during:
            during(time.monotonic() - started)
        try:
            run.done += results.get(timeout=1.0)
            pending -= 1
        except queue.Empty:
            if time.monotonic() - started > due[-1] + 300:
                raise RuntimeError("the clients did not finish 5 minutes after the last") from None
    for client in clients:
        client.join()
    run.seconds = max(d.ended for d in run.done)
    run.cpu = stack.Clock.spent(before, server.clock.snapshot())
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.client_cpu = (client_after.ru_utime + client_after.ru_stime) - (
        client_before.ru_utime + client_before.ru_stime
    )
    return run


# ------------------------------------------------------------------------------- the server
def nginx_log(access_log: Path, skip: int = 0) -> tuple[Counter[str], float]:
    """From nginx's own log, after its first `skip` lines: responses by status class (errors
    the client might not see) and the seconds gunicorn spent answering them (a sync worker is
    held for exactly that long)."""
    counts: Counter[str] = Counter()
    upstream = 0.0
    for line in access_log.read_text().splitlines()[skip:]:
        found = re.search(r'" (\d)\d\d \d+ [\d.]+ ([\d.]+|-)$', line)
        if found:
            counts[found.group(1) + "xx"] += 1
            upstream += float(found.group(2)) if found.group(2) != "-" else 0.0
    return counts, upstream


def log_lines(access_log: Path) -> int:
    return len(access_log.read_text().splitlines()) if access_log.exists() else 0


def describe(run: Run, server: Server, title: str) -> bool:
    ok = len(run.done) - len(run.errors)
    report(f"## {title}")
    report("load average after: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    report(
        f"{len(run.done)} launches, {ok} complete, **{len(run.errors)} errors**; the last done at "
        f"{run.seconds:.1f} s; latency p50 {run.percentile(0.5):.0f} ms, p95 "
        f"{run.percentile(0.95):.0f} ms, p99 {run.percentile(0.99):.0f} ms, max "
        f"{run.percentile(1.0):.0f} ms; the client's largest delay in starting one "
        f"{1000 * max(d.lag for d in run.done):.0f} ms"
    )
    for message, count in Counter(d.error for d in run.errors).most_common(5):
        report(f"- error ×{count}: {message}")
    cpu = run.cpu
    report(
        f"server CPU per launch: **{run.cpu_ms_per_launch():.1f} ms** (nginx "
        f"{run.cpu_ms_per_launch('nginx'):.1f} + gunicorn {run.cpu_ms_per_launch('app'):.1f} + "
        f"PostgreSQL {run.cpu_ms_per_launch('postgres'):.1f} + Redis "
        f"{run.cpu_ms_per_launch('redis'):.1f}); the server used "
        f"{sum(cpu.values()) / run.seconds:.2f} cores on average; the load client "
        f"{run.client_cpu / run.seconds:.2f} cores (same machine)"
    )
    statuses, upstream = nginx_log(server.access_log, run.log_from)
    run.worker_seconds = upstream / ok if ok else float("nan")
    report(
        f"nginx's log of the run: responses by class {dict(sorted(statuses.items()))}; a "
        f"gunicorn worker held {1000 * run.worker_seconds:.0f} ms per launch"
    )
    return not run.errors and not statuses.get("5xx")


def capacity(run: Run) -> None:
    """Cores for N women launching in the same minute, from the measured server CPU per launch,
    kept 60 % busy so that a launch seldom waits for a core; gunicorn sync workers: 2 per core
    (a worker is held about twice its own CPU time per launch; the rest is PostgreSQL and
    Redis)."""
    per_launch = run.cpu_ms_per_launch() / 1000
    busy_at = 0.6
    report()
    report(
        f"Capacity, from {per_launch * 1000:.1f} ms of server CPU per launch (nginx, gunicorn, "
        f"PostgreSQL, Redis together), cores kept {busy_at:.0%} busy, 2 sync workers per core:"
    )
    report("| women launching in the same minute | launches/s | cores | gunicorn workers |")
    report("|---|---|---|---|")
    for women in (1_000, 3_000, 10_000, 30_000):
        rate = women / 60
        cores = max(1, math.ceil(rate * per_launch / busy_at))
        report(f"| {women:,} | {rate:.0f} | {cores} | {2 * cores} |")


def start(work: Path) -> Any:
    """nginx + gunicorn (the unit's options) + PostgreSQL + Redis, on loopback."""
    from contextlib import ExitStack

    stack_ = ExitStack()
    issuer = stack_.enter_context(stack.simulator())
    stack_.enter_context(stack.resolving_to_loopback(stack.HOST))
    (work / "metrics").mkdir()
    env = stack.prepare_senda(
        issuer,
        DATABASE_URL,
        REDIS_URL,
        users=RETURNING,
        schema=SCHEMA,
        extra_env={
            "SENDA_PROXY_COUNT": "1",
            "SENDA_METRICS__TOKEN": METRICS_TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
        },
    )
    workers, options = stack.unit_gunicorn_args()
    binary = Path(sys.executable).parent / "gunicorn"
    app, clock = stack_.enter_context(
        stack.gunicorn(binary, "lti_tool.wsgi:app", env, ROOT, workers, options)
    )
    proxy = stack_.enter_context(stack.nginx(app, work / "nginx", worker_processes="auto"))
    clock.nginx = proxy.pid
    server = Server(
        proxy.https, issuer, proxy.certificate, clock, workers, work / "nginx" / "access.log"
    )
    return stack_, server


def warm(server: Server) -> None:
    """A few launches so that every worker has its caches (as after any restart)."""
    due = [0.05 * i for i in range(4 * server.workers)]
    run = paced(server, due)
    if run.errors:
        raise RuntimeError(f"warm-up failed: {run.errors[0].error}")


def machine() -> str:
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    return f"{os.cpu_count()} vCPU ({cpu.group(1).strip() if cpu else 'unknown CPU'}), Linux"


def burst(server: Server) -> bool:
    due = [i * SECONDS / LAUNCHES for i in range(LAUNCHES)]
    run = paced(server, due)
    ok = describe(run, server, f"{LAUNCHES} launches in {SECONDS:.0f} s (make load)")
    finished = len(run.done) == LAUNCHES and run.seconds <= SECONDS + 2
    report(
        f"- {'PASS' if ok and finished else 'FAIL'} {LAUNCHES} complete launches, "
        f"0 errors, all done by {SECONDS + 2:.0f} s"
    )
    capacity(run)
    return ok and finished


def soak(server: Server) -> bool:
    workers = stack.children(server.clock.master)
    samples: list[tuple[float, dict[int, int]]] = []

    def sample(elapsed: float) -> None:
        if elapsed >= len(samples) * SAMPLE_EVERY:
            samples.append((elapsed, {pid: stack.rss_kib(pid) for pid in workers}))

    total = int(SOAK_SECONDS * SOAK_RATE)
    due = [i / SOAK_RATE for i in range(total)]
    run = paced(server, due, sample)
    if run.seconds - samples[-1][0] > 5:  # and one at the end
        samples.append((run.seconds, {pid: stack.rss_kib(pid) for pid in workers}))
    ok = describe(run, server, f"soak: {SOAK_SECONDS / 60:.0f} minutes at {SOAK_RATE:g} launches/s")
    report("Workers' RSS (MiB) every 30 s:")
    report("| s | " + " | ".join(f"worker {n + 1}" for n in range(len(workers))) + " | total |")
    report("|---" * (len(workers) + 2) + "|")
    for elapsed, rss in samples:
        cells = " | ".join(f"{rss[pid] / 1024:.1f}" for pid in workers)
        report(f"| {elapsed:.0f} | {cells} | {sum(rss.values()) / 1024:.1f} |")
    alive = set(stack.children(server.clock.master)) == set(workers)
    after_a_minute = next((rss for elapsed, rss in samples if elapsed >= 60), samples[0][1])
    last = samples[-1][1]
    growth = {pid: last[pid] - after_a_minute[pid] for pid in workers}
    for pid in workers:
        series = [rss[pid] for _elapsed, rss in samples]
        report(
            f"- worker {pid}: first {series[0] / 1024:.1f}, last {series[-1] / 1024:.1f}, max "
            f"{max(series) / 1024:.1f} MiB; since its first minute {growth[pid] / 1024:+.1f} MiB"
        )
    flat = all(g <= FLAT_KIB for g in growth.values())
    report(
        f"- {'PASS' if flat and alive else 'FAIL'} memory flat: no worker grew by more than "
        f"{FLAT_KIB // 1024} MiB after its first minute (largest "
        f"{max(growth.values()) / 1024:+.1f} MiB); the same {len(workers)} workers throughout: "
        f"{alive}"
    )
    report(f"- {'PASS' if ok else 'FAIL'} 0 errors")
    return ok and flat and alive


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "burst"
    if mode not in ("burst", "soak"):
        sys.exit("usage: python -m tests.load burst|soak")
    if not stack.nginx_binary():
        sys.exit("nginx is not installed: `make nginx` installs Debian's (apt-get, as root)")
    with tempfile.TemporaryDirectory(prefix="senda-load-") as folder:
        context, server = start(Path(folder))
        with context:
            report(f"# Load through nginx + gunicorn ({mode}), {time.strftime('%Y-%m-%d %H:%M')}")
            report(
                f"machine: {machine()}; gunicorn {server.workers} sync workers with the options "
                "of deploy/systemd/senda-web.service; nginx with deploy/nginx/senda.conf "
                "(worker_processes auto), TLS 1.3; PostgreSQL and Redis; the load client on the "
                "same machine"
            )
            warm(server)
            report(
                "load average of the machine before the run (other work shares its cores): "
                + ", ".join(f"{x:.1f}" for x in os.getloadavg())
            )
            passed = burst(server) if mode == "burst" else soak(server)
            report()
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    with (artifacts / "load.txt").open("a") as out:
        out.write("\n".join(LINES) + "\n\n")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
