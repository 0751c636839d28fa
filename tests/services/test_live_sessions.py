"""Whether a session still holds (services/launches.py, session_is_current): a launch's own
first seconds are trusted, then the person, her platform and her course role are read again, and
forgetting live sessions (after an erasure or a role change) ends that trust at once."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from sqlalchemy import delete

from lti_tool.actor import Role
from lti_tool.models import Membership, Platform, db
from lti_tool.services import launches
from tests.factories import CourseFactory, member

pytestmark = pytest.mark.service


def test_a_session_holds_while_her_role_and_platform_do(app: Flask, imported: int) -> None:
    course = CourseFactory()
    person = member(course, Role.PARTICIPANT)
    launches.forget_live_sessions()
    args = (person.id, person.platform_id, course.id)
    long_ago = time.time() - 3600
    assert launches.session_is_current(*args, Role.PARTICIPANT, long_ago)
    assert not launches.session_is_current(*args, Role.FACILITATOR, long_ago)  # not her role
    launches.forget_live_sessions()  # (remembered per person, course and role)
    assert not launches.session_is_current(
        person.id, person.platform_id + 1, course.id, Role.PARTICIPANT, long_ago
    )


def test_forgetting_live_sessions_ends_the_trust_of_a_fresh_launch(
    app: Flask, imported: int
) -> None:
    """Her membership is removed seconds after she launched: once sessions are forgotten, even
    a session opened a moment ago is read again, and no longer holds."""
    course = CourseFactory()
    person = member(course, Role.PARTICIPANT)
    opened = time.time() - 1
    assert launches.session_is_current(
        person.id, person.platform_id, course.id, Role.PARTICIPANT, opened
    )
    db.session.execute(delete(Membership).where(Membership.user_id == person.id))
    db.session.commit()
    time.sleep(0.01)
    launches.forget_live_sessions()
    assert not launches.session_is_current(
        person.id, person.platform_id, course.id, Role.PARTICIPANT, opened
    )


def test_a_deactivated_platform_ends_its_sessions(app: Flask, imported: int) -> None:
    course = CourseFactory()
    person = member(course, Role.PARTICIPANT)
    long_ago = time.time() - 3600
    launches.forget_live_sessions()
    assert launches.session_is_current(
        person.id, person.platform_id, course.id, Role.PARTICIPANT, long_ago
    )
    platform = db.session.get(Platform, person.platform_id)
    assert platform is not None
    platform.active = False
    db.session.commit()
    launches.forget_live_sessions()
    assert not launches.session_is_current(
        person.id, person.platform_id, course.id, Role.PARTICIPANT, long_ago
    )


def test_a_session_is_read_for_her_alone_in_her_own_course(app: Flask, imported: int) -> None:
    """Another person of the same platform, a member of another course, does not lend her a
    role in this one."""
    course = CourseFactory()
    her = member(course, Role.PARTICIPANT)
    other_course = CourseFactory(deployment_id=course.deployment_id)
    someone = member(other_course, Role.PARTICIPANT)
    launches.forget_live_sessions()
    long_ago = time.time() - 3600
    assert launches.session_is_current(
        her.id, her.platform_id, course.id, Role.PARTICIPANT, long_ago
    )
    assert not launches.session_is_current(
        someone.id, someone.platform_id, course.id, Role.PARTICIPANT, long_ago
    )
    assert launches.session_is_current(
        someone.id, someone.platform_id, other_course.id, Role.PARTICIPANT, long_ago
    )
