"""What an LMS link opens: Senda's deep-linking items carry it in their custom parameter
`senda_target`, written and read only here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TargetKind(StrEnum):
    PLAN = "plan"  # a plain link: her whole plan (graded over all her courses)
    INTAKE = "intake"  # the first questions (never graded)
    PATHWAY = "pathway"
    COURSE = "course"


@dataclass(frozen=True)
class LinkTarget:
    kind: TargetKind
    id: str = ""  # the pathway or course id, for those kinds

    @classmethod
    def parse(cls, raw: object) -> LinkTarget:
        """Read a `senda_target` value; anything Senda did not write opens her plan."""
        if not isinstance(raw, str):
            return PLAN
        kind, _, value = raw.strip().partition(":")
        if kind == TargetKind.INTAKE and not value:
            return INTAKE
        if kind in (TargetKind.PATHWAY, TargetKind.COURSE) and _is_id(value):
            return cls(TargetKind(kind), value)
        return PLAN

    def format(self) -> str:
        if self.kind in (TargetKind.PATHWAY, TargetKind.COURSE):
            return f"{self.kind}:{self.id}"
        return "" if self.kind == TargetKind.PLAN else self.kind.value

    @classmethod
    def pathway(cls, pathway_id: str) -> LinkTarget:
        return cls(TargetKind.PATHWAY, pathway_id)

    @classmethod
    def course(cls, course_id: str) -> LinkTarget:
        return cls(TargetKind.COURSE, course_id)


PLAN = LinkTarget(TargetKind.PLAN)
INTAKE = LinkTarget(TargetKind.INTAKE)


def _is_id(value: str) -> bool:
    # Content ids: lower-case letters, digits and hyphens (courses/authoring/schema.py).
    return 0 < len(value) <= 64 and all(c.isascii() and (c.isalnum() or c == "-") for c in value)
