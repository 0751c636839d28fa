"""Mentors and the women they accompany.

A mentor launched by the LMS with the Mentor role sees, in that course, only the participants the
LMS says she mentors (the launch's `role_scope_mentor` claim): their progress, never what they
wrote, their demographics or anything they asked for help with.
"""

from __future__ import annotations

from lti_tool.actor import Actor, Role
from lti_tool.services import cohort
from lti_tool.services.cohort import CourseScope, Member
from lti_tool.services.errors import Forbidden, ParticipantNotFound


def _scope(actor: Actor) -> CourseScope:
    if actor.role != Role.MENTOR or actor.context_id is None:
        raise Forbidden("not a mentor of this course")
    return CourseScope(actor.context_id)


def mentees(actor: Actor) -> list[Member]:
    """The participants of this course in her `role_scope_mentor`, with their progress."""
    if not actor.mentees:
        _scope(actor)
        return []
    return cohort.members(_scope(actor), subs=frozenset(actor.mentees))


def mentee(actor: Actor, user_id: int) -> Member:
    """One of her mentees; anyone else is not found."""
    for member in mentees(actor):
        if member.user.id == user_id:
            return member
    raise ParticipantNotFound(user_id)
