"""One YAML text (a file, or an activity's front matter) read and checked against its schema, for
the content tree and the programme data alike: each problem is reported with the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError

from courses.authoring import yamlines
from courses.authoring.errors import N_, Problems
from courses.authoring.schema import schema_problems


def load_checked(
    p: Problems, path: Path | str, text: str, schema: Schema, first_line: int = 1
) -> tuple[Any, dict[str, Any] | None]:
    """(the YAML with its lines, the data `schema` loaded from it). The YAML is None when it could
    not be parsed (or is empty); the data is None when anything is wrong, and every problem is
    then in `p` under `path`. `first_line` is the file line of the text's first line."""
    try:
        raw = yamlines.load(text, first_line)
    except yamlines.YamlProblem as exc:
        p.add_message(path, exc.line, exc.message)
        return None, None
    if not isinstance(raw, dict):
        p.add(path, getattr(raw, "line", 1), N_("expected a YAML mapping (key: value lines)"))
        return raw, None
    try:
        data: dict[str, Any] = schema.load(raw)
    except ValidationError as exc:
        for error_path, message in schema_problems(exc.messages):
            p.add_message(path, yamlines.line_of(raw, error_path), message)
        return raw, None
    return raw, data
