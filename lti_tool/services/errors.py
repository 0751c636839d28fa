"""Errors the services raise for what a person may not see or do. The web tier maps them to
404 and 403 in one place (`lti_tool/web/errors.py`), so a view never checks by hand."""

from __future__ import annotations


class NotFound(LookupError):
    """Nothing of that id exists *for this actor* (another course's or another programme's rows
    are "not found", never "forbidden": ids must not reveal what exists)."""


class Forbidden(PermissionError):
    """The actor may see this but not do that."""


class NoContent(NotFound):
    """No content version has been imported yet."""


class ParticipantNotFound(NotFound):
    pass


class SessionNotFound(NotFound):
    pass


class ScoreNotFound(NotFound):
    pass


class PersonNotFound(NotFound):
    pass


class SupportRequestNotFound(NotFound):
    pass


class CvReviewNotFound(NotFound):
    pass


class OpportunityNotFound(NotFound):
    pass


class NoTutor(LookupError):
    """She has no employment tutor yet (nothing to send her CV to)."""
