"""The employment tutor's access to the women of her caseload, behind the privacy boundary.

A tutor (programme grant) reads, for the participants the programme team assigned to her and
only for them: their diagnosis and CV worksheets, the CVs they sent her, and her own dated notes,
which the participant reads too. Every read of a note, a CV sent for comments or a worksheet is
written to the access log. These functions do not commit: the use cases of
`lti_tool/services/tutoring.py` do, once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, exists, insert, select, update
from sqlalchemy.orm import aliased

from lti_tool.actor import Actor, Role
from lti_tool.models import ActivityProgress, Grant, LmsContext, LtiUser, Membership, db, utcnow
from lti_tool.models.private import AccessLog, CvReview, TutorAssignment, TutorNote
from lti_tool.services import revisions
from lti_tool.services.errors import CvReviewNotFound, NoTutor, ParticipantNotFound, PersonNotFound
from lti_tool.services.privacy.core import log
from lti_tool.services.privacy.support import grant_regions

MAX_NOTE = 4000


@dataclass(frozen=True)
class NoteView:
    id: int
    at: datetime
    body: str
    author: str


@dataclass(frozen=True)
class ReviewView:
    id: int
    activity_id: str
    sent_at: datetime
    values: dict[str, str]
    comment: str | None
    commented_at: datetime | None
    commented_by: str
    revision: int  # of the comments, for the comment form to name


@dataclass(frozen=True)
class Assignment:
    participant_id: int
    tutor_id: int
    tutor: str
    assigned_at: datetime


# ------------------------------------------------------------------------- who is whose
def require_tutor(actor: Actor) -> None:
    grant_regions(actor, Role.TUTOR)


def caseload_ids(actor: Actor) -> list[int]:
    """The participants assigned to her now (Forbidden without a tutor grant)."""
    require_tutor(actor)
    return list(
        db.session.scalars(
            select(TutorAssignment.participant_id)
            .where(
                TutorAssignment.programme_id == actor.programme_id,
                TutorAssignment.tutor_id == actor.user_id,
                TutorAssignment.ended_at.is_(None),
            )
            .order_by(TutorAssignment.id)
        )
    )


def in_caseload(actor: Actor, participant_id: int, lock: bool = False) -> LtiUser:
    """A woman of her caseload (one query while she holds a tutor grant); anyone else is not
    found, whatever id is typed, and without a tutor grant it is Forbidden. `lock`: the
    assignment is held until the commit, so that two taps at once are served one after the
    other."""
    holds_grant = (
        select(Grant.id)
        .where(
            Grant.user_id == actor.user_id,
            Grant.programme_id == actor.programme_id,
            Grant.role == Role.TUTOR.value,
            Grant.revoked_at.is_(None),
        )
        .exists()
    )
    query = (
        select(LtiUser)
        .join(TutorAssignment, TutorAssignment.participant_id == LtiUser.id)
        .where(
            TutorAssignment.programme_id == actor.programme_id,
            TutorAssignment.tutor_id == actor.user_id,
            TutorAssignment.participant_id == participant_id,
            TutorAssignment.ended_at.is_(None),
            holds_grant,
        )
    )
    found = db.session.scalar(query.with_for_update(of=TutorAssignment) if lock else query)
    if found is None:
        require_tutor(actor)
        raise ParticipantNotFound(participant_id)
    return found


def require_in_caseload(actor: Actor, participant_id: int, lock: bool = False) -> None:
    in_caseload(actor, participant_id, lock)


def has_tutor(programme_id: Any, participant_id: Any) -> Exists:
    """Whether she has a tutor now, as a clause for a larger read (her plan page asks it
    together with everything else it needs): says only yes or no, and reads no note."""
    return exists().where(
        TutorAssignment.programme_id == programme_id,
        TutorAssignment.participant_id == participant_id,
        TutorAssignment.ended_at.is_(None),
    )


_TUTOR = aliased(LtiUser, name="tutor")


def tutor_of(programme_id: int, participant_id: int, lock: bool = False) -> Assignment | None:
    """Her tutor now; `lock`: the assignment is held until the commit."""
    query = (
        select(TutorAssignment, _TUTOR.name)
        .join(_TUTOR, _TUTOR.id == TutorAssignment.tutor_id)
        .where(
            TutorAssignment.programme_id == programme_id,
            TutorAssignment.participant_id == participant_id,
            TutorAssignment.ended_at.is_(None),
        )
        .order_by(TutorAssignment.id.desc())
        .limit(1)
    )
    row = db.session.execute(query.with_for_update(of=TutorAssignment) if lock else query).first()
    if row is None:
        return None
    assignment, name = row
    return Assignment(participant_id, assignment.tutor_id, name or "", assignment.assigned_at)


def current_tutors(programme_id: int, participant_ids: Collection[int]) -> dict[int, Assignment]:
    if not participant_ids:
        return {}
    rows = db.session.execute(
        select(TutorAssignment, _TUTOR.name)
        .join(_TUTOR, _TUTOR.id == TutorAssignment.tutor_id)
        .where(
            TutorAssignment.programme_id == programme_id,
            TutorAssignment.participant_id.in_(sorted(participant_ids)),
            TutorAssignment.ended_at.is_(None),
        )
    ).all()
    return {
        a.participant_id: Assignment(a.participant_id, a.tutor_id, name or "", a.assigned_at)
        for a, name in rows
    }


def _in_programme(programme_id: int, user_id: int, role: str) -> bool:
    return (
        db.session.scalar(
            select(Membership.id)
            .join(LmsContext, LmsContext.id == Membership.context_id)
            .where(
                Membership.user_id == user_id,
                Membership.role == role,
                LmsContext.programme_id == programme_id,
            )
            .limit(1)
        )
        is not None
    )


def assign(actor: Actor, participant_id: int, tutor_id: int | None) -> None:
    """The programme team gives her a tutor (ending the previous assignment), or none. The
    tutor must hold a tutor grant in the programme; the participant must be one of it."""
    grant_regions(actor, Role.PROGRAMME_TEAM)
    if not _in_programme(actor.programme_id, participant_id, Role.PARTICIPANT.value):
        raise PersonNotFound(participant_id)
    current = tutor_of(actor.programme_id, participant_id)
    if current is not None and current.tutor_id == tutor_id:
        return
    if tutor_id is not None:
        tutor = Actor(tutor_id, 0, actor.programme_id, None, None, Role.TUTOR, "")
        try:
            require_tutor(tutor)
        except PermissionError as exc:
            raise PersonNotFound(tutor_id) from exc
    db.session.execute(
        update(TutorAssignment)
        .where(
            TutorAssignment.programme_id == actor.programme_id,
            TutorAssignment.participant_id == participant_id,
            TutorAssignment.ended_at.is_(None),
        )
        .values(ended_at=utcnow())
    )
    if tutor_id is not None:
        db.session.add(
            TutorAssignment(
                programme_id=actor.programme_id,
                tutor_id=tutor_id,
                participant_id=participant_id,
                assigned_by=actor.user_id,
            )
        )
    log(actor.user_id, participant_id, "tutoring", "write", "programme-assigns-tutor")


# ------------------------------------------------------------------------------ notes
_NOTE_AUTHOR = aliased(LtiUser, name="note_author")


def _notes(programme_id: int, participant_id: int) -> list[NoteView]:
    return [
        NoteView(note.id, note.at, note.body, name or "")
        for note, name in db.session.execute(
            select(TutorNote, _NOTE_AUTHOR.name)
            .outerjoin(_NOTE_AUTHOR, _NOTE_AUTHOR.id == TutorNote.author_id)
            .where(
                TutorNote.programme_id == programme_id,
                TutorNote.participant_id == participant_id,
            )
            .order_by(TutorNote.at.desc(), TutorNote.id.desc())
        )
    ]


def notes_for_tutor(
    actor: Actor, participant_id: int, reads: list[str] | None = None
) -> list[NoteView]:
    """Every note about her (hers and her earlier tutors'): a logged read (added to `reads`
    when given, for `record_reads` to write with the page's other reads)."""
    notes = _notes(actor.programme_id, participant_id)
    _read(actor, participant_id, "tutor-note", "tutor-caseload", reads)
    return notes


def _read(actor: Actor, subject_id: int, what: str, why: str, reads: list[str] | None) -> None:
    if reads is None:
        log(actor.user_id, subject_id, what, "read", why)
    else:
        reads.append(what)


def record_reads(actor: Actor, participant_id: int, reads: list[str], why: str) -> None:
    """The reads of one page, written to the access log in one statement."""
    if reads:
        db.session.execute(
            insert(AccessLog),
            [
                {
                    "reader_id": actor.user_id,
                    "subject_id": participant_id,
                    "what": what,
                    "action": "read",
                    "why": why,
                    "at": utcnow(),
                }
                for what in reads
            ],
        )


def add_note(actor: Actor, participant_id: int, body: str, seen: int | None = None) -> bool:
    """A dated note about her. `seen`: the newest note the tutor's page showed; the same words
    sent again from that page (a double tap, Back) are not a second note (False)."""
    text = body.strip()[:MAX_NOTE]
    if not text:
        raise ValueError("empty note")
    if seen is not None:
        since = db.session.scalars(
            select(TutorNote.body).where(
                TutorNote.programme_id == actor.programme_id,
                TutorNote.participant_id == participant_id,
                TutorNote.author_id == actor.user_id,
                TutorNote.id > seen,
            )
        )
        if text in since.all():
            return False
    db.session.add(
        TutorNote(
            programme_id=actor.programme_id,
            participant_id=participant_id,
            author_id=actor.user_id,
            body=text,
        )
    )
    log(actor.user_id, participant_id, "tutor-note", "write", "tutor-caseload")
    return True


def my_notes(actor: Actor) -> list[NoteView]:
    notes = _notes(actor.programme_id, actor.user_id)
    if notes:
        log(actor.user_id, actor.user_id, "tutor-note", "read", "participant-own-notes")
    return notes


# ------------------------------------------------------------------------ worksheets
def worksheet_values(
    actor: Actor,
    participant_id: int,
    rows: Mapping[str, ActivityProgress],
    activity_ids: Sequence[str],
    why: str,
    reads: list[str] | None = None,
) -> dict[str, dict[str, str]]:
    """What she wrote in these worksheets (activity id → field → text), from her progress rows
    (already loaded with her plan): a logged read. The caller has checked that she is in the
    tutor's caseload."""
    values = {
        activity_id: dict((rows[activity_id].data or {}).get("values", {}))
        for activity_id in activity_ids
        if activity_id in rows
    }
    _read(actor, participant_id, "work", why, reads)
    return values


# --------------------------------------------------------------------------- CV reviews
_REVIEWER = aliased(LtiUser, name="reviewer")


def _review_views(query: Any) -> list[ReviewView]:
    return [
        ReviewView(
            r.id,
            r.activity_id,
            r.sent_at,
            dict(r.values or {}),
            r.comment,
            r.commented_at,
            name or "",
            r.revision or 0,
        )
        for r, name in db.session.execute(
            query.add_columns(_REVIEWER.name)
            .outerjoin(_REVIEWER, _REVIEWER.id == CvReview.commented_by)
            .order_by(CvReview.sent_at.desc(), CvReview.id.desc())
        )
    ]


class CvAlreadyWaiting(Exception):
    """The CV she sends is the one already waiting for her tutor's comments (a double tap, or
    sent again unchanged): nothing new is sent."""

    def __init__(self, review_id: int) -> None:
        super().__init__(f"cv review {review_id} is waiting")
        self.review_id = review_id


def send_cv(actor: Actor, activity_id: str, values: dict[str, str]) -> int:
    """She sends her CV worksheet, as it is now, to her tutor; CvAlreadyWaiting when her
    tutor has it as it is now and has not commented it yet."""
    assignment = tutor_of(actor.programme_id, actor.user_id, lock=True)
    if assignment is None:
        raise NoTutor(actor.user_id)
    waiting = db.session.scalars(
        select(CvReview).where(
            CvReview.programme_id == actor.programme_id,
            CvReview.participant_id == actor.user_id,
            CvReview.tutor_id == assignment.tutor_id,
            CvReview.activity_id == activity_id,
            CvReview.commented_at.is_(None),
        )
    )
    for review in waiting:
        if dict(review.values or {}) == dict(values):
            raise CvAlreadyWaiting(review.id)
    row = CvReview(
        programme_id=actor.programme_id,
        participant_id=actor.user_id,
        tutor_id=assignment.tutor_id,
        activity_id=activity_id,
        values=dict(values),
    )
    db.session.add(row)
    db.session.flush()
    log(actor.user_id, actor.user_id, "cv-review", "write", "participant-sends-cv")
    return row.id


def my_reviews(actor: Actor) -> list[ReviewView]:
    reviews = _review_views(
        select(CvReview).where(
            CvReview.programme_id == actor.programme_id, CvReview.participant_id == actor.user_id
        )
    )
    if reviews:
        log(actor.user_id, actor.user_id, "cv-review", "read", "participant-own-reviews")
    return reviews


def reviews_for_tutor(
    actor: Actor, participant_id: int, reads: list[str] | None = None
) -> list[ReviewView]:
    reviews = _review_views(
        select(CvReview).where(
            CvReview.programme_id == actor.programme_id,
            CvReview.participant_id == participant_id,
        )
    )
    if reviews:
        _read(actor, participant_id, "cv-review", "tutor-caseload", reads)
    return reviews


def comment(
    actor: Actor, participant_id: int, review_id: int, text: str, revision: int | None = None
) -> None:
    """The tutor comments a CV she was sent (she may correct her comment later). `revision`:
    the one of the comments her page showed; comments saved since (another tab, another tutor)
    are not replaced unseen (revisions.Stale), unless she sends the very same words."""
    row = db.session.scalar(
        select(CvReview).where(
            CvReview.id == review_id,
            CvReview.programme_id == actor.programme_id,
            CvReview.participant_id == participant_id,
        )
    )
    if row is None:
        raise CvReviewNotFound(review_id)
    body = text.strip()[:MAX_NOTE]
    if not body:
        raise ValueError("empty comment")
    if not revisions.advance(row, revision, unchanged=row.comment == body):
        return  # the same words again (a double tap): nothing changes
    row.comment = body
    row.commented_by = actor.user_id
    row.commented_at = utcnow()
    log(actor.user_id, participant_id, "cv-review", "write", "tutor-comments-cv")


def pending_reviews(programme_id: int, participant_ids: Collection[int]) -> dict[int, int]:
    """How many CVs each woman sent that have no comment yet (a count, nothing read)."""
    if not participant_ids:
        return {}
    counts: dict[int, int] = {}
    for participant_id in db.session.scalars(
        select(CvReview.participant_id).where(
            CvReview.programme_id == programme_id,
            CvReview.participant_id.in_(sorted(participant_ids)),
            CvReview.commented_at.is_(None),
        )
    ):
        counts[participant_id] = counts.get(participant_id, 0) + 1
    return counts
