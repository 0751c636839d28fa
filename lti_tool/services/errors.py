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
