"""`make bench`: the programme report over 100,000 participants on PostgreSQL (target: < 1 s).

Builds the synthetic programme (tests/support/synthetic.py) with 100,000 women in a schema of its
own (`senda_bench_reports`, dropped and rebuilt each run) of the PostgreSQL database named by
SENDA_BENCH_DATABASE_URL (default: the local `test` database, user postgres, trust auth), then
times the whole report (every query, the decryption of the group keys, the suppression of every
table) and a filtered one, as the programme team's page asks for them. Nothing here is asserted:
the numbers are printed and appended to tests/artifacts/bench.txt.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, event, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lti_tool import create_app  # noqa: E402
from lti_tool.actor import Role  # noqa: E402
from lti_tool.models import DEFAULT_PROGRAMME_ID, Grant, LtiUser, Platform, db  # noqa: E402
from lti_tool.services import content, reports  # noqa: E402
from tests.factories import actor_of  # noqa: E402
from tests.support import synthetic  # noqa: E402

SCHEMA = "senda_bench_reports"
BASE_URL = os.environ.get(
    "SENDA_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PARTICIPANTS = int(os.environ.get("SENDA_BENCH_PARTICIPANTS", "100000"))
KEY = "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktYmU="


def main() -> None:
    admin = create_engine(BASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    admin.dispose()
    separator = "&" if "?" in BASE_URL else "?"
    app = create_app(
        {
            "secret_key": "bench",
            "database_url": f"{BASE_URL}{separator}options=-csearch_path%3D{SCHEMA}",
            "content_path": str(ROOT / "content"),
            "privacy": {"encryption_keys": [KEY]},
        }
    )
    lines: list[str] = []

    def report(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    with app.app_context():
        upgrade(directory=str(ROOT / "lti_tool" / "migrations"))
        version = content.import_tree().version_id
        catalogue = content.catalogue(version)
        started = time.perf_counter()
        syn = synthetic.build(PARTICIPANTS, catalogue, version, seed=100)
        built = time.perf_counter() - started
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        rows = {
            table: db.session.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in (
                "enrolment",
                "demographics",
                "attendance",
                "follow_up",
                "follow_up_answer",
            )
        }
        platform_id = db.session.scalar(select(func.min(Platform.id)))
        person = LtiUser(platform_id=platform_id, sub="bench-team", name="Equipo")
        db.session.add(person)
        db.session.flush()
        db.session.add(
            Grant(
                programme_id=DEFAULT_PROGRAMME_ID, user_id=person.id, role=Role.PROGRAMME_TEAM.value
            )
        )
        db.session.commit()
        actor = actor_of(person, None, Role.FACILITATOR)

        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        def timed(filters: reports.Filters, runs: int = 5) -> tuple[float, float, int]:
            times = []
            for _ in range(runs):
                statements.clear()
                event.listen(db.engine, "before_cursor_execute", count)
                with app.test_request_context("/programme/reports"):
                    start = time.perf_counter()
                    result = reports.report(actor, filters)
                    times.append(time.perf_counter() - start)
                event.remove(db.engine, "before_cursor_execute", count)
                db.session.remove()
            assert result.headlines
            return times[0], statistics.median(times[1:]), len(statements)

        whole = timed(reports.Filters())
        regional = timed(reports.Filters(region="metropolitana", pathway="entrepreneurship"))
        cohort = timed(reports.Filters(cohort_id=next(iter(syn.cohorts))))

    report("")
    report(f"Programme report on PostgreSQL, {PARTICIPANTS:,} participants")
    report(f"  built in {built:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    for name, (first, median, queries) in (
        ("whole programme", whole),
        ("region + pathway filter", regional),
        ("one cohort", cohort),
    ):
        verdict = "OK" if median < 1.0 else "OVER the 1 s target"
        report(
            f"  {name:<24} first {first * 1000:7.0f} ms, then median {median * 1000:7.0f} ms "
            f"({queries} SQL statements)  {verdict}"
        )
    artifacts = ROOT / "tests" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    with (artifacts / "bench.txt").open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    admin = create_engine(BASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


if __name__ == "__main__":
    main()
