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


class FollowUpNotFound(NotFound):
    pass


class FollowUpClosed(Forbidden):
    """The follow-up was answered or declined already: that is final."""


class NotDueYet(Forbidden):
    """The follow-up's date has not come: it cannot be answered or postponed yet."""


class TooManyPostponements(Forbidden):
    """She has postponed the follow-up the most times allowed."""


class RegionNotAllowed(Forbidden):
    """A report of a region her programme-team grants do not cover."""


# Mentoring and the schools (lti_tool/services/mentoring.py, schools.py).
class MentoringSessionNotFound(NotFound):
    pass


class MentorNotFound(NotFound):
    pass


class SchoolNotFound(NotFound):
    pass


class CohortNotFound(NotFound):
    pass


class SchoolMemberNotFound(NotFound):
    pass


class SchoolWorkshopNotFound(NotFound):
    pass


class Refused(Exception):
    """A request that is understood but cannot be done now, with a reason code the page turns
    into a sentence (a full session, a sign-up before she finished her training…)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SupportRequestNotFound(NotFound):
    pass


class CvReviewNotFound(NotFound):
    pass


class OpportunityNotFound(NotFound):
    pass


class NoTutor(LookupError):
    """She has no employment tutor yet (nothing to send her CV to)."""
