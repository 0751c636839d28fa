"""No personal data in logs, and logs that exist: JSON lines with a request id; refusals and
registrations with reason codes; no name, e-mail, answer or SQL parameter in any line, even
when the database fails."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from sqlalchemy import text

from lti_tool.models import db
from tests.support.journey import intake, post
from tests.support.lti import LTI, Launcher

NAME, EMAIL = "Carmen Soto", "carmen.soto@example.org"
SECRET = "Me da miedo volver a casa tarde."
PERSONAL = (NAME, "Soto", EMAIL, "Padre Las Casas", SECRET, "Vecinas del pasaje")


def test_logs_hold_no_personal_data_even_when_the_database_fails(
    app: Flask,
    launcher: Launcher,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)

    @app.get("/boom-db")
    def boom_db() -> str:  # a query that fails while holding her data, as a real bug would
        db.session.execute(
            text("INSERT INTO programme (id, slug, name, created_at) VALUES (1, :s, :n, :t)"),
            {"s": EMAIL, "n": NAME, "t": "2026-01-01"},
        )
        return "unreachable"

    launcher.launch("participant", name=NAME, email=EMAIL, given_name="Carmen")
    intake(
        launcher.client,
        consent="true",
        region="araucania",
        municipality="Padre Las Casas",
        migrant="yes",
    )
    post(
        launcher.client,
        "/activities/ls-strengths/reflection",
        {"text": SECRET},
        token_from="/activities/ls-strengths",
    )
    launcher.client.post("/intake", data={"goal": "x" * 70})  # a refused form (no CSRF)
    assert launcher.client.get("/boom-db").status_code == 500
    launcher.launch("participant", **{LTI + "version": "1.1"})  # a refused launch
    lines = [r.getMessage() + " " + json.dumps(r.__dict__, default=str) for r in caplog.records]
    err = capfd.readouterr().err
    for secret in PERSONAL:
        assert secret not in err
        assert not [line for line in lines if secret in line], secret
    # The database error itself was logged (without its parameters).
    assert any("IntegrityError" in line or "unhandled error" in line for line in lines)


def test_logs_are_json_lines_with_a_request_id_and_reason_codes(
    launcher: Launcher, capfd: pytest.CaptureFixture[str]
) -> None:
    launcher.launch("participant", **{LTI + "version": "1.1"})
    response = launcher.client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    events = [
        json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")
    ]
    refusal = next(e for e in events if e.get("event") == "refusal")
    assert refusal["reason"] == "wrong_version" and refusal["request_id"]
    request = next(e for e in events if e.get("path") == "/health")
    assert request["request_id"] == "abc-123" and request["status"] == 200
    assert not any("?" in e.get("path", "") for e in events)  # never a query string
