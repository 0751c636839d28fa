"""What a designer or facilitator can place in an LMS course from Senda's picker, and the signed
answer to the LMS."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from courses.links import INTAKE, LinkTarget
from courses.model import Catalogue
from lti_tool.actor import Actor
from lti_tool.lti import onetime
from lti_tool.lti.deep_linking import ContentItem, response_jwt
from lti_tool.models import Platform, db
from lti_tool.services import content
from lti_tool.services.errors import Forbidden, NoContent


@dataclass(frozen=True)
class Choice:
    target: str
    title: str
    graded: bool
    maximum: float | None
    group: str


def choices(catalogue: Catalogue, locale: str) -> list[Choice]:
    """Everything a teacher can place in a course, from Senda's own catalogue only."""
    items = [Choice(INTAKE.format(), _("Senda: first questions and plan"), False, None, "")]
    for pathway_id in catalogue.pathway_ids:
        pathway = catalogue.pathways[pathway_id]
        group = pathway.title.get(locale)
        items.append(
            Choice(
                LinkTarget.pathway(pathway.id).format(),
                _("Senda · pathway: %(name)s", name=group),
                True,
                100.0,
                group,
            )
        )
        seen: set[str] = set()
        for level in pathway.levels:
            for course_id in level.course_ids:
                if course_id in seen:
                    continue
                seen.add(course_id)
                course = catalogue.courses[course_id]
                items.append(
                    Choice(
                        LinkTarget.course(course.id).format(),
                        f"{course.title.get(locale)} ({level.title.get(locale)})",
                        True,
                        course.score_maximum,
                        group,
                    )
                )
    return items


def available(locale: str) -> list[Choice]:
    found = content.latest_catalogue()
    if found is None:
        raise NoContent("no content imported")
    return choices(found[1], locale)


DL_PREFIX = "deep-linking:"
DL_TTL_SECONDS = 3600


def hold_settings(settings: dict[str, Any]) -> str:
    """Keep a deep-linking request's settings (its return URL, its opaque `data`, of any
    size) on the server; the session carries only this key. One response per request."""
    key = secrets.token_urlsafe(24)
    onetime.store().put(DL_PREFIX + key, settings, DL_TTL_SECONDS)
    return key


# Left for as long as a request would have lived, once it is answered: a second send (a double
# tap, Back and send again, an old tab) is told its choice went to the LMS, not "forbidden".
DL_SENT_PREFIX = "deep-linking-sent:"


class NoRequest(LookupError):
    """No deep-linking request held under this key (none was made, or it expired unanswered)."""


class AlreadyAnswered(LookupError):
    """This deep-linking request was answered already (a double tap, Back, an old cookie)."""


def held_settings(key: str | None) -> dict[str, Any]:
    """The settings of an open deep-linking request; which of the two errors when it is not."""
    settings = onetime.store().peek(DL_PREFIX + key) if key else None
    if settings is not None:
        return settings
    if key and onetime.store().peek(DL_SENT_PREFIX + key) is not None:
        raise AlreadyAnswered(key)
    raise NoRequest(key)


class NotAChoice(ValueError):
    """A chosen item that Senda did not offer (tampered, or another tenant's)."""


class OnlyOne(ValueError):
    """More than one item chosen for an LMS that accepts one at a time (accept_multiple)."""


def respond(
    actor: Actor, key: str, chosen: Sequence[str], locale: str, launch_url: str
) -> tuple[str, str]:
    """The signed response for the chosen targets (only Senda's own catalogue is accepted, and
    one of them when the LMS accepts one: OnlyOne), and the URL to post it to. The request's
    settings are used up: never two responses."""
    offered = {choice.target: choice for choice in available(locale)}
    if any(target not in offered for target in chosen):
        raise NotAChoice(chosen)
    if len(chosen) > 1 and not held_settings(key).get("accept_multiple", True):
        raise OnlyOne(chosen)  # checked before the request is used up: she chooses again
    settings = onetime.store().take(DL_PREFIX + key) if key else None
    if settings is None:
        raise AlreadyAnswered(key)
    onetime.store().put(DL_SENT_PREFIX + key, {}, DL_TTL_SECONDS)
    platform = db.session.get(Platform, actor.platform_id)
    if platform is None:
        raise Forbidden("platform gone")
    return settings["return_url"], response_jwt(
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_id=settings["deployment_id"],
        return_url=settings["return_url"],
        data=settings.get("data"),
        launch_url=launch_url,
        items=[
            ContentItem(target, offered[target].title, offered[target].maximum) for target in chosen
        ],
    )
