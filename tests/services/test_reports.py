"""The programme's report against a synthetic programme of 500 women: every figure is
recomputed here from the raw facts the generator wrote (plain Python, not the report's SQL),
every small count must be hidden, no hidden count may be recoverable from the published numbers
by differences (an attacker solves every line with a single unknown, over and over), and a woman
who was erased disappears from every figure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from courses import geography
from courses.followup import CHILE
from lti_tool.actor import Actor, Role
from lti_tool.models import LmsContext, db
from lti_tool.models.private import AccessLog
from lti_tool.services import content, privacy, reports
from lti_tool.services.errors import Forbidden, RegionNotAllowed
from lti_tool.services.reports import Figure, Report
from tests.conftest import override_settings
from tests.factories import GrantFactory, MembershipFactory, UserFactory, actor_of
from tests.support import synthetic
from tests.support.synthetic import Synthetic, Woman

Raw = dict[tuple[str, str], int]


@pytest.fixture
def programme(app: Flask, imported: int) -> Synthetic:
    found = content.latest_catalogue()
    assert found is not None
    return synthetic.build(500, found[1], found[0], seed=12)


def team(syn: Synthetic, region: str | None = None) -> Actor:
    context = db.session.get(LmsContext, syn.contexts[0])
    assert context is not None
    person = UserFactory(name="Ana Pérez")
    MembershipFactory(user_id=person.id, context_id=context.id, role="facilitator")
    GrantFactory(user_id=person.id, role=Role.PROGRAMME_TEAM.value, region=region)
    return actor_of(person, context, Role.FACILITATOR)


# ------------------------------------------------------------------- expected, from raw facts
def expected(women: Iterable[Woman], syn: Synthetic) -> dict[str, Raw]:
    """Every figure's inner cells, counted from the generator's facts."""
    women = list(women)
    now = syn.built_at
    tables: dict[str, Counter[tuple[str, str]]] = {
        name: Counter()
        for name in (
            "region",
            "municipality",
            "migrant",
            "indigenous",
            "status-by-pathway",
            "status-by-cohort",
            "status-by-month",
            "workshops",
            "responses",
        )
    }
    outcomes: dict[str, Counter[tuple[str, str]]] = {}
    for w in women:
        tables["region"][(w.region, "count")] += 1
        tables["municipality"][(w.commune, "count")] += 1
        tables["migrant"][(w.migrant, "count")] += 1
        tables["indigenous"][(w.indigenous, "count")] += 1
        status = w.status(now)
        row = f"{w.pathway}/{w.level}"
        tables["status-by-pathway"][(row, status)] += 1
        cohort = str(w.cohort_id) if w.cohort_id is not None else "none"
        tables["status-by-cohort"][(cohort, status)] += 1
        tables["status-by-month"][(w.created_at.strftime("%Y-%m"), status)] += 1
        tables["workshops"][(row, "yes" if w.workshops else "no")] += 1
        for f in w.follow_ups:
            if f.due_at <= now:
                state = f.answered_by if f.status == "answered" else f.status
                tables["responses"][(str(f.months), str(state))] += 1
            for outcome, option in f.outcomes.items():
                outcomes.setdefault(f"outcome-{outcome}", Counter())[(option, str(f.months))] += 1
    result = {name: dict(counter) for name, counter in tables.items()}
    result.update({name: dict(counter) for name, counter in outcomes.items()})
    return result


def figures(report: Report) -> dict[str, Figure]:
    return {f.id: f for s in report.sections for f in s.figures}


# ------------------------------------------------------------------- the independent checks
def grid(figure: Figure) -> dict[tuple[str, str], int | None]:
    """Published numbers by (row, column), with "TOTAL" for totals."""
    out: dict[tuple[str, str], int | None] = {}
    for row in figure.rows:
        for key, cell in zip(figure.column_keys, row.cells, strict=True):
            out[(row.key, key)] = cell.value
        if row.total is not None:
            out[(row.key, "TOTAL")] = row.total.value
    assert figure.totals is not None
    for key, cell in zip(figure.column_keys, figure.totals.cells, strict=True):
        out[("TOTAL", key)] = cell.value
    if figure.totals.total is not None:
        out[("TOTAL", "TOTAL")] = figure.totals.total.value
    return out


def raw_grid(figure: Figure, raw: Raw) -> dict[tuple[str, str], int]:
    rows = [r.key for r in figure.rows]
    columns = list(figure.column_keys)
    out = {(r, c): raw.get((r, c), 0) for r in rows for c in columns}
    two_way = figure.rows and figure.rows[0].total is not None
    if two_way:
        for r in rows:
            out[(r, "TOTAL")] = sum(out[(r, c)] for c in columns)
    for c in columns:
        out[("TOTAL", c)] = sum(out[(r, c)] for r in rows)
    if two_way:
        out[("TOTAL", "TOTAL")] = sum(out[("TOTAL", c)] for c in columns)
    return out


def lines(figure: Figure) -> list[tuple[list[tuple[str, str]], tuple[str, str]]]:
    rows = [r.key for r in figure.rows]
    columns = list(figure.column_keys)
    result = [([(r, c) for r in rows], ("TOTAL", c)) for c in columns]
    if figure.rows and figure.rows[0].total is not None:
        result += [([(r, c) for c in columns], (r, "TOTAL")) for r in rows]
        result += [([("TOTAL", c) for c in columns], ("TOTAL", "TOTAL"))]
        result += [([(r, "TOTAL") for r in rows], ("TOTAL", "TOTAL"))]
    return result


def check_figure(figure: Figure, raw: Raw, k: int) -> int:
    """Every published number is the true count, every small count is hidden, hidden numbers
    cannot be worked out line by line, and a line's hidden numbers sum to at least k. Returns
    how many numbers were hidden by complementary suppression (not small themselves)."""
    published = grid(figure)
    truth = raw_grid(figure, raw)
    assert set(published) == set(truth), figure.id
    # Every category with women is listed.
    listed = {r.key for r in figure.rows}
    assert {r for (r, _c), n in raw.items() if n} <= listed, figure.id
    for key, value in published.items():
        n = truth[key]
        if value is None:
            assert n > 0, (figure.id, key, "a zero is never hidden")
        else:
            assert value == n, (figure.id, key, value, n)
        if 0 < n < k:
            assert value is None, (figure.id, key, n, "a small count is shown")
    # A percentage is never shown for a hidden number.
    for row in [*figure.rows, figure.totals]:
        assert row is not None
        for cell in [*row.cells, *([row.total] if row.total else [])]:
            assert cell.value is not None or cell.percent is None, figure.id
    # The differencing attacker.
    known = {key: value for key, value in published.items() if value is not None}
    progress = True
    while progress:
        progress = False
        for members, total in lines(figure):
            unknown = [m for m in [*members, total] if m not in known]
            if len(unknown) != 1:
                continue
            (cell,) = unknown
            if cell == total:
                known[cell] = sum(known[m] for m in members)
            else:
                known[cell] = known[total] - sum(known[m] for m in members if m != cell)
            assert known[cell] == truth[cell]
            assert not 0 < truth[cell] < k, (figure.id, cell, "recovered a small count")
            progress = True
    for members, total in lines(figure):
        hidden = [m for m in members if published[m] is None]
        if hidden and published[total] is not None:
            assert len(hidden) >= 2, (figure.id, total)
            assert sum(truth[m] for m in hidden) >= k, (figure.id, total)
    return sum(1 for key, value in published.items() if value is None and truth[key] >= k)


def check_report(report: Report, raw: dict[str, Raw], women: list[Woman], k: int) -> int:
    found = figures(report)
    assert set(raw) <= set(found)
    complementary = 0
    for figure_id, figure in found.items():
        complementary += check_figure(figure, raw.get(figure_id, {}), k)
    head = {h.key: h.cell.value for h in report.headlines}
    women_n = len(women)
    assert head["women"] == (women_n if women_n >= k or women_n == 0 else None)
    return complementary


# ------------------------------------------------------------------- the tests
def test_every_figure_matches_the_raw_rows_with_small_cells_hidden(programme: Synthetic) -> None:
    result = reports.report(team(programme), reports.Filters())
    raw = expected(programme.women, programme)
    complementary = check_report(result, raw, programme.women, 5)
    # The synthetic programme exercises the rules: small regions, many small communes, and
    # numbers hidden only because they would reveal a small one.
    region = {r.key: r.cells[0].value for r in figures(result)["region"].rows}
    assert region["metropolitana"] == raw["region"][("metropolitana", "count")] >= 150
    small_regions = [r for (r, _c), n in raw["region"].items() if 0 < n < 5]
    assert small_regions and all(region[r] is None for r in small_regions)
    small_communes = [n for (_c, _k), n in raw["municipality"].items() if 0 < n < 5]
    assert len(small_communes) > 20
    assert complementary > 0
    # The headline numbers, from the raw rows too.
    now = programme.built_at
    completed = sum(1 for w in programme.women if w.status(now) == "completed")
    kept = sum(1 for w in programme.women if w.status(now) != "dropped")
    head = {h.key: h.cell for h in result.headlines}
    assert head["plans"].value == 500
    assert head["completed"].value == completed
    assert head["completed"].percent == round(100 * completed / 500, 1)
    assert head["retention"].value == kept


def test_the_same_seed_builds_the_same_programme(app: Flask, imported: int) -> None:
    found = content.latest_catalogue()
    assert found is not None
    first = synthetic.build(60, found[1], found[0], seed=7)
    second = synthetic.build(60, found[1], found[0], seed=7)

    def facts(syn: Synthetic) -> list[tuple[Any, ...]]:
        return [
            (w.pathway, w.level, w.region, w.commune, w.migrant, w.workshops,
             [(f.months, f.status, f.answered_by, f.outcomes) for f in w.follow_ups])
            for w in syn.women
        ]  # fmt: skip

    assert facts(first) == facts(second)


@pytest.mark.parametrize(
    ("name", "make", "keep"),
    [
        ("region", lambda s: reports.Filters(region="biobio"), lambda w, s: w.region == "biobio"),
        (
            "pathway",
            lambda s: reports.Filters(pathway="employment"),
            lambda w, s: w.pathway == "employment",
        ),
        (
            "cohort",
            lambda s: reports.Filters(cohort_id=next(iter(s.cohorts))),
            lambda w, s: w.cohort_id == next(iter(s.cohorts)),
        ),
        (
            "period",
            lambda s: reports.Filters(
                start=(s.built_at - timedelta(days=200)).astimezone(CHILE).date(),
                end=(s.built_at - timedelta(days=60)).astimezone(CHILE).date(),
            ),
            lambda w, s: (
                (s.built_at - timedelta(days=200)).astimezone(CHILE).date()
                <= w.created_at.astimezone(CHILE).date()
                <= (s.built_at - timedelta(days=60)).astimezone(CHILE).date()
            ),
        ),
    ],
)
def test_filters_count_only_the_women_they_select(
    programme: Synthetic,
    name: str,
    make: Callable[[Synthetic], reports.Filters],
    keep: Callable[[Woman, Synthetic], bool],
) -> None:
    women = [w for w in programme.women if keep(w, programme)]
    assert 20 < len(women) < 500, name
    result = reports.report(team(programme), make(programme))
    check_report(result, expected(women, programme), women, 5)


def test_an_erased_woman_disappears_from_every_figure(programme: Synthetic) -> None:
    actor = team(programme)
    now = programme.built_at
    her = next(
        w
        for w in programme.women
        if w.commune
        and w.status(now) == "completed"
        and w.workshops
        and any(f.status == "answered" and f.outcomes for f in w.follow_ups)
    )
    before = reports.report(actor, reports.Filters())
    privacy.erase_person(actor, her.user_id)
    rest = [w for w in programme.women if w.user_id != her.user_id]
    after = reports.report(actor, reports.Filters())
    check_report(after, expected(rest, programme), rest, 5)
    assert {h.key: h.cell.value for h in after.headlines}["women"] == 499
    assert grid(figures(before)["responses"]) != grid(figures(after)["responses"])


def test_a_higher_threshold_hides_more_and_below_five_is_refused(
    app: Flask, programme: Synthetic
) -> None:
    override_settings(app, reports={"min_cell": 10})
    result = reports.report(team(programme), reports.Filters())
    assert result.k == 10
    check_report(result, expected(programme.women, programme), programme.women, 10)
    override_settings(app, reports={"min_cell": 4})
    with pytest.raises(ValueError, match="at least 5"):
        reports.report(team(programme), reports.Filters())


def test_only_the_programme_team_and_only_its_regions(programme: Synthetic) -> None:
    context = db.session.get(LmsContext, programme.contexts[0])
    assert context is not None
    person = UserFactory()
    MembershipFactory(user_id=person.id, context_id=context.id, role="facilitator")
    with pytest.raises(Forbidden):
        reports.report(actor_of(person, context, Role.FACILITATOR), reports.Filters())
    regional = team(programme, region="araucania")
    with pytest.raises(RegionNotAllowed):
        reports.report(regional, reports.Filters(region="biobio"))
    result = reports.report(regional, reports.Filters())
    assert result.choices.regions == ("araucania",)
    women = [w for w in programme.women if w.region == "araucania"]
    check_report(result, expected(women, programme), women, 5)


def test_the_report_reads_are_logged_once_in_aggregate(programme: Synthetic) -> None:
    actor = team(programme)
    reports.report(actor, reports.Filters())
    rows = db.session.execute(
        select(AccessLog.what, AccessLog.subject_id, AccessLog.why).where(
            AccessLog.reader_id == actor.user_id
        )
    ).all()
    assert rows == [("aggregates", None, "programme-report")]
    assert db.session.scalar(select(func.count()).select_from(AccessLog)) == 1


def test_csv_rows_hide_exactly_what_the_page_hides(programme: Synthetic) -> None:
    result = reports.report(team(programme), reports.Filters())
    lines = reports.csv_rows(result)
    shown = [line for line in lines[1:] if line[4] != "< 5"]
    hidden = [line for line in lines[1:] if line[4] == "< 5"]
    page_hidden = sum(
        1
        for f in figures(result).values()
        for cell in [
            *(c for r in f.rows for c in (*r.cells, *([r.total] if r.total else []))),
            *(f.totals.cells if f.totals else ()),
            *([f.totals.total] if f.totals and f.totals.total else []),
        ]
        if cell.value is None
    ) + sum(1 for h in result.headlines if h.cell.value is None)
    assert len(hidden) == page_hidden > 0
    assert all(int(line[4]) == 0 or int(line[4]) >= 5 for line in shown)
    assert all(line[5] == "" for line in hidden)


def test_report_of_an_empty_programme(app: Flask, imported: int) -> None:
    person = UserFactory()
    GrantFactory(user_id=person.id)
    result = reports.report(actor_of(person, None), reports.Filters())
    assert all(h.cell.value in (0, None) for h in result.headlines)
    assert [r.key for r in figures(result)["region"].rows][:2] == [
        geography.REGIONS[0].slug,
        geography.REGIONS[1].slug,
    ]
    assert all(r.cells[0].value == 0 for r in figures(result)["region"].rows)


def test_groups_are_merged_by_plaintext_after_a_key_rotation(
    app: Flask, programme: Synthetic
) -> None:
    """After a new key is put in front, new values are sealed differently from old ones until
    `flask privacy reencrypt` runs; the report decrypts the distinct keys and merges them."""
    from lti_tool.models.encryption import KeyRing, new_key
    from lti_tool.models.private import Demographics
    from tests.conftest import TEST_ENCRYPTION_KEY

    actor = team(programme)
    before = reports.report(actor, reports.Filters())
    app.extensions["senda_keyring"] = KeyRing([new_key(), TEST_ENCRYPTION_KEY])
    moved = [w for w in programme.women if w.region == "metropolitana"][:40]
    for woman in moved:  # rewritten under the new key (as an intake after the rotation would)
        row = db.session.scalar(select(Demographics).where(Demographics.user_id == woman.user_id))
        assert row is not None
        row.region, row.municipality = "", ""
        db.session.flush()
        row.region, row.municipality = woman.region, woman.commune
    db.session.commit()
    distinct = db.session.scalar(select(func.count(func.distinct(Demographics.__table__.c.region))))
    assert distinct is not None and distinct > len({w.region for w in programme.women if w.region})
    after = reports.report(actor, reports.Filters())
    assert grid(figures(after)["region"]) == grid(figures(before)["region"])
    assert grid(figures(after)["municipality"]) == grid(figures(before)["municipality"])
    regional = reports.report(actor, reports.Filters(region="metropolitana"))
    women = [w for w in programme.women if w.region == "metropolitana"]
    check_report(regional, expected(women, programme), women, 5)
