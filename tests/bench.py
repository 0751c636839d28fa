"""`make bench`: Senda's performance targets, measured (not asserted in tests).

1. Launch cost: server CPU per LTI launch (OIDC login + id_token validation + recording), and
   how often a launch calls the LMS. Compared with pylti1p3's own Flask example set-up, which
   fetches the platform's key set on every launch.
2. Content validation time of the whole curriculum (target: under 2 s).
3. Participant pages: SQL queries and compressed bytes per page, with a cohort of 200.
4. Grade delivery: scores per second from one worker with and without access-token reuse,
   against a gradebook on loopback, and the time to drain a backlog of 10,000 scores.

Results are printed and written to tests/artifacts/bench.txt.
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
from sqlalchemy import event, select, text

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
def bench_grades(tmp: Path) -> None:
    from lti_tool.jobs import grade_delivery as worker
    from lti_tool.lti import ags, keys
    from lti_tool.models import (
        Deployment,
        LmsContext,
        LtiUser,
        Platform,
        ResourceLink,
        ScoreOutbox,
        utcnow,
    )
    from tests.support.flaky_lms import FlakyLms
    from tests.support.servers import free_port

    report("## 4. Grade delivery from one worker to a gradebook on loopback")
    lms = FlakyLms(free_port())
    lms.start()
    app = make_app(tmp / "grades", outbox={"batch_size": 200})
    try:
        with app.app_context():
            keys.ensure_current_key()
            platform = Platform(
                issuer="https://lms.example.edu", client_id="c", auth_login_url=lms.url + "/auth",
                auth_token_url=lms.url + "/token", key_set_url=lms.url + "/jwks",
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
                lineitem_url=lms.url + "/lineitems/1",
                ags_scopes="https://purl.imsglobal.org/spec/lti-ags/scope/score",
            )  # fmt: skip
            db.session.add(link)
            db.session.flush()
            users = []
            for n in range(int(__import__("os").environ.get("BENCH_USERS", "10000"))):
                users.append(LtiUser(platform_id=platform.id, sub=f"u{n}", name=""))
            db.session.add_all(users)
            db.session.commit()
            user_ids = [u.id for u in users]
            platform_id, link_id = platform.id, link.id
            db.session.expunge_all()  # as a worker process starts: an empty session

            def enqueue(count: int) -> None:
                db.session.execute(text("DELETE FROM score_outbox"))
                now = utcnow()
                db.session.execute(
                    ScoreOutbox.__table__.insert(),
                    [
                        {
                            "platform_id": platform_id,
                            "resource_link_id": link_id,
                            "user_id": user_ids[i],
                            "pending_key": None,
                            "score_given": 50.0,
                            "score_maximum": 100.0,
                            "activity_progress": "InProgress",
                            "grading_progress": "FullyGraded",
                            "comment": "",
                            "event_at": now,
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "last_error": "",
                            "created_at": now,
                        }
                        for i in range(count)
                    ],
                )
                db.session.commit()
                lms.accepted.clear()

            for reuse in (True, False):
                ags.SendaServiceConnector.reuse_tokens = reuse
                ags.forget_memo()
                enqueue(500)
                tokens_before = lms.token_requests
                start = time.perf_counter()
                while db.session.scalar(
                    select(ScoreOutbox.id).where(ScoreOutbox.status == "pending").limit(1)
                ):
                    worker.run_once()
                elapsed = time.perf_counter() - start
                report(
                    f"token reuse {'on ' if reuse else 'off'}: {500 / elapsed:7.1f} scores/s "
                    f"({lms.token_requests - tokens_before} token requests for 500 scores)"
                )
            ags.SendaServiceConnector.reuse_tokens = True
            enqueue(int(__import__("os").environ.get("BENCH_USERS", "10000")))
            start = time.perf_counter()
            while db.session.scalar(
                select(ScoreOutbox.id).where(ScoreOutbox.status == "pending").limit(1)
            ):
                worker.run_once()
            elapsed = time.perf_counter() - start
            report(
                f"backlog of 10,000 scores drained in {elapsed:.1f} s by one worker "
                f"({10_000 / elapsed:.0f} scores/s; accepted by the gradebook: {len(lms.accepted)})"
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
        bench_launch(tmp)
        bench_validate()
        bench_pages(tmp)
        bench_grades(tmp)
    out = ROOT / "tests" / "artifacts" / "bench.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(LINES) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
