"""The programme team's forms the way the team really uses them: answers taken on the phone
and a refusal recorded (a double tap, the box left unticked, an unanswered question), roles
removed twice, a person erased twice or without the box ticked."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from lti_tool.models import Enrolment, Grant, LmsContext, LtiUser, db, utcnow
from lti_tool.models.private import FollowUpAnswer
from lti_tool.services import content
from tests.conftest import TEST_CONTENT, override_settings
from tests.factories import GrantFactory, ProgrammeFactory
from tests.lti_tool.test_programme_pages import carmen_wrote, grant_team
from tests.lti_tool.test_reports_followup import graduate, make_due, status_of
from tests.lti_tool.test_staff_paths import error_tied, flashes, group_error_tied
from tests.support.journey import csrf, intake, post
from tests.support.lti import Launcher


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def count(model: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[arg-type]


def csrf_of(launcher: Launcher, page: str) -> str:
    return csrf(launcher.client, page)


def said_on(launcher: Launcher, page: str) -> list[str]:
    """The messages her next load of `page` says, in order."""
    return re.findall(
        r'class="flash flash-\w+" role="status">([^<]*)<', text(launcher.client.get(page))
    )


def as_team(app: Flask, launcher: Launcher, sub: str = "ana") -> None:
    launcher.launch("facilitator", sub=sub, name="Ana Pérez")
    grant_team(app, launcher, sub)


def due_survey(app: Flask, launcher: Launcher) -> int:
    """Carmen's 3-month survey, due; the team member Ana launched."""
    survey = make_due(graduate(launcher))
    as_team(app, launcher)
    return survey


PHONE_ANSWERS = {"income": "same", "formal-job": "no", "confirm": "true"}


# ------------------------------------------------------------------ answers taken on the phone
def test_phone_answers_sent_twice_keep_the_first_and_show_no_error(
    app: Flask, launcher: Launcher
) -> None:
    """A double tap on "Save her answers": one set of answers, and the second send does not tell
    the team that the survey was closed and nothing changed, when her answers were just saved."""
    survey = due_survey(app, launcher)
    page = f"/programme/follow-up/{survey}"
    first = post(launcher.client, page, PHONE_ANSWERS, token_from=page)
    again = post(launcher.client, page, PHONE_ANSWERS, token_from="/programme/follow-up")
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    landing = text(launcher.client.get(again.headers["Location"], follow_redirects=True))
    assert "error" not in flashes(landing)
    assert "Sus respuestas ya estaban guardadas" in landing
    assert status_of(survey) == "answered" and count(FollowUpAnswer) == 2


def test_decline_recorded_twice_shows_no_error(app: Flask, launcher: Launcher) -> None:
    survey = due_survey(app, launcher)
    page = f"/programme/follow-up/{survey}"
    for _ in range(2):
        response = post(launcher.client, f"{page}/decline", {"confirm": "true"}, token_from=page)
        assert response.status_code == 302
    landing = text(launcher.client.get(response.headers["Location"], follow_redirects=True))
    assert "error" not in flashes(landing)
    assert status_of(survey) == "declined"


def test_decline_without_the_box_ticked_says_so_beside_the_box(
    app: Flask, launcher: Launcher
) -> None:
    """The refusal is final: left unticked, the page says so beside its box (for a screen reader
    too) with a 400, instead of a redirect to the same page with a message at its top."""
    survey = due_survey(app, launcher)
    page = f"/programme/follow-up/{survey}"
    refused = post(launcher.client, f"{page}/decline", token_from=page)
    assert refused.status_code == 400
    body = text(refused)
    error_tied(body, 'id="decline-confirm"', "err-decline")
    assert status_of(survey) == "scheduled"


def test_phone_answers_missing_tie_each_error_to_its_question(
    app: Flask, launcher: Launcher
) -> None:
    survey = due_survey(app, launcher)
    page = f"/programme/follow-up/{survey}"
    words = "Vende empanadas los sábados."
    missing = post(
        launcher.client, page, {"formal-job": "no", "what-changed": words}, token_from=page
    )
    assert missing.status_code == 400
    body = text(missing)
    group_error_tied(body, "income", "err-income")
    error_tied(body, 'name="confirm" value="true"', "err-confirm")
    assert words in body and 'value="no" checked' in body
    assert status_of(survey) == "scheduled" and count(FollowUpAnswer) == 0


# ------------------------------------------------------------------------- roles and erasure
def carmen_and_ana(app: Flask, launcher: Launcher) -> int:
    """Carmen, a participant; Ana of the programme team launched, on her people page."""
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)
    as_team(app, launcher)
    launcher.launch("facilitator", sub="ana", name="Ana Pérez")
    carmen = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == "carmen"))
    assert carmen is not None
    return carmen


def test_a_role_removed_twice_shows_no_error_page(app: Flask, launcher: Launcher) -> None:
    """Remove tapped twice, or from a second tab still showing the role: the role is removed
    once, and the second tap lands on the people page (not a "not found" page)."""
    carmen = carmen_and_ana(app, launcher)
    granted = post(
        launcher.client,
        "/programme/grants",
        {"user_id": carmen, "role": "tutor", "region": ""},
        token_from="/programme/people",
    )
    assert granted.status_code == 302
    grant_id = db.session.scalar(select(Grant.id).where(Grant.user_id == carmen))
    assert grant_id is not None
    page = "/programme/people"
    first = post(launcher.client, f"/programme/grants/{grant_id}/revoke", token_from=page)
    again = post(launcher.client, f"/programme/grants/{grant_id}/revoke", token_from=page)
    assert first.status_code == again.status_code == 302
    landing = text(launcher.client.get(again.headers["Location"], follow_redirects=True))
    assert "error" not in flashes(landing) and "ya se había quitado" in landing
    db.session.expire_all()
    assert db.session.get(Grant, grant_id).revoked_at is not None  # type: ignore[union-attr]
    assert (
        launcher.client.post(
            "/programme/grants/999999/revoke", data={"csrf_token": csrf_of(launcher, page)}
        ).status_code
        == 404
    )
    # Another programme's role, in use or removed: not found, not "removed already".
    regional = ProgrammeFactory()
    for revoked_at in (None, utcnow()):
        theirs = GrantFactory(programme_id=regional.id, role="tutor", revoked_at=revoked_at)
        refused = launcher.client.post(
            f"/programme/grants/{theirs.id}/revoke", data={"csrf_token": csrf_of(launcher, page)}
        )
        assert refused.status_code == 404
        db.session.expire_all()
        assert db.session.get(Grant, theirs.id).revoked_at == revoked_at  # type: ignore[union-attr]


def test_erasing_without_the_box_ticked_says_so_beside_her_box(
    app: Flask, launcher: Launcher
) -> None:
    """Erasure cannot be undone: left unticked, the page says so beside that person's box (for
    a screen reader too) with a 400, her entry open, and nothing is erased."""
    carmen = carmen_and_ana(app, launcher)
    unticked = post(
        launcher.client, f"/programme/people/{carmen}/erase", token_from="/programme/people"
    )
    assert unticked.status_code == 400
    body = text(unticked)
    error_tied(body, f'id="erase-confirm-{carmen}"', f"erase-error-{carmen}")
    assert "<details open" in body
    assert db.session.get(LtiUser, carmen) is not None
    stranger = post(launcher.client, "/programme/people/999999/erase", token_from="/programme")
    assert stranger.status_code == 404


def test_a_person_erased_twice_shows_no_error_page(app: Flask, launcher: Launcher) -> None:
    """A double tap on Erase (or a second tab): she is erased once, and the second tap says
    that Senda holds nothing about her any more, instead of a "not found" page."""
    carmen = carmen_and_ana(app, launcher)
    page = "/programme/people"
    for _ in range(2):
        response = post(
            launcher.client,
            f"/programme/people/{carmen}/erase",
            {"confirm": "true"},
            token_from=page,
        )
        assert response.status_code == 302
    landing = text(launcher.client.get(response.headers["Location"], follow_redirects=True))
    assert "error" not in flashes(landing)
    db.session.expire_all()
    assert db.session.get(LtiUser, carmen) is None


# ------------------------------------------------------------------------ the content version
def newer_content_for_her_course(app: Flask, tmp_path: Path) -> str:
    """A newer content version imported (the test content and one more file); the programme
    page of the course she launched, where her cohort can be moved to it."""
    newer = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, newer)
    (newer / "media" / "new.txt").write_text("a new file makes a new version")
    override_settings(app, content_path=str(newer))
    assert content.import_tree().created
    content.forget_latest()
    context_id = db.session.scalar(select(LmsContext.id))
    return f"/programme/courses/{context_id}"


def test_moving_a_cohort_twice_does_not_say_nobody_was_moved_as_a_success(
    app: Flask, launcher: Launcher, tmp_path: Path
) -> None:
    """A double tap on "Move this cohort": she is moved once; the second tap says everyone was
    on the newest content already, not "0 participant(s) moved" as if something was done."""
    carmen = carmen_and_ana(app, launcher)
    page = newer_content_for_her_course(app, tmp_path)
    token = csrf_of(launcher, page)  # one page, tapped twice
    first = launcher.client.post(f"{page}/migrate", data={"csrf_token": token})
    again = launcher.client.post(f"{page}/migrate", data={"csrf_token": token})
    assert first.status_code == again.status_code == 302
    said = said_on(launcher, page)
    assert said == [
        "1 participante pasó a los contenidos más nuevos.",
        "Todas las personas de este curso ya estaban en los contenidos más nuevos. "
        "No se cambió nada.",
    ]
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == carmen))
    assert enrolment is not None and enrolment.content_version_id == content.latest_version_id()


def test_moving_a_cohort_does_not_count_her_when_her_pathway_is_gone(
    app: Flask, launcher: Launcher, tmp_path: Path
) -> None:
    """Her pathway is not in the newest content: she stays where she is, and the page says so
    instead of counting her among those moved."""
    carmen = carmen_and_ana(app, launcher)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == carmen))
    assert enrolment is not None
    enrolment.pathway_id = "a-retired-pathway"  # as if the newest content dropped hers
    db.session.commit()
    older = enrolment.content_version_id
    page = newer_content_for_her_course(app, tmp_path)
    moved = post(launcher.client, f"{page}/migrate", token_from=page)
    assert moved.status_code == 302
    said = said_on(launcher, page)
    assert said == [
        "1 participante se quedó en su versión: su ruta no está en los contenidos más nuevos."
    ]
    db.session.expire_all()
    assert db.session.get(Enrolment, enrolment.id).content_version_id == older  # type: ignore[union-attr]


# ------------------------------------------------------------------------------ her own data
def test_delete_work_with_nothing_chosen_says_so_beside_the_choices(launcher: Launcher) -> None:
    carmen_wrote(launcher)
    empty = post(launcher.client, "/privacy/delete-work", token_from="/privacy")
    assert empty.status_code == 400
    group_error_tied(text(empty), "kinds", "delete-work-error")
    assert "organizar a mi familia" in text(launcher.client.get("/privacy/my-data.json"))


def test_delete_work_tapped_twice_does_not_say_nothing_was_deleted_as_a_success(
    launcher: Launcher,
) -> None:
    """The second tap finds nothing left: it says so, not "Deleted: 0 answer(s)"."""
    carmen_wrote(launcher)
    token = csrf_of(launcher, "/privacy")  # one page, tapped twice
    for _ in range(2):
        response = launcher.client.post(
            "/privacy/delete-work", data={"kinds": "reflections", "csrf_token": token}
        )
        assert response.status_code == 302
    said = said_on(launcher, "/privacy")
    assert said == [
        "Borramos 1 respuesta.",
        "No quedaba nada de eso por borrar. No se cambió nada.",
    ]


def test_withdrawing_consent_twice_does_not_say_it_was_deleted_again(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client, region="biobio", consent="true")
    assert "Retirar mi consentimiento" in text(launcher.client.get("/privacy"))
    token = csrf_of(launcher, "/privacy")  # one page, tapped twice
    for _ in range(2):
        assert launcher.client.post("/privacy", data={"csrf_token": token}).status_code == 302
    said = said_on(launcher, "/privacy")
    assert said == [
        "Tu información opcional fue borrada.",
        "Senda no guarda información opcional sobre ti.",
    ]


# ---------------------------------------------------------------------------------- "Salir"
def test_salir_tapped_twice_says_she_left_both_times(launcher: Launcher) -> None:
    """A double tap on "Salir" (or Back and "Salir" again on a shared computer): the second tap
    finds the session gone, and says she left, not "This form has expired"."""
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)
    token = csrf_of(launcher, "/plan")  # one page, tapped twice
    for _ in range(2):
        out = launcher.client.post("/logout", data={"csrf_token": token})
        assert out.status_code == 200 and "Saliste de Senda" in text(out)
    assert launcher.client.get("/plan").status_code == 401


def test_salir_from_another_site_does_not_end_her_session(launcher: Launcher) -> None:
    """While she is in, "Salir" still needs the page's token: another site cannot log her out."""
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)
    forged = launcher.client.post("/logout")
    assert forged.status_code == 400
    assert launcher.client.get("/plan").status_code == 200


# ---------------------------------------------------------------------------- her own plan
def test_her_plan_changes_and_course_additions_tapped_twice_change_it_once(
    launcher: Launcher,
) -> None:
    """Right already, kept so: a double tap on "Yes, change my plan" or on "Add it to my plan"
    changes her plan once, the course is in it once, and neither tap shows an error."""
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    intake(launcher.client)  # entrepreneurship
    confirm = {"pathway": "entrepreneurship", "level": "advanced", "confirm": "true"}
    token = csrf_of(launcher, "/plan/change?pathway=entrepreneurship&level=advanced")
    for _ in range(2):
        changed = launcher.client.post("/pathway", data={**confirm, "csrf_token": token})
        assert changed.status_code == 302
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None
    assert (enrolment.pathway_id, enrolment.level) == ("entrepreneurship", "advanced")
    once = list(enrolment.course_ids)
    token = csrf_of(launcher, "/courses/ent-idea")
    for _ in range(2):
        added = launcher.client.post("/courses/ent-idea/add", data={"csrf_token": token})
        assert added.status_code == 302
    db.session.expire_all()
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None and enrolment.course_ids == [*once, "ent-idea"]
    landing = text(launcher.client.get(added.headers["Location"]))
    assert "error" not in flashes(landing)


# ------------------------------------------------------------------------------- the intake
def selected(page: str, name: str) -> list[str]:
    """The values shown as chosen in the select `name` of the page."""
    found = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert found, name
    return re.findall(r'<option value="([^"]*)" selected>', found.group(1))


def test_the_intake_sent_with_a_question_unanswered_keeps_her_optional_answers(
    launcher: Launcher,
) -> None:
    """She forgot a required question: the page says so beside it (every choice marked invalid
    for a screen reader) and keeps what she chose about herself, her region included."""
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    missing = intake(
        launcher.client,
        {"has-business": "no"},
        consent="true",
        region="araucania",
        municipality="09101",
        migrant="no",
    )
    assert missing.status_code == 400
    page = text(missing)
    group_error_tied(page, "goal", "err-goal")
    assert selected(page, "region") == ["araucania"]
    assert selected(page, "municipality") == ["09101"]
    assert 'name="consent" value="true" checked' in page
    assert 'name="migrant" value="no" checked' in page
    assert 'name="has-business" value="no" checked' in page
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 0


def test_the_intake_with_a_commune_of_another_region_ties_the_error_and_keeps_her_choices(
    launcher: Launcher,
) -> None:
    launcher.launch("participant", sub="carmen", name="Carmen Soto")
    mismatch = intake(
        launcher.client, consent="true", region="biobio", municipality="09101", indigenous="yes"
    )
    assert mismatch.status_code == 400
    page = text(mismatch)
    error_tied(page, 'id="municipality"', "err-municipality")
    assert selected(page, "region") == ["biobio"]
    assert selected(page, "municipality") == ["09101"]
    assert 'name="consent" value="true" checked' in page
    assert 'name="indigenous" value="yes" checked' in page
    assert 'name="goal" value="own-business" checked' in page
