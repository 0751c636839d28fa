"""The programme as designers author it: pathways, levels, schools, courses, modules and activities.

Plain frozen dataclasses, built from validated content (courses/authoring) and never changed.
Everything a participant reads is a `Text` with a Spanish and an English version.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from courses.programme_data import Mentoring, Referral, Survey
from courses.text import EMPTY, Text

__all__ = ["EMPTY", "Text"]  # re-exported: every part of the domain reads texts from here

LOCALES = ("es", "en")
KINDS = ("lesson", "media", "quiz", "reflection", "worksheet", "workshop")
LEVELS = ("basic", "advanced")
PHASES = ("diagnosis", "workshops", "enablement", "job-entry")
# Who a school is for: volunteers apply (the Mentor Training School), or the programme team invites
# chosen participants (the Leadership School).
AUDIENCES = ("volunteers", "invited")
# What a participant must have done before she may be invited to a school.
INVITATION_REQUIREMENTS = ("pathway-complete",)
DEFAULT_COMPLETION = {
    "lesson": "viewed",
    "media": "viewed",
    "quiz": "passed",
    "reflection": "submitted",
    "worksheet": "submitted",
    "workshop": "attended",
}
ALLOWED_COMPLETION = {
    "lesson": ("viewed",),
    "media": ("viewed",),
    "quiz": ("passed", "viewed"),
    "reflection": ("submitted", "viewed"),
    "worksheet": ("submitted", "viewed"),
    "workshop": ("attended", "viewed"),
}


@dataclass(frozen=True)
class Option:
    id: str
    text: Text
    correct: bool
    feedback: Text


@dataclass(frozen=True)
class Question:
    id: str
    text: Text
    options: tuple[Option, ...]

    @property
    def correct_ids(self) -> frozenset[str]:
        return frozenset(o.id for o in self.options if o.correct)


@dataclass(frozen=True)
class WorksheetField:
    id: str
    label: Text
    help: Text
    type: str  # text | textarea
    required: bool


@dataclass(frozen=True)
class Media:
    type: str  # audio | video
    src: Text  # a recording per language
    duration_seconds: int
    low_bandwidth_type: str  # text | audio
    low_bandwidth_src: Text | None


@dataclass(frozen=True)
class Activity:
    id: str
    kind: str
    title: Text
    minutes: int
    completion: str
    graded: bool
    optional: bool
    body_html: Text
    course_id: str
    module_id: str
    fingerprint: str  # changes when anything in the activity changes (version migration)
    designer_notes: Text = EMPTY
    sources: tuple[str, ...] = ()
    pass_mark: int | None = None
    questions: tuple[Question, ...] = ()
    prompt: Text | None = None
    fields: tuple[WorksheetField, ...] = ()
    media: Media | None = None
    duration_minutes: int | None = None
    facilitator_notes: Text | None = None
    # A workshop whose attendance the course needs to be complete (`required: true`).
    required: bool = False


@dataclass(frozen=True)
class Module:
    id: str
    title: Text
    activity_ids: tuple[str, ...]
    # In a course of a cohort-based school: the week (1-based, from the cohort's start) in which
    # the module opens. None elsewhere, and for a module that opens with the one before it.
    week: int | None = None


@dataclass(frozen=True)
class Course:
    id: str
    title: Text
    summary: Text
    prerequisites: tuple[str, ...]
    phase: str | None
    modules: tuple[Module, ...]
    score_maximum: float

    @property
    def activity_ids(self) -> tuple[str, ...]:
        return tuple(a for m in self.modules for a in m.activity_ids)


@dataclass(frozen=True)
class Level:
    id: str  # basic | advanced
    title: Text
    description: Text
    course_ids: tuple[str, ...]


@dataclass(frozen=True)
class Pathway:
    id: str
    title: Text
    description: Text
    ordered: bool  # courses open one after the other (employment's four phases)
    levels: tuple[Level, ...]

    def level(self, level_id: str) -> Level:
        return next(level for level in self.levels if level.id == level_id)


@dataclass(frozen=True)
class MentorEligibility:
    """When a graduate of the Mentor Training School may mentor: these courses completed and at
    least this many volunteer hours recorded."""

    course_ids: tuple[str, ...]
    volunteer_hours: int

    def missing_courses(self, completed: Collection[str]) -> tuple[str, ...]:
        return tuple(c for c in self.course_ids if c not in completed)

    def is_met(self, completed: Collection[str], volunteer_hours: float) -> bool:
        return not self.missing_courses(completed) and volunteer_hours >= self.volunteer_hours


@dataclass(frozen=True)
class Invitation:
    """Who the programme team may invite to a school; `requires` is one of
    INVITATION_REQUIREMENTS (`pathway-complete`: she completed her pathway)."""

    requires: str


@dataclass(frozen=True)
class School:
    """A programme of its own that placement never offers: the programme team opens it to chosen
    people. Its courses open one after the other; with `weeks`, it runs for a cohort and its
    modules open in the week they name."""

    id: str
    title: Text
    description: Text
    audience: str  # one of AUDIENCES
    course_ids: tuple[str, ...]
    weeks: int | None = None
    mentor_eligibility: MentorEligibility | None = None
    invitation: Invitation | None = None

    def opening_weeks(self, course: Course) -> tuple[int, ...]:
        """The week each module of `course` opens in: its own `week`, else the week of the module
        before it (week 1 for the first). Empty when the school is not cohort-based."""
        if self.weeks is None:
            return ()
        weeks: list[int] = []
        for module in course.modules:
            weeks.append(module.week or (weeks[-1] if weeks else 1))
        return tuple(weeks)


def week_starts_on(cohort_start: date, week: int) -> date:
    """The first day of week `week` (1-based) of a cohort that started on `cohort_start`."""
    return cohort_start + timedelta(weeks=week - 1)


@dataclass(frozen=True)
class PlacementQuestion:
    id: str
    text: Text
    help: Text | None
    choice: str  # single | multiple
    options: tuple[tuple[str, Text], ...]
    required: bool = False  # the intake is refused until she answers it


@dataclass(frozen=True)
class PlacementRule:
    id: str
    when: Mapping[str, tuple[str, ...]]
    pathway: str
    level: str
    reason: Text


@dataclass(frozen=True)
class Adjustment:
    id: str
    when: Mapping[str, tuple[str, ...]]
    add: tuple[str, ...]
    skip: tuple[str, ...]
    reason: Text


@dataclass(frozen=True)
class PlacementRules:
    questions: tuple[PlacementQuestion, ...]
    rules: tuple[PlacementRule, ...]
    adjustments: tuple[Adjustment, ...]
    fallback: PlacementRule


@dataclass(frozen=True)
class Catalogue:
    """One immutable version of the whole programme."""

    title: Text
    description: Text
    pathway_ids: tuple[str, ...]
    pathways: Mapping[str, Pathway]
    courses: Mapping[str, Course]
    activities: Mapping[str, Activity]
    placement: PlacementRules
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Programme data (courses/programme_data.py): empty when the content has no such files.
    referrals: tuple[Referral, ...] = ()
    mentoring: Mentoring | None = None
    surveys: tuple[Survey, ...] = ()
    # Schools, in the order the programme lists them; empty for a programme without any.
    schools: Mapping[str, School] = field(default_factory=dict)
    school_ids: tuple[str, ...] = ()

    def course_activities(self, course_id: str) -> tuple[Activity, ...]:
        return tuple(self.activities[a] for a in self.courses[course_id].activity_ids)

    def school_of(self, course_id: str) -> School | None:
        """The school a course belongs to (a course is in one school at most), or None."""
        return next((s for s in self.schools.values() if course_id in s.course_ids), None)
