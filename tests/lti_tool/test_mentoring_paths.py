"""The mentoring pages the way women really use them, with real signed launches: a form sent
empty or half filled, a button tapped twice, the Back button or a second tab sending an older
page, and what the page says afterwards.

- A refused form is a translated 400 whose message sits beside its field and is tied to it for a
  screen reader (aria-invalid, aria-describedby, an alert), keeps what she typed, and writes
  nothing.
- The same POST sent twice from one page does what one would: one session published, one note
  written, one cancellation; never an error page for the second.
- What she wrote (a rating's comment, a mentor's profile, a session's private note) is never
  replaced by an older page's version: that save is refused (409) and both texts are shown.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from courses.schools import CHILE
from lti_tool.actor import Role
from lti_tool.models import (
    MentoringSession,
    MentoringSignUp,
    MentorNote,
    MentorProfile,
    SchoolMember,
    db,
)
from lti_tool.services import schools
from tests.conftest import row_counts
from tests.factories import GrantFactory, actor_of
from tests.lti_tool.test_mentoring import (
    context,
    local,
    lti_mentor,
    only_session,
    participant,
    publish,
    start,
    text,
    user,
    write_profile,
)
from tests.support.journey import csrf, post
from tests.support.lti import Launcher
from tests.support.mentoring import with_mentoring_content  # noqa: F401 - fixtures


# ------------------------------------------------------------------------------- helpers
def tag(html: str, element_id: str) -> str:
    found = re.search(rf'<[a-z]+\b[^>]*\bid="{element_id}"[^>]*>', html)
    assert found, element_id
    return found.group(0)


def assert_tied(html: str, field_id: str, error_id: str, message: str) -> None:
    """The field is marked invalid and described by its error, which says `message` beside it
    and is announced (an alert itself, or under a summary that is one)."""
    field = tag(html, field_id)
    assert 'aria-invalid="true"' in field, field
    described = re.search(r'aria-describedby="([^"]*)"', field)
    assert described and error_id in described.group(1).split(), field
    error = re.search(rf'<p\b[^>]*\bid="{error_id}"[^>]*>(.*?)</p>', html, re.S)
    assert error and message in error.group(1), (error_id, message)
    assert 'role="alert"' in error.group(0) or 'class="card error" role="alert"' in html


def revision_in(html: str) -> str:
    """The revision a form names (services/revisions.py: a whole number)."""
    found = re.search(r'name="revision" value="(\d+)"', html)
    assert found, "the form names no revision"
    return found.group(1)


def offered(launcher: Launcher, **fields: Any) -> int:
    """Lucía's session, three days ahead, two places."""
    lti_mentor(launcher)
    write_profile(launcher)
    publish(launcher, **fields)
    return only_session().id


def sign_up_of(user_id: int) -> MentoringSignUp:
    db.session.expire_all()
    found = db.session.scalar(select(MentoringSignUp).where(MentoringSignUp.user_id == user_id))
    assert found is not None
    return found


def sessions_count() -> int:
    return int(db.session.scalar(select(func.count(MentoringSession.id))) or 0)


def her_session_started(launcher: Launcher) -> tuple[int, int, str]:
    """Ana had a place in Lucía's session, which has started: (session, Ana, its page)."""
    session_id = offered(launcher)
    ana = participant(launcher, "ana", "Ana Pérez")
    page = f"/mentoring/sessions/{session_id}"
    assert post(launcher.client, page + "/sign-up", token_from=page).status_code == 302
    start(session_id)
    return session_id, ana, page


# ================================================================= her sign-up and cancel
def test_her_cancel_without_the_box_ticked_is_refused_beside_the_box(launcher: Launcher) -> None:
    session_id = offered(launcher)
    ana = participant(launcher, "ana", "Ana Pérez")
    page = f"/mentoring/sessions/{session_id}"
    post(launcher.client, page + "/sign-up", token_from=page)
    before = row_counts()
    refused = post(launcher.client, page + "/cancel", token_from=page)
    assert refused.status_code == 400
    assert_tied(text(refused), "confirm", "e-confirm", "Marca la casilla para confirmar.")
    assert row_counts() == before and sign_up_of(ana).cancelled_at is None


def test_her_double_tapped_sign_up_and_cancel_count_once(launcher: Launcher) -> None:
    """Right already: asking twice keeps her first place in line, and cancelling twice says
    "cancelled" once (nothing was cancelled the second time)."""
    session_id = offered(launcher)
    ana = participant(launcher, "ana", "Ana Pérez")
    page = f"/mentoring/sessions/{session_id}"
    for _ in range(2):
        assert post(launcher.client, page + "/sign-up", token_from=page).status_code == 302
    first = sign_up_of(ana)
    assert db.session.scalar(select(func.count(MentoringSignUp.id))) == 1
    token = csrf(launcher.client, page)  # the flash of the sign-up is read
    for _ in range(2):  # two taps from one page
        sent = launcher.client.post(page + "/cancel", data={"confirm": "true", "csrf_token": token})
        assert sent.status_code == 302
    after = text(launcher.client.get(page))
    assert after.count("Tu inscripción quedó cancelada.") == 1
    assert sign_up_of(ana).requested_at == first.requested_at


# ========================================================================== her rating
def test_a_rating_sent_without_an_answer_says_so_and_keeps_her_comment(
    launcher: Launcher,
) -> None:
    _session_id, ana, page = her_session_started(launcher)
    before = row_counts()
    refused = post(
        launcher.client,
        page + "/rating",
        {"comment": "Me sirvió lo de los costos."},
        token_from=page,
    )
    assert refused.status_code == 400
    html = text(refused)
    group = tag(html, "rating-group")
    assert 'aria-describedby="e-rating"' in group
    error = re.search(r'<p\b[^>]*\bid="e-rating"[^>]*>(.*?)</p>', html)
    assert error and 'role="alert"' in error.group(0)
    assert "Elige una de las respuestas." in error.group(1)
    assert ">Me sirvió lo de los costos.</textarea>" in html  # what she typed is still there
    assert row_counts() == before and sign_up_of(ana).rating is None


def test_a_too_long_comment_is_tied_to_its_field_and_kept(launcher: Launcher) -> None:
    _session_id, ana, page = her_session_started(launcher)
    long = "Muy buena. " * 50
    refused = post(
        launcher.client, page + "/rating", {"rating": "3", "comment": long}, token_from=page
    )
    assert refused.status_code == 400
    html = text(refused)
    assert_tied(html, "comment", "e-comment", "Escribe como máximo 500 caracteres.")
    assert long.rstrip() in html
    assert sign_up_of(ana).rating is None


def test_an_older_page_never_replaces_her_comment(launcher: Launcher) -> None:
    _session_id, ana, page = her_session_started(launcher)
    revision = revision_in(text(launcher.client.get(page)))
    rated = {"rating": "3", "comment": "Aprendí a ordenar mis costos.", "revision": revision}
    for _ in range(2):  # a double tap: the same answer, twice from one page
        assert post(launcher.client, page + "/rating", rated, token_from=page).status_code == 302
    # The same page (Back, or a second tab) sends another answer: refused, both kept in view.
    older = post(
        launcher.client,
        page + "/rating",
        {"rating": "1", "comment": "No me sirvió.", "revision": revision},
        token_from=page,
    )
    assert older.status_code == 409
    html = text(older)
    assert "No se guardó: hay una versión más nueva" in html and "No me sirvió." in html
    assert ">Aprendí a ordenar mis costos.</textarea>" in html
    row = sign_up_of(ana)
    assert (row.rating, row.comment) == (3, "Aprendí a ordenar mis costos.")
    # From the page she has now, she may change her answer.
    fresh = revision_in(html)
    changed = post(
        launcher.client,
        page + "/rating",
        {"rating": "2", "comment": "Me sirvió un poco.", "revision": fresh},
        token_from=page,
    )
    assert changed.status_code == 302
    assert (sign_up_of(ana).rating, sign_up_of(ana).comment) == (2, "Me sirvió un poco.")


# ===================================================================== the mentor's profile
def test_her_profile_errors_are_tied_to_their_fields_and_keep_what_she_wrote(
    launcher: Launcher,
) -> None:
    lti_mentor(launcher)
    before = row_counts()
    refused = write_profile(launcher, per_month="muchas", bio="Vendo empanadas en la feria.")
    assert refused.status_code == 400
    html = text(refused)
    assert_tied(html, "per_month", "e-pm", "Escribe un número del 0 al 20.")
    assert "Vendo empanadas en la feria.</textarea>" in html
    long = write_profile(launcher, bio="Vendo empanadas. " * 40)
    assert long.status_code == 400
    assert_tied(text(long), "bio", "e-bio", "Escribe como máximo 600 caracteres.")
    assert row_counts() == before


def test_an_older_profile_page_never_replaces_her_bio(launcher: Launcher) -> None:
    lti_mentor(launcher)
    revision = revision_in(text(launcher.client.get("/mentor/profile")))
    mine = "Tengo un almacén en Lautaro."
    for _ in range(2):  # a double tap
        assert write_profile(launcher, bio=mine, revision=revision).status_code == 302
    older = write_profile(launcher, bio="Hago pan amasado.", revision=revision)
    assert older.status_code == 409
    html = text(older)
    assert "No se guardó: hay una versión más nueva" in html and "Hago pan amasado." in html
    assert mine + "</textarea>" in html
    db.session.expire_all()
    profile = db.session.scalar(select(MentorProfile))
    assert profile is not None and profile.bio == mine
    fresh = write_profile(launcher, bio="Hago pan amasado.", revision=revision_in(html))
    assert fresh.status_code == 302


# ====================================================================== offering a session
def test_a_double_tapped_offer_publishes_one_session(launcher: Launcher) -> None:
    lti_mentor(launcher)
    write_profile(launcher)
    first, second = publish(launcher), publish(launcher)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert sessions_count() == 1


def test_a_double_tapped_offer_is_not_over_her_monthly_limit(launcher: Launcher) -> None:
    lti_mentor(launcher)
    write_profile(launcher, per_month="1")
    first, second = publish(launcher), publish(launcher)
    assert first.status_code == second.status_code == 302
    assert sessions_count() == 1


def test_an_in_person_session_is_published_with_its_link_left_blank(launcher: Launcher) -> None:
    """The form has a link field for online sessions; in person she leaves it blank, and the
    browser sends it blank."""
    lti_mentor(launcher)
    write_profile(launcher, in_person="true")
    published = publish(
        launcher, mode="in_person", meeting_url="", place="Sede vecinal Villa Alegre, Temuco"
    )
    assert published.status_code == 302
    session = only_session()
    assert (session.mode, session.meeting_url) == ("in_person", "")
    assert session.place == "Sede vecinal Villa Alegre, Temuco"


def test_an_offer_refused_says_why_beside_the_field(launcher: Launcher) -> None:
    lti_mentor(launcher)
    write_profile(launcher)
    before = row_counts()
    no_link = publish(launcher, meeting_url="", details="Trae tus boletas.")
    assert no_link.status_code == 400
    html = text(no_link)
    assert_tied(html, "meeting_url", "e-url", "Una sesión en línea necesita su enlace")
    assert "Trae tus boletas.</textarea>" in html
    no_place = publish(launcher, mode="in_person", meeting_url="", place="  ")
    assert no_place.status_code == 400
    assert_tied(text(no_place), "place", "e-place", "una presencial, su lugar")
    past = publish(launcher, starts_at=local(-2))
    assert past.status_code == 400
    assert_tied(text(past), "starts_at", "e-starts", "Elige una fecha y hora entre ahora")
    assert row_counts() == before


# =========================================================== attendance and her private note
def test_refused_attendance_keeps_what_she_typed_and_ticked(launcher: Launcher) -> None:
    session_id, ana, _page = her_session_started(launcher)
    lti_mentor(launcher)
    page = f"/mentor/sessions/{session_id}"
    revision = revision_in(text(launcher.client.get(page)))
    note = "Llegaron puntuales y preguntaron mucho. " * 30
    refused = post(
        launcher.client,
        page + "/attendance",
        {"present": [str(ana)], "note": note, "revision": revision},
        token_from=page,
    )
    assert refused.status_code == 400
    html = text(refused)
    assert_tied(html, "note", "e-note", "Escribe como máximo 1000 caracteres.")
    assert note.rstrip() in html
    assert re.search(rf'name="present" value="{ana}" checked', html)
    assert only_session().status == "scheduled" and sign_up_of(ana).attended is None


def test_an_older_attendance_page_never_replaces_her_note(launcher: Launcher) -> None:
    session_id, ana, _page = her_session_started(launcher)
    lti_mentor(launcher)
    page = f"/mentor/sessions/{session_id}"
    revision = revision_in(text(launcher.client.get(page)))
    taken = {"present": [str(ana)], "note": "Llegaron puntuales.", "revision": revision}
    for _ in range(2):  # a double tap
        sent = post(launcher.client, page + "/attendance", taken, token_from=page)
        assert sent.status_code == 302
    older = post(
        launcher.client,
        page + "/attendance",
        {"note": "Nadie vino.", "revision": revision},
        token_from=page,
    )
    assert older.status_code == 409
    html = text(older)
    assert "No se guardó: hay una versión más nueva" in html and "Nadie vino." in html
    assert ">Llegaron puntuales.</textarea>" in html
    db.session.expire_all()
    assert only_session().private_note == "Llegaron puntuales." and sign_up_of(ana).attended


# ============================================================================ cancelling
def test_her_session_cancel_without_the_box_ticked_is_refused_beside_the_box(
    launcher: Launcher,
) -> None:
    session_id = offered(launcher)
    page = f"/mentor/sessions/{session_id}"
    refused = post(launcher.client, page + "/cancel", token_from=page)
    assert refused.status_code == 400
    assert_tied(text(refused), "confirm", "e-confirm", "Marca la casilla para confirmar.")
    assert only_session().status == "scheduled"


def test_a_double_tapped_session_cancel_is_not_an_error(launcher: Launcher) -> None:
    session_id = offered(launcher)
    page = f"/mentor/sessions/{session_id}"
    first = post(launcher.client, page + "/cancel", {"confirm": "true"}, token_from=page)
    cancelled_at = only_session().cancelled_at
    second = post(launcher.client, page + "/cancel", {"confirm": "true"}, token_from=page)
    assert first.status_code == second.status_code == 302
    db.session.expire_all()
    assert only_session().status == "cancelled" and only_session().cancelled_at == cancelled_at


# ====================================================================== notes to a mentee
def school_mentee(launcher: Launcher) -> str:
    """Carmen is in the Leadership School and Lucía is her personal mentor; Lucía is on the
    page of her mentee."""
    mentor_id = lti_mentor(launcher)
    carmen = participant(launcher, "carmen", "Carmen Soto")
    team = actor_of(user("carmen"), context())
    GrantFactory(user_id=carmen, role=Role.PROGRAMME_TEAM.value)
    cohort_id = schools.create_cohort(team, "test-school", "Líderes", datetime.now(CHILE).date())
    schools.invite(team, cohort_id, [carmen])
    member = db.session.scalar(select(SchoolMember.id))
    assert member is not None
    schools.answer(team, member, True)
    schools.assign_mentor(team, member, mentor_id)
    lti_mentor(launcher)
    return f"/mentor/school/{member}"


def notes_count() -> int:
    return int(db.session.scalar(select(func.count(MentorNote.id))) or 0)


def test_an_empty_or_too_long_note_is_refused_beside_its_field(launcher: Launcher) -> None:
    page = school_mentee(launcher)
    blank = post(launcher.client, page + "/notes", {"body": "   "}, token_from=page)
    assert blank.status_code == 400
    html = text(blank)
    assert_tied(html, "body", "e-body", "Escribe una nota de hasta 2000 caracteres.")
    assert 'id="e-body" role="alert"' in html  # the page has no summary: the message is one
    long = "Muy buena tarea, sigue así. " * 80
    too_long = post(launcher.client, page + "/notes", {"body": long}, token_from=page)
    assert too_long.status_code == 400 and long.rstrip() in text(too_long)
    assert notes_count() == 0


def test_a_double_tapped_note_is_written_once(launcher: Launcher) -> None:
    page = school_mentee(launcher)
    seen = re.search(r'name="seen" value="(\d+)"', text(launcher.client.get(page)))
    assert seen, "the note form names the newest note it showed"
    note = {"body": "¡Muy buena tarea, Carmen!", "seen": seen.group(1)}
    for _ in range(2):
        assert post(launcher.client, page + "/notes", note, token_from=page).status_code == 302
    assert notes_count() == 1
    # The same words again from the page that shows the first: a second note, on purpose.
    newer = re.search(r'name="seen" value="(\d+)"', text(launcher.client.get(page)))
    assert newer and newer.group(1) != seen.group(1)
    again = {"body": "¡Muy buena tarea, Carmen!", "seen": newer.group(1)}
    assert post(launcher.client, page + "/notes", again, token_from=page).status_code == 302
    assert notes_count() == 2
