"""Rows for tests, built with factory_boy: one place that knows how a valid row looks, so a test
names only what matters to it (`UserFactory(sub="carmen")`). Every factory commits its row
through the app's session, like the services do."""

from __future__ import annotations

from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory

from courses.links import LinkTarget
from lti_tool.actor import Actor, Role
from lti_tool.models import (
    DEFAULT_PROGRAMME_ID,
    Deployment,
    Grant,
    LmsContext,
    LtiUser,
    Membership,
    Platform,
    Programme,
    ResourceLink,
    ScoreOutbox,
    db,
)
from lti_tool.models.types import utcnow

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


class _Factory(SQLAlchemyModelFactory):  # type: ignore[misc]
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - factory_boy's hook
        sqlalchemy_session_persistence = "commit"


class ProgrammeFactory(_Factory):
    class Meta:
        model = Programme

    slug = factory.Sequence(lambda n: f"programme-{n}")
    name = factory.Sequence(lambda n: f"Programa regional {n}")


class PlatformFactory(_Factory):
    class Meta:
        model = Platform

    issuer = factory.Sequence(lambda n: f"https://lms{n}.example.edu")
    client_id = factory.Sequence(lambda n: f"client-{n}")
    name = factory.LazyAttribute(lambda p: p.issuer)
    auth_login_url = factory.LazyAttribute(lambda p: p.issuer + "/auth")
    auth_token_url = factory.LazyAttribute(lambda p: p.issuer + "/token")
    key_set_url = factory.LazyAttribute(lambda p: p.issuer + "/jwks")
    source = "cli"
    programme_id = DEFAULT_PROGRAMME_ID


class DeploymentFactory(_Factory):
    class Meta:
        model = Deployment

    platform = factory.SubFactory(PlatformFactory)
    platform_id = factory.SelfAttribute("platform.id")
    deployment_id = factory.Sequence(lambda n: f"deployment-{n}")


class CourseFactory(_Factory):
    """An LMS course (context)."""

    class Meta:
        model = LmsContext
        exclude = ("deployment",)

    deployment = factory.SubFactory(DeploymentFactory)
    deployment_id = factory.SelfAttribute("deployment.id")
    context_id = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Cohorte {n}")
    programme_id = factory.LazyAttribute(lambda c: c.deployment.platform.programme_id)


class UserFactory(_Factory):
    class Meta:
        model = LtiUser

    platform_id = factory.LazyFunction(lambda: PlatformFactory().id)
    sub = factory.Sequence(lambda n: f"user-{n}")
    name = factory.Sequence(lambda n: f"Participante {n}")
    given_name = factory.LazyAttribute(lambda u: u.name.split()[0])


class MembershipFactory(_Factory):
    class Meta:
        model = Membership

    user_id = factory.LazyFunction(lambda: UserFactory().id)
    context_id = factory.LazyFunction(lambda: CourseFactory().id)
    role = Role.PARTICIPANT.value


class LinkFactory(_Factory):
    """A graded resource link of an LMS course."""

    class Meta:
        model = ResourceLink
        exclude = ("course",)

    course = factory.SubFactory(CourseFactory)
    deployment_id = factory.SelfAttribute("course.deployment_id")
    context_id = factory.SelfAttribute("course.id")
    resource_link_id = factory.Sequence(lambda n: f"link-{n}")
    target = LinkTarget.course("ls").format()
    lineitem_url = factory.Sequence(lambda n: f"https://lms.example.edu/lineitems/{n}")
    ags_scopes = SCORE_SCOPE


class GrantFactory(_Factory):
    class Meta:
        model = Grant

    programme_id = DEFAULT_PROGRAMME_ID
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    role = Role.PROGRAMME_TEAM.value


class ScoreFactory(_Factory):
    """A score in the grade outbox, waiting by default, for a new participant of a new graded
    link (pass `link` to choose the link, and so the platform)."""

    class Meta:
        model = ScoreOutbox
        exclude = ("link",)

    link = factory.SubFactory(LinkFactory)
    resource_link_id = factory.SelfAttribute("link.id")
    platform_id = factory.LazyAttribute(
        lambda s: db.session.get(Deployment, s.link.deployment_id).platform_id
    )
    user_id = factory.LazyAttribute(lambda s: UserFactory(platform_id=s.platform_id).id)
    score_given = 1.0
    score_maximum = 1.0
    activity_progress = "InProgress"
    event_at = factory.LazyFunction(utcnow)


def member(course: LmsContext, role: Role = Role.PARTICIPANT, **user: Any) -> LtiUser:
    """A person of `course`'s LMS (same platform) with `role` in it."""
    platform_id = db.session.get(Deployment, course.deployment_id).platform_id  # type: ignore[union-attr]
    person: LtiUser = UserFactory(platform_id=platform_id, **user)
    MembershipFactory(user_id=person.id, context_id=course.id, role=role.value)
    return person


def actor_of(
    person: LtiUser, course: LmsContext | None, role: Role = Role.PARTICIPANT, **extra: Any
) -> Actor:
    """The actor a launch of `person` into `course` would establish."""
    return Actor(
        user_id=person.id,
        platform_id=person.platform_id,
        programme_id=course.programme_id if course else DEFAULT_PROGRAMME_ID,
        context_id=course.id if course else None,
        resource_link_id=None,
        role=role,
        name=person.given_name or person.name,
        **extra,
    )
