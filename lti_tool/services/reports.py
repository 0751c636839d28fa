"""The programme team's reports: reach, enrolment, retention and drop-out, completion,
workshop attendance, and the follow-up surveys' response rates and outcomes; and the team's
side of the follow-up (the call list of due surveys, answers given on the phone).

Every figure is computed in the database by a handful of aggregate queries (GROUP BY, no loop
over participants), then published through small-cell suppression (`courses/reach.py`): any
count of fewer than `[reports] min_cell` women (never below 5) is hidden as "< k" in the page,
its charts and the CSV, together with whatever other numbers would let a reader work it out
from the totals (complementary suppression). A percentage is shown only when both of its
numbers are.

A plan's status: *completed* once every course of her plan was done (`Enrolment.completed_at`),
*dropped out* when not completed and untouched for `[reports] dropout_after_days`, otherwise
*active*. Retention is completed + active.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, literal, select

from courses import followup as rules
from courses import geography, reach
from courses.model import Catalogue
from courses.programme_data import OUTCOMES, Survey
from lti_tool.actor import Actor, Role
from lti_tool.models import (
    Attendance,
    Cohort,
    Enrolment,
    FollowUp,
    LmsContext,
    LtiUser,
    WorkshopSession,
    db,
    utcnow,
)
from lti_tool.services import content, followup, programme
from lti_tool.services.errors import FollowUpNotFound, RegionNotAllowed
from lti_tool.services.privacy import followup as private
from lti_tool.services.privacy import reach as private_reach
from lti_tool.settings import settings

STATUSES = ("completed", "active", "dropped")
NO_COHORT = "none"


# ------------------------------------------------------------------------------- filters
@dataclass(frozen=True)
class Filters:
    """What the report counts: plans started in [start, end] (Chile's calendar days, both
    included), of women of `region` (by their consented region), on `pathway`, in `cohort`."""

    start: date | None = None
    end: date | None = None
    region: str | None = None
    pathway: str | None = None
    cohort_id: int | None = None

    def as_query(self) -> dict[str, str]:
        values = {
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "region": self.region or "",
            "pathway": self.pathway or "",
            "cohort": str(self.cohort_id) if self.cohort_id else "",
        }
        return {k: v for k, v in values.items() if v}


def _chile_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=rules.CHILE).astimezone(UTC)


# ------------------------------------------------------------------------------- figures
@dataclass(frozen=True)
class Cell:
    value: int | None  # None: hidden (fewer than k women, or would reveal such a count)
    percent: float | None = None

    @property
    def hidden(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    cells: tuple[Cell, ...]
    total: Cell | None = None


@dataclass(frozen=True)
class Figure:
    """One table of the report and the chart drawn from it."""

    id: str
    title: str
    note: str
    row_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    totals: Row | None = None  # the column totals (and the grand total)
    column_keys: tuple[str, ...] = ()
    percent_of: str = "total"  # what a percentage is of: "total", "row" or "column"
    chart: str = "bars"  # "bars": one bar per row (first column); "stacked": row shares


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    cell: Cell


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class FilterChoices:
    """What the filter form offers: the regions she may see, the pathways, the cohorts."""

    regions: tuple[str, ...]
    pathways: tuple[tuple[str, str], ...]
    cohorts: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Report:
    k: int
    filters: Filters
    generated_at: datetime
    headlines: tuple[Headline, ...]
    sections: tuple[Section, ...]
    choices: FilterChoices


def _pct(part: int | None, whole: int | None) -> float | None:
    if part is None or whole is None or whole == 0:
        return None
    return round(100 * part / whole, 1)


def one_way(
    id: str,
    title: str,
    row_header: str,
    column: str,
    items: Sequence[tuple[str, str, int]],
    k: int,
    note: str = "",
) -> Figure:
    """A one-way table with its total: (key, label, count) per row."""
    counts = {key: n for key, _label, n in items}
    shown = reach.suppress_counts(counts, k)
    total = reach.suppress_count(sum(counts.values()), k)
    rows = tuple(
        Row(key, label, (Cell(shown[key], _pct(shown[key], total)),)) for key, label, _n in items
    )
    return Figure(
        id,
        title,
        note,
        row_header,
        (column,),
        rows,
        totals=Row("total", _("Total"), (Cell(total, 100.0 if total else None),)),
        column_keys=("count",),
    )


def two_way(
    id: str,
    title: str,
    row_header: str,
    rows: Sequence[tuple[str, str]],
    columns: Sequence[tuple[str, str]],
    counts: Mapping[tuple[str, str], int],
    k: int,
    percent_of: str = "row",
    chart: str = "stacked",
    note: str = "",
) -> Figure:
    """A two-way table with row, column and grand totals, suppressed as a whole."""
    cells = {(r, c): counts.get((r, c), 0) for r, _rl in rows for c, _cl in columns}
    if not cells:  # nothing to count yet: an empty table with zero totals
        cells = {("", c): 0 for c, _cl in columns}
    table = reach.suppress_table(cells, k)

    def cell(value: int | None, row_total: int | None, column_total: int | None) -> Cell:
        whole = {"row": row_total, "column": column_total, "total": table.total}[percent_of]
        return Cell(value, _pct(value, whole))

    out_rows = tuple(
        Row(
            r,
            label,
            tuple(
                cell(table.cells[(r, c)], table.row_totals[r], table.column_totals[c])
                for c, _cl in columns
            ),
            Cell(table.row_totals[r], _pct(table.row_totals[r], table.total)),
        )
        for r, label in rows
    )
    totals = Row(
        "total",
        _("Total"),
        tuple(
            Cell(
                table.column_totals[c],
                _pct(table.column_totals[c], table.total) if percent_of != "column" else None,
            )
            for c, _cl in columns
        ),
        Cell(table.total, 100.0 if table.total else None),
    )
    return Figure(
        id,
        title,
        note,
        row_header,
        tuple(label for _c, label in columns),
        out_rows,
        totals=totals,
        percent_of=percent_of,
        chart=chart,
        column_keys=tuple(key for key, _cl in columns),
    )


# ------------------------------------------------------------------------------- scoping
def _allowed_regions(actor: Actor) -> frozenset[str] | None:
    """Her programme-team grants' regions, or None when one covers the whole programme."""
    grants = programme.require(actor, Role.PROGRAMME_TEAM)
    if any(g.region is None for g in grants):
        return None
    return frozenset(g.region for g in grants if g.region)


def _regions_of(filters: Filters, allowed: frozenset[str] | None) -> frozenset[str] | None:
    """The regions the report counts: the filter's (one she may see), or all she may see."""
    if filters.region:
        if allowed is not None and filters.region not in allowed:
            raise RegionNotAllowed(filters.region)
        return frozenset({filters.region})
    return allowed


def _scoped(query: Select[Any], actor: Actor, filters: Filters, regions: Any) -> Select[Any]:
    """Restrict a query that joins Enrolment to the actor's programme and the filters."""
    query = query.join(LmsContext, LmsContext.id == Enrolment.context_id).where(
        LmsContext.programme_id == actor.programme_id
    )
    if filters.start:
        query = query.where(Enrolment.created_at >= _chile_midnight(filters.start))
    if filters.end:
        query = query.where(Enrolment.created_at < _chile_midnight(filters.end + timedelta(1)))
    if filters.pathway:
        query = query.where(Enrolment.pathway_id == filters.pathway)
    if filters.cohort_id:
        query = query.where(LmsContext.cohort_id == filters.cohort_id)
    if regions is not None:
        query = query.where(Enrolment.user_id.in_(regions))
    return query


def _month(column: Any) -> Any:
    """'YYYY-MM' of a timestamp, in the database's own dialect."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


# ------------------------------------------------------------------------------- the report
def report(actor: Actor, filters: Filters) -> Report:
    """The programme's report for these filters: at most seven aggregate queries, and one
    access-log line for the aggregate reads."""
    config = settings().reports
    k = reach.check_k(config.min_cell)
    allowed = _allowed_regions(actor)
    regions = _regions_of(filters, allowed)
    region_users = private_reach.users_in_regions(regions) if regions is not None else None
    now = utcnow()
    found = content.latest_catalogue()
    catalogue = found[1] if found else None
    locale = str(get_locale() or "es")

    # 1. Plans by pathway, level, cohort, month started and status, with workshop attendance.
    cutoff = now - timedelta(days=config.dropout_after_days)
    status = case(
        (Enrolment.completed_at.is_not(None), literal("completed")),
        (func.coalesce(Enrolment.last_activity_at, Enrolment.created_at) < cutoff, "dropped"),
        else_=literal("active"),
    )
    attended = (
        select(
            Attendance.user_id.label("user_id"),
            WorkshopSession.context_id.label("context_id"),
            func.count().label("sessions"),
        )
        .join(WorkshopSession, WorkshopSession.id == Attendance.session_id)
        .where(Attendance.present.is_(True))
        .group_by(Attendance.user_id, WorkshopSession.context_id)
        .subquery()
    )
    went = case((attended.c.sessions > 0, 1), else_=0)
    month = _month(Enrolment.created_at)
    plans = _scoped(
        select(
            Enrolment.pathway_id,
            Enrolment.level,
            LmsContext.cohort_id,
            month,
            status,
            went,
            func.count(),
        )
        .select_from(Enrolment)
        .outerjoin(
            attended,
            and_(
                attended.c.user_id == Enrolment.user_id,
                attended.c.context_id == Enrolment.context_id,
            ),
        ),
        actor,
        filters,
        region_users,
    ).group_by(Enrolment.pathway_id, Enrolment.level, LmsContext.cohort_id, month, status, went)
    groups = [
        (str(p), str(lv), c, str(m), str(s), int(w), int(n))
        for p, lv, c, m, s, w, n in db.session.execute(plans)
    ]

    # 2. The programme's cohorts (names for the filter and the tables).
    choices = _choices(actor, allowed, catalogue, locale)

    # 3. Reach: consented demographics of the distinct women.
    women = _scoped(
        select(Enrolment.user_id).select_from(Enrolment), actor, filters, region_users
    ).distinct()
    people = private_reach.reach_counts(women)

    # 4-5. Follow-up: status of due surveys, and the outcomes chosen in answered ones.
    follow_ups = _scoped(
        select(FollowUp.id)
        .select_from(FollowUp)
        .join(
            Enrolment,
            and_(
                Enrolment.user_id == FollowUp.user_id, Enrolment.context_id == FollowUp.context_id
            ),
        ),
        actor,
        filters,
        region_users,
    )
    due_state = case(
        (FollowUp.status == "answered", func.coalesce(FollowUp.answered_by, "participant")),
        else_=FollowUp.status,
    )
    survey_rows = db.session.execute(
        select(FollowUp.months, due_state, func.count())
        .where(FollowUp.id.in_(follow_ups), FollowUp.due_at <= now)
        .group_by(FollowUp.months, due_state)
    ).all()
    outcome_counts = private.outcome_counts(follow_ups)
    private_reach.log_aggregate_read(actor.user_id, "programme-report")
    db.session.commit()

    pathway_names = dict(choices.pathways)
    level_names = {"basic": _("Basic"), "advanced": _("Advanced")}
    cohort_names = dict(choices.cohorts)
    sections = (
        _reach_section(people, k),
        _plans_section(groups, k, pathway_names, level_names, cohort_names),
        _followup_section(survey_rows, outcome_counts, catalogue, locale, k),
    )
    return Report(
        k=k,
        filters=filters,
        generated_at=now,
        headlines=_headlines(groups, people, survey_rows, k),
        sections=sections,
        choices=choices,
    )


def filter_choices(actor: Actor) -> FilterChoices:
    """The filter form without the report (dates she mistyped are not counted): what the
    report's form offers her, and no aggregate read."""
    allowed = _allowed_regions(actor)
    found = content.latest_catalogue()
    return _choices(actor, allowed, found[1] if found else None, str(get_locale() or "es"))


def _choices(
    actor: Actor, allowed: frozenset[str] | None, catalogue: Catalogue | None, locale: str
) -> FilterChoices:
    cohorts = tuple(
        (int(i), str(name))
        for i, name in db.session.execute(
            select(Cohort.id, Cohort.name)
            .where(Cohort.programme_id == actor.programme_id)
            .order_by(Cohort.starts_on, Cohort.name)
        )
    )
    return FilterChoices(
        regions=tuple(r for r in geography.REGION_SLUGS if allowed is None or r in allowed),
        pathways=tuple(_pathway_names(catalogue, locale).items()),
        cohorts=cohorts,
    )


def _pathway_names(catalogue: Catalogue | None, locale: str) -> dict[str, str]:
    if catalogue is None:
        return {}
    return {p: catalogue.pathways[p].title.get(locale) for p in catalogue.pathway_ids}


# ------------------------------------------------------------------------------- sections
def _headlines(
    groups: Sequence[tuple[str, str, Any, str, str, int, int]],
    people: Counter[private_reach.Key],
    survey_rows: Sequence[Any],
    k: int,
) -> tuple[Headline, ...]:
    plans = sum(g[6] for g in groups)
    completed = sum(g[6] for g in groups if g[4] == "completed")
    kept = sum(g[6] for g in groups if g[4] != "dropped")
    women = sum(people.values())
    due = sum(int(n) for _m, _s, n in survey_rows)
    answered = sum(int(n) for _m, s, n in survey_rows if s in rules.ANSWERED_BY)

    def ratio(part: int, whole: int) -> Cell:
        shown_part, shown_whole = reach.suppress_count(part, k), reach.suppress_count(whole, k)
        return Cell(shown_part, _pct(shown_part, shown_whole))

    return (
        Headline("women", _("Women reached"), Cell(reach.suppress_count(women, k))),
        Headline("plans", _("Plans started"), Cell(reach.suppress_count(plans, k))),
        Headline("completed", _("Plans completed"), ratio(completed, plans)),
        Headline("retention", _("Retention (completed or still active)"), ratio(kept, plans)),
        Headline("answered", _("Follow-up surveys answered, of those due"), ratio(answered, due)),
    )


def _reach_section(people: Counter[private_reach.Key], k: int) -> Section:
    not_given = _("Not given")
    by_region: Counter[str] = Counter()
    by_commune: Counter[str] = Counter()
    migrant: Counter[str] = Counter()
    indigenous: Counter[str] = Counter()
    for (region, municipality, is_migrant, is_indigenous), n in people.items():
        by_region[region if region in geography.REGION_SLUGS else ""] += n
        commune = geography.commune(municipality) or geography.find_commune(municipality)
        if commune is not None:
            by_commune[commune.code] += n
        elif municipality:
            by_commune["other"] += n  # free text from before the checked list
        migrant[is_migrant] += n
        indigenous[is_indigenous] += n
    regions = [(r.slug, r.short_name, by_region[r.slug]) for r in geography.REGIONS] + [
        ("", not_given, by_region[""])
    ]
    communes = sorted(
        (code for code in by_commune if code != "other"),
        key=lambda code: (-by_commune[code], code),
    )
    commune_items = [(code, _commune_label(code), by_commune[code]) for code in communes]
    if by_commune["other"]:
        commune_items.append(("other", _("Not in the list of communes"), by_commune["other"]))
    commune_items.append(("", not_given, sum(people.values()) - sum(by_commune.values())))
    flags = [("yes", _("Yes")), ("no", _("No")), ("", _("Not given or prefers not to say"))]
    return Section(
        "reach",
        _("Reach"),
        (
            one_way("region", _("Women by region"), _("Region"), _("Women"), regions, k),
            one_way(
                "municipality",
                _("Women by municipality (comuna)"),
                _("Municipality"),
                _("Women"),
                commune_items,
                k,
                note=_("Only communes with at least one woman are listed."),
            ),
            one_way(
                "migrant",
                _("Migrant women"),
                _("Migrated to Chile"),
                _("Women"),
                [(key, label, migrant[key]) for key, label in flags],
                k,
            ),
            one_way(
                "indigenous",
                _("Indigenous women"),
                _("Belongs to an indigenous people"),
                _("Women"),
                [(key, label, indigenous[key]) for key, label in flags],
                k,
            ),
        ),
    )


def _commune_label(code: str) -> str:
    commune = geography.commune(code)
    if commune is None:
        return code
    return f"{commune.name} ({geography.region(commune.region).short_name})"


def _status_columns() -> list[tuple[str, str]]:
    return [("completed", _("Completed")), ("active", _("Active")), ("dropped", _("Dropped out"))]


def _plans_section(
    groups: Sequence[tuple[str, str, Any, str, str, int, int]],
    k: int,
    pathway_names: Mapping[str, str],
    level_names: Mapping[str, str],
    cohort_names: Mapping[int, str],
) -> Section:
    by_level: Counter[tuple[str, str]] = Counter()
    by_cohort: Counter[tuple[str, str]] = Counter()
    by_month: Counter[tuple[str, str]] = Counter()
    workshops: Counter[tuple[str, str]] = Counter()
    level_rows: dict[str, str] = {}
    cohort_rows: dict[str, str] = {}
    for pathway, level, cohort_id, month, status, went, n in groups:
        row = f"{pathway}/{level}"
        level_rows[row] = f"{pathway_names.get(pathway, pathway)} · {level_names.get(level, level)}"
        by_level[(row, status)] += n
        cohort = str(cohort_id) if cohort_id is not None else NO_COHORT
        cohort_rows[cohort] = (
            cohort_names.get(cohort_id, str(cohort_id)) if cohort_id is not None else _("No cohort")
        )
        by_cohort[(cohort, status)] += n
        by_month[(month, status)] += n
        workshops[(row, "yes" if went else "no")] += n
    statuses = _status_columns()
    level_order = sorted(level_rows, key=lambda r: level_rows[r])
    cohort_order = [str(i) for i in cohort_names if str(i) in cohort_rows]
    cohort_order += [c for c in cohort_rows if c not in cohort_order]
    return Section(
        "plans",
        _("Enrolment, retention and completion"),
        (
            two_way(
                "status-by-pathway",
                _("Plans by pathway and level"),
                _("Pathway and level"),
                [(r, level_rows[r]) for r in level_order],
                statuses,
                by_level,
                k,
                note=_("Percentages are of the row: of the plans on that pathway and level."),
            ),
            two_way(
                "status-by-cohort",
                _("Plans by cohort"),
                _("Cohort"),
                [(c, cohort_rows[c]) for c in cohort_order],
                statuses,
                by_cohort,
                k,
            ),
            two_way(
                "status-by-month",
                _("Plans by month started"),
                _("Month"),
                [(m, m) for m in sorted({m for m, _s in by_month})],
                statuses,
                by_month,
                k,
            ),
            two_way(
                "workshops",
                _("Live workshop attendance"),
                _("Pathway and level"),
                [(r, level_rows[r]) for r in level_order],
                [("yes", _("Attended at least one")), ("no", _("Attended none"))],
                workshops,
                k,
            ),
        ),
    )


def _survey_for_months(catalogue: Catalogue | None, months: int) -> Survey | None:
    if catalogue is None:
        return None
    return next((s for s in catalogue.surveys if s.months_after_completion == months), None)


def _followup_section(
    survey_rows: Sequence[Any],
    outcome_counts: Counter[tuple[int, str, str]],
    catalogue: Catalogue | None,
    locale: str,
    k: int,
) -> Section:
    responses: Counter[tuple[str, str]] = Counter()
    months_seen = {int(m) for m, _s, _n in survey_rows} | {m for m, _o, _c in outcome_counts}
    if catalogue is not None:
        months_seen |= {s.months_after_completion for s in catalogue.surveys}
    for months, state, n in survey_rows:
        responses[(str(months), str(state))] += int(n)
    month_rows = [(str(m), _("%(num)s months", num=m)) for m in sorted(months_seen)]
    figures = [
        two_way(
            "responses",
            _("Follow-up surveys due, and answers"),
            _("Survey"),
            month_rows,
            [
                ("participant", _("Answered by her")),
                ("phone", _("Answered on the phone")),
                ("declined", _("Declined")),
                ("scheduled", _("Not answered yet")),
            ],
            responses,
            k,
        )
    ]
    titles = {
        "income": _("Income compared with before the programme"),
        "network": _("People she can count on"),
        "studying": _("Studying now"),
        "business": _("Business started or improved"),
        "formal-job": _("Formal job with a contract"),
    }
    for outcome in OUTCOMES:
        options: dict[str, str] = {}
        for months in sorted(months_seen):
            survey = _survey_for_months(catalogue, months)
            question = survey.question_for(outcome) if survey else None
            for option_id, text in question.options if question else ():
                options.setdefault(option_id, text.get(locale))
        for _months, measured, option in outcome_counts:
            if measured == outcome:
                options.setdefault(option, option)
        if not options:
            continue
        counts = {
            (option, str(months)): n
            for (months, measured, option), n in outcome_counts.items()
            if measured == outcome
        }
        figures.append(
            two_way(
                f"outcome-{outcome}",
                titles[outcome],
                _("Answer"),
                list(options.items()),
                month_rows,
                counts,
                k,
                percent_of="column",
                chart="columns",
                note=_("Percentages are of the answers to this question in each survey."),
            )
        )
    return Section("followup", _("Follow-up at 3 and 6 months"), tuple(figures))


# ------------------------------------------------------------------------------- CSV
def csv_rows(result: Report) -> list[list[str]]:
    """The whole report as one long table: section, figure, row, column, count, percent.
    Hidden numbers are written "< k", exactly as on the page."""
    hidden = f"< {result.k}"

    def text(cell: Cell) -> tuple[str, str]:
        count = hidden if cell.value is None else str(cell.value)
        percent = "" if cell.percent is None else f"{cell.percent:.1f}"
        return count, percent

    lines = [[_("Section"), _("Table"), _("Row"), _("Column"), _("Count"), _("Percent")]]
    for headline in result.headlines:
        lines.append(["", _("Summary"), headline.label, "", *text(headline.cell)])
    for section in result.sections:
        for figure in section.figures:
            rows = [*figure.rows, *([figure.totals] if figure.totals else [])]
            for row in rows:
                for column, cell in zip(figure.columns, row.cells, strict=True):
                    lines.append([section.title, figure.title, row.label, column, *text(cell)])
                if row.total is not None:
                    lines.append(
                        [section.title, figure.title, row.label, _("Total"), *text(row.total)]
                    )
    return lines


# ---------------------------------------------------------------- the team's follow-up calls
@dataclass(frozen=True)
class DueContact:
    follow_up_id: int
    name: str
    months: int
    due_at: datetime
    contact: private.Contact


def due_contacts(actor: Actor, limit: int = 200) -> list[DueContact]:
    """Due follow-ups (not answered, not declined) of her programme's women who agreed to be
    contacted: the name and that contact, nothing else; oldest first. Each contact shown is a
    logged read."""
    regions = _allowed_regions(actor)
    query = (
        select(FollowUp.id, FollowUp.user_id, FollowUp.months, FollowUp.due_at, LtiUser.name)
        .join(LtiUser, LtiUser.id == FollowUp.user_id)
        .join(LmsContext, LmsContext.id == FollowUp.context_id)
        .where(
            LmsContext.programme_id == actor.programme_id,
            FollowUp.status == rules.SCHEDULED,
            FollowUp.due_at <= utcnow(),
            FollowUp.user_id.in_(private.contacted_users()),
        )
        .order_by(FollowUp.due_at, FollowUp.id)
        .limit(limit)
    )
    if regions is not None:
        query = query.where(FollowUp.user_id.in_(private_reach.users_in_regions(regions)))
    rows = db.session.execute(query).all()
    contacts = private.contacts_of(
        actor.user_id, (r.user_id for r in rows), "programme-followup-calls"
    )
    db.session.commit()
    return [
        DueContact(r.id, r.name or "", r.months, r.due_at, contacts[r.user_id])
        for r in rows
        if r.user_id in contacts
    ]


def _in_programme(actor: Actor, follow_up_id: int) -> FollowUp:
    regions = _allowed_regions(actor)
    query = (
        select(FollowUp)
        .join(LmsContext, LmsContext.id == FollowUp.context_id)
        .where(FollowUp.id == follow_up_id, LmsContext.programme_id == actor.programme_id)
    )
    if regions is not None:
        query = query.where(FollowUp.user_id.in_(private_reach.users_in_regions(regions)))
    row = db.session.scalar(query)
    if row is None:
        raise FollowUpNotFound(follow_up_id)
    return row


@dataclass(frozen=True)
class PhoneForm:
    id: int
    name: str
    months: int
    survey: Survey
    status: str
    due: bool


def phone_form(actor: Actor, follow_up_id: int) -> PhoneForm:
    """A follow-up of her programme, to type in the answers given on the phone."""
    row = _in_programme(actor, follow_up_id)
    name = db.session.scalar(select(LtiUser.name).where(LtiUser.id == row.user_id)) or ""
    return PhoneForm(
        row.id,
        name,
        row.months,
        followup.survey_for(row),
        row.status,
        rules.is_due(followup.domain(row), utcnow()),
    )


def phone_answer_errors(
    actor: Actor, follow_up_id: int, submitted: Mapping[str, str]
) -> dict[str, str]:
    """What is wrong with answers typed in (nothing saved): shown together with the unticked
    confirmation, so that the team is not sent back twice."""
    _answers, errors = rules.check_answers(
        followup.survey_for(_in_programme(actor, follow_up_id)), submitted
    )
    return errors


def enter_by_phone(actor: Actor, follow_up_id: int, submitted: Mapping[str, str]) -> dict[str, str]:
    """The programme team types in the answers she gave on the phone; they are marked as
    phone answers, with who typed them. Errors per question (nothing saved), or {}."""
    row = _in_programme(actor, follow_up_id)
    answers, errors = rules.check_answers(followup.survey_for(row), submitted)
    if errors:
        return errors
    followup.store(row, followup.transition(row, lambda f: rules.answer(f, utcnow(), "phone")))
    row.entered_by = actor.user_id
    private.save_answers(row, answers, actor.user_id, "programme-followup-phone")
    followup.commit_answers(row.id)
    return {}


def decline_by_phone(actor: Actor, follow_up_id: int) -> None:
    """She said on the phone that she does not want to answer: recorded, and final."""
    row = _in_programme(actor, follow_up_id)
    followup.store(row, followup.transition(row, lambda f: rules.decline(f, utcnow())))
    row.entered_by = actor.user_id
    db.session.commit()
