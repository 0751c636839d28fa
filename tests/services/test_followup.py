"""Follow-up surveys as use cases: scheduled when she completes her pathway, offered at launch,
postponed (three times at most), declined (final), answered by her or on the phone; her answers
and contact are encrypted, logged, and erased with her."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, text, update

from courses.followup import add_months
from lti_tool.actor import Actor, Role
from lti_tool.models import Enrolment, FollowUp, LmsContext, LtiUser, db, utcnow
from lti_tool.models.private import AccessLog, FollowUpAnswer, FollowUpContact
from lti_tool.services import followup, learning, privacy, reports
from lti_tool.services.errors import (
    FollowUpClosed,
    FollowUpNotFound,
    Forbidden,
    NotDueYet,
    TooManyPostponements,
)
from tests.factories import CourseFactory, GrantFactory, ProgrammeFactory, actor_of, member
from tests.support.journey import complete_course

ANSWERS = {"income": "more", "formal-job": "yes", "what-changed": "Vendo por Instagram."}


def graduate(course: LmsContext, sub: str, name: str = "Carmen Soto") -> Actor:
    """A participant of `course` who completed every course of her plan."""
    person = member(course, sub=sub, name=name)
    actor = actor_of(person, course)
    learning.enrol(actor, {"goal": ["own-business"], "has-business": ["no"]}, None, None)
    enrolment = learning.enrolment_of(actor)
    assert enrolment is not None
    for course_id in list(enrolment.course_ids):
        complete_course(sub, course_id)
    return actor


def surveys_of(actor: Actor) -> list[FollowUp]:
    return list(
        db.session.scalars(
            select(FollowUp).where(FollowUp.user_id == actor.user_id).order_by(FollowUp.months)
        )
    )


def make_due(actor: Actor, months: int | None = None, days_ago: int = 1) -> None:
    query = update(FollowUp).where(FollowUp.user_id == actor.user_id)
    if months is not None:
        query = query.where(FollowUp.months == months)
    db.session.execute(query.values(due_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


def team_member(course: LmsContext, region: str | None = None) -> Actor:
    person = member(course, Role.FACILITATOR, sub="ana", name="Ana Pérez")
    GrantFactory(user_id=person.id, role=Role.PROGRAMME_TEAM.value, region=region)
    return actor_of(person, course, Role.FACILITATOR)


@pytest.fixture
def course(app: Flask, imported: int) -> LmsContext:
    found: LmsContext = CourseFactory()
    return found


# ------------------------------------------------------------------------------ schedule
def test_completing_the_pathway_schedules_both_surveys_in_calendar_months(
    course: LmsContext,
) -> None:
    actor = graduate(course, "carmen")
    enrolment = learning.enrolment_of(actor)
    assert enrolment is not None and enrolment.completed_at is not None
    three, six = surveys_of(actor)
    assert (three.months, three.survey_id) == (3, "followup-3m")
    assert (six.months, six.survey_id) == (6, "followup-6m")
    assert three.due_at == add_months(enrolment.completed_at, 3)
    assert six.due_at == add_months(enrolment.completed_at, 6)
    assert three.completed_at == enrolment.completed_at
    assert {three.status, six.status} == {"scheduled"}
    assert three.context_id == course.id and three.enrolment_id == enrolment.id


def test_nothing_is_scheduled_before_the_last_course_is_done(course: LmsContext) -> None:
    person = member(course, sub="yasna")
    actor = actor_of(person, course)
    learning.enrol(actor, {"goal": ["own-business"], "has-business": ["no"]}, None, None)
    enrolment = learning.enrolment_of(actor)
    assert enrolment is not None
    for course_id in enrolment.course_ids[:-1]:
        complete_course("yasna", course_id)
    assert surveys_of(actor) == [] and enrolment.completed_at is None


def test_a_second_completed_plan_does_not_ask_again(course: LmsContext) -> None:
    actor = graduate(course, "carmen")
    first = [(f.id, f.due_at) for f in surveys_of(actor)]
    other = CourseFactory(deployment=db.session.get(LmsContext, course.id).deployment)
    person = db.session.get(LtiUser, actor.user_id)
    from tests.factories import MembershipFactory

    MembershipFactory(user_id=person.id, context_id=other.id)
    second = actor_of(person, other)
    learning.enrol(second, {"goal": ["own-business"], "has-business": ["no"]}, None, None)
    for course_id in list(learning.enrolment_of(second).course_ids):  # type: ignore[union-attr]
        complete_course_in(second, course_id)
    assert [(f.id, f.due_at) for f in surveys_of(actor)] == first
    plans = db.session.scalars(select(Enrolment).where(Enrolment.user_id == actor.user_id))
    assert all(p.completed_at is not None for p in plans)


def complete_course_in(actor: Actor, course_id: str) -> None:
    enrolment = learning.enrolment_of(actor)
    assert enrolment is not None
    j = learning.journey_of(enrolment)
    for activity in j.catalogue.course_activities(course_id):
        if activity.kind == "quiz":
            learning.submit_quiz(
                j, activity, {q.id: sorted(q.correct_ids) for q in activity.questions}
            )
        elif activity.kind == "worksheet":
            learning.save_worksheet(j, activity, {f.id: "x" for f in activity.fields}, True)
        elif activity.kind == "reflection":
            learning.save_reflection(j, activity, "Aprendí a cobrar.")
        elif activity.kind == "workshop":
            learning.record_attendance(enrolment, activity, present=True)
            db.session.commit()
        else:
            learning.mark_viewed(j, activity)


# ------------------------------------------------------------------------------ offering
def test_offered_first_only_once_due_and_the_oldest_first(course: LmsContext) -> None:
    actor = graduate(course, "carmen")
    assert followup.offer_at_launch(actor) is None  # not due yet
    three, _six = surveys_of(actor)
    make_due(actor, 3, days_ago=100)
    make_due(actor, 6, days_ago=5)
    assert followup.offer_at_launch(actor) == three.id


def test_postpone_waits_a_week_and_three_times_at_most(course: LmsContext) -> None:
    actor = graduate(course, "carmen")
    make_due(actor, 3)
    three = surveys_of(actor)[0]
    until = followup.postpone(actor, three.id)
    assert timedelta(days=6) < until - utcnow() <= timedelta(days=7)
    assert followup.offer_at_launch(actor) is None
    for _ in range(2):  # a week passes each time
        db.session.execute(
            update(FollowUp).where(FollowUp.id == three.id).values(postponed_until=utcnow())
        )
        db.session.commit()
        assert followup.offer_at_launch(actor) == three.id
        followup.postpone(actor, three.id)
    db.session.execute(
        update(FollowUp).where(FollowUp.id == three.id).values(postponed_until=utcnow())
    )
    db.session.commit()
    with pytest.raises(TooManyPostponements):
        followup.postpone(actor, three.id)
    # Not put in front of her again, but still hers to answer, and still due for a call.
    assert followup.offer_at_launch(actor) is None
    assert followup.answer(actor, three.id, ANSWERS) == {}
    assert db.session.get(FollowUp, three.id).postponements == 3  # type: ignore[union-attr]


def test_decline_is_final_and_respected(course: LmsContext) -> None:
    actor = graduate(course, "carmen")
    followup.set_contact(actor, "phone", "+56 9 1234 5678")
    make_due(actor)
    three, six = surveys_of(actor)
    followup.decline(actor, three.id)
    row = db.session.get(FollowUp, three.id)
    assert row is not None and row.status == "declined" and row.closed_at is not None
    assert followup.offer_at_launch(actor) == six.id  # the other survey is still asked
    with pytest.raises(FollowUpClosed):
        followup.answer(actor, three.id, ANSWERS)
    with pytest.raises(FollowUpClosed):
        followup.postpone(actor, three.id)
    with pytest.raises(FollowUpClosed):
        followup.decline(actor, three.id)
    team = team_member(course)
    assert [d.follow_up_id for d in reports.due_contacts(team)] == [six.id]
    with pytest.raises(FollowUpClosed):
        reports.enter_by_phone(team, three.id, ANSWERS)
    # Declining the 6-month one too leaves nothing to offer or to call about.
    followup.decline(actor, six.id)
    assert followup.offer_at_launch(actor) is None and reports.due_contacts(team) == []


def test_a_survey_is_answered_only_once_it_is_due(course: LmsContext) -> None:
    actor = graduate(course, "carmen")
    three = surveys_of(actor)[0]
    with pytest.raises(NotDueYet):
        followup.answer(actor, three.id, ANSWERS)
    with pytest.raises(NotDueYet):
        followup.postpone(actor, three.id)
    assert db.session.scalar(select(func.count()).select_from(FollowUpAnswer)) == 0


# ------------------------------------------------------------------------------ answers
def test_her_answers_are_checked_saved_encrypted_and_logged(course: LmsContext) -> None:
    actor = graduate(course, "carmen")
    make_due(actor, 3)
    three = surveys_of(actor)[0]
    errors = followup.answer(actor, three.id, {"income": "lots", "formal-job": "yes"})
    assert errors == {"income": "unknown-option"}
    assert followup.answer(actor, three.id, {"formal-job": "yes"}) == {"income": "required"}
    assert followup.answer(actor, three.id, {**ANSWERS, "role": "x"}) == {
        "role": "unknown-question"
    }
    assert db.session.scalar(select(func.count()).select_from(FollowUpAnswer)) == 0
    assert db.session.get(FollowUp, three.id).status == "scheduled"  # type: ignore[union-attr]

    assert followup.answer(actor, three.id, ANSWERS) == {}
    row = db.session.get(FollowUp, three.id)
    assert row is not None and row.status == "answered" and row.answered_by == "participant"
    stored = {
        a.question_id: (a.outcome, a.choice, a.text)
        for a in db.session.scalars(select(FollowUpAnswer))
    }
    assert stored == {
        "income": ("income", "more", None),
        "formal-job": ("formal-job", "yes", None),
        "what-changed": (None, None, "Vendo por Instagram."),
    }
    raw = " ".join(
        str(v)
        for r in db.session.execute(text("SELECT choice, text FROM follow_up_answer"))
        for v in r
    )
    assert "more" not in raw and "Instagram" not in raw  # encrypted at rest
    logged = db.session.scalars(
        select(AccessLog.why).where(
            AccessLog.subject_id == actor.user_id, AccessLog.what == "followup"
        )
    ).all()
    assert "participant-followup" in logged
    with pytest.raises(FollowUpClosed):
        followup.answer(actor, three.id, ANSWERS)


def test_another_womans_survey_is_not_found(course: LmsContext) -> None:
    carmen = graduate(course, "carmen")
    rosa = graduate(course, "rosa", name="Rosa Millán")
    make_due(carmen)
    theirs = surveys_of(carmen)[0].id
    for call in (
        lambda: followup.survey_page(rosa, theirs),
        lambda: followup.answer(rosa, theirs, ANSWERS),
        lambda: followup.postpone(rosa, theirs),
        lambda: followup.decline(rosa, theirs),
    ):
        with pytest.raises(FollowUpNotFound):
            call()
    assert db.session.get(FollowUp, theirs).status == "scheduled"  # type: ignore[union-attr]


# ------------------------------------------------------------------------------ phone
def test_calls_list_only_due_women_who_left_a_contact_with_name_and_contact(
    course: LmsContext,
) -> None:
    carmen = graduate(course, "carmen")
    rosa = graduate(course, "rosa", name="Rosa Millán")
    graduate(course, "yasna", name="Yasna Díaz")  # due, but left no contact
    followup.set_contact(carmen, "whatsapp", "+56 9 8765 4321")
    followup.set_contact(rosa, "email", "rosa@example.org")
    make_due(carmen, 3)
    db.session.execute(
        update(FollowUp)
        .values(due_at=utcnow() - timedelta(days=1))
        .where(FollowUp.months == 3, FollowUp.user_id != rosa.user_id)
    )
    db.session.commit()
    team = team_member(course)
    due = reports.due_contacts(team)
    assert [(d.name, d.months, d.contact.channel, d.contact.value) for d in due] == [
        ("Carmen Soto", 3, "whatsapp", "+56 9 8765 4321")
    ]
    reads = db.session.scalars(
        select(AccessLog.subject_id).where(AccessLog.why == "programme-followup-calls")
    ).all()
    assert reads == [carmen.user_id]


def test_phone_answers_are_marked_as_such(course: LmsContext) -> None:
    carmen = graduate(course, "carmen")
    make_due(carmen, 3)
    three = surveys_of(carmen)[0]
    team = team_member(course)
    assert reports.enter_by_phone(team, three.id, {"formal-job": "no"}) == {"income": "required"}
    assert reports.enter_by_phone(team, three.id, {"income": "same", "formal-job": "no"}) == {}
    row = db.session.get(FollowUp, three.id)
    assert row is not None
    assert (row.status, row.answered_by, row.entered_by) == ("answered", "phone", team.user_id)
    mine = followup.mine(carmen)
    assert next((s.months, s.answered_by, s.answers) for s in mine.surveys) == (
        3,
        "phone",
        {"income": "same", "formal-job": "no"},
    )


def test_phone_entry_needs_the_programme_team_of_her_programme(course: LmsContext) -> None:
    carmen = graduate(course, "carmen")
    make_due(carmen, 3)
    three = surveys_of(carmen)[0]
    facilitator = actor_of(member(course, Role.FACILITATOR, sub="paula"), course, Role.FACILITATOR)
    with pytest.raises(Forbidden):
        reports.enter_by_phone(facilitator, three.id, ANSWERS)
    with pytest.raises(Forbidden):
        reports.due_contacts(facilitator)
    other = ProgrammeFactory()
    elsewhere = CourseFactory(programme_id=other.id)
    person = member(elsewhere, Role.FACILITATOR, sub="ines")
    GrantFactory(user_id=person.id, programme_id=other.id)
    outsider = actor_of(person, elsewhere, Role.FACILITATOR)
    with pytest.raises(FollowUpNotFound):
        reports.enter_by_phone(outsider, three.id, ANSWERS)
    with pytest.raises(FollowUpNotFound):
        reports.decline_by_phone(outsider, three.id)
    assert db.session.get(FollowUp, three.id).status == "scheduled"  # type: ignore[union-attr]


def test_phone_decline_is_recorded(course: LmsContext) -> None:
    carmen = graduate(course, "carmen")
    three = surveys_of(carmen)[0]
    reports.decline_by_phone(team_member(course), three.id)
    assert db.session.get(FollowUp, three.id).status == "declined"  # type: ignore[union-attr]


# ------------------------------------------------------------------------------ her data
def test_contact_is_encrypted_exported_withdrawable_and_erased(course: LmsContext) -> None:
    carmen = graduate(course, "carmen")
    followup.set_contact(carmen, "phone", "+56 9 1234 5678")
    raw = db.session.execute(text("SELECT value FROM follow_up_contact")).scalar_one()
    assert "1234" not in raw
    make_due(carmen, 3)
    followup.answer(carmen, surveys_of(carmen)[0].id, ANSWERS)
    held = privacy.export(carmen)
    assert held["follow_up_contact"]["contact"] == "+56 9 1234 5678"
    assert held["follow_up_surveys"][0]["answers"]["income"] == "more"
    followup.delete_contact(carmen)
    assert followup.mine(carmen).contact is None
    followup.set_contact(carmen, "email", "carmen@example.org")

    team = team_member(course)
    privacy.erase_person(team, carmen.user_id)
    for model in (FollowUp, FollowUpAnswer, FollowUpContact):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0


def test_answers_sent_twice_at_once_keep_the_first(course: LmsContext) -> None:
    """Two submissions that both read the survey as open (a double tap, or her answer while
    the team types a phone call): the database keeps the first, the second is told it is
    closed and nothing of it is saved."""
    actor = graduate(course, "carmen")
    make_due(actor, 3)
    three = surveys_of(actor)[0]
    assert followup.answer(actor, three.id, ANSWERS) == {}
    # The second request read the row before the first committed.
    reopen = update(FollowUp).where(FollowUp.id == three.id)
    db.session.execute(reopen.values(status="scheduled", answered_by=None, closed_at=None))
    db.session.commit()
    with pytest.raises(FollowUpClosed):
        reports.enter_by_phone(team_member(course), three.id, {"income": "less"})
    income = select(FollowUpAnswer.choice).where(FollowUpAnswer.question_id == "income")
    stored = db.session.scalars(income).all()
    assert stored == ["more"]
