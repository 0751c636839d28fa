"""Deep linking, grades and roster against the demo LMS (lti1p3platform) over HTTP."""

from __future__ import annotations

import re
from html import unescape

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from lti_tool.demo import people
from lti_tool.demo.models import DemoLineItem, DemoLink, DemoScore
from lti_tool.jobs import grade_delivery as worker
from lti_tool.models import LtiUser, Membership, ScoreOutbox, db
from tests.integration.conftest import Lms

pytestmark = pytest.mark.integration


def form_token(page: requests.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def add_from_senda(lms: Lms, browser: requests.Session, items: list[str]) -> requests.Response:
    """A designer uses the LMS's "add activity" picker: deep linking there and back."""
    picker = lms.launch(browser, "u-daniela", deep_link=1)
    assert "Agrega Senda a tu curso" in picker.text, picker.text[:300]
    answer = browser.post(
        lms.tool_url + "/deep-linking", data={"items": items, "csrf_token": form_token(picker)}
    )
    assert answer.status_code == 200
    return follow_autopost_jwt(browser, answer)


def follow_autopost_jwt(browser: requests.Session, answer: requests.Response) -> requests.Response:
    action = re.search(r'<form method="post" action="([^"]+)" id="autopost"', answer.text)
    token = re.search(r'name="JWT" value="([^"]+)"', answer.text)
    assert action and token, answer.text[:500]
    return browser.post(unescape(action.group(1)), data={"JWT": token.group(1)})


def lms_rows(lms: Lms, model: type) -> list:
    with lms.app.app_context():
        rows = db.session.scalars(select(model).order_by(model.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_deep_linking_round_trip_is_validated_by_the_platform(lms: Lms) -> None:
    done = add_from_senda(
        lms, requests.Session(), ["course:ls", "pathway:entrepreneurship", "intake"]
    )
    assert done.status_code == 200 and "3 actividad(es) agregada(s)" in done.text
    links = [link for link in lms_rows(lms, DemoLink) if link.custom]  # not the default link
    assert [link.custom for link in links] == [
        {"senda_target": "course:ls"},
        {"senda_target": "pathway:entrepreneurship"},
        {"senda_target": "intake"},
    ]
    items = lms_rows(lms, DemoLineItem)
    assert [(i.resource_id, i.tag, i.score_maximum) for i in items] == [
        ("course:ls", "senda", 100.0),
        ("pathway:entrepreneurship", "senda", 100.0),
    ]  # the intake is not graded: no gradebook column
    assert links[2].lineitem_id is None


def test_deep_linking_refuses_items_not_in_the_catalogue(lms: Lms) -> None:
    browser = requests.Session()
    picker = lms.launch(browser, "u-daniela", deep_link=1)
    answer = browser.post(
        lms.tool_url + "/deep-linking",
        data={"items": ["course:someone-elses-course"], "csrf_token": form_token(picker)},
    )
    assert answer.status_code == 400
    assert not [link for link in lms_rows(lms, DemoLink) if link.custom]


def test_a_participants_progress_arrives_in_the_gradebook(app: Flask, lms: Lms) -> None:
    add_from_senda(lms, requests.Session(), ["course:ls"])
    link = lms_rows(lms, DemoLink)[-1]
    browser = requests.Session()
    intake_page = lms.launch(browser, "u-carmen", link=link.id)
    assert "Conozcámonos" in intake_page.text
    browser.post(
        lms.tool_url + "/intake",
        data={"goal": "own-business", "has-business": "no", "csrf_token": form_token(intake_page)},
    )
    course = browser.get(lms.tool_url + "/start")
    assert course.url.endswith("/courses/ls")
    lesson = browser.get(lms.tool_url + "/activities/ls-welcome")
    browser.post(
        lms.tool_url + "/activities/ls-welcome/done", data={"csrf_token": form_token(lesson)}
    )
    assert worker.run_once().delivered == 1
    quiz = browser.get(lms.tool_url + "/activities/ls-check")
    browser.post(
        lms.tool_url + "/activities/ls-check/quiz", data={"q1": "a", "csrf_token": form_token(quiz)}
    )
    assert worker.run_once().delivered == 1

    scores = lms_rows(lms, DemoScore)
    assert [(s.user_id, s.score_given, s.score_maximum) for s in scores] == [
        ("u-carmen", 20.0, 100.0),  # 1 of the course's 5 steps: her page reads 20 %
        ("u-carmen", 40.0, 100.0),  # and the quiz: 2 of 5, 40 %
    ]
    assert [(s.activity_progress, s.grading_progress) for s in scores] == [
        ("InProgress", "FullyGraded"),
        ("InProgress", "FullyGraded"),  # the workshop and others are still to do
    ]
    assert "Bienvenida" in scores[0].comment and "Prueba" in scores[1].comment
    assert "2/5 (40 %)" in scores[1].comment
    assert scores[0].timestamp < scores[1].timestamp
    assert (
        db.session.scalar(select(ScoreOutbox.status).order_by(ScoreOutbox.id.desc())) == "delivered"
    )


def test_a_link_without_a_line_item_gets_one_created(app: Flask, lms: Lms) -> None:
    browser = requests.Session()
    intake_page = lms.launch(browser, "u-yasna")  # the default link has no line item
    browser.post(
        lms.tool_url + "/intake",
        data={"goal": "own-business", "has-business": "no", "csrf_token": form_token(intake_page)},
    )
    lesson = browser.get(lms.tool_url + "/activities/ls-welcome")
    browser.post(
        lms.tool_url + "/activities/ls-welcome/done", data={"csrf_token": form_token(lesson)}
    )
    result = worker.run_once()
    assert result.delivered == 1, db.session.scalar(select(ScoreOutbox.last_error))
    items = lms_rows(lms, DemoLineItem)
    assert (
        len(items) == 1 and items[0].resource_link_id == "demo-link-1" and items[0].tag == "senda"
    )
    assert lms_rows(lms, DemoScore)[0].lineitem_id == items[0].id
    # The second score reuses the line item (and the access token).
    quiz = browser.get(lms.tool_url + "/activities/ls-check")
    browser.post(
        lms.tool_url + "/activities/ls-check/quiz", data={"q1": "a", "csrf_token": form_token(quiz)}
    )
    assert worker.run_once().delivered == 1
    assert len(lms_rows(lms, DemoLineItem)) == 1


def test_the_roster_comes_in_pages_including_people_who_never_launched(
    app: Flask, lms: Lms
) -> None:
    browser = requests.Session()
    cohort = lms.launch(browser, "u-paula")
    assert "Actualizar la lista desde el LMS" in cohort.text
    synced = browser.post(lms.tool_url + "/cohort/roster", data={"csrf_token": form_token(cohort)})
    assert f"El LMS listó {len(people.PEOPLE)} integrantes." in synced.text
    assert "Marisol Quispe" in synced.text and "Nunca abrió Senda" in synced.text
    users = db.session.scalars(select(LtiUser.sub).order_by(LtiUser.sub)).all()
    assert {"u-marisol", "u-ines", "u-carmen"} <= set(users)
    paula = db.session.scalar(
        select(Membership)
        .join(LtiUser, LtiUser.id == Membership.user_id)
        .where(LtiUser.sub == "u-paula")
    )
    assert paula is not None and paula.role == "facilitator" and not paula.from_roster
