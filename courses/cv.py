"""Her CV and the worksheets her employment tutor reads with her.

The CV worksheet (`emp-prof-cv` in the curriculum) is recognised by its fields, not by its id, so
that a designer may move or rename it: a worksheet with the fields `full-name` and
`work-experience` is a CV. Its answers become a one-page CV: her name and contact at the top, then
sections with CV headings (never the worksheet's questions), each answer split into entries, one
per line, with a leading period such as "2021–2024" set apart as a date.

The diagnosis worksheets are the worksheets of her plan's courses of the `diagnosis` phase.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from courses.model import EMPTY, Activity, Catalogue, Text

CV_MARKERS = frozenset({"full-name", "work-experience"})
HEADER_FIELDS = ("full-name", "contact")
# The worksheet's fields in the order a Chilean CV shows them; the key names the section
# (translated by the app). Fields a designer adds later follow, under their own label.
SECTIONS = (
    "profile-summary",
    "work-experience",
    "other-experience",
    "education",
    "courses-and-certificates",
    "skills",
    "availability",
    "references",
)
# Sections whose lines are phrases joined on one line ("skills: a, b, c"), not entries.
INLINE = frozenset({"availability"})
# "2021–2024 Ayudante de cocina…", "2019 - actualidad: …", "2023. Curso…", "(2020) …"
_PERIOD = re.compile(
    r"^\(?((?:19|20)\d{2}(?:\s*[-–—]\s*(?:(?:19|20)\d{2}|actualidad|presente|hoy|a la fecha|"
    r"present|now|today))?)\)?\s*[:.,;]?\s+(.+)$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class Entry:
    text: str
    period: str = ""


@dataclass(frozen=True)
class Section:
    key: str  # one of SECTIONS (the app names it), or another field of the worksheet
    entries: tuple[Entry, ...]
    inline: bool = False
    label: Text = EMPTY  # the worksheet field's label: the heading of a section not in SECTIONS


@dataclass(frozen=True)
class Cv:
    name: str
    contact: str
    sections: tuple[Section, ...]

    @property
    def empty(self) -> bool:
        return not (self.name or self.contact or self.sections)


def is_cv_worksheet(activity: Activity) -> bool:
    return activity.kind == "worksheet" and {f.id for f in activity.fields} >= CV_MARKERS


def cv_worksheet(catalogue: Catalogue, course_ids: Sequence[str]) -> Activity | None:
    """The CV worksheet of her plan's courses, or None."""
    for course_id in course_ids:
        if course_id not in catalogue.courses:
            continue
        for activity in catalogue.course_activities(course_id):
            if is_cv_worksheet(activity):
                return activity
    return None


def diagnosis_worksheets(catalogue: Catalogue, course_ids: Sequence[str]) -> tuple[Activity, ...]:
    """The worksheets of her plan's diagnosis-phase courses, in course order."""
    return tuple(
        activity
        for course_id in course_ids
        if course_id in catalogue.courses and catalogue.courses[course_id].phase == "diagnosis"
        for activity in catalogue.course_activities(course_id)
        if activity.kind == "worksheet"
    )


def entries_of(text: str) -> tuple[Entry, ...]:
    """One entry per non-empty line, bullets removed, a leading period set apart."""
    result = []
    for raw in text.splitlines():
        line = _BULLET.sub("", raw).strip()
        if not line:
            continue
        match = _PERIOD.match(line)
        if match:
            result.append(Entry(match.group(2).strip(), _tidy_period(match.group(1))))
        else:
            result.append(Entry(line))
    return tuple(result)


def _tidy_period(period: str) -> str:
    return re.sub(r"\s*[-–—]\s*", "–", period.strip())


def build_cv(activity: Activity, values: Mapping[str, str]) -> Cv:
    """Her CV from her answers to the CV worksheet `activity`."""
    labels = {f.id: f.label for f in activity.fields}
    known = list(labels)
    order = [k for k in SECTIONS if k in known] + [
        k for k in known if k not in SECTIONS and k not in HEADER_FIELDS
    ]
    sections = []
    for key in order:
        entries = entries_of(str(values.get(key, "")))
        if entries:
            sections.append(Section(key, entries, inline=key in INLINE, label=labels[key]))
    return Cv(
        name=" ".join(str(values.get("full-name", "")).split()),
        contact=" ".join(str(values.get("contact", "")).split()),
        sections=tuple(sections),
    )
