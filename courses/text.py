"""A learner-facing text, in Spanish (Chile) and English."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Text:
    """A learner-facing text in both languages."""

    es: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.es

    @classmethod
    def of(cls, data: Mapping[str, str] | None) -> Text:
        data = data or {}
        return cls(es=data.get("es", ""), en=data.get("en", ""))


EMPTY = Text("", "")
