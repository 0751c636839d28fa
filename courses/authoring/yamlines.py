"""YAML loading that remembers where each key and item was written, so that a schema error can
name its line. Only YAML's safe subset is accepted: tags such as `!!python/object` fail."""

from __future__ import annotations

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
            # PyYAML's own words, in English; the template lets a translation introduce them.
            problem = Message.of(N_("{yaml_problem}"), yaml_problem=exc.problem)
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
