"""What every template may use: the language, the actor, names of regions, kinds and levels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import g, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from courses.geography import REGIONS, communes_of

REGION_NAMES = {region.slug: region.short_name for region in REGIONS}
# The checked list of communes, by region north to south and by name, for the intake's select.
COMMUNES_BY_REGION = tuple(
    (region.slug, tuple(sorted(communes_of(region.slug), key=lambda c: c.name)))
    for region in REGIONS
)


def media_url(src: str) -> str:
    """Content media are served from /media/…; https sources are used as they are."""
    if src.startswith("https://"):
        return src
    return url_for("home.media", filename=src.removeprefix("media/"))


def _names() -> dict[str, Any]:
    return {
        "kind_names": {
            "lesson": _("Reading"),
            "media": _("Audio"),
            "quiz": _("Knowledge check"),
            "reflection": _("Reflection"),
            "worksheet": _("Worksheet"),
            "workshop": _("Live workshop"),
        },
        "level_names": {"basic": _("Basic"), "advanced": _("Advanced")},
        "role_names": {
            "participant": _("Participant"),
            "facilitator": _("Facilitator"),
            "designer": _("Designer"),
            "mentor": _("Mentor"),
            "tutor": _("Employment tutor"),
            "support_lead": _("Support lead"),
            "programme_team": _("Programme team"),
        },
    }


def per_language(make: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """Translated names for templates, made once per language and process: every page would
    otherwise translate them all again, used or not. (The dicts are shared: read only.)"""
    made: dict[str, dict[str, Any]] = {}

    def names() -> dict[str, Any]:
        locale = str(get_locale() or "es")
        found = made.get(locale)
        if found is None:
            found = made[locale] = make()
        return found

    return names


_names_here = per_language(_names)


def template_globals() -> dict[str, Any]:
    return {
        "current_locale": str(get_locale() or "es"),
        "actor": g.get("actor"),
        # Programme pages offered in the menu (access is checked by each page).
        "nav_grants": tuple(session.get("grants", ())),
        "region_names": REGION_NAMES,
        "communes_by_region": COMMUNES_BY_REGION,
        **_names_here(),
        "media_url": media_url,
    }
