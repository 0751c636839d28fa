"""`flask --app lti_tool privacy new-key|reencrypt|purge`: encryption keys and retention."""

from __future__ import annotations

import click

from lti_tool.models.encryption import new_key
from lti_tool.services import privacy


@click.group("privacy", help="Encryption of sensitive data, and retention.")
def privacy_cli() -> None:
    pass


@privacy_cli.command("new-key", help="Print a new encryption key.")
def privacy_new_key() -> None:
    click.echo(new_key())
    click.echo(
        "Put it FIRST in [privacy] encryption_keys (SENDA_PRIVACY__ENCRYPTION_KEYS, comma "
        "separated), keep the old keys after it, restart, then run `privacy reencrypt`.",
        err=True,
    )


@privacy_cli.command("reencrypt", help="Encrypt every sensitive value with the newest key.")
def privacy_reencrypt() -> None:
    click.echo(f"{privacy.reencrypt()} row(s) re-encrypted")


@privacy_cli.command("purge", help="Apply the retention periods now.")
def privacy_purge() -> None:
    people, log_rows = privacy.purge_expired()
    click.echo(f"{people} person(s) erased, {log_rows} access-log row(s) deleted")
