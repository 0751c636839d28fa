"""Use cases of help requests, tutoring and the opportunities board, without HTTP: who may see
and do what, what is encrypted, what is logged, and what reports may show."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from courses.support import InvalidMove
from lti_tool.actor import Actor, Role
from lti_tool.models import LmsContext, LtiUser, db
from lti_tool.models.private import AccessLog
from lti_tool.services import cohort, learning, opportunities, privacy, tutoring
from lti_tool.services.errors import (
    CvReviewNotFound,
    Forbidden,
    NoTutor,
    OpportunityNotFound,
    ParticipantNotFound,
    PersonNotFound,
    SupportRequestNotFound,
)
from lti_tool.services.privacy import support as help_requests
from tests.factories import (
    CourseFactory,
    DeploymentFactory,
    GrantFactory,
    PlatformFactory,
    ProgrammeFactory,
    actor_of,
    member,
)
from tests.support.same_moment import at_the_same_moment, needs_row_locks
from tests.support.tutoring_content import use_content_with_cv

SECRET = "Mi pareja no me deja salir de la casa"
PHONE = "+56 9 1234 5678"


@dataclass
class World:
    course: LmsContext
    carmen: Actor
    yasna: Actor
    lead: Actor  # support lead of the whole programme
    biobio_lead: Actor  # support lead of Biobío only
    facilitator: Actor  # no grant
    mentor: Actor
    tutor: Actor
    other_tutor: Actor
    team: Actor  # programme team
    foreign_lead: Actor  # support lead of another programme


def staff(
    course: LmsContext, name: str, role: Role = Role.FACILITATOR, *grants: tuple[str, str | None]
) -> Actor:
    person = member(course, role, name=name)
    for grant, region in grants:
        GrantFactory(user_id=person.id, role=grant, region=region)
    return actor_of(person, course, role)


@pytest.fixture
def world(app: Flask, tmp_path: Path) -> World:
    use_content_with_cv(app, tmp_path)
    course = CourseFactory()
    carmen = actor_of(member(course, sub="carmen", name="Carmen Soto"), course)
    yasna = actor_of(member(course, sub="yasna", name="Yasna Joseph"), course)
    other = ProgrammeFactory()
    foreign_course = CourseFactory(
        deployment=DeploymentFactory(platform=PlatformFactory(programme_id=other.id))
    )
    foreign = member(foreign_course, Role.FACILITATOR, name="Otra Líder")
    GrantFactory(user_id=foreign.id, role="support_lead", programme_id=other.id)
    return World(
        course=course,
        carmen=carmen,
        yasna=yasna,
        lead=staff(course, "Sofía Reyes", Role.FACILITATOR, ("support_lead", None)),
        biobio_lead=staff(course, "Berta Bío", Role.FACILITATOR, ("support_lead", "biobio")),
        facilitator=staff(course, "Paula Rojas"),
        mentor=staff(course, "Lucía Fernández", Role.MENTOR, ("mentor", None)),
        tutor=staff(course, "Marta Díaz", Role.FACILITATOR, ("tutor", None)),
        other_tutor=staff(course, "Tamara Tutora", Role.FACILITATOR, ("tutor", None)),
        team=staff(course, "Ana Pérez", Role.FACILITATOR, ("programme_team", None)),
        foreign_lead=actor_of(foreign, foreign_course, Role.FACILITATOR),
    )


def ask(actor: Actor, region: str | None = None, **extra: Any) -> int:
    values: dict[str, Any] = {
        "needs": ("violence", "childcare"),
        "details": SECRET,
        "channel": "whatsapp",
        "phone": PHONE,
        "region": region,
    }
    values.update(extra)
    return help_requests.ask(actor, **values)


def log_rows() -> list[tuple[int | None, int | None, str, str, str]]:
    return [
        (r.reader_id, r.subject_id, r.what, r.action, r.why)
        for r in db.session.scalars(select(AccessLog).order_by(AccessLog.id))
    ]


# ------------------------------------------------------------------------- help requests
def test_her_request_is_encrypted_at_rest(world: World) -> None:
    ask(world.carmen, region="metropolitana")
    raw = " ".join(
        str(value)
        for row in db.session.execute(text("SELECT * FROM support_request")).all()
        for value in row
    )
    for plain in (SECRET, PHONE, "violence", "childcare", "metropolitana", "whatsapp"):
        assert plain not in raw
    stored = help_requests.my_request(world.carmen, help_requests.my_requests(world.carmen)[0].id)
    assert stored.details == SECRET and stored.contact_value == PHONE
    assert stored.needs == ("childcare", "violence")  # the form's order


def test_a_number_is_stored_only_for_a_call_or_whatsapp(world: World) -> None:
    request_id = ask(world.carmen, channel="senda")
    assert help_requests.my_request(world.carmen, request_id).contact_value is None


def test_only_participants_ask(world: World) -> None:
    with pytest.raises(Forbidden):
        ask(world.facilitator)


def test_every_read_and_write_is_in_the_access_log(world: World) -> None:
    request_id = ask(world.carmen)
    help_requests.my_request(world.carmen, request_id)
    help_requests.queue(world.lead)
    help_requests.team_request(world.lead, request_id)
    help_requests.answer(world.lead, request_id, "Te llamamos hoy.", for_her=True, status=None)
    carmen, sofia = world.carmen.user_id, world.lead.user_id
    assert log_rows() == [
        (carmen, carmen, "support-request", "write", "participant-asks-for-help"),
        (carmen, carmen, "support-request", "read", "participant-own-request"),
        (sofia, carmen, "support-request", "read", "support-queue"),
        (sofia, carmen, "support-request", "read", "support-lead"),
        (sofia, carmen, "support-request", "write", "support-lead"),
    ]


def test_she_reads_replies_but_never_the_team_s_notes(world: World) -> None:
    request_id = ask(world.carmen)
    help_requests.answer(world.lead, request_id, "Nota interna", for_her=False, status=None)
    help_requests.answer(
        world.lead, request_id, "Hola Carmen, te llamo mañana.", for_her=True, status="in-progress"
    )
    mine = help_requests.my_request(world.carmen, request_id)
    assert [m.body for m in mine.messages] == ["Hola Carmen, te llamo mañana."]
    assert mine.status == "in-progress"
    team = help_requests.team_request(world.lead, request_id)
    assert [m.body for m in team.messages] == ["Nota interna", "Hola Carmen, te llamo mañana."]
    assert team.handled_by == "Sofía Reyes"
    assert help_requests.my_requests(world.carmen)[0].replies == 1


def test_requests_are_tracked_to_closure(world: World) -> None:
    request_id = ask(world.carmen)
    with pytest.raises(InvalidMove):
        help_requests.answer(world.lead, request_id, "", for_her=True, status="archived")
    with pytest.raises(ValueError, match="nothing"):
        help_requests.answer(world.lead, request_id, "  ", for_her=True, status=None)
    help_requests.answer(world.lead, request_id, "Resuelto.", for_her=True, status="closed")
    closed = help_requests.team_request(world.lead, request_id)
    assert closed.status == "closed" and closed.closed_at is not None
    # She writes again: the request opens again.
    help_requests.add_my_message(world.carmen, request_id, "Necesito algo más.")
    assert help_requests.my_request(world.carmen, request_id).status == "open"
    help_requests.set_my_status(world.carmen, request_id, "closed")
    with pytest.raises(InvalidMove):
        help_requests.set_my_status(world.carmen, request_id, "in-progress")
    assert [
        m.status_change for m in help_requests.team_request(world.lead, request_id).messages
    ] == [
        "closed",
        "open",
        "closed",
    ]


def test_who_may_see_a_request(world: World) -> None:
    request_id = ask(world.carmen, region="metropolitana")
    biobio_id = ask(world.yasna, region="biobio")
    for outsider in (world.facilitator, world.mentor, world.tutor, world.team, world.carmen):
        with pytest.raises(Forbidden):
            help_requests.team_request(outsider, request_id)
        with pytest.raises(Forbidden):
            help_requests.queue(outsider)
    # Another programme's support lead: not found, whatever the id.
    for guess in (request_id, biobio_id, biobio_id + 1):
        with pytest.raises(SupportRequestNotFound):
            help_requests.team_request(world.foreign_lead, guess)
    assert help_requests.queue(world.foreign_lead) == []
    # A regional lead sees her region's only.
    with pytest.raises(SupportRequestNotFound):
        help_requests.team_request(world.biobio_lead, request_id)
    assert [r.id for r in help_requests.queue(world.biobio_lead)] == [biobio_id]
    assert {r.id for r in help_requests.queue(world.lead)} == {request_id, biobio_id}
    # A participant reaches her own requests only.
    with pytest.raises(SupportRequestNotFound):
        help_requests.my_request(world.yasna, request_id)
    with pytest.raises(SupportRequestNotFound):
        help_requests.add_my_message(world.yasna, request_id, "hola")


def test_a_revoked_grant_closes_the_door(world: World) -> None:
    request_id = ask(world.carmen)
    from lti_tool.models import Grant, utcnow

    for grant in db.session.scalars(select(Grant).where(Grant.user_id == world.lead.user_id)):
        grant.revoked_at = utcnow()
    db.session.commit()
    with pytest.raises(Forbidden):
        help_requests.team_request(world.lead, request_id)


def test_counts_are_suppressed_under_five(world: World) -> None:
    for _ in range(3):
        ask(world.carmen)
    counts = help_requests.counts(world.team)
    assert counts.total is None
    assert counts.by_need["violence"] is None and counts.by_need["housing"] == 0
    for _ in range(3):
        ask(world.yasna, needs=("housing",))
    counts = help_requests.counts(world.lead)
    assert counts.total == 6
    assert counts.by_status == {"open": 6, "in-progress": 0, "closed": 0}
    assert counts.by_need["violence"] is None and counts.by_need["childcare"] is None
    with pytest.raises(Forbidden):
        help_requests.counts(world.facilitator)


def test_her_download_counts_her_requests_and_holds_none_of_their_text(world: World) -> None:
    ask(world.carmen)
    exported = privacy.export(world.carmen)
    assert exported["help_requests"] == 1
    assert SECRET not in repr(exported) and PHONE not in repr(exported)


def test_erasure_removes_her_requests_and_keeps_staff_rows_nameless(world: World) -> None:
    request_id = ask(world.carmen)
    yasna_id = ask(world.yasna)
    help_requests.answer(world.lead, yasna_id, "Hola Yasna", for_her=True, status=None)
    privacy.erase_person(world.team, world.carmen.user_id)
    assert db.session.scalar(text("SELECT count(*) FROM support_request")) == 1
    with pytest.raises(SupportRequestNotFound):
        help_requests.team_request(world.lead, request_id)
    privacy.erase_person(world.team, world.lead.user_id)
    kept = help_requests.my_request(world.yasna, yasna_id)
    assert [m.body for m in kept.messages] == ["Hola Yasna"] and kept.messages[0].author == ""


def test_re_encryption_covers_help_and_tutoring(world: World) -> None:
    ask(world.carmen)
    before = db.session.scalar(text("SELECT details FROM support_request"))
    assert privacy.reencrypt() >= 1
    after = db.session.scalar(text("SELECT details FROM support_request"))
    assert before != after  # a fresh IV: written again
    assert help_requests.my_requests(world.carmen)


# ----------------------------------------------------------------------------- tutoring
def enrol_in_employment(actor: Actor) -> None:
    learning.enrol(actor, {"goal": ["job"]}, None, None)


CV = {
    "full-name": "Carmen Soto Pérez",
    "contact": "+56 9 1234 5678 · carmen@correo.cl",
    "profile-summary": "Responsable, con experiencia en atención de público.",
    "work-experience": "2020–2024 Cajera, Supermercado Lider, Maipú\n2018 Vendedora en feria",
    "education": "Enseñanza media completa",
    "skills": "Atención de público\nManejo de caja",
    "availability": "Inmediata",
}


def write_cv(actor: Actor, values: dict[str, str] | None = None) -> None:
    j = learning.journey(actor)
    activity = j.catalogue.activities["emp-prof-cv"]
    learning.save_worksheet(j, activity, values or CV, submit=False)


def test_the_programme_team_assigns_tutors(world: World) -> None:
    enrol_in_employment(world.carmen)
    with pytest.raises(Forbidden):
        tutoring.assign(world.tutor, world.carmen.user_id, world.tutor.user_id)
    with pytest.raises(PersonNotFound):  # not a tutor
        tutoring.assign(world.team, world.carmen.user_id, world.facilitator.user_id)
    with pytest.raises(PersonNotFound):  # not a participant of the programme
        tutoring.assign(world.team, world.foreign_lead.user_id, world.tutor.user_id)
    tutoring.assign(world.team, world.carmen.user_id, world.tutor.user_id)
    rows, tutors = tutoring.assignments(world.team)
    assert [(r.name, r.tutor) for r in rows] == [("Carmen Soto", "Marta Díaz")]
    assert {t.name for t in tutors} == {"Marta Díaz", "Tamara Tutora"}


def test_a_tutor_sees_only_her_caseload(world: World) -> None:
    enrol_in_employment(world.carmen)
    enrol_in_employment(world.yasna)
    tutoring.assign(world.team, world.carmen.user_id, world.tutor.user_id)
    tutoring.assign(world.team, world.yasna.user_id, world.other_tutor.user_id)
    rows, _catalogue = tutoring.caseload(world.tutor)
    assert [r.name for r in rows] == ["Carmen Soto"]
    assert tutoring.case(world.tutor, world.carmen.user_id).name == "Carmen Soto"
    for guess in (world.yasna.user_id, world.facilitator.user_id, 10_000):
        with pytest.raises(ParticipantNotFound):
            tutoring.case(world.tutor, guess)
        with pytest.raises(ParticipantNotFound):
            tutoring.add_note(world.tutor, guess, "hola")
        with pytest.raises(ParticipantNotFound):
            tutoring.cv_of(world.tutor, guess)
    for outsider in (world.facilitator, world.mentor, world.lead, world.carmen):
        with pytest.raises(Forbidden):
            tutoring.caseload(outsider)
        with pytest.raises(Forbidden):
            tutoring.case(outsider, world.carmen.user_id)
    # Reassigned: the first tutor loses her, the new one sees her earlier notes.
    tutoring.add_note(world.tutor, world.carmen.user_id, "Primera reunión: buscamos cajera.")
    tutoring.assign(world.team, world.carmen.user_id, world.other_tutor.user_id)
    with pytest.raises(ParticipantNotFound):
        tutoring.case(world.tutor, world.carmen.user_id)
    notes = tutoring.case(world.other_tutor, world.carmen.user_id).notes
    assert [n.body for n in notes] == ["Primera reunión: buscamos cajera."]


def test_the_tutor_s_page_of_a_woman_and_its_logged_reads(world: World) -> None:
    enrol_in_employment(world.carmen)
    j = learning.journey(world.carmen)
    learning.save_worksheet(
        j, j.catalogue.activities["emp-diag-sheet"], {"customers": "Cuidé a mi mamá"}, False
    )
    write_cv(world.carmen)
    tutoring.assign(world.team, world.carmen.user_id, world.tutor.user_id)
    db.session.execute(text("DELETE FROM access_log"))
    db.session.commit()
    case = tutoring.case(world.tutor, world.carmen.user_id)
    assert [(a.id, v) for a, v in case.diagnosis] == [
        ("emp-diag-sheet", {"customers": "Cuidé a mi mamá"})
    ]
    assert case.cv is not None and case.cv[1]["full-name"] == "Carmen Soto Pérez"
    assert [w.activity.id for w in case.workshops] == ["ls-workshop"]
    assert case.percent >= 0 and case.last_visit is not None
    marta, carmen = world.tutor.user_id, world.carmen.user_id
    assert log_rows() == [
        (marta, carmen, "work", "read", "tutor-caseload"),
        (marta, carmen, "tutor-note", "read", "tutor-caseload"),
    ]


def test_notes_are_dated_and_she_reads_them(world: World) -> None:
    enrol_in_employment(world.carmen)
    tutoring.assign(world.team, world.carmen.user_id, world.tutor.user_id)
    tutoring.add_note(world.tutor, world.carmen.user_id, "Hablamos de tu diagnóstico.")
    with pytest.raises(ValueError, match="empty"):
        tutoring.add_note(world.tutor, world.carmen.user_id, "   ")
    mine = tutoring.my_tutoring(world.carmen)
    assert mine.tutor == "Marta Díaz"
    assert [(n.body, n.author) for n in mine.notes] == [
        ("Hablamos de tu diagnóstico.", "Marta Díaz")
    ]
    assert mine.notes[0].at is not None
    assert "Hablamos" not in str(db.session.scalar(text("SELECT body FROM tutor_note")))


def test_she_sends_her_cv_and_reads_the_comments_beside_it(world: World) -> None:
    enrol_in_employment(world.carmen)
    write_cv(world.carmen)
    with pytest.raises(NoTutor):
        tutoring.send_cv(world.carmen)
    tutoring.assign(world.team, world.carmen.user_id, world.tutor.user_id)
    review_id = tutoring.send_cv(world.carmen)
    rows, _ = tutoring.caseload(world.tutor)
    assert rows[0].cv_waiting == 1
    with pytest.raises(CvReviewNotFound):
        tutoring.comment_cv(world.tutor, world.carmen.user_id, review_id + 1, "Bien")
    tutoring.comment_cv(
        world.tutor, world.carmen.user_id, review_id, "Agrega tu curso de manipulación."
    )
    j = learning.journey(world.carmen)
    panel = tutoring.cv_panel(world.carmen, j.catalogue.activities["emp-prof-cv"])
    assert panel is not None and panel.tutor == "Marta Díaz"
    assert [(r.comment, r.commented_by) for r in panel.reviews] == [
        ("Agrega tu curso de manipulación.", "Marta Díaz")
    ]
    assert panel.reviews[0].values["full-name"] == "Carmen Soto Pérez"  # the CV as sent
    assert tutoring.cv_panel(world.carmen, j.catalogue.activities["emp-diag-sheet"]) is None
    assert tutoring.caseload(world.tutor)[0][0].cv_waiting == 0


def test_an_empty_cv_is_not_sent(world: World) -> None:
    enrol_in_employment(world.carmen)
    tutoring.assign(world.team, world.carmen.user_id, world.tutor.user_id)
    with pytest.raises(ValueError, match="empty"):
        tutoring.send_cv(world.carmen)


def pdf_text(body: bytes) -> tuple[int, str]:
    """(pages, the text drawn) of a PDF made by fpdf2 (Flate-compressed content streams)."""
    assert body.startswith(b"%PDF-")
    pages = body.count(b"/Type /Page\n") + body.count(b"/Type /Page ") + body.count(b"/Type /Page>")
    texts = []
    for chunk in body.split(b"stream")[1::2]:
        data = chunk.strip(b"\r\n")
        try:
            texts.append(zlib.decompress(data).decode("latin-1"))
        except zlib.error:
            continue
    return pages, "\n".join(texts)


HEADINGS = {
    "profile-summary": "Perfil",
    "work-experience": "Experiencia laboral",
    "education": "Estudios",
    "skills": "Habilidades",
    "availability": "Disponibilidad",
}


def test_the_cv_prints_as_a_real_one_page_cv(world: World) -> None:
    enrol_in_employment(world.carmen)
    write_cv(world.carmen)
    cv = tutoring.my_cv(world.carmen)
    pages, drawn = pdf_text(tutoring.cv_pdf(cv, HEADINGS, "es"))
    assert pages == 1
    for shown in ("Carmen Soto P", "EXPERIENCIA LABORAL", "Cajera, Supermercado Lider", "2020"):
        assert shown in drawn
    # CV headings, not the worksheet's questions.
    assert "Resumen: qui" not in drawn and "Tel\\351fono y correo" not in drawn


def test_a_long_cv_still_fits_on_one_page(world: World) -> None:
    enrol_in_employment(world.carmen)
    long = dict(CV)
    long["work-experience"] = "\n".join(
        f"{2000 + n}–{2001 + n} Ayudante de cocina y atención de público en el casino número {n}"
        for n in range(40)
    )
    long["skills"] = "Trabajo en equipo, puntualidad y cocina para grupos grandes. " * 60
    write_cv(world.carmen, long)
    pages, _drawn = pdf_text(tutoring.cv_pdf(tutoring.my_cv(world.carmen), HEADINGS, "es"))
    assert pages == 1


def test_the_tutor_prints_the_cv_of_her_caseload_only(world: World) -> None:
    enrol_in_employment(world.carmen)
    write_cv(world.carmen)
    tutoring.assign(world.team, world.carmen.user_id, world.tutor.user_id)
    assert tutoring.cv_of(world.tutor, world.carmen.user_id).name == "Carmen Soto Pérez"
    with pytest.raises(ParticipantNotFound):
        tutoring.cv_of(world.other_tutor, world.carmen.user_id)


def test_text_outside_the_pdf_fonts_is_drawn_as_its_closest_letters(world: World) -> None:
    enrol_in_employment(world.carmen)
    write_cv(world.carmen, {**CV, "full-name": "Ana Łucja Nguyễn"})
    pages, drawn = pdf_text(tutoring.cv_pdf(tutoring.my_cv(world.carmen), HEADINGS, "es"))
    assert pages == 1 and "Ana ucja Nguyen" in drawn.replace("\\", "")


# ------------------------------------------------------------------------- opportunities
def offer(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "job",
        "title": "Cajera part-time",
        "organisation": "Supermercado",
        "description": "",
        "region": "",
        "pathway": "employment",
        "closes_on": opportunities.today() + timedelta(days=10),
        "url": "https://www.bne.cl/oferta/1",
    }
    data.update(extra)
    return data


def test_the_team_and_tutors_post_and_participants_do_not(world: World) -> None:
    assert opportunities.post(world.team, offer())
    assert opportunities.post(world.tutor, offer(title="Feria laboral", kind="job-fair"))
    for outsider in (world.carmen, world.facilitator, world.lead, world.mentor):
        with pytest.raises(Forbidden):
            opportunities.post(outsider, offer())
    with pytest.raises(ValueError, match="closed"):
        opportunities.post(world.team, offer(closes_on=opportunities.today() - timedelta(days=1)))


def test_the_board_shows_hers_first_and_closed_ones_disappear(world: World) -> None:
    enrol_in_employment(world.carmen)
    privacy.record_demographics(world.carmen, {"region": "biobio"}, why="test")
    db.session.commit()
    today = opportunities.today()
    opportunities.post(world.team, offer(title="Nacional", pathway=""))
    opportunities.post(world.team, offer(title="Biobío empleo", region="biobio"))
    opportunities.post(world.team, offer(title="Capital semilla", pathway="entrepreneurship"))
    expired = opportunities.post(world.team, offer(title="Vencida", closes_on=today))
    withdrawn = opportunities.post(world.tutor, offer(title="Retirada"))
    opportunities.withdraw(world.tutor, withdrawn)
    with pytest.raises(Forbidden):  # a tutor withdraws only what she posted
        opportunities.withdraw(world.other_tutor, expired)
    from lti_tool.models import Opportunity

    row = db.session.get(Opportunity, expired)
    assert row is not None
    row.closes_on = today - timedelta(days=1)  # a day has passed
    db.session.commit()
    board = opportunities.board(world.carmen)
    assert board.pathway == "employment" and board.region == "biobio"
    assert [o.title for o in board.mine] == ["Biobío empleo", "Nacional"]
    assert [o.title for o in board.others] == ["Capital semilla"]
    with pytest.raises(OpportunityNotFound):
        opportunities.withdraw(world.team, 10_000)


def test_a_tutor_points_an_offer_to_a_woman_of_her_caseload(world: World) -> None:
    enrol_in_employment(world.carmen)
    enrol_in_employment(world.yasna)
    tutoring.assign(world.team, world.carmen.user_id, world.tutor.user_id)
    offer_id = opportunities.post(world.team, offer())
    with pytest.raises(ParticipantNotFound):
        tutoring.point(world.tutor, world.yasna.user_id, offer_id)
    with pytest.raises(OpportunityNotFound):
        tutoring.point(world.tutor, world.carmen.user_id, offer_id + 100)
    tutoring.point(world.tutor, world.carmen.user_id, offer_id)
    tutoring.point(world.tutor, world.carmen.user_id, offer_id)  # twice: still once
    plan = tutoring.on_her_plan(world.carmen)
    assert plan.tutor == "Marta Díaz"
    assert [(o.title, o.pointed_by) for o in plan.offers] == [("Cajera part-time", "Marta Díaz")]
    assert tutoring.on_her_plan(world.yasna).offers == []
    case = tutoring.case(world.tutor, world.carmen.user_id)
    assert [o.id for o in case.pointed] == [offer_id] and case.to_point == []
    opportunities.withdraw(world.team, offer_id)
    assert tutoring.on_her_plan(world.carmen).offers == []


def test_erasing_a_tutor_keeps_her_notes_without_her_name(world: World) -> None:
    enrol_in_employment(world.carmen)
    tutoring.assign(world.team, world.carmen.user_id, world.tutor.user_id)
    tutoring.add_note(world.tutor, world.carmen.user_id, "Nota")
    privacy.erase_person(world.team, world.tutor.user_id)
    mine = tutoring.my_tutoring(world.carmen)
    assert mine.tutor is None and [(n.body, n.author) for n in mine.notes] == [("Nota", "")]
    assert db.session.get(LtiUser, world.tutor.user_id) is None


@needs_row_locks
def test_the_same_offer_posted_twice_at_the_same_moment_is_posted_once(
    app: Flask, world: World
) -> None:
    posted = at_the_same_moment(
        app, "opportunity", lambda: opportunities.post_once(world.team, offer())
    )
    assert sorted(new for _id, new in posted) == [False, True]
    assert db.session.scalar(text("SELECT count(*) FROM opportunity")) == 1


@needs_row_locks
def test_the_same_workshop_session_scheduled_twice_at_the_same_moment_is_scheduled_once(
    app: Flask, world: World
) -> None:
    scope = cohort.CourseScope(world.course.id)
    starts = datetime(2031, 3, 4, 18, 30)  # noqa: DTZ001 - Chile's local time, as the form sends

    def schedule() -> bool:
        return cohort.schedule(scope, world.facilitator, "ls-workshop", starts, "", "Sala 2")[1]

    assert sorted(at_the_same_moment(app, "workshop_session", schedule)) == [False, True]
    assert db.session.scalar(text("SELECT count(*) FROM workshop_session")) == 1


@needs_row_locks
def test_her_request_sent_twice_at_the_same_moment_is_one_request(app: Flask, world: World) -> None:
    ids = at_the_same_moment(app, "support_request", lambda: ask(world.carmen, seen=0))
    assert len(set(ids)) == 1
    assert db.session.scalar(text("SELECT count(*) FROM support_request")) == 1
