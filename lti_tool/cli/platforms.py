"""`flask --app lti_tool platforms add|list|disable|enable|add-deployment|remove-deployment`."""

from __future__ import annotations

import sys

import click

from lti_tool.services import platforms
from lti_tool.services.platforms import PlatformNotFound


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
    platform_id = platforms.add(
        {
            "issuer": issuer,
            "client_id": client_id,
            "name": name,
            "auth_login_url": auth_login_url,
            "auth_token_url": auth_token_url,
            "key_set_url": key_set_url,
            "auth_audience": auth_audience,
            "deployment_ids": list(deployment_ids),
        }
    )
    click.echo(f"platform {platform_id}: {issuer} client {client_id}")


@platforms_cli.command("list")
def platforms_list() -> None:
    for platform in platforms.listing():
        state = "active" if platform.active else "DISABLED"
        deployments = ", ".join(
            d.deployment_id + ("" if d.active else " (disabled)") for d in platform.deployments
        )
        click.echo(
            f"{platform.id:>3}  {state:8}  {platform.source:7}  {platform.issuer}  "
            f"client={platform.client_id}  deployments=[{deployments}]  "
            f"programme={platform.programme_id}"
        )


def _or_exit(action: object) -> None:
    try:
        action()  # type: ignore[operator]
    except PlatformNotFound as exc:
        click.echo(f"no such platform or deployment: {exc}", err=True)
        sys.exit(1)


@platforms_cli.command("disable", help="Refuse launches from this platform from now on.")
@click.argument("platform_id", type=int)
def platforms_disable(platform_id: int) -> None:
    _or_exit(lambda: platforms.set_active(platform_id, False))
    click.echo(f"platform {platform_id} disabled")


@platforms_cli.command("enable")
@click.argument("platform_id", type=int)
def platforms_enable(platform_id: int) -> None:
    _or_exit(lambda: platforms.set_active(platform_id, True))
    click.echo(f"platform {platform_id} enabled")


@platforms_cli.command("add-deployment")
@click.argument("platform_id", type=int)
@click.argument("deployment_id")
def platforms_add_deployment(platform_id: int, deployment_id: str) -> None:
    _or_exit(lambda: platforms.add_deployment(platform_id, deployment_id))
    click.echo(f"deployment {deployment_id} added to platform {platform_id}")


@platforms_cli.command("remove-deployment", help="Disable a deployment (its data is kept).")
@click.argument("platform_id", type=int)
@click.argument("deployment_id")
def platforms_remove_deployment(platform_id: int, deployment_id: str) -> None:
    _or_exit(lambda: platforms.disable_deployment(platform_id, deployment_id))
    click.echo(f"deployment {deployment_id} disabled")


@platforms_cli.command("pending", help="Registrations waiting for approval (known issuers).")
def platforms_pending() -> None:
    from lti_tool.services import registration

    rows = registration.pending()
    for row in rows:
        click.echo(
            f"{row.id:>3}  {row.created_at:%Y-%m-%d %H:%M}  {row.issuer}  client={row.client_id}"
        )
    if not rows:
        click.echo("nothing waiting")


@platforms_cli.command("approve", help="Approve a held registration (see `pending`).")
@click.argument("pending_id", type=int)
@click.option("--reject", is_flag=True, help="Reject it instead.")
def platforms_approve(pending_id: int, reject: bool) -> None:
    from lti_tool.services import registration
    from lti_tool.services.errors import NotFound

    try:
        platform_id = registration.decide(pending_id, approve=not reject)
    except NotFound:
        click.echo(f"no pending registration {pending_id}", err=True)
        sys.exit(1)
    click.echo("rejected" if reject else f"approved as platform {platform_id}")
