"""Settings: defaults in code, then a TOML file, then ``SENDA_*`` environment variables.

``SENDA_CONFIG`` names the TOML file (``config.example.toml`` documents every key). Environment
variables override single keys: ``SENDA_DATABASE_URL`` sets ``database_url``, and a double
underscore reaches into a table, so ``SENDA_OUTBOX__MAX_ATTEMPTS=5`` sets ``[outbox] max_attempts``.
Values are checked once, at start-up, and a bad one stops the app with the key's name.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

ENV_PREFIX = "SENDA_"


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names the key."""


class _PlatformSchema(Schema):
    issuer = fields.String(required=True)
    client_id = fields.String(required=True)
    name = fields.String(load_default="")
    deployment_ids = fields.List(fields.String(), load_default=list)
    auth_login_url = fields.Url(required=True, require_tld=False)
    auth_token_url = fields.Url(required=True, require_tld=False)
    auth_audience = fields.String(load_default=None, allow_none=True)
    key_set_url = fields.Url(required=True, require_tld=False)


class _LtiSchema(Schema):
    clock_leeway_seconds = fields.Integer(load_default=10, validate=validate.Range(0, 60))
    max_token_age_seconds = fields.Integer(load_default=600, validate=validate.Range(30, 3600))
    login_state_ttl_seconds = fields.Integer(load_default=600, validate=validate.Range(60, 3600))
    jwks_cache_seconds = fields.Integer(load_default=86400, validate=validate.Range(60))
    jwks_refetch_interval_seconds = fields.Integer(load_default=60, validate=validate.Range(1))
    http_timeout_seconds = fields.Float(load_default=5.0, validate=validate.Range(0.1, 60))
    platforms = fields.List(fields.Nested(_PlatformSchema), load_default=list)
    # Refuse dynamic registration (and key-set URLs) that point at private or loopback addresses.
    allow_private_urls = fields.Boolean(load_default=False)
    tool_name = fields.String(load_default="Senda")


class _OutboxSchema(Schema):
    max_attempts = fields.Integer(load_default=12, validate=validate.Range(1, 100))
    backoff_base_seconds = fields.Float(load_default=5.0, validate=validate.Range(0.01))
    backoff_max_seconds = fields.Float(load_default=3600.0, validate=validate.Range(0.01))
    lease_seconds = fields.Integer(load_default=60, validate=validate.Range(5))
    batch_size = fields.Integer(load_default=50, validate=validate.Range(1, 1000))
    run_in_app = fields.Boolean(load_default=False)
    poll_seconds = fields.Float(load_default=1.0, validate=validate.Range(0.05, 60))


class _DemoSchema(Schema):
    enabled = fields.Boolean(load_default=False)
    # Where the tool is reached from the demo LMS (and vice versa); `make run` serves both here.
    base_url = fields.Url(load_default="http://127.0.0.1:5000", require_tld=False)
    # Where the demo LMS finds the tool; empty: the same server (make run).
    tool_url = fields.String(load_default=None, allow_none=True)


class _SettingsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    secret_key = fields.String(load_default=None, allow_none=True)
    database_url = fields.String(load_default=None, allow_none=True)
    redis_url = fields.String(load_default=None, allow_none=True)
    content_path = fields.String(load_default="content")
    default_locale = fields.String(load_default="es", validate=validate.OneOf(["es", "en"]))
    session_lifetime_minutes = fields.Integer(load_default=480, validate=validate.Range(5))
    # Number of proxies in front of the app that set X-Forwarded-* (gunicorn behind nginx: 1).
    proxy_count = fields.Integer(load_default=0, validate=validate.Range(0, 5))
    # Public https URL of the tool, used in registration documents; default: the request's host.
    public_url = fields.String(load_default=None, allow_none=True)
    # A missing table still gets its defaults: load it as if it were empty.
    lti = fields.Nested(_LtiSchema, load_default=lambda: _LtiSchema().load({}))
    outbox = fields.Nested(_OutboxSchema, load_default=lambda: _OutboxSchema().load({}))
    demo = fields.Nested(_DemoSchema, load_default=lambda: _DemoSchema().load({}))


def _apply_env(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    # Values stay strings: the schema turns "5" into 5 and "true" into True where a key needs it.
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "SENDA_CONFIG":
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ConfigError(f"{name}: {part} is not a table")
        target[path[-1]] = raw


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Read defaults, the TOML file, the environment and overrides, and check them."""
    environ = os.environ if environ is None else environ
    data: dict[str, Any] = {}
    config_file = environ.get("SENDA_CONFIG")
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"SENDA_CONFIG: no such file {config_file}")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_file}: {exc}") from exc
    _apply_env(data, environ)
    if overrides:
        data = _deep_merge(data, overrides)
    try:
        settings: dict[str, Any] = _SettingsSchema().load(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid setting: {_flatten(exc.normalized_messages())}") from exc
    return settings


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _flatten(messages: Any, prefix: str = "") -> str:
    if isinstance(messages, dict):
        return "; ".join(_flatten(v, f"{prefix}{k}.") for k, v in messages.items())
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return f"{prefix.rstrip('.')}: {' '.join(messages)}"
    return f"{prefix.rstrip('.')}: {messages}"
