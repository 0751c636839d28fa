"""The score an LMS link receives for her progress: pure, so it is the same in the outbox, in
tests and on her page.

- a link to a course: her progress in the course, the whole percent of its steps (non-optional
  activities) she completed, out of the course's `score_maximum`;
- a link to her pathway, or a plain link: the same over all her courses, out of 100;
so the grade reads as her plan page does ("35 %" there is 35 of 100 here, and the comment says
"7/20 (35 %)").
- the intake and links to a course outside her plan or another pathway: no score.
activityProgress is InProgress until the course or pathway is complete, then Completed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from courses import progression
from courses.links import LinkTarget, TargetKind
from courses.model import Activity, Catalogue
from courses.progression import Progress

PATHWAY_MAXIMUM = 100.0


@dataclass(frozen=True)
class LinkScore:
    given: float
    maximum: float
    completed: bool  # activityProgress: Completed, else InProgress
    done: int  # activities done of `total`, for the comment the LMS shows
    total: int
    label: str  # the course or pathway title (Spanish: gradebooks are shared by staff)

    @property
    def activity_progress(self) -> str:
        return "Completed" if self.completed else "InProgress"

    @property
    def percent(self) -> int:
        return progression.percent(self.done, self.total)

    def comment(self, activity: Activity | None = None) -> str:
        text = f"{self.label}: {self.done}/{self.total} ({self.percent} %)"
        if activity is not None:
            text += f" · {activity.title.es}"
        return text[:1000]


def graded_activities(target: LinkTarget, catalogue: Catalogue, pathway_id: str,
                      course_ids: Sequence[str]) -> list[str] | None:  # fmt: skip
    """The activities whose progress this link grades for her; None if it grades nothing."""
    if target.kind == TargetKind.COURSE:
        if target.id not in course_ids or target.id not in catalogue.courses:
            return None
        return list(catalogue.courses[target.id].activity_ids)
    if target.kind == TargetKind.PLAN or (
        target.kind == TargetKind.PATHWAY and target.id == pathway_id
    ):
        courses = [c for c in course_ids if c in catalogue.courses]
        return [a for c in courses for a in catalogue.courses[c].activity_ids]
    return None


def link_score(
    target: LinkTarget,
    catalogue: Catalogue,
    pathway_id: str,
    course_ids: Sequence[str],
    progress: Progress,
) -> LinkScore | None:
    """What this link's gradebook column should hold for her now; None if nothing."""
    activity_ids = graded_activities(target, catalogue, pathway_id, course_ids)
    if activity_ids is None:
        return None
    done, total = progression.steps_done(catalogue, activity_ids, progress)
    if target.kind == TargetKind.COURSE:
        course = catalogue.courses[target.id]
        maximum = course.score_maximum
        completed = progression.course_complete(catalogue, course.id, progress)
        label = course.title.es
    else:
        maximum = PATHWAY_MAXIMUM
        completed = progression.pathway_complete(
            progression.plan(catalogue, pathway_id, course_ids, progress)
        )
        label = catalogue.pathways[pathway_id].title.es
    return LinkScore(
        given=round(maximum * progression.percent(done, total) / 100, 4),
        maximum=maximum,
        completed=completed,
        done=done,
        total=total,
        label=label,
    )
