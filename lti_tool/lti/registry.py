"""Where Senda looks up the platforms it trusts: the database, fed also by the config file.

Platforms declared in the TOML config (`[[lti.platforms]]`) are copied into the database the first
time a process needs them, so that users and courses can refer to them like any other platform.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from lti_tool.memo import forget, memo
from lti_tool.models import DEFAULT_PROGRAMME_ID, Deployment, Platform, db
from lti_tool.settings import settings

_sync_lock = threading.Lock()

# Launches look platforms and deployments up twice each (login, launch); a short per-process
# memory saves those queries. A platform disabled in one worker is refused by the others within
# CACHE_SECONDS; unknown keys are never cached, so a new registration works at once.
CACHE_SECONDS = 10.0


def _platforms() -> dict[tuple[str, str | None, bool], tuple[float, PlatformInfo]]:
    found: dict[tuple[str, str | None, bool], tuple[float, PlatformInfo]] = memo("platforms", dict)
    return found


def _deployments() -> dict[tuple[int, str], tuple[float, int]]:
    found: dict[tuple[int, str], tuple[float, int]] = memo("deployments", dict)
    return found


def forget_cache() -> None:
    forget("platforms", "deployments")


@dataclass(frozen=True)
class PlatformInfo:
    """A detached, read-only copy of a Platform row, safe to keep between requests."""

    id: int
    issuer: str
    client_id: str
    name: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str
    active: bool
    programme_id: int

    @classmethod
    def of(cls, platform: Platform) -> PlatformInfo:
        return cls(
            id=platform.id,
            issuer=platform.issuer,
            client_id=platform.client_id,
            name=platform.name,
            auth_login_url=platform.auth_login_url,
            auth_token_url=platform.auth_token_url,
            auth_audience=platform.auth_audience,
            key_set_url=platform.key_set_url,
            active=platform.active,
            programme_id=platform.programme_id,
        )


def sync_config_platforms(force: bool = False) -> None:
    """Upsert the platforms of `[[lti.platforms]]` and their deployments; once per process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions.get("senda_platforms_synced") and not force:
        return
    with _sync_lock:
        if app.extensions.get("senda_platforms_synced") and not force:
            return
        for declared in settings().lti.platforms:
            upsert_platform(dataclasses.asdict(declared), source="config")
        db.session.commit()
        app.extensions["senda_platforms_synced"] = True


def upsert_platform(declared: dict[str, Any], source: str) -> Platform:
    platform = db.session.scalar(
        select(Platform).where(
            Platform.issuer == declared["issuer"], Platform.client_id == declared["client_id"]
        )
    )
    if platform is None:
        platform = Platform(issuer=declared["issuer"], client_id=declared["client_id"])
        db.session.add(platform)
    platform.name = declared.get("name") or platform.name or ""
    for field in ("auth_login_url", "auth_token_url", "auth_audience", "key_set_url"):
        if field in declared:
            setattr(platform, field, declared[field])
    platform.source = source
    if platform.programme_id is None:
        platform.programme_id = DEFAULT_PROGRAMME_ID
    if "product" in declared:
        platform.product = declared["product"]
    db.session.flush()
    for deployment_id in declared.get("deployment_ids", []):
        add_deployment(platform, deployment_id)
    return platform


def add_deployment(platform: Platform, deployment_id: str) -> Deployment:
    deployment = db.session.scalar(
        select(Deployment).where(
            Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
        )
    )
    if deployment is None:
        deployment = Deployment(platform_id=platform.id, deployment_id=deployment_id)
        db.session.add(deployment)
        db.session.flush()
    return deployment


def find_platform(
    issuer: str, client_id: str | None, include_inactive: bool = False
) -> PlatformInfo | None:
    """The platform registered as (issuer, client_id), active unless asked otherwise. Without a
    client_id (some older platforms omit it at login) the issuer must name exactly one."""
    key = (issuer, client_id, include_inactive)
    cached = _platforms().get(key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    sync_config_platforms()
    query = select(Platform).where(Platform.issuer == issuer)
    if not include_inactive:
        query = query.where(Platform.active.is_(True))
    if client_id:
        query = query.where(Platform.client_id == client_id)
    platforms = db.session.scalars(query.limit(2)).all()
    found = PlatformInfo.of(platforms[0]) if len(platforms) == 1 else None
    if found is not None:
        _platforms()[key] = (time.monotonic(), found)
    return found


def find_deployment(platform_id: int, deployment_id: str) -> int | None:
    """Primary key of an active deployment of this platform, or None."""
    cached = _deployments().get((platform_id, deployment_id))
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    pk: int | None = db.session.scalar(
        select(Deployment.id).where(
            Deployment.platform_id == platform_id,
            Deployment.deployment_id == deployment_id,
            Deployment.active.is_(True),
        )
    )
    if pk is not None:
        _deployments()[(platform_id, deployment_id)] = (time.monotonic(), pk)
    return pk


def frame_ancestor_origins(platform_id: int) -> list[str]:
    """Origins allowed to frame Senda's pages of one platform: its issuer's and login
    endpoint's (Moodle and Canvas serve the course page from one of them), and the origins
    learnt from its own signed launches. Never another tenant's."""
    from urllib.parse import urlsplit

    origins: set[str] = set()
    rows = db.session.execute(
        select(Platform.issuer, Platform.auth_login_url, Platform.frame_origins).where(
            Platform.active.is_(True), Platform.id == platform_id
        )
    )
    for issuer, login_url, frame_origins in rows:
        for url in (issuer, login_url, *(frame_origins or [])):
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)


def platform_hosts(platform_id: int) -> set[str]:
    """The host names a platform owns: its issuer's, its endpoints' and those learnt from its
    own signed launches (Canvas serves a school from its own domain). Service URLs from launch
    claims must be on one of them before Senda sends a bearer token there."""
    from urllib.parse import urlsplit

    cached: dict[int, tuple[float, set[str]]] = memo("platform_hosts", dict)
    found = cached.get(platform_id)
    if found is not None and time.monotonic() - found[0] < CACHE_SECONDS:
        return found[1]
    row = db.session.execute(
        select(
            Platform.issuer,
            Platform.auth_login_url,
            Platform.auth_token_url,
            Platform.key_set_url,
            Platform.frame_origins,
        ).where(Platform.id == platform_id)
    ).one_or_none()
    if row is None:
        return set()
    urls = [row.issuer, row.auth_login_url, row.auth_token_url, row.key_set_url]
    urls += list(row.frame_origins or [])
    hosts = {h for u in urls if (h := (urlsplit(u).hostname or "").lower())}
    cached[platform_id] = (time.monotonic(), hosts)
    return hosts
