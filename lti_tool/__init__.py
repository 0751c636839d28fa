"""Senda: an LTI 1.3 tool for the pathways of Second Chance Education in Chile.

`create_app()` builds the Flask application: settings, extensions, blueprints and CLI commands.
Nothing touches the database at import or creation time; `flask db upgrade` migrates explicitly.
"""

from __future__ import annotations

import functools
import re
import secrets
import time
from collections.abc import Mapping
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
        if _closed_by_server(connection):
            raise exc.DisconnectionError()
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
        _begin_only_to_write(engine)


def _closed_by_server(connection: Any) -> bool:
    """What the server already said, read without a round trip: a connection it closed (a
    restart, an administrator) has its farewell and then the end of the stream waiting in the
    socket. A request that only read used to learn of it from its closing ROLLBACK; it sends
    none now, so the pool asks here, for about a microsecond."""
    pgconn = getattr(connection, "pgconn", None)
    if pgconn is None:
        return False
    try:
        pgconn.consume_input()  # the farewell, if any
        pgconn.consume_input()  # then the end of the stream, which raises
    except Exception:  # any failure to read: the connection is gone
        return True
    return False


def _begin_only_to_write(engine: Any) -> None:
    """No transaction for reads: a query that only reads runs on its own (autocommit), and
    psycopg sends BEGIN only before the first statement that writes or locks. PostgreSQL's READ
    COMMITTED gives every statement a fresh snapshot either way, so a read sees the same rows in
    or out of a transaction; what changes is the cost. psycopg sends BEGIN as its own round trip
    and a page that only read then needed a COMMIT or ROLLBACK too: three round trips where one
    does. And psycopg forgets its prepared statements on a rollback, so a page whose
    transaction only read and then rolled back had PostgreSQL plan its query anew every time.
    Once a transaction is open, everything runs inside it until it ends, as before."""
    from psycopg.pq import TransactionStatus
    from sqlalchemy import event
    from sqlalchemy.engine import Connection

    def executing(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        dbapi = connection.connection.dbapi_connection
        if dbapi is None or dbapi.info.transaction_status != TransactionStatus.IDLE:
            return  # inside a transaction (or a broken one): nothing to decide
        reads_only = only_reads(statement)
        if dbapi.autocommit != reads_only:
            dbapi.autocommit = reads_only  # no round trip: psycopg only notes it

    event.listen(engine, "before_cursor_execute", executing)


# What needs a transaction although it is a SELECT: a row lock, a setting or an advisory lock
# that lasts until the transaction ends.
_HELD_UNTIL_COMMIT = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b|\bFOR\s+(?:KEY\s+)?SHARE\b|set_config|pg_advisory_xact",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=2048)  # statements repeat (SQLAlchemy caches them); a page's is long
def only_reads(statement: str) -> bool:
    """A statement that can run on its own: a SELECT that holds nothing until a commit."""
    return statement.lstrip()[:6].upper() == "SELECT" and not _HELD_UNTIL_COMMIT.search(statement)


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
