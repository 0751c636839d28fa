"""The real curriculum's employment workshops are required: the stage they make up is complete
only once a facilitator recorded her at each of them (content: `required: true`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from lti_tool.models import Attendance, Enrolment, LtiUser, db
from lti_tool.services import learning
from tests.conftest import REAL_CONTENT
from tests.lti_tool.test_workshops import chile, enrol, schedule, text
from tests.support.journey import complete_course, post
from tests.support.lti import Launcher


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"content_path": str(REAL_CONTENT)}


LIVE = (
    "emp-ws-motivation-live",
    "emp-ws-training-live",
    "emp-ws-rights-live",
    "emp-ws-communication-live",
    "emp-ws-autonomy-live",
)


def test_the_employment_workshops_must_be_attended_to_complete_their_stage(
    launcher: Launcher,
) -> None:
    """The five live workshops of the employment pathway are required: doing everything else
    leaves the stage open and the next one locked; her recorded attendance completes it."""
    enrol(launcher, "carmen", "Carmen Soto", {"goal": "job"})
    enrolment = db.session.scalar(select(Enrolment))
    assert enrolment is not None and enrolment.pathway_id == "employment"
    assert "emp-workshops" in enrolment.course_ids
    journey = learning.journey_of(enrolment)
    assert all(journey.catalogue.activities[a].required for a in LIVE)
    complete_course("carmen", "life-skills")
    complete_course("carmen", "emp-diagnosis")
    page = text(launcher.client.get(f"/activities/{LIVE[0]}"))
    assert "Asistir a este taller es obligatorio para completar el curso." in page
    journey = learning.journey_of(enrolment)
    for activity in journey.catalogue.course_activities("emp-workshops"):
        if activity.kind != "workshop":
            complete_course_step(journey, activity)
    status = {c.course.id: c.status for c in learning.journey_of(enrolment).courses}
    assert status["emp-workshops"] == "open" and status["emp-enablement"] == "locked"

    # Her facilitator records her at each session, once it has started.
    launcher.launch("facilitator", sub="paula")
    carmen = db.session.scalar(select(LtiUser).where(LtiUser.sub == "carmen"))
    assert carmen is not None
    for activity_id in LIVE:
        session = schedule(launcher, chile(-timedelta(hours=2)), activity_id)
        response = post(
            launcher.client,
            f"/cohort/workshops/{session.id}",
            {"present": [str(carmen.id)]},
            token_from=f"/cohort/workshops/{session.id}",
        )
        assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == len(LIVE)
    status = {c.course.id: c.status for c in learning.journey_of(enrolment).courses}
    assert status["emp-workshops"] == "done" and status["emp-enablement"] == "open"


def complete_course_step(journey: learning.Journey, activity: Any) -> None:
    if activity.kind == "quiz":
        learning.submit_quiz(
            journey, activity, {q.id: sorted(q.correct_ids) for q in activity.questions}
        )
    elif activity.kind == "worksheet":
        learning.save_worksheet(journey, activity, {f.id: "x" for f in activity.fields}, True)
    elif activity.kind == "reflection":
        learning.save_reflection(journey, activity, "Quiero trabajar cerca de mi casa.")
    else:
        learning.mark_viewed(journey, activity)
