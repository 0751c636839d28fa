"""The interface language: the launch's locale, then the browser's, then Spanish."""

from __future__ import annotations

from contextvars import ContextVar

from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context, request, session
from flask_babel import get_translations

from courses.authoring.errors import ContentError, Message

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


# This request's translations, found once: Flask-Babel finds them again for every string (a
# page has some fifty), through several context lookups each time.
_found: ContextVar[tuple[object, Translations | NullTranslations] | None] = ContextVar(
    "senda_translations", default=None
)


def translations() -> Translations | NullTranslations:
    if not has_request_context():
        return get_translations()
    owner = request._get_current_object()  # type: ignore[attr-defined]
    found = _found.get()
    if found is None or found[0] is not owner:
        found = (owner, get_translations())
        _found.set(found)
    return found[1]


def forget_translations() -> None:
    """At the start of every request, and whenever the language may have changed."""
    _found.set(None)


def content_message(error: ContentError) -> str:
    """A content problem's message in the current language (in English, its template as written,
    with its values)."""
    if not error.template:  # an error made by hand, with its message only
        return error.message
    return _said(Message(error.template, error.params))


def _said(message: Message) -> str:
    values = {
        name: _said(value) if isinstance(value, Message) else value
        for name, value in message.params
    }
    return translations().ugettext(message.template).format(**values)


def install(app: Flask) -> None:
    """Templates translate through `translations()` (Flask-Babel's own callables otherwise)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["content_message"] = content_message
