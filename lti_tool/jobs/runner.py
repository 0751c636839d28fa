"""The background worker: delivers grades continuously and runs the periodic jobs (key-set
refresh, retention) at their intervals. `flask --app lti_tool outbox work` runs it as its own
process (one or several); `make run` runs one inside the web process."""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from lti_tool.jobs import grade_delivery, key_refresh, retention
from lti_tool.models import db
from lti_tool.settings import settings

log = logging.getLogger(__name__)

PERIODIC: tuple[tuple[str, float, Callable[[], object]], ...] = (
    ("key refresh", key_refresh.INTERVAL_SECONDS, key_refresh.run_once),
    ("retention", retention.INTERVAL_SECONDS, retention.run_once),
)


def settle() -> int | None:
    """Once, in a worker process of its own, before its loop (`outbox work`; `make bench` does the
    same before its worker starts). Returns the CPU it keeps to, if it keeps to one.

    - Everything the process built to start (the app, settings, models, the modules' objects)
      lives as long as it does: the garbage collector stops walking it (`gc.freeze`); its full
      collections cost the grade worker about 5 % of its CPU.
    - With `outbox.one_cpu`, the process stays on the CPU it is on. Its threads take turns holding
      Python's lock (the GIL) at every request they send; spread over CPUs, each turn wakes a
      thread on another CPU (`make bench`, 10,000 scores on loopback: 242,000 context switches
      and 32,000 CPU migrations, against 37,000 and none on one CPU), which cost a third of its
      CPU per score. One CPU loses nothing: only one thread runs Python at a time anyway.
    """
    gc.freeze()
    if not settings().outbox.one_cpu:
        return None
    cpu = keep_to_one_cpu()
    if cpu is not None:
        log.info("outbox worker kept on CPU %d", cpu)
    return cpu


def keep_to_one_cpu() -> int | None:
    """Keep the calling thread, and the threads it starts from now on, on the CPU it runs on
    (Linux); None where there is nothing to choose or no way to."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = os.sched_getaffinity(0)
    if len(allowed) < 2:
        return None
    cpu = _current_cpu()
    if cpu not in allowed:
        cpu = min(allowed)
    os.sched_setaffinity(0, {cpu})
    return cpu


def _current_cpu() -> int | None:
    """The CPU the calling thread last ran on, from /proc (field 39 of its stat line)."""
    try:
        fields = Path("/proc/thread-self/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[36])
    except (OSError, IndexError, ValueError):
        return None


def work(stop: threading.Event, idle_sleep: float | None = None) -> None:
    """Deliver until `stop` is set; run each periodic job when it is due."""
    sleep = idle_sleep if idle_sleep is not None else settings().outbox.poll_seconds
    last_run = {name: 0.0 for name, _interval, _job in PERIODIC}
    deliverer = grade_delivery.Deliverer()
    while not stop.is_set():
        result = grade_delivery.RoundResult()
        try:
            result = deliverer.step()
            for name, interval, job in PERIODIC:
                if time.monotonic() - last_run[name] > interval:
                    last_run[name] = time.monotonic()
                    job()
        except Exception:  # the database may be restarting: wait and go on
            log.exception("worker round failed")
            db.session.rollback()
        finally:
            db.session.remove()
        if not result.claimed:
            stop.wait(sleep)
    try:
        deliverer.close()  # record the answers of the rounds still in flight
    except Exception:  # their leases run out and another round sends them again
        log.exception("worker stopping: rounds in flight not recorded")
        db.session.rollback()
    finally:
        db.session.remove()


_starting = threading.Lock()


def start_in_app(app: Flask) -> None:
    """Development (`make run`): one worker thread inside the web process, once per app."""
    if app.extensions.get("senda_worker"):
        return
    with _starting:
        if app.extensions.get("senda_worker"):
            return
        stop = threading.Event()

        def loop() -> None:
            with app.app_context():
                work(stop)

        thread = threading.Thread(target=loop, name="senda-worker", daemon=True)
        app.extensions["senda_worker"] = (thread, stop)
        thread.start()
