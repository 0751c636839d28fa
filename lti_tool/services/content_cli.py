"""`flask --app lti_tool content validate|import|schema`."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from courses.authoring.errors import ContentInvalid
from courses.authoring.schema import export_json_schema
from lti_tool.services import content


@click.group("content", help="Validate and import the programme's content files.")
def content_cli() -> None:
    pass


@content_cli.command("validate", help="Check every content file; exit 1 on any problem.")
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
def validate(path: Path | None) -> None:
    started = time.perf_counter()
    errors = content.validate(path)
    for error in errors:
        click.echo(str(error))
    elapsed = time.perf_counter() - started
    if errors:
        click.echo(f"{len(errors)} problem(s) found ({elapsed:.2f} s)", err=True)
        sys.exit(1)
    click.echo(f"content is valid ({elapsed:.2f} s)")


@content_cli.command("import", help="Store the content folder as a new version (if it changed).")
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
def import_(path: Path | None) -> None:
    try:
        result = content.import_tree(path)
    except ContentInvalid as exc:
        for error in exc.errors:
            click.echo(str(error))
        click.echo(f"not imported: {len(exc.errors)} problem(s)", err=True)
        sys.exit(1)
    state = "imported as new version" if result.created else "unchanged, already version"
    details = ", ".join(f"{k} {v}" for k, v in result.summary.items())
    click.echo(f"content {state} {result.version_id} ({details})")


@content_cli.command("schema", help="Print the JSON Schema of the content files.")
def schema() -> None:
    click.echo(json.dumps(export_json_schema(), indent=2))
