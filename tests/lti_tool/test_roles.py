"""Every role URI of the LTI 1.3 role vocabularies (LTI Core 1.3, Appendix A.2), with the Senda
course role it gives. Only context roles give anything; institution and system roles never do."""

from __future__ import annotations

import pytest

from lti_tool.actor import Role
from lti_tool.lti.roles import course_role

SYSTEM = "http://purl.imsglobal.org/vocab/lis/v2/system/person#"
INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SUB = "http://purl.imsglobal.org/vocab/lis/v2/membership/"

P, F, D, M = Role.PARTICIPANT, Role.FACILITATOR, Role.DESIGNER, Role.MENTOR

# A.2.1 system roles (core and non-core) and the LTI system role TestUser.
SYSTEM_ROLES = [
    SYSTEM + name
    for name in (
        "Administrator",
        "None",
        "AccountAdmin",
        "Creator",
        "SysAdmin",
        "SysSupport",
        "User",
    )
] + ["http://purl.imsglobal.org/vocab/lti/system/person#TestUser"]

# A.2.2 institution roles (core and non-core).
INSTITUTION_ROLES = [
    INSTITUTION + name
    for name in (
        "Administrator", "Faculty", "Guest", "None", "Other", "Staff", "Student", "Alumni",
        "Instructor", "Learner", "Member", "Mentor", "Observer", "ProspectiveStudent",
    )
]  # fmt: skip

# A.2.3 context roles, and A.2.3.1 their sub-roles.
CONTEXT_ROLES: dict[str, Role | None] = {
    MEMBERSHIP + "Administrator": D,
    MEMBERSHIP + "ContentDeveloper": D,
    MEMBERSHIP + "Instructor": F,
    MEMBERSHIP + "Learner": P,
    MEMBERSHIP + "Mentor": M,
    MEMBERSHIP + "Manager": F,
    MEMBERSHIP + "Member": P,
    MEMBERSHIP + "Officer": None,
}
SUB_ROLES: dict[str, tuple[list[str], Role | None]] = {
    "Administrator": (
        ["Administrator", "Developer", "ExternalDeveloper", "ExternalSupport",
         "ExternalSystemAdministrator", "Support", "SystemAdministrator"], D,
    ),
    "ContentDeveloper": (
        ["ContentDeveloper", "ContentExpert", "ExternalContentExpert", "Librarian"], D,
    ),
    "Instructor": (
        ["ExternalInstructor", "Grader", "GuestInstructor", "Lecturer", "PrimaryInstructor",
         "SecondaryInstructor", "TeachingAssistant", "TeachingAssistantGroup",
         "TeachingAssistantOffering", "TeachingAssistantSection",
         "TeachingAssistantSectionAssociation", "TeachingAssistantTemplate"], F,
    ),
    "Learner": (
        ["ExternalLearner", "GuestLearner", "Instructor", "Learner", "NonCreditLearner"], P,
    ),
    "Manager": (["AreaManager", "CourseCoordinator", "Manager"], F),
    "Member": (["Member"], P),
    "Mentor": (
        ["Advisor", "Auditor", "ExternalAdvisor", "ExternalAuditor",
         "ExternalLearningFacilitator", "ExternalMentor", "ExternalReviewer", "ExternalTutor",
         "LearningFacilitator", "Mentor", "Reviewer", "Tutor"], M,
    ),
    "Officer": (["Chair", "Communications", "Secretary", "Treasurer", "Vice-Chair"], None),
}  # fmt: skip
OBSERVERS = [SUB + "Manager#Observer", SUB + "Manager#ExternalObserver"]

TABLE: list[tuple[str, Role | None]] = [
    *((uri, None) for uri in SYSTEM_ROLES),
    *((uri, None) for uri in INSTITUTION_ROLES),
    *CONTEXT_ROLES.items(),
    *(
        (f"{SUB}{principal}#{sub}", role)
        for principal, (subs, role) in SUB_ROLES.items()
        for sub in subs
    ),
    *((uri, None) for uri in OBSERVERS),
    # Short names for context roles (LTI Core §A.2.3.1) and one seen in the wild.
    ("Learner", P),
    ("Instructor", F),
    ("ContentDeveloper", D),
    ("Mentor", M),
    ("TeachingAssistant", F),
    (MEMBERSHIP + "TeachingAssistant", F),
    ("http://example.org/unknown#Role", None),
    ("", None),
]


@pytest.mark.parametrize(("uri", "expected"), TABLE, ids=[uri or "empty" for uri, _ in TABLE])
def test_each_lti_role_gives_its_senda_role(uri: str, expected: Role | None) -> None:
    assert course_role([uri]) == expected


def test_the_table_covers_every_vocabulary() -> None:
    assert len(SYSTEM_ROLES) == 8 and len(INSTITUTION_ROLES) == 14 and len(CONTEXT_ROLES) == 8
    # 51 sub-roles: these 49 and the two observers of Manager.
    assert sum(len(subs) for subs, _ in SUB_ROLES.values()) + len(OBSERVERS) == 51


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        # An LMS system administrator who is a learner in this course is a participant.
        ([MEMBERSHIP + "Learner", SYSTEM + "Administrator", INSTITUTION + "Administrator"], P),
        ([MEMBERSHIP + "Learner", INSTITUTION + "Instructor", INSTITUTION + "Faculty"], P),
        # The role with most rights wins.
        ([MEMBERSHIP + "Learner", MEMBERSHIP + "Instructor", MEMBERSHIP + "ContentDeveloper"], D),
        ([MEMBERSHIP + "Mentor", MEMBERSHIP + "Learner"], M),
        ([SUB + "Instructor#TeachingAssistant", MEMBERSHIP + "Instructor"], F),
        # Institution and system roles alone give nothing.
        ([SYSTEM + "Administrator", INSTITUTION + "Administrator"], None),
        ([], None),
    ],
)
def test_several_roles(roles: list[str], expected: Role | None) -> None:
    assert course_role(roles) == expected
