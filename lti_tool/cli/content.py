"""`flask --app lti_tool content validate|import|schema`."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click
from flask_babel import force_locale

from courses.authoring.errors import ContentInvalid, blocking
from courses.authoring.schema import export_json_schema
from lti_tool.services import content
from lti_tool.web.i18n import LOCALES, content_message, locale_from_tag


@click.group("content", help="Validate and import the programme's content files.")
def content_cli() -> None:
    pass


def _terminal_language() -> str:
    """The language of the terminal, read as gettext reads it: the first of these variables that
    is set ('es_CL.UTF-8' is Spanish); English otherwise."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return locale_from_tag(value.split(":")[0].split(".")[0]) or "en"
    return "en"


@content_cli.command("validate", help="Check every content file; exit 1 on any problem.")
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--lang",
    type=click.Choice(LOCALES),
    help="Language of the messages (default: the terminal's, from LANGUAGE, LC_ALL, LANG…).",
)
def validate(path: Path | None, lang: str | None) -> None:
    started = time.perf_counter()
    problems = content.validate(path)
    with force_locale(lang or _terminal_language()):
        for problem in problems:
            click.echo(problem.located(content_message(problem)))
    elapsed = time.perf_counter() - started
    errors = blocking(problems)
    if errors:
        click.echo(f"{len(errors)} problem(s) found ({elapsed:.2f} s)", err=True)
        sys.exit(1)
    warnings = len(problems) - len(errors)
    suffix = f", {warnings} warning(s)" if warnings else ""
    click.echo(f"content is valid ({elapsed:.2f} s{suffix})")


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


@content_cli.command(
    "speak", help="Record missing audio of media activities from their transcripts."
)
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--force", is_flag=True, help="Record again even if the file exists.")
def speak(path: Path | None, force: bool) -> None:
    """A first recording with a speech synthesiser (espeak-ng, opus at 16 kbit/s) so every audio
    activity works from day one; replace the files with human recordings when you have them."""
    import shutil

    from lti_tool.services.recordings import missing_recordings, record

    if not (shutil.which("espeak-ng") and shutil.which("opusenc")):
        click.echo(
            "needs espeak-ng and opus-tools (apt-get install espeak-ng opus-tools)", err=True
        )
        sys.exit(1)
    made = 0
    for job in missing_recordings(path or content.content_root(), force):
        record(job)
        click.echo(f"recorded {job.target.name} ({job.target.stat().st_size // 1024} KB)")
        made += 1
    click.echo(f"{made} recording(s) made")
