"""Fixtures shared by the whole suite.

The database is SQLite in a temporary folder by default, or the URL in SENDA_TEST_DATABASE_URL
(CI: PostgreSQL). The launch-state store is the database, or Redis when SENDA_TEST_REDIS_URL is
set. The schema is built by running the Alembic migrations, once per session; every test starts
from empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, text

from lti_tool import create_app
from lti_tool.lti import ags
from lti_tool.models import db
from lti_tool.services import content
from tests.support.keys import platform_key
from tests.support.lti import Launcher, TestPlatform

DATABASE_URL = os.environ.get("SENDA_TEST_DATABASE_URL", "")
TEST_CONTENT = Path(__file__).parent / "data" / "content"
REAL_CONTENT = Path(__file__).parent.parent / "content"
REDIS_URL = os.environ.get("SENDA_TEST_REDIS_URL", "")
TEST_ENCRYPTION_KEY = "dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0="


# The tiers of the suite, by folder: `pytest -m 'not e2e'` starts no browser, `-m service` runs
# the use cases without HTTP. (A `pytestmark` in a conftest.py applies to nothing.)
TIERS = {
    "courses": "domain",
    "services": "service",
    "lti_tool": "app",
    "integration": "integration",
    "e2e": "e2e",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        parts = Path(str(item.fspath)).relative_to(root).parts
        tier = TIERS.get(parts[0]) if len(parts) > 1 else None
        if tier:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if DATABASE_URL:
        return DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'senda-test.db'}"


def app_settings(database_url: str, **extra: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "secret_key": "test-secret-key-not-for-production",
        "database_url": database_url,
        "redis_url": REDIS_URL or None,
        # A small programme of its own, so tests do not move with the real curriculum.
        "content_path": str(TEST_CONTENT),
        "lti": {"allow_private_urls": False},
        # A fixed key: sensitive columns are encrypted in tests as in production.
        "privacy": {"encryption_keys": [TEST_ENCRYPTION_KEY]},
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key] = {**settings[key], **value}
        else:
            settings[key] = value
    return settings


def _reset_schema(app: Flask) -> None:
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            else:
                for table in inspect(conn).get_table_names():
                    conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
        upgrade(directory=str(Path(__file__).parent.parent / "lti_tool" / "migrations"))


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    """Build the schema from the migrations, once."""
    os.environ.pop("SENDA_CONFIG", None)
    app = create_app(app_settings(database_url))
    _reset_schema(app)
    with app.app_context():
        db.engine.dispose()
    return database_url


def _empty_tables(app: Flask) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(text(f'DELETE FROM "{table}"'))
            # The installation's default programme, as the migrations create it (id 1).
            conn.execute(
                text(
                    "INSERT INTO programme (slug, name, created_at) "
                    "VALUES ('default', 'Segunda Oportunidad', CURRENT_TIMESTAMP)"
                )
            )
    if REDIS_URL:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test hosts resolve without a network: *.example.edu/org/com to a public address,
    *.internal.example to a private one (for the SSRF checks)."""
    import socket

    real = socket.getaddrinfo

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> Any:
        if host.endswith(".internal.example"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 443))]
        if host.endswith((".example.edu", ".example.org", ".example.com", "instructure.com")):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 443))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr("lti_tool.lti.http.socket.getaddrinfo", getaddrinfo)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Tests override settings by overriding this fixture."""
    return {}


@pytest.fixture
def app(migrated: str, settings_overrides: dict[str, Any]) -> Iterator[Flask]:
    application = create_app(app_settings(migrated, **settings_overrides))
    application.config["TESTING"] = True
    _empty_tables(application)
    ags.forget_memo()  # access tokens of an earlier test's gradebook
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def platform(app: Flask) -> TestPlatform:
    """A registered LMS whose key set Senda already holds (as after a first fetch)."""
    return register_platform("https://lms.example.edu", "client-abc", "deployment-1", "lms")


def register_platform(
    issuer: str, client_id: str, deployment_id: str, key_name: str, store_keys: bool = True
) -> TestPlatform:
    from tests.factories import DeploymentFactory, PlatformFactory

    key = platform_key(key_name)
    row = PlatformFactory(
        issuer=issuer, client_id=client_id, key_set=key.key_set() if store_keys else None
    )
    DeploymentFactory(platform=row, deployment_id=deployment_id)
    return TestPlatform(issuer, client_id, deployment_id, key, row.id)


def another_programmes_lms(client: Any) -> tuple[Launcher, int]:
    """A second LMS whose launches belong to a programme of its own: (its launcher, sharing
    the test client's browser; that programme's id)."""
    from lti_tool.models import Platform
    from tests.factories import ProgrammeFactory

    other = ProgrammeFactory()
    foreign = register_platform("https://other.example.org", "client-x", "dep-x", "other")
    platform = db.session.get(Platform, foreign.db_id)
    assert platform is not None
    platform.programme_id = other.id
    db.session.commit()
    return Launcher(client, foreign), other.id


@pytest.fixture
def launcher(client: Any, platform: TestPlatform, imported: int) -> Launcher:
    return Launcher(client, platform)


def row_counts() -> dict[str, int]:
    """Rows per table, to prove a rejected request wrote nothing."""
    counts = {}
    for table in db.metadata.sorted_tables:
        # Consumed launch state is not "written"; the access log records reads, which a
        # refused request may legitimately make (re-showing her form reads her answers).
        if table.name in ("one_time_item", "access_log"):
            continue
        counts[table.name] = db.session.scalar(select(func.count()).select_from(table)) or 0
    return counts


@pytest.fixture
def imported(app: Flask) -> int:
    """The test programme imported as the current content version."""
    return content.import_tree().version_id


def override_settings(app: Flask, **tables: Any) -> None:
    """Change settings of a running test app: `override_settings(app, outbox={"max_attempts":
    3})`, `override_settings(app, content_path="…")`."""
    app.config["SENDA"] = app.config["SENDA"].replaced(**tables)
