"""Command-line tasks: `flask --app lti_tool <group> <command>`.

keys          ensure | rotate | show
platforms     add | list | disable | enable | add-deployment | remove-deployment
registration  token | tokens | revoke
content       validate | import | schema      (lti_tool/services/content_cli.py)
outbox        work | status | retry           (lti_tool/grades/cli.py)
demo          register                        (lti_tool/demo/cli.py)
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from sqlalchemy import select

from lti_tool.extensions import db
from lti_tool.lti import keys as tool_keys
from lti_tool.lti import registry
from lti_tool.models import Deployment, Platform


def init_app(app: Flask) -> None:
    app.cli.add_command(keys_cli)
    app.cli.add_command(platforms_cli)
    app.cli.add_command(registration_cli)
    from lti_tool.demo.cli import demo_cli
    from lti_tool.grades.cli import outbox_cli
    from lti_tool.services.content_cli import content_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(outbox_cli)


# ------------------------------------------------------------------------------------ keys
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
    import json

    click.echo(json.dumps(tool_keys.published_jwks(), indent=2))


# ------------------------------------------------------------------------------- platforms
@click.group("platforms", help="LMS registrations Senda trusts.")
def platforms_cli() -> None:
    pass


@platforms_cli.command("add", help="Register an LMS by hand (Moodle manual set-up, Canvas key).")
@click.option("--issuer", required=True, help="The platform's issuer (Moodle: the site URL).")
@click.option("--client-id", required=True)
@click.option("--name", default="")
@click.option("--auth-login-url", required=True, help="Moodle: <site>/mod/lti/auth.php")
@click.option("--auth-token-url", required=True, help="Moodle: <site>/mod/lti/token.php")
@click.option("--key-set-url", required=True, help="Moodle: <site>/mod/lti/certs.php")
@click.option("--auth-audience", default=None)
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Repeat for several.")
def platforms_add(
    issuer: str,
    client_id: str,
    name: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    auth_audience: str | None,
    deployment_ids: tuple[str, ...],
) -> None:
    declared = {
        "issuer": issuer,
        "client_id": client_id,
        "name": name,
        "auth_login_url": auth_login_url,
        "auth_token_url": auth_token_url,
        "key_set_url": key_set_url,
        "auth_audience": auth_audience,
        "deployment_ids": list(deployment_ids),
    }
    platform = registry.upsert_platform(declared, source="cli")
    db.session.commit()
    click.echo(f"platform {platform.id}: {issuer} client {client_id}")


@platforms_cli.command("list")
def platforms_list() -> None:
    for platform in db.session.scalars(select(Platform).order_by(Platform.id)):
        state = "active" if platform.active else "DISABLED"
        deployments = ", ".join(
            d.deployment_id + ("" if d.active else " (disabled)") for d in platform.deployments
        )
        click.echo(
            f"{platform.id:>3}  {state:8}  {platform.source:7}  {platform.issuer}  "
            f"client={platform.client_id}  deployments=[{deployments}]"
        )


def _platform(platform_id: int) -> Platform:
    registry.forget_cache()  # this process's memory; other workers catch up within seconds
    platform = db.session.get(Platform, platform_id)
    if platform is None:
        click.echo(f"no platform {platform_id}", err=True)
        sys.exit(1)
    return platform


@platforms_cli.command("disable", help="Refuse launches from this platform from now on.")
@click.argument("platform_id", type=int)
def platforms_disable(platform_id: int) -> None:
    _platform(platform_id).active = False
    db.session.commit()
    click.echo(f"platform {platform_id} disabled")


@platforms_cli.command("enable")
@click.argument("platform_id", type=int)
def platforms_enable(platform_id: int) -> None:
    _platform(platform_id).active = True
    db.session.commit()
    click.echo(f"platform {platform_id} enabled")


@platforms_cli.command("add-deployment")
@click.argument("platform_id", type=int)
@click.argument("deployment_id")
def platforms_add_deployment(platform_id: int, deployment_id: str) -> None:
    deployment = registry.add_deployment(_platform(platform_id), deployment_id)
    deployment.active = True
    db.session.commit()
    click.echo(f"deployment {deployment_id} added to platform {platform_id}")


@platforms_cli.command("remove-deployment", help="Disable a deployment (its data is kept).")
@click.argument("platform_id", type=int)
@click.argument("deployment_id")
def platforms_remove_deployment(platform_id: int, deployment_id: str) -> None:
    deployment = db.session.scalar(
        select(Deployment).where(
            Deployment.platform_id == platform_id, Deployment.deployment_id == deployment_id
        )
    )
    if deployment is None:
        click.echo("no such deployment", err=True)
        sys.exit(1)
    deployment.active = False
    db.session.commit()
    click.echo(f"deployment {deployment_id} disabled")


# ---------------------------------------------------------------------------- registration
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
    from lti_tool.lti.registration import create_token

    token = create_token(hours=hours, note=note)
    click.echo(
        "Give this URL to the LMS administrator (valid once, for "
        f"{hours} h):\n{base_url.rstrip('/')}/lti/register?token={token}"
    )


@registration_cli.command("tokens", help="List registration tokens.")
def registration_tokens() -> None:
    from lti_tool.lti.registration import list_tokens

    for row in list_tokens():
        click.echo(row)


@registration_cli.command("revoke", help="Revoke a token by its id (see `tokens`).")
@click.argument("token_id", type=int)
def registration_revoke(token_id: int) -> None:
    from lti_tool.lti.registration import revoke_token

    if not revoke_token(token_id):
        click.echo("no such token", err=True)
        sys.exit(1)
    click.echo(f"token {token_id} revoked")
