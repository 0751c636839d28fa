"""Every blueprint, one per audience: the LTI endpoints an LMS calls (launch, registration, deep
linking), the shared home, and the pages of participants, course staff, mentors and the
programme team. A view reads the request, calls one service function and renders."""

from __future__ import annotations

from flask import Blueprint

from lti_tool.views import (
    deep_linking,
    designer,
    facilitator,
    followup,
    home,
    learner,
    lti,
    mentor,
    mentoring,
    opportunities,
    programme,
    registration,
    reports,
    schools,
    support,
    tutor,
)

BLUEPRINTS: tuple[Blueprint, ...] = (
    lti.bp,
    registration.bp,
    deep_linking.bp,
    home.bp,
    learner.bp,
    facilitator.bp,
    designer.bp,
    mentor.bp,
    mentoring.bp,
    schools.school_bp,
    programme.bp,
    followup.bp,
    reports.bp,
    schools.bp,
    support.bp,
    tutor.bp,
    opportunities.bp,
)
