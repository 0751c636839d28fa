"""Who sees what, for every mentoring and school page and action, with real launches:

- a participant without grants reaches no mentor or programme-team page (403);
- mentor A never sees or changes mentor B's sessions or mentees (404, by URL and by id);
- a mentor never reaches a reflection, the demographics or the participant pages (403), and her
  mentee's page shows homework only;
- nothing crosses programmes: another programme's participant, mentor and team get 404 for every
  id of this one, and see none of it in their lists;
- every refused action writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from courses.schools import CHILE
from lti_tool.actor import Role
from lti_tool.models import (
    LmsContext,
    LtiUser,
    MentoringSession,
    Platform,
    Programme,
    SchoolMember,
    db,
    utcnow,
)
from lti_tool.services import mentoring, schools
from tests.conftest import register_platform, row_counts
from tests.factories import GrantFactory, actor_of
from tests.support import mentoring as world
from tests.support.journey import csrf, intake
from tests.support.lti import LTI, Launcher
from tests.support.mentoring import with_mentoring_content  # noqa: F401 - fixtures

SCOPE = LTI + "role_scope_mentor"
SECRET_REFLECTION = "Mi reflexión secreta de la escuela."
PATHWAY_REFLECTION = "Algo mío."  # what tests.support.mentoring.graduate writes
MUNICIPALITY = "Padre Las Casas"


def who(sub: str, platform_id: int | None = None) -> LtiUser:
    query = select(LtiUser).where(LtiUser.sub == sub)
    if platform_id is not None:
        query = query.where(LtiUser.platform_id == platform_id)
    found = db.session.scalar(query)
    assert found is not None, sub
    return found


@dataclass
class World:
    launcher: Launcher
    other: Launcher  # the LMS of another programme
    session_a: int  # Lucía's
    session_b: int  # Paz's, Carmen signed up
    session_other: int  # of the other programme
    member: int  # Carmen in the Leadership School; her mentor is Paz
    cohort: int
    workshop: int
    carmen: int
    lucia: int
    paz: int
    rosa: int

    def as_(
        self, sub: str, role: str = "participant", other: bool = False, **claims: Any
    ) -> Launcher:
        launcher = self.other if other else self.launcher
        name = {"lucia": "Lucía Fernández", "paz": "Paz Molina"}.get(sub, sub.title())
        launcher.launch(role, sub=sub, name=name, given_name=name.split()[0], **claims)
        return launcher


@pytest.fixture
def setting(app: Flask, launcher: Launcher) -> World:
    """Two programmes. In this one: Lucía (mentor A: the LTI Mentor role, her scope Yasna, and
    the grant) and Paz (mentor B: the grant), a session each; Carmen, who completed her pathway,
    signed up for Paz's session and is in the Leadership School with Paz as her mentor, with
    homework, a private reflection and consented demographics; Rosa, a participant; Ana, the
    programme team. In the other: a participant, a mentor with a session, and a team."""
    # People, by launch.
    launcher.launch("participant", sub="carmen", name="Carmen Soto", given_name="Carmen")
    intake(
        launcher.client,
        consent="true",
        region="araucania",
        municipality=MUNICIPALITY,
        indigenous="yes",
    )
    launcher.launch("participant", sub="yasna", name="Yasna Joseph", given_name="Yasna")
    intake(launcher.client)
    launcher.launch("participant", sub="rosa", name="Rosa Huenchumil", given_name="Rosa")
    intake(launcher.client)
    launcher.launch("participant", sub="paz", name="Paz Molina", given_name="Paz")
    launcher.launch("facilitator", sub="ana", name="Ana Pérez", given_name="Ana")
    launcher.launch(
        "mentor", sub="lucia", name="Lucía Fernández", given_name="Lucía", **{SCOPE: ["yasna"]}
    )
    context = db.session.scalar(select(LmsContext))
    assert context is not None
    for sub, role in (("lucia", Role.MENTOR), ("paz", Role.MENTOR), ("ana", Role.PROGRAMME_TEAM)):
        GrantFactory(user_id=who(sub).id, role=role.value)
    carmen = actor_of(who("carmen"), context)
    world.graduate(carmen)
    lucia = actor_of(who("lucia"), context, Role.MENTOR, mentees=("yasna",))
    paz = actor_of(who("paz"), context)
    team = actor_of(who("ana"), context, Role.FACILITATOR)
    session_ids = []
    for mentor in (lucia, paz):
        mentoring.save_profile(mentor, "Hola.", "araucania", ["financing"], True, False, 8)
        session_ids.append(
            mentoring.offer(
                mentor,
                mentoring.NewSession(
                    "financing",
                    world.soon(2),
                    120,
                    "online",
                    "https://meet.example.org/x",
                    "",
                    "",
                    4,
                    "",
                    None,
                ),
            )
        )
    mentoring.sign_up(carmen, session_ids[1])
    today = datetime.now(CHILE).date()
    cohort = schools.create_cohort(team, "test-school", "Líderes", today)
    schools.invite(team, cohort, [carmen.user_id])
    member = db.session.scalar(select(SchoolMember.id))
    assert member is not None
    schools.answer(carmen, member, True)
    schools.assign_mentor(team, member, paz.user_id)
    schools.save_worksheet(
        carmen, "test-school", "ts-lead-homework", {"story": "Olla común."}, True
    )
    schools.save_reflection(carmen, "test-school", "ts-lead-diary", SECRET_REFLECTION)
    workshop = schools.schedule_workshop(
        team, cohort, "ts-lead-live", world.soon(5), "https://meet.example.org/w", ""
    )
    # Another programme, on another LMS.
    programme = Programme(slug="otra", name="Otro programa")
    db.session.add(programme)
    db.session.commit()
    platform = register_platform("https://other.example.edu", "client-x", "dep-x", "other")
    db.session.execute(
        update(Platform).where(Platform.id == platform.db_id).values(programme_id=programme.id)
    )
    db.session.commit()
    other = Launcher(app.test_client(), platform)
    for sub, role in (("olga", "participant"), ("maite", "participant"), ("teresa", "facilitator")):
        other.launch(role, sub=sub, name=sub.title(), given_name=sub.title())
    other_context = db.session.scalar(
        select(LmsContext).where(LmsContext.programme_id == programme.id)
    )
    assert other_context is not None
    for sub, role in (("maite", Role.MENTOR), ("teresa", Role.PROGRAMME_TEAM)):
        GrantFactory(
            user_id=who(sub, platform.db_id).id, role=role.value, programme_id=programme.id
        )
    olga = actor_of(who("olga", platform.db_id), other_context)
    world.graduate(olga)
    maite = actor_of(who("maite", platform.db_id), other_context)
    mentoring.save_profile(maite, "Hola.", "", ["financing"], True, False, 8)
    session_other = mentoring.offer(
        maite,
        mentoring.NewSession(
            "financing",
            world.soon(2),
            120,
            "online",
            "https://meet.example.org/y",
            "",
            "",
            4,
            "",
            None,
        ),
    )
    return World(
        launcher,
        other,
        session_ids[0],
        session_ids[1],
        session_other,
        member,
        cohort,
        workshop,
        carmen.user_id,
        lucia.user_id,
        paz.user_id,
        who("rosa").id,
    )


def start(session_id: int) -> None:
    db.session.execute(
        update(MentoringSession)
        .where(MentoringSession.id == session_id)
        .values(starts_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()


def attempt(launcher: Launcher, method: str, path: str, data: dict[str, Any] | None = None) -> int:
    """The status of a GET, or of a POST with a valid CSRF token that must write nothing when
    refused."""
    if method == "GET":
        return int(launcher.client.get(path).status_code)
    token = csrf(launcher.client, "/")
    before = row_counts()
    response = launcher.client.post(path, data={"csrf_token": token, **(data or {})})
    if response.status_code >= 400:
        assert row_counts() == before, (path, "wrote something on a refusal")
    return int(response.status_code)


def mentor_pages(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("GET", "/mentor", {}),
        ("GET", "/mentor/profile", {}),
        ("POST", "/mentor/profile", {"topics": ["financing"], "online": "true"}),
        ("GET", "/mentor/sessions/new", {}),
        ("POST", "/mentor/sessions/new", {"topic_id": "financing", "mode": "online"}),
        ("GET", f"/mentor/sessions/{w.session_b}", {}),
        ("POST", f"/mentor/sessions/{w.session_b}/attendance", {"present": [str(w.carmen)]}),
        ("POST", f"/mentor/sessions/{w.session_b}/cancel", {"confirm": "true"}),
        ("GET", f"/mentor/school/{w.member}", {}),
        ("POST", f"/mentor/school/{w.member}/notes", {"body": "hola"}),
        ("GET", f"/mentor/mentees/{w.carmen}", {}),
    ]


def team_pages(w: World) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("GET", "/programme/schools", {}),
        (
            "POST",
            "/programme/schools/cohorts",
            {"school_id": "test-school", "name": "X", "starts_on": "2030-01-01"},
        ),
        ("GET", f"/programme/schools/cohorts/{w.cohort}", {}),
        ("POST", f"/programme/schools/cohorts/{w.cohort}/invite", {"user_ids": [str(w.rosa)]}),
        ("POST", f"/programme/schools/cohorts/{w.cohort}/place", {"user_id": str(w.rosa)}),
        ("POST", f"/programme/schools/members/{w.member}/mentor", {"mentor_id": str(w.lucia)}),
        (
            "POST",
            f"/programme/schools/cohorts/{w.cohort}/workshops",
            {"activity_id": "ts-lead-live", "starts_at": "2030-01-01T18:00"},
        ),
        ("GET", f"/programme/schools/workshops/{w.workshop}", {}),
        ("POST", f"/programme/schools/workshops/{w.workshop}", {"present": [str(w.member)]}),
        ("GET", f"/programme/schools/workshops/{w.workshop}/edit", {}),
        (
            "POST",
            f"/programme/schools/workshops/{w.workshop}/edit",
            {"starts_at": "2030-01-01T18:00", "revision": "0"},
        ),
        ("POST", f"/programme/schools/workshops/{w.workshop}/cancel", {"confirm": "true"}),
        ("GET", "/programme/mentors", {}),
        ("POST", f"/programme/mentors/{w.carmen}/grant", {}),
        ("GET", "/programme/mentoring", {}),
    ]


def participant_pages(w: World, session_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("GET", "/mentoring", {}),
        ("GET", f"/mentoring/sessions/{session_id}", {}),
        ("POST", f"/mentoring/sessions/{session_id}/sign-up", {}),
        ("POST", f"/mentoring/sessions/{session_id}/cancel", {"confirm": "true"}),
        ("GET", f"/mentoring/sessions/{session_id}/calendar.ics", {}),
        ("POST", f"/mentoring/sessions/{session_id}/rating", {"rating": "3"}),
        ("GET", f"/mentoring/mentors/{w.lucia}", {}),
        ("GET", "/school/test-school", {}),
        ("GET", "/school/test-school/activities/ts-lead-homework", {}),
        ("POST", "/school/test-school/activities/ts-lead-intro/done", {}),
        ("POST", "/school/test-school/activities/ts-lead-homework/worksheet", {"story": "x"}),
        ("POST", "/school/test-school/activities/ts-lead-diary/reflection", {"text": "x"}),
        ("POST", "/school/test-mentor-school/apply", {}),
        ("POST", f"/school/invitations/{w.member}", {"accept": "true"}),
    ]


# ============================================================== a participant without grants
def test_a_participant_reaches_no_mentor_or_team_page(setting: World) -> None:
    rosa = setting.as_("rosa")
    for method, path, data in mentor_pages(setting) + team_pages(setting):
        status = attempt(rosa, method, path, data)
        # A session is "not found" for anyone but its mentors (a co-mentor need not be one).
        assert status == (404 if "/mentor/sessions/" in path and "new" not in path else 403), (
            method,
            path,
        )
    # The LTI Mentor pages of a course are for its mentors only.
    assert attempt(rosa, "GET", f"/mentor/mentees/{setting.carmen}") == 403


def test_a_participant_reaches_only_her_own_school_and_invitations(setting: World) -> None:
    rosa = setting.as_("rosa")
    for method, path, data in participant_pages(setting, setting.session_b)[7:12]:
        assert attempt(rosa, method, path, data) == 404, (method, path)
    assert attempt(rosa, "POST", f"/school/invitations/{setting.member}", {"accept": "true"}) == 404


# ================================================================== mentor A and mentor B
def test_mentor_a_cannot_see_or_change_mentor_b_sessions_or_mentees(setting: World) -> None:
    lucia = setting.as_("lucia", "mentor", **{SCOPE: ["yasna"]})
    home = lucia.client.get("/mentor").get_data(as_text=True)
    assert "Carmen Soto" not in home and f"/mentor/sessions/{setting.session_b}" not in home
    assert f"/mentor/sessions/{setting.session_a}" in home and "Yasna Joseph" in home
    for method, path, data in mentor_pages(setting)[5:]:
        assert attempt(lucia, method, path, data) == 404, (method, path)
    start(setting.session_b)
    assert (
        attempt(
            lucia,
            "POST",
            f"/mentor/sessions/{setting.session_b}/attendance",
            {"present": [str(setting.carmen)]},
        )
        == 404
    )
    # And mentor B on mentor A's session, by id.
    paz = setting.as_("paz")
    assert attempt(paz, "GET", f"/mentor/sessions/{setting.session_a}") == 404
    assert (
        attempt(paz, "POST", f"/mentor/sessions/{setting.session_a}/cancel", {"confirm": "true"})
        == 404
    )
    assert attempt(paz, "GET", f"/mentor/mentees/{setting.carmen}") == 403  # not an LTI mentor
    assert attempt(paz, "GET", f"/mentor/sessions/{setting.session_b}") == 200
    assert attempt(paz, "GET", f"/mentor/school/{setting.member}") == 200


def test_an_lti_mentor_sees_only_her_scope_in_the_course(setting: World) -> None:
    lucia = setting.as_("lucia", "mentor", **{SCOPE: ["yasna"]})
    yasna = who("yasna").id
    assert attempt(lucia, "GET", f"/mentor/mentees/{yasna}") == 200
    assert attempt(lucia, "GET", f"/mentor/mentees/{setting.carmen}") == 404
    assert attempt(lucia, "GET", f"/mentor/mentees/{setting.rosa}") == 404


# ===================================================== a mentor never reaches what is private
def test_a_mentor_never_reaches_a_reflection_or_demographics(setting: World) -> None:
    lucia = setting.as_("lucia", "mentor", **{SCOPE: ["yasna", "carmen"]})
    for path in (
        "/activities/ls-strengths",  # a reflection of the pathway
        "/activities/ts-lead-diary",
        "/privacy",
        "/privacy/my-data.json",
        "/plan",
        f"/cohort/participants/{setting.carmen}",
        "/cohort",
        "/school/test-school/activities/ts-lead-diary",
        "/mentoring",
    ):
        assert attempt(lucia, "GET", path) == 403, path
    # Her course mentee's page: progress only.
    page = lucia.client.get(f"/mentor/mentees/{setting.carmen}").get_data(as_text=True)
    for private in (PATHWAY_REFLECTION, MUNICIPALITY, SECRET_REFLECTION, "Olla común."):
        assert private not in page, private
    # The personal mentor (Paz) sees the homework, never the reflection or demographics.
    paz = setting.as_("paz")
    page = paz.client.get(f"/mentor/school/{setting.member}").get_data(as_text=True)
    assert "Olla común." in page
    for private in (SECRET_REFLECTION, PATHWAY_REFLECTION, MUNICIPALITY, "Araucanía"):
        assert private not in page, private
    session = paz.client.get(f"/mentor/sessions/{setting.session_b}").get_data(as_text=True)
    assert "Carmen Soto" in session and MUNICIPALITY not in session


def test_the_lti_mentor_role_reaches_no_participant_page(setting: World) -> None:
    lucia = setting.as_("lucia", "mentor", **{SCOPE: ["yasna"]})
    for method, path, data in participant_pages(setting, setting.session_b):
        assert attempt(lucia, method, path, data) == 403, (method, path)


# ===================================================================== nothing crosses over
def test_another_programme_sees_none_of_this_one(setting: World) -> None:
    olga = setting.as_("olga", other=True)
    board = olga.client.get("/mentoring").get_data(as_text=True)
    assert f"/mentoring/sessions/{setting.session_a}" not in board
    assert f"/mentoring/sessions/{setting.session_other}" in board
    for method, path, data in participant_pages(setting, setting.session_a)[1:7]:
        assert attempt(olga, method, path, data) == 404, (method, path)
    maite = setting.as_("maite", other=True)
    for method, path, data in mentor_pages(setting)[5:10]:
        assert attempt(maite, method, path, data) == 404, (method, path)
    assert attempt(maite, "GET", f"/mentor/sessions/{setting.session_a}") == 404
    home = maite.client.get("/mentor").get_data(as_text=True)
    assert "Carmen Soto" not in home and "Lucía" not in home
    teresa = setting.as_("teresa", "facilitator", other=True)
    for method, path, data in team_pages(setting):
        if method == "GET" and path in (
            "/programme/schools",
            "/programme/mentors",
            "/programme/mentoring",
        ):
            page = teresa.client.get(path).get_data(as_text=True)
            assert "Carmen Soto" not in page and "Líderes" not in page and "Lucía" not in page
            continue
        if path == "/programme/schools/cohorts":
            continue  # creating her own cohort is hers to do
        assert attempt(teresa, method, path, data) == 404, (method, path)
    # And this programme's team sees nothing of the other.
    ana = setting.as_("ana", "facilitator")
    network = ana.client.get("/programme/mentoring").get_data(as_text=True)
    assert "Maite" not in network and "Lucía Fernández" in network
    assert attempt(ana, "GET", f"/mentor/sessions/{setting.session_other}") == 404


def test_the_team_sees_everything_of_its_programme(setting: World) -> None:
    ana = setting.as_("ana", "facilitator")
    for method, path, _data in team_pages(setting):
        if method == "GET":
            assert attempt(ana, method, path) == 200, path
    for session_id in (setting.session_a, setting.session_b):
        page = ana.client.get(f"/mentor/sessions/{session_id}").get_data(as_text=True)
        assert "Guardar asistencia" not in page and "Cancelar la sesión" not in page
    cohort = ana.client.get(f"/programme/schools/cohorts/{setting.cohort}").get_data(as_text=True)
    assert "Carmen Soto" in cohort and "Paz Molina" in cohort
    assert "Olla común." not in cohort and SECRET_REFLECTION not in cohort
    # The team reads no homework: that is her mentor's.
    assert attempt(ana, "GET", f"/mentor/school/{setting.member}") == 403
