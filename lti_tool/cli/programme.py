"""`flask --app lti_tool programme list|create|grant|move-platform`: the programme above the
LMS courses. The first member of the programme team is granted here; she grants the rest from
Senda's programme page."""

from __future__ import annotations

import sys

import click

from lti_tool.actor import PROGRAMME_ROLES, Role
from lti_tool.services import programme
from lti_tool.services.errors import NotFound


@click.group("programme", help="Programmes, and programme roles LTI cannot express.")
def programme_cli() -> None:
    pass


@programme_cli.command("list")
def programme_list() -> None:
    for row in programme.programmes():
        click.echo(f"{row.id:>3}  {row.slug:24}  {row.name}")


@programme_cli.command("create", help="A new programme (a regional foundation, say).")
@click.argument("slug")
@click.argument("name")
def programme_create(slug: str, name: str) -> None:
    click.echo(f"programme {programme.create_programme(slug, name)}: {slug}")


@programme_cli.command("grant", help="Grant a programme role to someone who launched Senda.")
@click.option("--issuer", required=True, help="Her LMS's issuer (see `platforms list`).")
@click.option("--sub", required=True, help="Her user id in that LMS (the launch's `sub`).")
@click.option(
    "--role",
    "role_name",
    type=click.Choice(sorted(r.value for r in PROGRAMME_ROLES)),
    default=Role.PROGRAMME_TEAM.value,
    show_default=True,
)
@click.option("--programme", "programme_slug", default=None, help="Default: the first one.")
@click.option("--region", default=None, help="Limit the grant to one region.")
def programme_grant(
    issuer: str, sub: str, role_name: str, programme_slug: str | None, region: str | None
) -> None:
    try:
        user_id, created = programme.grant_from_cli(
            issuer, sub, Role(role_name), programme_slug, region
        )
    except NotFound as exc:
        click.echo(f"not found: {exc} (she must have opened Senda once)", err=True)
        sys.exit(1)
    state = "granted" if created else "already held"
    click.echo(f"{role_name} {state} for person {user_id}")


@programme_cli.command("move-platform", help="Put an LMS and its courses under a programme.")
@click.argument("platform_id", type=int)
@click.argument("programme_slug")
def programme_move_platform(platform_id: int, programme_slug: str) -> None:
    try:
        programme.move_platform(platform_id, programme_slug)
    except NotFound:
        click.echo("no such platform or programme", err=True)
        sys.exit(1)
    click.echo(f"platform {platform_id} now belongs to {programme_slug}")
