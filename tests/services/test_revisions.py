"""One mechanism tells a save from an older page (Back, a second tab) from a current one
(services/revisions.py), in every area that lets someone change what a page showed: her
worksheet, a mentor's profile, her rating of a mentoring session, the mentor's private note and
attendance, a workshop session's details (the pathway's and the school's). Each area is put
through the same promises:

- a save that changes something raises the row's integer revision by one;
- the same thing sent again (a double tap), even from the older page, changes nothing and is not
  refused;
- something else sent from a page older than the saved revision is refused (revisions.Stale,
  naming the saved revision) and writes nothing;
- a caller naming no revision (the services' own) is never refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from courses.schools import CHILE
from lti_tool.actor import Role
from lti_tool.models import Enrolment, db
from lti_tool.services import cohort, learning, mentoring, revisions, schools
from tests.services.test_mentoring import _member, graduates, offer, profile, start_now
from tests.support import mentoring as world
from tests.support.mentoring import mentoring_place, with_mentoring_content  # noqa: F401 - fixtures
from tests.support.same_moment import at_the_same_moment, needs_row_locks


# ===================================================================== the helper itself
def test_a_save_naming_an_older_revision_is_stale_unless_it_changes_nothing() -> None:
    revisions.check_revision(3, 3, unchanged=False)  # the page showed what is saved
    revisions.check_revision(3, None, unchanged=False)  # a caller naming no revision
    revisions.check_revision(None, 0, unchanged=False)  # a row never saved is revision 0
    revisions.check_revision(3, 2, unchanged=True)  # a double tap from the older page
    with pytest.raises(revisions.Stale) as stale:
        revisions.check_revision(3, 2, unchanged=False)
    assert stale.value.current == 3
    with pytest.raises(revisions.Stale):
        revisions.check_revision(1, 0, unchanged=False)


def test_the_next_revision_follows_the_saved_one() -> None:
    assert revisions.next_revision(None) == 1  # a new row's first save
    assert revisions.next_revision(0) == 1
    assert revisions.next_revision(7) == 8


def test_a_save_that_changes_something_raises_the_rows_revision_and_one_that_does_not_stays() -> (
    None
):
    @dataclass
    class Row:
        revision: int | None = None

    row = Row()
    assert revisions.advance(row, 0, unchanged=False) and row.revision == 1  # a first save
    assert not revisions.advance(row, 0, unchanged=True) and row.revision == 1  # a double tap
    with pytest.raises(revisions.Stale):
        revisions.advance(row, 0, unchanged=False)  # something else, from the older page
    assert row.revision == 1
    assert revisions.advance(row, 1, unchanged=False) and row.revision == 2


# ============================================================= every area, the same promises
@dataclass(frozen=True)
class Area:
    """What a page of one area saves (`save(text, revision)`), and what is saved now: its
    revision and its text."""

    save: Callable[[str, int | None], object]
    revision: Callable[[], int]
    saved: Callable[[], str]
    table: str  # where a save changes the row


def _worksheet(place: Any) -> Area:
    rosa = world.person(place, "Rosa Huenchumil")
    enrolment_id = world.enrol(rosa).id  # each save reads it in its own session

    def save(text: str, revision: int | None) -> None:
        j = learning.journey_of(db.session.get_one(Enrolment, enrolment_id))
        activity = j.catalogue.activities["ent-idea-bmc"]
        learning.save_worksheet(j, activity, {"customers": text}, False, revision)

    def row() -> Any:
        db.session.expire_all()
        enrolment = db.session.get_one(Enrolment, enrolment_id)
        return learning.journey_of(enrolment).rows.get("ent-idea-bmc")

    return Area(
        save,
        lambda: row().revision if row() else 0,  # her page before she wrote anything
        lambda: row().data["values"]["customers"],
        "activity_progress",
    )


def _profile(place: Any) -> Area:
    lucia = world.mentor(place, "Lucía Fernández")

    def save(text: str, revision: int | None) -> None:
        mentoring.save_profile(lucia, text, "araucania", ("financing",), True, False, 2, revision)

    def revision() -> int:
        found = mentoring.my_profile(lucia)
        return found.revision if found else 0  # her page before she wrote a profile

    def bio() -> str:
        found = mentoring.my_profile(lucia)
        assert found is not None
        return found.bio

    return Area(save, revision, bio, "mentor_profile")


def _started_session(place: Any) -> tuple[Any, Any, int]:
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    session_id = offer(lucia)
    (ana,) = graduates(place, "Ana")
    mentoring.sign_up(ana, session_id)
    start_now(session_id)
    return lucia, ana, session_id


def _rating(place: Any) -> Area:
    _lucia, ana, session_id = _started_session(place)
    return Area(
        lambda text, revision: mentoring.rate(ana, session_id, 3, text, revision),
        lambda: mentoring.session_page(ana, session_id).revision,
        lambda: mentoring.session_page(ana, session_id).comment,
        "mentoring_sign_up",
    )


def _session_note(place: Any) -> Area:
    lucia, ana, session_id = _started_session(place)
    return Area(
        lambda text, revision: mentoring.record_attendance(
            lucia, session_id, {ana.user_id}, text, revision
        ),
        lambda: mentoring.session_detail(lucia, session_id).revision,
        lambda: mentoring.session_detail(lucia, session_id).private_note,
        "mentoring_session",
    )


def _workshop_session(place: Any) -> Area:
    facilitator = world.person(place, "Marta Díaz", Role.FACILITATOR)
    scope = cohort.scope_of(facilitator)
    starts_at, link = world.soon(5), "https://meet.example.org/taller"
    session, _new = cohort.schedule(scope, facilitator, "ent-idea-bmc", starts_at, link, "")
    session_id = session.id

    def shown() -> Any:
        db.session.expire_all()
        return cohort.session_of(scope, session_id)

    return Area(
        lambda text, revision: cohort.update_session(
            scope, session_id, starts_at, link, text, revision
        ),
        lambda: shown().revision,
        lambda: shown().note,
        "workshop_session",
    )


def _school_workshop(place: Any) -> Area:
    carmen, _member_id, team = _member(place, datetime.now(CHILE).date())
    cohort_id = schools.my_school(carmen, "test-school").cohort.id
    starts_at, link = world.soon(5), "https://meet.example.org/escuela"
    workshop_id = schools.schedule_workshop(team, cohort_id, "ts-lead-live", starts_at, link, "")

    def shown() -> Any:
        db.session.expire_all()
        return schools.workshop_page(team, workshop_id).workshop

    return Area(
        lambda text, revision: schools.edit_workshop(
            team, workshop_id, starts_at, link, text, revision
        ),
        lambda: shown().revision,
        lambda: shown().note,
        "school_workshop",
    )


AREAS = {
    "her worksheet": _worksheet,
    "the mentor's profile": _profile,
    "her rating": _rating,
    "the session's private note": _session_note,
    "the workshop session": _workshop_session,
    "the school's workshop": _school_workshop,
}


@pytest.mark.parametrize("area", AREAS)
def test_every_area_refuses_an_older_page_by_the_same_revision(place: Any, area: str) -> None:
    page = AREAS[area](place)
    shown = page.revision()  # what her page showed, and names when it saves
    page.save("Primero.", shown)
    assert (page.revision(), page.saved()) == (shown + 1, "Primero.")
    # A double tap: the same sent again from that page, now older, changes nothing.
    page.save("Primero.", shown)
    assert (page.revision(), page.saved()) == (shown + 1, "Primero.")
    # Something else from that older page: refused, the newer text kept.
    with pytest.raises(revisions.Stale) as stale:
        page.save("Otra cosa.", shown)
    assert stale.value.current == shown + 1
    db.session.rollback()
    assert (page.revision(), page.saved()) == (shown + 1, "Primero.")
    # From the page she has now, and from a caller naming no revision: saved.
    page.save("Segundo.", shown + 1)
    assert (page.revision(), page.saved()) == (shown + 2, "Segundo.")
    page.save("Tercero.", None)
    assert (page.revision(), page.saved()) == (shown + 3, "Tercero.")


@needs_row_locks
@pytest.mark.parametrize("area", AREAS)
def test_every_area_two_tabs_saving_at_the_same_moment_never_overwrite_each_other(
    app: Flask, place: Any, area: str
) -> None:
    """Two tabs (or two of the team) showing the same revision save different things at the
    same moment: one is saved, the other is refused as from an older page, as it would be a
    second later. Without a lock both read the revision before either wrote, both passed, and
    the second silently replaced the first."""
    page = AREAS[area](place)
    page.save("Primero.", page.revision())  # the row exists: the saves below change it
    shown = page.revision()
    tabs = iter(["Desde una pestaña.", "Desde la otra."])

    def save_from_a_tab() -> str:
        text = next(tabs)
        try:
            page.save(text, shown)
        except revisions.Stale:
            return "refused"
        return text

    outcomes = at_the_same_moment(app, page.table, save_from_a_tab, writing_with="UPDATE")
    assert sorted(outcomes) == ["Desde una pestaña.", "refused"]
    assert (page.revision(), page.saved()) == (shown + 1, "Desde una pestaña.")
