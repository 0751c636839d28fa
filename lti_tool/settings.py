"""Settings: defaults in code, then a TOML file, then ``SENDA_*`` environment variables.

``SENDA_CONFIG`` names the TOML file (``config.example.toml`` documents every key). Environment
variables override single keys: ``SENDA_DATABASE_URL`` sets ``database_url``, and a double
underscore reaches into a table, so ``SENDA_OUTBOX__MAX_ATTEMPTS=5`` sets ``[outbox] max_attempts``.
Values are checked once, at start-up, by the marshmallow schemas below, and a bad one stops the app
with the key's name. The result is a tree of frozen dataclasses: code reads
``settings().outbox.max_attempts``, typed, never a string key.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from flask import current_app
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

ENV_PREFIX = "SENDA_"


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names the key."""


# ----------------------------------------------------------------------------- the settings
@dataclass(frozen=True)
class DeclaredPlatform:
    """An LMS declared in the config file (`[[lti.platforms]]`)."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    name: str = ""
    deployment_ids: tuple[str, ...] = ()
    auth_audience: str | None = None


@dataclass(frozen=True)
class LtiSettings:
    clock_leeway_seconds: int = 60
    max_token_age_seconds: int = 600
    login_state_ttl_seconds: int = 600
    jwks_cache_seconds: int = 86400
    jwks_refetch_interval_seconds: int = 10
    http_timeout_seconds: float = 5.0
    platforms: tuple[DeclaredPlatform, ...] = ()
    # Refuse LMS URLs (registration, key sets, services) on private or loopback addresses.
    allow_private_urls: bool = False
    tool_name: str = "Senda"


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 12
    backoff_base_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    lease_seconds: int = 60
    batch_size: int = 200
    run_in_app: bool = False
    poll_seconds: float = 1.0
    # Score requests one worker keeps in flight to one platform (its own connections, reused).
    concurrency_per_platform: int = 48
    # `outbox work` keeps its process on the one CPU it starts on (runner.settle).
    one_cpu: bool = True


@dataclass(frozen=True)
class DemoSettings:
    enabled: bool = False
    base_url: str = "http://127.0.0.1:5000"
    tool_url: str | None = None


@dataclass(frozen=True)
class PrivacySettings:
    # Keys that encrypt sensitive fields at rest, newest first (see README, "Privacy").
    encryption_keys: tuple[str, ...] = ()
    # A person with no launch for this many days is erased by the retention job (0: never).
    inactive_person_days: int = 0
    # Rows of the access log older than this are deleted by the retention job.
    access_log_days: int = 730


@dataclass(frozen=True)
class LimitSettings:
    """Requests one client address (or one platform) may make, in Flask-Limiter's notation.
    Generous enough for a community centre where 40 women launch behind one address."""

    enabled: bool = True
    login_per_address: str = "120/minute"
    login_per_platform: str = "3000/minute"
    # No limit of its own on the launch POST: each one spends a state only a login can make.


@dataclass(frozen=True)
class ReportSettings:
    # Counts of fewer women than this are shown as "< N" in every report and export (min 5).
    min_cell: int = 5
    # A plan not completed and untouched for this many days counts as a drop-out in reports.
    dropout_after_days: int = 60


@dataclass(frozen=True)
class MetricsSettings:
    """The Prometheus endpoint, /metrics. With a token, only a request carrying it
    (`Authorization: Bearer …`) is served; without one, only requests from this machine
    (loopback, by the socket's address), and none behind a proxy."""

    enabled: bool = True
    # A secret: set it in the environment (SENDA_METRICS__TOKEN), never in the file.
    token: str | None = None


@dataclass(frozen=True)
class Settings:
    secret_key: str | None = None
    database_url: str | None = None
    redis_url: str | None = None
    content_path: str = "content"
    default_locale: str = "es"
    session_lifetime_minutes: int = 480
    proxy_count: int = 0
    public_url: str | None = None
    lti: LtiSettings = field(default_factory=LtiSettings)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    demo: DemoSettings = field(default_factory=DemoSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    # A session ends after this many minutes without a request (shared phones and computers).
    idle_timeout_minutes: int = 30
    reports: ReportSettings = field(default_factory=ReportSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)

    def replaced(self, **tables: Mapping[str, Any]) -> Settings:
        """A copy with some keys of some tables changed: `replaced(outbox={"max_attempts": 3})`."""
        changes: dict[str, Any] = {}
        for name, values in tables.items():
            current = getattr(self, name)
            changes[name] = replace(current, **values) if isinstance(values, Mapping) else values
        return replace(self, **changes)


def settings() -> Settings:
    """The settings of the app serving this request, job or command."""
    found: Settings = current_app.config["SENDA"]
    return found


# ------------------------------------------------------------------------------- checking
class _CommaList(fields.List):
    """A list in TOML; a comma-separated string in an environment variable."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return super()._deserialize(value, attr, data, **kwargs)


class _PlatformSchema(Schema):
    issuer = fields.String(required=True)
    client_id = fields.String(required=True)
    name = fields.String(load_default="")
    deployment_ids = fields.List(fields.String(), load_default=list)
    auth_login_url = fields.Url(required=True, require_tld=False)
    auth_token_url = fields.Url(required=True, require_tld=False)
    auth_audience = fields.String(load_default=None, allow_none=True)
    key_set_url = fields.Url(required=True, require_tld=False)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> DeclaredPlatform:
        return DeclaredPlatform(**{**data, "deployment_ids": tuple(data["deployment_ids"])})


class _LtiSchema(Schema):
    clock_leeway_seconds = fields.Integer(load_default=60, validate=validate.Range(0, 300))
    max_token_age_seconds = fields.Integer(load_default=600, validate=validate.Range(30, 3600))
    login_state_ttl_seconds = fields.Integer(load_default=600, validate=validate.Range(60, 3600))
    jwks_cache_seconds = fields.Integer(load_default=86400, validate=validate.Range(60))
    jwks_refetch_interval_seconds = fields.Integer(load_default=10, validate=validate.Range(1))
    http_timeout_seconds = fields.Float(load_default=5.0, validate=validate.Range(0.1, 60))
    platforms = fields.List(fields.Nested(_PlatformSchema), load_default=list)
    allow_private_urls = fields.Boolean(load_default=False)
    tool_name = fields.String(load_default="Senda")

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> LtiSettings:
        return LtiSettings(**{**data, "platforms": tuple(data["platforms"])})


class _OutboxSchema(Schema):
    max_attempts = fields.Integer(load_default=12, validate=validate.Range(1, 100))
    backoff_base_seconds = fields.Float(load_default=5.0, validate=validate.Range(0.01))
    backoff_max_seconds = fields.Float(load_default=3600.0, validate=validate.Range(0.01))
    lease_seconds = fields.Integer(load_default=60, validate=validate.Range(5))
    batch_size = fields.Integer(load_default=200, validate=validate.Range(1, 1000))
    run_in_app = fields.Boolean(load_default=False)
    poll_seconds = fields.Float(load_default=1.0, validate=validate.Range(0.05, 60))
    concurrency_per_platform = fields.Integer(load_default=48, validate=validate.Range(1, 256))
    one_cpu = fields.Boolean(load_default=True)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> OutboxSettings:
        return OutboxSettings(**data)


class _DemoSchema(Schema):
    enabled = fields.Boolean(load_default=False)
    base_url = fields.Url(load_default="http://127.0.0.1:5000", require_tld=False)
    tool_url = fields.String(load_default=None, allow_none=True)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> DemoSettings:
        return DemoSettings(**{**data, "tool_url": data["tool_url"] or None})


class _PrivacySchema(Schema):
    encryption_keys = _CommaList(fields.String(), load_default=list)
    inactive_person_days = fields.Integer(load_default=0, validate=validate.Range(0))
    access_log_days = fields.Integer(load_default=730, validate=validate.Range(30))

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> PrivacySettings:
        return PrivacySettings(**{**data, "encryption_keys": tuple(data["encryption_keys"])})


_LIMIT = validate.Regexp(r"^\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day)s?$")


class _LimitSchema(Schema):
    enabled = fields.Boolean(load_default=True)
    login_per_address = fields.String(load_default="120/minute", validate=_LIMIT)
    login_per_platform = fields.String(load_default="3000/minute", validate=_LIMIT)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> LimitSettings:
        return LimitSettings(**data)


class _ReportsSchema(Schema):
    min_cell = fields.Integer(load_default=5, validate=validate.Range(5, 100))
    dropout_after_days = fields.Integer(load_default=60, validate=validate.Range(7, 730))

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> ReportSettings:
        return ReportSettings(**data)


class _MetricsSchema(Schema):
    enabled = fields.Boolean(load_default=True)
    # Long enough not to be guessed; empty means "no token".
    token = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^$|^[\x21-\x7e]{24,256}$", error="24 to 256 visible ASCII"),
    )

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> MetricsSettings:
        return MetricsSettings(**{**data, "token": data["token"] or None})


def _table(schema: type[Schema]) -> fields.Nested:
    # A missing table still gets its defaults: load it as if it were empty.
    return fields.Nested(schema, load_default=lambda: schema().load({}))


class _SettingsSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    secret_key = fields.String(load_default=None, allow_none=True)
    database_url = fields.String(load_default=None, allow_none=True)
    redis_url = fields.String(load_default=None, allow_none=True)
    content_path = fields.String(load_default="content")
    default_locale = fields.String(load_default="es", validate=validate.OneOf(["es", "en"]))
    session_lifetime_minutes = fields.Integer(load_default=480, validate=validate.Range(5))
    idle_timeout_minutes = fields.Integer(load_default=30, validate=validate.Range(1, 24 * 60))
    proxy_count = fields.Integer(load_default=0, validate=validate.Range(0, 5))
    public_url = fields.String(load_default=None, allow_none=True)
    lti = _table(_LtiSchema)
    outbox = _table(_OutboxSchema)
    demo = _table(_DemoSchema)
    privacy = _table(_PrivacySchema)
    limits = _table(_LimitSchema)
    reports = _table(_ReportsSchema)
    metrics = _table(_MetricsSchema)

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Settings:
        # Empty strings in a TOML file or the environment mean "not set".
        for key in ("secret_key", "database_url", "redis_url", "public_url"):
            data[key] = data[key] or None
        return Settings(**data)


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
) -> Settings:
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
        loaded: Settings = _SettingsSchema().load(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid setting: {_flatten(exc.normalized_messages())}") from exc
    return loaded


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
