"""`flask --app lti_tool registration token|tokens|revoke`: LTI Dynamic Registration tokens."""

from __future__ import annotations

import sys

import click

from lti_tool.services import registration


@click.group("registration", help="LTI Dynamic Registration tokens.")
def registration_cli() -> None:
    pass


@registration_cli.command("token", help="Create a one-time registration URL for an LMS admin.")
@click.option(
    "--base-url", required=True, help="Senda's public URL, e.g. https://senda.example.org"
)
@click.option("--hours", default=24, show_default=True, help="Valid for this many hours.")
@click.option("--note", default="", help="Who it is for, e.g. 'Moodle of Fundación X'.")
def registration_token(base_url: str, hours: int, note: str) -> None:
    token = registration.create_token(hours=hours, note=note)
    click.echo(
        "Give this URL to the LMS administrator (valid once, for "
        f"{hours} h):\n{base_url.rstrip('/')}/lti/register?token={token}"
    )


@registration_cli.command("tokens", help="List registration tokens.")
def registration_tokens() -> None:
    for row in registration.list_tokens():
        click.echo(row)


@registration_cli.command("revoke", help="Revoke a token by its id (see `tokens`).")
@click.argument("token_id", type=int)
def registration_revoke(token_id: int) -> None:
    if not registration.revoke_token(token_id):
        click.echo("no such token", err=True)
        sys.exit(1)
    click.echo(f"token {token_id} revoked")
