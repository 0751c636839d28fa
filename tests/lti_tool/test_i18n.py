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
