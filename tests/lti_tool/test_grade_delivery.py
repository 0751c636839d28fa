"""One worker, many scores in flight: bounded per platform, over kept-open connections with one
access token, and never two scores of one (participant, link) at once or out of order, even with
rounds overlapping. The claim's plan on a fresh, un-analysed PostgreSQL table."""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from lti_tool.jobs import grade_delivery as worker
from lti_tool.lti import ags
from lti_tool.models import ResourceLink, ScoreOutbox, db
from lti_tool.services import grades
from tests.integration.test_outbox_faults import participant, progress
from tests.support import sim_lms
from tests.support.flaky_lms import FlakyLms
from tests.support.graded_course import graded_course
from tests.support.servers import free_port

CONCURRENCY = 4


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "lti": {"allow_private_urls": True, "http_timeout_seconds": 5},
        "outbox": {
            "backoff_base_seconds": 0.01,
            "backoff_max_seconds": 0.05,
            "lease_seconds": 30,
            "concurrency_per_platform": CONCURRENCY,
        },
    }


@pytest.fixture
def lms() -> Iterator[FlakyLms]:
    gradebook = FlakyLms(free_port())
    gradebook.start()
    yield gradebook
    gradebook.stop()


@pytest.fixture
def course(app: Flask, lms: FlakyLms, imported: int) -> dict[str, int]:
    return graded_course(lms.url)


def statuses() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(ScoreOutbox.status).order_by(ScoreOutbox.id)))


def test_one_worker_keeps_many_scores_in_flight_within_the_bound(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    for n in range(16):
        progress(participant(course, lms, n), "ls-check")
    lms.latency = 0.2  # 16 scores one at a time: 3.2 s
    assert worker.run_once().delivered == 16
    assert lms.max_in_flight == CONCURRENCY  # as many as allowed at once, never more
    assert lms.token_requests == 1  # the threads share one token
    assert statuses() == ["delivered"] * 16


@pytest.fixture
def kept_alive() -> Iterator[str]:
    """The bench's simulated LMS (HTTP/1.1 keep-alive, which Werkzeug's server does not do),
    served in this process, 20 ms away."""
    sim_lms.LATENCY = 0.02
    server = sim_lms.Server(("127.0.0.1", free_port()), sim_lms.Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_connections_and_the_token_are_kept_from_round_to_round(
    app: Flask, kept_alive: str, imported: int
) -> None:
    lms = FlakyLms(0)  # only for participant()'s signature; the gradebook is the simulated one
    course = graded_course(kept_alive)
    before = dict(sim_lms.STATS)
    for n in range(12):
        progress(participant(course, lms, n), "ls-check")
    assert worker.run_once().delivered == 12
    for n in range(12, 24):
        progress(participant(course, lms, n), "ls-check")
    assert worker.run_once().delivered == 12
    seen = {k: sim_lms.STATS[k] - before[k] for k in before}
    assert seen["accepted"] == 24 and seen["refused_409"] == 0
    assert seen["token_requests"] == 1
    # Opened once per thread (the token request took one of them), then kept for every score
    # of both rounds.
    assert seen["connections"] <= CONCURRENCY


def test_scores_of_one_participant_go_one_at_a_time_and_in_order_while_rounds_overlap(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    from tests.conftest import override_settings

    override_settings(app, outbox={"batch_size": 3})  # many small rounds, two in flight
    journeys = [participant(course, lms, n) for n in range(6)]
    lms.latency = 0.05
    deliverer = worker.Deliverer()
    for activity in ("ls-welcome", "ls-story", "ls-check", "ls-strengths"):
        for j in journeys:
            progress(j, activity)  # queued while earlier scores of hers are in flight
        deliverer.step()
    while deliverer.step().claimed:
        pass
    assert set(statuses()) == {"delivered"}
    assert lms.max_in_flight_per_user == 1  # never two of hers at once
    assert lms.posts == len(lms.accepted)  # the LMS refused none as older than what it had
    for n, j in enumerate(journeys):
        hers = [a for a in lms.accepted if a.user_id == f"learner-{n}"]
        stamps = [a.timestamp for a in hers]
        assert len(hers) >= 2 and stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        link = db.session.get(ResourceLink, course["link"])
        assert link is not None
        now = grades.fresh_score(j.enrolment.user_id, link)
        assert now is not None and hers[-1].score_given == now.given  # the latest is her latest


def test_a_claim_looks_past_scores_waiting_behind_one_in_flight(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    journeys = [participant(course, lms, n) for n in range(20)]
    for j in journeys:
        progress(j, "ls-welcome")
    in_flight = worker.claim(20)  # another worker is sending these...
    for j in journeys:
        progress(j, "ls-check")  # ...when each of them makes progress again
    others = [participant(course, lms, n) for n in range(20, 23)]
    for j in others:
        progress(j, "ls-check")  # three others, queued after them
    took = worker.claim(8)  # the first 16 due rows it finds wait behind one in flight
    rows = {r.id: r for r in db.session.scalars(select(ScoreOutbox))}
    assert sorted(rows[i].user_id for i in took) == sorted(j.enrolment.user_id for j in others)
    waiting = [r for r in rows.values() if r.id not in in_flight and r.id not in took]
    assert len(waiting) == 20
    lease_end = max(rows[i].locked_until for i in in_flight if rows[i].locked_until)
    # Moved back to when the score they wait for may be done: later claims do not find them.
    assert all(r.next_attempt_at >= lease_end for r in waiting)
    assert worker.claim(50) == []
    for score_id in in_flight + took:
        assert worker.deliver(score_id) == "delivered"
    # Delivered: those waiting behind them are due at once.
    assert worker.run_once().delivered == 20
    assert lms.posts == len(lms.accepted) == 43


def test_many_scores_of_a_link_without_a_line_item_create_one_line_item(
    app: Flask, lms: FlakyLms, imported: int
) -> None:
    course = graded_course(
        lms.url,
        lineitem_url=None,
        lineitems_url=f"{lms.url}/lineitems",
        ags_scopes=f"{ags.SCORE} {ags.LINEITEM}",
    )
    for n in range(8):
        progress(participant(course, lms, n), "ls-check")
    lms.latency = 0.2  # eight threads would each find none and create one
    assert worker.run_once().delivered == 8
    assert len(lms.lineitems) == 1
    [item] = lms.lineitems
    assert {a.lineitem for a in lms.accepted} == {item["id"].rsplit("/", 1)[1]}
    link = db.session.get(ResourceLink, course["link"])
    assert link is not None and link.lineitem_url == item["id"]


def test_the_claim_plan_walks_the_waiting_index_on_a_fresh_unanalysed_table(app: Flask) -> None:
    """10,000 waiting scores in a table PostgreSQL has never analysed (as after a deploy or a
    restore): before, the planner read every waiting row and checked each for an older one (29
    ms for 50 here; 951 ms with 2,600 waiting rows in production); now it walks the partial
    index and stops after the batch."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner only (SQLite has no statistics to miss)")
    conn = db.session.connection()
    conn.execute(text("DROP SCHEMA IF EXISTS fresh CASCADE"))
    conn.execute(text("CREATE SCHEMA fresh"))
    # A copy of the table with its indexes (their names too), never analysed, and kept so while
    # the test runs.
    conn.execute(
        text(
            "CREATE TABLE fresh.score_outbox "
            "(LIKE public.score_outbox INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
    )
    for (definition,) in conn.execute(
        text("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = :t"),
        {"t": "score_outbox"},
    ).all():
        conn.execute(text(definition.replace(" public.score_outbox ", " fresh.score_outbox ")))
    conn.execute(text("ALTER TABLE fresh.score_outbox SET (autovacuum_enabled = false)"))
    conn.execute(
        text(
            "INSERT INTO fresh.score_outbox (id, platform_id, resource_link_id, user_id, "
            "score_given, score_maximum, activity_progress, grading_progress, comment, "
            "event_at, status, attempts, next_attempt_at, last_error, created_at) "
            "SELECT g, 1, 1 + g % 7, g, 1, 100, 'InProgress', 'FullyGraded', '', now(), "
            "'pending', 0, now() - interval '1 minute' + g * interval '1 millisecond', '', "
            "now() FROM generate_series(1, 10000) g"
        )
    )
    db.session.commit()
    try:
        conn = db.session.connection()
        conn.execute(text("SET LOCAL search_path TO fresh, public"))
        analysed = conn.execute(
            text(
                "SELECT last_analyze, last_autoanalyze FROM pg_stat_user_tables "
                "WHERE schemaname = 'fresh' AND relname = 'score_outbox'"
            )
        ).one()
        assert analysed == (None, None)
        statements: list[tuple[str, Any]] = []

        def keep(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "score_outbox" in statement:
                statements.append((statement, parameters))

        times = []
        event.listen(db.engine, "before_cursor_execute", keep)
        try:
            for _ in range(3):  # the best of three: a busy machine may pause one
                started = time.perf_counter()
                token = worker._claim(50)
                times.append(time.perf_counter() - started)
                claimed = conn.execute(
                    text("SELECT count(*) FROM score_outbox WHERE claim = :t"), {"t": token}
                ).scalar()
                assert claimed == 50
        finally:
            event.remove(db.engine, "before_cursor_execute", keep)
        assert min(times) < 0.05, times
        db.session.rollback()  # the plans below are those of the first claim on the same rows

        conn = db.session.connection()
        conn.execute(text("SET LOCAL search_path TO fresh, public"))
        raw = conn.connection.dbapi_connection
        assert raw is not None
        plans = []
        for statement, parameters in statements[:2]:  # the first claim's two queries
            with worker.walking_the_index(), raw.cursor() as cursor:  # as the claim runs them
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
                plans.append(cursor.fetchone()[0][0])
        due, oldest = plans
        shown = json.dumps(plans, indent=1)
        scan = due["Plan"]["Plans"][0]["Plans"][0]  # Limit -> LockRows -> the scan
        assert (scan["Node Type"], scan["Index Name"]) == (
            "Index Scan",
            "ix_score_outbox_waiting",
        ), shown
        assert scan["Actual Rows"] == 50, shown  # it stopped after the batch
        assert '"Seq Scan"' not in shown and '"Sort"' not in shown, shown
        assert "ix_score_outbox_key" in json.dumps(oldest["Plan"]), shown
        assert due["Execution Time"] + oldest["Execution Time"] < 50, shown
    finally:
        db.session.rollback()
        db.session.execute(text("DROP SCHEMA fresh CASCADE"))
        db.session.commit()


def test_the_worker_loop_keeps_delivering_as_progress_comes_and_stops_cleanly(
    app: Flask, lms: FlakyLms, course: dict[str, int]
) -> None:
    from lti_tool.jobs import runner

    journeys = [participant(course, lms, n) for n in range(10)]
    lms.latency = 0.05
    stop = threading.Event()

    def loop() -> None:
        with app.app_context():
            runner.work(stop, idle_sleep=0.05)

    thread = threading.Thread(target=loop)
    thread.start()
    try:
        for activity in ("ls-welcome", "ls-check"):
            for j in journeys:
                progress(j, activity)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "pending" in statuses():
                time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert set(statuses()) == {"delivered"} and len(statuses()) >= 10
    assert lms.posts == len(lms.accepted) == len(statuses())
    assert lms.max_in_flight_per_user == 1


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="one CPU here (or no affinity): nothing to keep to",
)
@pytest.mark.parametrize("one_cpu", [True, False])
def test_a_worker_process_keeps_its_threads_on_the_cpu_it_starts_on(
    app: Flask, lms: FlakyLms, course: dict[str, int], one_cpu: bool
) -> None:
    """`outbox work` settles its process before its loop: with `outbox.one_cpu`, on one CPU, the
    threads that send the scores included; without it, wherever the kernel puts them. Settled
    in a thread of its own here (affinity is per thread), so the test's own stays as it was."""
    from lti_tool.jobs import runner
    from tests.conftest import override_settings

    override_settings(app, outbox={"one_cpu": one_cpu})
    allowed = os.sched_getaffinity(0)
    for n in range(8):
        progress(participant(course, lms, n), "ls-check")
    seen: dict[str, Any] = {}
    before = set(threading.enumerate())

    def worker_process() -> None:
        with app.app_context():
            seen["cpu"] = runner.settle()
            seen["delivered"] = worker.run_once().delivered
            seen["senders"] = [  # the threads this worker started to send its scores
                os.sched_getaffinity(t.native_id or 0)
                for t in set(threading.enumerate()) - before
                if t.name.startswith("senda-lms-")
            ]

    thread = threading.Thread(target=worker_process)
    thread.start()
    thread.join(timeout=60)
    gc.unfreeze()  # settle froze the test process's heap
    assert seen["delivered"] == 8 and seen["senders"]
    if one_cpu:
        assert seen["cpu"] in allowed
        assert all(cpus == {seen["cpu"]} for cpus in seen["senders"])
    else:
        assert seen["cpu"] is None
        assert all(cpus == allowed for cpus in seen["senders"])
    assert os.sched_getaffinity(0) == allowed
