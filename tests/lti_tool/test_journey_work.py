"""Never lose her work, honest signals (Senda issue #13, items 1 and 2), over the test client.

Saves of what she writes are ordered by revision: a save from an older page is refused and the
newer text stays. Forms end in a redirect, so a refresh never sends them again. An empty answer
is refused with a message and writes nothing."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from lti_tool.models import ActivityProgress, Enrolment, ResourceLink, db
from lti_tool.models.private import Demographics
from lti_tool.services import learning
from tests.conftest import row_counts
from tests.support.journey import complete_course, csrf, intake, post
from tests.support.lti import LTI, Launcher


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def row(activity_id: str) -> ActivityProgress | None:
    db.session.expire_all()
    return db.session.scalar(
        select(ActivityProgress).where(ActivityProgress.activity_id == activity_id)
    )


def revision_on(page: str) -> int:
    match = re.search(r'name="revision" value="(\d+)"', page)
    assert match, page[:300]
    return int(match.group(1))


def worksheet_ready(launcher: Launcher) -> str:
    launcher.launch("participant")
    intake(launcher.client)
    complete_course("user-1", "ls")
    return csrf(launcher.client, "/activities/ent-idea-bmc")


def test_a_stale_autosave_is_refused_and_the_newer_text_kept(launcher: Launcher) -> None:
    token = worksheet_ready(launcher)
    page = text(launcher.client.get("/activities/ent-idea-bmc"))
    assert revision_on(page) == 0

    def autosave(value: str, revision: int) -> tuple[int, dict[str, object]]:
        response = launcher.client.post(
            "/activities/ent-idea-bmc/worksheet",
            json={"values": {"customers": value}, "revision": revision},
            headers={"X-CSRFToken": token},
        )
        return response.status_code, response.get_json()

    assert autosave("Vecinas", 0) == (200, {"ok": True, "complete": True, "revision": 1})
    assert autosave("Vecinas del barrio", 1)[1]["revision"] == 2
    # An older tab, still at revision 1, saves its older text: refused, nothing changes.
    assert autosave("Vecinas", 1) == (409, {"ok": False, "reason": "stale", "revision": 2})
    # The newer text sent again from that older tab (a double tap): nothing changed, no 409.
    assert autosave("Vecinas del barrio", 1) == (
        200,
        {"ok": True, "complete": True, "revision": 2},
    )
    saved = row("ent-idea-bmc")
    assert saved is not None and saved.data["values"]["customers"] == "Vecinas del barrio"
    assert saved.revision == 2
    # The page shows the newest text and the revision its next save names.
    page = text(launcher.client.get("/activities/ent-idea-bmc"))
    assert "Vecinas del barrio" in page and revision_on(page) == 2
    # A revision that is not a number is bad input.
    bad = launcher.client.post(
        "/activities/ent-idea-bmc/worksheet",
        json={"values": {"customers": "x"}, "revision": "dos"},
        headers={"X-CSRFToken": token},
    )
    assert bad.status_code == 400 and bad.get_json()["reason"] == "invalid"


def test_refresh_after_a_failed_submit_keeps_the_newer_text(launcher: Launcher) -> None:
    """She submits with a required field empty, keeps typing (autosave), then the phone reloads
    the tab: the reload is a GET and the old form, even sent again, cannot overwrite."""
    token = worksheet_ready(launcher)
    failed = post(
        launcher.client,
        "/activities/ent-idea-bmc/worksheet",
        {"customers": "", "offer": "Pan", "action": "submit", "revision": "0"},
        token_from="/activities/ent-idea-bmc",
    )
    assert failed.status_code == 303
    page = text(launcher.client.get(failed.headers["Location"]))
    assert "Para enviar, completa" in page and revision_on(page) == 1
    newer = launcher.client.post(
        "/activities/ent-idea-bmc/worksheet",
        json={"values": {"customers": "Vecinas", "offer": "Pan amasado"}, "revision": 1},
        headers={"X-CSRFToken": token},
    )
    assert newer.get_json()["revision"] == 2
    # The reload: the page she was on is a GET.
    reloaded = text(launcher.client.get(failed.headers["Location"]))
    assert "Pan amasado" in reloaded and "Vecinas" in reloaded
    # The old form sent again anyway (Back, then resubmit): refused with 409, newer text kept,
    # and what she sent is shown so she can copy it.
    before = row_counts()
    again = post(
        launcher.client,
        "/activities/ent-idea-bmc/worksheet",
        {"customers": "", "offer": "Pan", "action": "submit", "revision": "0"},
        token_from="/activities/ent-idea-bmc",
    )
    assert again.status_code == 409
    assert "hay una versión más nueva" in text(again)
    assert row_counts() == before
    saved = row("ent-idea-bmc")
    assert saved is not None and saved.data["values"] == {
        "customers": "Vecinas",
        "offer": "Pan amasado",
    }
    assert not saved.completed


def test_the_worksheet_page_tells_the_truth_about_saving(launcher: Launcher) -> None:
    worksheet_ready(launcher)
    page = text(launcher.client.get("/activities/ent-idea-bmc"))
    # Without JavaScript nothing is saved as she types: the page says so; the script replaces
    # it with the as-you-type message, and has a message for each kind of failure.
    assert "nada se guarda hasta que lo hagas" in page
    assert 'data-typing="Lo que escribes se guarda mientras escribes' in page
    for key in ("offline", "stale", "session", "invalid", "failed"):
        assert f"data-{key}=" in page
    assert 'data-stale="No se guardó: esta hoja cambió en otra ventana' in page


def test_a_stale_reflection_is_refused_and_the_newer_text_kept(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    first = post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": "Cocino bien.", "revision": "0"},
        token_from="/activities/ls-strengths",
    )
    assert first.status_code == 302
    newer = post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": "Cocino muy bien y sé vender.", "revision": "1"},
        token_from="/activities/ls-strengths",
    )
    assert newer.status_code == 302
    stale = post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": "Cocino bien.", "revision": "1"},
        token_from="/activities/ls-strengths",
    )
    assert stale.status_code == 409
    body = text(stale)
    assert "Cocino muy bien y sé vender." in body  # the newest, in the form
    assert "Cocino bien." in body  # what she sent, to copy
    saved = row("ls-strengths")
    assert saved is not None and saved.data == {"text": "Cocino muy bien y sé vender."}
    assert saved.revision == 2


def test_an_empty_reflection_is_refused_and_nothing_written(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    before = row_counts()
    response = post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": "   \n ", "revision": "0"},
        token_from="/activities/ls-strengths",
    )
    assert response.status_code == 400
    assert "Escribe tu respuesta antes de guardar. No se guardó nada." in text(response)
    assert "Guardado" not in text(response)
    assert row_counts() == before
    assert row("ls-strengths") is None


def test_an_empty_quiz_is_refused_and_nothing_written(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    before = row_counts()
    response = post(
        launcher.client, "/activities/ls-check/quiz", {}, token_from="/activities/ls-check"
    )
    assert response.status_code == 400
    page = text(response)
    assert "Responde todas las preguntas" in page and "Elige una respuesta" in page
    assert "Respondiste bien" not in page  # no score for nothing
    assert row_counts() == before
    assert row("ls-check") is None


def test_a_quiz_sent_again_from_an_old_page_is_not_a_new_attempt(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    url = "/activities/ls-check/quiz"
    post(launcher.client, url, {"q1": "b", "attempt": "0"}, token_from="/activities/ls-check")
    post(launcher.client, url, {"q1": "b", "attempt": "0"}, token_from="/activities/ls-check")
    saved = row("ls-check")
    assert saved is not None and saved.attempts == 1
    # A different answer from the same old page is a real new attempt.
    post(launcher.client, url, {"q1": "a", "attempt": "0"}, token_from="/activities/ls-check")
    saved = row("ls-check")
    assert saved is not None and saved.attempts == 2 and saved.completed


def test_after_passing_the_main_button_moves_her_on(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    failed = text(
        post(
            launcher.client,
            "/activities/ls-check/quiz",
            {"q1": "b"},
            token_from="/activities/ls-check",
            follow_redirects=True,
        )
    )
    # Not passed: trying again (a new page, options in a new order) is the main button.
    assert '<a class="button" href="/activities/ls-check">Intentar de nuevo</a>' in failed
    passed = text(
        post(
            launcher.client,
            "/activities/ls-check/quiz",
            {"q1": "a"},
            token_from="/activities/ls-check",
            follow_redirects=True,
        )
    )
    buttons = passed[passed.index('class="button-row"') :]
    # The first, main button goes on (the next step); trying again is the secondary one.
    assert re.search(r'^class="button-row">\s*<a class="button" href="/activities/', buttons)
    assert (
        '<a class="button secondary" href="/activities/ls-check">Intentar de nuevo</a>' in buttons
    )


AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://lms.example.edu/api/lti/lineitems/1"


def test_her_progress_reads_the_same_on_her_plan_in_the_grade_and_its_comment(
    launcher: Launcher,
) -> None:
    """A plain graded link scores her whole plan: her page's percent, the score the LMS gets
    and its comment are one figure (the share of her steps done)."""
    from lti_tool.models import ScoreOutbox

    launcher.launch("participant", **{AGS: {"scope": [SCORE], "lineitem": LINEITEM}})
    intake(launcher.client)  # entrepreneurship basic: ls (5 steps), ent-idea (3), ent-online (1)
    for lesson in ("ls-welcome", "ls-story"):
        post(launcher.client, f"/activities/{lesson}/done", token_from=f"/activities/{lesson}")
    post(
        launcher.client, "/activities/ls-check/quiz", {"q1": "a"}, token_from="/activities/ls-check"
    )
    plan = text(launcher.client.get("/plan"))
    shown = re.search(r'aria-valuenow="(\d+)"', plan)
    assert shown is not None and shown.group(1) == "33"  # 3 of 9 steps
    assert "33 %" in plan or "33%" in plan
    db.session.expire_all()
    score = db.session.scalar(select(ScoreOutbox).order_by(ScoreOutbox.id.desc()))
    assert score is not None
    assert (score.score_given, score.score_maximum) == (33.0, 100.0)
    assert "3/9 (33 %)" in score.comment


# ------------------------------------------------------------- her plan never changes silently
def enrolment() -> Enrolment:
    db.session.expire_all()
    found = db.session.scalar(select(Enrolment))
    assert found is not None
    return found


def test_intake_sent_again_keeps_staff_added_courses_and_her_answers(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client, consent="true", region="araucania", migrant="yes")
    placed = enrolment()
    assert placed.course_ids == ["ls", "ent-idea", "ent-online"]
    # Her facilitator adds a course.
    learning.change_plan(placed, "basic", [*placed.course_ids, "ent-plan"], by="facilitator")
    # The form, as the Back button shows it, keeps her optional answers checked.
    form = text(launcher.client.get("/intake"))
    assert re.search(r'name="migrant" value="yes" checked', form)
    assert re.search(r'name="consent" value="true" checked', form)
    # Sent again, the same answers: the plan stays, with the facilitator's course.
    again = intake(launcher.client, consent="true", region="araucania", migrant="yes")
    assert again.headers["Location"] == "/plan"
    kept = enrolment()
    assert kept.course_ids == ["ls", "ent-idea", "ent-online", "ent-plan"]
    assert kept.placed_by == "facilitator"
    assert "Tus respuestas se guardaron. Tu plan sigue igual." in text(launcher.client.get("/plan"))
    stored = db.session.scalar(select(Demographics))
    assert stored is not None and stored.migrant == "yes"
    # New answers that suggest another pathway: saved, the plan unchanged, the change offered.
    other = intake(launcher.client, {"goal": "job", "formal-work": "yes"})
    assert other.headers["Location"].startswith("/plan/change?pathway=employment")
    after = enrolment()
    assert after.answers == {"goal": ["job"], "formal-work": ["yes"]}
    assert (after.pathway_id, after.course_ids) == (
        "entrepreneurship",
        ["ls", "ent-idea", "ent-online", "ent-plan"],
    )


def test_a_change_of_pathway_or_level_asks_first_and_keeps_staff_courses(
    launcher: Launcher,
) -> None:
    launcher.launch("participant")
    intake(launcher.client)
    placed = enrolment()
    learning.change_plan(placed, "basic", [*placed.course_ids, "emp-diag"], by="facilitator")
    before = row_counts()
    page = launcher.client.get("/plan/change?pathway=entrepreneurship&level=advanced")
    body = text(page)
    assert page.status_code == 200
    assert "Sí, cambiar mi plan" in body and "No, dejar mi plan como está" in body
    assert "agregado por tu facilitadora, se mantiene" in body
    assert row_counts() == before  # looking changes nothing
    assert launcher.client.get("/plan/change?pathway=nope").status_code == 400
    assert launcher.client.get("/plan/change?pathway=employment&level=expert").status_code == 400
    post(
        launcher.client,
        "/pathway",
        {"pathway": "entrepreneurship", "level": "advanced", "confirm": "true"},
    )
    changed = enrolment()
    assert (changed.pathway_id, changed.level) == ("entrepreneurship", "advanced")
    assert changed.course_ids == ["ls", "ent-plan", "emp-diag"]
    assert changed.placed_by == "participant"
    plan = text(launcher.client.get("/plan"))
    assert "Tu plan cambió" in plan and "Elegiste esta ruta y este nivel tú misma." in plan


def test_a_placed_course_link_does_not_add_an_unrelated_course(launcher: Launcher) -> None:
    launcher.launch("participant")
    intake(launcher.client)  # entrepreneurship
    launcher.launch("participant", **{LTI + "custom": {"senda_target": "course:emp-diag"}})
    page = text(launcher.client.get("/courses/emp-diag"))
    assert "pertenece a otra ruta" in page and "Agregarlo a mi plan" not in page
    before = row_counts()
    refused = post(launcher.client, "/courses/emp-diag/add", token_from="/courses/emp-diag")
    assert refused.status_code == 400
    assert row_counts() == before
    assert "emp-diag" not in enrolment().course_ids


def test_an_override_never_lowers_her_lms_score(launcher: Launcher) -> None:
    from lti_tool.models import ScoreOutbox
    from lti_tool.services import grades

    launcher.launch("participant", **{AGS: {"scope": [SCORE], "lineitem": LINEITEM}})
    intake(launcher.client)  # ls (5 steps), ent-idea (3), ent-online (1)
    complete_course("user-1", "ls")
    db.session.expire_all()
    earned = db.session.scalar(select(func.max(ScoreOutbox.score_given)))
    assert earned == 56.0  # 5 of 9 steps
    placed = enrolment()
    # The facilitator adds two courses: 5 of 12 steps would be 42.
    learning.change_plan(
        placed, "basic", [*placed.course_ids, "ent-plan", "emp-diag"], "facilitator"
    )
    db.session.expire_all()
    latest = db.session.scalar(select(ScoreOutbox).order_by(ScoreOutbox.id.desc()))
    assert latest is not None and latest.score_given == 56.0
    assert "5/12 (42 %)" in latest.comment  # the comment says where she is
    # What a worker would send now, from committed progress: not lower either.
    link = db.session.scalar(select(ResourceLink))
    assert link is not None
    fresh = grades.fresh_score(enrolment().user_id, link)
    assert fresh is not None and fresh.given == 56.0
    # She chooses another pathway herself (confirmed): not lower either.
    post(launcher.client, "/pathway", {"pathway": "employment", "confirm": "true"})
    db.session.expire_all()
    assert min(s for s in db.session.scalars(select(ScoreOutbox.score_given))) >= 56.0


def test_text_at_the_pages_limit_with_line_breaks_is_taken(launcher: Launcher) -> None:
    """Her browser sends each line break as two characters but counted it as one against the
    box's limit (10,000): what the page let her write is saved, line breaks as she wrote them."""
    launcher.launch("participant")
    intake(launcher.client)
    lines = ["Sé cocinar."] * 800  # 800 × 11 characters and 799 line breaks: 9,599 as counted
    typed = "\r\n".join(lines)
    assert len(typed) > 10_000 and len(typed.replace("\r\n", "\n")) <= 10_000
    saved = post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": typed, "revision": "0"},
        token_from="/activities/ls-strengths",
    )
    assert saved.status_code == 302
    stored = row("ls-strengths")
    assert stored is not None and stored.data == {"text": "\n".join(lines)}


def test_a_worksheet_answer_at_its_limit_with_line_breaks_is_taken(launcher: Launcher) -> None:
    """The same for a worksheet's box (5,000), saved as she types (JSON) or with the button."""
    token = worksheet_ready(launcher)
    lines = ["Vecina."] * 600  # 600 × 7 characters and 599 line breaks: 4,799 as counted
    typed = "\r\n".join(lines)
    assert len(typed) > 5_000 and len(typed.replace("\r\n", "\n")) <= 5_000
    sent = launcher.client.post(
        "/activities/ent-idea-bmc/worksheet",
        json={"values": {"customers": typed}, "revision": 0},
        headers={"X-CSRFToken": token},
    )
    assert sent.status_code == 200, sent.get_data(as_text=True)
    saved = post(
        launcher.client,
        "/activities/ent-idea-bmc/worksheet",
        {"customers": typed, "revision": "1", "action": "save"},
        token_from="/activities/ent-idea-bmc",
    )
    assert saved.status_code == 302
    stored = row("ent-idea-bmc")
    assert stored is not None and stored.data["values"]["customers"] == "\n".join(lines)


def test_a_message_flashed_twice_is_said_once(launcher: Launcher) -> None:
    """A double tap on Save flashes "Saved" from each request; her next page says it once."""
    launcher.launch("participant")
    intake(launcher.client)
    token = csrf(launcher.client, "/activities/ls-strengths")
    for revision in ("0", "1"):  # both sent before her next page loads
        sent = launcher.client.post(
            "/activities/ls-strengths/reflection",
            data={"text": f"Cocino bien ({revision}).", "revision": revision, "csrf_token": token},
        )
        assert sent.status_code == 302
    page = launcher.client.get("/activities/ls-strengths").get_data(as_text=True)
    assert page.count("Guardado. Solo tú puedes ver esta respuesta.") == 1
