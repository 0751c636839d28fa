"""The programme team's pages, a mentor's scope from the LMS, and her own data, through HTTP."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import func, select

from lti_tool.models import ActivityProgress, LmsContext, LtiUser, db
from tests.factories import CourseFactory, DeploymentFactory, ProgrammeFactory, member
from tests.support.journey import intake, post
from tests.support.lti import LTI, Launcher


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def grant_team(app: Flask, launcher: Launcher, sub: str) -> None:
    result = app.test_cli_runner().invoke(
        args=["programme", "grant", "--issuer", launcher.platform.issuer, "--sub", sub]
    )
    assert result.exit_code == 0, result.output


def test_a_mentor_sees_only_the_people_the_lms_says_she_mentors(launcher: Launcher) -> None:
    for sub, name in (("carmen", "Carmen Soto"), ("yasna", "Yasna Joseph"), ("rosa", "Rosa H")):
        launcher.launch("participant", sub=sub, name=name, given_name=name.split()[0])
        intake(launcher.client)
    launcher.launch(
        "mentor",
        sub="lucia",
        name="Lucía Fernández",
        **{LTI + "role_scope_mentor": ["carmen", "yasna", "someone-elsewhere"]},
    )
    page = text(launcher.client.get("/mentor"))
    assert "Carmen Soto" in page and "Yasna Joseph" in page and "Rosa H" not in page
    rosa = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == "rosa"))
    carmen = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == "carmen"))
    assert launcher.client.get(f"/mentor/mentees/{rosa}").status_code == 404
    assert launcher.client.get(f"/mentor/mentees/{carmen}").status_code == 200
    # A mentor reaches no staff page and nothing the participant wrote.
    for path in ("/cohort", f"/cohort/participants/{carmen}", "/design", "/programme"):
        assert launcher.client.get(path).status_code == 403, path


def test_a_mentor_without_a_scope_sees_nobody(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen")
    intake(launcher.client)
    launcher.launch("mentor", sub="lucia")
    assert "Carmen" not in text(launcher.client.get("/mentor"))


def test_programme_pages_need_the_grant_and_never_show_another_programme(
    app: Flask, launcher: Launcher
) -> None:
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    launcher.launch("facilitator", sub="ana", name="Ana Pérez")
    for path in ("/programme", "/programme/people", "/programme/content"):
        assert launcher.client.get(path).status_code == 403, path
    grant_team(app, launcher, "ana")
    launcher.launch("facilitator", sub="ana", name="Ana Pérez")
    home = text(launcher.client.get("/programme"))
    assert "Cohorte 1" in home
    assert 'href="/programme"' in text(launcher.client.get("/cohort"))  # in her menu now
    ours = db.session.scalar(select(LmsContext.id))
    assert "Carmen Soto" in text(launcher.client.get(f"/programme/courses/{ours}"))
    regional = ProgrammeFactory()
    theirs = CourseFactory(
        deployment=DeploymentFactory(platform__programme_id=regional.id), title="Ajeno"
    )
    member(theirs, name="Participante ajena")
    assert launcher.client.get(f"/programme/courses/{theirs.id}").status_code == 404
    assert "Ajeno" not in home and "Participante ajena" not in text(
        launcher.client.get("/programme/people?q=ajena")
    )


def test_erasing_needs_the_box_ticked(app: Flask, launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)
    launcher.launch("facilitator", sub="ana", name="Ana Pérez")
    grant_team(app, launcher, "ana")
    carmen = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == "carmen"))
    unticked = post(
        launcher.client, f"/programme/people/{carmen}/erase", token_from="/programme/people"
    )
    assert unticked.status_code == 400 and db.session.get(LtiUser, carmen) is not None
    post(
        launcher.client,
        f"/programme/people/{carmen}/erase",
        {"confirm": "true"},
        token_from="/programme/people",
    )
    assert db.session.get(LtiUser, carmen) is None


def carmen_wrote(launcher: Launcher) -> None:
    """Carmen launched, did her intake and wrote one reflection."""
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)
    post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": "Sé organizar a mi familia."},
        token_from="/activities/ls-strengths",
    )


def test_she_sees_downloads_and_deletes_her_own_data(launcher: Launcher) -> None:
    carmen_wrote(launcher)
    page = text(launcher.client.get("/privacy"))
    assert "Descargar todo" in page and "1 respuesta escrita" in page
    download = launcher.client.get("/privacy/my-data.json")
    assert "attachment" in download.headers["Content-Disposition"]
    held = json.loads(download.get_data())
    assert any(
        a["what_you_wrote"] == {"text": "Sé organizar a mi familia."}
        for plan in held["plans"]
        for a in plan["activities"]
    )
    empty = post(launcher.client, "/privacy/delete-work", token_from="/privacy")
    assert empty.status_code == 400  # nothing chosen: nothing deleted
    post(launcher.client, "/privacy/delete-work", {"kinds": "reflections"}, token_from="/privacy")
    row = db.session.scalar(
        select(ActivityProgress).where(ActivityProgress.activity_id == "ls-strengths")
    )
    assert row is not None and row.data == {} and row.completed
    assert db.session.scalar(select(func.count()).select_from(ActivityProgress)) >= 1
