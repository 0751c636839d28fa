"""`flask --app lti_tool content validate|import|schema`."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click
from flask_babel import force_locale, gettext, ngettext

from courses.authoring.errors import ContentError, ContentInvalid, blocking
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


LANGUAGE_OPTION = click.option(
    "--lang",
    type=click.Choice(LOCALES),
    help="Language of the messages (default: the terminal's, from LANGUAGE, LC_ALL, LANG…).",
)


def _say(problems: list[ContentError]) -> None:
    for problem in problems:
        click.echo(problem.located(content_message(problem), warning=gettext("warning")))


@content_cli.command("validate", help="Check every content file; exit 1 on any problem.")
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@LANGUAGE_OPTION
def validate(path: Path | None, lang: str | None) -> None:
    started = time.perf_counter()
    problems = content.validate(path)
    with force_locale(lang or _terminal_language()):
        _say(problems)
        seconds = f"{time.perf_counter() - started:.2f}"
        errors = blocking(problems)
        if errors:
            found = ngettext(
                "%(num)s problem found (%(seconds)s s)",
                "%(num)s problems found (%(seconds)s s)",
                len(errors),
                seconds=seconds,
            )
            click.echo(found, err=True)
            sys.exit(1)
        warnings = len(problems)  # none of them blocks the import
        if warnings:
            click.echo(
                ngettext(
                    "content is valid (%(seconds)s s, %(num)s warning)",
                    "content is valid (%(seconds)s s, %(num)s warnings)",
                    warnings,
                    seconds=seconds,
                )
            )
        else:
            click.echo(gettext("content is valid (%(seconds)s s)", seconds=seconds))


@content_cli.command("import", help="Store the content folder as a new version (if it changed).")
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@LANGUAGE_OPTION
def import_(path: Path | None, lang: str | None) -> None:
    try:
        result = content.import_tree(path)
    except ContentInvalid as exc:
        with force_locale(lang or _terminal_language()):
            _say(exc.errors)
            refused = ngettext(
                "not imported: %(num)s problem", "not imported: %(num)s problems", len(exc.errors)
            )
            click.echo(refused, err=True)
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
