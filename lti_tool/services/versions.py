"""Moving a cohort to a newer content version. Progress on activities that did not change (same
fingerprint) carries over; changed activities must be done again; removed ones are ignored."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.models import ActivityProgress, Enrolment, db, utcnow
from lti_tool.services import content
from lti_tool.services.cohort import CourseScope


def migrate_context(scope: CourseScope) -> int:
    """Move every participant of the course to the newest content version."""
    context_id = scope.context_id
    latest = content.latest_version_id()
    if latest is None:
        return 0
    catalogue = content.catalogue(latest)
    moved = 0
    for enrolment in db.session.scalars(
        select(Enrolment).where(
            Enrolment.context_id == context_id, Enrolment.content_version_id != latest
        )
    ):
        migrate_enrolment(enrolment, latest)
        moved += 1
    db.session.commit()
    del catalogue
    return moved


def migrate_enrolment(enrolment: Enrolment, version_id: int) -> None:
    catalogue = content.catalogue(version_id)
    pathway = catalogue.pathways.get(enrolment.pathway_id)
    if pathway is None:  # the pathway was removed: keep her where she is
        return
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
