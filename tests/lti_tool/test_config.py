"""Settings: defaults, then the TOML file, then SENDA_* environment variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from lti_tool.settings import ConfigError, load_settings

EXAMPLE = Path(__file__).parent.parent.parent / "config.example.toml"


def test_defaults_without_a_file() -> None:
    settings = load_settings(environ={})
    assert settings.default_locale == "es"
    assert settings.demo.enabled is False
    assert settings.lti.clock_leeway_seconds == 60
    assert settings.outbox.max_attempts == 12


def test_example_config_is_valid_and_keeps_the_demo_off() -> None:
    settings = load_settings(environ={"SENDA_CONFIG": str(EXAMPLE)})
    assert settings.demo.enabled is False
    assert settings.lti.allow_private_urls is False


def test_toml_file_then_environment_override(tmp_path: Path) -> None:
    config = tmp_path / "senda.toml"
    config.write_text(
        'database_url = "sqlite:///from-file.db"\n'
        "[outbox]\nmax_attempts = 3\n"
        "[[lti.platforms]]\n"
        'issuer = "https://moodle.example.org"\nclient_id = "abc"\ndeployment_ids = ["1"]\n'
        'auth_login_url = "https://moodle.example.org/mod/lti/auth.php"\n'
        'auth_token_url = "https://moodle.example.org/mod/lti/token.php"\n'
        'key_set_url = "https://moodle.example.org/mod/lti/certs.php"\n'
    )
    settings = load_settings(
        environ={
            "SENDA_CONFIG": str(config),
            "SENDA_DATABASE_URL": "postgresql+psycopg://db/senda",
            "SENDA_OUTBOX__MAX_ATTEMPTS": "5",
            "SENDA_DEMO__ENABLED": "true",
        }
    )
    assert settings.database_url == "postgresql+psycopg://db/senda"
    assert settings.outbox.max_attempts == 5
    assert settings.demo.enabled is True
    assert settings.lti.platforms[0].deployment_ids == ("1",)


@pytest.mark.parametrize(
    ("environ", "key"),
    [
        ({"SENDA_LTI__CLOCK_LEEWAY_SECONDS": "3600"}, "clock_leeway_seconds"),
        ({"SENDA_DEFAULT_LOCALE": "fr"}, "default_locale"),
        ({"SENDA_OUTBOX__MAX_ATTEMPTS": "many"}, "max_attempts"),
        ({"SENDA_CONFIG": "/no/such/file.toml"}, "SENDA_CONFIG"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_key(environ: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_settings(environ=environ)


def test_a_platform_without_required_urls_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "senda.toml"
    config.write_text('[[lti.platforms]]\nissuer = "https://x.example"\nclient_id = "a"\n')
    with pytest.raises(ConfigError, match="auth_login_url"):
        load_settings(environ={"SENDA_CONFIG": str(config)})
