"""Live workshops: scheduling, changing and cancelling sessions, attendance only once a session
has started, her reminder, the meeting in a new window, the calendar file; and workshops the
course requires (the real curriculum's employment workshops)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select

from lti_tool.models import ActivityProgress, LtiUser, WorkshopSession, db
from tests.conftest import row_counts
from tests.support.journey import intake, post
from tests.support.lti import LTI, Launcher

CHILE = ZoneInfo("America/Santiago")


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def enrol(launcher: Launcher, sub: str, name: str, answers: dict[str, str] | None = None) -> int:
    launcher.launch("participant", sub=sub, name=name, given_name=name.split()[0])
    intake(launcher.client, answers)
    user = db.session.scalar(select(LtiUser).where(LtiUser.sub == sub))
    assert user is not None
    return user.id


def chile(delta: timedelta) -> str:
    """A time from now, as the facilitator types it (Chile's local time)."""
    return (datetime.now(CHILE) + delta).strftime("%Y-%m-%dT%H:%M")


def schedule(launcher: Launcher, starts: str, activity_id: str = "ls-workshop") -> WorkshopSession:
    response = post(
        launcher.client,
        "/cohort/workshops",
        {
            "activity_id": activity_id,
            "starts_at": starts,
            "meeting_url": "https://meet.example.org/a",
        },
        token_from="/cohort/workshops",
    )
    assert response.status_code == 302, text(response)[:400]
    found = db.session.scalars(select(WorkshopSession).order_by(WorkshopSession.id.desc())).first()
    assert found is not None
    return found


def workshop_done(activity_id: str = "ls-workshop") -> bool:
    row = db.session.scalar(
        select(ActivityProgress).where(ActivityProgress.activity_id == activity_id)
    )
    return bool(row and row.completed)


def test_attendance_before_the_session_starts_is_refused_and_writes_nothing(
    launcher: Launcher,
) -> None:
    carmen = enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula")
    session = schedule(launcher, chile(timedelta(days=1)))
    page = text(launcher.client.get(f"/cohort/workshops/{session.id}"))
    assert "Podrás tomar la asistencia cuando la sesión haya empezado" in page
    assert "Guardar asistencia" not in page  # no form that could only be refused
    before = row_counts()
    refused = post(
        launcher.client,
        f"/cohort/workshops/{session.id}",
        {"present": [str(carmen)]},
        token_from=f"/cohort/workshops/{session.id}/edit",
    )
    assert refused.status_code == 409
    assert "Podrás tomar la asistencia cuando la sesión haya empezado" in text(refused)
    assert row_counts() == before and not workshop_done()

    # Moved to an hour ago (it was given earlier than planned): attendance is taken.
    moved = post(
        launcher.client,
        f"/cohort/workshops/{session.id}/edit",
        {"starts_at": chile(-timedelta(hours=1)), "meeting_url": "https://meet.example.org/a"},
        token_from=f"/cohort/workshops/{session.id}/edit",
    )
    assert moved.status_code == 302
    taken = post(
        launcher.client,
        f"/cohort/workshops/{session.id}",
        {"present": [str(carmen)]},
        token_from=f"/cohort/workshops/{session.id}",
    )
    assert taken.status_code == 302 and workshop_done()

    # Once someone attended, the session can be neither moved to the future nor cancelled.
    before = row_counts()
    starts = db.session.get(WorkshopSession, session.id)
    assert starts is not None
    kept = starts.starts_at
    later = post(
        launcher.client,
        f"/cohort/workshops/{session.id}/edit",
        {"starts_at": chile(timedelta(days=2))},
        token_from=f"/cohort/workshops/{session.id}/edit",
    )
    assert later.status_code == 409 and "ya se tomó la asistencia" in text(later)
    cancel = post(
        launcher.client,
        f"/cohort/workshops/{session.id}/cancel",
        {"confirm": "true"},
        token_from=f"/cohort/workshops/{session.id}/edit",
    )
    assert cancel.status_code == 409
    assert row_counts() == before
    db.session.expire_all()
    again = db.session.get(WorkshopSession, session.id)
    assert again is not None and again.starts_at == kept and again.cancelled_at is None


def test_sessions_are_changed_and_cancelled_and_she_sees_it(launcher: Launcher) -> None:
    enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula")
    session = schedule(launcher, chile(timedelta(days=3)))
    form = text(launcher.client.get(f"/cohort/workshops/{session.id}/edit"))
    assert 'value="https://meet.example.org/a"' in form  # the form shows what is set

    # A bad change is a 400 that changes nothing.
    before = row_counts()
    bad = post(
        launcher.client,
        f"/cohort/workshops/{session.id}/edit",
        {"starts_at": "el jueves", "meeting_url": "http://insegura"},
        token_from=f"/cohort/workshops/{session.id}/edit",
    )
    assert bad.status_code == 400 and "https://" in text(bad)
    assert row_counts() == before

    new_time = datetime.now(CHILE).replace(second=0, microsecond=0) + timedelta(days=2)
    changed = post(
        launcher.client,
        f"/cohort/workshops/{session.id}/edit",
        {
            "starts_at": new_time.strftime("%Y-%m-%dT%H:%M"),
            "meeting_url": "https://meet.example.org/nueva",
            "note": "Trae papel y lápiz",
        },
        token_from=f"/cohort/workshops/{session.id}/edit",
    )
    assert changed.status_code == 302

    # Her plan: a reminder (within a week), the meeting in a new window, a calendar file.
    launcher.launch("participant", sub="carmen", name="Carmen Soto", given_name="Carmen")
    plan = text(launcher.client.get("/plan"))
    assert "Recordatorio: tu taller en vivo" in plan
    join = re.search(r'<a href="https://meet.example.org/nueva" class="button join"[^>]*>', plan)
    assert join and 'target="_blank"' in join.group(0) and 'rel="noopener' in join.group(0)
    assert "(se abre en una ventana nueva)" in plan
    ics = launcher.client.get(f"/workshops/sessions/{session.id}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert ics.headers["Content-Disposition"].startswith("attachment;")
    event = next(iter(Calendar.from_ical(ics.data).walk("VEVENT")))
    assert event.decoded("dtstart") == new_time
    assert str(event.decoded("dtstart").tzinfo) == "America/Santiago"
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=120)
    assert str(event.get("summary")) == "Taller en vivo: Taller en vivo"
    assert str(event.get("url")) == "https://meet.example.org/nueva"
    assert "Trae papel y lápiz" in str(event.get("description"))
    page = text(launcher.client.get("/activities/ls-workshop"))
    assert "Trae papel y lápiz" in page and 'href="https://meet.example.org/nueva"' in page

    # Cancelling needs the tick; then it leaves her plan, shows as cancelled, has no file.
    launcher.launch("facilitator", sub="paula")
    unticked = post(
        launcher.client,
        f"/cohort/workshops/{session.id}/cancel",
        token_from=f"/cohort/workshops/{session.id}/edit",
    )
    assert unticked.status_code == 400
    db.session.expire_all()
    assert db.session.get(WorkshopSession, session.id).cancelled_at is None  # type: ignore[union-attr]
    cancelled = post(
        launcher.client,
        f"/cohort/workshops/{session.id}/cancel",
        {"confirm": "true"},
        token_from=f"/cohort/workshops/{session.id}/edit",
    )
    assert cancelled.status_code == 302
    db.session.expire_all()
    assert db.session.get(WorkshopSession, session.id).cancelled_at is not None  # type: ignore[union-attr]
    listing = text(launcher.client.get("/cohort/workshops"))
    assert "Cancelada" in listing
    before = row_counts()
    for path, data in (
        (f"/cohort/workshops/{session.id}", {"present": []}),
        (f"/cohort/workshops/{session.id}/edit", {"starts_at": chile(timedelta(days=4))}),
    ):
        assert post(launcher.client, path, data, token_from="/cohort/workshops").status_code == 409
    assert row_counts() == before

    launcher.launch("participant", sub="carmen", name="Carmen Soto", given_name="Carmen")
    plan = text(launcher.client.get("/plan"))
    assert "Recordatorio: tu taller en vivo" not in plan and "meet.example.org" not in plan
    page = text(launcher.client.get("/activities/ls-workshop"))
    assert "Cancelada" in page and "meet.example.org" not in page
    assert launcher.client.get(f"/workshops/sessions/{session.id}/calendar.ics").status_code == 404


def test_another_courses_sessions_are_not_found(launcher: Launcher) -> None:
    enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula")
    session = schedule(launcher, chile(timedelta(days=1)))
    other = {LTI + "context": {"id": "other-course", "title": "Otro"}}
    launcher.launch("facilitator", sub="paula", **other)
    before = row_counts()
    assert launcher.client.get(f"/cohort/workshops/{session.id}/edit").status_code == 404
    assert launcher.client.get(f"/cohort/workshops/{session.id}").status_code == 404
    for path in (
        f"/cohort/workshops/{session.id}",
        f"/cohort/workshops/{session.id}/edit",
        f"/cohort/workshops/{session.id}/cancel",
    ):
        data = {"starts_at": chile(timedelta(days=2)), "confirm": "true"}
        assert post(launcher.client, path, data, token_from="/cohort/workshops").status_code == 404
    assert row_counts() == before
    launcher.launch("participant", sub="rosa", name="Rosa Huenchumil", **other)
    intake(launcher.client)
    assert launcher.client.get(f"/workshops/sessions/{session.id}/calendar.ics").status_code == 404


def test_a_scheduling_form_left_empty_says_what_is_missing_in_her_language(
    launcher: Launcher,
) -> None:
    """A facilitator who sends the form without a workshop or a time gets a 400 that names
    what is missing in Spanish (marshmallow's own English messages are said again), and nothing
    is scheduled."""
    launcher.launch("facilitator", sub="paula")
    before = row_counts()
    empty = post(
        launcher.client,
        "/cohort/workshops",
        {"activity_id": "", "starts_at": "", "meeting_url": ""},
        token_from="/cohort/workshops",
    )
    assert empty.status_code == 400
    page = text(empty)
    assert "Escribe entre 1 y 64 caracteres." in page
    left_out = post(launcher.client, "/cohort/workshops", {}, token_from="/cohort/workshops")
    assert left_out.status_code == 400 and "Este campo es obligatorio." in text(left_out)
    for english in ("Length must be", "Missing data", "required field"):
        assert english not in page and english not in text(left_out)
    assert row_counts() == before
