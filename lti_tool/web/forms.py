"""marshmallow schemas for the forms and JSON bodies Senda accepts from browsers.

Unknown fields are refused (mass assignment: a posted `user_id`, `role` or `score` never gets
in); the user and the course always come from the session. Messages are translated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import abort, request
from flask_babel import gettext
from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)
from werkzeug.datastructures import MultiDict

from courses import opportunities as board_rules
from courses import support as support_rules
from courses.authoring.schema import library_message
from courses.geography import COMMUNES, REGION_SLUGS, commune
from courses.schools import CHILE


def N_(message: str) -> str:
    """Marks a message for the translation catalogue; errors_of translates it when shown."""
    return message


REGIONS = REGION_SLUGS
COMMUNE_CODES = tuple(c.code for c in COMMUNES)
YES_NO = ("yes", "no", "prefer-not")


def _one_char_line_breaks(value: Any) -> Any:
    """Text with each line break as "\n". A browser sends a textarea's line breaks as "\r\n"
    but counts each as one character for `maxlength`: without this, text the page accepted at
    its limit would be refused here as too long."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n")
    if isinstance(value, list):
        return [_one_char_line_breaks(item) for item in value]
    if isinstance(value, dict):
        return {key: _one_char_line_breaks(item) for key, item in value.items()}
    return value


class LineBreaksAsOneSchema(Schema):
    """What she typed, with one character per line break (as her browser counted them)."""

    @pre_load
    def _line_breaks(self, data: Any, **_kwargs: Any) -> Any:
        if isinstance(data, MultiDict):
            return MultiDict([(k, _one_char_line_breaks(v)) for k, v in data.items(multi=True)])
        return _one_char_line_breaks(data) if isinstance(data, dict) else data


class FormSchema(LineBreaksAsOneSchema):
    """Forms carry Flask-WTF's csrf_token, checked before the view runs; ignore it here."""

    class Meta:
        unknown = RAISE

    csrf_token = fields.String(load_only=True)


class DemographicsSchema(FormSchema):
    consent = fields.Boolean(load_default=False)
    region = fields.String(load_default="", validate=validate.OneOf(("", *REGIONS)))
    # A commune's CUT code from the checked list (courses/geography.py), not free text.
    municipality = fields.String(
        load_default="",
        validate=validate.OneOf(
            ("", *COMMUNE_CODES), error=N_("Choose your municipality from the list.")
        ),
    )
    migrant = fields.String(load_default="", validate=validate.OneOf(("", *YES_NO)))
    indigenous = fields.String(load_default="", validate=validate.OneOf(("", *YES_NO)))

    @validates_schema
    def _commune_in_region(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """The region follows from the commune; a commune of another region is a mistake."""
        chosen = commune(data.get("municipality") or "")
        if chosen and data.get("region") and chosen.region != data["region"]:
            raise ValidationError(
                N_("This municipality is in another region. Check the region or the municipality."),
                "municipality",
            )


class QuizAnswersSchema(Schema):
    """`answers`: {question id: [option ids]}; checked against the quiz by the service."""

    class Meta:
        unknown = EXCLUDE

    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(max=64)),
        values=fields.List(
            fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=20)
        ),
        required=True,
    )


# A form that changes what a page showed names the revision it showed (services/revisions.py):
# a save from an older page (another tab, Back) never silently replaces newer. None: a form
# that names none (a page from before revisions), never refused as older.
def _page_revision() -> fields.Integer:
    return fields.Integer(
        load_default=None, allow_none=True, strict=False, validate=validate.Range(0, 10**9)
    )


class WorksheetSchema(LineBreaksAsOneSchema):
    class Meta:
        unknown = RAISE

    values = fields.Dict(
        keys=fields.String(validate=validate.Length(max=64)),
        values=fields.String(
            validate=validate.Length(max=5000, error=N_("This answer is too long."))
        ),
        required=True,
    )
    submit = fields.Boolean(load_default=False)
    revision = _page_revision()


class ReflectionSchema(FormSchema):
    text = fields.String(
        required=True, validate=validate.Length(max=10000, error=N_("This answer is too long."))
    )
    revision = _page_revision()


class PlanOverrideSchema(FormSchema):
    level = fields.String(required=True, validate=validate.OneOf(("basic", "advanced")))
    courses = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)


class WorkshopSessionChangeSchema(FormSchema):
    """A session's time, link and note (its workshop does not change)."""

    starts_at = fields.NaiveDateTime(
        required=True,
        format="%Y-%m-%dT%H:%M",
        error_messages={"invalid": N_("Write the date and time, e.g. 2026-12-01 18:30.")},
    )
    meeting_url = fields.Url(
        load_default="",
        schemes={"https"},
        error_messages={"invalid": N_("The link must start with https://")},
    )
    note = fields.String(load_default="", validate=validate.Length(max=500))


class WorkshopSessionSchema(WorkshopSessionChangeSchema):
    activity_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class AttendanceSchema(FormSchema):
    present = fields.List(fields.Integer(), load_default=list)


class DeleteWorkSchema(FormSchema):
    kinds = fields.List(
        fields.String(validate=validate.OneOf(("reflections", "worksheets"))),
        required=True,
        validate=validate.Length(min=1),
    )


class GrantSchema(FormSchema):
    user_id = fields.Integer(required=True)
    role = fields.String(
        required=True,
        validate=validate.OneOf(("programme_team", "support_lead", "tutor", "mentor")),
    )
    region = fields.String(load_default="", validate=validate.OneOf(("", *REGIONS)))


class ConfirmSchema(FormSchema):
    confirm = fields.Boolean(required=True, validate=validate.Equal(True))


class ChoosePathwaySchema(FormSchema):
    pathway = fields.String(required=True, validate=validate.Length(min=1, max=64))
    level = fields.String(load_default=None, validate=validate.OneOf(("basic", "advanced")))
    confirm = fields.Boolean(load_default=False)


class FollowUpContactSchema(FormSchema):
    """How she agrees to be contacted about her follow-up surveys."""

    consent = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error=N_("Tick the box to agree to be contacted.")),
    )
    channel = fields.String(
        required=True,
        validate=validate.OneOf(("phone", "whatsapp", "email"), error=N_("Choose how.")),
    )
    value = fields.String(
        required=True,
        validate=validate.Length(
            min=5, max=120, error=N_("Write your phone number or e-mail address.")
        ),
    )

    @validates_schema
    def _check_value(self, data: dict[str, Any], **_kwargs: Any) -> None:
        value = str(data.get("value", "")).strip()
        if data.get("channel") == "email":
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
                raise ValidationError(N_("Write a whole e-mail address."), "value")
        elif not re.fullmatch(r"\+?[0-9 ()-]{8,20}", value) or sum(c.isdigit() for c in value) < 8:
            raise ValidationError(N_("Write a phone number with its area code."), "value")


def _report_date() -> fields.Date:
    return fields.Date(
        load_default=None,
        allow_none=True,
        error_messages={"invalid": N_("Write the date, e.g. 2026-12-01.")},
    )


class ReportFiltersSchema(Schema):
    """The report's filters (a GET form): empty means "all". Only the dates are typed (a
    browser without a date picker shows a text box); the rest are choices."""

    class Meta:
        unknown = RAISE

    start = _report_date()
    end = _report_date()
    region = fields.String(load_default="", validate=validate.OneOf(("", *REGIONS)))
    pathway = fields.String(load_default="", validate=validate.Length(max=64))
    cohort = fields.Integer(load_default=None, allow_none=True)

    @validates_schema
    def _end_not_before_start(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["start"] and data["end"] and data["start"] > data["end"]:
            raise ValidationError(
                N_("The end date is before the start date: choose the same day or a later one."),
                "end",
            )


# ------------------------------------------------------------------ mentoring and schools
# A form that adds an entry (a request for help, a message, a note) names the newest entry its
# page showed (`seen`: an id, 0 for none), so that the same form sent again from that page (a
# double tap, Back, a phone reloading the tab) is recognised and adds nothing the second time.
def _newest_seen() -> fields.Integer:
    return fields.Integer(load_default=None, validate=validate.Range(0, 2**31))


class MentorProfileSchema(FormSchema):
    bio = fields.String(
        load_default="",
        validate=validate.Length(max=600, error=N_("Write at most 600 characters.")),
    )
    region = fields.String(load_default="", validate=validate.OneOf(("", *REGIONS)))
    topics = fields.List(
        fields.String(validate=validate.Length(max=64)),
        load_default=list,
        validate=validate.Length(min=1, max=20, error=N_("Choose at least one topic.")),
    )
    online = fields.Boolean(load_default=False)
    in_person = fields.Boolean(load_default=False)
    per_month = fields.Integer(
        load_default=2,
        validate=validate.Range(0, 20, error=N_("Write a number from 0 to 20.")),
        error_messages={"invalid": N_("Write a number from 0 to 20.")},
    )
    revision = _page_revision()


class MentoringSessionSchema(FormSchema):
    topic_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        error_messages={"required": N_("Choose a topic.")},
    )
    starts_at = fields.NaiveDateTime(
        required=True,
        format="%Y-%m-%dT%H:%M",
        error_messages={
            "invalid": N_("Write the date and time, e.g. 2026-12-01 18:30."),
            "required": N_("Write the date and time, e.g. 2026-12-01 18:30."),
        },
    )
    duration_minutes = fields.Integer(
        load_default=120,
        validate=validate.Range(30, 240, error=N_("Between 30 and 240 minutes.")),
        error_messages={"invalid": N_("Between 30 and 240 minutes.")},
    )
    mode = fields.String(required=True, validate=validate.OneOf(("online", "in_person")))
    meeting_url = fields.Url(
        load_default="",
        schemes={"https"},
        error_messages={"invalid": N_("The link must start with https://")},
    )
    place = fields.String(load_default="", validate=validate.Length(max=255))
    region = fields.String(load_default="", validate=validate.OneOf(("", *REGIONS)))
    capacity = fields.Integer(
        load_default=6,
        validate=validate.Range(1, 20, error=N_("Write a number from 1 to 20.")),
        error_messages={"invalid": N_("Write a number from 1 to 20.")},
    )
    details = fields.String(
        load_default="",
        validate=validate.Length(max=500, error=N_("Write at most 500 characters.")),
    )
    co_mentor_id = fields.Integer(load_default=None, allow_none=True)


class MentoringAttendanceSchema(FormSchema):
    present = fields.List(fields.Integer(), load_default=list)
    note = fields.String(
        load_default="",
        validate=validate.Length(max=1000, error=N_("Write at most 1000 characters.")),
    )
    revision = _page_revision()


class RatingSchema(FormSchema):
    rating = fields.Integer(
        required=True,
        validate=validate.OneOf((1, 2, 3), error=N_("Choose one of the answers.")),
        error_messages={
            "required": N_("Choose one of the answers."),
            "invalid": N_("Choose one of the answers."),
        },
    )
    comment = fields.String(
        load_default="",
        validate=validate.Length(max=500, error=N_("Write at most 500 characters.")),
    )
    revision = _page_revision()


class MentorNoteSchema(FormSchema):
    body = fields.String(
        required=True,
        validate=validate.Length(
            min=1, max=2000, error=N_("Write a note of up to 2000 characters.")
        ),
        error_messages={"required": N_("Write a note of up to 2000 characters.")},
    )
    seen = _newest_seen()


class CohortSchema(FormSchema):
    school_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255, error=N_("Give the cohort a name.")),
        error_messages={"required": N_("Give the cohort a name.")},
    )
    starts_on = fields.Date(
        required=True,
        format="%Y-%m-%d",
        error_messages={
            "invalid": N_("Write the date, e.g. 2026-12-01."),
            "required": N_("Write the date, e.g. 2026-12-01."),
        },
    )


class InviteSchema(FormSchema):
    user_ids = fields.List(
        fields.Integer(),
        required=True,
        validate=validate.Length(min=1, max=200, error=N_("Choose at least one person.")),
        error_messages={"required": N_("Choose at least one person.")},
    )


class PersonSchema(FormSchema):
    user_id = fields.Integer(required=True)


class AssignMentorSchema(FormSchema):
    mentor_id = fields.Integer(load_default=None, allow_none=True)


class AnswerSchema(FormSchema):
    accept = fields.Boolean(required=True)


def without_blanks(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    """An empty choice of a select (`""`) means "none": drop it so the schema's default applies."""
    return {k: v for k, v in data.items() if not (k in keys and v in ("", None))}


def form_data(form: Any, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """A submitted form as a dict: single values, except the named multi-value fields."""
    data: dict[str, Any] = {key: form.get(key) for key in form if key not in lists}
    for key in lists:
        data[key] = form.getlist(key)
    return data


# marshmallow's own messages (a field left out, a length, a choice) arrive in English with their
# values filled in; the content checks' table (`library_message`) takes them back to templates,
# and each is said here in the participant's words, in the page's language.
_IN_HER_WORDS: dict[str, Callable[[dict[str, object]], str]] = {
    "Field may not be null.": lambda _v: gettext("This field is required."),
    "Length must be between {min} and {max}.": lambda v: gettext(
        "Write between %(min)s and %(max)s characters.", min=v["min"], max=v["max"]
    ),
    "Shorter than minimum length {min}.": lambda v: gettext(
        "Write at least %(min)s characters.", min=v["min"]
    ),
    "Longer than maximum length {max}.": lambda v: gettext(
        "Write at most %(max)s characters.", max=v["max"]
    ),
    "Not a valid integer.": lambda _v: gettext("Write a number."),
    "Not a valid number.": lambda _v: gettext("Write a number."),
    "Must be one of: {choices}.": lambda _v: gettext("Choose one of the options."),
}


def _said(message: str) -> str:
    # These two the content checks say with the field's name (schema.py, `_friendly`).
    if message == "Missing data for required field.":
        return gettext("This field is required.")
    if message == "Unknown field.":
        return gettext("This form has a field it should not have. Reload the page.")
    known = library_message(message)
    say = _IN_HER_WORDS.get(known.template) if known else None
    return say(dict(known.params)) if known and say else gettext(message)


def errors_of(exc: ValidationError) -> dict[str, str]:
    """First message per field, in the page's language, for showing next to the field."""
    result: dict[str, str] = {}
    messages = exc.normalized_messages()
    for key, value in messages.items():
        first = _first(value)
        if first is not None:
            result[str(key)] = _said(first)
    return result


def _first(value: Any) -> str | None:
    """The first message of a field's (a list of them, or a nested field's, by key)."""
    while isinstance(value, list | dict):
        if not value:
            return None
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
    return str(value)


def json_body(max_bytes: int = 64 * 1024) -> dict[str, Any]:
    """The request's JSON object: 413 when larger than `max_bytes`, 400 when it is not one
    (malformed, or nested so deep that parsing it would exhaust the stack)."""
    raw = request.get_data(cache=True)
    if len(raw) > max_bytes:
        abort(413)
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        abort(400)
    if not isinstance(data, dict):
        abort(400)
    return data


# ------------------------------------------------------------- help, tutoring, opportunities
def _not_blank(error: str) -> validate.Regexp:
    """Refuses text that is only spaces and line breaks."""
    return validate.Regexp(r"[\s\S]*\S", error=error)


class HelpRequestSchema(FormSchema):
    needs = fields.List(
        fields.String(validate=validate.OneOf(support_rules.NEEDS)),
        required=True,
        validate=validate.Length(min=1, error=N_("Choose at least one thing you need help with.")),
        error_messages={"required": N_("Choose at least one thing you need help with.")},
    )
    details = fields.String(
        load_default="",
        validate=validate.Length(
            max=support_rules.MAX_DETAILS, error=N_("Please write a little less.")
        ),
    )
    contact = fields.String(
        required=True,
        validate=validate.OneOf(support_rules.CONTACT_CHANNELS),
        error_messages={"required": N_("Choose how we should contact you.")},
    )
    phone = fields.String(load_default="", validate=validate.Length(max=40))
    region = fields.String(load_default="", validate=validate.OneOf(("", *REGIONS)))
    seen = _newest_seen()

    @validates_schema
    def _phone_for_calls(self, data: dict[str, Any], **_kwargs: Any) -> None:
        calls = data.get("contact") in support_rules.CHANNELS_WITH_NUMBER
        if calls and support_rules.clean_phone(data.get("phone", "")) is None:
            raise ValidationError(
                N_("Write the number we should call, e.g. +56 9 1234 5678."), "phone"
            )


class MessageSchema(FormSchema):
    body = fields.String(
        required=True,
        validate=[
            validate.Length(
                min=1,
                max=support_rules.MAX_MESSAGE,
                error=N_("Write a message (at most 2000 characters)."),
            ),
            _not_blank(N_("Write a message (at most 2000 characters).")),
        ],
        error_messages={"required": N_("Write a message (at most 2000 characters).")},
    )
    seen = _newest_seen()


class StatusSchema(FormSchema):
    status = fields.String(required=True, validate=validate.OneOf(support_rules.STATUSES))


class SupportAnswerSchema(FormSchema):
    body = fields.String(
        load_default="",
        validate=validate.Length(
            max=support_rules.MAX_MESSAGE, error=N_("Please write a little less.")
        ),
    )
    audience = fields.String(load_default="her", validate=validate.OneOf(("her", "team")))
    status = fields.String(load_default="", validate=validate.OneOf(("", *support_rules.STATUSES)))
    seen = _newest_seen()


class _NoteBodySchema(FormSchema):
    body = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=4000, error=N_("Write the note (at most 4000 characters).")),
            _not_blank(N_("Write the note (at most 4000 characters).")),
        ],
        error_messages={"required": N_("Write the note (at most 4000 characters).")},
    )


class NoteSchema(_NoteBodySchema):
    seen = _newest_seen()


class PointSchema(FormSchema):
    opportunity_id = fields.Integer(required=True)


class AssignTutorSchema(FormSchema):
    participant_id = fields.Integer(required=True)
    tutor_id = fields.Integer(load_default=None, allow_none=True)


class OpportunitySchema(FormSchema):
    kind = fields.String(required=True, validate=validate.OneOf(board_rules.KINDS))
    title = fields.String(
        required=True,
        validate=[
            validate.Length(min=3, max=200, error=N_("Write a title (3 to 200 characters).")),
            _not_blank(N_("Write a title (3 to 200 characters).")),
        ],
        error_messages={"required": N_("Write a title (3 to 200 characters).")},
    )
    organisation = fields.String(load_default="", validate=validate.Length(max=200))
    description = fields.String(
        load_default="",
        validate=validate.Length(max=2000, error=N_("Please write a little less.")),
    )
    region = fields.String(load_default="", validate=validate.OneOf(("", *REGIONS)))
    pathway = fields.String(load_default="", validate=validate.OneOf(("", *board_rules.PATHWAYS)))
    closes_on = fields.Date(
        required=True,
        format="%Y-%m-%d",
        error_messages={
            "invalid": N_("Write the closing date, e.g. 2026-12-31."),
            "required": N_("Write the closing date, e.g. 2026-12-31."),
        },
    )
    url = fields.Url(
        required=True,
        schemes={"https"},
        error_messages={
            "invalid": N_("The link must start with https://"),
            "required": N_("The link must start with https://"),
        },
    )


def attempts_seen(raw: Any) -> int | None:
    """How many quiz attempts the page she answered on had seen (a double tap or a refresh
    sends the same count again); None if the form names none (a page from before); anything
    else is a 400."""
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        abort(400)
    if value < 0 or value > 10**9:
        abort(400)
    return value


class WorkshopSessionEditSchema(WorkshopSessionChangeSchema):
    """The change form of a session, with the revision of the session its page showed."""

    revision = _page_revision()


SESSION_CHANGE_FIELDS = ("starts_at", "meeting_url", "note")


def saved_session_form(starts_at: datetime, meeting_url: str, note: str) -> dict[str, str]:
    """A live session's time (in Chile), link and note as its change form shows them."""
    return {
        "starts_at": starts_at.astimezone(CHILE).strftime("%Y-%m-%dT%H:%M"),
        "meeting_url": meeting_url,
        "note": note,
    }


def sent_session_form(form: Any) -> dict[str, str]:
    """What she sent in a live session's change form, to show it back to her as she wrote it."""
    return {k: v for k, v in form.items() if k in SESSION_CHANGE_FIELDS}


class AttendanceFormSchema(AttendanceSchema):
    """The attendance form, with who was marked present when its page was shown (ids separated
    by commas), so that only her changes are saved."""

    shown = fields.String(
        load_default=None,
        validate=[validate.Length(max=20000), validate.Regexp(r"^(\d{1,12}(,\d{1,12})*)?$")],
    )


def id_set(listed: str) -> set[int]:
    """'3,5,8' as {3, 5, 8}."""
    return {int(part) for part in listed.split(",") if part}


class CvCommentSchema(_NoteBodySchema):
    # The comments' revision the page showed: comments saved since, from another tab or by
    # another tutor, are never replaced unseen (services/revisions.py).
    revision = _page_revision()
