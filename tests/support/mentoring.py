"""Helpers for the mentoring and schools tests: a test programme with a school that makes
mentors and a Leadership-School-like school with homework, people in an LMS course, and
graduating a participant quickly through the services.

A test module uses that programme by importing the two fixtures (pytest finds them by the name
they are given): `from tests.support.mentoring import mentoring_place, with_mentoring_content`."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lti_tool.actor import Actor, Role
from lti_tool.models import Enrolment, LmsContext, LtiUser, db
from lti_tool.services import learning
from tests.conftest import TEST_CONTENT
from tests.factories import CourseFactory, GrantFactory, actor_of, member

INTAKE = {"goal": ["own-business"], "has-business": ["no"]}


def _activity(kind: str, id_: str, title: str, extra: str = "", body: str = "Texto.") -> str:
    if kind == "lesson":
        extra += "sources: [https://www.unwomen.org/es]\nchecked_on: 2026-11-26\n"
    minutes = 120 if kind == "workshop" else 1
    return (
        f'---\nid: {id_}\nkind: {kind}\ntitle: "{title}"\nminutes: {minutes}\n{extra}---\n{body}\n'
    )


def _write(root: Path, course: str, name: str, text_es: str, text_en: str) -> None:
    for locale, text in (("es", text_es), ("en", text_en)):
        folder = root / "courses" / course / locale
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


HOMEWORK_FIELDS = (
    "fields:\n"
    "  - id: story\n    label: Mi historia como líder\n    type: textarea\n    required: true\n"
    "  - id: goal\n    label: Mi meta\n    type: text\n    required: false\n"
)
HOMEWORK_FIELDS_EN = HOMEWORK_FIELDS.replace("Mi historia como líder", "My story as a leader")
HOMEWORK_FIELDS_EN = HOMEWORK_FIELDS_EN.replace("Mi meta", "My goal")


def mentoring_content(root: Path) -> Path:
    """The test programme plus: the test school's course with homework (a worksheet) and a
    private reflection in week 1 and a live workshop in week 2; a volunteers' school that makes
    mentors (`test-mentor-school`: course `tm-train`, and the gender training `tm-gender`
    outside it, and 8 volunteer hours)."""
    shutil.copytree(TEST_CONTENT, root)
    (root / "programme.yaml").write_text(
        (root / "programme.yaml")
        .read_text(encoding="utf-8")
        .replace("schools: [test-school]", "schools: [test-school, test-mentor-school]"),
        encoding="utf-8",
    )
    (root / "courses" / "ts-lead" / "course.yaml").write_text(
        "id: ts-lead\n"
        'title: {es: "Liderar", en: "Leading"}\n'
        'summary: {es: "Resumen de Liderar.", en: "Summary of Leading."}\n'
        "prerequisites: []\n"
        "modules:\n"
        '  - id: ts-lead-m1\n    title: {es: "Semana 1", en: "Week 1"}\n    week: 1\n'
        "    activities: [ts-lead-intro, ts-lead-homework, ts-lead-diary, ts-lead-check]\n"
        '  - id: ts-lead-m2\n    title: {es: "Semana 2", en: "Week 2"}\n    week: 2\n'
        "    activities: [ts-lead-next, ts-lead-live]\n"
        "grading:\n  score_maximum: 100\n",
        encoding="utf-8",
    )
    _write(
        root,
        "ts-lead",
        "03-ts-lead-homework.md",
        _activity(
            "worksheet",
            "ts-lead-homework",
            "Tarea 1",
            HOMEWORK_FIELDS,
            "Tu mentora leerá esta tarea.",
        ),
        _activity(
            "worksheet",
            "ts-lead-homework",
            "Homework 1",
            HOMEWORK_FIELDS_EN,
            "Your mentor will read this homework.",
        ),
    )
    _write(
        root,
        "ts-lead",
        "04-ts-lead-diary.md",
        _activity(
            "reflection",
            "ts-lead-diary",
            "Mi diario",
            'prompt: "¿Qué sientes?"\n',
            "Solo tú lo ves.",
        ),
        _activity(
            "reflection",
            "ts-lead-diary",
            "My diary",
            'prompt: "How do you feel?"\n',
            "Only you see it.",
        ),
    )
    quiz = (
        'pass_mark: 100\nquestions:\n  - id: q1\n    text: "¿Quién lidera?"\n    options:\n'
        '      - id: a\n        text: "Todas podemos"\n        correct: true\n'
        '        feedback: "¡Sí!"\n'
        '      - id: b\n        text: "Solo los jefes"\n        feedback: "No."\n'
    )
    _write(
        root,
        "ts-lead",
        "06-ts-lead-check.md",
        _activity("quiz", "ts-lead-check", "Prueba", quiz),
        _activity("quiz", "ts-lead-check", "Check", quiz),
    )
    live = "completion: attended\nduration_minutes: 120\n"
    _write(
        root,
        "ts-lead",
        "05-ts-lead-live.md",
        _activity("workshop", "ts-lead-live", "Taller en vivo", live),
        _activity("workshop", "ts-lead-live", "Live workshop", live),
    )
    # The volunteers' school that makes mentors.
    (root / "schools" / "test-mentor-school.yaml").write_text(
        "id: test-mentor-school\n"
        'title: {es: "Escuela de mentoras de prueba", en: "Test mentor school"}\n'
        'description: {es: "Para voluntarias.", en: "For volunteers."}\n'
        "audience: volunteers\n"
        "courses: [tm-train]\n"
        "mentor_eligibility:\n  courses: [tm-train, tm-gender]\n  volunteer_hours: 8\n",
        encoding="utf-8",
    )
    for course, title in (("tm-train", "Formación"), ("tm-gender", "Género")):
        (root / "courses" / course).mkdir(parents=True)
        (root / "courses" / course / "course.yaml").write_text(
            f'id: {course}\ntitle: {{es: "{title}", en: "{title} (en)"}}\n'
            f'summary: {{es: "Resumen.", en: "Summary."}}\nprerequisites: []\nmodules:\n'
            f'  - id: {course}-m1\n    title: {{es: "Uno", en: "One"}}\n'
            f"    activities: [{course}-intro]\ngrading:\n  score_maximum: 100\n",
            encoding="utf-8",
        )
        _write(
            root,
            course,
            f"01-{course}-intro.md",
            _activity("lesson", f"{course}-intro", f"{title}: inicio"),
            _activity("lesson", f"{course}-intro", f"{title}: start"),
        )
    return root


# ------------------------------------------------------------------------------- people
def course() -> LmsContext:
    found: LmsContext = CourseFactory()
    return found


def person(context: LmsContext, name: str, role: Role = Role.PARTICIPANT, **extra: Any) -> Actor:
    """Someone of the LMS course, as her launch would make her."""
    user: LtiUser = member(context, role, name=name, sub=name.lower().replace(" ", "-"))
    return actor_of(user, context, role, **extra)


def mentor(context: LmsContext, name: str) -> Actor:
    """A person of the programme with the mentor grant, launched as a participant."""
    actor = person(context, name)
    GrantFactory(user_id=actor.user_id, role=Role.MENTOR.value, programme_id=actor.programme_id)
    return actor


def team(context: LmsContext, name: str = "Ana Pérez") -> Actor:
    actor = person(context, name, Role.FACILITATOR)
    GrantFactory(
        user_id=actor.user_id, role=Role.PROGRAMME_TEAM.value, programme_id=actor.programme_id
    )
    return actor


def enrol(actor: Actor) -> Enrolment:
    return learning.enrol(actor, INTAKE, None, None)


def graduate(actor: Actor) -> None:
    """Complete every course of her plan (enrolling her first if needed)."""
    enrolment = learning.enrolment_of(actor) or enrol(actor)
    j = learning.journey_of(enrolment)
    for course_id in enrolment.course_ids:
        complete_course(j, course_id)


def complete_course(j: learning.Journey, course_id: str) -> None:
    for activity in j.catalogue.course_activities(course_id):
        if j.progress.get(activity.id) and j.progress[activity.id].completed:
            continue
        if activity.kind == "quiz":
            learning.submit_quiz(
                j, activity, {q.id: sorted(q.correct_ids) for q in activity.questions}
            )
        elif activity.kind == "worksheet":
            learning.save_worksheet(j, activity, {f.id: "x" for f in activity.fields}, True)
        elif activity.kind == "reflection":
            learning.save_reflection(j, activity, "Algo mío.")
        elif activity.kind == "workshop":
            learning.record_attendance(j.enrolment, activity, present=True)
            db.session.commit()
        else:
            learning.mark_viewed(j, activity)


def enrolment_of(user_id: int) -> Enrolment:
    found = db.session.scalar(select(Enrolment).where(Enrolment.user_id == user_id))
    assert found is not None
    return found


def soon(days: float = 3, hour: int = 18) -> datetime:
    """A Chile wall-clock time `days` from now (naive, as the form gives it)."""
    from courses.schools import CHILE

    local = (datetime.now(UTC) + timedelta(days=days)).astimezone(CHILE)
    return local.replace(hour=hour, minute=30, second=0, microsecond=0, tzinfo=None)


@pytest.fixture(name="settings_overrides")
def with_mentoring_content(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app on the test programme with the schools above (mentoring_content)."""
    root = tmp_path_factory.mktemp("content") / "content"
    return {"content_path": str(mentoring_content(root))}


@pytest.fixture(name="place")
def mentoring_place(app: Flask, imported: int) -> Any:
    """That programme imported, and its LMS course."""
    return course()
