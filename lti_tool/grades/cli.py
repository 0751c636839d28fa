"""`flask --app lti_tool outbox work|status|retry`."""

from __future__ import annotations

import signal
import sys
import threading

import click
from sqlalchemy import func, select

from lti_tool.extensions import db
from lti_tool.grades import worker
from lti_tool.models import ScoreOutbox
from lti_tool.models.outbox import PARKED


@click.group("outbox", help="The durable grade outbox.")
def outbox_cli() -> None:
    pass


@outbox_cli.command("work", help="Deliver scores until stopped (run one or several).")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def work(once: bool) -> None:
    if once:
        total = worker.RoundResult()
        while True:
            result = worker.run_once()
            for field in ("claimed", "delivered", "retried", "parked"):
                setattr(total, field, getattr(total, field) + getattr(result, field))
            if not result.claimed:
                break
        click.echo(f"delivered {total.delivered}, to retry {total.retried}, parked {total.parked}")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    click.echo("outbox worker started (Ctrl-C to stop)")
    worker.work(stop)


@outbox_cli.command("status", help="Scores by status; parked ones with their last error.")
def status() -> None:
    rows = db.session.execute(
        select(ScoreOutbox.status, func.count().label("n")).group_by(ScoreOutbox.status)
    )
    counts: dict[str, int] = {row.status: row.n for row in rows}
    click.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "empty")
    for row in db.session.scalars(
        select(ScoreOutbox).where(ScoreOutbox.status == PARKED).limit(50)
    ):
        click.echo(f"  parked {row.id}: {row.attempts} attempt(s): {row.last_error}")


@outbox_cli.command("retry", help="Send parked scores again.")
@click.argument("score_ids", nargs=-1, type=int)
@click.option("--all-parked", is_flag=True)
def retry(score_ids: tuple[int, ...], all_parked: bool) -> None:
    ids = list(score_ids)
    if all_parked:
        ids = list(db.session.scalars(select(ScoreOutbox.id).where(ScoreOutbox.status == PARKED)))
    if not ids:
        click.echo("nothing to retry", err=True)
        sys.exit(1)
    done = sum(worker.retry(i) for i in ids)
    click.echo(f"{done} score(s) queued again")
