"""The demo course and the people in it (the demo LMS's "users table")."""

from __future__ import annotations

from dataclasses import dataclass

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
CONTENT_DEVELOPER = "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
STUDENT_INSTITUTION = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"

COURSE_ID = "demo-course-1"
COURSE_TITLE = "Segunda Oportunidad · Cohorte demo 2026"
COURSE_LABEL = "SO-DEMO-2026"


@dataclass(frozen=True)
class Person:
    id: str  # the LMS's user id: becomes `sub`
    name: str
    given_name: str
    family_name: str
    role: str  # what the demo page shows next to her name
    roles: tuple[str, ...]  # the LTI roles the demo LMS sends
    locale: str
    launches: bool = True  # False: enrolled in the LMS but never opens Senda
    # The LMS ids of the people she mentors (the role_scope_mentor claim), for a Mentor.
    mentees: tuple[str, ...] = ()
    # Programme roles granted to her inside Senda by `flask demo register` (not by the LMS).
    grants: tuple[str, ...] = ()


PEOPLE = (
    Person(
        "u-carmen",
        "Carmen Soto",
        "Carmen",
        "Soto",
        "participant",
        (LEARNER, STUDENT_INSTITUTION),
        "es-CL",
    ),
    Person("u-yasna", "Yasna Joseph", "Yasna", "Joseph", "participant", (LEARNER,), "es-CL"),
    Person("u-rosa", "Rosa Huenchumil", "Rosa", "Huenchumil", "participant", (LEARNER,), "es-CL"),
    Person("u-emily", "Emily Clarke", "Emily", "Clarke", "participant", (LEARNER,), "en-US"),
    Person("u-paula", "Paula Rojas", "Paula", "Rojas", "facilitator", (INSTRUCTOR,), "es-CL"),
    Person(
        "u-daniela",
        "Daniela Muñoz",
        "Daniela",
        "Muñoz",
        "designer",
        (CONTENT_DEVELOPER, INSTRUCTOR),
        "es-CL",
    ),
    Person(
        "u-ana",
        "Ana Pérez",
        "Ana",
        "Pérez",
        "programme team",
        (INSTRUCTOR,),
        "es-CL",
        grants=("programme_team",),
    ),
    Person(
        "u-lucia",
        "Lucía Fernández",
        "Lucía",
        "Fernández",
        "mentor",
        (MENTOR,),
        "es-CL",
        mentees=("u-carmen", "u-yasna"),
        grants=("mentor",),
    ),
    Person(
        "u-marta",
        "Marta Díaz",
        "Marta",
        "Díaz",
        "employment tutor",
        (INSTRUCTOR,),
        "es-CL",
        grants=("tutor",),
    ),
    Person(
        "u-sofia",
        "Sofía Reyes",
        "Sofía",
        "Reyes",
        "support lead",
        (INSTRUCTOR,),
        "es-CL",
        grants=("support_lead",),
    ),
    Person(
        "u-marisol",
        "Marisol Quispe",
        "Marisol",
        "Quispe",
        "participant",
        (LEARNER,),
        "es-CL",
        launches=False,
    ),
    Person(
        "u-ines",
        "Inés Carrasco",
        "Inés",
        "Carrasco",
        "participant",
        (LEARNER,),
        "es-CL",
        launches=False,
    ),
)


def person(person_id: str) -> Person | None:
    return next((p for p in PEOPLE if p.id == person_id), None)
