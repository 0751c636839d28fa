"""Facilitators and designers: cohort, plan override, workshops and attendance, content import,
preview and version migration; and that none of it crosses LMS courses."""

from __future__ import annotations

import html
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from lti_tool.models import (
    ActivityProgress,
    ContentVersion,
    Enrolment,
    LmsContext,
    LtiUser,
    Membership,
    WorkshopSession,
    db,
    utcnow,
)
from lti_tool.services import content
from tests.conftest import TEST_CONTENT, override_settings, row_counts
from tests.support.journey import intake, post
from tests.support.lti import LTI, Launcher


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


def enrol(launcher: Launcher, sub: str, name: str, answers: dict[str, str] | None = None) -> int:
    launcher.launch("participant", sub=sub, name=name, given_name=name.split()[0])
    intake(launcher.client, answers)
    user = db.session.scalar(select(LtiUser).where(LtiUser.sub == sub))
    assert user is not None
    return user.id


def test_cohort_lists_progress_and_who_needs_a_call(launcher: Launcher) -> None:
    carmen = enrol(launcher, "carmen", "Carmen Soto")
    post(launcher.client, "/activities/ls-welcome/done", token_from="/activities/ls-welcome")
    enrol(launcher, "rosa", "Rosa Huenchumil")
    # Rosa's last activity was three weeks ago.
    rosa = db.session.scalar(select(Enrolment).where(Enrolment.user_id != carmen))
    assert rosa is not None
    rosa.last_activity_at = utcnow() - timedelta(days=21)
    membership = db.session.scalar(select(Membership).where(Membership.user_id == rosa.user_id))
    assert membership is not None
    membership.last_launch_at = utcnow() - timedelta(days=21)
    db.session.commit()
    launcher.launch("facilitator", sub="paula", name="Paula Rojas")
    page = text(launcher.client.get("/cohort"))
    assert "Tu grupo" in page and "2 participantes" in page
    assert "1 necesita una llamada esta semana" in page
    assert "Carmen Soto" in page and "Rosa Huenchumil" in page
    assert "Emprendimiento · Básico" in page
    calls = page[page.index('id="calls"') : page.index("</section>")]
    assert "Rosa Huenchumil" in calls and "Carmen Soto" not in calls
    assert "no ha vuelto hace 21 días" in calls


def test_facilitator_overrides_level_and_courses(launcher: Launcher) -> None:
    user_id = enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula")
    page = text(launcher.client.get(f"/cohort/participants/{user_id}"))
    assert "Cambiar su nivel o sus cursos" in page
    # Before she changes anything, the facilitator reads that the LMS grade is kept.
    assert "Su nota en el LMS nunca baja" in page
    post(
        launcher.client,
        f"/cohort/participants/{user_id}/plan",
        {"level": "advanced", "courses": ["ls", "ent-plan", "ent-online"]},
        token_from=f"/cohort/participants/{user_id}",
    )
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None
    assert (enrolment.level, enrolment.course_ids, enrolment.placed_by) == (
        "advanced",
        ["ls", "ent-plan", "ent-online"],
        "facilitator",
    )


def test_override_ignores_courses_of_another_pathway_or_unknown(launcher: Launcher) -> None:
    user_id = enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula")
    post(
        launcher.client,
        f"/cohort/participants/{user_id}/plan",
        {"level": "basic", "courses": ["emp-diag", "../x"]},
        token_from="/cohort",
    )
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None and enrolment.course_ids == ["ls", "ent-idea", "ent-online"]


def test_participants_cannot_reach_facilitator_pages(launcher: Launcher) -> None:
    enrol(launcher, "carmen", "Carmen Soto")
    for path in ("/cohort", "/cohort/workshops", "/cohort/grades", "/design", "/design/checks"):
        assert launcher.client.get(path).status_code == 403


def test_facilitator_of_another_course_gets_404(launcher: Launcher) -> None:
    user_id = enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch(
        "facilitator", sub="paula", **{LTI + "context": {"id": "other-course", "title": "Otro"}}
    )
    assert launcher.client.get(f"/cohort/participants/{user_id}").status_code == 404
    before = row_counts()
    response = post(
        launcher.client,
        f"/cohort/participants/{user_id}/plan",
        {"level": "advanced"},
        token_from="/cohort",
    )
    assert response.status_code == 404
    assert row_counts() == before
    assert "Carmen" not in text(launcher.client.get("/cohort"))


def test_workshop_scheduling_and_attendance_completes_the_workshop(launcher: Launcher) -> None:
    enrol(launcher, "carmen", "Carmen Soto")
    launcher.launch("facilitator", sub="paula")
    response = post(
        launcher.client,
        "/cohort/workshops",
        {
            "activity_id": "ls-workshop",
            "starts_at": "2026-03-05T18:30",  # given already: attendance is taken after it
            "meeting_url": "https://meet.example.org/abc",
        },
        token_from="/cohort/workshops",
    )
    assert response.status_code == 302
    session = db.session.scalar(select(WorkshopSession))
    assert session is not None
    assert session.starts_at.hour == 21  # 18:30 in Santiago (UTC-3 in March) is 21:30 UTC
    bad = post(
        launcher.client,
        "/cohort/workshops",
        {"activity_id": "ls-workshop", "starts_at": "mañana", "meeting_url": "javascript:x"},
        token_from="/cohort/workshops",
    )
    assert bad.status_code == 400 and "https://" in text(bad)
    carmen = db.session.scalar(select(LtiUser).where(LtiUser.sub == "carmen"))
    assert carmen is not None
    post(
        launcher.client,
        f"/cohort/workshops/{session.id}",
        {"present": [str(carmen.id)]},
        token_from=f"/cohort/workshops/{session.id}",
    )
    row = db.session.scalar(
        select(ActivityProgress).where(ActivityProgress.activity_id == "ls-workshop")
    )
    assert row is not None and row.completed
    # She sees the session (in Chile's time) on her pathway page.
    launcher.launch("participant", sub="carmen", name="Carmen Soto", given_name="Carmen")
    page = text(launcher.client.get("/activities/ls-workshop"))
    assert "18:30" in page and "Tu asistencia quedó registrada" in page
    assert "https://meet.example.org/abc" not in page  # no link to a session long over


def test_designer_browses_previews_in_both_languages(launcher: Launcher) -> None:
    launcher.launch("designer", sub="daniela")
    index = text(launcher.client.get("/design"))
    assert "Diseño de contenidos" in index and "Programa de prueba" in index
    course = text(launcher.client.get("/design/courses/ent-idea"))
    assert "Lienzo" in course and "ent-idea-bmc" in course
    preview = text(launcher.client.get("/design/activities/ent-idea-check"))
    assert "Vista previa" in preview and "¿Cuánto es el IVA?" in preview
    post(launcher.client, "/locale", {"locale": "en", "next": "/design"}, token_from="/design")
    english = text(launcher.client.get("/design/activities/ent-idea-check"))
    assert "What is the VAT rate?" in english and "Preview" in english


def test_designer_sees_the_validation_report(
    app: Flask, launcher: Launcher, tmp_path: Path
) -> None:
    broken = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, broken)
    (broken / "courses/ls/es/01-ls-welcome.md").write_text("---\nid: ls-welcome\n---\n")
    override_settings(app, content_path=str(broken))
    launcher.launch("designer", sub="daniela")
    page = text(launcher.client.get("/design/checks"))
    assert "courses/ls/es/01-ls-welcome.md:2" in page
    assert "La carpeta de contenidos es distinta de la última importación" in page


def test_the_validation_report_speaks_the_designers_language(
    app: Flask, launcher: Launcher, tmp_path: Path
) -> None:
    broken = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, broken)
    lesson = broken / "courses/ls/es/01-ls-welcome.md"
    lesson.write_text(lesson.read_text().replace("minutes: 1\n", "minutes: 500\nminuts: 5\n"))
    override_settings(app, content_path=str(broken))
    launcher.launch("designer", sub="daniela")
    where = "courses/ls/es/01-ls-welcome.md"
    said = {
        "es": [
            f"{where}:5</code> minutes: Debe ser mayor o igual que 1 y menor o igual que 240.",
            f"{where}:6</code> campo desconocido 'minuts'",
        ],
        "en": [
            f"{where}:5</code> minutes: Must be greater than or equal to 1 and less than or "
            "equal to 240.",
            f"{where}:6</code> unknown field 'minuts'",
        ],
    }
    for locale, lines in said.items():
        post(
            launcher.client, "/locale", {"locale": locale, "next": "/design"}, token_from="/design"
        )
        page = html.unescape(text(launcher.client.get("/design/checks")))
        for line in lines:
            assert line in page, (locale, line)


def grant_programme_team(app: Flask, launcher: Launcher, sub: str) -> None:
    result = app.test_cli_runner().invoke(
        args=["programme", "grant", "--issuer", launcher.platform.issuer, "--sub", sub]
    )
    assert result.exit_code == 0 and "programme_team granted" in result.output, result.output


def test_import_is_idempotent(app: Flask) -> None:
    first = content.import_tree()
    second = content.import_tree()
    assert first.created and not second.created and first.version_id == second.version_id
    assert db.session.scalar(select(func.count()).select_from(ContentVersion)) == 1
    runner = app.test_cli_runner()
    result = runner.invoke(args=["content", "import"])
    assert result.exit_code == 0 and "unchanged" in result.output


def test_cli_validate_reports_and_fails(app: Flask, tmp_path: Path) -> None:
    broken = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, broken)
    (broken / "programme.yaml").write_text("id: x\n")
    result = app.test_cli_runner().invoke(args=["content", "validate", "--lang", "en", str(broken)])
    assert result.exit_code == 1
    assert "programme.yaml:1: 'title' is required" in result.output
    good = app.test_cli_runner().invoke(
        args=["content", "validate", "--lang", "en", str(TEST_CONTENT)]
    )
    assert good.exit_code == 0 and "content is valid" in good.output


# The terminal's language, as gettext reads it; None takes a variable out of the environment.
NO_LANGUAGE: dict[str, str | None] = {
    "LANGUAGE": None,
    "LC_ALL": None,
    "LC_MESSAGES": None,
    "LANG": None,
}


@pytest.mark.parametrize(
    ("args", "environment", "said"),
    [
        (["--lang", "es"], {"LANG": "C"}, "programme.yaml:1: 'title' es obligatorio"),
        (["--lang", "en"], {"LANG": "es_CL.UTF-8"}, "programme.yaml:1: 'title' is required"),
        ([], {"LANG": "es_CL.UTF-8"}, "programme.yaml:1: 'title' es obligatorio"),
        ([], {"LC_ALL": "es_CL.UTF-8", "LANG": "C"}, "programme.yaml:1: 'title' es obligatorio"),
        ([], {"LANG": "C"}, "programme.yaml:1: 'title' is required"),
        ([], {}, "programme.yaml:1: 'title' is required"),
    ],
)
def test_cli_validate_speaks_spanish_or_english(
    app: Flask,
    tmp_path: Path,
    args: list[str],
    environment: dict[str, str | None],
    said: str,
) -> None:
    broken = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, broken)
    (broken / "programme.yaml").write_text("id: x\n")
    result = app.test_cli_runner().invoke(
        args=["content", "validate", *args, str(broken)], env={**NO_LANGUAGE, **environment}
    )
    assert result.exit_code == 1
    assert said in result.output.splitlines()


@pytest.mark.parametrize(
    ("programme", "said"),
    [
        (
            "id: x\n\ttitle: y\n",
            "programme.yaml:2: hay un tabulador aquí: usa espacios para la sangría, no tabuladores",
        ),
        (
            "id: x\ntitle: Ojo: esto\n",
            "programme.yaml:2: hay un ':' dentro de un valor: pon todo el valor entre comillas "
            "(si esta línea empieza una clave, revisa su sangría y la línea de arriba)",
        ),
        (
            'id: x\ntitle: "Programa\npathways: []\n',
            "programme.yaml:4: la comilla abierta en la línea 2 nunca se cierra: "
            "ciérrala con el mismo tipo de comilla",
        ),
        (
            "id: x\ntitle\npathways: []\n",
            "programme.yaml:3: la línea 2 no tiene la forma 'clave: valor': ¿falta un ':'?",
        ),
        (
            "id: x\ntitle:\n  es: a\n en: b\n",
            "programme.yaml:4: la sangría de esta línea no coincide con la de las líneas de arriba",
        ),
        (
            "id: x\ntitle: @senda\n",
            "programme.yaml:2: un valor no puede empezar con '@': pon todo el valor entre comillas",
        ),
        (
            'id: x\ntitle: "C:\\qué"\n',
            "programme.yaml:2: entre comillas dobles, una barra invertida empieza un código de "
            "escape, y \\q no es uno: pon todo el valor entre comillas simples, o escribe \\\\ "
            "por cada barra invertida",
        ),
        (
            "id: x\ntitle: {es: a, en: b\npathways: []\n",
            "programme.yaml:3: la '{' abierta en la línea 2 nunca se cierra con '}' "
            "(o falta una ',')",
        ),
        (
            "id: x\ntitle: y\npathways: - employment\n",
            "programme.yaml:3: hay un elemento de lista '- ' en la misma línea que su clave: "
            "pon cada elemento en una línea propia debajo de la clave, o pon todo el valor "
            "entre comillas si el '-' es parte del texto",
        ),
        (  # a problem PyYAML words in English that has no plainer words: introduced in Spanish
            "id: x\ntitle: |x\n",
            "programme.yaml:2: YAML no válido: "
            "expected chomping or indentation indicators, but found 'x'",
        ),
    ],
)
def test_cli_validate_says_yaml_mistakes_in_the_designers_spanish(
    app: Flask, tmp_path: Path, programme: str, said: str
) -> None:
    broken = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, broken)
    (broken / "programme.yaml").write_text(programme, encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["content", "validate", "--lang", "es", str(broken)], env=NO_LANGUAGE
    )
    assert result.exit_code == 1
    assert said in result.output.splitlines(), result.output


def test_cli_summaries_speak_spanish_too(app: Flask, tmp_path: Path) -> None:
    broken = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, broken)
    (broken / "programme.yaml").write_text("id: x\n")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["content", "validate", "--lang", "es", str(broken)])
    assert refused.exit_code == 1 and "se encontraron 3 problemas (" in refused.output
    valid = runner.invoke(args=["content", "validate", "--lang", "es", str(TEST_CONTENT)])
    assert valid.exit_code == 0 and "el contenido es válido (" in valid.output
    imported = runner.invoke(args=["content", "import", "--lang", "es", str(broken)])
    assert imported.exit_code == 1
    assert "programme.yaml:1: 'title' es obligatorio" in imported.output
    assert "no se importó: 3 problemas" in imported.output


def test_invalid_content_is_not_imported(app: Flask, tmp_path: Path) -> None:
    broken = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, broken)
    (broken / "programme.yaml").write_text("id: x\n")
    result = app.test_cli_runner().invoke(args=["content", "import", str(broken)])
    assert result.exit_code == 1
    assert db.session.scalar(select(func.count()).select_from(ContentVersion)) == 0


@pytest.mark.parametrize("changed", [True, False])
def test_migrating_a_cohort_keeps_progress_on_unchanged_activities(
    app: Flask, launcher: Launcher, tmp_path: Path, changed: bool
) -> None:
    enrol(launcher, "carmen", "Carmen Soto")
    post(launcher.client, "/activities/ls-welcome/done", token_from="/activities/ls-welcome")
    post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": "x"},
        token_from="/activities/ls-strengths",
    )
    newer = tmp_path / "content"
    shutil.copytree(TEST_CONTENT, newer)
    if changed:
        path = newer / "courses/ls/es/01-ls-welcome.md"
        path.write_text(
            path.read_text().replace("title: Bienvenida", "title: Te damos la bienvenida")
        )
    (newer / "media" / "new.txt").write_text("a new file makes a new version")
    override_settings(app, content_path=str(newer))
    assert content.import_tree().created
    content.forget_latest()
    launcher.launch("designer", sub="daniela")
    assert "usa una versión anterior" in text(launcher.client.get("/design/checks"))
    # Moving a cohort is the programme team's: the designer is refused until she is granted it.
    context_id = db.session.scalar(select(LmsContext.id))
    page = f"/programme/courses/{context_id}"
    assert launcher.client.get(page).status_code == 403
    grant_programme_team(app, launcher, "daniela")
    launcher.launch("designer", sub="daniela")
    assert "usa una versión anterior" in text(launcher.client.get(page))
    post(launcher.client, f"{page}/migrate", token_from=page)
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None and enrolment.content_version_id == content.latest_version_id()
    welcome = db.session.scalar(
        select(ActivityProgress).where(ActivityProgress.activity_id == "ls-welcome")
    )
    strengths = db.session.scalar(
        select(ActivityProgress).where(ActivityProgress.activity_id == "ls-strengths")
    )
    assert welcome is not None and strengths is not None
    assert welcome.completed is not changed  # the changed lesson must be read again
    assert strengths.completed  # unchanged: carried over
