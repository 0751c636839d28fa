"""The paths people really take through the follow-up survey, the opportunities board and the
facilitator's pages: an empty or half-filled form, a double tap, an older page sent again or a
second tab, a success message only when something was saved, and another person's id."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from lti_tool.models import (
    FollowUp,
    LtiUser,
    Opportunity,
    db,
)
from lti_tool.models.private import FollowUpAnswer
from lti_tool.services import opportunities
from tests.conftest import row_counts
from tests.factories import GrantFactory
from tests.lti_tool.test_reports_followup import ANSWERS, graduate, make_due, status_of
from tests.support.journey import post
from tests.support.lti import Launcher

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
