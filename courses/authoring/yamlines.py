"""YAML loading that remembers where each key and item was written, so that a schema error can
name its line. Only YAML's safe subset is accepted: tags such as `!!python/object` fail."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from courses.authoring.errors import N_, Message


class LineDict(dict[str, Any]):
    """A mapping that also knows the line of each of its keys."""

    line: int
    lines: dict[str, int]


class LineList(list[Any]):
    line: int
    lines: list[int]


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        mapping = LineDict(
            {str(k): v for k, v in super().construct_mapping(node, deep=True).items()}
        )
        mapping.line = node.start_mark.line + 1
        mapping.lines = {}
        for key_node, _ in node.value:
            mapping.lines[str(key_node.value)] = key_node.start_mark.line + 1
        return mapping

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> LineList:
        items = LineList(super().construct_sequence(node, deep=True))
        items.line = node.start_mark.line + 1
        items.lines = [child.start_mark.line + 1 for child in node.value]
        return items


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence
)


class YamlProblem(Exception):
    def __init__(self, line: int, message: Message) -> None:
        super().__init__(str(message))
        self.line = line
        self.message = message


# PyYAML's words for the mistakes designers make most, and what they read instead: the first
# entry whose words are in the error's context and in its problem ("" matches anything) decides.
# The problem is still reported at its own line (the problem mark); a template may name {line}
# (where the quote or bracket was opened: the context mark), {character} or {name} (the first
# thing PyYAML quotes in its words, in single quotes or, for a ', in double).
_PLAIN_WORDS: tuple[tuple[str, str, str], ...] = (
    ("", "found character '\\t'", N_("a tab here: indent with spaces, not tabs")),
    (
        "",
        "that cannot start any token",
        N_("a value cannot start with '{character}': put the whole value in quotes"),
    ),
    (
        "",
        "mapping values are not allowed here",
        N_(
            "a ':' inside a value: put the whole value in quotes "
            "(if this line starts a key, check its indentation and the line above)"
        ),
    ),
    (
        "while scanning a quoted scalar",
        "",
        N_("the quote opened on line {line} is never closed: close it with the same kind of quote"),
    ),
    ("", "could not find expected ':'", N_("line {line} is not 'key: value': is a ':' missing?")),
    (
        "while parsing a flow sequence",
        "",
        N_("the '[' opened on line {line} is never closed with ']' (or a ',' is missing)"),
    ),
    (  # the braces doubled: str.format reads them as the braces themselves
        "while parsing a flow mapping",
        "",
        N_("the '{{' opened on line {line} is never closed with '}}' (or a ',' is missing)"),
    ),
    (
        "",
        "sequence entries are not allowed here",
        N_(
            "a list item '- ' on the same line as its key: put each item on a line of its own "
            "below the key, or put the whole value in quotes if the '-' is part of the text"
        ),
    ),
    (
        "",
        "found unknown escape character",
        N_(
            "a backslash inside double quotes starts an escape, and \\{character} is not one: "
            "put the whole value in single quotes instead, or write \\\\ for each backslash"
        ),
    ),
    ("", "expected <block end>", N_("this line's indentation does not match the lines above it")),
    (
        "while scanning an alias",
        "",
        N_("a value that starts with '*' reads as a YAML alias: put the whole value in quotes"),
    ),
    (
        "",
        "found undefined alias",
        N_(
            "'*{name}' names an anchor '&{name}' that is not defined above: "
            "if the '*' is part of the text, put the whole value in quotes"
        ),
    ),
    (
        "found duplicate anchor",
        "",
        N_("the anchor '&{name}' is defined twice: give each anchor its own name"),
    ),
)


def load(text: str, first_line: int = 1) -> Any:
    """Parse YAML; line numbers are shifted so that `first_line` is the text's first line."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        if isinstance(exc, yaml.constructor.ConstructorError):
            problem = Message.of(N_("YAML tag not allowed ({problem})"), problem=exc.problem)
        elif exc.problem:
            problem = _plain(exc, first_line)
        else:
            problem = Message(N_("invalid YAML"))
        raise YamlProblem(line, problem) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(
            first_line, Message.of(N_("invalid YAML: {problem}"), problem=str(exc))
        ) from exc
    if first_line != 1:
        _shift(data, first_line - 1)
    return data


# What PyYAML quotes: a name or a character as Python writes it (repr), so ' is in double quotes.
_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


def _plain(exc: yaml.MarkedYAMLError, first_line: int) -> Message:
    """PyYAML's problem in the designer's words, or in PyYAML's own (English) when it is not
    one of the usual mistakes."""
    context, problem = exc.context or "", exc.problem or ""
    if "but found '<scalar>'" in problem and not _begins_its_line(exc.problem_mark):
        # `title: "Hola" mundo`, `title: 'it's'`, `title: [Borrador] Hola`; at the start of a
        # line, the same words mean an indentation mistake (the table's entry).
        return Message(
            N_(
                "text after a closing quote or bracket: put the whole value in quotes "
                "of a kind it does not contain (\"...\" or '...')"
            )
        )
    for context_words, problem_words, template in _PLAIN_WORDS:
        if context_words in context and problem_words in problem:
            quoted = _QUOTED.search(context if context_words else problem)
            word = (quoted[1] or quoted[2] or "") if quoted else ""
            values = {
                "line": exc.context_mark.line + first_line if exc.context_mark else first_line,
                "character": word,
                "name": word,
            }
            return Message.of(
                template, **{k: v for k, v in values.items() if f"{{{k}}}" in template}
            )
    # PyYAML's own words, in English; the template lets a translation introduce them.
    return Message.of(N_("{yaml_problem}"), yaml_problem=problem)


def _begins_its_line(mark: yaml.Mark | None) -> bool:
    """Whether only spaces come before the mark on its line."""
    if mark is None or mark.buffer is None:
        return True
    start = mark.buffer.rfind("\n", 0, mark.pointer) + 1
    return not mark.buffer[start : mark.pointer].strip()


def _shift(data: Any, offset: int) -> None:
    if isinstance(data, LineDict):
        data.line += offset
        data.lines = {k: v + offset for k, v in data.lines.items()}
        for value in data.values():
            _shift(value, offset)
    elif isinstance(data, LineList):
        data.line += offset
        data.lines = [v + offset for v in data.lines]
        for value in data:
            _shift(value, offset)


def line_of(data: Any, path: tuple[str | int, ...]) -> int:
    """The line of the deepest element of `path` that exists in `data`."""
    line = getattr(data, "line", 1)
    node = data
    for part in path:
        if isinstance(node, LineDict) and isinstance(part, str) and part in node:
            line = node.lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lines[part]
            node = node[part]
        else:
            break
    return line
