"""Every rule of the content format has a broken file that must be reported with its file and
line. Each case copies the small test programme, breaks one file, and looks for the message."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from courses.authoring.errors import ContentError, blocking
from courses.authoring.tree import compile_tree, count_words, review_problems, tree_digest
from courses.catalogue import build_catalogue

GOOD = Path(__file__).parent.parent / "data" / "content"
REAL = Path(__file__).parent.parent.parent / "content"
# The day the shipped curriculum and the test programme were last checked (see content/REVIEW.md).
REVIEW_DAY = date(2026, 11, 26)

LESSON = """---
id: ls-welcome
kind: lesson
title: Bienvenida
minutes: 5
sources: [https://www.sii.cl]
---
## Hola

Texto.
"""


def lesson(body: str = "## Hola\n\nTexto.\n", **front: str) -> str:
    fields = {
        "id": "ls-welcome",
        "kind": "lesson",
        "title": "Bienvenida",
        "minutes": "1",
        "sources": "[https://www.sii.cl]",
    }
    fields.update(front)
    lines = [f"{k}: {v}" for k, v in fields.items() if v != "DELETE"]
    return "---\n" + "\n".join(lines) + "\n---\n" + body


QUIZ = """---
id: ls-check
kind: quiz
title: Prueba
minutes: 3
graded: true
pass_mark: 100
questions:
  - id: q1
    text: "¿Cuánto es el IVA?"
    options:
      - id: a
        text: "19%"
        correct: {correct}
        feedback: "¡Bien!"
      - id: b
        text: "10%"
        {feedback}
---
"""

WORKSHOP = """---
id: ls-workshop
kind: workshop
title: Taller en vivo
minutes: 120
duration_minutes: 120
{extra}
---
Un taller en línea.
"""
ES_WORKSHOP = "courses/ls/es/05-ls-workshop.md"
ES_LESSON = "courses/ls/es/01-ls-welcome.md"
EN_LESSON = "courses/ls/en/01-ls-welcome.md"
ES_QUIZ = "courses/ls/es/04-ls-check.md"

# (case, file to write, its text (None deletes it), expected "path:line: message" fragment)
CASES: list[tuple[str, str, str | None, str]] = [
    ("yaml syntax", "programme.yaml", "id: x\ntitle: [unclosed\n", "programme.yaml:3:"),
    (
        "yaml object tag refused",
        "programme.yaml",
        "id: !!python/object/apply:os.system ['ls']\n",
        "programme.yaml:1: YAML tag not allowed",
    ),
    ("unknown field", ES_LESSON, lesson(minuts="5"), f"{ES_LESSON}:7: unknown field 'minuts'"),
    (
        "missing required field",
        ES_LESSON,
        lesson(minutes="DELETE"),
        f"{ES_LESSON}:2: 'minutes' is required",
    ),
    ("minutes out of range", ES_LESSON, lesson(minutes="999"), f"{ES_LESSON}:5: minutes:"),
    (
        "id with capitals",
        ES_LESSON,
        lesson(id="Ls_Welcome"),
        f"{ES_LESSON}:2: id: ids use lower-case",
    ),
    ("unknown kind", ES_LESSON, lesson(kind="podcast"), f"{ES_LESSON}:3: kind:"),
    (
        "front matter not closed",
        ES_LESSON,
        "---\nid: ls-welcome\n",
        f"{ES_LESSON}:1: the front matter is not closed",
    ),
    (
        "no front matter",
        ES_LESSON,
        "# Hola\n",
        f"{ES_LESSON}:1: an activity starts with front matter",
    ),
    ("lesson without text", ES_LESSON, lesson(body=""), f"{ES_LESSON}:8: a lesson needs its text"),
    (
        "required outside a workshop",
        ES_LESSON,
        lesson(required="true"),
        f"{ES_LESSON}:7: required: 'required' belongs in a workshop",
    ),
    (
        "workshop both required and optional",
        ES_WORKSHOP,
        WORKSHOP.format(extra="required: true\noptional: true"),
        f"{ES_WORKSHOP}:7: required: a workshop cannot be both 'required' and 'optional'",
    ),
    (
        "required workshop completed by viewing",
        ES_WORKSHOP,
        WORKSHOP.format(extra="required: true\ncompletion: viewed"),
        f"{ES_WORKSHOP}:7: required: a required workshop is completed when attended",
    ),
    (
        "required is true or false",
        ES_WORKSHOP,
        WORKSHOP.format(extra="required: sometimes"),
        f"{ES_WORKSHOP}:7: required:",
    ),
    (
        "lesson without sources",
        ES_LESSON,
        lesson(sources="[]"),
        f"{ES_LESSON}:2: a lesson needs 'sources'",
    ),
    ("source is not a URL", ES_LESSON, lesson(sources="[not a url]"), f"{ES_LESSON}:6: sources.0:"),
    (
        "missing English file",
        EN_LESSON,
        None,
        f"{ES_LESSON}: missing translation: en/01-ls-welcome.md",
    ),
    (
        "id differs between languages",
        EN_LESSON,
        lesson(id="ls-hello"),
        f"{EN_LESSON}:2: id differs from es/",
    ),
    (
        "non-text field differs",
        EN_LESSON,
        lesson(minutes="6", checked_on="2026-11-26"),
        f"{EN_LESSON}:5: 'minutes' differs from the Spanish file",
    ),
    (
        "missing translation in a map",
        "courses/ls/course.yaml",
        "id: ls\ntitle: {es: Hola}\nsummary: {es: a, en: b}\nmodules:\n  - id: m1\n    title: {es: a, en: b}\n    activities: [ls-welcome]\n",
        "courses/ls/course.yaml:2: title.en: missing translation (en)",
    ),
    (
        "quiz without a correct answer",
        ES_QUIZ,
        QUIZ.format(correct="false", feedback='feedback: "No."'),
        f"{ES_QUIZ}:11: questions.0.options: a question needs at least one correct option",
    ),
    (
        "option without feedback",
        ES_QUIZ,
        QUIZ.format(correct="true", feedback=""),
        f"{ES_QUIZ}:16: questions.0.options.1.feedback: every option needs feedback",
    ),
    (
        "quiz without pass mark",
        ES_QUIZ,
        QUIZ.format(correct="true", feedback='feedback: "No."').replace("pass_mark: 100\n", ""),
        f"{ES_QUIZ}:2: pass_mark: a quiz needs 'pass_mark'",
    ),
    (
        "field of another kind",
        ES_LESSON,
        lesson(prompt="'¿Qué?'"),
        f"{ES_LESSON}:7: prompt: 'prompt' does not belong in a lesson",
    ),
    (
        "completion not allowed",
        ES_LESSON,
        lesson(completion="passed"),
        f"{ES_LESSON}:7: completion: a lesson is completed when: viewed",
    ),
    (
        "unknown activity in a module",
        "courses/ls/course.yaml",
        "id: ls\ntitle: {es: a, en: b}\nsummary: {es: a, en: b}\nmodules:\n  - id: m1\n    title: {es: a, en: b}\n    activities:\n      - ls-welcome\n      - ls-ghost\n",
        "courses/ls/course.yaml:9: unknown activity 'ls-ghost'",
    ),
    (
        "activity not listed",
        "courses/ls/es/09-extra.md",
        lesson(id="ls-extra"),
        "courses/ls/es/09-extra.md: missing translation",
    ),
    (
        "unknown course in a pathway",
        "pathways/employment.yaml",
        "id: employment\ntitle: {es: a, en: b}\ndescription: {es: a, en: b}\nlevels:\n  basic:\n    title: {es: a, en: b}\n    description: {es: a, en: b}\n    courses:\n      - emp-diag\n      - emp-ghost\n  advanced:\n    title: {es: a, en: b}\n    description: {es: a, en: b}\n    courses: [emp-diag]\n",
        "pathways/employment.yaml:10: unknown course 'emp-ghost'",
    ),
    (
        "pathway id must match file",
        "pathways/employment.yaml",
        "id: jobs\ntitle: {es: a, en: b}\ndescription: {es: a, en: b}\nlevels:\n  basic:\n    title: {es: a, en: b}\n    description: {es: a, en: b}\n    courses: [emp-diag]\n  advanced:\n    title: {es: a, en: b}\n    description: {es: a, en: b}\n    courses: [emp-diag]\n",
        "pathways/employment.yaml:1: id 'jobs' must match the file name",
    ),
    (
        "unknown prerequisite",
        "courses/ent-plan/course.yaml",
        "id: ent-plan\ntitle: {es: a, en: b}\nsummary: {es: a, en: b}\nprerequisites:\n  - nope\nmodules:\n  - id: m1\n    title: {es: a, en: b}\n    activities: [ent-plan-intro]\n",
        "courses/ent-plan/course.yaml:5: unknown prerequisite course 'nope'",
    ),
    (
        "prerequisite cycle",
        "courses/ls/course.yaml",
        "id: ls\ntitle: {es: a, en: b}\nsummary: {es: a, en: b}\nprerequisites: [ent-idea]\nmodules:\n  - id: m1\n    title: {es: a, en: b}\n    activities: [ls-welcome, ls-story, ls-strengths, ls-check, ls-workshop]\n",
        "courses/ls/course.yaml:4: prerequisites go round in a circle",
    ),
    (
        "unknown pathway in programme",
        "programme.yaml",
        "id: p\ntitle: {es: a, en: b}\ndescription: {es: a, en: b}\npathways:\n  - entrepreneurship\n  - leadership\n",
        "programme.yaml:6: unknown pathway 'leadership'",
    ),
    (
        "script tag",
        ES_LESSON,
        lesson(body="Hola\n\n<script>alert(1)</script>\n"),
        f"{ES_LESSON}:10: unsafe HTML: <script> is not allowed",
    ),
    (
        "event handler",
        ES_LESSON,
        lesson(body="Hola\n\n<img src=x.png alt=a onerror=alert(1)>\n"),
        f"{ES_LESSON}:10: unsafe HTML: event handler 'onerror'",
    ),
    (
        "iframe",
        ES_LESSON,
        lesson(body='<iframe src="https://evil.example"></iframe>\n'),
        f"{ES_LESSON}:8: unsafe HTML: <iframe> is not allowed",
    ),
    (
        "style attribute",
        ES_LESSON,
        lesson(body='<p style="x:expression(alert(1))">a</p>\n'),
        f"{ES_LESSON}:8: unsafe HTML: 'style' on <p>",
    ),
    (
        "javascript link",
        ES_LESSON,
        lesson(body="Hola\n\n[clic](javascript:alert(1))\n"),
        f"{ES_LESSON}:10: unsafe link",
    ),
    (
        "svg with script",
        ES_LESSON,
        lesson(body="<svg onload=alert(1)></svg>\n"),
        f"{ES_LESSON}:8: unsafe HTML: <svg> is not allowed",
    ),
    (
        "broken image",
        ES_LESSON,
        lesson(body="Hola\n\n![una feria](../../../media/nope.svg)\n"),
        f"{ES_LESSON}:10: broken image '../../../media/nope.svg': no such file",
    ),
    (
        "image without alt text",
        ES_LESSON,
        lesson(body="![](../../../media/ls-story.es.ogg)\n"),
        f"{ES_LESSON}:8: image '../../../media/ls-story.es.ogg' needs alt text",
    ),
    (
        "path traversal",
        ES_LESSON,
        lesson(body="[x](../../../../../etc/passwd)\n"),
        f"{ES_LESSON}:8: broken link '../../../../../etc/passwd': the path leaves the content folder",
    ),
    (
        "missing media file",
        "courses/ls/es/02-ls-story.md",
        "---\nid: ls-story\nkind: media\ntitle: Historia\nminutes: 3\nmedia:\n  type: audio\n  src: ../../../media/nope.ogg\n  duration_seconds: 60\nlow_bandwidth:\n  type: text\n---\nTexto.\n",
        "courses/ls/es/02-ls-story.md:8: missing media file '../../../media/nope.ogg': no such file",
    ),
    (
        "video from an unlisted host",
        "courses/ls/es/02-ls-story.md",
        "---\nid: ls-story\nkind: media\ntitle: Historia\nminutes: 3\nmedia:\n  type: video\n  src: https://evil.example/v.mp4\n  duration_seconds: 60\nlow_bandwidth:\n  type: text\n---\nTexto.\n",
        "courses/ls/es/02-ls-story.md:8: videos are embedded only from",
    ),
    (
        "media without transcript",
        "courses/ls/es/02-ls-story.md",
        "---\nid: ls-story\nkind: media\ntitle: Historia\nminutes: 3\nmedia:\n  type: audio\n  src: ../../../media/ls-story.es.ogg\n  duration_seconds: 60\nlow_bandwidth:\n  type: text\n---\n",
        "courses/ls/es/02-ls-story.md:13: a media needs its transcript",
    ),
    (
        "placement unknown question",
        "placement.yaml",
        "questions:\n  - id: goal\n    text: {es: a, en: b}\n    options:\n      - {id: x, text: {es: a, en: b}}\n      - {id: y, text: {es: a, en: b}}\nrules:\n  - id: r\n    when:\n      ghost: [x]\n    place: {pathway: employment, level: basic}\n    reason: {es: a, en: b}\nfallback:\n  place: {pathway: employment, level: basic}\n  reason: {es: a, en: b}\n",
        "placement.yaml:10: unknown question 'ghost'",
    ),
    (
        "placement unknown option",
        "placement.yaml",
        "questions:\n  - id: goal\n    text: {es: a, en: b}\n    options:\n      - {id: x, text: {es: a, en: b}}\n      - {id: y, text: {es: a, en: b}}\nrules:\n  - id: r\n    when:\n      goal: [z]\n    place: {pathway: employment, level: basic}\n    reason: {es: a, en: b}\nfallback:\n  place: {pathway: employment, level: basic}\n  reason: {es: a, en: b}\n",
        "placement.yaml:10: question 'goal' has no option 'z'",
    ),
    (
        "placement unknown pathway",
        "placement.yaml",
        "questions:\n  - id: goal\n    text: {es: a, en: b}\n    options:\n      - {id: x, text: {es: a, en: b}}\n      - {id: y, text: {es: a, en: b}}\nfallback:\n  place:\n    pathway: sewing\n    level: basic\n  reason: {es: a, en: b}\n",
        "placement.yaml:9: unknown pathway 'sewing'",
    ),
    (
        "placement unknown course",
        "placement.yaml",
        "questions:\n  - id: goal\n    text: {es: a, en: b}\n    options:\n      - {id: x, text: {es: a, en: b}}\n      - {id: y, text: {es: a, en: b}}\nadjustments:\n  - id: a\n    when: {goal: [x]}\n    skip:\n      - ghost-course\n    reason: {es: a, en: b}\nfallback:\n  place: {pathway: employment, level: basic}\n  reason: {es: a, en: b}\n",
        "placement.yaml:11: unknown course 'ghost-course'",
    ),
    ("missing programme file", "programme.yaml", None, "programme.yaml: file is missing"),
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(GOOD, root)
    return root


def messages(errors: list[ContentError]) -> list[str]:
    return [str(e) for e in errors]


def test_the_test_programme_is_valid() -> None:
    document, errors = compile_tree(GOOD, today=REVIEW_DAY)
    assert errors == []
    catalogue = build_catalogue(document)
    assert set(catalogue.pathways) == {"entrepreneurship", "employment"}


@pytest.mark.parametrize(("case", "path", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_reports_file_and_line(
    tree: Path, case: str, path: str, text: str | None, expected: str
) -> None:
    target = tree / path
    if text is None:
        target.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    _, errors = compile_tree(tree)
    found = messages(errors)
    assert any(expected in message for message in found), "\n".join(found)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("programme.yaml", ""),
        ("courses/ls/course.yaml", "# nothing yet\n"),
        (ES_LESSON, "---\n---\n## Hola\n\nTexto.\n"),
        ("support/referrals.yaml", ""),
    ],
)
def test_an_empty_file_is_reported_not_skipped(tree: Path, path: str, text: str) -> None:
    """The tree and the programme data read their YAML through one reader: an empty file (or
    front matter) was skipped in silence by the tree, and an empty programme.yaml was valid."""
    (tree / path).write_text(text, encoding="utf-8")
    _, errors = compile_tree(tree)
    found = messages(errors)
    assert f"{path}:1: expected a YAML mapping (key: value lines)" in found, "\n".join(found)


def test_a_required_workshop_is_flagged_and_changes_no_other_fingerprint(tree: Path) -> None:
    before, errors = compile_tree(tree)
    assert errors == []
    for locale in ("es", "en"):
        path = tree / f"courses/ls/{locale}/05-ls-workshop.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("kind: workshop\n", "kind: workshop\nrequired: true\n"))
    after, errors = compile_tree(tree)
    assert errors == []
    catalogue, old = build_catalogue(after), build_catalogue(before)
    assert catalogue.activities["ls-workshop"].required
    assert not old.activities["ls-workshop"].required
    assert not any(a.required for a in catalogue.activities.values() if a.id != "ls-workshop")
    changed = {
        a.id
        for a in catalogue.activities.values()
        if a.fingerprint != old.activities[a.id].fingerprint
    }
    assert changed == {"ls-workshop"}  # progress on every other activity survives a migration


def test_duplicate_activity_ids_across_courses(tree: Path) -> None:
    for locale in ("es", "en"):
        (tree / f"courses/ent-plan/{locale}/01-ent-plan-intro.md").write_text(
            lesson(id="ls-welcome")
        )
    _, errors = compile_tree(tree)
    # Courses are read in name order: the second one read carries the error.
    assert any(
        "duplicate activity id 'ls-welcome' (also in courses/ent-plan/es/01-ent-plan-intro.md)"
        in str(e)
        and e.path == "courses/ls/es/01-ls-welcome.md"
        and e.line == 2
        for e in errors
    ), messages(errors)


def test_an_invalid_activity_is_reported_once(tree: Path) -> None:
    (tree / ES_LESSON).write_text(lesson(minutes="DELETE"))
    _, errors = compile_tree(tree)
    assert messages(errors) == [f"{ES_LESSON}:2: 'minutes' is required"]


def test_all_problems_are_reported_not_just_the_first(tree: Path) -> None:
    (tree / ES_LESSON).write_text(lesson(minuts="5", body="<script>x</script>\n"))
    (tree / "programme.yaml").write_text("id: BAD\n")
    _, errors = compile_tree(tree)
    files = {e.path for e in errors}
    assert {ES_LESSON, "programme.yaml"} <= files
    assert len(errors) >= 4


def test_the_shipped_curriculum_validates_clean() -> None:
    """No error today; and on the day of its review, not even a warning (minutes, dates)."""
    _, errors = compile_tree(REAL)
    assert messages(blocking(errors)) == []
    _, errors = compile_tree(REAL, today=REVIEW_DAY)
    assert messages(errors) == []


def test_the_shipped_curriculum_is_big_enough_and_bilingual() -> None:
    document, errors = compile_tree(REAL)
    assert not blocking(errors)
    catalogue = build_catalogue(document)
    assert len(catalogue.activities) >= 40
    kinds = {a.kind for a in catalogue.activities.values()}
    assert kinds == {"lesson", "media", "quiz", "reflection", "worksheet", "workshop"}
    for activity in catalogue.activities.values():
        assert activity.title.es and activity.title.en
    worksheets = {a.id for a in catalogue.activities.values() if a.kind == "worksheet"}
    assert any("bmc" in w or "canvas" in w for w in worksheets)
    assert any("cv" in w for w in worksheets)


def test_digest_changes_with_any_file(tree: Path) -> None:
    before = tree_digest(tree)
    assert tree_digest(tree) == before
    (tree / ES_LESSON).write_text(lesson(title="Hola"))
    assert tree_digest(tree) != before


def test_activity_fingerprint_changes_only_when_the_activity_does(tree: Path) -> None:
    first, _ = compile_tree(tree)
    (tree / ES_LESSON).write_text(lesson(title="Bienvenida otra vez"))
    second, _ = compile_tree(tree)
    assert (
        first["activities"]["ls-welcome"]["fingerprint"]
        != second["activities"]["ls-welcome"]["fingerprint"]
    )
    assert (
        first["activities"]["ls-check"]["fingerprint"]
        == second["activities"]["ls-check"]["fingerprint"]
    )


# ----------------------------------------------------------------- review dates and minutes
def write_lesson(tree: Path, **front: str) -> None:
    """The test lesson in both languages, with the same front matter."""
    for path in (ES_LESSON, EN_LESSON):
        (tree / path).write_text(lesson(**front), encoding="utf-8")


def warnings(errors: list[ContentError]) -> list[str]:
    return [str(e) for e in errors if e.is_warning]


def test_checked_on_is_required_when_there_are_sources(tree: Path) -> None:
    write_lesson(tree)
    _, errors = compile_tree(tree, today=REVIEW_DAY)
    assert messages(errors) == [
        f"{ES_LESSON}:6: 'checked_on' is required when there are 'sources': "
        "the day the facts were last checked (YYYY-MM-DD)"
    ]
    assert not errors[0].is_warning


def test_checked_on_is_not_required_without_sources() -> None:
    assert review_problems({"sources": [], "checked_on": None}, REVIEW_DAY) == []


def test_fresh_dates_give_no_warning(tree: Path) -> None:
    write_lesson(tree, checked_on="2026-01-10", review_by="2027-01-01")
    _, errors = compile_tree(tree, today=REVIEW_DAY)
    assert errors == []


def test_facts_checked_more_than_twelve_months_ago_warn(tree: Path) -> None:
    write_lesson(tree, checked_on="2025-11-25")
    _, errors = compile_tree(tree, today=REVIEW_DAY)
    assert warnings(errors) == [
        f"{ES_LESSON}:7: warning: facts last checked on 2025-11-25, more than 12 months ago: "
        "check them against the sources again"
    ]
    assert blocking(errors) == []
    # Exactly twelve months is still fresh.
    write_lesson(tree, checked_on="2025-11-26")
    assert compile_tree(tree, today=REVIEW_DAY)[1] == []


def test_a_passed_review_date_warns(tree: Path) -> None:
    write_lesson(tree, checked_on="2026-11-01", review_by="2026-11-25")
    _, errors = compile_tree(tree, today=REVIEW_DAY)
    assert warnings(errors) == [
        f"{ES_LESSON}:8: warning: review_by 2026-11-25 has passed: check the time-bound figures "
        "(wages, hours, rates) and set a new date"
    ]
    assert blocking(errors) == []
    # The review day itself has not passed yet.
    write_lesson(tree, checked_on="2026-11-01", review_by="2026-11-26")
    assert compile_tree(tree, today=REVIEW_DAY)[1] == []


def test_a_check_dated_in_the_future_warns(tree: Path) -> None:
    write_lesson(tree, checked_on="2062-11-26")
    _, errors = compile_tree(tree, today=REVIEW_DAY)
    assert warnings(errors) == [f"{ES_LESSON}:7: warning: checked_on 2062-11-26 is in the future"]


def test_today_defaults_to_the_real_date() -> None:
    long_ago = {"sources": ["https://www.sii.cl"], "checked_on": date(2000, 1, 1)}
    assert [p[1] for p in review_problems(long_ago)] == ["warning"]


def test_review_dates_must_be_dates(tree: Path) -> None:
    write_lesson(tree, checked_on="26-11-2026")
    _, errors = compile_tree(tree, today=REVIEW_DAY)
    assert f"{ES_LESSON}:7: checked_on: must be a date written YYYY-MM-DD" in messages(errors)


def test_review_dates_must_agree_across_languages(tree: Path) -> None:
    write_lesson(tree, checked_on="2026-11-26", review_by="2027-05-01")
    (tree / EN_LESSON).write_text(lesson(checked_on="2026-11-26", review_by="2027-06-01"))
    _, errors = compile_tree(tree, today=REVIEW_DAY)
    assert messages(errors) == [
        f"{EN_LESSON}:8: 'review_by' differs from the Spanish file 01-ls-welcome.md: "
        "only texts may differ"
    ]


def test_review_dates_stay_out_of_the_compiled_document(tree: Path) -> None:
    write_lesson(tree, checked_on="2026-11-26", review_by="2027-05-01")
    document, errors = compile_tree(tree, today=REVIEW_DAY)
    assert errors == []
    compiled = document["activities"]["ls-welcome"]
    assert "checked_on" not in compiled and "review_by" not in compiled
    assert "2026-11-26" not in str(compiled)


def test_the_json_schema_describes_review_dates() -> None:
    from courses.authoring.schema import export_json_schema

    activity = export_json_schema()["$defs"]["activity"]["properties"]
    assert activity["checked_on"] == {"type": "string", "format": "date"}
    assert activity["review_by"] == {"type": "string", "format": "date"}


def test_words_are_counted_without_markup() -> None:
    text = "## Hola\n\n| a | b |\n|---|---|\n\n- Lee [esto](https://www.sii.cl/una/ruta) hoy.\n"
    assert count_words(text) == 6  # Hola, a, b, Lee, [esto], hoy.


@pytest.mark.parametrize(
    ("words", "minutes", "warned"),
    [
        (300, 3, False),
        (300, 2, False),  # 2 is not less than half of 3
        (300, 6, False),
        (300, 7, True),  # more than double
        (300, 1, True),  # less than half
        (30, 2, False),  # a very short text may take a minute or two
        (30, 3, True),
    ],
)
def test_minutes_far_from_the_reading_time_warn(
    tree: Path, words: int, minutes: int, warned: bool
) -> None:
    body = "## Hola\n\n" + " ".join(["palabra"] * (words - 1)) + "\n"
    for path in (ES_LESSON, EN_LESSON):
        (tree / path).write_text(
            lesson(body=body, minutes=str(minutes), checked_on="2026-11-26"), encoding="utf-8"
        )
    _, errors = compile_tree(tree, today=REVIEW_DAY)
    assert blocking(errors) == []
    found = [w for w in warnings(errors) if "is far from the reading time" in w]
    assert bool(found) == warned, found
    if warned:
        assert any(w.startswith(f"{ES_LESSON}:5: warning: minutes: {minutes} ") for w in found)
        assert len(found) == 2  # one per language file


def test_every_lesson_of_the_curriculum_shows_minutes_that_fit_its_text() -> None:
    """The pages show the authored `minutes`; in the shipped curriculum each one is within the
    validator's range of the text's reading time (and the recording's length), in both
    languages."""
    _, errors = compile_tree(REAL, today=REVIEW_DAY)
    assert [w for w in warnings(errors) if "is far from the reading time" in w] == []


def test_a_recording_counts_its_duration_and_its_transcript(tree: Path) -> None:
    """200 words (2 min) plus 3 minutes of audio: 5 min fits, 11 min does not."""
    transcript = " ".join(["palabra"] * 200) + "\n"
    for minutes, warned in ((5, False), (11, True)):
        for locale in ("es", "en"):
            (tree / f"courses/ls/{locale}/02-ls-story.md").write_text(
                "---\nid: ls-story\nkind: media\ntitle: Historia\n"
                f"minutes: {minutes}\nmedia:\n  type: audio\n"
                f"  src: ../../../media/ls-story.{locale}.ogg\n  duration_seconds: 180\n"
                "low_bandwidth:\n  type: text\n---\n" + transcript,
                encoding="utf-8",
            )
        _, errors = compile_tree(tree, today=REVIEW_DAY)
        assert blocking(errors) == []
        assert bool(warnings(errors)) == warned, warnings(errors)
