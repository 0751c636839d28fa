"""Mentoring and the schools through their services (no HTTP): who may sign up, places and the
waiting list, the calendar file, attendance and volunteer hours, ratings, mentor eligibility and
granting, cohorts, invitations, weekly release, the personal mentor's view of homework; and who
may see what (mentor A and mentor B, other programmes)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from icalendar import Calendar
from sqlalchemy import func, select, text, update

from courses import mentoring as rules
from courses.schools import CHILE
from lti_tool.actor import Actor, Role
from lti_tool.models import (
    Grant,
    LtiUser,
    MentoringSession,
    MentoringSignUp,
    SchoolWorkshop,
    db,
    utcnow,
)
from lti_tool.models.private import AccessLog
from lti_tool.services import mentoring, schools
from lti_tool.services.errors import (
    CohortNotFound,
    Forbidden,
    MentoringSessionNotFound,
    MentorNotFound,
    NotFound,
    Refused,
    SchoolMemberNotFound,
    SchoolNotFound,
)
from tests.factories import CourseFactory, DeploymentFactory, PlatformFactory, ProgrammeFactory
from tests.support import mentoring as world
from tests.support.mentoring import mentoring_place, with_mentoring_content  # noqa: F401 - fixtures
from tests.support.same_moment import at_the_same_moment, needs_row_locks


def today() -> date:
    return datetime.now(CHILE).date()


def profile(actor: Actor, per_month: int = 8, topics: tuple[str, ...] = ("financing",)) -> None:
    mentoring.save_profile(actor, "Tengo un almacén.", "araucania", topics, True, False, per_month)


def offer(actor: Actor, days: float = 3, capacity: int = 2, **extra: Any) -> int:
    data = {
        "topic_id": "financing",
        "starts_at_local": world.soon(days),
        "duration_minutes": 120,
        "mode": "online",
        "meeting_url": "https://meet.example.org/abc",
        "place": "",
        "region": "araucania",
        "capacity": capacity,
        "details": "Trae tus dudas.",
        "co_mentor_id": None,
        **extra,
    }
    return mentoring.offer(actor, mentoring.NewSession(**data))


def graduates(place: Any, *names: str) -> list[Actor]:
    people = [world.person(place, name) for name in names]
    for actor in people:
        world.graduate(actor)
    return people


def start_now(session_id: int, minutes_ago: int = 10) -> None:
    """Move a session's start into the past (it has started)."""
    db.session.execute(
        update(MentoringSession)
        .where(MentoringSession.id == session_id)
        .values(starts_at=utcnow() - timedelta(minutes=minutes_ago))
    )
    db.session.commit()


# ============================================================================ sign-up rule
def test_standing_counts_what_she_completed_across_her_plans(place: Any) -> None:
    carmen = world.person(place, "Carmen Soto")
    world.enrol(carmen)
    standing = mentoring.standing_of([carmen.user_id], carmen.programme_id)[carmen.user_id]
    assert not standing.pathway_complete and standing.completed_courses == frozenset()
    world.graduate(carmen)
    standing = mentoring.standing_of([carmen.user_id], carmen.programme_id)[carmen.user_id]
    plan = world.enrolment_of(carmen.user_id).course_ids
    assert standing.pathway_complete and set(plan) <= standing.completed_courses


def test_only_graduates_may_sign_up_by_the_content_rule(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    session_id = offer(lucia)
    rosa = world.person(place, "Rosa Huenchumil")
    world.enrol(rosa)
    with pytest.raises(Refused) as refused:
        mentoring.sign_up(rosa, session_id)
    assert refused.value.reason == "not-eligible"
    assert db.session.scalar(select(func.count(MentoringSignUp.id))) == 0
    board = mentoring.board(rosa)
    assert not board.eligible and [s.id for s in board.sessions] == [session_id]
    world.graduate(rosa)
    assert mentoring.board(rosa).eligible
    assert mentoring.sign_up(rosa, session_id) == mentoring.Place(booked=True, position=None)


def test_a_rule_of_anyone_opens_sessions_to_everyone(place: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(mentoring, "sign_up_rule", lambda catalogue: rules.SignUpRule())
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    session_id = offer(lucia)
    rosa = world.person(place, "Rosa Huenchumil")
    assert mentoring.sign_up(rosa, session_id).booked


# =================================================================== places and waiting list
def test_capacity_waiting_list_and_a_freed_place(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    session_id = offer(lucia, capacity=2)
    ana, bea, carla, dora = graduates(place, "Ana", "Bea", "Carla", "Dora")
    assert mentoring.sign_up(ana, session_id).booked
    assert mentoring.sign_up(bea, session_id).booked
    assert mentoring.sign_up(carla, session_id) == mentoring.Place(False, 1)
    assert mentoring.sign_up(dora, session_id) == mentoring.Place(False, 2)
    # Asking again changes nothing.
    assert mentoring.sign_up(carla, session_id) == mentoring.Place(False, 1)
    card = mentoring.session_page(carla, session_id).card
    assert (card.mine, card.position, card.booked, card.waiting, card.full) == (
        "waiting",
        1,
        2,
        2,
        True,
    )
    # The link is only for women with a place.
    assert card.meeting_url == ""
    assert mentoring.session_page(ana, session_id).card.meeting_url.startswith("https://")
    # Ana cancels: Carla, first on the list, has the place; Dora moves up.
    assert mentoring.cancel(ana, session_id)
    assert not mentoring.cancel(ana, session_id)  # nothing left to cancel
    assert mentoring.session_page(carla, session_id).card.mine == "booked"
    dora_card = mentoring.session_page(dora, session_id).card
    assert (dora_card.mine, dora_card.position) == ("waiting", 1)
    # Ana asks again: to the back of the line.
    assert mentoring.sign_up(ana, session_id) == mentoring.Place(False, 2)
    detail = mentoring.session_detail(lucia, session_id)
    assert [(a.name, a.booked, a.position) for a in detail.attendees] == [
        ("Bea", True, None),
        ("Carla", True, None),
        ("Dora", False, 1),
        ("Ana", False, 2),
    ]


def test_places_counted_in_sql_agree_with_the_domain_rule(place: Any) -> None:
    """Her place shown on every page (counted in SQL) is the one `allocate` gives, whatever
    the order of sign-ups and cancellations."""
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    session_id = offer(lucia, capacity=3)
    women = graduates(place, *(f"Mujer {i}" for i in range(8)))
    generator = random.Random(7)
    for _ in range(40):
        actor = generator.choice(women)
        if generator.random() < 0.6:
            mentoring.sign_up(actor, session_id)
        else:
            mentoring.cancel(actor, session_id)
        session = db.session.get(MentoringSession, session_id)
        assert session is not None
        expected = mentoring._allocation(session)
        for woman in women:
            card = mentoring.session_page(woman, session_id).card
            person = str(woman.user_id)
            if expected.is_booked(person):
                assert card.mine == "booked"
            elif expected.position(person):
                assert (card.mine, card.position) == ("waiting", expected.position(person))
            else:
                assert card.mine is None
        assert card.booked == len(expected.booked) and card.waiting == len(expected.waiting)


def test_sign_ups_close_when_the_session_starts_or_is_cancelled(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    started, cancelled = offer(lucia), offer(lucia, days=5)
    ana, bea = graduates(place, "Ana", "Bea")
    mentoring.sign_up(ana, started)
    start_now(started)
    for action in (mentoring.sign_up, mentoring.cancel):
        with pytest.raises(Refused, match="closed"):
            action(bea if action is mentoring.sign_up else ana, started)
    mentoring.sign_up(bea, cancelled)
    mentoring.cancel_session(lucia, cancelled)
    with pytest.raises(Refused, match="closed"):
        mentoring.sign_up(ana, cancelled)
    assert mentoring.session_page(bea, cancelled).card.status == "cancelled"
    assert cancelled not in [s.id for s in mentoring.board(bea).sessions]
    assert mentoring.cancel_session(lucia, cancelled) is False  # cancelled already: no change
    with pytest.raises(Refused, match="closed"):
        mentoring.cancel_session(lucia, started)


def test_a_mentor_does_not_sign_up_for_her_own_session(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    world.graduate(lucia)
    profile(lucia)
    with pytest.raises(Refused, match="own"):
        mentoring.sign_up(lucia, offer(lucia))


# ================================================================================ offering
def test_offering_checks_profile_topic_time_place_and_monthly_limit(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    with pytest.raises(Refused, match="no-profile"):
        offer(lucia)
    profile(lucia, per_month=1)
    cases = [
        ({"topic_id": "astrology"}, "topic"),
        ({"starts_at_local": world.soon(-1)}, "when"),
        ({"starts_at_local": world.soon(400)}, "when"),
        ({"meeting_url": ""}, "where"),
        ({"mode": "in_person", "place": " "}, "where"),
        ({"co_mentor_id": lucia.user_id + 999}, "co-mentor"),
    ]
    for extra, reason in cases:
        with pytest.raises(Refused) as refused:
            offer(lucia, **extra)
        assert refused.value.reason == reason, extra
    first = world.soon(40)
    offer(lucia, starts_at_local=first)
    with pytest.raises(Refused, match="month-full"):
        offer(lucia, starts_at_local=first + timedelta(hours=2))
    assert db.session.scalar(select(func.count(MentoringSession.id))) == 1


def test_a_person_without_the_mentor_role_cannot_act_as_mentor(place: Any) -> None:
    rosa = world.person(place, "Rosa Huenchumil")
    for call in (
        lambda: mentoring.home(rosa),
        lambda: mentoring.my_profile(rosa),
        lambda: profile(rosa),
        lambda: offer(rosa),
        lambda: mentoring.interns(rosa),
    ):
        with pytest.raises(Forbidden):
            call()


def test_an_lti_mentor_is_a_mentor_and_sees_her_course_mentees(place: Any) -> None:
    carmen = world.person(place, "Carmen Soto")
    world.enrol(carmen)
    world.person(place, "Yasna Joseph")
    lti = world.person(place, "Lucía Fernández", Role.MENTOR, mentees=("carmen-soto",))
    profile(lti)
    home = mentoring.home(lti)
    assert home.lti_mentor and [m.user.name for m in home.course_mentees] == ["Carmen Soto"]
    assert mentoring.mentee(lti, carmen.user_id).user.name == "Carmen Soto"


# ======================================================================= the calendar file
def _next_clock_change() -> date:
    """The first day, from tomorrow, whose Chile UTC offset differs from the day before."""
    day = datetime.now(CHILE).date() + timedelta(days=1)
    for _ in range(366):
        before = datetime(day.year, day.month, day.day, 12, tzinfo=CHILE).utcoffset()
        after_day = day + timedelta(days=1)
        after = datetime(after_day.year, after_day.month, after_day.day, 12, tzinfo=CHILE)
        if after.utcoffset() != before:
            return after_day
        day = after_day
    raise AssertionError("no clock change in a year")


def test_calendar_file_in_chile_time_with_its_time_zone(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    # A session on the day after Chile changes its clocks: the hour must not move.
    change = _next_clock_change()
    local = datetime(change.year, change.month, change.day, 18, 30)  # noqa: DTZ001 - as typed
    session_id = offer(lucia, starts_at_local=local)
    ana, bea, carla = graduates(place, "Ana", "Bea", "Carla")
    mentoring.sign_up(ana, session_id)
    body, name = mentoring.calendar_file(
        ana, session_id, "es", "senda.example.org", lambda t: f"Mentoría: {t}"
    )
    text = body.decode()
    assert name.endswith(".ics") and "BEGIN:VTIMEZONE" in text and "TZID:America/Santiago" in text
    assert f"DTSTART;TZID=America/Santiago:{local:%Y%m%dT%H%M%S}" in text
    event = next(iter(Calendar.from_ical(body).walk("VEVENT")))
    start = event.decoded("dtstart")
    expected = local.replace(tzinfo=CHILE)
    assert start.astimezone(UTC) == expected.astimezone(UTC)
    assert event.decoded("dtend") - start == timedelta(hours=2)
    assert str(event["summary"]) == "Mentoría: Financiamiento"
    assert str(event["url"]) == "https://meet.example.org/abc"
    assert str(event["uid"]).endswith("@senda.example.org")
    # The file is for women with a place only.
    mentoring.sign_up(bea, session_id)
    db.session.execute(update(MentoringSession).values(capacity=1))
    db.session.commit()
    for someone in (bea, carla):
        with pytest.raises(MentoringSessionNotFound):
            mentoring.calendar_file(someone, session_id, "es", "h", str)


# ======================================================== attendance, hours, ratings, notes
def test_attendance_hours_and_ratings(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    intern = world.person(place, "Isabel Intern")
    world.graduate(intern)
    schools.apply(intern, "test-mentor-school")
    team = world.team(place)
    cohort_id = schools.create_cohort(team, "test-mentor-school", "MTS 1", today())
    schools.place(team, cohort_id, intern.user_id)
    assert [i.name for i in mentoring.interns(lucia)] == ["Isabel Intern"]
    session_id = offer(lucia, capacity=2, co_mentor_id=intern.user_id)
    ana, bea, carla = graduates(place, "Ana", "Bea", "Carla")
    for woman in (ana, bea, carla):
        mentoring.sign_up(woman, session_id)
    with pytest.raises(Refused, match="not-started"):
        mentoring.record_attendance(lucia, session_id, {ana.user_id}, "")
    with pytest.raises(Refused, match="not-rateable"):
        mentoring.rate(ana, session_id, 3, "")
    start_now(session_id)
    # The co-mentor sees the session, but only its lead takes attendance.
    assert not mentoring.session_detail(intern, session_id).may_take_attendance
    with pytest.raises(MentoringSessionNotFound):
        mentoring.record_attendance(intern, session_id, {ana.user_id}, "")
    # Carla was waiting: marking her present changes nothing.
    came = mentoring.record_attendance(
        lucia, session_id, {ana.user_id, carla.user_id}, "Buen grupo."
    )
    assert came == 1
    detail = mentoring.session_detail(lucia, session_id)
    assert [(a.name, a.attended) for a in detail.attendees] == [
        ("Ana", True),
        ("Bea", False),
        ("Carla", None),
    ]
    assert detail.private_note == "Buen grupo." and detail.session.status == "held"
    # Two hours for the mentor and for her intern.
    assert mentoring.home(lucia).hours == 2.0
    assert mentoring.hours_by_person(lucia.programme_id, [intern.user_id]) == {intern.user_id: 2.0}
    # Ratings: Ana came; Bea was marked absent; Carla never had a place.
    mentoring.rate(ana, session_id, 3, "  Me sirvió mucho.  ")
    for someone in (bea, carla):
        with pytest.raises(Refused, match="not-rateable"):
            mentoring.rate(someone, session_id, 2, "")
    with pytest.raises(Refused, match="rating"):
        mentoring.rate(ana, session_id, 5, "")
    detail = mentoring.session_detail(lucia, session_id)
    assert detail.ratings == {3: 1} and detail.comments == ["Me sirvió mucho."]
    assert mentoring.session_page(ana, session_id).comment == "Me sirvió mucho."


# ====================================================================== who sees what
def test_mentor_a_cannot_see_or_change_mentor_b_sessions(place: Any) -> None:
    lucia, paz = world.mentor(place, "Lucía Fernández"), world.mentor(place, "Paz Molina")
    profile(lucia)
    profile(paz)
    hers = offer(paz)
    (ana,) = graduates(place, "Ana")
    mentoring.sign_up(ana, hers)
    start_now(hers)
    for call in (
        lambda: mentoring.session_detail(lucia, hers),
        lambda: mentoring.record_attendance(lucia, hers, {ana.user_id}, ""),
        lambda: mentoring.cancel_session(lucia, hers),
    ):
        with pytest.raises(MentoringSessionNotFound):
            call()
    home = mentoring.home(lucia)
    assert home.upcoming == [] and home.past == []
    assert [s.id for s in mentoring.home(paz).upcoming] == [hers]  # under way: still listed


def test_nothing_crosses_programmes(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    session_id = offer(lucia)
    other_programme = ProgrammeFactory()
    platform = PlatformFactory(programme_id=other_programme.id)
    elsewhere = CourseFactory(deployment=DeploymentFactory(platform=platform))
    stranger = world.person(elsewhere, "Otra Persona")
    world.graduate(stranger)
    stranger_mentor = world.mentor(elsewhere, "Otra Mentora")
    stranger_team = world.team(elsewhere, "Otro Equipo")
    assert mentoring.board(stranger).sessions == []
    for call in (
        lambda: mentoring.session_page(stranger, session_id),
        lambda: mentoring.sign_up(stranger, session_id),
        lambda: mentoring.session_detail(stranger_mentor, session_id),
        lambda: mentoring.session_detail(stranger_team, session_id),
        lambda: mentoring.public_profile(stranger, lucia.user_id),
    ):
        with pytest.raises(NotFound):
            call()
    assert mentoring.network(stranger_team).sessions == []
    team = world.team(place)
    assert [t.session.id for t in mentoring.network(team).sessions] == [session_id]
    with pytest.raises(Forbidden):
        mentoring.network(lucia)


def test_public_profile_is_her_words_and_upcoming_sessions(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    (ana,) = graduates(place, "Ana")
    with pytest.raises(MentorNotFound):
        mentoring.public_profile(ana, lucia.user_id)  # no profile yet
    profile(lucia, topics=("financing", "ecommerce"))
    session_id = offer(lucia)
    found, sessions = mentoring.public_profile(ana, lucia.user_id)
    assert found.bio == "Tengo un almacén." and found.topics == ("financing", "ecommerce")
    assert [s.id for s in sessions] == [session_id]
    with pytest.raises(Refused, match="topics"):
        mentoring.save_profile(lucia, "", "", ["astrology"], True, False, 2)
    with pytest.raises(Refused, match="modes"):
        mentoring.save_profile(lucia, "", "", ["financing"], False, False, 2)


def test_her_plan_card_reminds_her_of_sessions_in_the_next_days(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    near, far = offer(lucia, days=2), offer(lucia, days=20)
    (ana,) = graduates(place, "Ana")
    mentoring.sign_up(ana, near)
    mentoring.sign_up(ana, far)
    after = schools.after_training(ana, pathway_complete=True)
    assert [s.id for s in after.sessions] == [near, far]
    assert [s.id for s in after.reminders] == [near]


# ============================================================================= the schools
def test_invitations_follow_the_school_rule(place: Any) -> None:
    team = world.team(place)
    cohort_id = schools.create_cohort(team, "test-school", "Líderes 1", today())
    (carmen,) = graduates(place, "Carmen Soto")
    rosa = world.person(place, "Rosa Huenchumil")
    world.enrol(rosa)
    page = schools.cohort_page(team, cohort_id)
    assert [p.name for p in page.candidates] == ["Carmen Soto"]
    with pytest.raises(Refused, match="not-eligible"):
        schools.invite(team, cohort_id, [carmen.user_id, rosa.user_id])
    assert schools.cohort_page(team, cohort_id).members == []  # nothing written
    assert schools.invite(team, cohort_id, [carmen.user_id]) == 1
    assert schools.invite(team, cohort_id, [carmen.user_id]) == 0  # once
    (offer_,) = [o for o in schools.offers(carmen, True) if o.status == "invited"]
    assert offer_.cohort_name == "Líderes 1"
    with pytest.raises(SchoolNotFound):
        schools.my_school(carmen, "test-school")  # not before she accepts
    with pytest.raises(SchoolMemberNotFound):
        schools.answer(rosa, offer_.member_id or 0, True)  # not hers
    schools.answer(carmen, offer_.member_id or 0, True)
    assert schools.my_school(carmen, "test-school").cohort.name == "Líderes 1"
    mts = schools.create_cohort(team, "test-mentor-school", "MTS", today())
    with pytest.raises(Refused, match="not-invited-school"):
        schools.invite(team, mts, [carmen.user_id])
    with pytest.raises(Forbidden):
        schools.create_cohort(carmen, "test-school", "x", today())
    with pytest.raises(SchoolNotFound):
        schools.create_cohort(team, "ghost-school", "x", today())


def test_volunteers_apply_once_they_graduate_and_the_team_places_them(place: Any) -> None:
    team = world.team(place)
    rosa = world.person(place, "Rosa Huenchumil")
    world.enrol(rosa)
    assert not any(o.school.id == "test-mentor-school" for o in schools.offers(rosa, False))
    with pytest.raises(Refused, match="not-eligible"):
        schools.apply(rosa, "test-mentor-school")
    world.graduate(rosa)
    schools.apply(rosa, "test-mentor-school")
    schools.apply(rosa, "test-mentor-school")  # once
    with pytest.raises(Refused, match="not-volunteers-school"):
        schools.apply(rosa, "test-school")
    assert schools.overview(team).applicants == {"test-mentor-school": 1}
    cohort_id = schools.create_cohort(team, "test-mentor-school", "MTS 1", today())
    page = schools.cohort_page(team, cohort_id)
    assert [p.name for p in page.candidates] == ["Rosa Huenchumil"] and not page.invites
    schools.place(team, cohort_id, rosa.user_id)
    assert schools.my_school(rosa, "test-mentor-school").school.id == "test-mentor-school"


def _member(place: Any, start: date, mentor: Actor | None = None) -> tuple[Actor, int, Actor]:
    team = world.team(place, f"Equipo {random.random()}")
    cohort_id = schools.create_cohort(team, "test-school", "Líderes", start)
    (carmen,) = graduates(place, f"Carmen {random.random()}")
    schools.invite(team, cohort_id, [carmen.user_id])
    member_id = schools.offers(carmen, True)[0].member_id or 0
    schools.answer(carmen, member_id, True)
    if mentor is not None:
        schools.assign_mentor(team, member_id, mentor.user_id)
    return carmen, member_id, team


def test_modules_open_week_by_week_from_the_cohort_start(place: Any) -> None:
    today = datetime.now(CHILE).date()
    carmen, _member_id, _team = _member(place, today)
    mine = schools.my_school(carmen, "test-school")
    assert mine.week == 1
    schools.mark_viewed(carmen, "test-school", "ts-lead-intro")
    with pytest.raises(schools.NotOpen):
        schools.mark_viewed(carmen, "test-school", "ts-lead-next")  # week 2
    with pytest.raises(SchoolNotFound):
        schools.mark_viewed(carmen, "test-school", "ls-welcome")  # not of the school
    later, _m, _t = _member(place, today - timedelta(days=7))
    schools.mark_viewed(later, "test-school", "ts-lead-next")
    assert schools.my_school(later, "test-school").week == 2


def test_the_personal_mentor_reads_homework_never_the_rest(place: Any) -> None:
    lucia, paz = world.mentor(place, "Lucía Fernández"), world.mentor(place, "Paz Molina")
    carmen, member_id, team = _member(place, datetime.now(CHILE).date(), mentor=lucia)
    schools.save_worksheet(
        carmen, "test-school", "ts-lead-homework", {"story": "Organicé la olla común."}, True
    )
    schools.save_reflection(carmen, "test-school", "ts-lead-diary", "Mi secreto del diario.")
    page = schools.mentee_page(lucia, member_id)
    (homework,) = page.homework
    assert homework.values == {"story": "Organicé la olla común."} and homework.submitted
    assert "Mi secreto del diario." not in repr(page)
    assert "Algo mío." not in repr(page)  # her pathway's reflections
    logged = db.session.scalar(
        select(func.count(AccessLog.id)).where(
            AccessLog.reader_id == lucia.user_id,
            AccessLog.subject_id == carmen.user_id,
            AccessLog.what == "school-homework",
        )
    )
    assert logged == 1
    # Mentor B is not her mentor; the team assigns mentors but does not read homework here.
    for someone in (paz, team):
        with pytest.raises((SchoolMemberNotFound, Forbidden)):
            schools.mentee_page(someone, member_id)
        with pytest.raises((SchoolMemberNotFound, Forbidden)):
            schools.add_note(someone, member_id, "hola")
    # Dated notes she reads on her school page.
    schools.add_note(lucia, member_id, "¡Muy buena tarea, Carmen!")
    with pytest.raises(Refused, match="empty"):
        schools.add_note(lucia, member_id, "   ")
    (note,) = schools.my_school(carmen, "test-school").notes
    assert note.body == "¡Muy buena tarea, Carmen!" and note.author == "Lucía Fernández"
    assert note.created_at.date() == datetime.now(UTC).date()
    # What she wrote is encrypted at rest.
    raw = db.session.execute(
        text("SELECT data FROM school_progress WHERE activity_id = 'ts-lead-homework'")
    ).scalar_one()
    notes = db.session.execute(text("SELECT body FROM mentor_note")).scalar_one()
    assert "olla" not in raw and "Carmen" not in notes
    assert [m.member_id for m in mentoring.home(lucia).school_mentees] == [member_id]
    assert mentoring.home(paz).school_mentees == []


def test_mentors_are_chosen_among_the_programme_mentors(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    rosa = world.person(place, "Rosa Huenchumil")
    carmen, member_id, team = _member(place, datetime.now(CHILE).date())
    with pytest.raises(Refused, match="mentor"):
        schools.assign_mentor(team, member_id, rosa.user_id)
    with pytest.raises(Refused, match="mentor"):
        schools.assign_mentor(team, member_id, carmen.user_id)
    schools.assign_mentor(team, member_id, lucia.user_id)
    assert schools.my_school(carmen, "test-school").mentor_name == "Lucía Fernández"
    schools.assign_mentor(team, member_id, None)
    assert schools.my_school(carmen, "test-school").mentor_name == ""


def school_workshop_started(workshop_id: int, minutes_ago: int = 10) -> None:
    db.session.execute(
        update(SchoolWorkshop)
        .where(SchoolWorkshop.id == workshop_id)
        .values(starts_at=utcnow() - timedelta(minutes=minutes_ago))
    )
    db.session.commit()


def test_live_workshop_attendance_completes_the_workshop(place: Any) -> None:
    carmen, member_id, team = _member(place, datetime.now(CHILE).date() - timedelta(days=7))
    cohort_id = schools.my_school(carmen, "test-school").cohort.id
    with pytest.raises(Refused, match="workshop"):
        schools.schedule_workshop(team, cohort_id, "ts-lead-intro", world.soon(1), "", "")
    workshop_id = schools.schedule_workshop(
        team, cohort_id, "ts-lead-live", world.soon(1), "https://meet.example.org/w", "Bienvenidas"
    )
    mine = schools.my_school(carmen, "test-school")
    assert [w.id for w in mine.workshops] == [workshop_id]
    with pytest.raises(Refused, match="not-started"):  # attendance is never earlier
        schools.record_workshop_attendance(team, workshop_id, {member_id})
    school_workshop_started(workshop_id)
    with pytest.raises(SchoolMemberNotFound):
        schools.record_workshop_attendance(team, workshop_id, {member_id + 100})
    assert schools.record_workshop_attendance(team, workshop_id, {member_id}) == 1
    mine = schools.my_school(carmen, "test-school")
    assert mine.progress["ts-lead-live"].completed
    assert schools.workshop_page(team, workshop_id).present == {member_id}
    other = ProgrammeFactory()
    platform = PlatformFactory(programme_id=other.id)
    elsewhere = CourseFactory(deployment=DeploymentFactory(platform=platform))
    stranger = world.team(elsewhere, "Otro Equipo")
    with pytest.raises(CohortNotFound):
        schools.cohort_page(stranger, cohort_id)


def test_mentor_eligibility_needs_the_school_the_gender_training_and_eight_hours(
    place: Any,
) -> None:
    team = world.team(place)
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    (isabel,) = graduates(place, "Isabel Rojas")
    schools.apply(isabel, "test-mentor-school")
    cohort_id = schools.create_cohort(team, "test-mentor-school", "MTS 1", today())
    schools.place(team, cohort_id, isabel.user_id)
    (candidate,) = schools.mentor_candidates(team)
    assert candidate.missing_courses == ("tm-train", "tm-gender") and candidate.missing_hours == 8
    schools.mark_viewed(isabel, "test-mentor-school", "tm-train-intro")
    schools.mark_viewed(isabel, "test-mentor-school", "tm-gender-intro")  # outside the school
    for days in (1, 2, 3):  # three held sessions of two hours, co-led
        session_id = offer(lucia, days=days, co_mentor_id=isabel.user_id)
        start_now(session_id)
        mentoring.record_attendance(lucia, session_id, set(), "")
    (candidate,) = schools.mentor_candidates(team)
    assert candidate.missing_courses == () and candidate.hours == 6.0
    assert not candidate.eligible and candidate.missing_hours == 2.0
    mine = schools.my_school(isabel, "test-mentor-school")
    assert mine.eligibility is not None and mine.eligibility.missing_hours == 2.0
    with pytest.raises(Refused, match="not-eligible"):
        schools.grant_mentor(team, isabel.user_id)
    session_id = offer(lucia, days=4, co_mentor_id=isabel.user_id)
    start_now(session_id)
    mentoring.record_attendance(lucia, session_id, set(), "")
    (candidate,) = schools.mentor_candidates(team)
    assert candidate.eligible and not candidate.is_mentor
    schools.grant_mentor(team, isabel.user_id)
    assert db.session.scalar(
        select(Grant.id).where(Grant.user_id == isabel.user_id, Grant.role == "mentor")
    )
    assert schools.mentor_candidates(team)[0].is_mentor
    assert mentoring.is_mentor(isabel)
    with pytest.raises(Forbidden):
        schools.mentor_candidates(lucia)


def test_a_course_she_completed_in_her_plan_counts_in_the_school(place: Any) -> None:
    """The gender training done through a link in her LMS course counts for the school."""
    team = world.team(place)
    (isabel,) = graduates(place, "Isabel Rojas")
    enrolment = world.enrolment_of(isabel.user_id)
    from lti_tool.services import learning

    learning.add_course_from_link(learning.journey_of(enrolment), "tm-gender")
    world.complete_course(learning.journey_of(enrolment), "tm-gender")
    schools.apply(isabel, "test-mentor-school")
    cohort_id = schools.create_cohort(team, "test-mentor-school", "MTS 1", today())
    schools.place(team, cohort_id, isabel.user_id)
    mine = schools.my_school(isabel, "test-mentor-school")
    gender = next(c for c in mine.plan if c.course.id == "tm-gender")
    assert gender.status == "done" and gender.required_elsewhere
    (candidate,) = schools.mentor_candidates(team)
    assert candidate.missing_courses == ("tm-train",)


# ================================================================= her data, and erasure
def test_her_data_includes_mentoring_and_school_work_and_erasure_removes_it(place: Any) -> None:
    from lti_tool.models import MentorNote, MentorProfile, SchoolMember, SchoolProgress
    from lti_tool.services import privacy

    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    session_id = offer(lucia)
    carmen, member_id, team = _member(place, datetime.now(CHILE).date(), mentor=lucia)
    mentoring.sign_up(carmen, session_id)
    schools.save_worksheet(carmen, "test-school", "ts-lead-homework", {"story": "Olla."}, True)
    schools.save_reflection(carmen, "test-school", "ts-lead-diary", "Secreto.")
    schools.add_note(lucia, member_id, "Bien hecho.")
    held = privacy.export(carmen, complete=True)
    assert "schools" not in privacy.export(carmen)  # the page's summary
    assert [s["topic"] for s in held["mentoring_sessions"]] == ["financing"]
    (school,) = held["schools"]
    assert school["notes_from_your_mentor"][0]["note"] == "Bien hecho."
    assert {"values": {"story": "Olla."}} in [a["what_you_wrote"] for a in school["activities"]]
    assert held["as_a_mentor"] is None
    as_mentor = privacy.export(lucia, complete=True)["as_a_mentor"]
    assert as_mentor["sessions"][0]["topic"] == "financing"
    # She deletes what she wrote: her school reflection and homework go too.
    assert privacy.delete_my_work(carmen, {"reflections", "worksheets"}) >= 2
    assert all(
        not (row.data or {}).get("text") and not (row.data or {}).get("values")
        for row in db.session.scalars(select(SchoolProgress))
    )
    assert privacy.reencrypt() > 0
    # Erasure (of the participant, then of the mentor) leaves nothing of theirs.
    privacy.erase_person(team, carmen.user_id)
    for model in (MentoringSignUp, SchoolMember, SchoolProgress, MentorNote):
        assert db.session.scalar(select(func.count(model.id))) == 0, model
    privacy.erase_person(team, lucia.user_id)
    for model in (MentoringSession, MentorProfile):
        assert db.session.scalar(select(func.count(model.id))) == 0, model


def test_the_demo_mentor_gets_a_profile_and_two_sessions_once(place: Any) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    sub = db.session.get(LtiUser, lucia.user_id).sub  # type: ignore[union-attr]
    mentoring.seed_demo(lucia.platform_id, "nobody")  # not launched yet: nothing
    assert db.session.scalar(select(func.count(MentoringSession.id))) == 0
    for _ in range(2):
        mentoring.seed_demo(lucia.platform_id, sub)
    home = mentoring.home(lucia)
    assert home.profile is not None and len(home.upcoming) == 2
    (ana,) = graduates(place, "Ana")
    assert len(mentoring.board(ana).sessions) == 2


@needs_row_locks
def test_the_same_offer_sent_twice_at_the_same_moment_is_one_session(
    app: Flask, place: Any
) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    profile(lucia)
    starts = world.soon(5)
    ids = at_the_same_moment(app, "mentoring_session", lambda: offer(lucia, starts_at_local=starts))
    assert len(set(ids)) == 1
    assert db.session.scalar(select(func.count(MentoringSession.id))) == 1


@needs_row_locks
def test_the_same_school_session_or_note_sent_twice_at_the_same_moment_is_one(
    app: Flask, place: Any
) -> None:
    lucia = world.mentor(place, "Lucía Fernández")
    carmen, member_id, team = _member(place, datetime.now(CHILE).date(), mentor=lucia)
    cohort_id = schools.my_school(carmen, "test-school").cohort.id
    when = world.soon(2)

    def schedule() -> int:
        return schools.schedule_workshop(team, cohort_id, "ts-lead-live", when, "", "Sala 2")

    assert len(set(at_the_same_moment(app, "school_workshop", schedule))) == 1
    at_the_same_moment(app, "mentor_note", lambda: schools.add_note(lucia, member_id, "Bien", 0))
    assert db.session.scalar(text("SELECT count(*) FROM school_workshop")) == 1
    assert db.session.scalar(text("SELECT count(*) FROM mentor_note")) == 1
