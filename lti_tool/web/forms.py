"""marshmallow schemas for the forms and JSON bodies Senda accepts from browsers.

Unknown fields are refused (mass assignment: a posted `user_id`, `role` or `score` never gets
in); the user and the course always come from the session. Messages are translated.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from courses import opportunities as board_rules
from courses import support as support_rules
from courses.geography import REGION_SLUGS


def N_(message: str) -> str:
    """Marks a message for the translation catalogue; errors_of translates it when shown."""
    return message


REGIONS = REGION_SLUGS
YES_NO = ("yes", "no", "prefer-not")


class FormSchema(Schema):
    """Forms carry Flask-WTF's csrf_token, checked before the view runs; ignore it here."""

    class Meta:
        unknown = RAISE

    csrf_token = fields.String(load_only=True)


class DemographicsSchema(FormSchema):
    consent = fields.Boolean(load_default=False)
    region = fields.String(load_default="", validate=validate.OneOf(("", *REGIONS)))
    municipality = fields.String(load_default="", validate=validate.Length(max=128))
    migrant = fields.String(load_default="", validate=validate.OneOf(("", *YES_NO)))
    indigenous = fields.String(load_default="", validate=validate.OneOf(("", *YES_NO)))


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


class WorksheetSchema(Schema):
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


class ReflectionSchema(FormSchema):
    text = fields.String(
        required=True, validate=validate.Length(max=10000, error=N_("This answer is too long."))
    )


class PlanOverrideSchema(FormSchema):
    level = fields.String(required=True, validate=validate.OneOf(("basic", "advanced")))
    courses = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)


class WorkshopSessionSchema(FormSchema):
    activity_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
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


class NoteSchema(FormSchema):
    body = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=4000, error=N_("Write the note (at most 4000 characters).")),
            _not_blank(N_("Write the note (at most 4000 characters).")),
        ],
        error_messages={"required": N_("Write the note (at most 4000 characters).")},
    )


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


def form_data(form: Any, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """A submitted form as a dict: single values, except the named multi-value fields."""
    data: dict[str, Any] = {key: form.get(key) for key in form if key not in lists}
    for key in lists:
        data[key] = form.getlist(key)
    return data


def errors_of(exc: ValidationError) -> dict[str, str]:
    """First message per field, for showing next to the field."""
    result: dict[str, str] = {}
    messages = exc.normalized_messages()
    for key, value in messages.items():
        if isinstance(value, list) and value:
            result[str(key)] = gettext(str(value[0]))
        elif isinstance(value, dict):
            result[str(key)] = gettext(str(next(iter(value.values()))))
    return result
