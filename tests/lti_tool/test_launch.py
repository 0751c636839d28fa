"""Valid launches: each role lands on its own home page; rows are upserted, never duplicated."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lti_tool.models import LmsContext, LtiUser, Membership, Platform, ResourceLink, db
from tests.conftest import row_counts
from tests.support import lti
from tests.support.journey import intake
from tests.support.lti import DELETE, LTI, Launcher


@pytest.mark.parametrize(
    ("role", "first_page", "heading"),
    [
        ("participant", "/intake", "Hola, Carmen"),
        ("facilitator", "/cohort", "Tu grupo"),
        ("designer", "/design", "Diseño de contenidos"),
        ("mentor", "/mentor", "Mentorías"),
    ],
)
def test_each_role_reaches_its_first_page_in_one_redirect(
    launcher: Launcher, role: str, first_page: str, heading: str
) -> None:
    response = launcher.launch(role)
    assert response.status_code == 302
    assert response.headers["Location"] == first_page
    page = launcher.client.get(first_page)
    assert page.status_code == 200, page.status_code
    assert heading in page.get_data(as_text=True)
    # The shared home agrees with the launch.
    assert launcher.client.get("/", follow_redirects=True).request.path == first_page


def test_an_enrolled_participant_reaches_her_plan_in_one_redirect(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    response = launcher.launch("participant")
    assert response.headers["Location"] == "/plan"
    assert launcher.client.get("/plan").status_code == 200
    course_link = launcher.launch("participant", **{LTI + "custom": {"senda_target": "course:ls"}})
    assert course_link.headers["Location"] == "/courses/ls"
    assert launcher.client.get("/courses/ls").status_code == 200


def test_launch_records_user_context_link_and_membership(launcher: Launcher) -> None:
    launcher.launch("facilitator")
    user = db.session.scalar(select(LtiUser))
    assert user is not None
    assert (user.sub, user.name, user.locale) == ("user-1", "Carmen Soto", "es-CL")
    context = db.session.scalar(select(LmsContext))
    assert context is not None and context.context_id == "course-1"
    assert context.title == "Cohorte 1"
    link = db.session.scalar(select(ResourceLink))
    assert link is not None and link.resource_link_id == "link-1"
    membership = db.session.scalar(select(Membership))
    assert membership is not None and membership.role == "facilitator"


def test_second_launch_updates_rows_without_duplicating(launcher: Launcher) -> None:
    launcher.launch("participant")
    launcher.launch("participant", name="Carmen Soto Pérez", given_name="Carmencita")
    assert db.session.scalar(select(func.count()).select_from(LtiUser)) == 1
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1
    user = db.session.scalar(select(LtiUser))
    assert user is not None and user.name == "Carmen Soto Pérez"


def test_user_is_identified_by_sub_not_by_name_or_email(launcher: Launcher) -> None:
    launcher.launch("participant", sub="a", name="Same Name", email="same@example.org")
    launcher.launch("participant", sub="b", name="Same Name", email="same@example.org")
    assert db.session.scalar(select(func.count()).select_from(LtiUser)) == 2


def test_english_locale_from_launch_gives_english_pages(launcher: Launcher) -> None:
    launcher.launch("participant", locale="en-US")
    assert "Hello, Carmen" in launcher.client.get("/", follow_redirects=True).get_data(as_text=True)


def test_launch_presentation_locale_is_used_when_no_locale_claim(launcher: Launcher) -> None:
    launcher.launch(
        "participant",
        locale=DELETE,
        **{LTI + "launch_presentation": {"locale": "en", "return_url": ""}},
    )
    assert "Hello, Carmen" in launcher.client.get("/", follow_redirects=True).get_data(as_text=True)


def test_language_can_be_switched(launcher: Launcher) -> None:
    launcher.launch("participant")
    page = launcher.client.get("/", follow_redirects=True).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = launcher.client.post(
        "/locale", data={"locale": "en", "next": "/", "csrf_token": token}
    )
    assert response.status_code == 302
    assert "Hello, Carmen" in launcher.client.get("/", follow_redirects=True).get_data(as_text=True)


def test_language_switch_never_redirects_off_site(launcher: Launcher) -> None:
    launcher.launch("participant")
    page = launcher.client.get("/", follow_redirects=True).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    for target in ("https://evil.example/x", "//evil.example", "javascript:alert(1)"):
        response = launcher.client.post(
            "/locale", data={"locale": "en", "next": target, "csrf_token": token}
        )
        assert response.headers["Location"] == "/"


def test_launch_posted_cross_site_is_accepted(launcher: Launcher) -> None:
    """LMSs post launches from their own origin: no CSRF check may refuse them (case 22)."""
    login = launcher.login()
    response = launcher.client.post(
        "/lti/launch",
        data={"id_token": launcher.sign(launcher.claims(nonce=login.nonce)), "state": login.state},
        headers={"Origin": "https://lms.example.edu", "Referer": "https://lms.example.edu/auth"},
    )
    assert response.status_code == 302


def test_post_login_also_works(launcher: Launcher) -> None:
    login = launcher.login(_method="POST")
    assert login.response.status_code == 302
    response = launcher.post_launch(launcher.sign(launcher.claims(nonce=login.nonce)), login.state)
    assert response.status_code == 302


def test_login_redirects_to_platform_with_our_fixed_redirect_uri(launcher: Launcher) -> None:
    login = launcher.login()
    location = login.response.headers["Location"]
    assert location.startswith(launcher.platform.auth_login_url + "?")
    assert login.redirect_uri == lti.LAUNCH_URL
    assert "prompt=none" in location and "response_mode=form_post" in location
    assert "login_hint=user-hint-1" in location and "lti_message_hint=message-hint-1" in location


def test_states_and_nonces_are_unique_and_long(launcher: Launcher) -> None:
    seen = set()
    for _ in range(50):
        login = launcher.login()
        assert len(login.nonce) >= 40 and len(login.state) >= 30
        seen.update((login.state, login.nonce))
    assert len(seen) == 100


@pytest.mark.parametrize(
    "roles",
    [DELETE, [], ["http://example.org/unknown#Role"], [lti.INSTITUTION_ADMIN]],
    ids=["missing", "empty", "unknown", "institution-only"],
)
def test_a_launch_without_a_role_senda_knows_is_refused_clearly(
    launcher: Launcher, roles: object
) -> None:
    before = row_counts()
    response = launcher.launch("participant", **{LTI + "roles": roles})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "no conoce tu rol" in page and "unknown_role" in page
    assert row_counts() == before


def test_a_session_with_a_role_senda_does_not_know_is_refused_not_a_500(
    launcher: Launcher,
) -> None:
    launcher.launch("participant")
    with launcher.client.session_transaction() as session:
        session["role"] = "superuser"
    response = launcher.client.get("/plan")
    assert response.status_code == 403
    assert "unknown_role" in response.get_data(as_text=True)


def test_rights_are_per_course(launcher: Launcher) -> None:
    """An instructor of course X who is a learner in course Y is a participant in Y."""
    launcher.launch("facilitator", sub="teacher-1")
    launcher.launch(
        "participant",
        sub="teacher-1",
        **{LTI + "context": {"id": "course-2", "title": "Otro curso"}},
    )
    page = launcher.client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Hola" in page and "Tu grupo" not in page
    roles = db.session.scalars(select(Membership.role).order_by(Membership.id)).all()
    assert roles == ["facilitator", "participant"]


def test_audience_array_with_azp_is_accepted(launcher: Launcher) -> None:
    response = launcher.launch(
        "participant",
        aud=["another-client", launcher.platform.client_id],
        azp=launcher.platform.client_id,
    )
    assert response.status_code == 302


def test_single_element_audience_array_is_accepted(launcher: Launcher) -> None:
    response = launcher.launch("participant", aud=[launcher.platform.client_id])
    assert response.status_code == 302


def test_claims_with_markup_are_escaped(launcher: Launcher) -> None:
    launcher.launch("participant", given_name="<img src=x onerror=alert(1)>")
    page = launcher.client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_frame_origin_is_learnt_from_signed_return_url(launcher: Launcher) -> None:
    launcher.launch(
        "participant",
        **{LTI + "launch_presentation": {"return_url": "https://school.instructure.com/courses/9"}},
    )
    platform = db.session.get(Platform, launcher.platform.db_id)
    assert platform is not None
    assert "https://school.instructure.com" in platform.frame_origins


def test_session_cookie_is_cross_site_over_https(launcher: Launcher) -> None:
    launcher.base_url = "https://localhost"
    login = launcher.login(target_link_uri="https://localhost/lti/launch")
    state_cookie = login.response.headers["Set-Cookie"]
    assert "SameSite=None" in state_cookie and "Secure" in state_cookie
    assert "HttpOnly" in state_cookie and "Partitioned" in state_cookie
    body = launcher.claims(
        nonce=login.nonce, **{LTI + "target_link_uri": "https://localhost/lti/launch"}
    )
    response = launcher.post_launch(launcher.sign(body), login.state)
    assert response.status_code == 302
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("senda_session=")
    )
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert attribute in cookie


def test_session_is_replaced_not_merged_by_a_new_launch(launcher: Launcher) -> None:
    launcher.launch("designer", sub="designer-1")
    launcher.launch("participant", sub="learner-2", given_name="Rosa")
    page = launcher.client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Hola, Rosa" in page


def test_pages_need_a_launch(client: object) -> None:
    response = client.get("/")  # type: ignore[attr-defined]
    assert response.status_code == 401
    assert "Vuelve a abrir Senda desde tu curso" in response.get_data(as_text=True)
