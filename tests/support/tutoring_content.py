"""The test programme with a CV worksheet: a copy of tests/data/content whose employment pathway
ends with an enablement course holding a CV worksheet shaped like the curriculum's
`emp-prof-cv`, for the tutoring tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from flask import Flask

from lti_tool.services import content
from tests.conftest import TEST_CONTENT, override_settings

COURSE = """\
id: emp-prof
title: {es: "Mi perfil laboral", en: "My work profile"}
summary: {es: "Tu currículum.", en: "Your CV."}
prerequisites: [emp-work]
phase: enablement
modules:
  - id: emp-prof-m1
    title: {es: "Mi currículum", en: "My CV"}
    activities: [emp-prof-cv]
grading:
  score_maximum: 100
"""

FIELDS = [
    ("full-name", "Nombre completo", "Full name", "text", True),
    ("contact", "Teléfono y correo", "Phone and e-mail", "text", True),
    (
        "profile-summary",
        "Resumen: quién eres y qué buscas",
        "Summary: who you are",
        "textarea",
        True,
    ),
    ("work-experience", "Experiencia laboral", "Work experience", "textarea", True),
    ("education", "Estudios", "Education", "textarea", True),
    ("skills", "Habilidades", "Skills", "textarea", True),
    ("availability", "Disponibilidad", "Availability", "text", False),
]


def _worksheet(locale: str) -> str:
    lines = [
        "---",
        "id: emp-prof-cv",
        "kind: worksheet",
        f"title: {'Mi currículum' if locale == 'es' else 'My CV'}",
        "minutes: 20",
        "graded: true",
        "fields:",
    ]
    for field_id, es, en, kind, required in FIELDS:
        lines += [
            f"  - id: {field_id}",
            f'    label: "{es if locale == "es" else en}"',
            f"    type: {kind}",
            f"    required: {'true' if required else 'false'}",
        ]
    return "\n".join([*lines, "---", ""])


def tree_with_cv(root: Path) -> Path:
    tree = root / "content"
    shutil.copytree(TEST_CONTENT, tree)
    course = tree / "courses" / "emp-prof"
    for locale in ("es", "en"):
        (course / locale).mkdir(parents=True)
        (course / locale / "01-emp-prof-cv.md").write_text(_worksheet(locale), encoding="utf-8")
    (course / "course.yaml").write_text(COURSE, encoding="utf-8")
    pathway = tree / "pathways" / "employment.yaml"
    text = pathway.read_text(encoding="utf-8")
    text = text.replace("[ls, emp-diag, emp-work]", "[ls, emp-diag, emp-work, emp-prof]")
    text = text.replace("[emp-diag, emp-work]", "[emp-diag, emp-work, emp-prof]")
    pathway.write_text(text, encoding="utf-8")
    return tree


def use_content_with_cv(app: Flask, root: Path) -> int:
    """Import the tree with a CV worksheet as the newest content version."""
    override_settings(app, content_path=str(tree_with_cv(root)))
    return content.import_tree().version_id
