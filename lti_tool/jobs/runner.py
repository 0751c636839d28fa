"""The background worker: delivers grades continuously and runs the periodic jobs (key-set
refresh, retention) at their intervals. `flask --app lti_tool outbox work` runs it as its own
process (one or several); `make run` runs one inside the web process."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

from flask import Flask

from lti_tool.jobs import grade_delivery, key_refresh, retention
from lti_tool.models import db
from lti_tool.settings import settings

log = logging.getLogger(__name__)

PERIODIC: tuple[tuple[str, float, Callable[[], object]], ...] = (
    ("key refresh", key_refresh.INTERVAL_SECONDS, key_refresh.run_once),
    ("retention", retention.INTERVAL_SECONDS, retention.run_once),
)


def settle_heap() -> None:
    """Once, in a worker process of its own, before its loop: everything the process built to
    start (the app, settings, models, the modules' objects) lives as long as it does, so the
    garbage collector stops walking it. Its full collections cost the grade worker about 5 % of
    its CPU (`make bench`, where the grade part does the same before its worker starts)."""
    gc.freeze()


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
