"""Problems found in content files, each with the file, the line and a plain message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ContentError:
    path: str  # relative to the content folder
    line: int  # 1-based; 0 when the problem concerns the whole file
    message: str
    # "error" stops an import; "warning" (a source checked long ago, a review date passed) is
    # printed for the designer but the content still imports.
    severity: str = "error"

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"

    def __str__(self) -> str:
        label = "warning: " if self.is_warning else ""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {label}{self.message}"


def blocking(problems: list[ContentError]) -> list[ContentError]:
    """The problems that stop an import (warnings do not)."""
    return [p for p in problems if not p.is_warning]


class ContentInvalid(Exception):
    """The content tree has errors; `errors` lists them all."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__(f"{len(errors)} content error(s)")
        self.errors = errors
