"""`flask --app lti_tool keys ensure|rotate|show`: Senda's own signing keys."""

from __future__ import annotations

import json

import click

from lti_tool.lti import keys as tool_keys


@click.group("keys", help="Senda's own signing keys (published at /lti/jwks).")
def keys_cli() -> None:
    pass


@keys_cli.command("ensure", help="Create the first key pair if there is none.")
def keys_ensure() -> None:
    key = tool_keys.ensure_current_key()
    click.echo(f"current key: {key.kid}")


@keys_cli.command("rotate", help="New current key; the old one stays published as previous.")
def keys_rotate() -> None:
    key = tool_keys.rotate()
    click.echo(f"new current key: {key.kid}")
    click.echo("the previous key stays in the JWKS until the next rotation")


@keys_cli.command("show", help="Print the published JWKS.")
def keys_show() -> None:

    click.echo(json.dumps(tool_keys.published_jwks(), indent=2))
