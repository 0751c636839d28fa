"""Every string of the interface is translated into Spanish (English is the source language),
content validation's messages included."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).parent.parent.parent
CATALOGUE = ROOT / "lti_tool" / "translations" / "es" / "LC_MESSAGES" / "messages.po"
TEMPLATE = ROOT / "lti_tool" / "translations" / "messages.pot"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "N_": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
}


def test_every_message_in_the_code_has_a_spanish_translation() -> None:
    catalogue = _catalogue()
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        translated[key] = all(strings) and "fuzzy" not in message.flags
    method_map = [
        ("lti_tool/**.py", "python"),
        ("courses/authoring/**.py", "python"),
        ("lti_tool/templates/**.html", "jinja2"),
    ]
    missing = []
    seen = 0
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=method_map,
        keywords=KEYWORDS,
        options_map={"lti_tool/templates/**.html": {}},
    ):
        key = message if isinstance(message, str) else message[0]
        seen += 1
        if key and not translated.get(key):
            missing.append(key)
    assert seen > 200  # templates and code were really read
    assert missing == []


def _extracted() -> set[str]:
    method_map = [
        ("lti_tool/**.py", "python"),
        ("courses/authoring/**.py", "python"),
        ("lti_tool/templates/**.html", "jinja2"),
    ]
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT),
            method_map=method_map,
            keywords=KEYWORDS,
            options_map={"lti_tool/templates/**.html": {}},
        )
        if message
    }


def test_the_spanish_catalogue_and_its_template_hold_exactly_the_code_s_messages() -> None:
    """No message left behind once the code stops saying it, and the template translators
    start from (`make messages`) is the code's as it is now."""
    in_code = _extracted()
    with TEMPLATE.open("rb") as handle:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    spanish = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue() if m.id}
    assert sorted(spanish - in_code) == []  # translated, but no longer said anywhere
    assert sorted(template ^ in_code) == []


def test_content_messages_keep_their_placeholders_in_spanish() -> None:
    """A content message is filled in with str.format: a {name} missing from the translation
    would drop a value, and one the English does not have would crash."""
    catalogue = _catalogue()
    checked = 0
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=[("courses/authoring/**.py", "python")], keywords={"N_": None}
    ):
        translation = catalogue.get(message)
        assert translation is not None, message
        assert _placeholders(translation.string) == _placeholders(message), message
        checked += 1
    assert checked > 100


def _catalogue() -> Catalog:
    with CATALOGUE.open("rb") as handle:
        return read_po(handle, locale="es")


def _placeholders(template: str) -> list[str]:
    return sorted(re.findall(r"\{([^{}]*)\}", template))
