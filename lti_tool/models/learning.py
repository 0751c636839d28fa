"""A participant's plan and progress, and facilitators' workshops."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.models.base import db
from lti_tool.models.encryption import EncryptedJson
from lti_tool.models.lms import LmsContext, LtiUser
from lti_tool.models.types import UtcDateTime, utcnow


class WorkOnActivity:
    """The columns of her work on one activity, shared by a pathway's (`ActivityProgress`) and
    a school's (`SchoolProgress`): started or completed, best quiz score, and what she wrote."""

    activity_id: Mapped[str] = mapped_column(String(64))
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # What she wrote (worksheet fields, reflection, quiz answers), encrypted at rest.
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJson, default=dict)
    # How many saves changed what she wrote (services/revisions.py: a save from an older page,
    # a refreshed old form or another window, is refused, so it never overwrites newer text).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class LiveWorkshop:
    """The columns of a scheduled live session of a workshop activity, shared by a course's
    (`WorkshopSession`) and a school cohort's (`SchoolWorkshop`)."""

    activity_id: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    meeting_url: Mapped[str] = mapped_column(String(1024), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Presence:
    """Whether she came to a live session, and who recorded it when (`Attendance`,
    `SchoolAttendance`)."""

    present: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_by: Mapped[int | None] = mapped_column(
        ForeignKey("lti_user.id", ondelete="SET NULL"), nullable=True
    )
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Enrolment(db.Model):  # type: ignore[name-defined]
    """Her plan in one LMS course: pathway, level, selected courses, on one content version."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("user_id", "context_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(
        ForeignKey("lms_context.id", ondelete="CASCADE"), index=True
    )
    # The version she started on; she keeps it until a designer migrates her cohort.
    content_version_id: Mapped[int] = mapped_column(ForeignKey("content_version.id"))
    pathway_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    course_ids: Mapped[list[str]] = mapped_column(JSON)
    answers: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    # Why she was placed here: rule ids, and who changed it (placement, participant, facilitator).
    placement_rule: Mapped[str] = mapped_column(String(64), default="")
    placed_by: Mapped[str] = mapped_column(String(16), default="placement")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_activity_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_activity_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # When she first completed every course of her plan (reports; follow-up surveys start here).
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    user: Mapped[LtiUser] = relationship()
    context: Mapped[LmsContext] = relationship()


class ActivityProgress(WorkOnActivity, db.Model):  # type: ignore[name-defined]
    """Her work on one activity of her pathway (worksheet fields, reflection, last quiz
    answers). Saved as she goes."""

    __tablename__ = "activity_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "activity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    # The activity's content fingerprint when she completed it (kept across version migrations
    # only if the activity did not change).
    fingerprint: Mapped[str] = mapped_column(String(32), default="")


class WorkshopSession(LiveWorkshop, db.Model):  # type: ignore[name-defined]
    """A live session of a workshop activity, scheduled by a facilitator for her LMS course."""

    __tablename__ = "workshop_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    context_id: Mapped[int] = mapped_column(
        ForeignKey("lms_context.id", ondelete="CASCADE"), index=True
    )
    # Changed (time, link, note) by course staff; cancelled sessions stay, shown as cancelled.
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # How many saves changed its time, link or note (services/revisions.py).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Attendance(Presence, db.Model):  # type: ignore[name-defined]
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
