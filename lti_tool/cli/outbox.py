"""`flask --app lti_tool outbox work|status|retry`: the grade outbox and the worker."""

from __future__ import annotations

import signal
import sys
import threading

import click

from lti_tool.jobs import grade_delivery, runner
from lti_tool.services import grades


@click.group("outbox", help="The durable grade outbox.")
def outbox_cli() -> None:
    pass


@outbox_cli.command("work", help="Deliver scores until stopped (run one or several).")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
def work(once: bool) -> None:
    if once:
        total = grade_delivery.RoundResult()
        while True:
            result = grade_delivery.run_once()
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
    runner.settle()
    runner.work(stop)


@outbox_cli.command("status", help="Scores by status; parked ones with their last error.")
def status() -> None:
    counts = grades.status_counts()
    click.echo(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "empty")
    for row in grades.parked():
        click.echo(f"  parked {row.id}: {row.attempts} attempt(s): {row.last_error}")


@outbox_cli.command("retry", help="Send parked scores again.")
@click.argument("score_ids", nargs=-1, type=int)
@click.option("--all-parked", is_flag=True)
def retry(score_ids: tuple[int, ...], all_parked: bool) -> None:
    ids = list(score_ids)
    if all_parked:
        ids = grades.parked_ids()
    if not ids:
        click.echo("nothing to retry", err=True)
        sys.exit(1)
    done = 0
    for score_id in ids:
        try:
            done += grades.retry(score_id)
        except grades.ScoreNotFound:
            click.echo(f"no score {score_id}", err=True)
    click.echo(f"{done} score(s) queued again")
