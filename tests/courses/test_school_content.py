"""Schools (the Mentor Training School, the Leadership School): their files, the rules the
validator checks with file and line, the model the app reads, and the shipped schools."""

from __future__ import annotations

import copy
import shutil
from datetime import date
from pathlib import Path

import pytest

from courses.authoring.errors import blocking
from courses.authoring.tree import compile_tree
from courses.catalogue import build_catalogue
from courses.model import Catalogue, Course, MentorEligibility, Module, School, Text, week_starts_on

GOOD = Path(__file__).parent.parent / "data" / "content"
REAL = Path(__file__).parent.parent.parent / "content"

SCHOOL = "schools/test-school.yaml"
COURSE = "courses/ts-lead/course.yaml"


def school_yaml(**fields: str) -> str:
    """The test school's file with some fields replaced ("DELETE" removes one)."""
    values = {
        "id": "test-school",
        "title": "{es: a, en: b}",
        "description": "{es: a, en: b}",
        "audience": "invited",
        "weeks": "3",
        "courses": "[ts-lead]",
        "invitation": "{requires: pathway-complete}",
    }
    values.update(fields)
    return "".join(f"{k}: {v}\n" for k, v in values.items() if v != "DELETE")


def course_yaml(week_1: str = "1", week_2: str = "2") -> str:
    return (
        "id: ts-lead\n"
        "title: {es: a, en: b}\n"
        "summary: {es: a, en: b}\n"
        "modules:\n"
        "  - id: ts-lead-m1\n"
        "    title: {es: a, en: b}\n"
        f"    week: {week_1}\n"
        "    activities: [ts-lead-intro]\n"
        "  - id: ts-lead-m2\n"
        "    title: {es: a, en: b}\n"
        f"    week: {week_2}\n"
        "    activities: [ts-lead-next]\n"
    )


PROGRAMME = (
    "id: p\ntitle: {es: a, en: b}\ndescription: {es: a, en: b}\n"
    "pathways: [entrepreneurship, employment]\n"
)

# (case, file to write, its text, expected "path:line: message" fragment)
CASES: list[tuple[str, str, str, str]] = [
    (
        "unknown school in programme",
        "programme.yaml",
        PROGRAMME + "schools:\n  - test-school\n  - ghost-school\n",
        "programme.yaml:7: unknown school 'ghost-school'",
    ),
    (
        "unknown course in a school",
        SCHOOL,
        school_yaml(courses="\n  - ts-lead\n  - ts-ghost"),
        f"{SCHOOL}:8: unknown course 'ts-ghost'",
    ),
    (
        "school course also in a pathway",
        SCHOOL,
        school_yaml(courses="\n  - ts-lead\n  - ent-idea"),
        f"{SCHOOL}:8: course 'ent-idea' is also in pathway 'entrepreneurship'",
    ),
    (
        "course listed twice in a school",
        SCHOOL,
        school_yaml(courses="\n  - ts-lead\n  - ts-lead"),
        f"{SCHOOL}:8: course 'ts-lead' is listed twice",
    ),
    (
        "course in two schools",
        "schools/other-school.yaml",
        school_yaml(id="other-school", courses="\n  - ts-lead"),
        # Schools are read in name order: the second one read carries the error.
        f"{SCHOOL}:7: course 'ts-lead' is also in school 'other-school'",
    ),
    (
        "unknown eligibility course",
        SCHOOL,
        school_yaml(
            invitation="DELETE",
            mentor_eligibility="\n  courses:\n    - ts-lead\n    - ts-ghost\n  volunteer_hours: 8",
        ),
        f"{SCHOOL}:10: unknown course 'ts-ghost'",
    ),
    (
        "eligibility without hours",
        SCHOOL,
        school_yaml(mentor_eligibility="\n  courses: [ts-lead]"),
        f"{SCHOOL}:8: 'mentor_eligibility.volunteer_hours' is required",
    ),
    (
        "unknown audience",
        SCHOOL,
        school_yaml(audience="everyone"),
        f"{SCHOOL}:4: audience: Must be one of: volunteers, invited",
    ),
    (
        "invitation in a volunteers school",
        SCHOOL,
        school_yaml(audience="volunteers"),
        f"{SCHOOL}:7: invitation: only a school with audience 'invited'",
    ),
    (
        "unknown invitation requirement",
        SCHOOL,
        school_yaml(invitation="\n  requires: friend-of-a-friend"),
        f"{SCHOOL}:8: invitation.requires: Must be one of: pathway-complete",
    ),
    (
        "school id must match file",
        SCHOOL,
        school_yaml(id="lead-school"),
        f"{SCHOOL}:1: id 'lead-school' must match the file name",
    ),
    (
        "week zero",
        COURSE,
        course_yaml(week_1="0"),
        f"{COURSE}:7: modules.0.week: weeks are counted from 1",
    ),
    (
        "week after the school's last",
        COURSE,
        course_yaml(week_2="4"),
        f"{COURSE}:11: week 4 is after the school's last week (3)",
    ),
    (
        "weeks going back",
        COURSE,
        course_yaml(week_1="2", week_2="1"),
        f"{COURSE}:11: week 1 comes before week 2 of a module above",
    ),
    (
        "week in a school without weeks",
        SCHOOL,
        school_yaml(weeks="DELETE"),
        f"{COURSE}:8: 'week' is only for courses of a school with 'weeks'",
    ),
    (
        "week in a pathway course",
        "courses/ent-online/course.yaml",
        "id: ent-online\ntitle: {es: a, en: b}\nsummary: {es: a, en: b}\nmodules:\n"
        "  - id: m1\n    title: {es: a, en: b}\n    week: 2\n    activities: [ent-online-intro]\n",
        "courses/ent-online/course.yaml:7: 'week' is only for courses of a school with 'weeks'",
    ),
    (
        "placement adds a school course",
        "placement.yaml",
        "questions:\n  - id: goal\n    text: {es: a, en: b}\n    options:\n"
        "      - {id: x, text: {es: a, en: b}}\n      - {id: y, text: {es: a, en: b}}\n"
        "adjustments:\n  - id: a\n    when: {goal: [x]}\n    add:\n      - ts-lead\n"
        "    reason: {es: a, en: b}\n"
        "fallback:\n  place: {pathway: employment, level: basic}\n  reason: {es: a, en: b}\n",
        "placement.yaml:11: course 'ts-lead' belongs to school 'test-school': placement never",
    ),
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(GOOD, root)
    return root


@pytest.mark.parametrize(("case", "path", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_school_rule_reports_file_and_line(
    tree: Path, case: str, path: str, text: str, expected: str
) -> None:
    (tree / path).write_text(text, encoding="utf-8")
    _, errors = compile_tree(tree)
    found = [str(e) for e in blocking(errors)]
    assert any(expected in message for message in found), "\n".join(found)


def test_a_school_missing_from_the_programme_is_only_a_warning(tree: Path) -> None:
    (tree / "programme.yaml").write_text(PROGRAMME, encoding="utf-8")
    document, errors = compile_tree(tree)
    assert blocking(errors) == []
    assert [str(e) for e in errors] == [
        f"{SCHOOL}:2: warning: school 'test-school' is not listed in programme.yaml (schools): "
        "nobody sees it"
    ]
    assert build_catalogue(document).school_ids == ()


def test_the_test_school_reaches_the_catalogue() -> None:
    document, errors = compile_tree(GOOD)
    assert errors == []
    catalogue = build_catalogue(document)
    assert catalogue.school_ids == ("test-school",)
    school = catalogue.schools["test-school"]
    assert (school.audience, school.weeks, school.course_ids) == ("invited", 3, ("ts-lead",))
    assert school.invitation is not None and school.invitation.requires == "pathway-complete"
    assert school.mentor_eligibility is None
    course = catalogue.courses["ts-lead"]
    assert [m.week for m in course.modules] == [1, 2]
    assert school.opening_weeks(course) == (1, 2)
    assert catalogue.school_of("ts-lead") is school
    assert catalogue.school_of("ent-idea") is None
    # Pathway courses keep modules without a week.
    assert all(m.week is None for m in catalogue.courses["ent-idea"].modules)


def test_a_document_stored_before_schools_still_builds() -> None:
    document, _ = compile_tree(GOOD)
    old = copy.deepcopy(document)
    del old["schools"]
    del old["programme"]["schools"]
    for course in old["courses"].values():
        for module in course["modules"]:
            module.pop("week", None)
    catalogue = build_catalogue(old)
    assert catalogue.schools == {} and catalogue.school_ids == ()
    assert catalogue.courses["ts-lead"].modules[0].week is None


def test_a_module_without_a_week_opens_with_the_one_before() -> None:
    def module(week: int | None) -> Module:
        return Module(f"m{week}", Text("a", "b"), ("x",), week)

    course = Course(
        "c", Text("a", "b"), Text("a", "b"), (), None, (module(None), module(4), module(None)), 100
    )
    cohort = School("s", Text("a", "b"), Text("a", "b"), "invited", ("c",), weeks=10)
    self_paced = School("t", Text("a", "b"), Text("a", "b"), "volunteers", ("c",))
    assert cohort.opening_weeks(course) == (1, 4, 4)
    assert self_paced.opening_weeks(course) == ()


def test_weeks_count_from_the_cohort_start() -> None:
    start = date(2026, 3, 2)
    assert week_starts_on(start, 1) == start
    assert week_starts_on(start, 4) == date(2026, 3, 23)
    assert week_starts_on(start, 10) == date(2026, 5, 4)


def test_mentor_eligibility_needs_every_course_and_the_hours() -> None:
    rule = MentorEligibility(("mts-workshops", "gender-training"), 8)
    both = {"mts-workshops", "gender-training", "life-skills"}
    assert rule.is_met(both, 8)
    assert rule.is_met(both, 9.5)
    assert not rule.is_met(both, 7.5)
    assert not rule.is_met({"mts-workshops"}, 20)
    assert rule.missing_courses({"mts-workshops"}) == ("gender-training",)


# ------------------------------------------------------------------ the shipped schools
@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    document, errors = compile_tree(REAL)
    assert [str(e) for e in errors] == []
    return build_catalogue(document)


def test_the_shipped_programme_lists_both_schools(shipped: Catalogue) -> None:
    catalogue = shipped
    assert catalogue.school_ids == ("mentor-school", "leadership-school")


def test_the_mentor_school_is_ten_live_hours_then_an_internship(
    shipped: Catalogue,
) -> None:
    catalogue = shipped
    school = catalogue.schools["mentor-school"]
    assert school.audience == "volunteers" and school.weeks is None
    assert school.course_ids[-1] == "mts-internship"
    workshops = [
        a for c in school.course_ids for a in catalogue.course_activities(c) if a.kind == "workshop"
    ]
    assert len(workshops) == 5
    assert all(w.duration_minutes == 120 and w.completion == "attended" for w in workshops)
    assert not any(w.optional for w in workshops)
    eligibility = school.mentor_eligibility
    assert eligibility is not None and eligibility.volunteer_hours == 8
    assert set(eligibility.course_ids) == {*school.course_ids, "gender-training"}
    internship = catalogue.course_activities("mts-internship")
    assert {a.kind for a in internship} >= {"lesson", "worksheet", "reflection"}


def test_each_mentor_workshop_has_a_lesson_before_and_a_check_after(
    shipped: Catalogue,
) -> None:
    catalogue = shipped
    school = catalogue.schools["mentor-school"]
    for course_id in school.course_ids[:-1]:
        for module in catalogue.courses[course_id].modules:
            kinds = [catalogue.activities[a].kind for a in module.activity_ids]
            if "workshop" not in kinds:
                continue
            at = kinds.index("workshop")
            assert "lesson" in kinds[:at], module.id
            assert {"quiz", "reflection"} & set(kinds[at + 1 :]), module.id


def test_the_leadership_school_runs_ten_weeks(shipped: Catalogue) -> None:
    catalogue = shipped
    school = catalogue.schools["leadership-school"]
    assert school.audience == "invited" and school.weeks == 10
    assert school.invitation is not None and school.invitation.requires == "pathway-complete"
    workshops: list[tuple[int, int | None]] = []
    for course_id in school.course_ids:
        course = catalogue.courses[course_id]
        for module, week in zip(course.modules, school.opening_weeks(course), strict=True):
            for activity_id in module.activity_ids:
                activity = catalogue.activities[activity_id]
                if activity.kind == "workshop":
                    workshops.append((week, activity.duration_minutes))
    # Three two-hour workshops, one per module, then the closing ceremony in week 10.
    assert len(workshops) == 4
    assert [d for _, d in workshops[:3]] == [120, 120, 120]
    assert len({w for w, _ in workshops[:3]}) == 3
    assert workshops[-1][0] == 10


def test_school_quizzes_offer_three_options_with_feedback(shipped: Catalogue) -> None:
    catalogue = shipped
    school_courses = {c for s in catalogue.schools.values() for c in s.course_ids} | {
        "gender-training"
    }
    quizzes = [
        a
        for a in catalogue.activities.values()
        if a.kind == "quiz" and a.course_id in school_courses
    ]
    assert len(quizzes) >= 3
    for quiz in quizzes:
        for question in quiz.questions:
            assert len(question.options) >= 3, (quiz.id, question.id)
            assert all(o.feedback.es and o.feedback.en for o in question.options)
