"""Command-line tasks: `flask --app lti_tool <group> <command>`. Each command calls a service (or
a job) and prints what it did.

keys          ensure | rotate | show
platforms     add | list | disable | enable | add-deployment | remove-deployment
registration  token | tokens | revoke
content       validate | import | schema | speak
outbox        work | status | retry
programme     list | create | grant | move-platform
privacy       new-key | reencrypt | purge
demo          register
"""

from __future__ import annotations

from flask import Flask

from lti_tool.cli.content import content_cli
from lti_tool.cli.demo import demo_cli
from lti_tool.cli.keys import keys_cli
from lti_tool.cli.outbox import outbox_cli
from lti_tool.cli.platforms import platforms_cli
from lti_tool.cli.privacy import privacy_cli
from lti_tool.cli.programme import programme_cli
from lti_tool.cli.registration import registration_cli


def init_app(app: Flask) -> None:
    for group in (
        keys_cli,
        platforms_cli,
        registration_cli,
        content_cli,
        outbox_cli,
        programme_cli,
        privacy_cli,
        demo_cli,
    ):
        app.cli.add_command(group)
