"""What Senda knows about the LMSs that launch it: platforms, deployments, people, courses and
links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lti_tool.models.base import db
from lti_tool.models.programme import DEFAULT_PROGRAMME_ID
from lti_tool.models.types import UtcDateTime, utcnow


class Platform(db.Model):  # type: ignore[name-defined]
    """An LMS registration: one (issuer, client_id) pair. Canvas shares one issuer across all its
    customers, so the issuer alone never identifies a platform."""

    __tablename__ = "platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    auth_login_url: Mapped[str] = mapped_column(String(1024))
    auth_token_url: Mapped[str] = mapped_column(String(1024))
    auth_audience: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    key_set_url: Mapped[str] = mapped_column(String(1024))
    # The platform's JWKS as last fetched; refreshed on an unknown `kid` (rate limited).
    key_set: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    key_set_fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # config: declared in the TOML file; cli/dynamic: stored by an administrator; demo: built in.
    source: Mapped[str] = mapped_column(String(16), default="cli")
    product: Mapped[str] = mapped_column(String(64), default="")
    # Origins of the pages that frame Senda (Canvas serves courses from the school's own domain,
    # not the issuer's); learnt from signed launch claims and allowed in CSP frame-ancestors.
    frame_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The programme whose courses this LMS serves (the installation's default one unless the
    # programme team moves it).
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id"), default=DEFAULT_PROGRAMME_ID, server_default="1"
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(back_populates="platform")

    @property
    def label(self) -> str:
        return self.name or self.issuer


class Deployment(db.Model):  # type: ignore[name-defined]
    """An installation of the tool in a platform (a Moodle site, a Canvas account or course)."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class LtiUser(db.Model):  # type: ignore[name-defined]
    """A person, identified by (platform, sub): never by name or email, which can change."""

    __tablename__ = "lti_user"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    given_name: Mapped[str] = mapped_column(String(255), default="")
    locale: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_launch_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    @property
    def display_name(self) -> str:
        return self.name or self.given_name or ""


class LmsContext(db.Model):  # type: ignore[name-defined]
    """An LMS course. Its id is unique within a deployment (LTI Core §5.4.1)."""

    __tablename__ = "lms_context"
    __table_args__ = (UniqueConstraint("deployment_id", "context_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    # Names and Role Provisioning endpoint, when the platform offers it.
    memberships_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    # Set from the platform's programme when the course is first seen.
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programme.id"), default=DEFAULT_PROGRAMME_ID, server_default="1", index=True
    )
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohort.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    deployment: Mapped[Deployment] = relationship()


class ResourceLink(db.Model):  # type: ignore[name-defined]
    """A placement of Senda in an LMS course, with what it opens and where its grades go."""

    __tablename__ = "resource_link"
    __table_args__ = (UniqueConstraint("deployment_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    context_id: Mapped[int | None] = mapped_column(
        ForeignKey("lms_context.id", ondelete="CASCADE"), nullable=True
    )
    resource_link_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    # What the link opens, from its custom parameter: "pathway:employment", "course:…", "intake".
    target: Mapped[str] = mapped_column(String(128), default="")
    lineitem_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    lineitems_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    ags_scopes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    context: Mapped[LmsContext | None] = relationship()


class Membership(db.Model):  # type: ignore[name-defined]
    """A person's role in one LMS course. Rights are per context: an instructor in course X is
    only a participant, or nobody, in course Y."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "context_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lti_user.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("lms_context.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # a course Role (lti_tool/actor.py)
    lms_roles: Mapped[str] = mapped_column(Text, default="")
    # A mentor's scope (the launch's role_scope_mentor claim): the subs she mentors here.
    mentor_scope: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Came from the LMS roster (NRPS) but has not launched Senda yet.
    from_roster: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_launch_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    user: Mapped[LtiUser] = relationship()
    context: Mapped[LmsContext] = relationship()
