"""The models and the Alembic migrations describe the same schema (no drift)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, select, text

from lti_tool.models import db

MIGRATIONS = str(Path(__file__).parent.parent.parent / "lti_tool" / "migrations")


def test_models_match_migrations(app: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_upgrading_encrypts_what_was_stored_in_clear(tmp_path: Path) -> None:
    """An installation from before the privacy boundary keeps its participants' work and
    consented demographics, encrypted by the migration."""
    from flask_migrate import upgrade

    from lti_tool import create_app
    from lti_tool.models import ActivityProgress
    from lti_tool.models.private import Demographics
    from tests.conftest import app_settings

    app = create_app(app_settings(f"sqlite:///{tmp_path / 'old.db'}", redis_url=None))
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="fbbae2d3c22e")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO platform (id, issuer, client_id, name, auth_login_url, "
                    "auth_token_url, key_set_url, source, product, frame_origins, active, "
                    "created_at) VALUES (1, 'https://lms.example.edu', 'c', '', 'x', 'x', 'x', "
                    "'cli', '', '[]', 1, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO lti_user (id, platform_id, sub, name, given_name, email, "
                    "locale, created_at, last_launch_at) VALUES (1, 1, 'carmen', 'Carmen', "
                    "'Carmen', 'carmen@example.org', 'es', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO demographics (user_id, region, municipality, migrant, "
                    "indigenous, consented_at) VALUES (1, 'araucania', 'Temuco', 0, 1, "
                    "CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO content_version (id, digest, document, summary, created_at) "
                    "VALUES (1, 'd', '{}', '{}', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO deployment (id, platform_id, deployment_id, active, created_at) "
                    "VALUES (1, 1, 'd', 1, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO lms_context (id, deployment_id, context_id, title, label, "
                    "created_at) VALUES (1, 1, 'c1', 'C', 'C', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO enrolment (id, user_id, context_id, content_version_id, "
                    "pathway_id, level, course_ids, answers, placement_rule, placed_by, "
                    "created_at, updated_at) VALUES (1, 1, 1, 1, 'p', 'basic', '[]', '{}', '', "
                    "'placement', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO activity_progress (enrolment_id, activity_id, completed, "
                    "attempts, data, fingerprint, started_at, updated_at) VALUES (1, 'a', 1, 0, "
                    """'{"text": "Mi reflexión"}', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"""
                )
            )
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            raw = " ".join(
                str(v)
                for table in ("demographics", "activity_progress")
                for row in conn.execute(text(f"SELECT * FROM {table}"))
                for v in row
            )
            columns = [c["name"] for c in inspect(conn).get_columns("lti_user")]
        assert "Temuco" not in raw and "araucania" not in raw and "Mi reflexión" not in raw
        assert "email" not in columns
        demographics = db.session.scalar(select(Demographics))
        assert demographics is not None
        assert (demographics.region, demographics.municipality) == ("araucania", "Temuco")
        assert (demographics.migrant, demographics.indigenous) == ("no", "yes")
        progress = db.session.scalar(select(ActivityProgress))
        assert progress is not None and progress.data == {"text": "Mi reflexión"}
        db.session.remove()
        db.engine.dispose()
