"""From the roles an LMS sends (LTI Core 1.3 §5.3.7 and Appendix A.2) to Senda's course role.

One table decides. Only context roles — what the person is in *this* LMS course — count:
institution and system roles (A.2.1, A.2.2) never give course rights, because Moodle and Canvas
send "Administrator" or "Instructor" institution roles to people who are learners in the course at
hand. When several context roles apply, the one with the most rights wins
(designer > facilitator > mentor > participant). A launch whose roles map to nothing is refused
with a clear page (`unknown_role`): Senda does not guess.
"""

from __future__ import annotations

from collections.abc import Iterable

from lti_tool.actor import Role

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SUB_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership/"

# Principal context roles (A.2.3), core and non-core, and what each gives in Senda. None: the
# role is known and deliberately gives nothing (an officer or an observer of the course).
PRINCIPAL: dict[str, Role | None] = {
    "Administrator": Role.DESIGNER,
    "ContentDeveloper": Role.DESIGNER,
    "Instructor": Role.FACILITATOR,
    "Learner": Role.PARTICIPANT,
    "Mentor": Role.MENTOR,
    "Manager": Role.FACILITATOR,
    "Member": Role.PARTICIPANT,
    "Officer": None,
}

# Sub-roles (A.2.3.1) follow their principal role, except these.
SUB_ROLE_EXCEPTIONS: dict[str, Role | None] = {
    "Manager#Observer": None,
    "Manager#ExternalObserver": None,
}

# Seen in the wild although not in the vocabulary (Canvas, older Moodle).
EXTRA: dict[str, Role] = {
    MEMBERSHIP + "TeachingAssistant": Role.FACILITATOR,
    "TeachingAssistant": Role.FACILITATOR,
}

_RANK = {Role.DESIGNER: 4, Role.FACILITATOR: 3, Role.MENTOR: 2, Role.PARTICIPANT: 1}


def context_role(uri: str) -> Role | None:
    """The Senda role one LTI role URI gives in this course; None if it gives none."""
    if uri in EXTRA:
        return EXTRA[uri]
    if uri.startswith(MEMBERSHIP):
        return PRINCIPAL.get(uri[len(MEMBERSHIP) :])
    if uri.startswith(SUB_ROLE):
        sub = uri[len(SUB_ROLE) :]
        if sub in SUB_ROLE_EXCEPTIONS:
            return SUB_ROLE_EXCEPTIONS[sub]
        return PRINCIPAL.get(sub.partition("#")[0])
    if "/" not in uri and "#" not in uri:
        # Short names are allowed for context roles only (LTI Core §A.2.3.1).
        return PRINCIPAL.get(uri)
    return None  # institution, system and unknown vocabularies


def course_role(lti_roles: Iterable[str]) -> Role | None:
    """The course role with the most rights among `lti_roles`, or None if none maps."""
    found = [role for uri in lti_roles if (role := context_role(uri)) is not None]
    return max(found, key=_RANK.__getitem__) if found else None
