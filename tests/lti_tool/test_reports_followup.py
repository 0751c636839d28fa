"""A participant's follow-up survey through real launches: offered first once due, answered,
postponed or declined from the page; her contact; the intake's checked list of communes."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select, update

from lti_tool.models import Enrolment, FollowUp, LtiUser, db, utcnow
from lti_tool.models.private import Demographics, FollowUpAnswer, FollowUpContact
from tests.conftest import row_counts
from tests.support.journey import complete_course, intake, post
from tests.support.lti import Launcher

ANSWERS = {"income": "more", "formal-job": "yes", "what-changed": "Abrí mi almacén."}


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def graduate(launcher: Launcher, sub: str = "carmen", **claims: str) -> int:
    launcher.launch("participant", sub=sub, **claims)
    intake(launcher.client)
    enrolment = db.session.scalar(
        select(Enrolment).join(LtiUser, LtiUser.id == Enrolment.user_id).where(LtiUser.sub == sub)
    )
    assert enrolment is not None
    for course_id in list(enrolment.course_ids):
        complete_course(sub, course_id)
    return enrolment.user_id


def make_due(user_id: int, months: int = 3) -> int:
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.user_id == user_id, FollowUp.months == months)
        .values(due_at=utcnow() - timedelta(days=1))
    )
    db.session.commit()
    found = db.session.scalar(
        select(FollowUp.id).where(FollowUp.user_id == user_id, FollowUp.months == months)
    )
    assert found is not None
    return found


def status_of(follow_up_id: int) -> str:
    db.session.expire_all()
    row = db.session.get(FollowUp, follow_up_id)
    assert row is not None
    return row.status


def test_a_due_survey_is_offered_first_at_launch_and_answered(launcher: Launcher) -> None:
    user_id = graduate(launcher)
    home = text(launcher.client.get("/plan"))
    assert "/followup" in home  # she learns that she will be asked
    assert launcher.launch("participant", sub="carmen").headers["Location"].endswith("/plan")
    survey = make_due(user_id)
    landing = launcher.launch("participant", sub="carmen")
    assert landing.headers["Location"].endswith(f"/followup/{survey}")
    page = text(launcher.client.get(f"/followup/{survey}"))
    assert "¿Cómo estás?" in page and "¿Ganas más?" in page and "Más" in page
    response = post(
        launcher.client, f"/followup/{survey}", ANSWERS, token_from=f"/followup/{survey}"
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/start")
    assert status_of(survey) == "answered"
    assert db.session.scalar(select(func.count()).select_from(FollowUpAnswer)) == 3
    # Answered: the next launch opens her plan again.
    assert launcher.launch("participant", sub="carmen").headers["Location"].endswith("/plan")
    closed = text(launcher.client.get(f"/followup/{survey}"))
    assert 'name="income"' not in closed and "status-done" in closed


def test_wrong_answers_save_nothing_and_say_what_is_missing(launcher: Launcher) -> None:
    survey = make_due(graduate(launcher))
    before = row_counts()
    response = post(
        launcher.client,
        f"/followup/{survey}",
        {"formal-job": "yes"},
        token_from=f"/followup/{survey}",
    )
    assert response.status_code == 400
    assert 'id="err-income"' in text(response)
    response = post(
        launcher.client, f"/followup/{survey}", {"income": "rich"}, token_from=f"/followup/{survey}"
    )
    assert response.status_code == 400
    response = post(
        launcher.client,
        f"/followup/{survey}",
        {**ANSWERS, "answered_by": "phone"},
        token_from=f"/followup/{survey}",
    )
    assert response.status_code == 400  # a field the survey does not ask: refused
    assert launcher.client.post(f"/followup/{survey}", data=ANSWERS).status_code == 400  # no CSRF
    assert row_counts() == before and status_of(survey) == "scheduled"


def test_later_then_not_offered_until_a_week_has_passed(launcher: Launcher) -> None:
    survey = make_due(graduate(launcher))
    response = post(launcher.client, f"/followup/{survey}/later", token_from=f"/followup/{survey}")
    assert response.status_code == 302
    assert launcher.launch("participant", sub="carmen").headers["Location"].endswith("/plan")
    row = db.session.get(FollowUp, survey)
    assert row is not None and row.postponements == 1 and row.status == "scheduled"


def test_decline_is_final(launcher: Launcher) -> None:
    survey = make_due(graduate(launcher))
    response = post(
        launcher.client, f"/followup/{survey}/decline", token_from=f"/followup/{survey}"
    )
    assert response.status_code == 302 and status_of(survey) == "declined"
    assert launcher.launch("participant", sub="carmen").headers["Location"].endswith("/plan")
    again = post(launcher.client, f"/followup/{survey}", ANSWERS, token_from="/followup")
    assert again.status_code == 302 and status_of(survey) == "declined"
    assert db.session.scalar(select(func.count()).select_from(FollowUpAnswer)) == 0


def test_another_womans_survey_is_not_found(launcher: Launcher) -> None:
    survey = make_due(graduate(launcher))
    graduate(launcher, sub="rosa", name="Rosa Millán", given_name="Rosa")
    assert launcher.client.get(f"/followup/{survey}").status_code == 404
    for path in (f"/followup/{survey}", f"/followup/{survey}/later", f"/followup/{survey}/decline"):
        assert post(launcher.client, path, ANSWERS, token_from="/followup").status_code == 404
    assert status_of(survey) == "scheduled"


def test_staff_cannot_open_participants_survey_pages(launcher: Launcher) -> None:
    survey = make_due(graduate(launcher))
    launcher.launch("facilitator", sub="paula")
    assert launcher.client.get(f"/followup/{survey}").status_code == 403
    assert launcher.client.get("/followup").status_code == 403


def test_contact_is_checked_saved_and_deleted(launcher: Launcher) -> None:
    graduate(launcher)
    page = text(launcher.client.get("/followup"))
    assert 'name="channel"' in page
    phone = {"channel": "phone", "value": "+56 9 1234 5678", "consent": "true"}

    def leave(**changes: str) -> object:
        data = {k: v for k, v in {**phone, **changes}.items() if v}
        return post(launcher.client, "/followup/contact", data, token_from="/followup")

    bad = leave(value="12")
    assert bad.status_code == 400 and 'id="err-value"' in text(bad)  # type: ignore[attr-defined]
    assert leave(consent="").status_code == 400  # type: ignore[attr-defined]
    assert leave(channel="pigeon").status_code == 400  # type: ignore[attr-defined]
    assert leave(channel="email").status_code == 400  # type: ignore[attr-defined]
    assert db.session.scalar(select(func.count()).select_from(FollowUpContact)) == 0
    ok = leave()
    assert ok.status_code == 302
    assert "+56 9 1234 5678" in text(launcher.client.get("/followup"))
    assert 'href="/followup"' in text(launcher.client.get("/privacy"))
    post(launcher.client, "/followup/contact/delete", token_from="/followup")
    assert db.session.scalar(select(func.count()).select_from(FollowUpContact)) == 0


# ------------------------------------------------------------------------------ the intake
def test_the_intake_stores_a_commune_code_and_its_region(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen")
    page = text(launcher.client.get("/intake"))
    assert '<option value="09101">Temuco</option>' in page and "<optgroup" in page
    response = intake(launcher.client, consent="true", municipality="09101", migrant="no")
    assert response.status_code == 302
    row = db.session.scalar(select(Demographics))
    assert row is not None and (row.region, row.municipality) == ("araucania", "09101")
    privacy = text(launcher.client.get("/privacy"))
    assert "Temuco" in privacy
    data = launcher.client.get("/privacy/my-data.json").get_json()
    assert data["optional_information"]["municipality"] == "Temuco"
    assert data["optional_information"]["municipality_code"] == "09101"


def test_the_intake_refuses_free_text_and_a_commune_of_another_region(
    app: Flask, launcher: Launcher
) -> None:
    launcher.launch("participant", sub="carmen")
    before = row_counts()
    free = intake(launcher.client, consent="true", municipality="Mi pueblo")
    assert free.status_code == 400
    mismatch = intake(launcher.client, consent="true", region="biobio", municipality="09101")
    assert mismatch.status_code == 400 and 'id="err-municipality"' in text(mismatch)
    assert row_counts() == before
