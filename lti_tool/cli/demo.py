"""`flask --app lti_tool demo register`: register the demo LMS with the tool (make run)."""

from __future__ import annotations

import click

from lti_tool.demo.setup import register_demo_platform


@click.group("demo", help="The built-in demo LMS.")
def demo_cli() -> None:
    pass


@demo_cli.command("register", help="Register the demo LMS as a platform of this tool.")
def demo_register() -> None:
    platform_id = register_demo_platform()
    click.echo(f"demo LMS registered as platform {platform_id}")
