"""A platform implementation we did not write (lti1p3platform, inside the demo LMS served as a
separate server) performs OIDC login and launch against the running tool over HTTP."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from lti_tool.models import LtiUser, Membership, Platform, db
from tests.integration.conftest import Lms, follow_autopost

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("person", "heading"),
    [("u-carmen", "Hola, Carmen"), ("u-paula", "Tu grupo"), ("u-daniela", "Diseño de contenidos")],
)
def test_platform_launches_each_role_over_http(lms: Lms, person: str, heading: str) -> None:
    browser = requests.Session()
    page = lms.launch(browser, person)
    assert page.status_code == 200, page.text[:500]
    assert page.url.startswith(lms.tool_url + "/")
    assert heading in page.text


def test_launch_records_the_lms_user_and_fetches_its_keys_once(lms: Lms) -> None:
    for _ in range(2):
        assert lms.launch(requests.Session(), "u-emily").status_code == 200
    user = db.session.scalar(select(LtiUser).where(LtiUser.sub == "u-emily"))
    assert user is not None and user.name == "Emily Clarke" and user.locale == "en-US"
    platform = db.session.scalar(select(Platform).where(Platform.issuer.like("%/demo")))
    assert platform is not None and platform.source == "config"
    assert platform.key_set and platform.key_set_fetched_at is not None
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership is not None and membership.role == "participant"


def test_english_participant_gets_english_pages(lms: Lms) -> None:
    assert "Hello, Emily" in lms.launch(requests.Session(), "u-emily").text


def test_replayed_id_token_is_refused_over_http(lms: Lms) -> None:
    browser = requests.Session()
    start = browser.get(f"{lms.url}/demo/launch", params={"person": "u-carmen"})
    assert follow_autopost(browser, start).status_code == 200
    replay = follow_autopost(browser, start)
    assert replay.status_code == 401
    assert "ya fue usado" in replay.text
