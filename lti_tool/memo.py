"""Small per-process memories (parsed keys, registrations, catalogues), kept per app: several
apps can share one process (the test suite, a demo LMS beside the tool), and their databases
must never answer for each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app

T = TypeVar("T")


def memo(name: str, factory: Callable[[], T]) -> T:
    memories: dict[str, Any] = current_app.extensions.setdefault("senda_memo", {})
    if name not in memories:
        memories.setdefault(name, factory())
    found: T = memories[name]
    return found


def forget(*names: str) -> None:
    memories: dict[str, Any] = current_app.extensions.setdefault("senda_memo", {})
    for name in names:
        memories.pop(name, None)
