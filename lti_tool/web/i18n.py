"""The interface language: the launch's locale, then the browser's, then Spanish."""

from __future__ import annotations

from flask import request, session

LOCALES = ("es", "en")


def locale_from_tag(tag: str | None) -> str | None:
    """'es-CL' -> 'es', 'en_US' -> 'en'; None for languages Senda does not speak."""
    if not tag:
        return None
    language = tag.replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else None


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    return request.accept_languages.best_match(LOCALES) or "es"
