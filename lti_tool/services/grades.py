"""Putting scores in the outbox, in the caller's transaction (the one that changed progress).

One score per graded resource link of her LMS course that her change concerns; what each link
receives is the domain's rule (`courses/grading.py`). A worker delivers them later
(`lti_tool/jobs/grade_delivery.py`). The facilitator's grades page and retry live here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite

from courses.grading import LinkScore, graded_activities, link_score
from courses.links import LinkTarget
from courses.model import Activity, Catalogue
from courses.progression import ActivityState, Progress
from lti_tool.actor import Actor
from lti_tool.lti import ags
from lti_tool.models import (
    ActivityProgress,
    Deployment,
    Enrolment,
    LtiUser,
    ResourceLink,
    ScoreOutbox,
    db,
    utcnow,
)
from lti_tool.models.outbox import DELIVERED, PARKED, PENDING
from lti_tool.services import content
from lti_tool.services.errors import ScoreNotFound

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


@dataclass(frozen=True)
class PlanState:
    """What the grade of her links depends on: her plan and her progress."""

    user_id: int
    context_id: int
    pathway_id: str
    course_ids: Sequence[str]
    catalogue: Catalogue
    progress: Progress


def _floors(wanted: Sequence[tuple[int, ResourceLink]]) -> dict[tuple[int, int], float]:
    """For each (participant, link): the highest share of the maximum already queued or sent,
    in one query, keyed by (user id, link id)."""
    users = {user_id for user_id, _link in wanted}
    links = {link.id for _user, link in wanted}
    if not users or not links:
        return {}
    return {
        (row.user_id, row.resource_link_id): float(row.best or 0.0)
        for row in db.session.execute(
            select(
                ScoreOutbox.user_id,
                ScoreOutbox.resource_link_id,
                func.max(ScoreOutbox.score_given / ScoreOutbox.score_maximum).label("best"),
            )
            .where(
                ScoreOutbox.user_id.in_(users),
                ScoreOutbox.resource_link_id.in_(links),
                ScoreOutbox.score_maximum > 0,
            )
            .group_by(ScoreOutbox.user_id, ScoreOutbox.resource_link_id)
        )
    }


def never_lower(score: LinkScore, floor: float) -> LinkScore:
    """Her grade never goes down: a change of plan (a facilitator's override, a pathway or
    level she chose, a course added) makes more steps to do, and a lower share, but what she
    earned stays in the gradebook until her progress passes it (`floor`: the best share of the
    maximum already queued or sent). The comment still says where she is."""
    given = round(floor * score.maximum, 4)
    return replace(score, given=given) if given > score.given else score


def enqueue_progress(state: PlanState, comment_activity: Activity | None) -> int:
    """Queue the scores this change causes; returns how many. Does not commit."""
    links = graded_links(state.context_id)
    if not links:
        return 0
    platform_id = db.session.scalar(
        select(Deployment.platform_id).where(Deployment.id == links[0].deployment_id)
    )
    assert platform_id is not None
    floors = _floors([(state.user_id, link) for link in links])
    queued = 0
    for link in links:
        target = LinkTarget.parse(link.target)
        if comment_activity is not None:
            graded = graded_activities(target, state.catalogue, state.pathway_id, state.course_ids)
            if graded is None or comment_activity.id not in graded:
                continue
        score = link_score(
            target, state.catalogue, state.pathway_id, state.course_ids, state.progress
        )
        if score is None:
            continue
        score = never_lower(score, floors.get((state.user_id, link.id), 0.0))
        _upsert(
            platform_id=platform_id,
            link_id=link.id,
            user_id=state.user_id,
            score_given=score.given,
            score_maximum=score.maximum,
            activity_progress=score.activity_progress,
            comment=score.comment(comment_activity),
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


# ---------------------------------------------------------------- at the moment of sending
def fresh_score(user_id: int, link: ResourceLink) -> LinkScore | None:
    """What the link's column should hold for her now, from committed progress: the worker
    sends this, not the value computed when the score was queued (two activities completed at
    the same moment each computed their score without the other's progress)."""
    return fresh_scores([(user_id, link)])[(user_id, link.id)]


def fresh_scores(
    wanted: Sequence[tuple[int, ResourceLink]],
) -> dict[tuple[int, int], LinkScore | None]:
    """`fresh_score` of many (participant, link) pairs in three queries, keyed by (user id, link
    id): a worker's batch."""
    users = {user_id for user_id, _link in wanted}
    contexts = {link.context_id for _user, link in wanted if link.context_id is not None}
    enrolments: dict[tuple[int, int], Any] = {}
    if users and contexts:
        for enrolment in db.session.execute(
            select(
                Enrolment.id,
                Enrolment.user_id,
                Enrolment.context_id,
                Enrolment.content_version_id,
                Enrolment.pathway_id,
                Enrolment.course_ids,
            ).where(Enrolment.user_id.in_(users), Enrolment.context_id.in_(contexts))
        ):
            enrolments[(enrolment.user_id, enrolment.context_id)] = enrolment
    progress: dict[int, dict[str, ActivityState]] = {e.id: {} for e in enrolments.values()}
    if progress:
        for row in db.session.execute(
            select(
                ActivityProgress.enrolment_id,
                ActivityProgress.activity_id,
                ActivityProgress.completed,
                ActivityProgress.score,
            ).where(ActivityProgress.enrolment_id.in_(list(progress)))
        ):
            progress[row.enrolment_id][row.activity_id] = ActivityState(row.completed, row.score)
    result: dict[tuple[int, int], LinkScore | None] = {}
    targets: dict[int, LinkTarget] = {}  # read once per link, not once per score
    for _user, link in wanted:
        if link.id not in targets:
            targets[link.id] = LinkTarget.parse(link.target)
    for user_id, link in wanted:
        found = enrolments.get((user_id, link.context_id)) if link.context_id else None
        result[(user_id, link.id)] = (
            None
            if found is None
            else link_score(
                targets[link.id],
                content.catalogue(found.content_version_id),
                found.pathway_id,
                found.course_ids,
                progress[found.id],
            )
        )
    floors = _floors(wanted)
    return {
        key: (never_lower(score, floors.get(key, 0.0)) if score is not None else None)
        for key, score in result.items()
    }


# ---------------------------------------------------------------------- the grades page
# What a score is, for people: sent, waiting (never tried yet), retrying (a try failed, another
# is due), failed (parked after too many tries, or refused for good; a facilitator may retry).
SENT, WAITING, RETRYING, FAILED = "sent", "waiting", "retrying", "failed"
STATES = (FAILED, RETRYING, WAITING, SENT)
# The page's filters: waiting includes retrying.
FILTERS = {
    FAILED: ScoreOutbox.status == PARKED,
    WAITING: ScoreOutbox.status == PENDING,
    SENT: ScoreOutbox.status == DELIVERED,
}


class ScoreRow(NamedTuple):
    score: ScoreOutbox
    link: ResourceLink
    user: LtiUser
    state: str  # one of STATES
    target: LinkTarget  # what the link opens, to name it when the LMS gave it no title
    reason: ags.FailureReason | None  # why the last try failed (retrying, failed)
    status: int | None  # the LMS's HTTP status, if it answered one (a technical detail)


def state_of(score: ScoreOutbox) -> str:
    if score.status == PARKED:
        return FAILED
    if score.status == DELIVERED:
        return SENT
    return RETRYING if score.attempts else WAITING


def course_scores(
    actor: Actor, show: str | None = None, limit: int = 200
) -> tuple[list[ScoreRow], dict[str, int]]:
    """The latest scores of the actor's LMS course, failed ones first, then newest first (only
    those of `show`, one of FILTERS, when given), and how many of each state the course has.
    Two queries."""
    in_course = ResourceLink.context_id == actor.context_id
    counts = dict.fromkeys(STATES, 0)
    for status, total, retrying in db.session.execute(
        select(
            ScoreOutbox.status,
            func.count(),
            func.sum(case((ScoreOutbox.attempts > 0, 1), else_=0)),
        )
        .join(ResourceLink, ResourceLink.id == ScoreOutbox.resource_link_id)
        .where(in_course)
        .group_by(ScoreOutbox.status)
    ):
        if status == PENDING:
            counts[RETRYING] += int(retrying or 0)
            counts[WAITING] += total - int(retrying or 0)
        elif status == PARKED:
            counts[FAILED] += total
        elif status == DELIVERED:
            counts[SENT] += total
    query = (
        select(ScoreOutbox, ResourceLink, LtiUser)
        .join(ResourceLink, ResourceLink.id == ScoreOutbox.resource_link_id)
        .join(LtiUser, LtiUser.id == ScoreOutbox.user_id)
        .where(in_course)
        .order_by(
            case((ScoreOutbox.status == PARKED, 0), else_=1),
            ScoreOutbox.event_at.desc(),
            ScoreOutbox.id.desc(),
        )
        .limit(limit)
    )
    if show in FILTERS:
        query = query.where(FILTERS[show])
    rows = []
    for score, link, user in db.session.execute(query).all():
        state = state_of(score)
        failed = state in (FAILED, RETRYING) and bool(score.last_error)
        rows.append(
            ScoreRow(
                score,
                link,
                user,
                state,
                LinkTarget.parse(link.target),
                ags.failure_reason(score.last_error) if failed else None,
                ags.failure_status(score.last_error) if failed else None,
            )
        )
    return rows, counts


def retry(score_id: int, actor: Actor | None = None) -> bool:
    """Send a parked score again (facilitator's button: only her course's scores; the CLI:
    any). False if it was not parked."""
    query = select(ScoreOutbox).where(ScoreOutbox.id == score_id)
    if actor is not None:
        query = query.join(ResourceLink, ResourceLink.id == ScoreOutbox.resource_link_id).where(
            ResourceLink.context_id == actor.context_id
        )
    row = db.session.scalar(query)
    if row is None:
        raise ScoreNotFound(score_id)
    if row.status != PARKED:
        return False
    row.status = PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow()
    row.locked_until = None
    db.session.commit()
    return True


def status_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(ScoreOutbox.status, func.count().label("n")).group_by(ScoreOutbox.status)
    )
    return {row.status: row.n for row in rows}


def parked(limit: int = 50) -> list[ScoreOutbox]:
    return list(
        db.session.scalars(select(ScoreOutbox).where(ScoreOutbox.status == PARKED).limit(limit))
    )


def parked_ids() -> list[int]:
    return list(db.session.scalars(select(ScoreOutbox.id).where(ScoreOutbox.status == PARKED)))
