"""The people around her: mentors and their small-group sessions, and the programme's schools
(the Mentor Training School, the Leadership School) with their cohorts, members, work, live
workshops and the notes a personal mentor keeps.

Every row hangs off a programme (directly, or through its session or cohort), so nothing crosses
programmes. What people write about each other (a mentor's private note on a session, a
participant's comment, a mentor's notes to her mentee) and what a member writes in the school
are encrypted at rest.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lti_tool.models.base import db
from lti_tool.models.encryption import Encrypted
from lti_tool.models.learning import LiveWorkshop, Presence, WorkOnActivity
from lti_tool.models.types import UtcDateTime, utcnow


# ----------------------------------------------------------------------------- mentoring
class MentorProfile(db.Model):  # type: ignore[name-defined]
    """What participants see of a mentor: her topics, a short bio in her words, her region and
    how she meets; and how many sessions a month she offers (for the network coordinator)."""

    __tablename__ = "mentor_profile"
    __table_args__ = (UniqueConstraint("programme_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    bio: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[str] = mapped_column(String(64), default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    online: Mapped[bool] = mapped_column(Boolean, default=True)
    in_person: Mapped[bool] = mapped_column(Boolean, default=False)
    per_month: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # How many saves changed the profile (services/revisions.py).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MentoringSession(db.Model):  # type: ignore[name-defined]
    """A two-hour small-group session a mentor offers on one topic, held in her own meeting
    tool (Senda keeps the link) or in person. `co_mentor_id`: an intern of the Mentor Training
    School co-leading it; the hours count for both once the session is held."""

    __tablename__ = "mentoring_session"
    __table_args__ = (Index("ix_mentoring_session_programme_starts", "programme_id", "starts_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    mentor_id: Mapped[int] = mapped_column(
        ForeignKey("lti_user.id", ondelete="CASCADE"), index=True
    )
    co_mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True, index=True
    )
    topic_id: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=120)
    mode: Mapped[str] = mapped_column(String(16), default="online")  # online | in_person
    meeting_url: Mapped[str] = mapped_column(String(1024), default="")
    place: Mapped[str] = mapped_column(String(255), default="")
    region: Mapped[str] = mapped_column(String(64), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=6)
    details: Mapped[str] = mapped_column(Text, default="")  # for participants
    # scheduled → held (attendance recorded) | cancelled (by the mentor)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    # The mentor's short note after the session: for her and the programme team only.
    private_note: Mapped[str] = mapped_column(Encrypted, default="")
    # How many saves changed its attendance or private note (services/revisions.py).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class MentoringSignUp(db.Model):  # type: ignore[name-defined]
    """Her request for a place. Who has a place and who waits is not stored: it follows from the
    live requests in order (courses/mentoring.py `allocate`), so a cancellation gives the place
    to the first woman waiting without anyone doing anything."""

    __tablename__ = "mentoring_sign_up"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("mentoring_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Recorded by the mentor: None until she takes attendance.
    attended: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    rating: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # 1..3
    comment: Mapped[str] = mapped_column(Encrypted, default="")
    rated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # How many saves changed her rating or comment (services/revisions.py).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# ----------------------------------------------------------------------------- schools
class SchoolCohort(db.Model):  # type: ignore[name-defined]
    """A group that goes through a school together, from a start date (its weeks count from
    it). `school_id` is the school's id in the content."""

    __tablename__ = "school_cohort"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    starts_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SchoolMember(db.Model):  # type: ignore[name-defined]
    """A woman in a school: she applied (volunteers' schools) or was invited to a cohort, then
    takes part. `mentor_id`: her personal mentor (the Leadership School)."""

    __tablename__ = "school_member"
    __table_args__ = (UniqueConstraint("programme_id", "school_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    school_id: Mapped[str] = mapped_column(String(64))
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("school_cohort.id", ondelete="SET NULL"), nullable=True, index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"), index=True)
    # applied → active (placed in a cohort) | invited → active | declined
    status: Mapped[str] = mapped_column(String(16))
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True, index=True
    )
    invited_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SchoolProgress(WorkOnActivity, db.Model):  # type: ignore[name-defined]
    """Her work on one activity of her school, like `ActivityProgress` for a pathway: what she
    wrote is encrypted at rest. Her mentor reads the worksheets (homework), never the rest."""

    __tablename__ = "school_progress"
    __table_args__ = (UniqueConstraint("member_id", "activity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("school_member.id", ondelete="CASCADE"))


class SchoolWorkshop(LiveWorkshop, db.Model):  # type: ignore[name-defined]
    """A live session of a school's workshop activity, scheduled for one cohort."""

    __tablename__ = "school_workshop"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("school_cohort.id", ondelete="CASCADE"), index=True
    )
    # Changed (time, link, note) by the school team: each change counts one revision, and a
    # change page names the revision it showed, so an older page never overwrites a newer one.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Cancelled by the school team: it stays listed, shown as cancelled.
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class SchoolAttendance(Presence, db.Model):  # type: ignore[name-defined]
    __tablename__ = "school_attendance"
    __table_args__ = (UniqueConstraint("workshop_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("school_workshop.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("school_member.id", ondelete="CASCADE"))


class MentorNote(db.Model):  # type: ignore[name-defined]
    """A dated note her personal mentor writes; she reads it on her school page."""

    __tablename__ = "mentor_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("school_member.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    body: Mapped[str] = mapped_column(Encrypted)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
