"""Her CV from her CV worksheet: CV sections, entries and periods, not the worksheet's questions."""

from __future__ import annotations

from pathlib import Path

import pytest

from courses.authoring.errors import blocking
from courses.authoring.tree import compile_tree
from courses.catalogue import build_catalogue
from courses.cv import (
    build_cv,
    cv_worksheet,
    diagnosis_worksheets,
    entries_of,
    is_cv_worksheet,
)
from courses.model import EMPTY, Activity, Catalogue, Text, WorksheetField

TESTS = Path(__file__).parent.parent


def field(field_id: str, label: str = "") -> WorksheetField:
    return WorksheetField(
        field_id, Text(label or field_id, label or field_id), EMPTY, "textarea", False
    )


def worksheet(*ids: str, activity_id: str = "cv") -> Activity:
    return Activity(
        id=activity_id,
        kind="worksheet",
        title=Text("Mi currículum", "My CV"),
        minutes=10,
        completion="submitted",
        graded=True,
        optional=False,
        body_html=EMPTY,
        course_id="emp-prof",
        module_id="m1",
        fingerprint="x",
        fields=tuple(field(i) for i in ids),
    )


CV_FIELDS = (
    "full-name",
    "contact",
    "profile-summary",
    "work-experience",
    "other-experience",
    "education",
    "skills",
    "availability",
    "references",
)


def test_a_cv_worksheet_is_recognised_by_its_fields() -> None:
    assert is_cv_worksheet(worksheet(*CV_FIELDS))
    assert not is_cv_worksheet(worksheet("customers", "offer"))
    assert not is_cv_worksheet(worksheet("full-name"))


def test_entries_split_lines_remove_bullets_and_set_periods_apart() -> None:
    text = (
        "2021–2024 Ayudante de cocina, Restorán El Fogón, Temuco.\n"
        "\n"
        "- 2019 - actualidad: Vendedora en la feria\n"
        "• Cuidado de mi madre\n"
        "(2018) Temporera en Curicó\n"
        "2. Cajera 2015 en un supermercado\n"
    )
    entries = entries_of(text)
    assert [(e.period, e.text) for e in entries] == [
        ("2021–2024", "Ayudante de cocina, Restorán El Fogón, Temuco."),
        ("2019–actualidad", "Vendedora en la feria"),
        ("", "Cuidado de mi madre"),
        ("2018", "Temporera en Curicó"),
        ("", "Cajera 2015 en un supermercado"),
    ]


def test_the_cv_has_her_name_contact_and_sections_in_cv_order() -> None:
    activity = worksheet(*CV_FIELDS[::-1], "languages")  # fields in any order, one extra
    cv = build_cv(
        activity,
        {
            "full-name": "  Rosa   Huenchumil Painemal ",
            "contact": "+56 9 1234 5678 · rosa.h@correo.cl",
            "skills": "Trabajo en equipo\nPuntualidad",
            "work-experience": "2021–2024 Ayudante de cocina",
            "profile-summary": "Responsable y ordenada.",
            "availability": "Inmediata\nJornada completa",
            "languages": "Español, mapudungun",
            "references": "   ",
        },
    )
    assert cv.name == "Rosa Huenchumil Painemal"
    assert cv.contact == "+56 9 1234 5678 · rosa.h@correo.cl"
    assert [s.key for s in cv.sections] == [
        "profile-summary",
        "work-experience",
        "skills",
        "availability",
        "languages",
    ]
    availability = next(s for s in cv.sections if s.key == "availability")
    assert availability.inline and len(availability.entries) == 2
    languages = next(s for s in cv.sections if s.key == "languages")
    assert languages.label.es == "languages"  # a designer's extra field keeps its own label
    assert not build_cv(activity, {}).sections and build_cv(activity, {}).empty


def compiled(root: Path) -> Catalogue:
    document, errors = compile_tree(root)
    assert not blocking(errors)
    return build_catalogue(document)


def test_tutor_worksheets_of_her_plan() -> None:
    catalogue = compiled(TESTS / "data" / "content")
    diagnosis = diagnosis_worksheets(catalogue, ["ls", "emp-diag", "emp-work"])
    assert [a.id for a in diagnosis] == ["emp-diag-sheet"]
    assert diagnosis_worksheets(catalogue, ["ls", "ent-idea"]) == ()
    assert cv_worksheet(catalogue, ["ls", "emp-diag", "emp-work", "unknown"]) is None


@pytest.mark.parametrize("level", ["basic", "advanced"])
def test_the_curriculum_s_employment_plans_have_a_diagnosis_and_a_cv_worksheet(level: str) -> None:
    catalogue = compiled(TESTS.parent / "content")
    courses = catalogue.pathways["employment"].level(level).course_ids
    assert [a.id for a in diagnosis_worksheets(catalogue, courses)] == ["emp-diag-sheet"]
    cv = cv_worksheet(catalogue, courses)
    assert cv is not None and cv.id == "emp-prof-cv"
    # Every field of the real CV worksheet lands in a CV section under a CV heading.
    values = {f.id: f.help.es.removeprefix("Ej.: ") for f in cv.fields}
    built = build_cv(cv, values)
    assert built.name == "Rosa Huenchumil Painemal"
    assert {s.key for s in built.sections} == {f.id for f in cv.fields} - {"full-name", "contact"}
