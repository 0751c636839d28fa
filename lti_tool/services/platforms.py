"""The LMS platforms Senda trusts, as administrators manage them (command line)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lti_tool.lti import registry
from lti_tool.models import Deployment, Platform, db
from lti_tool.services.errors import NotFound


class PlatformNotFound(NotFound):
    pass


def add(declared: dict[str, Any]) -> int:
    platform = registry.upsert_platform(declared, source="cli")
    db.session.commit()
    return platform.id


def listing() -> list[Platform]:
    return list(db.session.scalars(select(Platform).order_by(Platform.id)))


def _platform(platform_id: int) -> Platform:
    registry.forget_cache()  # this process's memory; other workers catch up within seconds
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        raise PlatformNotFound(platform_id)
    return platform


def set_active(platform_id: int, active: bool) -> None:
    _platform(platform_id).active = active
    db.session.commit()


def add_deployment(platform_id: int, deployment_id: str) -> None:
    deployment = registry.add_deployment(_platform(platform_id), deployment_id)
    deployment.active = True
    db.session.commit()


def disable_deployment(platform_id: int, deployment_id: str) -> None:
    deployment = db.session.scalar(
        select(Deployment).where(
            Deployment.platform_id == platform_id, Deployment.deployment_id == deployment_id
        )
    )
    if deployment is None:
        raise PlatformNotFound(deployment_id)
    deployment.active = False
    db.session.commit()


def frame_ancestor_origins(platform_id: int) -> list[str]:
    return registry.frame_ancestor_origins(platform_id)
