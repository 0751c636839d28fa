"""The paths people really take through the follow-up survey, the opportunities board and the
facilitator's pages: an empty or half-filled form, a double tap, an older page sent again or a
second tab, a success message only when something was saved, and another person's id."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from lti_tool.models import (
    Attendance,
    FollowUp,
    LtiUser,
    Opportunity,
    ScoreOutbox,
    WorkshopSession,
    db,
)
from lti_tool.models.private import FollowUpAnswer
from lti_tool.services import opportunities
from tests.conftest import row_counts
from tests.factories import GrantFactory, ProgrammeFactory
from tests.lti_tool.test_reports_followup import ANSWERS, graduate, make_due, status_of
from tests.lti_tool.test_workshops import chile, enrol, schedule
from tests.support.journey import intake, post
from tests.support.lti import LTI, Launcher

AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://lms.example.edu/api/lti/lineitems/1"


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def tag(page: str, pattern: str) -> str:
    """The first opening tag of the page matching `pattern` (a regular expression)."""
    found = re.search(rf"<[^>]*{pattern}[^>]*>", page)
    assert found, pattern
    return found.group(0)


def flashes(page: str) -> list[str]:
    return re.findall(r'<p class="flash flash-(\w+)"', page)


def error_tied(page: str, field: str, message_id: str) -> None:
    """The field says it is invalid and names its message, which a screen reader announces."""
    field_tag = tag(page, field)
    assert 'aria-invalid="true"' in field_tag, field_tag
    assert message_id in (re.search(r'aria-describedby="([^"]*)"', field_tag) or [""])[0]
    message = tag(page, f'id="{message_id}"')
    assert 'role="alert"' in message, message


def group_error_tied(page: str, name: str, message_id: str) -> None:
    """A group of choices: its fieldset names the message, each choice says it is invalid."""
    group = tag(page, f'fieldset aria-describedby="[^"]*{message_id}')
    assert group
    for choice in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page):
        assert 'aria-invalid="true"' in choice, choice
    assert 'role="alert"' in tag(page, f'id="{message_id}"')


# ----------------------------------------------------------------------- the follow-up survey
def test_a_survey_sent_twice_keeps_her_answers_and_shows_no_error(launcher: Launcher) -> None:
    """A double tap (or Back and send again) on her answers: one set of answers, and the second
    send does not tell her that something failed."""
    survey = make_due(graduate(launcher))
    first = post(launcher.client, f"/followup/{survey}", ANSWERS, token_from=f"/followup/{survey}")
    again = post(launcher.client, f"/followup/{survey}", ANSWERS, token_from="/followup")
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    landing = text(launcher.client.get(again.headers["Location"], follow_redirects=True))
    assert "error" not in flashes(landing)
    assert "Esta encuesta ya estaba respondida" in landing
    assert status_of(survey) == "answered" and count(FollowUpAnswer) == 3


def test_later_tapped_twice_is_one_postponement(launcher: Launcher) -> None:
    survey = make_due(graduate(launcher))
    first = post(launcher.client, f"/followup/{survey}/later", token_from=f"/followup/{survey}")
    again = post(launcher.client, f"/followup/{survey}/later", token_from=f"/followup/{survey}")
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    db.session.expire_all()
    row = db.session.get(FollowUp, survey)
    assert row is not None and row.postponements == 1  # she still has two "later"s
    landing = text(launcher.client.get(again.headers["Location"], follow_redirects=True))
    assert "error" not in flashes(landing)


def test_decline_tapped_twice_shows_no_error(launcher: Launcher) -> None:
    survey = make_due(graduate(launcher))
    for _ in range(2):
        response = post(
            launcher.client, f"/followup/{survey}/decline", token_from=f"/followup/{survey}"
        )
        assert response.status_code == 302
    landing = text(launcher.client.get(response.headers["Location"], follow_redirects=True))
    assert "error" not in flashes(landing)
    assert status_of(survey) == "declined"


def test_a_survey_with_a_required_answer_missing_keeps_her_words_and_ties_the_error(
    launcher: Launcher,
) -> None:
    survey = make_due(graduate(launcher))
    before = row_counts()
    partial = {"formal-job": "yes", "what-changed": "Abrí mi almacén."}
    response = post(
        launcher.client, f"/followup/{survey}", partial, token_from=f"/followup/{survey}"
    )
    assert response.status_code == 400
    page = text(response)
    assert "Elige una de las respuestas." in page
    group_error_tied(page, "income", "err-income")
    assert "Abrí mi almacén.</textarea>" in page
    assert 'value="yes" checked' in page
    assert row_counts() == before and status_of(survey) == "scheduled"


def test_a_contact_left_wrong_keeps_what_she_typed_and_ties_the_error(
    launcher: Launcher,
) -> None:
    graduate(launcher)
    before = row_counts()
    response = post(
        launcher.client,
        "/followup/contact",
        {"channel": "email", "value": "carmen.gmail", "consent": "true"},
        token_from="/followup",
    )
    assert response.status_code == 400
    page = text(response)
    error_tied(page, 'id="contact-value"', "err-value")
    assert 'value="carmen.gmail"' in page
    assert "checked> Correo" in page or re.search(r'value="email" checked', page)
    assert "checked" in tag(page, 'name="consent"')  # her tick is kept too
    assert row_counts() == before


# ------------------------------------------------------------------ the opportunities board
def poster(launcher: Launcher, sub: str = "ana", role: str = "programme_team") -> int:
    launcher.launch("facilitator", sub=sub, name="Ana Pérez", given_name="Ana")
    person = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == sub))
    assert person is not None
    GrantFactory(user_id=person, role=role)
    return person


def offer(**changes: str) -> dict[str, str]:
    return {
        "kind": "job",
        "title": "Cajera en Maipú",
        "organisation": "Supermercado",
        "closes_on": (opportunities.today() + timedelta(days=20)).isoformat(),
        "url": "https://www.bne.cl/ofertas/123",
        **changes,
    }


def test_an_offer_posted_twice_is_on_the_board_once(launcher: Launcher) -> None:
    poster(launcher)
    for _ in range(2):
        response = post(launcher.client, "/opportunities/manage", offer(),
                        token_from="/opportunities/manage")  # fmt: skip
        assert response.status_code == 302
    assert count(Opportunity) == 1
    page = text(launcher.client.get("/opportunities/manage"))
    assert "Ya estaba en el tablero" in page and "error" not in flashes(page)


def test_a_refused_offer_ties_each_message_to_its_field_and_keeps_the_form(
    launcher: Launcher,
) -> None:
    poster(launcher)
    before = row_counts()
    response = post(launcher.client, "/opportunities/manage", offer(title="", url="www.bne.cl"),
                    token_from="/opportunities/manage")  # fmt: skip
    assert response.status_code == 400
    page = text(response)
    error_tied(page, 'id="title"', "title-error")
    error_tied(page, 'id="url"', "url-error")
    assert 'value="Supermercado"' in page and 'value="www.bne.cl"' in page
    assert row_counts() == before


def test_withdrawing_anothers_offer_or_another_programmes_changes_nothing(
    launcher: Launcher,
) -> None:
    """Right already: a tutor withdraws only her own offers (403), and another programme's id
    is not found (404)."""
    poster(launcher, sub="marta", role="tutor")
    post(launcher.client, "/opportunities/manage", offer(), token_from="/opportunities/manage")
    hers = db.session.scalar(select(Opportunity.id))
    elsewhere = Opportunity(programme_id=ProgrammeFactory().id, kind="job", title="Otra",
                            closes_on=opportunities.today() + timedelta(days=9),
                            url="https://example.org/otra")  # fmt: skip
    db.session.add(elsewhere)
    db.session.commit()
    poster(launcher, sub="tamara", role="tutor")
    before = row_counts()
    for opportunity_id, status in ((hers, 403), (elsewhere.id, 404)):
        response = post(launcher.client, f"/opportunities/{opportunity_id}/withdraw",
                        token_from="/opportunities/manage")  # fmt: skip
        assert response.status_code == status
    assert row_counts() == before
    db.session.expire_all()
    assert all(o.withdrawn_at is None for o in db.session.scalars(select(Opportunity)))


# ------------------------------------------------------------------- the facilitator's pages
def session_row(session_id: int) -> WorkshopSession:
    db.session.expire_all()
    found = db.session.get(WorkshopSession, session_id)
    assert found is not None
    return found


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


def test_a_session_scheduled_twice_is_scheduled_once(launcher: Launcher) -> None:
    """A double tap on "Schedule" (or Back and send again) does not give the participants two
    sessions and two reminders."""
    launcher.launch("facilitator", sub="paula")
    form = {"activity_id": "ls-workshop", "starts_at": chile(timedelta(days=2)),
            "meeting_url": "https://meet.example.org/a"}  # fmt: skip
    for _ in range(2):
        response = post(launcher.client, "/cohort/workshops", form, token_from="/cohort/workshops")
        assert response.status_code == 302
    assert count(WorkshopSession) == 1
    page = text(launcher.client.get("/cohort/workshops"))
    assert "Esta sesión ya estaba programada" in page and "error" not in flashes(page)


def test_a_scheduling_error_is_announced_beside_its_field(launcher: Launcher) -> None:
    launcher.launch("facilitator", sub="paula")
    before = row_counts()
    response = post(launcher.client, "/cohort/workshops",
                    {"activity_id": "ls-workshop", "starts_at": "el jueves",
                     "meeting_url": "meet.example.org/a", "note": "Trae tu CV"},
                    token_from="/cohort/workshops")  # fmt: skip
    assert response.status_code == 400
    page = text(response)
    error_tied(page, 'id="starts_at"', "e-starts")
    error_tied(page, 'id="meeting_url"', "e-url")
    assert 'value="el jueves"' in page and 'value="Trae tu CV"' in page
    assert row_counts() == before


def test_cancelling_without_the_tick_is_refused_beside_the_box(launcher: Launcher) -> None:
    launcher.launch("facilitator", sub="paula")
    session = schedule(launcher, chile(timedelta(days=2)))
    before = row_counts()
    response = post(launcher.client, f"/cohort/workshops/{session.id}/cancel",
                    token_from=f"/cohort/workshops/{session.id}/edit")  # fmt: skip
    assert response.status_code == 400
    page = text(response)
    error_tied(page, 'name="confirm"', "e-confirm")
    assert "Marca la casilla para confirmar" in page
    assert 'value="https://meet.example.org/a"' in page  # the change form still shows the session
    assert row_counts() == before and session_row(session.id).cancelled_at is None


def test_a_refused_cancel_still_shows_the_sessions_time_and_link(launcher: Launcher) -> None:
    carmen = enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula")
    session = schedule(launcher, chile(-timedelta(hours=1)))
    taken = post(launcher.client, f"/cohort/workshops/{session.id}", {"present": [str(carmen)]},
                 token_from=f"/cohort/workshops/{session.id}")  # fmt: skip
    assert taken.status_code == 302
    refused = post(launcher.client, f"/cohort/workshops/{session.id}/cancel", {"confirm": "true"},
                   token_from=f"/cohort/workshops/{session.id}/edit")  # fmt: skip
    assert refused.status_code == 409
    page = text(refused)
    assert 'value="https://meet.example.org/a"' in page
    assert hidden(page, "starts_at") != ""


def test_a_change_from_an_older_page_never_overwrites_a_newer_one(launcher: Launcher) -> None:
    """Two tabs (or two facilitators) open the same session: the second save does not silently
    put back what the first changed; what she sent is shown so nothing is lost. The same save
    sent twice (a double tap) is not "changed since"."""
    launcher.launch("facilitator", sub="paula")
    session = schedule(launcher, chile(timedelta(days=2)))
    edit = f"/cohort/workshops/{session.id}/edit"
    first_tab = text(launcher.client.get(edit))
    second_tab = text(launcher.client.get(edit))
    starts = hidden(first_tab, "starts_at")
    assert hidden(first_tab, "revision") == hidden(second_tab, "revision") == "0"
    newer = {"starts_at": starts, "meeting_url": "https://meet.example.org/a",
             "note": "Trae papel y lápiz", "revision": hidden(first_tab, "revision")}  # fmt: skip
    for _ in range(2):  # a double tap
        response = post(launcher.client, edit, newer, token_from=edit)
        assert response.status_code == 302
    older = {"starts_at": chile(timedelta(days=3)), "meeting_url": "https://meet.example.org/b",
             "note": "", "revision": hidden(second_tab, "revision")}  # fmt: skip
    before = row_counts()
    stale = post(launcher.client, edit, older, token_from=edit)
    assert stale.status_code == 409
    page = text(stale)
    assert "Trae papel y lápiz" in page  # the newer version is in the form
    assert "https://meet.example.org/b" in page  # and what she sent is shown to her
    assert row_counts() == before
    row = session_row(session.id)
    assert (row.note, row.meeting_url) == ("Trae papel y lápiz", "https://meet.example.org/a")


def test_attendance_saved_again_unchanged_says_nothing_changed(launcher: Launcher) -> None:
    carmen = enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula")
    session = schedule(launcher, chile(-timedelta(hours=1)))
    path = f"/cohort/workshops/{session.id}"
    said = []
    for _ in range(2):
        response = post(launcher.client, path, {"present": [str(carmen)]}, token_from=path)
        assert response.status_code == 302
        said.append(text(launcher.client.get(path)))
    assert "Asistencia guardada (1 cambio)" in said[0]
    assert "Asistencia guardada" not in said[1] and "No cambió nada" in said[1]
    assert count(Attendance) == 1


def test_attendance_from_an_older_page_keeps_what_another_tab_recorded(
    launcher: Launcher,
) -> None:
    """Two facilitators (or two tabs) take the attendance of one session: each one's ticks are
    saved, and the older page does not mark absent whom the other marked present."""
    carmen = enrol(launcher, "carmen", "Carmen Soto")
    rosa = enrol(launcher, "rosa", "Rosa Huenchumil")
    launcher.launch("facilitator", sub="paula")
    session = schedule(launcher, chile(-timedelta(hours=1)))
    path = f"/cohort/workshops/{session.id}"
    first_tab = text(launcher.client.get(path))
    second_tab = text(launcher.client.get(path))
    post(launcher.client, path, {"present": [str(carmen)], "shown": hidden(first_tab, "shown")},
         token_from=path)  # fmt: skip
    response = post(launcher.client, path,
                    {"present": [str(rosa)], "shown": hidden(second_tab, "shown")},
                    token_from=path)  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    present = {a.user_id: a.present for a in db.session.scalars(select(Attendance))}
    assert present == {carmen: True, rosa: True}


def test_a_plan_saved_again_unchanged_sends_no_second_grade(launcher: Launcher) -> None:
    launcher.launch("participant", sub="carmen", name="Carmen Soto",
                    **{AGS: {"scope": [SCORE], "lineitem": LINEITEM}})  # fmt: skip
    intake(launcher.client)
    carmen = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == "carmen"))
    launcher.launch("facilitator", sub="paula")
    path = f"/cohort/participants/{carmen}"
    plan = {"level": "advanced", "courses": ["ls", "ent-plan", "ent-online"]}
    assert post(launcher.client, f"{path}/plan", plan, token_from=path).status_code == 302
    # The worker sent her new grade to the LMS.
    db.session.execute(update(ScoreOutbox).values(status="delivered", pending_key=None))
    db.session.commit()
    sent = count(ScoreOutbox)
    again = post(launcher.client, f"{path}/plan", plan, token_from=path)
    assert again.status_code == 302
    assert count(ScoreOutbox) == sent  # no second grade for the same plan
    page = text(launcher.client.get(path))
    assert "No cambió nada" in page


def test_attendance_for_someone_of_another_course_writes_nothing(launcher: Launcher) -> None:
    """Right already: an id from another LMS course in the attendance form is ignored."""
    other = {LTI + "context": {"id": "other-course", "title": "Otro"}}
    launcher.launch("participant", sub="rosa", name="Rosa Huenchumil", **other)
    intake(launcher.client)
    rosa = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == "rosa"))
    launcher.launch("facilitator", sub="paula")
    session = schedule(launcher, chile(-timedelta(hours=1)))
    path = f"/cohort/workshops/{session.id}"
    before = row_counts()
    response = post(launcher.client, path, {"present": [str(rosa)]}, token_from=path)
    assert response.status_code == 302
    assert row_counts() == before
