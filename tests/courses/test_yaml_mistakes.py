"""The YAML mistakes designers make most are reported in their words, not PyYAML's, at the line
PyYAML names: a tab, a ':' or a quote inside a value, an indentation that does not match, an
unclosed quote, '[' or '{', a line without its ':', a list item on its key's line, a backslash in
double quotes, a '*' or '&' read as an alias or anchor. Each case breaks one file of the small
test programme and looks for the exact `file:line: message`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from courses.authoring.tree import compile_tree

GOOD = Path(__file__).parent.parent / "data" / "content"
ES_LESSON = "courses/ls/es/01-ls-welcome.md"
REFERRALS = "support/referrals.yaml"
PROGRAMME = "id: test-programme\ntitle: {title}\npathways: [entrepreneurship, employment]\n"
QUOTE_OR_BRACKET = (
    "text after a closing quote or bracket: put the whole value in quotes "
    "of a kind it does not contain (\"...\" or '...')"
)
ESCAPE = (
    "a backslash inside double quotes starts an escape, and {escape} is not one: "
    "put the whole value in single quotes instead, or write \\\\ for each backslash"
)
LIST_ITEM = (
    "a list item '- ' on the same line as its key: put each item on a line of its own "
    "below the key, or put the whole value in quotes if the '-' is part of the text"
)
COLON = (
    "a ':' inside a value: put the whole value in quotes "
    "(if this line starts a key, check its indentation and the line above)"
)


def front_matter(*lines: str) -> str:
    """An activity whose front matter (file line 2 on) is `lines`."""
    return "---\n" + "\n".join(lines) + "\n---\n## Hola\n\nTexto.\n"


# (case, file to write, its text, the exact "path:line: message" expected among the problems)
MISTAKES: list[tuple[str, str, str, str]] = [
    (
        "tab",
        "programme.yaml",
        "id: test-programme\n\ttitle: x\n",
        "programme.yaml:2: a tab here: indent with spaces, not tabs",
    ),
    (
        "tab in front matter",
        ES_LESSON,
        front_matter("id: ls-welcome", "kind: lesson", "\ttitle: Bienvenida"),
        f"{ES_LESSON}:4: a tab here: indent with spaces, not tabs",
    ),
    (
        "tab in programme data",
        REFERRALS,
        "referrals:\n\t- id: x\n",
        f"{REFERRALS}:2: a tab here: indent with spaces, not tabs",
    ),
    (
        "value starting with @",
        "programme.yaml",
        PROGRAMME.format(title="@senda"),
        "programme.yaml:2: a value cannot start with '@': put the whole value in quotes",
    ),
    (
        "value starting with a backtick",
        ES_LESSON,
        front_matter("id: ls-welcome", "kind: lesson", "title: `Hola`"),
        f"{ES_LESSON}:4: a value cannot start with '`': put the whole value in quotes",
    ),
    (
        "colon inside a value",
        "programme.yaml",
        PROGRAMME.format(title="Ojo: esto"),
        f"programme.yaml:2: {COLON}",
    ),
    (
        "key indented under a value",
        "programme.yaml",
        "id: test-programme\ntitle: x\n  description: y\n",
        f"programme.yaml:3: {COLON}",
    ),
    (
        "unclosed double quote",
        "programme.yaml",
        'id: test-programme\ntitle: "Programa\npathways: [employment]\n',
        "programme.yaml:4: the quote opened on line 2 is never closed: "
        "close it with the same kind of quote",
    ),
    (
        "unclosed single quote in front matter",
        ES_LESSON,
        front_matter("id: ls-welcome", "title: 'Bienvenida", "kind: lesson"),
        f"{ES_LESSON}:4: the quote opened on line 3 is never closed: "
        "close it with the same kind of quote",
    ),
    (
        "line without its colon",
        "programme.yaml",
        "id: test-programme\ntitle\npathways: [employment]\n",
        "programme.yaml:3: line 2 is not 'key: value': is a ':' missing?",
    ),
    (
        "line without its colon in front matter",
        ES_LESSON,
        front_matter("id: ls-welcome", "kind lesson", "title: Bienvenida"),
        f"{ES_LESSON}:4: line 3 is not 'key: value': is a ':' missing?",
    ),
    (
        "unclosed bracket",
        "programme.yaml",
        "id: test-programme\ntitle: x\npathways: [employment\n",
        "programme.yaml:4: the '[' opened on line 3 is never closed with ']' (or a ',' is missing)",
    ),
    (
        "unclosed brace",
        "programme.yaml",
        "id: test-programme\ntitle: {es: Programa, en: Programme\npathways: [employment]\n",
        "programme.yaml:3: the '{' opened on line 2 is never closed with '}' (or a ',' is missing)",
    ),
    (
        "brace without its comma, in front matter",
        ES_LESSON,
        front_matter("id: ls-welcome", "kind: lesson", "title: {es: Hola en: Hello}"),
        f"{ES_LESSON}:4: the '{{' opened on line 4 is never closed with '}}' (or a ',' is missing)",
    ),
    (
        "list item on its key's line",
        "programme.yaml",
        "id: test-programme\ntitle: x\npathways: - employment\n",
        f"programme.yaml:3: {LIST_ITEM}",
    ),
    (
        "unknown escape in double quotes",
        "programme.yaml",
        PROGRAMME.format(title='"C:\\qué"'),
        "programme.yaml:2: " + ESCAPE.format(escape="\\q"),
    ),
    (
        "escaped apostrophe in double quotes",
        ES_LESSON,
        front_matter("id: ls-welcome", "kind: lesson", 'title: "It\\\'s here"'),
        f"{ES_LESSON}:4: " + ESCAPE.format(escape="\\'"),
    ),
    (
        "key indented less than its neighbours",
        "programme.yaml",
        "id: test-programme\ntitle:\n  es: a\n en: b\n",
        "programme.yaml:4: this line's indentation does not match the lines above it",
    ),
    (
        "list item indented less than the others",
        "programme.yaml",
        "id: test-programme\npathways:\n  - entrepreneurship\n - employment\n",
        "programme.yaml:4: this line's indentation does not match the lines above it",
    ),
    (
        "text indented less than its mapping",
        "programme.yaml",
        "id: test-programme\ntitle:\n  es: a\n en\n",
        "programme.yaml:4: this line's indentation does not match the lines above it",
    ),
    (
        "text after a closing quote",
        "programme.yaml",
        PROGRAMME.format(title='"Programa" de prueba'),
        f"programme.yaml:2: {QUOTE_OR_BRACKET}",
    ),
    (
        "apostrophe inside single quotes",
        ES_LESSON,
        front_matter("id: ls-welcome", "kind: lesson", "title: 'It's here'"),
        f"{ES_LESSON}:4: {QUOTE_OR_BRACKET}",
    ),
    (
        "text after a closing bracket",
        "programme.yaml",
        PROGRAMME.format(title="[Borrador] Programa"),
        f"programme.yaml:2: {QUOTE_OR_BRACKET}",
    ),
    (
        "emphasis read as an alias",
        "programme.yaml",
        PROGRAMME.format(title="*Importante* programa"),
        "programme.yaml:2: a value that starts with '*' reads as a YAML alias: "
        "put the whole value in quotes",
    ),
    (
        "undefined alias",
        "programme.yaml",
        PROGRAMME.format(title="*programa"),
        "programme.yaml:2: '*programa' names an anchor '&programa' that is not defined above: "
        "if the '*' is part of the text, put the whole value in quotes",
    ),
    (
        "duplicate anchor",
        "programme.yaml",
        "id: &a test-programme\ntitle: &a x\n",
        "programme.yaml:2: the anchor '&a' is defined twice: give each anchor its own name",
    ),
    (
        "anything else: PyYAML's own words",
        "programme.yaml",
        PROGRAMME.format(title="|x"),
        "programme.yaml:2: expected chomping or indentation indicators, but found 'x'",
    ),
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(GOOD, root)
    return root


@pytest.mark.parametrize(
    ("case", "path", "text", "expected"), MISTAKES, ids=[m[0] for m in MISTAKES]
)
def test_a_yaml_mistake_is_said_in_the_designers_words(
    tree: Path, case: str, path: str, text: str, expected: str
) -> None:
    (tree / path).write_text(text, encoding="utf-8")
    _, errors = compile_tree(tree)
    found = [str(e) for e in errors]
    assert expected in found, "\n".join(found)
    assert len([f for f in found if f.startswith(f"{path}:")]) == 1  # said once, not twice
