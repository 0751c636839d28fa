"""Content versions: validate and import the content folder, and load catalogues fast.

Imports are idempotent (the tree's digest identifies a version). Catalogues are built once per
process and version, so a page never re-reads or re-renders content.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from courses.authoring.errors import ContentError, ContentInvalid, blocking
from courses.authoring.tree import compile_tree, tree_digest
from courses.catalogue import build_catalogue
from courses.model import Catalogue
from lti_tool.memo import forget, memo
from lti_tool.models import ContentVersion, Enrolment, db
from lti_tool.settings import settings

_lock = threading.Lock()
LATEST_CACHE_SECONDS = 10.0


def content_root() -> Path:
    path = Path(settings().content_path)
    if not path.is_absolute():
        path = Path(current_app.root_path).parent / path
    return path


def validate(root: Path | None = None) -> list[ContentError]:
    _, errors = compile_tree(root or content_root())
    return errors


@dataclass(frozen=True)
class ImportResult:
    version_id: int
    created: bool
    summary: dict[str, int]


def import_tree(root: Path | None = None) -> ImportResult:
    """Validate and store the tree as a new version, unless the same tree is already stored."""
    root = root or content_root()
    digest = tree_digest(root)
    existing = db.session.scalar(select(ContentVersion).where(ContentVersion.digest == digest))
    if existing is not None:
        return ImportResult(existing.id, False, dict(existing.summary))
    document, problems = compile_tree(root)
    if blocking(problems):
        raise ContentInvalid(blocking(problems))
    kinds = Counter(a["kind"] for a in document["activities"].values())
    summary = {
        "pathways": len(document["pathways"]),
        "courses": len(document["courses"]),
        "activities": len(document["activities"]),
        **{f"kind:{k}": v for k, v in sorted(kinds.items())},
    }
    version = ContentVersion(digest=digest, document=document, summary=summary)
    db.session.add(version)
    try:
        db.session.commit()
    except IntegrityError:
        # A double tap: the other request stored the same tree while this one compiled it.
        db.session.rollback()
        existing = db.session.scalar(select(ContentVersion).where(ContentVersion.digest == digest))
        if existing is None:
            raise
        return ImportResult(existing.id, False, dict(existing.summary))
    forget_latest()
    return ImportResult(version.id, True, summary)


def latest_version_id() -> int | None:
    latest: dict[str, Any] = memo("latest_content_version", dict)
    version_id: int | None = latest.get("id")
    if version_id is None or time.monotonic() - latest.get("at", 0.0) > LATEST_CACHE_SECONDS:
        version_id = db.session.scalar(select(func.max(ContentVersion.id)))
        latest.update(id=version_id, at=time.monotonic())
    return version_id


def forget_latest() -> None:
    forget("latest_content_version")


def catalogue(version_id: int) -> Catalogue:
    """The Catalogue of a stored version, built once per process."""
    catalogues: dict[int, Catalogue] = memo("catalogues", dict)
    found = catalogues.get(version_id)
    if found is not None:
        return found
    with _lock:
        found = catalogues.get(version_id)
        if found is None:
            version = db.session.get(ContentVersion, version_id)
            if version is None:
                raise LookupError(f"no content version {version_id}")
            found = build_catalogue(version.document)
            catalogues[version_id] = found
        return found


def latest_catalogue() -> tuple[int, Catalogue] | None:
    version_id = latest_version_id()
    if version_id is None:
        return None
    return version_id, catalogue(version_id)


def forget_catalogues() -> None:
    forget("catalogues", "latest_content_version")


@dataclass(frozen=True)
class Checks:
    """The content folder against the newest import, for designers and the programme team."""

    root: Path
    problems: list[ContentError] | None  # None: the folder is missing
    latest: ContentVersion | None
    changed: bool  # the folder differs from the newest import
    behind: int  # participants of the course still on an older version

    @property
    def errors(self) -> list[ContentError]:
        return blocking(self.problems or [])


def checks(context_id: int | None) -> Checks:
    root = content_root()
    problems = validate(root) if root.is_dir() else None
    latest = db.session.scalar(select(ContentVersion).order_by(ContentVersion.id.desc()).limit(1))
    folder_digest = tree_digest(root) if root.is_dir() else None
    behind = 0
    if latest is not None and context_id is not None:
        behind = (
            db.session.scalar(
                select(func.count())
                .select_from(Enrolment)
                .where(
                    Enrolment.context_id == context_id, Enrolment.content_version_id != latest.id
                )
            )
            or 0
        )
    return Checks(
        root=root,
        problems=problems,
        latest=latest,
        changed=latest is None or folder_digest != latest.digest,
        behind=behind,
    )
