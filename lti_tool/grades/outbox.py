"""Putting scores in the outbox, in the caller's transaction (the one that changed progress).

One score per graded resource link of her LMS course that her change concerns:
- a link to a course ("course:<id>"): the share of the course's graded activities she completed;
- a link to her pathway ("pathway:<id>") or a plain link: the share over all her courses.
activityProgress is InProgress until the course or pathway is complete, then Completed; the
grading is always FullyGraded (only FullyGraded scores show in Moodle and Canvas gradebooks).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from courses import progression
from courses.model import Activity
from lti_tool.extensions import db
from lti_tool.models import Deployment, ResourceLink, ScoreOutbox, utcnow
from lti_tool.models.outbox import PENDING

if TYPE_CHECKING:
    from lti_tool.services.learning import Journey

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
# Moodle keeps score times to the second and refuses one not strictly later (409): keep at
# least a second between two scores of the same participant and link.
MIN_GAP = timedelta(seconds=1)


def graded_links(context_id: int) -> list[ResourceLink]:
    links = db.session.scalars(
        select(ResourceLink).where(
            ResourceLink.context_id == context_id,
            (ResourceLink.lineitem_url.is_not(None)) | (ResourceLink.lineitems_url.is_not(None)),
        )
    ).all()
    return [link for link in links if SCORE_SCOPE in link.ags_scopes.split()]


def _target(j: Journey, link: ResourceLink) -> tuple[list[str], float, bool, str] | None:
    """(activity ids, score maximum, complete, label) of what this link grades for her."""
    kind, _, value = link.target.partition(":")
    catalogue, enrolment = j.catalogue, j.enrolment
    if kind == "course":
        if value not in enrolment.course_ids or value not in catalogue.courses:
            return None
        course = catalogue.courses[value]
        complete = progression.course_complete(catalogue, value, j.progress)
        return list(course.activity_ids), course.score_maximum, complete, course.title.es
    if kind in ("", "pathway"):
        if value and value != enrolment.pathway_id:
            return None
        courses = [c for c in enrolment.course_ids if c in catalogue.courses]
        activity_ids = [a for c in courses for a in catalogue.courses[c].activity_ids]
        complete = progression.pathway_complete(j.courses)
        return activity_ids, 100.0, complete, catalogue.pathways[enrolment.pathway_id].title.es
    return None  # "intake" and other ungraded targets


def enqueue_progress(j: Journey, comment_activity: Activity | None) -> int:
    """Queue the scores this change causes; returns how many. Does not commit."""
    queued = 0
    links = graded_links(j.enrolment.context_id)
    if not links:
        return 0
    platform_id = db.session.scalar(
        select(Deployment.platform_id).where(Deployment.id == links[0].deployment_id)
    )
    assert platform_id is not None
    for link in links:
        target = _target(j, link)
        if target is None:
            continue
        activity_ids, maximum, complete, label = target
        if comment_activity is not None and comment_activity.id not in activity_ids:
            continue
        fraction = progression.score_fraction(j.catalogue, activity_ids, j.progress)
        done = sum(1 for a in activity_ids if progression.is_done(a, j.progress))
        comment = f"{label}: {done}/{len(activity_ids)}"
        if comment_activity is not None:
            comment += f" · {comment_activity.title.es}"
        _upsert(
            platform_id=platform_id,
            link_id=link.id,
            user_id=j.enrolment.user_id,
            score_given=round(min(fraction, 1.0) * maximum, 4),
            score_maximum=maximum,
            activity_progress="Completed" if complete else "InProgress",
            comment=comment[:1000],
        )
        queued += 1
    return queued


def _event_time(user_id: int, link_id: int) -> datetime:
    last = db.session.scalar(
        select(func.max(ScoreOutbox.event_at)).where(
            ScoreOutbox.user_id == user_id, ScoreOutbox.resource_link_id == link_id
        )
    )
    now = utcnow()
    if last is not None:
        if last.tzinfo is None:  # SQLite aggregates come back without the column type
            last = last.replace(tzinfo=now.tzinfo)
        if now < last + MIN_GAP:
            return last + MIN_GAP
    return now


def _upsert(
    *,
    platform_id: int,
    link_id: int,
    user_id: int,
    score_given: float,
    score_maximum: float,
    activity_progress: str,
    comment: str,
) -> None:
    """Insert the score, or update the one still waiting for this (participant, link)."""
    event_at = _event_time(user_id, link_id)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "platform_id": platform_id,
        "resource_link_id": link_id,
        "user_id": user_id,
        "pending_key": f"{user_id}:{link_id}",
        "score_given": score_given,
        "score_maximum": score_maximum,
        "activity_progress": activity_progress,
        "grading_progress": "FullyGraded",
        "comment": comment,
        "event_at": event_at,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "last_error": "",
        "created_at": utcnow(),
    }
    statement = insert(ScoreOutbox).values(**values)
    newer = statement.excluded.event_at > ScoreOutbox.event_at
    changes = {
        name: case((newer, statement.excluded[name]), else_=getattr(ScoreOutbox, name))
        for name in ("score_given", "score_maximum", "activity_progress", "comment", "event_at")
    }
    db.session.execute(
        statement.on_conflict_do_update(index_elements=["pending_key"], set_=changes)
    )
