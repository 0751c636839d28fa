"""Database models. Every row that belongs to an LMS hangs off a `Platform`, and every LMS course
belongs to a `Programme`, so isolation is a matter of following foreign keys, never of trusting a
request parameter. Sensitive data lives in `models/private.py`, reached only through
`services/privacy.py`."""

from lti_tool.models.base import db
from lti_tool.models.content import ContentVersion
from lti_tool.models.followup import FollowUp
from lti_tool.models.learning import ActivityProgress, Attendance, Enrolment, WorkshopSession
from lti_tool.models.lms import Deployment, LmsContext, LtiUser, Membership, Platform, ResourceLink
from lti_tool.models.mentoring import (
    MentoringSession,
    MentoringSignUp,
    MentorNote,
    MentorProfile,
    SchoolAttendance,
    SchoolCohort,
    SchoolMember,
    SchoolProgress,
    SchoolWorkshop,
)
from lti_tool.models.opportunities import Opportunity, OpportunityPointer
from lti_tool.models.outbox import AccessToken, ScoreOutbox
from lti_tool.models.programme import DEFAULT_PROGRAMME_ID, Cohort, Grant, Programme
from lti_tool.models.security import (
    OneTimeItem,
    PendingRegistration,
    RegistrationToken,
    ToolKey,
)
from lti_tool.models.types import UtcDateTime, utcnow

__all__ = [
    "DEFAULT_PROGRAMME_ID",
    "AccessToken",
    "ActivityProgress",
    "Attendance",
    "Cohort",
    "ContentVersion",
    "Deployment",
    "Enrolment",
    "FollowUp",
    "Grant",
    "LmsContext",
    "LtiUser",
    "Membership",
    "MentorNote",
    "MentorProfile",
    "MentoringSession",
    "MentoringSignUp",
    "OneTimeItem",
    "Opportunity",
    "OpportunityPointer",
    "PendingRegistration",
    "Platform",
    "Programme",
    "RegistrationToken",
    "ResourceLink",
    "SchoolAttendance",
    "SchoolCohort",
    "SchoolMember",
    "SchoolProgress",
    "SchoolWorkshop",
    "ScoreOutbox",
    "ToolKey",
    "UtcDateTime",
    "WorkshopSession",
    "db",
    "utcnow",
]
