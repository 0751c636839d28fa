"""Staff pages answer their question at a glance: the grades page (dated, translated states,
failed first with the reason in words), the cohort page (who needs a call this week, and why),
the designer's course page (completion rules as sentences, never keys); in both languages and
within the query budget."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import event, select

from lti_tool.lti import ags
from lti_tool.models import (
    ActivityProgress,
    Enrolment,
    LmsContext,
    Membership,
    ScoreOutbox,
    db,
    utcnow,
)
from lti_tool.models.outbox import DELIVERED, PARKED, PENDING
from tests.factories import LinkFactory, ScoreFactory, member
from tests.lti_tool.test_staff import enrol, text
from tests.support.journey import post
from tests.support.lti import Launcher

ENGLISH = {"locale": "en-US"}
# 12:04 in Santiago (UTC-3 in March).
MARCH_5 = datetime(2026, 3, 5, 15, 4, tzinfo=UTC)


def course() -> LmsContext:
    found = db.session.scalar(select(LmsContext))
    assert found is not None
    return found


def section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def visible(page: str) -> str:
    """The words on the page: tags, attributes and spaces folded."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def fail_the_check(launcher: Launcher, times: int) -> ActivityProgress:
    """The participant of the session does the first three steps of her life-skills course,
    then fails its knowledge check `times` times (through the pages); her row of the check."""
    client = launcher.client
    post(client, "/activities/ls-welcome/done", token_from="/activities/ls-welcome")
    post(client, "/activities/ls-story/done", token_from="/activities/ls-story")
    post(
        client,
        "/activities/ls-strengths/reflection",
        {"text": "Sé organizar mi tiempo."},
        token_from="/activities/ls-strengths",
    )
    for _ in range(times):
        post(client, "/activities/ls-check/quiz", {"q1": "b"}, token_from="/activities/ls-check")
    row = db.session.scalar(
        select(ActivityProgress).where(ActivityProgress.activity_id == "ls-check")
    )
    assert row is not None and not row.completed and row.attempts == times
    return row


# --------------------------------------------------------------------------------- grades
def scores_of_every_state(launcher: Launcher) -> dict[str, int]:
    """Carmen has a score in each state, the failed ones oldest, on two links."""
    carmen = enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula", name="Paula Rojas")
    titled = LinkFactory(
        course=course(), resource_link_id="graded-1", title="Habilidades para la vida (nota)"
    )
    untitled = LinkFactory(
        course=course(), resource_link_id="graded-2", title="", target="course:ent-idea"
    )
    ids = {}
    ids["sent"] = ScoreFactory(
        link=titled,
        user_id=carmen,
        status=DELIVERED,
        event_at=MARCH_5 + timedelta(days=2),
        delivered_at=MARCH_5 + timedelta(days=2, minutes=1),
        activity_progress="Completed",
    ).id
    ids["waiting"] = ScoreFactory(
        link=untitled, user_id=carmen, event_at=MARCH_5 + timedelta(days=3)
    ).id
    ids["retrying"] = ScoreFactory(
        link=titled,
        user_id=carmen,
        status=PENDING,
        attempts=2,
        last_error="timeout",
        event_at=MARCH_5 + timedelta(days=1),
        next_attempt_at=MARCH_5 + timedelta(days=1, hours=1),
    ).id
    ids["gone"] = ScoreFactory(
        link=titled,
        user_id=carmen,
        status=PARKED,
        attempts=1,
        last_error="HTTP 404",
        event_at=MARCH_5,
    ).id
    ids["token"] = ScoreFactory(
        link=untitled,
        user_id=carmen,
        status=PARKED,
        attempts=8,
        last_error="the LMS refused the access token request: HTTP 400",
        event_at=MARCH_5 - timedelta(days=1),
    ).id
    return ids


def test_grades_page_is_dated_translated_and_puts_failed_first(launcher: Launcher) -> None:
    scores_of_every_state(launcher)
    page = text(launcher.client.get("/cohort/grades"))
    words = visible(page)
    # The summary: how many of each, at the top.
    assert re.search(r"Con error: te necesitan 2 ", words), words[:900]
    assert re.search(r"Esperando envío 2 \(1 reintentando\)", words), words[:900]
    assert re.search(r"Enviadas al LMS 1 ", words), words[:900]
    # Each row dated in Chile's time, in Spanish.
    assert "5 mar 2026, 12:04" in words and "7 mar 2026, 12:05" in words
    # States and reasons in plain words, never the outbox's keys or the LMS's codes alone.
    assert "Falló, quedó apartada" in words and "Reintentando" in words and "Enviada" in words
    assert "La columna de notas de esta actividad ya no existe en el LMS" in words
    assert "El LMS rechazó la llave de acceso de Senda" in words
    assert "No se pudo contactar al LMS" in words  # the retrying one's last try
    assert "Próximo intento el 6 mar 2026, 13:04" in words
    for key in ("parked", "pending", "delivered", "InProgress", "Completed", "timeout"):
        assert key not in words, key
    # Her name and the link's title (or, without one, what it opens), never ids.
    assert "Carmen Soto" in words and "Habilidades para la vida (nota)" in words
    assert "Tu idea" in words  # the untitled link's course title, from the content
    # Failed first (although the oldest), then the newest first: the rows' dates in order.
    rows = visible(section(page, '<ul class="plain scores">', "</ul>"))
    dates = [f"{day} mar 2026, 12:04" for day in (5, 4, 8, 7, 6)]
    assert [rows.index(d) for d in dates] == sorted(rows.index(d) for d in dates), rows
    assert rows.index("Falló, quedó apartada") < rows.index("Senda la envía en un momento")


def test_grades_page_in_english_and_its_filters(launcher: Launcher) -> None:
    ids = scores_of_every_state(launcher)
    launcher.launch("facilitator", sub="paula", name="Paula Rojas", **ENGLISH)
    words = visible(text(launcher.client.get("/cohort/grades")))
    assert "Mar 5, 2026, 12:04 PM" in words
    assert "Failed, set aside" in words and "Retrying" in words
    assert "The grade column of this activity is gone from the LMS" in words
    assert "The LMS refused Senda's access key (token)" in words
    assert "(LMS answer: HTTP 404)" in words
    failed = visible(text(launcher.client.get("/cohort/grades?show=failed")))
    assert failed.count("Failed, set aside") == 2 and "Retrying" not in failed
    waiting = visible(text(launcher.client.get("/cohort/grades?show=waiting")))
    assert "Retrying" in waiting and "Failed, set aside" not in waiting
    assert launcher.client.get("/cohort/grades?show=parked").status_code == 400
    # Send a failed one again: it waits again, and the page says so.
    post(
        launcher.client,
        f"/cohort/grades/{ids['gone']}/retry",
        token_from="/cohort/grades",
    )
    row = db.session.get(ScoreOutbox, ids["gone"])
    assert row is not None and (row.status, row.attempts) == (PENDING, 0)
    assert (
        visible(text(launcher.client.get("/cohort/grades?show=failed"))).count("Failed, set aside")
        == 1
    )


# --------------------------------------------------------------------------------- cohort
def test_cohort_lists_who_needs_a_call_and_why(launcher: Launcher) -> None:
    enrol(launcher, "carmen", "Carmen Soto")  # active today: no call
    rosa = enrol(launcher, "rosa", "Rosa Huenchumil")
    enrol(launcher, "emily", "Emily Clarke")
    step = fail_the_check(launcher, 1)  # Emily tried her check once...
    launcher.launch("facilitator", sub="paula", name="Paula Rojas")
    # ...eight days ago, and keeps coming back without passing it.
    step.started_at = utcnow() - timedelta(days=8)
    # Rosa has not come back for ten days.
    ten_days_ago = utcnow() - timedelta(days=10)
    for row in (
        db.session.scalar(select(Enrolment).where(Enrolment.user_id == rosa)),
        db.session.scalar(select(Membership).where(Membership.user_id == rosa)),
    ):
        assert row is not None
        if isinstance(row, Enrolment):
            row.last_activity_at = ten_days_ago
        else:
            row.last_launch_at = ten_days_ago
    # Yasna is on the LMS's roster and never opened Senda.
    yasna = member(course(), name="Yasna Joseph", given_name="Yasna")
    roster = db.session.scalar(select(Membership).where(Membership.user_id == yasna.id))
    assert roster is not None
    roster.from_roster = True
    roster.created_at = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    db.session.commit()

    page = text(launcher.client.get("/cohort"))
    words = visible(page)
    assert "4 participantes" in words and "3 necesitan una llamada esta semana" in words
    calls = visible(section(page, 'id="calls"', "</section>"))
    assert "Necesitan una llamada esta semana" in calls
    # Never opened comes first, then who is away, then who is stuck.
    assert calls.index("Yasna Joseph") < calls.index("Rosa Huenchumil")
    assert calls.index("Rosa Huenchumil") < calls.index("Emily Clarke")
    assert "Carmen Soto" not in calls
    assert "Nunca abrió Senda. El LMS la incluyó el 2 mar 2026." in calls
    assert "Empezó su plan y no ha vuelto hace 10 días." in calls
    assert "Lleva 8 días en el mismo paso, “Prueba”." in calls
    assert "Última actividad:" in calls
    assert "inactiva" not in words.lower() and "14 días" not in words
    # Everyone is still in the table below, the never-opened one marked so.
    table = visible(section(page, "<table>", "</table>"))
    for name in ("Carmen Soto", "Rosa Huenchumil", "Emily Clarke", "Yasna Joseph"):
        assert name in table
    assert "Nunca abrió Senda" in table and "Necesita una llamada" in table

    launcher.launch("facilitator", sub="paula", name="Paula Rojas", **ENGLISH)
    english = visible(section(text(launcher.client.get("/cohort")), 'id="calls"', "</section>"))
    assert "Never opened Senda. The LMS listed her on Mar 2, 2026." in english
    assert "Started her plan and has not come back for 10 days." in english
    assert "On the same step, “Check”, for 8 days." in english


def test_a_quiz_failed_three_times_is_stuck(launcher: Launcher) -> None:
    enrol(launcher, "emily", "Emily Clarke")
    fail_the_check(launcher, 2)
    launcher.launch("facilitator", sub="paula", name="Paula Rojas", **ENGLISH)
    assert "Emily Clarke" not in section(
        text(launcher.client.get("/cohort")), 'id="calls"', "</section>"
    )
    launcher.launch("participant", sub="emily", name="Emily Clarke", given_name="Emily")
    post(
        launcher.client, "/activities/ls-check/quiz", {"q1": "b"}, token_from="/activities/ls-check"
    )
    launcher.launch("facilitator", sub="paula", name="Paula Rojas", **ENGLISH)
    calls = visible(section(text(launcher.client.get("/cohort")), 'id="calls"', "</section>"))
    assert "Emily Clarke" in calls and "Tried “Check” 3 times without passing it." in calls


def test_nobody_to_call_says_so(launcher: Launcher) -> None:
    enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula", name="Paula Rojas", **ENGLISH)
    page = visible(text(launcher.client.get("/cohort")))
    assert "0 need a call this week" in page and "Nobody for now" in page


# ------------------------------------------------------------------------------- designer
RAW_KEYS = re.compile(
    r">\s*(viewed|passed|submitted|attended|diagnosis|workshops|enablement|job-entry)\s*<"
)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        (
            "es-CL",
            (
                "Se completa cuando hace sus 3 actividades obligatorias.",
                "Eso incluye aprobar la prueba “Prueba” con 67 % o más.",
                "Cuando la aprueba con 67 % o más.",
            ),
        ),
        (
            "en-US",
            (
                "Complete when she has done all 3 of its required activities.",
                "This includes passing the knowledge check “Check” with 67% or more.",
                "When she passes it with 67% or more.",
            ),
        ),
    ],
)
def test_designer_pages_show_rules_as_sentences(
    launcher: Launcher, locale: str, expected: tuple[str, ...]
) -> None:
    launcher.launch("designer", sub="daniela", locale=locale)
    for course_id in ("ls", "ent-idea", "emp-diag", "emp-work"):
        page = text(launcher.client.get(f"/design/courses/{course_id}"))
        assert not RAW_KEYS.search(page), (course_id, RAW_KEYS.search(page))
        if course_id == "ent-idea":
            words = visible(page)
            for sentence in expected:
                assert sentence in words, (sentence, words)
    diag = visible(text(launcher.client.get("/design/courses/emp-diag")))
    assert ("Diagnóstico" if locale == "es-CL" else "Diagnosis") in diag


# ---------------------------------------------------------------------------- query budget
def count_queries(launcher: Launcher, path: str) -> int:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    launcher.client.get(path)  # warm the per-process caches
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = launcher.client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200, path
    return len(statements)


# Statements per page, whatever the cohort's size (measured: 3 and 2).
BUDGET = {"/cohort": 4, "/cohort/grades": 3}


def test_staff_signal_pages_stay_within_the_query_budget(launcher: Launcher) -> None:
    enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula", name="Paula Rojas")
    link = LinkFactory(course=course(), resource_link_id="graded-1", title="Senda")
    small = {path: count_queries(launcher, path) for path in ("/cohort", "/cohort/grades")}
    for n in range(30):
        person = member(course(), name=f"Participante {n}")
        ScoreFactory(link=link, user_id=person.id, status=(PARKED, PENDING, DELIVERED)[n % 3])
    db.session.commit()
    for path, before in small.items():
        queries = count_queries(launcher, path)
        assert queries <= BUDGET[path], (path, queries)
        assert queries == before, (path, before, queries)  # the same whatever the cohort's size


@pytest.mark.parametrize(
    ("last_error", "reason"),
    [
        ("the LMS refused the access token request: HTTP 400", "token"),
        ("the LMS refused the access token request: HTTP 503", "token"),
        ("HTTP 401", "token"),
        ("authentication failed twice", "token"),
        ("HTTP 403", "forbidden"),
        ("timeout", "unreachable"),
        ("connection failed", "unreachable"),
        ("HTTP 500", "lms-error"),
        ("HTTP 502", "lms-error"),
        ("HTTP 429", "busy"),
        ("HTTP 404", "gone"),
        ("HTTP 410", "gone"),
        ("HTTP 400", "refused"),
        ("HTTP 422", "refused"),
        ("the link has no line item and the LMS offers no line-items service", "no-column"),
        ("the service URL is not on the platform's hosts", "unsafe"),
        ("the service URL is not a public address", "unsafe"),
        ("the LMS's answer could not be used (KeyError)", "unreadable"),
        ("the LMS returned a line item without an id", "unreadable"),
        ("something new", "other"),
    ],
)
def test_every_delivery_error_has_a_reason_in_words(last_error: str, reason: str) -> None:
    assert ags.failure_reason(last_error) == reason


def test_every_reason_has_words_in_both_languages(app: Flask) -> None:
    from lti_tool.views.facilitator import _make_grade_words

    for locale in ("es", "en"):
        with app.test_request_context(), force_locale(locale):
            words = _make_grade_words()["reason_names"]
            assert set(words) == {r.value for r in ags.FailureReason}
            assert all(text and "_" not in text for text in words.values())
    with app.test_request_context(), force_locale("es"):
        assert _make_grade_words()["reason_names"]["gone"].startswith("La columna")
