"""Mentoring and the schools through the pages, with real signed launches: a mentor writes her
profile and offers a session; participants sign up, wait, cancel, download the calendar file and
rate; the mentor takes attendance; the programme team forms a Leadership School cohort, invites,
assigns a mentor and schedules a workshop; the participant does her homework and the mentor reads
it and writes a note. Every refusal is a translated 4xx that writes nothing. Pages stay within
the query budget, in Spanish and in English."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from icalendar import Calendar
from sqlalchemy import event, func, select, update

from courses.schools import CHILE
from lti_tool.actor import Role
from lti_tool.models import (
    Enrolment,
    Grant,
    LmsContext,
    LtiUser,
    MentoringSession,
    MentoringSignUp,
    MentorNote,
    SchoolMember,
    SchoolProgress,
    SchoolWorkshop,
    db,
    utcnow,
)
from lti_tool.services import mentoring, schools
from tests.conftest import row_counts
from tests.factories import GrantFactory, actor_of
from tests.support import mentoring as world
from tests.support.journey import complete_course, csrf, intake, post
from tests.support.lti import LTI, Launcher
from tests.support.mentoring import with_mentoring_content  # noqa: F401 - fixtures

SCOPE = LTI + "role_scope_mentor"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def user(sub: str) -> LtiUser:
    found = db.session.scalar(select(LtiUser).where(LtiUser.sub == sub))
    assert found is not None
    return found


def context() -> LmsContext:
    found = db.session.scalar(select(LmsContext))
    assert found is not None
    return found


def participant(
    launcher: Launcher, sub: str, name: str, graduate: bool = True, **claims: Any
) -> int:
    """Launch her, answer the intake and (by default) complete her pathway quickly."""
    launcher.launch("participant", sub=sub, name=name, given_name=name.split()[0], **claims)
    if db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == user(sub).id)) is None:
        intake(launcher.client)
    if graduate:
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user(sub).id))
        assert enrolment is not None
        for course_id in enrolment.course_ids:
            complete_course(sub, course_id)
    return user(sub).id


def grant(sub: str, role: Role) -> None:
    GrantFactory(user_id=user(sub).id, role=role.value)


def lti_mentor(
    launcher: Launcher,
    sub: str = "lucia",
    name: str = "Lucía Fernández",
    mentees: tuple[str, ...] = (),
    with_grant: bool = True,
    **claims: Any,
) -> int:
    """A mentor as the demo has her: the LMS's Mentor role (role_scope_mentor) and the
    programme's mentor grant."""
    launcher.launch(
        "mentor", sub=sub, name=name, given_name=name.split()[0], **{SCOPE: list(mentees)}, **claims
    )
    if with_grant and not db.session.scalar(select(Grant.id).where(Grant.user_id == user(sub).id)):
        grant(sub, Role.MENTOR)
    return user(sub).id


def write_profile(launcher: Launcher, **fields: Any) -> Any:
    data = {
        "topics": ["financing", "ecommerce"],
        "bio": "Tengo una pastelería en Temuco hace doce años.",
        "region": "araucania",
        "online": "true",
        "per_month": "4",
        **fields,
    }
    return post(launcher.client, "/mentor/profile", data, token_from="/mentor/profile")


def local(days: float, hour: int = 18) -> str:
    return world.soon(days, hour).strftime("%Y-%m-%dT%H:%M")


def publish(launcher: Launcher, **fields: Any) -> Any:
    data = {
        "topic_id": "financing",
        "starts_at": local(3),
        "duration_minutes": "120",
        "mode": "online",
        "meeting_url": "https://meet.example.org/finanzas",
        "region": "araucania",
        "capacity": "2",
        "details": "Trae tus dudas.",
        **fields,
    }
    return post(launcher.client, "/mentor/sessions/new", data, token_from="/mentor/sessions/new")


def only_session() -> MentoringSession:
    found = db.session.scalar(select(MentoringSession).order_by(MentoringSession.id.desc()))
    assert found is not None
    return found


def start(session_id: int) -> None:
    db.session.execute(
        update(MentoringSession)
        .where(MentoringSession.id == session_id)
        .values(starts_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()


# ===================================================================== the mentor's pages
def test_a_mentor_writes_her_profile_and_offers_a_session(launcher: Launcher) -> None:
    lti_mentor(launcher)
    home = text(launcher.client.get("/mentor"))
    assert "Mentorías" in home and "Escribir mi perfil" in home
    # Offering before a profile sends her to write it.
    response = launcher.client.get("/mentor/sessions/new")
    assert response.status_code == 302 and response.headers["Location"] == "/mentor/profile"
    # A profile needs a topic; nothing is saved otherwise.
    before = row_counts()
    bad = write_profile(launcher, topics=[])
    assert bad.status_code == 400 and "Elige al menos un tema." in text(bad)
    assert row_counts() == before
    assert write_profile(launcher).status_code == 302
    page = text(launcher.client.get("/mentor"))
    assert "Financiamiento, Vender por internet" in page and "Ofrecer una sesión" in page
    # A link must be https; nothing is written on a refusal.
    before = row_counts()
    bad = publish(launcher, meeting_url="http://meet.example.org/x")
    assert bad.status_code == 400 and "El enlace debe comenzar con https://" in text(bad)
    past = publish(launcher, starts_at=local(-2))
    assert past.status_code == 400 and "Elige una fecha y hora" in text(past)
    assert row_counts() == before
    response = publish(launcher)
    assert response.status_code == 302
    session = only_session()
    assert response.headers["Location"] == f"/mentor/sessions/{session.id}"
    # The hour typed is Chile's.
    expected = world.soon(3).replace(tzinfo=CHILE)
    assert session.starts_at == expected
    detail = text(launcher.client.get(response.headers["Location"]))
    assert "0 de 2 cupos tomados" in detail and "Nadie se ha inscrito todavía." in detail
    assert 'href="https://meet.example.org/finanzas" target="_blank" rel="noopener noreferrer"' in (
        detail
    )


def test_monthly_limit_from_her_profile(launcher: Launcher) -> None:
    lti_mentor(launcher)
    write_profile(launcher, per_month="1")
    assert publish(launcher, starts_at=local(40)).status_code == 302
    again = publish(launcher, starts_at=local(40, hour=20))
    assert again.status_code == 400 and "tantas sesiones ese mes" in text(again)


# ================================================================ participants sign up
def test_sign_up_waiting_list_calendar_and_cancel(launcher: Launcher) -> None:
    lti_mentor(launcher)
    write_profile(launcher)
    publish(launcher)
    session_id = only_session().id
    ana = participant(launcher, "ana", "Ana Pérez")
    board = text(launcher.client.get("/mentoring"))
    assert "Financiamiento" in board and "Quedan 2 cupos" in board
    assert "con Lucía Fernández" in board
    page = text(launcher.client.get(f"/mentoring/sessions/{session_id}"))
    assert "Inscribirme" in page and "meet.example.org" not in page  # link: for women with a place
    response = post(launcher.client, f"/mentoring/sessions/{session_id}/sign-up")
    assert response.status_code == 302
    page = text(launcher.client.get(f"/mentoring/sessions/{session_id}"))
    assert "Tienes un cupo." in page and "Agregar a mi calendario" in page
    assert (
        '<a href="https://meet.example.org/finanzas" class="button" target="_blank" '
        'rel="noopener noreferrer">' in page
    )
    ics = launcher.client.get(f"/mentoring/sessions/{session_id}/calendar.ics")
    assert ics.status_code == 200 and ics.mimetype == "text/calendar"
    assert "attachment" in ics.headers["Content-Disposition"]
    calendar = Calendar.from_ical(ics.data)
    assert any(
        c.name == "VTIMEZONE" and str(c["tzid"]) == "America/Santiago" for c in calendar.walk()
    )
    event_ = next(iter(calendar.walk("VEVENT")))
    assert str(event_["summary"]) == "Mentoría: Financiamiento"
    assert event_.decoded("dtstart") == world.soon(3).replace(tzinfo=CHILE)
    # Her plan reminds her of the session (it is in the next days).
    plan = text(launcher.client.get("/plan"))
    assert "Recordatorio: tu sesión de mentoría" in plan and "Entrar a la sesión" in plan
    # Two more women: one gets the last place, the other waits.
    participant(launcher, "bea", "Bea Soto")
    post(launcher.client, f"/mentoring/sessions/{session_id}/sign-up")
    participant(launcher, "carla", "Carla Díaz")
    waiting = post(launcher.client, f"/mentoring/sessions/{session_id}/sign-up")
    follow = text(launcher.client.get(waiting.headers["Location"]))
    assert "eres la número 1 de la lista de espera" in follow
    assert "Estás en el número 1 de la lista de espera." in follow
    assert launcher.client.get(f"/mentoring/sessions/{session_id}/calendar.ics").status_code == 404
    # Ana cancels (she must tick the box): Carla has the place.
    participant(launcher, "ana", "Ana Pérez")
    before = row_counts()
    unticked = post(launcher.client, f"/mentoring/sessions/{session_id}/cancel")
    assert unticked.status_code == 400 and "Marca la casilla para confirmar." in text(unticked)
    assert row_counts() == before
    post(launcher.client, f"/mentoring/sessions/{session_id}/cancel", {"confirm": "true"})
    participant(launcher, "carla", "Carla Díaz")
    assert "Tienes un cupo." in text(launcher.client.get(f"/mentoring/sessions/{session_id}"))
    assert ana and db.session.scalar(select(func.count(MentoringSignUp.id))) == 3


def test_she_cannot_sign_up_before_finishing_her_pathway(launcher: Launcher) -> None:
    lti_mentor(launcher)
    write_profile(launcher)
    publish(launcher)
    session_id = only_session().id
    participant(launcher, "rosa", "Rosa Huenchumil", graduate=False)
    board = text(launcher.client.get("/mentoring"))
    assert "se abren cuando completas tu ruta" in board
    before = row_counts()
    refused = post(launcher.client, f"/mentoring/sessions/{session_id}/sign-up")
    assert refused.status_code == 403
    assert "se abren cuando completas tu ruta" in text(refused)
    assert row_counts() == before


def test_board_filters_by_topic_and_region(launcher: Launcher) -> None:
    lti_mentor(launcher)
    write_profile(launcher, per_month="5")
    publish(launcher, topic_id="financing", region="araucania")
    publish(launcher, topic_id="ecommerce", region="metropolitana", starts_at=local(4))
    participant(launcher, "ana", "Ana Pérez")
    both = text(launcher.client.get("/mentoring"))
    assert both.count('<li class="card">') == 2
    only = text(launcher.client.get("/mentoring?topic=ecommerce"))
    assert only.count('<li class="card">') == 1 and "Vender por internet</a>" in only
    region = text(launcher.client.get("/mentoring?region=araucania"))
    assert region.count('<li class="card">') == 1 and "Financiamiento</a>" in region
    # Unknown filters are ignored, never an error.
    assert launcher.client.get("/mentoring?region=atlantis&topic=x").status_code == 200


def test_attendance_then_a_one_tap_rating(launcher: Launcher) -> None:
    lti_mentor(launcher)
    write_profile(launcher)
    publish(launcher)
    session_id = only_session().id
    ana = participant(launcher, "ana", "Ana Pérez")
    post(launcher.client, f"/mentoring/sessions/{session_id}/sign-up")
    assert "¿Te sirvió esta sesión?" not in text(
        launcher.client.get(f"/mentoring/sessions/{session_id}")
    )
    refused = post(launcher.client, f"/mentoring/sessions/{session_id}/rating", {"rating": "3"})
    assert refused.status_code == 409
    start(session_id)
    lti_mentor(launcher)
    page = text(launcher.client.get(f"/mentor/sessions/{session_id}"))
    assert "¿Quién vino?" in page and "Ana Pérez" in page
    saved = post(
        launcher.client,
        f"/mentor/sessions/{session_id}/attendance",
        {"present": [str(ana)], "note": "Muy participativas."},
        token_from=f"/mentor/sessions/{session_id}",
    )
    assert saved.status_code == 302
    assert only_session().status == "held" and only_session().private_note == "Muy participativas."
    assert "Horas de voluntariado registradas: 2" in text(launcher.client.get("/mentor"))
    participant(launcher, "ana", "Ana Pérez")
    page = text(launcher.client.get(f"/mentoring/sessions/{session_id}"))
    assert "¿Te sirvió esta sesión?" in page and "Me sirvió mucho" in page
    assert "Muy participativas." not in page  # the mentor's note is not hers
    rated = post(
        launcher.client,
        f"/mentoring/sessions/{session_id}/rating",
        {"rating": "3", "comment": "Aprendí a postular."},
        token_from=f"/mentoring/sessions/{session_id}",
    )
    assert rated.status_code == 302
    bad = post(launcher.client, f"/mentoring/sessions/{session_id}/rating", {"rating": "9"})
    assert bad.status_code == 400
    row = db.session.scalar(select(MentoringSignUp))
    assert row is not None and (row.rating, row.comment) == (3, "Aprendí a postular.")
    lti_mentor(launcher)
    page = text(launcher.client.get(f"/mentor/sessions/{session_id}"))
    assert "Aprendí a postular." in page and "Me sirvió mucho: 1" in page


def test_a_mentor_cancels_a_session_and_the_women_see_it(launcher: Launcher) -> None:
    lti_mentor(launcher)
    write_profile(launcher)
    publish(launcher)
    session_id = only_session().id
    participant(launcher, "ana", "Ana Pérez")
    post(launcher.client, f"/mentoring/sessions/{session_id}/sign-up")
    lti_mentor(launcher)
    unticked = post(
        launcher.client,
        f"/mentor/sessions/{session_id}/cancel",
        token_from=f"/mentor/sessions/{session_id}",
    )
    assert unticked.status_code == 400 and only_session().status == "scheduled"
    post(
        launcher.client,
        f"/mentor/sessions/{session_id}/cancel",
        {"confirm": "true"},
        token_from=f"/mentor/sessions/{session_id}",
    )
    assert only_session().status == "cancelled"
    participant(launcher, "ana", "Ana Pérez")
    page = text(launcher.client.get(f"/mentoring/sessions/{session_id}"))
    assert "La mentora canceló esta sesión." in page and "Inscribirme" not in page


def test_public_profile_of_a_mentor(launcher: Launcher) -> None:
    mentor_id = lti_mentor(launcher)
    write_profile(launcher)
    publish(launcher)
    participant(launcher, "ana", "Ana Pérez")
    page = text(launcher.client.get(f"/mentoring/mentors/{mentor_id}"))
    assert "Tengo una pastelería en Temuco" in page and "La Araucanía" in page
    assert "Sus próximas sesiones" in page and "Financiamiento" in page


def test_the_lti_mentor_sees_her_course_mentees_progress(launcher: Launcher) -> None:
    carmen = participant(launcher, "carmen", "Carmen Soto", graduate=False)
    participant(launcher, "yasna", "Yasna Joseph", graduate=False)
    lti_mentor(launcher, mentees=("carmen",), with_grant=False)
    page = text(launcher.client.get("/mentor"))
    assert "Carmen Soto" in page and "Yasna Joseph" not in page
    assert launcher.client.get(f"/mentor/mentees/{carmen}").status_code == 200


# ============================================================= the Leadership School, end to end
def test_leadership_school_cohort_invitation_homework_and_mentor_notes(launcher: Launcher) -> None:
    mentor_id = lti_mentor(launcher)
    carmen = participant(launcher, "carmen", "Carmen Soto")
    participant(launcher, "ana", "Ana Pérez")
    grant("ana", Role.PROGRAMME_TEAM)
    participant(launcher, "ana", "Ana Pérez")  # the nav offers the programme after a launch
    overview = text(launcher.client.get("/programme/schools"))
    assert "Escuela de prueba" in overview and "Escuela de mentoras de prueba" in overview
    before = row_counts()
    bad = post(
        launcher.client,
        "/programme/schools/cohorts",
        {"school_id": "test-school", "name": "", "starts_on": "mañana"},
        token_from="/programme/schools",
    )
    assert bad.status_code == 400 and "Ponle un nombre al grupo." in text(bad)
    assert row_counts() == before
    today = datetime.now(CHILE).date()
    created = post(
        launcher.client,
        "/programme/schools/cohorts",
        {"school_id": "test-school", "name": "Araucanía 2027", "starts_on": today.isoformat()},
        token_from="/programme/schools",
    )
    cohort_path = created.headers["Location"]
    cohort = text(launcher.client.get(cohort_path))
    assert "Carmen Soto" in cohort  # she completed her pathway: she may be invited
    invited = post(
        launcher.client,
        cohort_path + "/invite",
        {"user_ids": [str(carmen)]},
        token_from=cohort_path,
    )
    assert invited.status_code == 302
    member = db.session.scalar(select(SchoolMember))
    assert member is not None and member.status == "invited"
    assigned = post(
        launcher.client,
        f"/programme/schools/members/{member.id}/mentor?cohort={member.cohort_id}",
        {"mentor_id": str(mentor_id)},
        token_from=cohort_path,
    )
    assert assigned.status_code == 302
    # Sent twice (a double tap, Back and send again): scheduled once.
    for _ in range(2):
        scheduled = post(
            launcher.client,
            cohort_path + "/workshops",
            {
                "activity_id": "ts-lead-live",
                "starts_at": local(8),
                "meeting_url": "https://meet.example.org/lds",
            },
            token_from=cohort_path,
        )
        assert scheduled.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SchoolWorkshop)) == 1
    # Carmen sees the invitation on her plan and accepts.
    participant(launcher, "carmen", "Carmen Soto")
    plan = text(launcher.client.get("/plan"))
    assert "Te invitamos a la Escuela de prueba" in plan
    post(launcher.client, f"/school/invitations/{member.id}", {"accept": "true"})
    school = text(launcher.client.get("/school/test-school"))
    assert "Semana 1 de 3" in school and "Tu mentora: Lucía Fernández" in school
    assert "Se abre el" in school  # week 2 is not open yet
    # Week 2's lesson is closed: a 403 that writes nothing.
    before = row_counts()
    closed = post(
        launcher.client,
        "/school/test-school/activities/ts-lead-next/done",
        token_from="/school/test-school",
    )
    assert closed.status_code == 403 and "Este paso todavía no está abierto." in text(closed)
    assert row_counts() == before
    # Homework: saved as she types (JSON), then submitted with the form.
    activity = "/school/test-school/activities/ts-lead-homework"
    page = text(launcher.client.get(activity))
    assert "Tu mentora, Lucía Fernández, puede leer esta tarea." in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    autosave = launcher.client.post(
        activity + "/worksheet",
        json={"values": {"story": "Organicé la olla común."}, "submit": False},
        headers={"X-CSRFToken": token.group(1)},
    )
    assert autosave.get_json() == {"ok": True, "complete": True, "revision": 1}
    post(
        launcher.client,
        activity + "/worksheet",
        {"story": "Organicé la olla común.", "goal": "Hablar en la junta.", "action": "submit"},
        token_from=activity,
    )
    post(
        launcher.client,
        "/school/test-school/activities/ts-lead-diary/reflection",
        {"text": "Mi secreto del diario."},
        token_from=activity,
    )
    # Her mentor reads the homework, never the reflection; writes a dated note.
    lti_mentor(launcher)
    home = text(launcher.client.get("/mentor"))
    assert "Mis mentoreadas de la Escuela de Liderazgo" in home
    mentee = text(launcher.client.get(f"/mentor/school/{member.id}"))
    assert "Organicé la olla común." in mentee and "Hablar en la junta." in mentee
    assert "Mi secreto del diario." not in mentee
    post(
        launcher.client,
        f"/mentor/school/{member.id}/notes",
        {"body": "¡Qué buena historia, Carmen!"},
        token_from=f"/mentor/school/{member.id}",
    )
    empty = post(
        launcher.client,
        f"/mentor/school/{member.id}/notes",
        {"body": ""},
        token_from=f"/mentor/school/{member.id}",
    )
    assert empty.status_code == 400
    assert db.session.scalar(select(func.count(MentorNote.id))) == 1
    participant(launcher, "carmen", "Carmen Soto")
    school = text(launcher.client.get("/school/test-school"))
    assert "Notas de tu mentora" in school and "¡Qué buena historia, Carmen!" in school
    assert "Taller en vivo" in school and 'target="_blank"' in school


def test_team_takes_workshop_attendance_and_grants_the_mentor_role(launcher: Launcher) -> None:
    isabel = participant(launcher, "isabel", "Isabel Rojas")
    post(launcher.client, "/school/test-mentor-school/apply", token_from="/plan")
    lti_mentor(launcher)
    write_profile(launcher, per_month="10")
    participant(launcher, "ana", "Ana Pérez", graduate=False)
    grant("ana", Role.PROGRAMME_TEAM)
    today = datetime.now(CHILE).date()
    created = post(
        launcher.client,
        "/programme/schools/cohorts",
        {"school_id": "test-mentor-school", "name": "MTS 2027", "starts_on": today.isoformat()},
        token_from="/programme/schools",
    )
    cohort_path = created.headers["Location"]
    assert "Isabel Rojas" in text(launcher.client.get(cohort_path))
    post(launcher.client, cohort_path + "/place", {"user_id": str(isabel)}, token_from=cohort_path)
    mentors = text(launcher.client.get("/programme/mentors"))
    assert "Isabel Rojas" in mentors and "Todavía no" in mentors
    # She does the school and the gender training; she co-leads four held sessions.
    who = user("isabel")
    me = actor_of(who, context())
    schools.mark_viewed(me, "test-mentor-school", "tm-train-intro")
    schools.mark_viewed(me, "test-mentor-school", "tm-gender-intro")
    lucia = actor_of(user("lucia"), context(), Role.MENTOR)
    for days in range(1, 5):
        session_id = mentoring.offer(
            lucia,
            mentoring.NewSession(
                "financing",
                world.soon(days),
                120,
                "online",
                "https://meet.example.org/x",
                "",
                "",
                6,
                "",
                isabel,
            ),
        )
        start(session_id)
        mentoring.record_attendance(lucia, session_id, set(), "")
    mentors = text(launcher.client.get("/programme/mentors"))
    assert "Convertirla en mentora" in mentors
    granted = post(
        launcher.client, f"/programme/mentors/{isabel}/grant", token_from="/programme/mentors"
    )
    assert granted.status_code == 302
    assert db.session.scalar(
        select(Grant.id).where(Grant.user_id == isabel, Grant.role == "mentor")
    )
    network = text(launcher.client.get("/programme/mentoring"))
    assert "Lucía Fernández" in network and "Isabel Rojas" in network


# ================================================================== budgets and language
def test_pages_stay_within_the_query_budget(app: Flask, launcher: Launcher) -> None:
    mentor_id = lti_mentor(launcher, mentees=("ana",))
    write_profile(launcher)
    publish(launcher)
    session_id = only_session().id
    ana = participant(launcher, "ana", "Ana Pérez")
    post(launcher.client, f"/mentoring/sessions/{session_id}/sign-up")
    team = actor_of(user("ana"), context())
    GrantFactory(user_id=ana, role=Role.PROGRAMME_TEAM.value)
    cohort_id = schools.create_cohort(team, "test-school", "Líderes", datetime.now(CHILE).date())
    schools.invite(team, cohort_id, [ana])
    member = db.session.scalar(select(SchoolMember))
    assert member is not None
    schools.answer(team, member.id, True)
    schools.assign_mentor(team, member.id, mentor_id)
    participant(launcher, "ana", "Ana Pérez")
    participant_pages = (
        "/plan",
        "/mentoring",
        f"/mentoring/sessions/{session_id}",
        f"/mentoring/mentors/{mentor_id}",
        "/school/test-school",
        "/school/test-school/activities/ts-lead-homework",
        "/programme/schools",
        f"/programme/schools/cohorts/{cohort_id}",
        "/programme/mentors",
        "/programme/mentoring",
    )
    check_budget(launcher, participant_pages)
    lti_mentor(launcher, mentees=("ana",))
    check_budget(
        launcher,
        (
            "/mentor",
            f"/mentor/sessions/{session_id}",
            f"/mentor/school/{member.id}",
            "/mentor/profile",
            "/mentor/sessions/new",
        ),
    )


def check_budget(launcher: Launcher, paths: tuple[str, ...]) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    for path in paths:
        launcher.client.get(path)  # warm the per-process caches
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = launcher.client.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200, path
        assert len(statements) <= 8, (path, len(statements), statements)


def test_pages_in_english(launcher: Launcher) -> None:
    lti_mentor(launcher, locale="en-US")
    write_profile(launcher)
    publish(launcher)
    assert "My upcoming sessions" in text(launcher.client.get("/mentor"))
    participant(launcher, "emily", "Emily Clarke", locale="en-US")
    board = text(launcher.client.get("/mentoring"))
    assert "Upcoming sessions" in board and "Financing" in board and "2 places left" in board


def _invited(launcher: Launcher, sub: str, name: str) -> int:
    """She completed her pathway and is invited to the test school (a cohort starting today)."""
    invited = participant(launcher, sub, name)
    team = actor_of(user(sub), context())
    GrantFactory(user_id=invited, role=Role.PROGRAMME_TEAM.value)
    cohort_id = schools.create_cohort(team, "test-school", "Líderes", datetime.now(CHILE).date())
    schools.invite(team, cohort_id, [invited])
    member = db.session.scalar(select(SchoolMember.id).where(SchoolMember.user_id == invited))
    assert member is not None
    return member


def test_her_school_activities_through_the_pages(launcher: Launcher) -> None:
    member = _invited(launcher, "carmen", "Carmen Soto")
    participant(launcher, "carmen", "Carmen Soto")
    assert launcher.client.get("/school/test-school").status_code == 404  # not before she accepts
    post(launcher.client, f"/school/invitations/{member}", {"accept": "true"})
    school = "/school/test-school/activities"
    # A lesson: "done" goes to the next open step of the course.
    done = post(
        launcher.client, f"{school}/ts-lead-intro/done", token_from=f"{school}/ts-lead-intro"
    )
    assert done.headers["Location"] == f"{school}/ts-lead-homework"
    # Homework submitted without its required field: a 400 that names it; nothing completed.
    missing = post(
        launcher.client,
        f"{school}/ts-lead-homework/worksheet",
        {"goal": "Hablar.", "action": "submit"},
        token_from=f"{school}/ts-lead-homework",
    )
    assert missing.status_code == 400 and "Mi historia como líder" in text(missing)
    saved = post(
        launcher.client,
        f"{school}/ts-lead-homework/worksheet",
        {"story": "Mi historia.", "action": "save"},
        token_from=f"{school}/ts-lead-homework",
    )
    assert saved.headers["Location"] == f"{school}/ts-lead-homework"
    # A quiz: wrong, then right.
    wrong = post(
        launcher.client,
        f"{school}/ts-lead-check/quiz",
        {"q1": "b"},
        token_from=f"{school}/ts-lead-check",
    )
    # Her result is a page of its own (post, redirect, get): a refresh shows it again and
    # sends nothing, so it is not a second attempt.
    checked = f"{school}/ts-lead-check?checked=1"
    assert wrong.status_code == 303 and wrong.headers["Location"] == checked
    assert "Respondiste bien 0 de 1." in text(launcher.client.get(checked))
    assert "Respondiste bien 0 de 1." in text(launcher.client.get(checked))
    mine = schools.my_school(actor_of(user("carmen"), context()), "test-school")
    assert mine.rows["ts-lead-check"].attempts == 1
    right = post(
        launcher.client,
        f"{school}/ts-lead-check/quiz",
        {"q1": "a"},
        token_from=f"{school}/ts-lead-check",
    )
    assert right.headers["Location"] == checked
    assert "¡Muy bien! Aprobaste esta prueba." in text(launcher.client.get(checked))
    # Her reflection is saved and stays hers.
    post(
        launcher.client,
        f"{school}/ts-lead-diary/reflection",
        {"text": "Solo mío."},
        token_from=f"{school}/ts-lead-diary",
    )
    page = text(launcher.client.get(f"{school}/ts-lead-diary"))
    assert "Solo mío." in page and "Solo tú puedes ver lo que escribas aquí." in page
    # The week-2 workshop shows when it opens; an activity of no school of hers is not found.
    assert "Este paso se abre el" in text(launcher.client.get(f"{school}/ts-lead-live"))
    assert launcher.client.get(f"{school}/ls-welcome").status_code == 404
    assert launcher.client.get("/school/ghost-school").status_code == 404
    mine = schools.my_school(actor_of(user("carmen"), context()), "test-school")
    assert {a for a, s in mine.progress.items() if s.completed} == {
        "ts-lead-intro",
        "ts-lead-check",
        "ts-lead-diary",
    }


def _school_row(activity_id: str) -> SchoolProgress:
    db.session.expire_all()
    found = db.session.scalar(
        select(SchoolProgress).where(SchoolProgress.activity_id == activity_id)
    )
    assert found is not None
    return found


def test_her_school_homework_saves_as_she_types_and_never_over_newer_text(
    launcher: Launcher,
) -> None:
    """The school's homework page runs the same autosave as her plan's worksheets: each save
    names the revision it started from, and an older tab or page is refused (409) with the
    newer text kept."""
    member = _invited(launcher, "carmen", "Carmen Soto")
    participant(launcher, "carmen", "Carmen Soto")
    post(launcher.client, f"/school/invitations/{member}", {"accept": "true"})
    homework = "/school/test-school/activities/ts-lead-homework"
    page = text(launcher.client.get(homework))
    assert 'name="revision" value="0"' in page
    assert 'data-stale="No se guardó: esta hoja cambió en otra ventana' in page
    assert "se guarda mientras escribes" in page  # what the script says once it runs
    token = csrf(launcher.client, homework)

    def autosave(value: str, revision: int) -> tuple[int, dict[str, object]]:
        response = launcher.client.post(
            homework + "/worksheet",
            json={"values": {"story": value}, "revision": revision},
            headers={"X-CSRFToken": token},
        )
        return response.status_code, response.get_json()

    assert autosave("Hablé en la junta.", 0) == (200, {"ok": True, "complete": True, "revision": 1})
    assert autosave("Hablé en la junta de vecinos.", 1)[1]["revision"] == 2
    assert autosave("Hablé en la junta.", 1) == (
        409,
        {"ok": False, "reason": "stale", "revision": 2},
    )
    assert (
        _school_row("ts-lead-homework").data["values"]["story"] == "Hablé en la junta de vecinos."
    )
    # The old page's form sent again (Back, then Save): 409, both texts on the page, newer kept.
    again = post(
        launcher.client,
        homework + "/worksheet",
        {"story": "Hablé.", "revision": "1", "action": "save"},
        token_from=homework,
    )
    assert again.status_code == 409
    assert "Hablé en la junta de vecinos." in text(again) and "Hablé." in text(again)
    saved = _school_row("ts-lead-homework")
    assert saved.revision == 2 and saved.data["values"]["story"] == "Hablé en la junta de vecinos."
    # The revision is bookkeeping, never one of her answers.
    assert set(saved.data["values"]) == {"story"}


def test_her_school_reflection_from_an_older_page_is_refused(launcher: Launcher) -> None:
    member = _invited(launcher, "carmen", "Carmen Soto")
    participant(launcher, "carmen", "Carmen Soto")
    post(launcher.client, f"/school/invitations/{member}", {"accept": "true"})
    diary = "/school/test-school/activities/ts-lead-diary"
    for sent, revision in (("Primero.", "0"), ("Primero, y luego más.", "1")):
        saved = post(
            launcher.client,
            diary + "/reflection",
            {"text": sent, "revision": revision},
            token_from=diary,
        )
        assert saved.status_code == 302
    stale = post(
        launcher.client,
        diary + "/reflection",
        {"text": "Primero.", "revision": "1"},
        token_from=diary,
    )
    assert stale.status_code == 409
    assert "Primero, y luego más." in text(stale) and "Primero." in text(stale)
    row = _school_row("ts-lead-diary")
    assert row.data == {"text": "Primero, y luego más."} and row.revision == 2


def test_her_school_refuses_a_blank_quiz_a_double_tap_and_an_empty_reflection(
    launcher: Launcher,
) -> None:
    """A school's steps keep the promises of her pathway's: a quiz sent with a question left
    blank is not an attempt (400, nothing written), the same answers sent twice from one page
    (a double tap) are one attempt, and an empty reflection never replaces what she wrote."""
    member = _invited(launcher, "carmen", "Carmen Soto")
    participant(launcher, "carmen", "Carmen Soto")
    post(launcher.client, f"/school/invitations/{member}", {"accept": "true"})
    school = "/school/test-school/activities"
    quiz = f"{school}/ts-lead-check"
    page = launcher.client.get(quiz).get_data(as_text=True)
    assert 'name="attempt" value="0"' in page

    blank = post(launcher.client, quiz + "/quiz", {"attempt": "0"}, token_from=quiz)
    assert blank.status_code == 400
    answered = blank.get_data(as_text=True)
    assert "Responde todas las preguntas para revisar tus respuestas." in answered
    assert 'aria-describedby="blank-q1"' in answered
    assert "Elige una respuesta para esta pregunta." in answered
    mine = schools.my_school(actor_of(user("carmen"), context()), "test-school")
    assert "ts-lead-check" not in mine.rows

    for _ in range(2):  # the button tapped twice: the second comes from the same page
        sent = post(launcher.client, quiz + "/quiz", {"q1": "b", "attempt": "0"}, token_from=quiz)
        assert sent.status_code == 303
    assert _school_row("ts-lead-check").attempts == 1
    result = launcher.client.get(quiz + "?checked=1").get_data(as_text=True)
    # Her answers are shown, not sent again: a new attempt starts from a fresh page.
    assert "disabled" in result and ">Intentar de nuevo</a>" in result
    assert 'name="attempt" value="1"' in result
    post(launcher.client, quiz + "/quiz", {"q1": "b", "attempt": "1"}, token_from=quiz)
    assert _school_row("ts-lead-check").attempts == 2

    diary = f"{school}/ts-lead-diary"
    post(
        launcher.client, diary + "/reflection", {"text": "Mío.", "revision": "0"}, token_from=diary
    )
    empty = post(
        launcher.client, diary + "/reflection", {"text": "  ", "revision": "1"}, token_from=diary
    )
    assert empty.status_code == 400
    refused = empty.get_data(as_text=True)
    assert "Escribe tu respuesta antes de guardar. No se guardó nada." in refused
    assert 'aria-invalid="true"' in refused and 'id="reflection-error" role="alert"' in refused
    row = _school_row("ts-lead-diary")
    assert row.data == {"text": "Mío."} and row.revision == 1 and row.completed


def test_her_school_steps_can_be_listened_to(launcher: Launcher) -> None:
    """A school's lesson offers the same Listen button as her pathway's (read aloud by the
    phone's own voice, for women who read with difficulty)."""
    member = _invited(launcher, "carmen", "Carmen Soto")
    participant(launcher, "carmen", "Carmen Soto")
    post(launcher.client, f"/school/invitations/{member}", {"accept": "true"})
    page = launcher.client.get("/school/test-school/activities/ts-lead-intro")
    html = page.get_data(as_text=True)
    assert 'id="listen" data-text="activity-text"' in html
    assert '<div class="prose" id="activity-text" lang="es">' in html
    assert "js/speak.js" in html


def test_her_school_workshop_goes_into_her_calendar(launcher: Launcher) -> None:
    """A live session of her cohort's workshop offers a calendar file (America/Santiago), on her
    school page and on the workshop's own; another cohort's session is not found."""
    member = _invited(launcher, "carmen", "Carmen Soto")
    team = actor_of(user("carmen"), context())
    cohort_id = db.session.scalar(select(SchoolMember.cohort_id).where(SchoolMember.id == member))
    assert cohort_id is not None
    starts = (datetime.now(CHILE) + timedelta(days=3)).replace(
        hour=18, minute=30, second=0, microsecond=0, tzinfo=None
    )
    workshop = schools.schedule_workshop(
        team,
        cohort_id,
        "ts-lead-live",
        starts,
        "https://meet.example.org/lideres",
        "Traer cuaderno",
    )
    other_cohort = schools.create_cohort(team, "test-school", "Otra", datetime.now(CHILE).date())
    other = schools.schedule_workshop(team, other_cohort, "ts-lead-live", starts, "", "")
    participant(launcher, "carmen", "Carmen Soto")
    post(launcher.client, f"/school/invitations/{member}", {"accept": "true"})
    calendar_url = f"/school/test-school/workshops/{workshop}/calendar.ics"
    assert calendar_url in text(launcher.client.get("/school/test-school"))
    response = launcher.client.get(calendar_url)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    event = Calendar.from_ical(response.get_data()).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Taller en vivo: Taller en vivo"
    assert event.decoded("DTSTART").replace(tzinfo=None) == starts
    assert str(event.decoded("DTSTART").tzinfo) == "America/Santiago"
    assert "Traer cuaderno" in str(event["DESCRIPTION"])
    assert launcher.client.get(
        f"/school/test-school/workshops/{other}/calendar.ics"
    ).status_code == (404)
    assert launcher.client.get("/school/test-school/workshops/999999/calendar.ics").status_code == (
        404
    )


def test_she_may_decline_an_invitation(launcher: Launcher) -> None:
    member = _invited(launcher, "carmen", "Carmen Soto")
    participant(launcher, "carmen", "Carmen Soto")
    assert "Te invitamos a la Escuela de prueba" in text(launcher.client.get("/plan"))
    post(launcher.client, f"/school/invitations/{member}", {"accept": "false"})
    plan = text(launcher.client.get("/plan"))
    assert "No aceptaste la invitación." in plan and "Te invitamos" not in plan
    assert launcher.client.get("/school/test-school").status_code == 404
    # Answering again is not possible: the invitation is closed.
    assert (
        post(launcher.client, f"/school/invitations/{member}", {"accept": "true"}).status_code
        == 404
    )
