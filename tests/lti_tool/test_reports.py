"""The programme team's report page, its CSV and the follow-up calls, through real launches:
who may see them, what they show (every chart with its table, small counts as "< 5"), their
filters, and their cost (queries and compressed bytes per page)."""

from __future__ import annotations

import csv
import gzip
import io
import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, func, select, update

from lti_tool.actor import Role
from lti_tool.models import FollowUp, LtiUser, db, utcnow
from lti_tool.models.private import AccessLog
from lti_tool.services import content, reports
from lti_tool.services.privacy import followup as private_followup
from tests.conftest import row_counts
from tests.factories import GrantFactory, actor_of
from tests.lti_tool.test_mentoring_paths import assert_tied
from tests.support import synthetic
from tests.support.journey import post
from tests.support.lti import Launcher
from tests.support.synthetic import Synthetic


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined]


@pytest.fixture
def programme(app: Flask, imported: int) -> Synthetic:
    found = content.latest_catalogue()
    assert found is not None
    return synthetic.build(500, found[1], found[0], seed=3)


def as_team(
    launcher: Launcher, sub: str = "ana", region: str | None = None, locale: str = "es-CL"
) -> int:
    launcher.launch("facilitator", sub=sub, name="Ana Pérez", given_name="Ana")
    user_id = db.session.scalar(select(LtiUser.id).where(LtiUser.sub == sub))
    assert user_id is not None
    GrantFactory(user_id=user_id, role=Role.PROGRAMME_TEAM.value, region=region)
    launcher.launch("facilitator", sub=sub, name="Ana Pérez", given_name="Ana", locale=locale)
    return user_id


PAGES = ("/programme/reports", "/programme/reports.csv", "/programme/follow-up")


@pytest.mark.parametrize("role", ["participant", "facilitator", "designer", "mentor"])
def test_only_the_programme_team_sees_reports_and_calls(
    launcher: Launcher, programme: Synthetic, role: str
) -> None:
    launcher.launch(role, sub=f"someone-{role}")
    for path in PAGES:
        assert launcher.client.get(path).status_code == 403, path
    follow_up = db.session.scalar(select(FollowUp.id))
    assert launcher.client.get(f"/programme/follow-up/{follow_up}").status_code == 403
    before = row_counts()
    token = "/followup" if role == "participant" else "/"
    for path in (f"/programme/follow-up/{follow_up}", f"/programme/follow-up/{follow_up}/decline"):
        response = post(
            launcher.client, path, {"confirm": "true", "income": "more"}, token_from=token
        )
        assert response.status_code in (403, 400), path
    assert row_counts() == before


def test_without_a_launch_nothing_opens(client: object, programme: Synthetic) -> None:
    for path in PAGES:
        assert client.get(path).status_code in (401, 403)  # type: ignore[attr-defined]


def test_the_report_shows_every_chart_with_its_table(
    launcher: Launcher, programme: Synthetic
) -> None:
    as_team(launcher)
    response = launcher.client.get("/programme/reports")
    assert response.status_code == 200
    page = text(response)
    figures = re.findall(r'<figure class="figure" id="fig-([a-z-]+)"', page)
    assert {"region", "municipality", "migrant", "indigenous", "status-by-pathway",
            "status-by-cohort", "status-by-month", "workshops", "responses",
            "outcome-income"} <= set(figures)  # fmt: skip
    # Each figure: one chart (hidden from screen readers) and one table with a caption.
    for block in page.split('<figure class="figure"')[1:]:
        block = block.split("</figure>")[0]
        assert block.count('class="chart" aria-hidden="true"') == 1
        assert block.count("<table>") == 1 and "<caption" in block
    assert "&lt; 5" in page  # small counts are shown as such
    assert 'href="/programme/reports.csv"' in page
    assert len(gzip.compress(response.data)) < 60 * 1024


def test_the_csv_is_the_report(launcher: Launcher, programme: Synthetic) -> None:
    user_id = as_team(launcher)
    response = launcher.client.get("/programme/reports.csv?pathway=employment")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text(response).lstrip("\ufeff"))))
    person = db.session.get(LtiUser, user_id)
    assert person is not None
    from tests.factories import CourseFactory  # noqa: F401 - documents where the actor lives

    actor = actor_of(person, None, Role.FACILITATOR)
    expected = reports.csv_rows(reports.report(actor, reports.Filters(pathway="employment")))
    assert rows == expected
    assert any(row[4] == "< 5" for row in rows[1:])
    for row in rows[1:]:
        assert row[4] == "< 5" or row[4] == "0" or int(row[4]) >= 5


@pytest.mark.parametrize(
    "query",
    [
        "region=atlantis",
        "start=2026-13-01",
        "start=2026-06-01&end=2026-01-01",
        "cohort=abc",
        "user_id=3",
        "pathway=" + "x" * 80,
    ],
)
def test_bad_filters_are_refused(launcher: Launcher, programme: Synthetic, query: str) -> None:
    as_team(launcher)
    assert launcher.client.get(f"/programme/reports?{query}").status_code == 400
    assert launcher.client.get(f"/programme/reports.csv?{query}").status_code == 400


@pytest.mark.parametrize(
    ("locale", "query", "field", "message"),
    [
        ("en-US", "start=2026-13-01", "start", "Write the date, e.g. 2026-12-01."),
        ("es-CL", "end=1/6/2026", "end", "Escribe la fecha, por ejemplo 2026-12-01."),
        (
            "en-US",
            "start=2026-06-01&end=2026-01-01",
            "end",
            "The end date is before the start date: choose the same day or a later one.",
        ),
        (
            "es-CL",
            "start=2026-06-01&end=2026-01-01",
            "end",
            "La fecha final es anterior a la inicial: elige el mismo día o uno posterior.",
        ),
    ],
)
def test_a_mistyped_date_is_said_beside_it_and_nothing_is_counted(
    launcher: Launcher, programme: Synthetic, locale: str, query: str, field: str, message: str
) -> None:
    """A date typed wrong (a browser without a date picker shows a text box), or an end before
    the start: the filter form again (400) with her filters as she left them and the message
    beside that date; no figures, not even the unfiltered ones that could pass for hers."""
    as_team(launcher, locale=locale)
    cohort = next(iter(programme.cohorts))
    reads = db.session.scalar(select(func.count()).select_from(AccessLog))
    response = launcher.client.get(
        f"/programme/reports?{query}&region=biobio&pathway=employment&cohort={cohort}"
    )
    assert response.status_code == 400
    page = text(response)
    assert_tied(page, f"f-{field}", f"e-{field}", message)
    for typed in query.split("&"):
        name, value = typed.split("=")
        assert f'name="{name}" value="{value}"' in page
    assert '<option value="biobio" selected>' in page
    assert '<option value="employment" selected>' in page
    assert f'<option value="{cohort}" selected>' in page
    assert "<figure" not in page and "reports.csv" not in page
    assert db.session.scalar(select(func.count()).select_from(AccessLog)) == reads


def test_filters_are_kept_in_the_form_and_the_csv_link(
    launcher: Launcher, programme: Synthetic
) -> None:
    as_team(launcher)
    cohort = next(iter(programme.cohorts))
    page = text(
        launcher.client.get(f"/programme/reports?region=biobio&pathway=employment&cohort={cohort}")
    )
    assert '<option value="biobio" selected>' in page
    assert '<option value="employment" selected>' in page
    assert f'<option value="{cohort}" selected>' in page
    assert "reports.csv?" in page and "region=biobio" in page


def test_a_regional_team_sees_only_its_region(launcher: Launcher, programme: Synthetic) -> None:
    as_team(launcher, region="araucania")
    page = text(launcher.client.get("/programme/reports"))
    assert '<option value="araucania"' in page and '<option value="biobio"' not in page
    assert launcher.client.get("/programme/reports?region=biobio").status_code == 403


def test_pages_stay_within_the_query_budget(launcher: Launcher, programme: Synthetic) -> None:
    as_team(launcher)
    private = [w for w in programme.women if any(f.status == "scheduled" for f in w.follow_ups)]
    db.session.execute(update(FollowUp).values(due_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    for woman in private[:30]:
        person = db.session.get(LtiUser, woman.user_id)
        assert person is not None
        private_followup.set_contact(actor_of(person, None), "phone", "+56 9 5555 0000", "test")
    db.session.commit()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    for path in ("/programme/reports", "/programme/reports?region=biobio", "/programme/follow-up"):
        launcher.client.get(path)
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = launcher.client.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200, path
        assert len(statements) <= 8, (path, len(statements), "\n".join(s[:50] for s in statements))
    calls = text(launcher.client.get("/programme/follow-up"))
    due = sum(1 for w in private[:30] for f in w.follow_ups if f.status == "scheduled")
    assert calls.count("+56 9 5555 0000") == due >= 30


def test_phone_answers_through_the_pages(launcher: Launcher, programme: Synthetic) -> None:
    as_team(launcher)
    follow_up = db.session.scalar(
        select(FollowUp).where(FollowUp.status == "scheduled", FollowUp.months == 3)
    )
    assert follow_up is not None
    follow_up_id = follow_up.id
    db.session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up_id)
        .values(due_at=utcnow() - timedelta(days=1))
    )
    db.session.commit()
    page = f"/programme/follow-up/{follow_up_id}"
    form = text(launcher.client.get(page))
    assert 'name="confirm"' in form and 'name="income"' in form
    answers = {"income": "same", "formal-job": "no"}
    before = row_counts()
    refused = post(launcher.client, page, answers, token_from=page)
    assert refused.status_code == 400 and 'id="err-confirm"' in text(refused)
    incomplete = post(
        launcher.client, page, {"confirm": "true", "formal-job": "no"}, token_from=page
    )
    assert incomplete.status_code == 400
    assert row_counts() == before
    saved = post(launcher.client, page, {**answers, "confirm": "true"}, token_from=page)
    assert saved.status_code == 302
    db.session.expire_all()
    row = db.session.get(FollowUp, follow_up_id)
    assert row is not None and (row.status, row.answered_by) == ("answered", "phone")
    assert row.entered_by is not None
    assert launcher.client.get("/programme/follow-up/999999").status_code == 404
