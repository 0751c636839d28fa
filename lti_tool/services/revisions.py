"""How a save from an older page (the Back button, a second tab) is told from a current one.

One mechanism for everything a page lets someone change and save again: her work on a step
(`activity_progress`, `school_progress`), a mentor's profile, her rating of a mentoring session,
the mentor's private note and attendance of a session, a workshop session's time, link and note
(the pathway's and the school's), a tutor's comments on a CV.
Each of those rows has an integer `revision`, raised by one by each save that changes it. A page
names the revision it showed (a hidden field `revision`); `check_revision` refuses a save naming
an older one, since it would replace what was saved after that page was shown.
"""

from __future__ import annotations

from typing import Protocol


class Revised(Protocol):
    """A row a page changes: its revision (None until first saved)."""

    revision: int | None


class Stale(Exception):
    """A save from a page older than what is saved (an old form sent again, another tab): it is
    refused and writes nothing; the page shows the saved version and what was sent, to copy.
    `current`: the saved revision, for a page that saves as she types to report."""

    def __init__(self, current: int) -> None:
        super().__init__(f"stale save, current revision {current}")
        self.current = current


def check_revision(
    saved_revision: int | None, named_revision: int | None, *, unchanged: bool
) -> None:
    """Raise Stale when the save names a revision older than the saved one, unless what it sends
    is what is saved already (`unchanged`: a double tap, nothing would be replaced). None names
    no revision: the services' own callers, never stale."""
    saved = saved_revision or 0
    if named_revision is not None and named_revision < saved and not unchanged:
        raise Stale(saved)


def next_revision(saved_revision: int | None) -> int:
    """The revision after a save that changed something (a new row's first save is 1)."""
    return (saved_revision or 0) + 1


def advance(row: Revised, named_revision: int | None, *, unchanged: bool) -> bool:
    """A save of `row` naming the revision its page showed: refused as check_revision says;
    when it changes something, the row's revision is raised. Whether the caller writes."""
    check_revision(row.revision, named_revision, unchanged=unchanged)
    if unchanged:
        return False
    row.revision = next_revision(row.revision)
    return True
