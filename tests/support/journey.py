"""Helpers for tests that walk a participant's or facilitator's pages like a browser."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


def csrf(client: FlaskClient, path: str = "/plan") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def post(
    client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> TestResponse:
    data = dict(data or {})
    data.setdefault("csrf_token", csrf(client, kwargs.pop("token_from", "/plan")))
    return client.post(path, data=data, **kwargs)


def intake(
    client: FlaskClient, answers: dict[str, Any] | None = None, **demographics: Any
) -> TestResponse:
    """Answer the intake (business starter by default)."""
    data: dict[str, Any] = dict(answers or {"goal": "own-business", "has-business": "no"})
    data.update(demographics)
    return post(client, "/intake", data, token_from="/intake")


def complete_course(sub: str, course_id: str) -> None:
    """Complete a course for a participant the quick way (through the services, not the pages);
    a workshop counts as attended."""
    from sqlalchemy import select

    from lti_tool.models import Enrolment, LtiUser, db
    from lti_tool.services import learning

    enrolment = db.session.scalar(
        select(Enrolment).join(LtiUser, LtiUser.id == Enrolment.user_id).where(LtiUser.sub == sub)
    )
    assert enrolment is not None
    j = learning.journey_of(enrolment)
    for activity in j.catalogue.course_activities(course_id):
        if j.progress.get(activity.id) and j.progress[activity.id].completed:
            continue
        if activity.kind == "quiz":
            learning.submit_quiz(
                j, activity, {q.id: sorted(q.correct_ids) for q in activity.questions}
            )
        elif activity.kind == "worksheet":
            learning.save_worksheet(j, activity, {f.id: "x" for f in activity.fields}, submit=True)
        elif activity.kind == "reflection":
            learning.save_reflection(j, activity, "Sé organizar mi casa y mi tiempo.")
        elif activity.kind == "workshop":
            learning.record_attendance(enrolment, activity, present=True)
            db.session.commit()
        else:
            learning.mark_viewed(j, activity)
