"""Sensitive data, behind the privacy boundary.

Only `lti_tool/services/privacy.py` (and the services it names) import this package: an
import-linter contract enforces it. Every read goes through the privacy service, which writes the
access log. Values are encrypted at rest (`models/encryption.py`). One module per kind of
sensitive data: demographics (and the access log), follow-up answers and contacts, help
requests, tutoring.
"""

from lti_tool.models.private.demographics import AccessLog, Demographics
from lti_tool.models.private.followup import FollowUpAnswer, FollowUpContact
from lti_tool.models.private.support import SupportMessage, SupportRequest
from lti_tool.models.private.tutoring import CvReview, TutorAssignment, TutorNote

__all__ = [
    "AccessLog",
    "CvReview",
    "Demographics",
    "FollowUpAnswer",
    "FollowUpContact",
    "SupportMessage",
    "SupportRequest",
    "TutorAssignment",
    "TutorNote",
]
