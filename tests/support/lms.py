"""The demo LMS served as a separate platform, beside Senda, each with its own database, for
tests that cross real HTTP: Senda knows it from its config file, as a production tool would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from lti_tool import create_app
from lti_tool.demo import platform as demo_platform
from lti_tool.models import db
from lti_tool.settings import DeclaredPlatform
from tests.conftest import app_settings, override_settings
from tests.support.servers import serving

MIGRATIONS = str(Path(__file__).parent.parent.parent / "lti_tool" / "migrations")


@contextmanager
def separate_lms(tool: Flask, tmp_path: Path, tool_url: str, lms_url: str) -> Iterator[Flask]:
    """Serve `tool` at tool_url and a demo LMS at lms_url (their ports), registered together."""
    lms = create_app(
        app_settings(
            f"sqlite:///{tmp_path / 'lms.db'}",
            redis_url=None,
            demo={"enabled": True, "base_url": lms_url, "tool_url": tool_url},
            secret_key="another-secret-for-the-lms",
        )
    )
    with lms.app_context():
        upgrade(directory=MIGRATIONS)
    declared = DeclaredPlatform(
        issuer=f"{lms_url}/demo",
        client_id=demo_platform.CLIENT_ID,
        deployment_ids=(demo_platform.DEPLOYMENT_ID,),
        auth_login_url=f"{lms_url}/demo/auth",
        auth_token_url=f"{lms_url}/demo/token",
        key_set_url=f"{lms_url}/demo/jwks",
        name="Demo LMS on loopback",
    )
    # The LMS is on loopback.
    override_settings(tool, lti={"allow_private_urls": True, "platforms": (declared,)})
    tool.extensions.pop("senda_platforms_synced", None)
    with (
        serving(tool, int(tool_url.rsplit(":", 1)[1])),
        serving(lms, int(lms_url.rsplit(":", 1)[1])),
    ):
        yield lms
    with lms.app_context():
        db.engine.dispose()
