"""Senda: an LTI 1.3 tool for the pathways of Second Chance Education in Chile.

`create_app()` builds the Flask application: settings, extensions, blueprints and CLI commands.
Nothing touches the database at import or creation time; `flask db upgrade` migrates explicitly.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from lti_tool.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(app: Flask, configured: str | None) -> str:
    """The configured key; otherwise one generated once into the instance folder (fine for a
    single machine; set SENDA_SECRET_KEY when several machines serve Senda)."""
    if configured:
        return configured
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


# A pooled connection used less than this long ago is trusted without a round trip to the server.
IDLE_BEFORE_PING_SECONDS = 10.0


def _tune_engine(app: Flask) -> None:
    """SQLite serves web threads and the grade worker at once: WAL lets readers and one writer
    work together, and a busy timeout makes writers wait, not fail. A server database gets a
    liveness check on checkout only for a connection that sat idle (pool_pre_ping would add a
    round trip to every request; a connection that just worked is alive, and one that broke
    while in use invalidates the whole pool anyway)."""
    from sqlalchemy import event, exc

    from lti_tool.models import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":

        def pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        event.listen(engine, "connect", pragmas)
        return

    def used_now(_connection: Any, record: Any) -> None:
        record.info["used_at"] = time.monotonic()

    def check_if_idle(connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("used_at", 0.0) < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(connection)
        except Exception as error:  # any failure: let the pool replace the connection
            raise exc.DisconnectionError() from error
        if not alive:
            raise exc.DisconnectionError()

    event.listen(engine, "connect", used_now)
    event.listen(engine, "checkin", used_now)
    event.listen(engine, "checkout", check_if_idle)
    if engine.dialect.driver == "psycopg":
        _end_reads_with_commit(engine)


def _end_reads_with_commit(engine: Any) -> None:
    """A transaction that only read ends with COMMIT rather than ROLLBACK (the same for data
    that only was read). psycopg forgets every prepared statement of a connection when it rolls
    back, so with every request ending in a rollback no statement was ever prepared: PostgreSQL
    planned each of a page's queries anew, about 0.8 ms of its CPU for her plan's. A transaction
    that wrote, failed or ran anything but a SELECT still rolls back."""
    from psycopg.pq import TransactionStatus
    from sqlalchemy import event
    from sqlalchemy.engine import Connection

    def began(connection: Connection) -> None:
        connection.info["senda_read_only"] = True

    def executing(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if connection.info.get("senda_read_only") and not _is_select(statement):
            connection.info["senda_read_only"] = False

    def rolling_back(connection: Connection) -> None:
        if connection.closed or connection.invalidated or not connection.connection.is_valid:
            return  # a broken connection: the pool's own handling, unchanged
        pooled = connection.connection
        dbapi = pooled.dbapi_connection
        if not pooled.info.pop("senda_read_only", False) or dbapi is None:
            return
        # INTRANS: a transaction open and healthy (not failed, not already over).
        if dbapi.info.transaction_status == TransactionStatus.INTRANS:
            with suppress(Exception):  # the rollback that follows deals with a failure
                dbapi.commit()  # and then finds nothing to roll back

    event.listen(engine, "begin", began)
    event.listen(engine, "before_cursor_execute", executing)
    event.listen(engine, "rollback", rolling_back)
    event.listen(engine, "commit", lambda connection: connection.info.pop("senda_read_only", None))


def _is_select(statement: str) -> bool:
    return statement.lstrip()[:6].upper() == "SELECT"


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `overrides` (used by tests) take precedence over file and environment."""
    config = load_settings(overrides=overrides)
    app = Flask(
        __name__,
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
        instance_path=str(ROOT / "instance"),
    )
    app.config["SENDA"] = config
    app.config.update(
        SECRET_KEY=_secret_key(app, config.secret_key),
        SQLALCHEMY_DATABASE_URI=config.database_url
        or f"sqlite:///{Path(app.instance_path) / 'senda.db'}",
        # hide_parameters: a database error never writes names or answers into a log line.
        SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": True},
        SESSION_COOKIE_NAME="senda_session",
        SESSION_COOKIE_HTTPONLY=True,
        # The session's life is counted from the launch that opened it (web/session.py).
        SESSION_REFRESH_EACH_REQUEST=False,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.session_lifetime_minutes),
        # Generous for worksheets; the launch view applies its own 64 KB limit.
        MAX_CONTENT_LENGTH=512 * 1024,
        BABEL_DEFAULT_LOCALE=config.default_locale,
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        BABEL_DEFAULT_TIMEZONE="America/Santiago",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=False,  # LMS iframes post with cross-site referrers
        TEMPLATES_AUTO_RELOAD=False,
        DEBUG=False,
    )
    if config.proxy_count:
        n = config.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]

    # Every table is part of the schema everywhere: the sensitive ones (reached only through
    # services/privacy.py) and the demo LMS's (used only when the demo is on).
    from lti_tool import cli, web
    from lti_tool.demo import models as _demo_models  # noqa: F401
    from lti_tool.extensions import babel, csrf, migrate
    from lti_tool.lti import onetime
    from lti_tool.models import db
    from lti_tool.models import private as _private_models  # noqa: F401
    from lti_tool.models.encryption import KeyRing, keys_for
    from lti_tool.web.i18n import select_locale

    app.extensions["senda_keyring"] = KeyRing(
        keys_for(config.privacy.encryption_keys, app.instance_path)
    )
    db.init_app(app)
    _tune_engine(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    onetime.init_app(app, config)
    web.init_app(app)

    from lti_tool.views import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    if config.demo.enabled:
        from lti_tool.demo.views import bp as demo_bp

        app.register_blueprint(demo_bp)
    if config.metrics.enabled:
        from lti_tool.views.metrics import bp as metrics_bp
        from lti_tool.web import metrics

        metrics.init_app(app)
        app.register_blueprint(metrics_bp)
    cli.init_app(app)
    if config.outbox.run_in_app:
        from lti_tool.jobs.runner import start_in_app

        # Started by the first request, so that CLI commands never start a worker.
        app.before_request(lambda: start_in_app(app))
    return app
