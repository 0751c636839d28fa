"""Programme data as content: Chile's communes, the referral directory, the mentoring topics and
the follow-up surveys. Each rule of the three files has a broken version that must be reported
with its file and line; the shipped files must be complete and valid."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from courses import geography
from courses.authoring.errors import ContentError, blocking
from courses.authoring.programme_data import compile_programme_data
from courses.authoring.tree import compile_tree
from courses.catalogue import build_catalogue
from courses.programme_data import NATIONAL, OUTCOMES, REFERRAL_KINDS, referrals_for
from lti_tool.web.forms import REGIONS as STORED_REGION_SLUGS

GOOD = Path(__file__).parent.parent / "data" / "content"
REAL = Path(__file__).parent.parent.parent / "content"
TODAY = date(2026, 11, 26)
REFERRALS = "support/referrals.yaml"
MENTORING = "mentoring/topics.yaml"
SURVEYS = "followup/surveys.yaml"


# ----------------------------------------------------------------------------- geography
def test_chile_has_16_regions_and_346_communes_with_unique_codes() -> None:
    assert len(geography.REGIONS) == 16
    assert len(geography.COMMUNES) == 346
    codes = [c.code for c in geography.COMMUNES]
    assert len(set(codes)) == 346
    assert all(len(code) == 5 and code.isdigit() for code in codes)
    assert len({geography._key(c.name) for c in geography.COMMUNES}) == 346  # names are unique


def test_region_slugs_are_the_ones_the_app_stores() -> None:
    assert geography.REGION_SLUGS == STORED_REGION_SLUGS


def test_every_region_has_its_communes_and_codes_start_with_the_region() -> None:
    expected = {
        "arica-parinacota": 4,
        "tarapaca": 7,
        "antofagasta": 9,
        "atacama": 9,
        "coquimbo": 15,
        "valparaiso": 38,
        "metropolitana": 52,
        "ohiggins": 33,
        "maule": 30,
        "nuble": 21,
        "biobio": 33,
        "araucania": 32,
        "los-rios": 12,
        "los-lagos": 30,
        "aysen": 10,
        "magallanes": 11,
    }
    assert {r.slug: len(geography.communes_of(r.slug)) for r in geography.REGIONS} == expected
    for region in geography.REGIONS:
        assert all(c.code[:2] == region.code for c in geography.communes_of(region.slug))


@pytest.mark.parametrize(
    ("code", "name", "region"),
    [
        ("13101", "Santiago", "metropolitana"),
        ("09101", "Temuco", "araucania"),
        ("02101", "Antofagasta", "antofagasta"),
        ("05101", "Valparaíso", "valparaiso"),
        ("08101", "Concepción", "biobio"),
        ("15101", "Arica", "arica-parinacota"),
        ("12101", "Punta Arenas", "magallanes"),
        ("16101", "Chillán", "nuble"),
        ("01107", "Alto Hospicio", "tarapaca"),
        ("05804", "Villa Alemana", "valparaiso"),
        ("14101", "Valdivia", "los-rios"),
    ],
)
def test_spot_checks(code: str, name: str, region: str) -> None:
    commune = geography.commune(code)
    assert commune is not None
    assert (commune.name, commune.region) == (name, region)


def test_lookups() -> None:
    assert geography.commune("99999") is None
    assert geography.commune("8101") is None  # codes keep their leading zero
    assert geography.region("ohiggins").name == "Región del Libertador General Bernardo O'Higgins"
    with pytest.raises(KeyError):
        geography.communes_of("santiago")
    found = geography.find_commune("  NUNOA ")
    assert found is not None and found.code == "13120"
    alias = geography.find_commune("Coyhaique")
    assert alias is not None and alias.code == "11101"
    assert geography.find_commune("Gotham") is None


# ------------------------------------------------------------------ the test programme
def test_the_test_programme_data_compiles_into_the_catalogue() -> None:
    document, problems = compile_tree(GOOD, today=TODAY)
    assert problems == []
    json.dumps(document)  # stored as JSON
    catalogue = build_catalogue(document)
    assert [r.id for r in catalogue.referrals] == [
        "fono-1455",
        "carabineros-133",
        "rm-asistencia-judicial",
    ]
    first = catalogue.referrals[0]
    assert first.checked_on == date(2026, 11, 26)
    assert first.hours is not None and first.hours.get("en").startswith("Monday")
    assert catalogue.mentoring is not None
    assert catalogue.mentoring.sign_up_requires == "pathway-complete"
    assert [t.id for t in catalogue.mentoring.topics] == ["financing", "ecommerce"]
    topic = catalogue.mentoring.topic("ecommerce")
    assert topic is not None and topic.title.get("en") == "Selling online"
    assert catalogue.mentoring.topic("knitting") is None
    months = {s.id: s.months_after_completion for s in catalogue.surveys}
    assert months == {"followup-3m": 3, "followup-6m": 6}
    income = catalogue.surveys[1].question_for("income")
    assert income is not None and [o for o, _ in income.options] == ["less", "same", "more"]
    formal = catalogue.surveys[0].question_for("formal-job")
    assert formal is not None and formal.help is not None and formal.required is False
    assert catalogue.surveys[1].question_for("formal-job") is None
    text = catalogue.surveys[0].questions[-1]
    assert (text.kind, text.outcome, text.options, text.required) == ("text", None, (), False)


def test_her_region_comes_first_then_national_services() -> None:
    document, _ = compile_tree(GOOD, today=TODAY)
    referrals = build_catalogue(document).referrals
    local = [r.id for r in referrals_for(referrals, "metropolitana")]
    assert local == ["rm-asistencia-judicial", "fono-1455", "carabineros-133"]
    assert [r.id for r in referrals_for(referrals, "maule")] == ["fono-1455", "carabineros-133"]
    assert [r.id for r in referrals_for(referrals, None)] == ["fono-1455", "carabineros-133"]


def test_a_tree_without_programme_data_has_empty_sections(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(GOOD, root)
    for folder in ("support", "mentoring", "followup"):
        shutil.rmtree(root / folder)
    document, problems = compile_tree(root, today=TODAY)
    assert problems == []
    assert (document["referrals"], document["mentoring"], document["surveys"]) == ([], None, [])
    catalogue = build_catalogue(document)
    assert (catalogue.referrals, catalogue.mentoring, catalogue.surveys) == ((), None, ())


def test_an_old_document_without_these_sections_still_builds() -> None:
    document, _ = compile_tree(GOOD, today=TODAY)
    for key in ("referrals", "mentoring", "surveys"):
        del document[key]  # a version imported before programme data existed
    catalogue = build_catalogue(document)
    assert catalogue.referrals == () and catalogue.surveys == ()


# -------------------------------------------------------------------- the shipped files
def test_the_shipped_programme_data_is_valid() -> None:
    _, problems = compile_programme_data(REAL, today=TODAY)
    assert [str(p) for p in problems] == []


def test_the_shipped_directory_has_the_national_services_and_five_regions() -> None:
    sections, _ = compile_programme_data(REAL, today=TODAY)
    referrals = sections["referrals"]
    phones = {r["phone"] for r in referrals if r["region"] == NATIONAL and r.get("phone")}
    assert {"1455", "149", "133", "131", "600 360 7777", "101"} <= phones
    ids = {r["id"] for r in referrals}
    for wanted in (
        "centros-de-la-mujer",
        "chile-crece-contigo",
        "junji",
        "integra",
        "programa-4-a-7",
        "serviu",
        "asistencia-judicial",
        "migraciones",
        "apoyo-victimas",
    ):
        assert wanted in ids
    for region in ("metropolitana", "valparaiso", "biobio", "araucania", "antofagasta"):
        kinds = {r["kind"] for r in referrals if r["region"] == region}
        assert "violence" in kinds and len([r for r in referrals if r["region"] == region]) >= 3
    for referral in referrals:
        assert referral["source"].startswith("https://")
        assert referral["kind"] in REFERRAL_KINDS
        assert referral["description"]["es"] and referral["description"]["en"]


def test_the_shipped_mentoring_topics_and_surveys() -> None:
    sections, _ = compile_programme_data(REAL, today=TODAY)
    topics = {t["id"] for t in sections["mentoring"]["topics"]}
    assert {
        "financing",
        "ecommerce",
        "digital-marketing",
        "entrepreneurial-skills",
        "communication-leadership",
        "employability",
    } <= topics
    assert sections["mentoring"]["sign_up"] == {"requires": "pathway-complete"}
    surveys = {s["id"]: s for s in sections["surveys"]}
    assert {s["months_after_completion"] for s in surveys.values()} == {3, 6}
    for survey in surveys.values():
        outcomes = [q["outcome"] for q in survey["questions"] if q["kind"] == "single"]
        assert sorted(outcomes) == sorted(OUTCOMES)
        income = next(q for q in survey["questions"] if q["id"] == "income")
        assert [o["id"] for o in income["options"]] == [
            "much-less",
            "less",
            "same",
            "more",
            "much-more",
            "prefer-not",
        ]
        assert any(q["kind"] == "text" and not q["required"] for q in survey["questions"])


# ------------------------------------------------------------------------ broken files
def referral(**changes: str) -> str:
    """A one-entry directory; a change of "DELETE" removes the field. Lines: 1 `referrals:`,
    2 id, 3 region, 4 kind, 5 name, 6 description, 7 source, 8 checked_on, 9+ extra fields."""
    fields = {
        "id": "a",
        "region": "national",
        "kind": "violence",
        "name": '{es: "A", en: "A"}',
        "description": '{es: "Llama.", en: "Call."}',
        "source": "https://www.sernameg.gob.cl/",
        "checked_on": "2026-11-01",
    }
    fields.update(changes)
    lines = [f"{k}: {v}" for k, v in fields.items() if v != "DELETE"]
    return "referrals:\n  - " + "\n    ".join(lines) + "\n"


TWO_REFERRALS = referral() + referral().replace("referrals:\n", "")
TOPICS = """sign_up:
  requires: {requires}
topics:
  - id: financing
    title: {{es: "Fondos", en: "Funds"}}
    description:
      es: "{description}"
      en: "Grants."
"""


def topics(requires: str = "pathway-complete", description: str = "Fondos.") -> str:
    return TOPICS.format(requires=requires, description=description)


def survey(question: str, *, survey_id: str = "s3", months: int = 3) -> str:
    """One survey holding `question` (YAML of one list item, indented by 6). Lines: 1
    `surveys:`, 2 id, 3 months, 4 title, 5 intro, 6 `questions:`, 7+ the question."""
    return (
        f"  - id: {survey_id}\n    months_after_completion: {months}\n"
        '    title: {es: "T", en: "T"}\n    intro: {es: "I", en: "I"}\n    questions:\n' + question
    )


def single(qid: str = "income", outcome: str = "income", options: str = "[a, b]") -> str:
    ids = [o.strip() for o in options.strip("[]").split(",") if o.strip()]
    listed = "".join(f"          - {{id: {o}, text: {{es: x, en: x}}}}\n" for o in ids)
    return (
        f"      - id: {qid}\n        kind: single\n        outcome: {outcome}\n"
        f"        text: {{es: q, en: q}}\n        options:\n{listed}"
    )


TEXT_WITH_OPTIONS = (
    "      - id: changed\n        kind: text\n        text: {es: q, en: q}\n        options:\n"
    "          - {id: a, text: {es: x, en: x}}\n"
)
SINGLE_WITHOUT_OUTCOME = (
    "      - id: income\n        kind: single\n        text: {es: q, en: q}\n        options:\n"
    "          - {id: a, text: {es: x, en: x}}\n          - {id: b, text: {es: x, en: x}}\n"
)

# (case, file, its text, expected "path:line: message" fragment)
CASES: list[tuple[str, str, str, str]] = [
    (
        "source missing",
        REFERRALS,
        referral(source="DELETE"),
        f"{REFERRALS}:2: 'referrals.0.source' is required",
    ),
    (
        "source not https",
        REFERRALS,
        referral(source="http://www.sernameg.gob.cl/"),
        f"{REFERRALS}:7: referrals.0.source: must be a public https:// address",
    ),
    (
        "source not a URL",
        REFERRALS,
        referral(source="SernamEG"),
        f"{REFERRALS}:7: referrals.0.source: must be a public https:// address",
    ),
    (
        "url not https",
        REFERRALS,
        referral(url="http://x.cl"),
        f"{REFERRALS}:9: referrals.0.url: must be a public https:// address",
    ),
    (
        "checked_on missing",
        REFERRALS,
        referral(checked_on="DELETE"),
        f"{REFERRALS}:2: 'referrals.0.checked_on' is required",
    ),
    (
        "checked_on not a date",
        REFERRALS,
        referral(checked_on="26/11/2026"),
        f"{REFERRALS}:8: referrals.0.checked_on: write the date as YYYY-MM-DD",
    ),
    (
        "checked_on in the future",
        REFERRALS,
        referral(checked_on="2027-01-05"),
        f"{REFERRALS}:8: checked_on 2027-01-05 is in the future",
    ),
    (
        "unknown region",
        REFERRALS,
        referral(region="santiago"),
        f"{REFERRALS}:3: referrals.0.region: must be 'national' or a region slug",
    ),
    (
        "unknown kind",
        REFERRALS,
        referral(kind="food"),
        f"{REFERRALS}:4: referrals.0.kind: Must be one of",
    ),
    (
        "missing English description",
        REFERRALS,
        referral(description='{es: "Llama."}'),
        f"{REFERRALS}:6: referrals.0.description.en: missing translation (en)",
    ),
    (
        "name missing",
        REFERRALS,
        referral(name="DELETE"),
        f"{REFERRALS}:2: 'referrals.0.name' is required",
    ),
    (
        "phone with letters",
        REFERRALS,
        referral(phone='"fono uno"'),
        f"{REFERRALS}:9: referrals.0.phone: a phone number has digits",
    ),
    (
        "unknown field",
        REFERRALS,
        referral(telefono='"1455"'),
        f"{REFERRALS}:9: unknown field 'referrals.0.telefono'",
    ),
    ("duplicate referral id", REFERRALS, TWO_REFERRALS, f"{REFERRALS}:9: duplicate id 'a'"),
    (
        "empty directory",
        REFERRALS,
        "referrals: []\n",
        f"{REFERRALS}:1: referrals: Shorter than minimum length 1.",
    ),
    ("not a mapping", REFERRALS, "- a\n- b\n", f"{REFERRALS}:1: expected a YAML mapping"),
    ("yaml syntax", REFERRALS, "referrals: [\n", f"{REFERRALS}:2:"),
    (
        "unknown sign-up rule",
        MENTORING,
        topics(requires="graduates"),
        f"{MENTORING}:2: sign_up.requires: Must be one of",
    ),
    (
        "sign-up missing",
        MENTORING,
        topics().replace("sign_up:\n  requires: pathway-complete\n", ""),
        f"{MENTORING}:1: 'sign_up' is required",
    ),
    (
        "description too long",
        MENTORING,
        topics(description="x" * 161),
        f"{MENTORING}:7: description.es: one line of 160 characters at most",
    ),
    (
        "description on two lines",
        MENTORING,
        topics(description="una\\ndos"),
        f"{MENTORING}:7: description.es: one line",
    ),
    (
        "duplicate topic id",
        MENTORING,
        topics() + topics().split("topics:\n")[1],
        f"{MENTORING}:9: duplicate id 'financing'",
    ),
    (
        "single without outcome",
        SURVEYS,
        "surveys:\n" + survey(SINGLE_WITHOUT_OUTCOME),
        f"{SURVEYS}:7: surveys.0.questions.0.outcome: a single-choice question names its outcome",
    ),
    (
        "single with one option",
        SURVEYS,
        "surveys:\n" + survey(single(options="[a]")),
        f"{SURVEYS}:11: surveys.0.questions.0.options: a single-choice question needs at least two",
    ),
    (
        "text with options",
        SURVEYS,
        "surveys:\n" + survey(TEXT_WITH_OPTIONS),
        f"{SURVEYS}:10: surveys.0.questions.0.options: a text question has no options",
    ),
    (
        "unknown outcome",
        SURVEYS,
        "surveys:\n" + survey(single(outcome="happiness")),
        f"{SURVEYS}:9: surveys.0.questions.0.outcome: Must be one of",
    ),
    (
        "duplicate question id",
        SURVEYS,
        "surveys:\n" + survey(single() + single(outcome="network")),
        f"{SURVEYS}:14: duplicate id 'income'",
    ),
    (
        "duplicate option id",
        SURVEYS,
        "surveys:\n" + survey(single(options="[a, a]")),
        f"{SURVEYS}:13: duplicate id 'a'",
    ),
    (
        "outcome measured twice",
        SURVEYS,
        "surveys:\n" + survey(single() + single(qid="money")),
        f"{SURVEYS}:16: outcome 'income' is already measured in this survey",
    ),
    (
        "two surveys the same month",
        SURVEYS,
        "surveys:\n" + survey(single()) + survey(single(), survey_id="s3b"),
        f"{SURVEYS}:15: 's3' is already sent 3 months after",
    ),
    (
        "outcome answered differently",
        SURVEYS,
        "surveys:\n"
        + survey(single())
        + survey(single(options="[b, a]"), survey_id="s6", months=6),
        f"{SURVEYS}:23: outcome 'income' has options a, b in 's3'",
    ),
    (
        "survey without questions",
        SURVEYS,
        "surveys:\n" + survey("      []\n").replace("questions:\n      []", "questions: []"),
        f"{SURVEYS}:6: surveys.0.questions: Shorter than minimum length 1.",
    ),
    (
        "missing translation in a survey",
        SURVEYS,
        "surveys:\n" + survey(single()).replace('intro: {es: "I", en: "I"}', 'intro: {es: "I"}'),
        f"{SURVEYS}:5: surveys.0.intro.en: missing translation (en)",
    ),
    (
        "months out of range",
        SURVEYS,
        "surveys:\n" + survey(single(), months=0),
        f"{SURVEYS}:3: surveys.0.months_after_completion:",
    ),
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(GOOD, root)
    return root


def test_the_broken_file_fixtures_are_valid_when_not_broken(tree: Path) -> None:
    (tree / REFERRALS).write_text(referral(phone='"+56 9 9700 7000"'), encoding="utf-8")
    (tree / MENTORING).write_text(topics(), encoding="utf-8")
    two = survey(single()) + survey(single(), survey_id="s6", months=6)
    (tree / SURVEYS).write_text("surveys:\n" + two, encoding="utf-8")
    _, problems = compile_tree(tree, today=TODAY)
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize(("case", "path", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_reports_file_and_line(
    tree: Path, case: str, path: str, text: str, expected: str
) -> None:
    (tree / path).write_text(text, encoding="utf-8")
    _, problems = compile_tree(tree, today=TODAY)
    found = [str(p) for p in problems]
    assert any(expected in message for message in found), "\n".join(found)
    assert blocking(problems), "a broken file must stop an import"


def stale(tree: Path, checked_on: str) -> list[ContentError]:
    (tree / REFERRALS).write_text(referral(checked_on=checked_on), encoding="utf-8")
    _, problems = compile_tree(tree, today=TODAY)
    return problems


def test_a_source_checked_more_than_12_months_ago_is_a_warning(tree: Path) -> None:
    problems = stale(tree, "2025-11-25")
    assert [str(p) for p in problems] == [
        f"{REFERRALS}:8: warning: 'a' was checked on 2025-11-25, more than 12 months ago: "
        "check it against its source and update checked_on"
    ]
    assert problems[0].severity == "warning"
    assert blocking(problems) == []  # the content still imports


def test_a_source_checked_exactly_12_months_ago_is_still_fresh(tree: Path) -> None:
    assert stale(tree, "2025-11-26") == []


def test_twelve_months_before_a_29th_of_february(tree: Path) -> None:
    (tree / REFERRALS).write_text(referral(checked_on="2027-02-28"), encoding="utf-8")
    _, problems = compile_programme_data(tree, today=date(2028, 2, 29))
    assert problems == []
    (tree / REFERRALS).write_text(referral(checked_on="2027-02-27"), encoding="utf-8")
    _, problems = compile_programme_data(tree, today=date(2028, 2, 29))
    assert [p.severity for p in problems] == ["warning"]


def test_today_defaults_to_the_real_date(tree: Path) -> None:
    (tree / REFERRALS).write_text(referral(checked_on="2001-01-01"), encoding="utf-8")
    _, problems = compile_tree(tree)
    assert [p.severity for p in problems] == ["warning"]
