"""The school team changes and cancels a school cohort's live workshop, as a facilitator does
her pathway's sessions: a bad form changes nothing, an older page never overwrites a newer one,
a double tap does one thing, a cancelled workshop stays listed as cancelled (for the team and for
her) and leaves her calendar, attendance closes both doors, and nobody else may do any of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from courses.schools import CHILE
from lti_tool.actor import Role
from lti_tool.models import LtiUser, SchoolAttendance, SchoolMember, SchoolWorkshop, db
from lti_tool.services import schools
from tests.conftest import another_programmes_lms, row_counts
from tests.factories import GrantFactory, actor_of
from tests.lti_tool.test_mentoring import context, grant, participant, text, user
from tests.lti_tool.test_programme_paths import said_on
from tests.lti_tool.test_staff_paths import error_tied, hidden
from tests.support import mentoring as world
from tests.support.journey import post
from tests.support.lti import Launcher
from tests.support.mentoring import with_mentoring_content  # noqa: F401 - fixtures

LINK = "https://meet.example.org/lideres"
SCHOOL = "/school/test-school"
LIVE = f"{SCHOOL}/activities/ts-lead-live"


@dataclass
class Cohort:
    id: int
    workshop: int  # in three days, at 18:30 in Chile
    member: int  # Carmen's membership

    @property
    def page(self) -> str:
        return f"/programme/schools/cohorts/{self.id}"

    @property
    def attendance(self) -> str:
        return f"/programme/schools/workshops/{self.workshop}"

    @property
    def edit(self) -> str:
        return f"{self.attendance}/edit"

    @property
    def cancel(self) -> str:
        return f"{self.attendance}/cancel"

    def calendar(self) -> str:
        return f"{SCHOOL}/workshops/{self.workshop}/calendar.ics"


def as_team(launcher: Launcher) -> None:
    participant(launcher, "ana", "Ana Pérez", graduate=False)


def as_carmen(launcher: Launcher) -> None:
    participant(launcher, "carmen", "Carmen Soto")


@pytest.fixture
def cohort(launcher: Launcher) -> Cohort:
    """Carmen in a Leadership School cohort that started eight days ago (its week-2 live
    workshop is open to her), and one session of it scheduled; Ana is the programme team."""
    carmen = participant(launcher, "carmen", "Carmen Soto")
    participant(launcher, "ana", "Ana Pérez", graduate=False)
    grant("ana", Role.PROGRAMME_TEAM)
    team = actor_of(user("ana"), context())
    started = datetime.now(CHILE).date() - timedelta(days=8)
    cohort_id = schools.create_cohort(team, "test-school", "Líderes", started)
    schools.invite(team, cohort_id, [carmen])
    member = db.session.scalar(select(SchoolMember.id).where(SchoolMember.user_id == carmen))
    assert member is not None
    schools.answer(actor_of(user("carmen"), context()), member, True)
    workshop = schools.schedule_workshop(
        team, cohort_id, "ts-lead-live", world.soon(3), LINK, "Traer cuaderno"
    )
    as_team(launcher)
    return Cohort(cohort_id, workshop, member)


def saved(workshop_id: int) -> tuple[Any, ...]:
    """Everything of the workshop a change or a cancel could touch, as stored now."""
    db.session.expire_all()
    row = db.session.get(SchoolWorkshop, workshop_id)
    assert row is not None
    return (row.starts_at, row.meeting_url, row.note, row.revision, row.cancelled_at)


def local(days: float, hour: int = 18) -> str:
    """A Chile wall-clock time `days` from now, as the form's field takes it."""
    return world.soon(days, hour).strftime("%Y-%m-%dT%H:%M")


def workshops() -> int:
    return db.session.scalar(select(func.count()).select_from(SchoolWorkshop)) or 0


# ------------------------------------------------------------------------------ a change
def test_the_team_changes_a_workshop_and_she_sees_the_new_time(
    launcher: Launcher, cohort: Cohort
) -> None:
    listing = text(launcher.client.get(cohort.page))
    assert f'href="{cohort.edit}"' in listing and "Cambiar o cancelar" in listing
    form = text(launcher.client.get(cohort.edit))
    assert f'value="{LINK}"' in form and 'value="Traer cuaderno"' in form
    assert hidden(form, "starts_at") == local(3) and hidden(form, "revision") == "0"

    moved = post(
        launcher.client,
        cohort.edit,
        {"starts_at": local(4, 19), "meeting_url": "https://meet.example.org/nueva",
         "note": "Trae tu historia", "revision": "0"},
        token_from=cohort.edit,
    )  # fmt: skip
    assert moved.status_code == 302 and moved.headers["Location"] == cohort.attendance
    assert said_on(launcher, cohort.attendance) == ["La sesión quedó cambiada."]
    starts_at, meeting_url, note, revision, cancelled_at = saved(cohort.workshop)
    assert starts_at == world.soon(4, 19).replace(tzinfo=CHILE)
    assert (meeting_url, note, revision, cancelled_at) == (
        "https://meet.example.org/nueva", "Trae tu historia", 1, None
    )  # fmt: skip

    # Her school page, the workshop's page and her calendar file all say the new time and link.
    as_carmen(launcher)
    school = text(launcher.client.get(SCHOOL))
    assert "https://meet.example.org/nueva" in school and "Trae tu historia" in school
    assert LINK not in school and "Cancelada" not in school
    live = text(launcher.client.get(LIVE))
    assert 'href="https://meet.example.org/nueva"' in live and "Trae tu historia" in live
    event = Calendar.from_ical(launcher.client.get(cohort.calendar()).data).walk("VEVENT")[0]
    assert event.decoded("DTSTART").replace(tzinfo=None) == world.soon(4, 19)
    assert int(event["SEQUENCE"]) == 1  # her calendar takes it as the newer version


def test_an_empty_or_invalid_change_is_refused_beside_its_fields_and_changes_nothing(
    launcher: Launcher, cohort: Cohort
) -> None:
    before, counts = saved(cohort.workshop), row_counts()
    bad = post(
        launcher.client,
        cohort.edit,
        {"starts_at": "el jueves", "meeting_url": "http://insegura", "note": "Trae tu CV",
         "revision": "0"},
        token_from=cohort.edit,
    )  # fmt: skip
    assert bad.status_code == 400
    page = text(bad)
    error_tied(page, 'id="starts_at"', "e-starts")
    error_tied(page, 'id="meeting_url"', "e-url")
    assert "Escribe la fecha y la hora, por ejemplo 2026-12-01 18:30." in page
    assert "El enlace debe comenzar con https://" in page
    assert 'value="el jueves"' in page and 'value="Trae tu CV"' in page  # what she wrote stays
    assert hidden(page, "revision") == "0"  # and the version she was changing
    empty = post(launcher.client, cohort.edit, {}, token_from=cohort.edit)
    assert empty.status_code == 400 and "Este campo es obligatorio." in text(empty)
    for english in ("Not a valid", "Missing data", "required field", "must start"):
        assert english not in page and english not in text(empty)
    assert saved(cohort.workshop) == before and row_counts() == counts


# ------------------------------------------------------------- an older page, a double tap
def test_a_change_from_an_older_page_never_overwrites_a_newer_one(
    launcher: Launcher, cohort: Cohort
) -> None:
    """Two tabs (or two people of the team) open the same workshop: the first one's double tap
    is one change, and the second tab's save is a 409 that shows the saved workshop in the form
    and what she sent beside it, nothing overwritten."""
    first_tab = text(launcher.client.get(cohort.edit))
    second_tab = text(launcher.client.get(cohort.edit))
    newer = {"starts_at": hidden(first_tab, "starts_at"), "meeting_url": LINK,
             "note": "Trae papel y lápiz", "revision": hidden(first_tab, "revision")}  # fmt: skip
    said = []
    for _ in range(2):  # a double tap
        response = post(launcher.client, cohort.edit, newer, token_from=cohort.edit)
        assert response.status_code == 302
        said += said_on(launcher, cohort.attendance)
    assert said == [
        "La sesión quedó cambiada.",
        "No cambió nada: la sesión ya tenía esta hora, este enlace y esta nota.",
    ]
    assert saved(cohort.workshop)[2:4] == ("Trae papel y lápiz", 1)  # one change

    before, counts = saved(cohort.workshop), row_counts()
    older = {"starts_at": local(6), "meeting_url": "https://meet.example.org/otra",
             "note": "", "revision": hidden(second_tab, "revision")}  # fmt: skip
    stale = post(launcher.client, cohort.edit, older, token_from=cohort.edit)
    assert stale.status_code == 409
    page = text(stale)
    assert "No se guardó: esta sesión cambió después de que abriste esta página" in page
    assert "otra persona del equipo de la escuela" in page
    assert 'value="Trae papel y lápiz"' in page and hidden(page, "revision") == "1"  # saved one
    assert "https://meet.example.org/otra" in page  # and hers, to copy
    assert saved(cohort.workshop) == before and row_counts() == counts


# --------------------------------------------------------------------------------- cancel
def test_a_cancelled_workshop_stays_listed_as_cancelled_and_leaves_her_calendar(
    launcher: Launcher, cohort: Cohort
) -> None:
    unticked = post(launcher.client, cohort.cancel, token_from=cohort.edit)
    assert unticked.status_code == 400
    page = text(unticked)
    error_tied(page, 'name="confirm"', "e-confirm")
    assert "Marca la casilla para confirmar que cancelas la sesión." in page
    assert f'value="{LINK}"' in page  # the change form still shows the workshop
    assert saved(cohort.workshop)[4] is None

    cancelled = post(launcher.client, cohort.cancel, {"confirm": "true"}, token_from=cohort.edit)
    assert cancelled.status_code == 302 and cancelled.headers["Location"] == cohort.attendance
    said = said_on(launcher, cohort.attendance)
    assert said == ["La sesión quedó cancelada. Las integrantes del grupo la verán como cancelada."]
    when_cancelled = saved(cohort.workshop)
    assert when_cancelled[4] is not None

    # The team: listed as cancelled, with neither a change link nor an attendance form.
    listing = text(launcher.client.get(cohort.page))
    assert "Cancelada" in listing and f'href="{cohort.edit}"' not in listing
    attendance = text(launcher.client.get(cohort.attendance))
    assert "Esta sesión fue cancelada." in attendance and "Guardar asistencia" not in attendance
    change = text(launcher.client.get(cohort.edit))
    assert "Esta sesión fue cancelada." in change and "Guardar los cambios" not in change

    # Nothing more happens to it: no attendance, no change; cancelling again says so, calmly.
    counts = row_counts()
    taken = post(
        launcher.client, cohort.attendance, {"present": [str(cohort.member)]},
        token_from=cohort.page,
    )  # fmt: skip
    assert taken.status_code == 409
    assert "Esta sesión fue cancelada: ya no se puede cambiar." in text(taken)
    moved = post(
        launcher.client, cohort.edit,
        {"starts_at": local(5), "meeting_url": LINK, "revision": "0"}, token_from=cohort.page,
    )  # fmt: skip
    assert moved.status_code == 409
    assert "Esta sesión fue cancelada: ya no se puede cambiar." in text(moved)
    again = post(launcher.client, cohort.cancel, {"confirm": "true"}, token_from=cohort.page)
    assert again.status_code == 302
    assert said_on(launcher, cohort.attendance) == [
        "Esta sesión ya estaba cancelada. No se cambió nada."
    ]
    assert saved(cohort.workshop) == when_cancelled and row_counts() == counts

    # Her pages: cancelled, without its link, note or calendar file.
    as_carmen(launcher)
    school = text(launcher.client.get(SCHOOL))
    assert "Cancelada" in school and LINK not in school and "Traer cuaderno" not in school
    assert cohort.calendar() not in school
    live = text(launcher.client.get(LIVE))
    assert "Cancelada" in live and LINK not in live and cohort.calendar() not in live
    assert launcher.client.get(cohort.calendar()).status_code == 404

    # The same session scheduled again is a new one, not the cancelled one found again.
    as_team(launcher)
    form = {"activity_id": "ts-lead-live", "starts_at": local(3), "meeting_url": LINK,
            "note": "Traer cuaderno"}  # fmt: skip
    scheduled = post(launcher.client, f"{cohort.page}/workshops", form, token_from=cohort.page)
    assert scheduled.status_code == 302 and workshops() == 2


def started(workshop_id: int) -> None:
    """The workshop began ten minutes ago."""
    row = db.session.get(SchoolWorkshop, workshop_id)
    assert row is not None
    row.starts_at = datetime.now(UTC) - timedelta(minutes=10)
    db.session.commit()


def test_attendance_waits_for_the_session_to_start(launcher: Launcher, cohort: Cohort) -> None:
    early = post(
        launcher.client, cohort.attendance, {"present": [str(cohort.member)]},
        token_from=cohort.attendance,
    )  # fmt: skip
    assert early.status_code == 409
    assert "Podrás tomar la asistencia cuando la sesión haya empezado" in text(early)
    assert db.session.scalar(select(func.count()).select_from(SchoolAttendance)) == 0


def test_attendance_from_an_older_page_saves_only_the_ticks_it_changed(
    launcher: Launcher, cohort: Cohort
) -> None:
    started(cohort.workshop)
    older = launcher.client.get(cohort.attendance).get_data(as_text=True)  # nobody ticked yet
    taken = post(
        launcher.client, cohort.attendance, {"present": [str(cohort.member)]},
        token_from=cohort.attendance,
    )  # fmt: skip
    assert taken.status_code == 302
    # The older page, sent unchanged (nobody ticked): Carmen stays present.
    again = post(
        launcher.client, cohort.attendance, {"shown": hidden(older, "shown")},
        token_from=cohort.attendance,
    )  # fmt: skip
    assert again.status_code == 302
    assert schools.workshop_page(actor_of(user("ana"), context()), cohort.workshop).present == {
        cohort.member
    }


def test_once_she_attended_the_workshop_is_neither_cancelled_nor_moved_later(
    launcher: Launcher, cohort: Cohort
) -> None:
    started(cohort.workshop)
    taken = post(
        launcher.client, cohort.attendance, {"present": [str(cohort.member)]},
        token_from=cohort.attendance,
    )  # fmt: skip
    assert taken.status_code == 302
    before, counts = saved(cohort.workshop), row_counts()
    refused = post(launcher.client, cohort.cancel, {"confirm": "true"}, token_from=cohort.edit)
    assert refused.status_code == 409
    page = text(refused)
    assert "En esta sesión ya se tomó la asistencia" in page and 'role="alert"' in page
    assert f'value="{LINK}"' in page  # the workshop is still shown as it is
    later = post(
        launcher.client, cohort.edit,
        {"starts_at": local(5), "meeting_url": LINK, "note": "Traer cuaderno",
         "revision": hidden(page, "revision")},
        token_from=cohort.edit,
    )  # fmt: skip
    assert later.status_code == 409 and "En esta sesión ya se tomó la asistencia" in text(later)
    assert saved(cohort.workshop) == before and row_counts() == counts
    assert db.session.scalar(select(func.count()).select_from(SchoolAttendance)) == 1


# --------------------------------------------------------------------------- nobody else
def test_a_participant_and_another_programmes_team_change_nothing(
    launcher: Launcher, cohort: Cohort
) -> None:
    # Another programme's team, on its own LMS.
    away, other_id = another_programmes_lms(launcher.client)
    away.launch("facilitator", sub="teresa", name="Teresa Otra")
    teresa = db.session.scalar(
        select(LtiUser.id).where(
            LtiUser.sub == "teresa", LtiUser.platform_id == away.platform.db_id
        )
    )
    GrantFactory(user_id=teresa, role=Role.PROGRAMME_TEAM.value, programme_id=other_id)
    change = {"starts_at": local(5), "meeting_url": "https://meet.example.org/x", "revision": "0"}

    as_carmen(launcher)
    before, counts = saved(cohort.workshop), row_counts()
    assert launcher.client.get(cohort.edit).status_code == 403
    for path, data in ((cohort.edit, change), (cohort.cancel, {"confirm": "true"})):
        assert post(launcher.client, path, data, token_from="/plan").status_code == 403

    # Its id is answered as an id nobody holds.
    away.launch("facilitator", sub="teresa", name="Teresa Otra")
    for workshop_id in (cohort.workshop, 999999):
        base = f"/programme/schools/workshops/{workshop_id}"
        assert away.client.get(f"{base}/edit").status_code == 404
        for path, data in ((f"{base}/edit", change), (f"{base}/cancel", {"confirm": "true"})):
            response = post(away.client, path, data, token_from="/programme/schools")
            assert response.status_code == 404, path
    assert saved(cohort.workshop) == before and row_counts() == counts


# ------------------------------------------------------------------------------ language
def test_the_change_page_speaks_spanish(launcher: Launcher, cohort: Cohort) -> None:
    page = text(launcher.client.get(cohort.edit))
    for spanish in (
        "Cambiar una sesión: Taller en vivo",
        "Fecha, hora y enlace",
        "Fecha y hora (Chile)",
        "Guardar los cambios",
        "Cancelar la sesión",
        "Sí, cancelar esta sesión",
        "Las integrantes del grupo la verán como cancelada en la página de su escuela",
    ):
        assert spanish in page, spanish
    for english in ("Change a session", "Save the changes", "Cancel the session", "members see"):
        assert english not in page, english
    attendance = text(launcher.client.get(cohort.attendance))
    assert "Cambiar o cancelar esta sesión" in attendance
