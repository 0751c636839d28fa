"""A synthetic programme for the reports: `n` participants (500 in the tests, 100,000 in
`make bench`) across regions and communes, pathways and levels, cohorts, drop-outs, workshop
attendance and follow-up answers. Seeded, so the same seed gives the same programme (dates are
relative to the moment it is built, and kept well away from every boundary the report uses:
the drop-out cut-off and the follow-ups' due dates).

`build` writes the rows with bulk inserts (through the models' column types, so demographics and
answers are sealed as in production) and returns the raw facts as plain Python records, from
which a test recomputes every figure independently of the report's SQL.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from courses import geography
from courses.followup import add_months
from courses.model import Catalogue
from lti_tool.models import (
    DEFAULT_PROGRAMME_ID,
    Attendance,
    Cohort,
    Deployment,
    Enrolment,
    FollowUp,
    LmsContext,
    LtiUser,
    Membership,
    Platform,
    WorkshopSession,
    db,
)
from lti_tool.models.private import Demographics, FollowUpAnswer

# Women per region, roughly as the programme reached them (the capital region first).
REGION_WEIGHTS = {
    "metropolitana": 40,
    "valparaiso": 10,
    "biobio": 9,
    "araucania": 8,
    "maule": 6,
    "los-lagos": 6,
    "ohiggins": 5,
    "coquimbo": 4,
    "antofagasta": 3,
    "nuble": 3,
    "los-rios": 2,
    "tarapaca": 1.5,
    "atacama": 1.2,
    "arica-parinacota": 0.8,
    "magallanes": 0.4,
    "aysen": 0.2,
}
DROPOUT_DAYS = 60  # the report's default `[reports] dropout_after_days`


@dataclass
class FollowUpFact:
    months: int
    due_at: datetime
    status: str  # scheduled | answered | declined
    answered_by: str | None = None
    answers: dict[str, str] = field(default_factory=dict)  # question id -> option id
    outcomes: dict[str, str] = field(default_factory=dict)  # outcome -> option id


@dataclass
class Woman:
    user_id: int
    name: str
    context_id: int
    cohort_id: int | None
    pathway: str
    level: str
    created_at: datetime
    last_activity_at: datetime
    completed_at: datetime | None
    consented: bool
    region: str
    commune: str  # CUT code, or "" when not given
    migrant: str  # yes | no | ""
    indigenous: str
    workshops: int  # live sessions attended
    follow_ups: list[FollowUpFact] = field(default_factory=list)

    def status(self, now: datetime, dropout_days: int = DROPOUT_DAYS) -> str:
        if self.completed_at is not None:
            return "completed"
        if self.last_activity_at < now - timedelta(days=dropout_days):
            return "dropped"
        return "active"


@dataclass
class Synthetic:
    seed: int
    built_at: datetime
    women: list[Woman]
    contexts: list[int]
    cohorts: dict[int, str]


def _choice(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _next_id(model: Any) -> int:
    return int(db.session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1


def _bulk(model: Any, rows: Sequence[dict[str, Any]], batch: int = 5000) -> None:
    for start in range(0, len(rows), batch):
        db.session.execute(insert(model), list(rows[start : start + batch]))


def build(
    n: int,
    catalogue: Catalogue,
    content_version_id: int,
    seed: int = 2026,
    programme_id: int = DEFAULT_PROGRAMME_ID,
) -> Synthetic:
    """Write a programme of `n` participants and return its raw facts."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    platform = Platform(
        issuer=f"https://synthetic-{seed}.example.edu",
        client_id=f"synthetic-{uuid.uuid4().hex[:12]}",  # several programmes in one database
        name="Synthetic LMS",
        auth_login_url="https://synthetic.example.edu/auth",
        auth_token_url="https://synthetic.example.edu/token",
        key_set_url="https://synthetic.example.edu/jwks",
        programme_id=programme_id,
    )
    db.session.add(platform)
    db.session.flush()
    deployment = Deployment(platform_id=platform.id, deployment_id="synthetic-1")
    db.session.add(deployment)
    db.session.flush()
    cohorts: dict[int, str] = {}
    for name in ("Cohorte Otoño", "Cohorte Invierno", "Cohorte Primavera"):
        cohort = Cohort(programme_id=programme_id, name=f"{name} {seed}")
        db.session.add(cohort)
        db.session.flush()
        cohorts[cohort.id] = cohort.name
    contexts: list[int] = []
    cohort_of: dict[int, int | None] = {}
    for index, cohort_id in enumerate([*cohorts, None]):
        context = LmsContext(
            deployment_id=deployment.id,
            context_id=f"synthetic-course-{index}",
            title=f"Curso sintético {index}",
            programme_id=programme_id,
            cohort_id=cohort_id,
        )
        db.session.add(context)
        db.session.flush()
        contexts.append(context.id)
        cohort_of[context.id] = cohort_id

    # Live workshop sessions: four per LMS course.
    workshop_ids = [a.id for a in catalogue.activities.values() if a.kind == "workshop"] or ["w"]
    session_ids: dict[int, list[int]] = {}
    first_session = _next_id(WorkshopSession)
    sessions = []
    for context_id in contexts:
        session_ids[context_id] = []
        for i in range(4):
            session_id = first_session + len(sessions)
            sessions.append(
                {
                    "id": session_id,
                    "context_id": context_id,
                    "activity_id": workshop_ids[i % len(workshop_ids)],
                    "starts_at": now - timedelta(days=30 * (i + 1)),
                    "meeting_url": "",
                    "note": "",
                    "created_at": now,
                }
            )
            session_ids[context_id].append(session_id)

    surveys = {s.months_after_completion: s for s in catalogue.surveys}
    first_user = _next_id(LtiUser)
    first_follow_up = _next_id(FollowUp)
    women: list[Woman] = []
    users: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []
    demographics: list[dict[str, Any]] = []
    attendance: list[dict[str, Any]] = []
    follow_ups: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    pathways = list(catalogue.pathway_ids)
    for i in range(n):
        user_id = first_user + i
        context_id = contexts[i % len(contexts)] if rng.random() < 0.9 else rng.choice(contexts)
        pathway = pathways[0] if rng.random() < 0.6 or len(pathways) == 1 else pathways[1]
        levels = [lv.id for lv in catalogue.pathways[pathway].levels]
        level = levels[0] if rng.random() < 0.65 or len(levels) == 1 else levels[1]
        created = now - timedelta(days=rng.randint(20, 420), hours=rng.randint(0, 23))
        fate = rng.random()
        completed_at: datetime | None = None
        if fate < 0.55 and (now - created).days > 45:
            completed_at = created + timedelta(
                days=rng.randint(30, max(31, (now - created).days - 2))
            )
            last = completed_at
        elif fate < 0.8 and (now - created).days > DROPOUT_DAYS + 35:
            last = created + timedelta(
                days=rng.randint(0, (now - created).days - DROPOUT_DAYS - 30)
            )
        else:  # active: touched in the last month
            last = now - timedelta(days=rng.randint(1, 30))
            last = max(last, created)
        consented = rng.random() < 0.85
        region = commune = migrant = indigenous = ""
        if consented:
            if rng.random() < 0.95:
                region = _choice(rng, REGION_WEIGHTS)
                if rng.random() < 0.9:
                    choices = geography.communes_of(region)
                    # Most women come from a few communes of each region.
                    commune = choices[min(int(rng.expovariate(0.35)), len(choices) - 1)].code
            migrant = _choice(rng, {"yes": 23, "no": 70, "": 7})
            indigenous = _choice(rng, {"yes": 20, "no": 72, "": 8})
        went = [s for s in session_ids[context_id] if rng.random() < 0.35]
        woman = Woman(
            user_id=user_id,
            name=f"Participante Sintética {i}",
            context_id=context_id,
            cohort_id=cohort_of[context_id],
            pathway=pathway,
            level=level,
            created_at=created,
            last_activity_at=last,
            completed_at=completed_at,
            consented=consented,
            region=region,
            commune=commune,
            migrant=migrant,
            indigenous=indigenous,
            workshops=len(went),
        )
        users.append(
            {
                "id": user_id,
                "platform_id": platform.id,
                "sub": f"synthetic-{i}",
                "name": woman.name,
                "given_name": "Participante",
                "locale": "es-CL",
                "created_at": created,
                "last_launch_at": last,
            }
        )
        members.append(
            {
                "user_id": user_id,
                "context_id": context_id,
                "role": "participant",
                "lms_roles": "",
                "mentor_scope": [],
                "from_roster": False,
                "created_at": created,
            }
        )
        plans.append(
            {
                "user_id": user_id,
                "context_id": context_id,
                "content_version_id": content_version_id,
                "pathway_id": pathway,
                "level": level,
                "course_ids": list(catalogue.pathways[pathway].level(level).course_ids),
                "answers": {},
                "placement_rule": "",
                "placed_by": "placement",
                "created_at": created,
                "updated_at": created,
                "last_activity_id": None,
                "last_activity_at": last,
                "completed_at": completed_at,
            }
        )
        if consented:
            demographics.append(
                {
                    "user_id": user_id,
                    "region": region,
                    "municipality": commune,
                    "migrant": migrant,
                    "indigenous": indigenous,
                    "consented_at": created,
                }
            )
        for session_id in session_ids[context_id]:
            if session_id in went or rng.random() < 0.1:  # some were marked absent
                attendance.append(
                    {
                        "session_id": session_id,
                        "user_id": user_id,
                        "present": session_id in went,
                        "recorded_at": now,
                    }
                )
        if completed_at is not None:
            for months, survey in sorted(surveys.items()):
                due_at = add_months(completed_at, months)
                if abs((due_at - now).total_seconds()) < 2 * 86400:
                    due_at -= timedelta(days=3)  # keep clear of "due now"
                fact = FollowUpFact(months, due_at, "scheduled")
                if due_at <= now:
                    roll = rng.random()
                    if roll < 0.6:
                        fact.status = "answered"
                        fact.answered_by = "phone" if rng.random() < 0.3 else "participant"
                        for question in survey.questions:
                            if question.kind != "single" or not question.options:
                                continue
                            if not question.required and rng.random() < 0.2:
                                continue
                            option = rng.choice(question.options)[0]
                            fact.answers[question.id] = option
                            if question.outcome:
                                fact.outcomes[question.outcome] = option
                    elif roll < 0.7:
                        fact.status = "declined"
                follow_up_id = first_follow_up + len(follow_ups)
                follow_ups.append(
                    {
                        "id": follow_up_id,
                        "user_id": user_id,
                        "enrolment_id": None,
                        "context_id": context_id,
                        "survey_id": survey.id,
                        "months": months,
                        "completed_at": completed_at,
                        "due_at": due_at,
                        "status": fact.status,
                        "postponed_until": None,
                        "postponements": 0,
                        "closed_at": now if fact.status != "scheduled" else None,
                        "answered_by": fact.answered_by,
                        "entered_by": None,
                        "created_at": completed_at,
                    }
                )
                for question in survey.questions:
                    if question.id in fact.answers:
                        answers.append(
                            {
                                "follow_up_id": follow_up_id,
                                "user_id": user_id,
                                "question_id": question.id,
                                "outcome": question.outcome,
                                "choice": fact.answers[question.id],
                                "text": None,
                            }
                        )
                woman.follow_ups.append(fact)
        women.append(woman)

    _bulk(LtiUser, users)
    _bulk(Membership, members)
    _bulk(Enrolment, plans)
    _bulk(Demographics, demographics)
    _bulk(WorkshopSession, sessions)
    _bulk(Attendance, attendance)
    _bulk(FollowUp, follow_ups)
    _bulk(FollowUpAnswer, answers)
    if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for table in ("lti_user", "workshop_session", "follow_up"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
            )
    db.session.commit()
    return Synthetic(seed, now, women, contexts, cohorts)
