"""`make bench`: Senda's performance targets, measured (not asserted in tests).

1. Launch cost: server CPU per LTI launch (OIDC login + id_token validation + recording), and
   how often a launch calls the LMS. Compared with pylti1p3's own Flask example set-up, which
   fetches the platform's key set on every launch.
2. Content validation time of the whole curriculum (target: under 2 s).
3. Participant pages: SQL queries and compressed bytes per page, with a cohort of 200.
4. Grade delivery: scores per second from one worker to a simulated LMS (its own process) on
   loopback and 50 ms away, beside a bare pylti1p3 loop at the same distances.

Results are printed and written to tests/artifacts/bench.txt. `SENDA_BENCH_ONLY=grades` (or a
comma-separated list of launch, validate, pages, grades) runs only those parts and writes
tests/artifacts/bench-<parts>.txt instead.
"""

from __future__ import annotations

import gzip
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import responses
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, func, select, text, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lti_tool import create_app  # noqa: E402
from lti_tool.models import db  # noqa: E402
from tests.support.keys import platform_key  # noqa: E402
from tests.support.lti import Launcher, TestPlatform  # noqa: E402

LINES: list[str] = []
CONTENT = Path(os.environ.get("SENDA_BENCH_CONTENT", ROOT / "content"))
LMS_LATENCY = 0.050  # the LMS is 50 ms away


def report(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def make_app(tmp: Path, **extra: Any) -> Flask:
    settings: dict[str, Any] = {
        "secret_key": "bench",
        "database_url": f"sqlite:///{tmp / 'bench.db'}",
        "content_path": str(CONTENT),
        "lti": {"allow_private_urls": True},
    }
    settings.update(extra)
    app = create_app(settings)
    with app.app_context():
        upgrade(directory=str(ROOT / "lti_tool" / "migrations"))
    return app


def register(app: Flask, store_keys: bool = True) -> TestPlatform:
    from lti_tool.models import Deployment, Platform

    key = platform_key("bench")
    with app.app_context():
        platform = Platform(
            issuer="https://lms.example.edu",
            client_id="bench-client",
            auth_login_url="https://lms.example.edu/auth",
            auth_token_url="https://lms.example.edu/token",
            key_set_url="https://lms.example.edu/jwks",
            key_set=key.key_set() if store_keys else None,
        )
        db.session.add(platform)
        db.session.flush()
        db.session.add(Deployment(platform_id=platform.id, deployment_id="d-1"))
        db.session.commit()
        return TestPlatform(platform.issuer, platform.client_id, "d-1", key, platform.id)


class ServerClock:
    """Sums the CPU time spent inside the app (not in the test's platform, which signs tokens)."""

    def __init__(self, app: Flask) -> None:
        self.total = 0.0
        inner = app.wsgi_app

        def timed(environ: Any, start_response: Any) -> Any:
            start = time.process_time()
            try:
                return list(inner(environ, start_response))
            finally:
                self.total += time.process_time() - start

        app.wsgi_app = timed  # type: ignore[method-assign]


def cpu_ms(clock: ServerClock, action: Callable[[], Any], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        before = clock.total
        action()
        samples.append((clock.total - before) * 1000)
    return samples


# ---------------------------------------------------------------------------------- launch
def senda_launch_ms(tmp: Path, **extra: Any) -> tuple[float, int]:
    app = make_app(tmp, **extra)
    platform = register(app)
    clock = ServerClock(app)
    launcher = Launcher(app.test_client(), platform)
    calls = {"n": 0}

    def jwks(_request: Any) -> tuple[int, dict[str, str], str]:
        calls["n"] += 1
        return 200, {}, "{}"

    with app.app_context(), responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, platform.issuer + "/jwks", callback=jwks)
        n = 0

        def one() -> None:
            nonlocal n
            n += 1
            response = launcher.launch("participant", sub=f"learner-{n % 50}")
            assert response.status_code == 302, response.data[:300]

        for _ in range(30):
            one()  # warm up the per-process caches
        samples = cpu_ms(clock, one, 300)
    return statistics.median(samples), calls["n"]


def bench_launch(tmp: Path) -> None:
    report("## 1. Launch cost (OIDC login + launch: server CPU per launch, median of 300)")
    senda, calls = senda_launch_ms(tmp / "senda")
    report(
        f"Senda, SQLite state store:  {senda:.2f} ms CPU per launch; calls to the LMS: {calls} in 330"
    )
    redis_url = os.environ.get("SENDA_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
    except Exception:
        report("Senda, Redis state store:   (no Redis reachable; skipped)")
    else:
        (tmp / "senda-redis").mkdir()
        with_redis, calls = senda_launch_ms(tmp / "senda-redis", redis_url=redis_url)
        report(
            f"Senda, Redis state store:   {with_redis:.2f} ms CPU per launch; calls to the LMS: {calls} in 330"
        )
    report(
        f"  never waits on the LMS: at 50 ms LMS latency, ~{1000 / senda:.0f} launches/s per core"
    )
    example_ms, example_calls = bench_pylti1p3_example(tmp)
    report(
        f"pylti1p3 Flask example set-up: {example_ms:.2f} ms CPU per launch; fetches the key set on "
        f"{example_calls} of 300 launches"
    )
    report(
        f"  at 50 ms LMS latency: ~{1000 / (example_ms + LMS_LATENCY * 1000):.0f} launches/s per worker "
        "(each launch waits for the LMS)"
    )
    report()


def bench_pylti1p3_example(tmp: Path) -> tuple[float, int]:
    """pylti1p3's Flask example, reduced to login + launch: ToolConfDict, Flask session state,
    and the key set fetched from the platform on every launch (its default)."""
    import jwt
    from flask import Flask as PlainFlask
    from flask import request
    from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
    from pylti1p3.tool_config import ToolConfDict

    key = platform_key("bench")
    config = ToolConfDict(
        {
            "https://lms.example.edu": [
                {
                    "default": True,
                    "client_id": "bench-client",
                    "auth_login_url": "https://lms.example.edu/auth",
                    "auth_token_url": "https://lms.example.edu/token",
                    "key_set_url": "https://lms.example.edu/jwks",
                    "deployment_ids": ["d-1"],
                }
            ]
        }
    )
    example = PlainFlask("example")
    example.secret_key = "example"
    clock = ServerClock(example)

    @example.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        oidc = FlaskOIDCLogin(FlaskRequest(), config)
        return oidc.redirect(request.args["target_link_uri"])

    @example.post("/launch")
    def launch() -> Any:
        message_launch = FlaskMessageLaunch(FlaskRequest(), config)
        data = message_launch.get_launch_data()
        return data["sub"]

    fetches = {"n": 0}

    def jwks(_request: Any) -> tuple[int, dict[str, str], str]:
        fetches["n"] += 1
        import json

        return 200, {}, json.dumps(key.key_set())

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, "https://lms.example.edu/jwks", callback=jwks)

        def one() -> None:
            from urllib.parse import parse_qs, urlsplit

            client = example.test_client()  # a browser's fresh session, as in the LMS's iframe
            login = client.get(
                "/login",
                query_string={
                    "iss": "https://lms.example.edu",
                    "login_hint": "u",
                    "target_link_uri": "http://localhost/launch",
                    "client_id": "bench-client",
                },
            )
            query = parse_qs(urlsplit(login.headers["Location"]).query)
            now = int(time.time())
            body = {
                "iss": "https://lms.example.edu",
                "aud": "bench-client",
                "sub": "u-1",
                "iat": now,
                "exp": now + 300,
                "nonce": query["nonce"][0],
                "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiResourceLinkRequest",
                "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
                "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "d-1",
                "https://purl.imsglobal.org/spec/lti/claim/roles": [],
                "https://purl.imsglobal.org/spec/lti/claim/resource_link": {"id": "r"},
            }
            token = jwt.encode(body, key.private, algorithm="RS256", headers={"kid": key.kid})
            response = client.post("/launch", data={"id_token": token, "state": query["state"][0]})
            assert response.status_code == 200, response.data[:300]

        for _ in range(30):
            one()
        fetches["n"] = 0
        samples = cpu_ms(clock, one, 300)
    return statistics.median(samples), fetches["n"]


# --------------------------------------------------------------------------------- content
def bench_validate() -> None:
    from courses.authoring.tree import compile_tree

    report("## 2. Content validation of the whole curriculum (target < 2 s)")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        document, errors = compile_tree(CONTENT)
        times.append(time.perf_counter() - start)
    report(
        f"{len(document['activities'])} activities, {len(errors)} problems: "
        f"median {statistics.median(times):.3f} s, worst {max(times):.3f} s"
    )
    report()


# ----------------------------------------------------------------------------------- pages
def bench_pages(tmp: Path) -> None:
    from tests.support.journey import intake

    report("## 3. Participant pages with a cohort of 200 (target: <= 8 SQL queries, <= 60 KB gzip)")
    app = make_app(tmp / "pages")
    platform = register(app)
    client = app.test_client()
    launcher = Launcher(client, platform)
    with app.app_context():
        from lti_tool.services import content

        content.import_tree()
        for n in range(200):
            launcher.launch("participant", sub=f"p-{n}", name=f"Participante {n}")
            intake(client)
        catalogue = content.latest_catalogue()[1]  # type: ignore[index]
        from lti_tool.models import Enrolment

        enrolment = db.session.scalar(select(Enrolment).limit(1))
        assert enrolment is not None
        first_course = enrolment.course_ids[0]
        by_kind = {}
        for activity in catalogue.course_activities(first_course):
            by_kind.setdefault(activity.kind, activity.id)
        css = len(gzip.compress((ROOT / "static/css/senda.css").read_bytes()))
        js = len(gzip.compress((ROOT / "static/js/worksheet.js").read_bytes()))
        paths = ["/plan", f"/courses/{first_course}", "/privacy"] + [
            f"/activities/{a}" for a in by_kind.values()
        ]
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        for path in paths:
            client.get(path)
            statements.clear()
            event.listen(db.engine, "before_cursor_execute", count)
            response = client.get(path)
            event.remove(db.engine, "before_cursor_execute", count)
            html = len(gzip.compress(response.data))
            report(
                f"{path:<45} {response.status_code}  {len(statements)} queries  "
                f"{html + css + js:>6} bytes gzip (HTML {html}, CSS {css}, JS {js})"
            )
        launcher.launch("facilitator", sub="f-1")
        client.get("/cohort")
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        response = client.get("/cohort")
        event.remove(db.engine, "before_cursor_execute", count)
        report(
            f"{'/cohort (facilitator, 200 participants)':<45} {response.status_code}  "
            f"{len(statements)} queries  {len(gzip.compress(response.data)) + css} bytes gzip"
        )
    report()


# ---------------------------------------------------------------------------------- grades
# Scores per second from one worker, by the LMS's distance (seconds of latency per request).
GRADE_TARGETS = {0.0: 1000.0, LMS_LATENCY: 500.0}
GRADE_SCORES = {0.0: 10_000, LMS_LATENCY: 5_000}  # scores sent by the worker at each distance
BARE_SCORES = {0.0: 500, LMS_LATENCY: 60}  # by the bare pylti1p3 loop (one at a time)


class SimulatedLms:
    """tests/support/sim_lms.py in a process of its own, `latency` seconds away."""

    def __init__(self, latency: float) -> None:
        import subprocess

        from tests.support.servers import free_port

        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            [sys.executable, "-m", "tests.support.sim_lms", str(port), str(latency)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def cpu_seconds(self) -> float:
        """CPU time the simulated LMS has used so far (Linux: /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stats(self) -> dict[str, int]:
        import requests

        answer: dict[str, int] = requests.get(self.url + "/stats", timeout=10).json()
        return answer

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def bare_pylti1p3_rate(lms_url: str, count: int) -> float:
    """pylti1p3 as its documentation shows it: one AssignmentsGradesService, put_grade in a
    loop, one request at a time (its requests.Session keeps the connection; the token is cached
    in a dictionary)."""
    from datetime import UTC, datetime

    from pylti1p3.assignments_grades import AssignmentsGradesService
    from pylti1p3.grade import Grade
    from pylti1p3.registration import Registration
    from pylti1p3.service_connector import ServiceConnector

    tokens: dict[str, str] = {}

    class DictConnector(ServiceConnector):
        def _get_cached_access_token(self, scope_key: str) -> str | None:
            return tokens.get(scope_key)

        def _cache_access_token(self, scope_key: str, token: str, expires_in: float) -> None:
            tokens[scope_key] = token

    registration = (
        Registration()
        .set_issuer("https://lms.example.edu")
        .set_client_id("bare")
        .set_auth_token_url(lms_url + "/token")
        .set_tool_private_key(platform_key("bench").pem)
    )
    service = AssignmentsGradesService(
        DictConnector(registration),
        {
            "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
            "lineitem": lms_url + "/lineitems/bare",
        },
    )
    start = time.perf_counter()
    for n in range(count):
        grade = (
            Grade()
            .set_user_id(f"bare-{n}")
            .set_score_given(50.0)
            .set_score_maximum(100.0)
            .set_activity_progress("InProgress")
            .set_grading_progress("FullyGraded")
            .set_timestamp(datetime.now(UTC).isoformat(timespec="milliseconds"))
        )
        service.put_grade(grade)
    return count / (time.perf_counter() - start)


def bench_grades(tmp: Path) -> None:
    from lti_tool.jobs import grade_delivery as worker
    from lti_tool.jobs import runner
    from lti_tool.lti import keys
    from lti_tool.models import (
        ActivityProgress,
        Deployment,
        Enrolment,
        LmsContext,
        LtiUser,
        Platform,
        ResourceLink,
        ScoreOutbox,
        utcnow,
    )
    from lti_tool.services import content
    from lti_tool.settings import settings

    report(
        "## 4. Grade delivery from one worker to a simulated LMS in its own process "
        "(targets: >= 1,000 scores/s on loopback, >= 500/s with the LMS 50 ms away)"
    )
    app = make_app(tmp / "grades")
    users_count = max(GRADE_SCORES.values())
    with app.app_context():
        keys.ensure_current_key()
        content.import_tree()
        found = content.latest_catalogue()
        assert found is not None
        version_id, catalogue = found
        pathway = next(iter(catalogue.pathways.values()))
        course_ids = list(pathway.levels[0].course_ids)
        graded = catalogue.course_activities(course_ids[0])
        platform = Platform(
            issuer="https://lms.example.edu", client_id="c", auth_login_url="http://127.0.0.1/auth",
            auth_token_url="http://127.0.0.1/token", key_set_url="http://127.0.0.1/jwks",
        )  # fmt: skip
        db.session.add(platform)
        db.session.flush()
        deployment = Deployment(platform_id=platform.id, deployment_id="d")
        db.session.add(deployment)
        db.session.flush()
        context = LmsContext(deployment_id=deployment.id, context_id="c")
        db.session.add(context)
        db.session.flush()
        link = ResourceLink(
            deployment_id=deployment.id, context_id=context.id, resource_link_id="l",
            target=f"course:{course_ids[0]}", title="Curso",
            ags_scopes="https://purl.imsglobal.org/spec/lti-ags/scope/score",
        )  # fmt: skip
        db.session.add(link)
        db.session.commit()
        platform_id, link_id, context_id = platform.id, link.id, context.id
        now = utcnow()
        db.session.execute(
            LtiUser.__table__.insert(),
            [{"platform_id": platform_id, "sub": f"u{n}", "name": ""} for n in range(users_count)],
        )
        user_ids = list(db.session.scalars(select(LtiUser.id).order_by(LtiUser.id)))
        # Every participant is enrolled with some progress: the worker recomputes each score
        # from her committed progress, as in production.
        db.session.execute(
            Enrolment.__table__.insert(),
            [
                {"user_id": u, "context_id": context_id, "content_version_id": version_id,
                 "pathway_id": pathway.id, "level": pathway.levels[0].id,
                 "course_ids": course_ids, "answers": {}}
                for u in user_ids
            ],
        )  # fmt: skip
        enrolment_ids = list(db.session.scalars(select(Enrolment.id)))
        db.session.execute(
            ActivityProgress.__table__.insert(),
            [
                {"enrolment_id": e, "activity_id": a.id, "completed": True, "data": {},
                 "completed_at": now}
                for e in enrolment_ids
                for a in graded[:2]
            ],
        )  # fmt: skip
        db.session.commit()
        db.session.expunge_all()  # as a worker process starts: an empty session

        # Queued as the app queues them: the value her progress gives (the worker computes it
        # again before sending, and sends the new value if it changed meanwhile).
        from courses.grading import link_score
        from courses.links import LinkTarget
        from courses.progression import ActivityState

        score = link_score(
            LinkTarget.parse(f"course:{course_ids[0]}"),
            catalogue,
            pathway.id,
            course_ids,
            {a.id: ActivityState(True, None) for a in graded[:2]},
        )
        assert score is not None

        def enqueue(count: int) -> None:
            db.session.execute(text("DELETE FROM score_outbox"))
            stamp = utcnow()
            db.session.execute(
                ScoreOutbox.__table__.insert(),
                [
                    {
                        "platform_id": platform_id,
                        "resource_link_id": link_id,
                        "user_id": user_ids[i],
                        "pending_key": None,
                        "score_given": score.given,
                        "score_maximum": score.maximum,
                        "activity_progress": score.activity_progress,
                        "grading_progress": "FullyGraded",
                        "comment": score.comment(),
                        "event_at": stamp,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": stamp,
                        "last_error": "",
                        "created_at": stamp,
                    }
                    for i in range(count)
                ],
            )
            db.session.commit()

        report(
            f"one worker: batch_size {settings().outbox.batch_size}, "
            f"concurrency_per_platform {settings().outbox.concurrency_per_platform}; "
            "each score recomputed from the participant's progress before it is sent"
        )
        for latency, count in GRADE_SCORES.items():
            where = "on loopback" if not latency else f"{latency * 1000:.0f} ms away"
            lms = SimulatedLms(latency)
            try:
                bare = bare_pylti1p3_rate(lms.url, BARE_SCORES[latency])
                db.session.execute(
                    update(Platform)
                    .where(Platform.id == platform_id)
                    .values(auth_token_url=lms.url + "/token")
                )
                db.session.execute(
                    update(ResourceLink)
                    .where(ResourceLink.id == link_id)
                    .values(lineitem_url=lms.url + "/lineitems/1")
                )
                enqueue(count)
                before = lms.stats()
                lms_cpu = lms.cpu_seconds()
                load = os.getloadavg()[0]
                allowed = os.sched_getaffinity(0)
                kept_on = runner.settle()  # as `flask outbox work` does before its loop
                cpu = time.process_time()
                start = time.perf_counter()
                rounds = 0
                deliverer = worker.Deliverer()  # what `flask outbox work` runs
                while deliverer.step().claimed:
                    rounds += 1
                elapsed = time.perf_counter() - start
                cpu = time.process_time() - cpu
                os.sched_setaffinity(0, allowed)  # the next simulated LMS may use any CPU
                lms_cpu = lms.cpu_seconds() - lms_cpu
                after = lms.stats()
                delivered = db.session.scalar(
                    select(func.count())
                    .select_from(ScoreOutbox)
                    .where(ScoreOutbox.status == "delivered")
                )
                db.session.commit()
                change = {k: after[k] - before[k] for k in after}
                rate = count / elapsed
                target = GRADE_TARGETS[latency]
                report(f"LMS {where}:")
                report(f"  bare pylti1p3 loop (one request at a time): {bare:7.1f} scores/s")
                report(
                    f"  Senda, one worker: {rate:7.1f} scores/s ({count} scores in {elapsed:.1f} "
                    f"s, {rounds} rounds; delivered {delivered}, accepted by the LMS "
                    f"{change['accepted']}, refused {change['refused_409']} as out of order; "
                    f"{change['token_requests']} token request(s), {change['connections']} "
                    f"connections opened)"
                )
                report(
                    f"  CPU per score: worker {cpu / count * 1000:.2f} ms (all its threads, "
                    f"{'on CPU ' + str(kept_on) if kept_on is not None else 'on any CPU'}; "
                    f"{cpu / elapsed * 100:.0f} % of one core), simulated LMS "
                    f"{lms_cpu / count * 1000:.2f} ms; load average {load:.1f} on "
                    f"{os.cpu_count()} CPU(s) when it started"
                )
                report(
                    f"  target >= {target:,.0f} scores/s: "
                    f"{'met' if rate >= target else 'NOT MET'} ({rate / bare:.0f}x the bare loop)"
                )
            finally:
                lms.stop()
    report()


def main() -> None:
    os.environ.pop("SENDA_CONFIG", None)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for sub in ("senda", "pages", "grades", "example"):
            (tmp / sub).mkdir()
        report("# Senda benchmark")
        report(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s)")
        report()
        parts: dict[str, Callable[[], None]] = {
            "launch": lambda: bench_launch(tmp),
            "validate": bench_validate,
            "pages": lambda: bench_pages(tmp),
            "grades": lambda: bench_grades(tmp),
        }
        only = [p for p in os.environ.get("SENDA_BENCH_ONLY", "").split(",") if p]
        unknown = set(only) - set(parts)
        if unknown:
            raise SystemExit(f"SENDA_BENCH_ONLY: no part named {', '.join(sorted(unknown))}")
        for name, part in parts.items():
            if not only or name in only:
                part()
    name = "bench.txt" if not only else f"bench-{'-'.join(only)}.txt"
    out = ROOT / "tests" / "artifacts" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(LINES) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
