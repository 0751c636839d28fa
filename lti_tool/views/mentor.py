"""Mentors' pages. A mentor launched by the LMS sees the participants the LMS says she mentors
in this course, and their progress — never what they wrote."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from lti_tool.actor import Role
from lti_tool.services import content, mentoring
from lti_tool.web.session import current_actor, require_role

bp = Blueprint("mentor", __name__, url_prefix="/mentor")
mentor = require_role(Role.MENTOR)


@bp.get("")
@mentor
def index() -> ResponseReturnValue:
    latest = content.latest_catalogue()
    return render_template(
        "mentor/index.html",
        mentees=mentoring.mentees(current_actor()),
        catalogue=latest[1] if latest else None,
    )


@bp.get("/mentees/<int:user_id>")
@mentor
def mentee(user_id: int) -> ResponseReturnValue:
    member = mentoring.mentee(current_actor(), user_id)
    latest = content.latest_catalogue()
    return render_template(
        "mentor/mentee.html", member=member, catalogue=latest[1] if latest else None
    )
