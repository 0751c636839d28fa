"""Every string of the interface is translated into Spanish (English is the source language)."""

from __future__ import annotations

from pathlib import Path

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
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="es")
    translated = {}
    for message in catalogue:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        translated[key] = all(strings) and "fuzzy" not in message.flags
    method_map = [("lti_tool/**.py", "python"), ("lti_tool/templates/**.html", "jinja2")]
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
