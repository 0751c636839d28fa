"""Programme roles work across LMS courses, by grant, and never cross programmes."""

from __future__ import annotations

import pytest
from flask import Flask

from lti_tool.actor import Role
from lti_tool.models import DEFAULT_PROGRAMME_ID, Grant, db
from lti_tool.services import cohort, programme
from lti_tool.services.errors import Forbidden, NotFound, PersonNotFound
from tests.factories import (
    CourseFactory,
    DeploymentFactory,
    GrantFactory,
    PlatformFactory,
    ProgrammeFactory,
    actor_of,
    member,
)


@pytest.fixture
def two_programmes(app: Flask) -> dict[str, object]:
    """The default programme with two LMSs (a course each), and a regional programme with one."""
    moodle = PlatformFactory(issuer="https://moodle.example.org")
    canvas = PlatformFactory(issuer="https://canvas.example.org")
    regional = ProgrammeFactory(slug="biobio", name="Fundación del Biobío")
    other_lms = PlatformFactory(issuer="https://lms.biobio.example.org", programme_id=regional.id)
    ours = [
        CourseFactory(deployment=DeploymentFactory(platform=moodle), title="Cohorte Moodle"),
        CourseFactory(deployment=DeploymentFactory(platform=canvas), title="Cohorte Canvas"),
    ]
    theirs = CourseFactory(deployment=DeploymentFactory(platform=other_lms), title="Biobío 1")
    for course in [*ours, theirs]:
        member(course, name=f"Participante de {course.title}")
    team = member(ours[0], Role.FACILITATOR, name="Ana Pérez")
    GrantFactory(user_id=team.id, role=Role.PROGRAMME_TEAM.value)
    return {"ours": ours, "theirs": theirs, "team": team, "regional": regional}


def test_the_programme_team_sees_every_course_of_her_programme_and_nothing_else(
    two_programmes: dict[str, object],
) -> None:
    ours, theirs = two_programmes["ours"], two_programmes["theirs"]
    actor = actor_of(two_programmes["team"], ours[0], Role.FACILITATOR)  # type: ignore[arg-type,index]
    listed = programme.courses(actor)
    assert {c.title for c in listed} == {"Cohorte Moodle", "Cohorte Canvas"}
    assert all(c.participants == 1 for c in listed)
    # Across LMSs: the Canvas course's cohort, from a Moodle launch.
    scope = programme.course_scope(actor, ours[1].id)  # type: ignore[index]
    names = [m.user.name for m in cohort.members(scope)]
    assert names == ["Participante de Cohorte Canvas"]
    # Another programme's course is not found, and its people are nobody to her.
    with pytest.raises(NotFound):
        programme.course_scope(actor, theirs.id)  # type: ignore[attr-defined]
    people = {p.name for p in programme.people(actor)}
    assert "Participante de Biobío 1" not in people and "Participante de Cohorte Canvas" in people


def test_without_a_grant_nothing_of_the_programme_is_reachable(
    two_programmes: dict[str, object],
) -> None:
    ours = two_programmes["ours"]
    facilitator = member(ours[0], Role.FACILITATOR, name="Paula Rojas")  # type: ignore[index]
    actor = actor_of(facilitator, ours[0], Role.FACILITATOR)  # type: ignore[index]
    for call in (
        lambda: programme.courses(actor),
        lambda: programme.course_scope(actor, ours[1].id),  # type: ignore[index]
        lambda: programme.people(actor),
        lambda: programme.team_grants(actor),
    ):
        with pytest.raises(Forbidden):
            call()


def test_a_revoked_grant_stops_working_at_once(two_programmes: dict[str, object]) -> None:
    ours, team = two_programmes["ours"], two_programmes["team"]
    actor = actor_of(team, ours[0], Role.FACILITATOR)  # type: ignore[arg-type,index]
    grant_id = programme.team_grants(actor)[0].id
    programme.revoke(actor, grant_id)
    with pytest.raises(Forbidden):
        programme.courses(actor)
    assert db.session.get(Grant, grant_id).revoked_at is not None  # type: ignore[union-attr]


def test_the_team_grants_roles_only_to_people_of_its_programme(
    two_programmes: dict[str, object],
) -> None:
    ours, theirs, team = two_programmes["ours"], two_programmes["theirs"], two_programmes["team"]
    actor = actor_of(team, ours[0], Role.FACILITATOR)  # type: ignore[arg-type,index]
    tutor = member(ours[1], Role.FACILITATOR, name="Marta Díaz")  # type: ignore[index]
    programme.grant(actor, tutor.id, Role.TUTOR, "biobio")
    programme.grant(actor, tutor.id, Role.TUTOR, "biobio")  # twice: still one grant
    held = [g for g in programme.team_grants(actor) if g.user_id == tutor.id]
    assert [(g.role, g.region) for g in held] == [(Role.TUTOR, "biobio")]
    stranger = member(theirs, Role.FACILITATOR, name="Otra")  # type: ignore[arg-type]
    with pytest.raises(PersonNotFound):
        programme.grant(actor, stranger.id, Role.TUTOR, None)
    with pytest.raises(Forbidden):  # a course role is not a programme role
        programme.grant(actor, tutor.id, Role.DESIGNER, None)


def test_grants_belong_to_the_programme_they_were_given_in(
    two_programmes: dict[str, object],
) -> None:
    theirs, regional = two_programmes["theirs"], two_programmes["regional"]
    lead = member(theirs, Role.FACILITATOR, name="Coordinadora Biobío")  # type: ignore[arg-type]
    GrantFactory(user_id=lead.id, programme_id=regional.id)  # type: ignore[attr-defined]
    actor = actor_of(lead, theirs, Role.FACILITATOR)  # type: ignore[arg-type]
    assert actor.programme_id == regional.id != DEFAULT_PROGRAMME_ID  # type: ignore[attr-defined]
    assert [c.title for c in programme.courses(actor)] == ["Biobío 1"]
