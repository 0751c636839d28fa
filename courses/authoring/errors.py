"""Problems found in content files, each with the file, the line and a plain message.

A message is kept twice: formatted in English (`message`, what `str()` and the tests read), and
as its English template with the values of its `{placeholders}`, so that the app can say it again
in the designer's language. The domain translates nothing itself (it knows no Babel)."""

from __future__ import annotations

from dataclasses import dataclass, field

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


def blocking(problems: list[ContentError]) -> list[ContentError]:
    """The problems that stop an import (warnings do not)."""
    return [p for p in problems if not p.is_warning]


class ContentInvalid(Exception):
    """The content tree has errors; `errors` lists them all."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__(f"{len(errors)} content error(s)")
        self.errors = errors
