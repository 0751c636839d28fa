"""Who is asking: Senda's roles (a closed set) and the actor of a session.

A session is opened only by a verified LTI launch and belongs to one person in one LMS course,
with the one course role the launch gave her (`lti_tool/lti/roles.py` maps LTI roles to it).
Roles that LTI cannot express — the programme team, support leads, tutors, mentors of the
programme — are grants inside Senda (`models/programme.py`), looked up when a page needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    # Course roles, from the LMS launch.
    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    DESIGNER = "designer"
    MENTOR = "mentor"  # also a programme grant
    # Programme roles, granted inside Senda by the programme team.
    TUTOR = "tutor"
    SUPPORT_LEAD = "support_lead"
    PROGRAMME_TEAM = "programme_team"

    @classmethod
    def of(cls, value: object) -> Role | None:
        """The role named `value`, or None for anything Senda does not know."""
        try:
            return cls(str(value))
        except ValueError:
            return None


COURSE_ROLES = frozenset({Role.PARTICIPANT, Role.FACILITATOR, Role.DESIGNER, Role.MENTOR})
PROGRAMME_ROLES = frozenset({Role.PROGRAMME_TEAM, Role.SUPPORT_LEAD, Role.TUTOR, Role.MENTOR})
# Course staff: see and act on every participant of their LMS course.
COURSE_STAFF = frozenset({Role.FACILITATOR, Role.DESIGNER})


@dataclass(frozen=True)
class Actor:
    """The person behind a request, as her launch established her."""

    user_id: int
    platform_id: int
    programme_id: int
    context_id: int | None
    resource_link_id: int | None
    role: Role
    name: str
    # For a mentor launched by the LMS: the `sub`s of the people she mentors in this course
    # (the launch's role_scope_mentor claim). Empty for every other role.
    mentees: tuple[str, ...] = ()

    @property
    def is_course_staff(self) -> bool:
        return self.role in COURSE_STAFF
