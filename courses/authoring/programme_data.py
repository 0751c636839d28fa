"""Check and compile the programme data files designers keep next to the courses:

- `support/referrals.yaml`: the referral directory (services, phones, the page that backs each);
- `mentoring/topics.yaml`: the mentoring topics and who may sign up;
- `followup/surveys.yaml`: the 3- and 6-month follow-up questionnaires.

Each file is optional: a content tree without it compiles to an empty section. Problems come back
as ContentErrors with file and line, like the rest of the tree; an entry whose `checked_on` is
more than 12 months old is a warning (the content still imports, the designer is reminded).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from courses.authoring import yamlines
from courses.authoring.errors import N_, ContentError, Message, Problems
from courses.authoring.reading import load_checked
from courses.authoring.schema import ID, MESSAGES, StrictSchema, TextSchema
from courses.geography import REGION_SLUGS
from courses.model import LOCALES
from courses.programme_data import (
    NATIONAL,
    OUTCOMES,
    QUESTION_KINDS,
    REFERRAL_KINDS,
    SIGN_UP_RULES,
)

REFERRALS = "support/referrals.yaml"
MENTORING = "mentoring/topics.yaml"
SURVEYS = "followup/surveys.yaml"
STALE_AFTER_MONTHS = 12
ONE_LINE = 160  # characters: a topic's description fits one line on a phone, or nearly


def _id(**kwargs: Any) -> fields.String:
    return fields.String(
        required=True, validate=[ID, validate.Length(max=64)], error_messages=MESSAGES, **kwargs
    )


def _text(**kwargs: Any) -> fields.Nested:
    return fields.Nested(TextSchema, error_messages=MESSAGES, **kwargs)


def _https(**kwargs: Any) -> fields.Url:
    return fields.Url(
        schemes={"https"},
        error_messages={**MESSAGES, "invalid": N_("must be a public https:// address")},
        **kwargs,
    )


def _national_or_region(value: str) -> None:
    if value != NATIONAL and value not in REGION_SLUGS:
        raise ValidationError(
            [
                Message.of(
                    N_("must be '{national}' or a region slug: {slugs}"),
                    national=NATIONAL,
                    slugs=", ".join(REGION_SLUGS),
                )
            ]
        )


# ------------------------------------------------------------------------------ referrals
class ReferralSchema(StrictSchema):
    id = _id()
    region = fields.String(required=True, validate=_national_or_region, error_messages=MESSAGES)
    kind = fields.String(
        required=True, validate=validate.OneOf(REFERRAL_KINDS), error_messages=MESSAGES
    )
    name = _text(required=True)
    phone = fields.String(
        load_default=None,
        validate=validate.Regexp(
            r"^[0-9+*#(][0-9 +()*#-]{1,24}$",
            error=N_("a phone number has digits, spaces and + ( ) - * # only"),
        ),
        error_messages=MESSAGES,
    )
    hours = _text(load_default=None)
    address = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    url = _https(load_default=None)
    description = _text(required=True)
    source = _https(required=True)
    checked_on = fields.Date(
        required=True, error_messages={**MESSAGES, "invalid": N_("write the date as YYYY-MM-DD")}
    )


class ReferralsSchema(StrictSchema):
    referrals = fields.List(
        fields.Nested(ReferralSchema), required=True, validate=validate.Length(min=1)
    )


# ------------------------------------------------------------------------------ mentoring
class SignUpSchema(StrictSchema):
    requires = fields.String(
        required=True, validate=validate.OneOf(SIGN_UP_RULES), error_messages=MESSAGES
    )


class TopicSchema(StrictSchema):
    id = _id()
    title = _text(required=True)
    description = _text(required=True)


class MentoringSchema(StrictSchema):
    sign_up = fields.Nested(SignUpSchema, required=True, error_messages=MESSAGES)
    topics = fields.List(fields.Nested(TopicSchema), required=True, validate=validate.Length(min=1))


# -------------------------------------------------------------------------------- surveys
class SurveyOptionSchema(StrictSchema):
    id = _id()
    text = _text(required=True)


class SurveyQuestionSchema(StrictSchema):
    id = _id()
    kind = fields.String(
        required=True, validate=validate.OneOf(QUESTION_KINDS), error_messages=MESSAGES
    )
    text = _text(required=True)
    help = _text(load_default=None)
    required = fields.Boolean(load_default=False)
    outcome = fields.String(load_default=None, validate=validate.OneOf(OUTCOMES))
    options = fields.List(fields.Nested(SurveyOptionSchema), load_default=list)

    @validates_schema
    def fits_its_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str | Message]] = {}
        if data.get("kind") == "single":
            if len(data.get("options", [])) < 2:
                errors["options"] = [N_("a single-choice question needs at least two options")]
            if not data.get("outcome"):
                errors["outcome"] = [
                    Message.of(
                        N_("a single-choice question names its outcome: {outcomes}"),
                        outcomes=", ".join(OUTCOMES),
                    )
                ]
        elif data.get("kind") == "text":
            if data.get("options"):
                errors["options"] = [N_("a text question has no options")]
            if data.get("outcome"):
                errors["outcome"] = [N_("only single-choice questions measure an outcome")]
        if errors:
            raise ValidationError(errors)


class SurveySchema(StrictSchema):
    id = _id()
    months_after_completion = fields.Integer(
        required=True, validate=validate.Range(min=1, max=36), error_messages=MESSAGES
    )
    title = _text(required=True)
    intro = _text(required=True)
    questions = fields.List(
        fields.Nested(SurveyQuestionSchema), required=True, validate=validate.Length(min=1)
    )


class SurveysSchema(StrictSchema):
    surveys = fields.List(
        fields.Nested(SurveySchema), required=True, validate=validate.Length(min=1)
    )


# ---------------------------------------------------------------------------- compiling
def _read(root: Path, relative: str, schema: Schema, p: Problems) -> tuple[Any, Any]:
    """(raw YAML with lines, validated data); data is None when the file is absent or broken."""
    path = root / relative
    if not path.is_file():
        return None, None
    return load_checked(p, relative, path.read_text(encoding="utf-8"), schema)


def _duplicates(
    p: Problems, relative: str, raw: Any, items: list[dict[str, Any]], where: tuple[Any, ...]
) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["id"] in seen:
            line = yamlines.line_of(raw, (*where, index, "id"))
            p.add(relative, line, N_("duplicate id '{id}'"), id=item["id"])
        seen.add(item["id"])


def _months_before(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = today.day
    while True:  # 29, 30, 31 do not exist in every month
        try:
            return date(year, month + 1, day)
        except ValueError:
            day -= 1


def _referrals(root: Path, today: date, p: Problems) -> list[dict[str, Any]]:
    raw, data = _read(root, REFERRALS, ReferralsSchema(), p)
    if data is None:
        return []
    entries: list[dict[str, Any]] = data["referrals"]
    _duplicates(p, REFERRALS, raw, entries, ("referrals",))
    stale_before = _months_before(today, STALE_AFTER_MONTHS)
    for index, entry in enumerate(entries):
        checked: date = entry["checked_on"]
        line = yamlines.line_of(raw, ("referrals", index, "checked_on"))
        if checked > today + timedelta(days=1):  # a day's grace for time zones
            p.add(REFERRALS, line, N_("checked_on {day} is in the future"), day=checked.isoformat())
        elif checked < stale_before:
            p.add(
                REFERRALS,
                line,
                N_(
                    "'{id}' was checked on {day}, more than {months} months ago: "
                    "check it against its source and update checked_on"
                ),
                severity="warning",
                id=entry["id"],
                day=checked.isoformat(),
                months=STALE_AFTER_MONTHS,
            )
        entry["checked_on"] = checked.isoformat()  # the document is stored as JSON
    return entries


def _mentoring(root: Path, p: Problems) -> dict[str, Any] | None:
    raw, data = _read(root, MENTORING, MentoringSchema(), p)
    if data is None:
        return None
    _duplicates(p, MENTORING, raw, data["topics"], ("topics",))
    for index, topic in enumerate(data["topics"]):
        for locale in LOCALES:
            text = topic["description"][locale].strip()
            if "\n" in text or len(text) > ONE_LINE:
                line = yamlines.line_of(raw, ("topics", index, "description", locale))
                p.add(
                    MENTORING,
                    line,
                    N_("description.{locale}: one line of {limit} characters at most"),
                    locale=locale,
                    limit=ONE_LINE,
                )
    result: dict[str, Any] = data
    return result


def _surveys(root: Path, p: Problems) -> list[dict[str, Any]]:
    raw, data = _read(root, SURVEYS, SurveysSchema(), p)
    if data is None:
        return []
    surveys: list[dict[str, Any]] = data["surveys"]
    _duplicates(p, SURVEYS, raw, surveys, ("surveys",))
    months: dict[int, str] = {}
    # outcome -> (survey id, option ids): the same outcome must be answered the same way in
    # every survey, or reports could not compare 3 and 6 months.
    scales: dict[str, tuple[str, list[str]]] = {}
    for si, survey in enumerate(surveys):
        where = ("surveys", si)
        month = survey["months_after_completion"]
        if month in months:
            line = yamlines.line_of(raw, (*where, "months_after_completion"))
            p.add(
                SURVEYS,
                line,
                N_("'{survey}' is already sent {month} months after"),
                survey=months[month],
                month=month,
            )
        months.setdefault(month, survey["id"])
        _duplicates(p, SURVEYS, raw, survey["questions"], (*where, "questions"))
        measured: set[str] = set()
        for qi, question in enumerate(survey["questions"]):
            at = (*where, "questions", qi)
            _duplicates(p, SURVEYS, raw, question["options"], (*at, "options"))
            outcome = question.get("outcome")
            if outcome is None:
                continue
            if outcome in measured:
                line = yamlines.line_of(raw, (*at, "outcome"))
                p.add(
                    SURVEYS,
                    line,
                    N_("outcome '{outcome}' is already measured in this survey"),
                    outcome=outcome,
                )
            measured.add(outcome)
            option_ids = [o["id"] for o in question["options"]]
            first = scales.setdefault(outcome, (survey["id"], option_ids))
            if first[1] != option_ids:
                line = yamlines.line_of(raw, (*at, "options"))
                p.add(
                    SURVEYS,
                    line,
                    N_(
                        "outcome '{outcome}' has options {options} in '{survey}': "
                        "use the same option ids in the same order, so reports can compare them"
                    ),
                    outcome=outcome,
                    options=", ".join(first[1]),
                    survey=first[0],
                )
    return surveys


def compile_programme_data(
    root: Path, today: date | None = None
) -> tuple[dict[str, Any], list[ContentError]]:
    """The `referrals`, `mentoring` and `surveys` sections of the content document, and the
    problems found in their files. `today` decides which `checked_on` dates are stale."""
    today = today or date.today()  # noqa: DTZ011 - the designer's own calendar day
    p = Problems()
    sections = {
        "referrals": _referrals(root, today, p),
        "mentoring": _mentoring(root, p),
        "surveys": _surveys(root, p),
    }
    return sections, p.found
