"""Problems found in content files, each with the file, the line and a plain message.

A message is kept twice: formatted in English (`message`, what `str()` and the tests read), and
as its English template with the values of its `{placeholders}`, so that the app can say it again
in the designer's language. The domain translates nothing itself (it knows no Babel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The values of a message's {placeholders}, as (name, value) pairs: a tuple keeps the error
# frozen and hashable. A value is never translated, unless it is itself a Message.
Params = tuple[tuple[str, object], ...]


def N_(template: str) -> str:
    """Marks a message template for the translation catalogue; the app translates it when shown."""
    return template


@dataclass(frozen=True)
class Message:
    """An English template with named {placeholders} (str.format) and their values."""

    template: str
    params: Params = ()

    @classmethod
    def of(cls, template: str, **params: object) -> Message:
        return cls(template, tuple(params.items()))

    def __str__(self) -> str:
        return self.template.format(**dict(self.params))


@dataclass(frozen=True, order=True)
class ContentError:
    path: str  # relative to the content folder
    line: int  # 1-based; 0 when the problem concerns the whole file
    message: str  # in English, formatted
    # "error" stops an import; "warning" (a source checked long ago, a review date passed) is
    # printed for the designer but the content still imports.
    severity: str = "error"
    # `message` before formatting. Not compared: the formatted message already tells them apart.
    template: str = field(default="", compare=False)
    params: Params = field(default=(), compare=False)

    @classmethod
    def of(cls, path: str, line: int, message: Message, severity: str = "error") -> ContentError:
        return cls(path, line, str(message), severity, message.template, message.params)

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"

    def __str__(self) -> str:
        return self.located(self.message)

    def located(self, message: str, warning: str = "warning") -> str:
        """`path:line: [warning: ]message`, with the message (and the word for a warning) in
        whatever language they were said."""
        label = f"{warning}: " if self.is_warning else ""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {label}{message}"


class Problems:
    """The problems found so far, each added from its N_-marked template and the values of its
    {names}; a file given as a Path is named relative to `root`."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.found: list[ContentError] = []

    def add(
        self,
        path: Path | str,
        line: int,
        template: str,
        severity: str = "error",
        **params: object,
    ) -> None:
        self.add_message(path, line, Message.of(template, **params), severity)

    def add_message(
        self, path: Path | str, line: int, message: Message, severity: str = "error"
    ) -> None:
        if isinstance(path, Path):
            assert self.root is not None, "a Path needs the root it is relative to"
            path = path.relative_to(self.root).as_posix()
        self.found.append(ContentError.of(path, line, message, severity))


def blocking(problems: list[ContentError]) -> list[ContentError]:
    """The problems that stop an import (warnings do not)."""
    return [p for p in problems if not p.is_warning]


class ContentInvalid(Exception):
    """The content tree has errors; `errors` lists them all."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__(f"{len(errors)} content error(s)")
        self.errors = errors
