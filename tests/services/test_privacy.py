"""The privacy boundary: she sees and downloads everything Senda holds about her and deletes
what she wrote; the programme team erases a person everywhere; sensitive values are encrypted
at rest, with key rotation; every read is in the access log."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from lti_tool.actor import Actor, Role
from lti_tool.jobs import grade_delivery
from lti_tool.models import (
    ActivityProgress,
    Attendance,
    Enrolment,
    LmsContext,
    LtiUser,
    ScoreOutbox,
    WorkshopSession,
    db,
    utcnow,
)
from lti_tool.models.encryption import KeyRing, new_key
from lti_tool.models.private import AccessLog, Demographics
from lti_tool.services import learning, privacy
from lti_tool.services.errors import PersonNotFound
from tests.conftest import TEST_ENCRYPTION_KEY, override_settings
from tests.factories import (
    CourseFactory,
    GrantFactory,
    LinkFactory,
    ProgrammeFactory,
    actor_of,
    member,
)

REFLECTION = "Aprendí que puedo pedir ayuda sin vergüenza."
WORKSHEET = {"customers": "Vecinas del pasaje", "offer": "Pan amasado los sábados"}


def _participant(course: LmsContext, sub: str = "carmen") -> tuple[Actor, learning.Journey]:
    person = member(course, sub=sub, name="Carmen Soto")
    actor = actor_of(person, course)
    learning.enrol(
        actor,
        {"goal": ["own-business"]},
        None,
        {"region": "araucania", "municipality": "Temuco", "migrant": "", "indigenous": "yes"},
    )
    j = learning.journey(actor)
    catalogue = j.catalogue
    learning.save_reflection(j, catalogue.activities["ls-strengths"], REFLECTION)
    learning.save_worksheet(j, catalogue.activities["ent-idea-bmc"], WORKSHEET, submit=False)
    return actor, learning.journey(actor)


@pytest.fixture
def course(app: Flask, imported: int) -> LmsContext:
    course: LmsContext = CourseFactory()
    LinkFactory(course=course)  # a graded link: her progress queues scores
    return course


def test_her_export_holds_what_she_wrote_and_her_optional_information(course: LmsContext) -> None:
    actor, _j = _participant(course)
    held = privacy.export(actor)
    written = [a["what_you_wrote"] for plan in held["plans"] for a in plan["activities"]]
    assert {"text": REFLECTION} in written
    assert {"values": WORKSHEET} in written
    assert held["optional_information"]["municipality"] == "Temuco"
    assert held["person"]["name"] == "Carmen Soto"
    json.dumps(held)  # the download is plain JSON
    reads = db.session.scalars(
        select(AccessLog.why).where(
            AccessLog.subject_id == actor.user_id, AccessLog.action == "read"
        )
    ).all()
    assert "participant-export" in reads


def test_what_she_writes_is_unreadable_at_rest(course: LmsContext) -> None:
    _participant(course)
    raw = " ".join(
        str(v)
        for row in db.session.execute(text("SELECT data FROM activity_progress"))
        for v in row
    ) + " ".join(
        str(v)
        for row in db.session.execute(text("SELECT region, municipality FROM demographics"))
        for v in row
    )
    for secret in (REFLECTION, "Vecinas", "araucania", "Temuco"):
        assert secret not in raw


def test_she_deletes_her_reflections_and_keeps_her_progress(course: LmsContext) -> None:
    actor, _j = _participant(course)
    assert privacy.delete_my_work(actor, {"reflections"}) == 1
    rows = {r.activity_id: r for r in db.session.scalars(select(ActivityProgress))}
    assert "text" not in rows["ls-strengths"].data and rows["ls-strengths"].completed
    assert rows["ent-idea-bmc"].data["values"] == WORKSHEET  # worksheets were not chosen
    privacy.delete_my_work(actor, {"worksheets"})
    assert "values" not in db.session.get(ActivityProgress, rows["ent-idea-bmc"].id).data  # type: ignore[union-attr]


def _rows_about(user_id: int) -> dict[str, int]:
    def count(model: type, column: object) -> int:
        return (
            db.session.scalar(select(func.count()).select_from(model).where(column == user_id)) or 0
        )

    return {
        "lti_user": count(LtiUser, LtiUser.id),
        "enrolment": count(Enrolment, Enrolment.user_id),
        "demographics": count(Demographics, Demographics.user_id),
        "attendance": count(Attendance, Attendance.user_id),
        "score_outbox": count(ScoreOutbox, ScoreOutbox.user_id),
        "access_log": count(AccessLog, AccessLog.subject_id),
        "activity_progress": db.session.scalar(
            select(func.count())
            .select_from(ActivityProgress)
            .join(Enrolment, Enrolment.id == ActivityProgress.enrolment_id)
            .where(Enrolment.user_id == user_id)
        )
        or 0,
    }


def test_the_programme_team_erases_a_person_everywhere(course: LmsContext) -> None:
    actor, _j = _participant(course)
    session = WorkshopSession(context_id=course.id, activity_id="ls-workshop", starts_at=utcnow())
    db.session.add(session)
    db.session.flush()
    db.session.add(Attendance(session_id=session.id, user_id=actor.user_id))
    db.session.commit()
    other_actor, _ = _participant(course, sub="yasna")
    before = _rows_about(actor.user_id)
    assert all(before.values()), before  # she is in every table
    team = member(course, Role.FACILITATOR, name="Ana Pérez")
    GrantFactory(user_id=team.id)
    privacy.erase_person(actor_of(team, course, Role.FACILITATOR), actor.user_id)
    assert set(_rows_about(actor.user_id).values()) == {0}
    assert _rows_about(other_actor.user_id)["enrolment"] == 1  # nobody else is touched
    # The access log keeps that an erasure happened, without her.
    assert db.session.scalar(select(AccessLog).where(AccessLog.why == "programme-erasure"))
    # The outbox copes: her scores went with her; the worker runs on without her.
    waiting = db.session.scalar(select(func.count()).select_from(ScoreOutbox))
    assert waiting and grade_delivery.claim() != []


def test_nobody_outside_the_programme_team_erases_and_never_across_programmes(
    course: LmsContext,
) -> None:
    actor, _j = _participant(course)
    team = member(course, Role.FACILITATOR, name="Ana Pérez")
    with pytest.raises(PersonNotFound):  # herself: never through this page
        privacy.erase_person(actor_of(team, course, Role.FACILITATOR), team.id)
    # Nobody with this id (erased already, by a double tap): nothing to do, said so.
    assert privacy.erase_person(actor_of(team, course, Role.FACILITATOR), 10_000) is False
    regional = ProgrammeFactory()
    their_course = CourseFactory(deployment__platform__programme_id=regional.id)
    theirs = member(their_course, name="Participante de otro programa")
    GrantFactory(user_id=team.id)
    # Another programme's participant: answered as an id nobody holds (nothing tells them apart).
    assert privacy.erase_person(actor_of(team, course, Role.FACILITATOR), theirs.id) is False
    assert db.session.get(LtiUser, actor.user_id) is not None
    assert db.session.get(LtiUser, theirs.id) is not None


def test_retention_erases_people_gone_longer_than_configured(
    app: Flask, course: LmsContext
) -> None:
    actor, _j = _participant(course)
    user = db.session.get(LtiUser, actor.user_id)
    assert user is not None
    user.last_launch_at = utcnow().replace(year=utcnow().year - 3)
    db.session.commit()
    assert privacy.purge_expired() == (0, 0)  # 0: keep forever (the default)
    override_settings(app, privacy={"inactive_person_days": 365 * 2})
    people, _log_rows = privacy.purge_expired()
    assert people == 1 and db.session.get(LtiUser, actor.user_id) is None


def test_a_new_key_reads_old_values_and_reencrypt_moves_them_to_it(
    app: Flask, course: LmsContext
) -> None:
    actor, _j = _participant(course)
    before = db.session.execute(text("SELECT region FROM demographics")).scalar_one()
    newest = new_key()
    app.extensions["senda_keyring"] = KeyRing([newest, TEST_ENCRYPTION_KEY])
    db.session.expire_all()
    assert privacy.my_demographics(actor, "test").region == "araucania"  # type: ignore[union-attr]
    assert privacy.reencrypt() >= 3
    after = db.session.execute(text("SELECT region FROM demographics")).scalar_one()
    assert after != before
    # Only the new key is needed from now on.
    app.extensions["senda_keyring"] = KeyRing([newest])
    db.session.expire_all()
    assert privacy.my_demographics(actor, "test").region == "araucania"  # type: ignore[union-attr]
    assert privacy.export(actor)["plans"][0]["activities"]
