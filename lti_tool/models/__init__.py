"""Database models. Every row that belongs to an LMS hangs off a `Platform`, so tenant isolation
is a matter of following foreign keys, never of trusting a request parameter."""

# The demo LMS's tables are part of the schema (and of the migrations) everywhere.
from lti_tool.demo import models as _demo_models  # noqa: F401
from lti_tool.models.content import ContentVersion
from lti_tool.models.learning import (
    ActivityProgress,
    Attendance,
    Demographics,
    Enrolment,
    WorkshopSession,
)
from lti_tool.models.lms import Deployment, LmsContext, LtiUser, Membership, Platform, ResourceLink
from lti_tool.models.outbox import AccessToken, ScoreOutbox
from lti_tool.models.security import OneTimeItem, RegistrationToken, ToolKey
from lti_tool.models.types import UtcDateTime, utcnow

__all__ = [
    "AccessToken",
    "ActivityProgress",
    "Attendance",
    "ContentVersion",
    "Demographics",
    "Deployment",
    "Enrolment",
    "LmsContext",
    "LtiUser",
    "Membership",
    "OneTimeItem",
    "Platform",
    "RegistrationToken",
    "ResourceLink",
    "ScoreOutbox",
    "ToolKey",
    "UtcDateTime",
    "WorkshopSession",
    "utcnow",
]
