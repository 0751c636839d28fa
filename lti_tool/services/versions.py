"""Moving a cohort to a newer content version. Progress on activities that did not change (same
fingerprint) carries over; changed activities must be done again; removed ones are ignored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from lti_tool.models import ActivityProgress, Enrolment, db, utcnow
from lti_tool.services import content
from lti_tool.services.cohort import CourseScope


@dataclass(frozen=True)
class Migration:
    moved: int  # participants now on the newest version
    stayed: int  # left on their version: their pathway is not in the newest content


def migrate_context(scope: CourseScope) -> Migration:
    """Move every participant of the course to the newest content version."""
    context_id = scope.context_id
    latest = content.latest_version_id()
    if latest is None:
        return Migration(0, 0)
    moved = stayed = 0
    for enrolment in db.session.scalars(
        select(Enrolment).where(
            Enrolment.context_id == context_id, Enrolment.content_version_id != latest
        )
    ):
        if migrate_enrolment(enrolment, latest):
            moved += 1
        else:
            stayed += 1
    db.session.commit()
    return Migration(moved, stayed)


def migrate_enrolment(enrolment: Enrolment, version_id: int) -> bool:
    """False if she stays where she is (her pathway was removed)."""
    catalogue = content.catalogue(version_id)
    pathway = catalogue.pathways.get(enrolment.pathway_id)
    if pathway is None:  # the pathway was removed: keep her where she is
        return False
    enrolment.course_ids = [c for c in enrolment.course_ids if c in catalogue.courses]
    for row in db.session.scalars(
        select(ActivityProgress).where(ActivityProgress.enrolment_id == enrolment.id)
    ):
        activity = catalogue.activities.get(row.activity_id)
        if activity is None:
            continue
        if row.completed and row.fingerprint != activity.fingerprint:
            row.completed = False
            row.completed_at = None
            row.data = {**row.data, "reset_by_version": version_id}
    enrolment.content_version_id = version_id
    enrolment.updated_at = utcnow()
    return True
