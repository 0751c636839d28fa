"""marshmallow schemas for every kind of content file. Strict: an unknown field is an error
(a typo such as `minuts` must not pass silently). `export_json_schema()` gives editors a JSON
Schema of the same rules."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from courses.authoring.errors import N_, Message
from courses.model import ALLOWED_COMPLETION, AUDIENCES, INVITATION_REQUIREMENTS, KINDS, PHASES

ID = validate.Regexp(
    r"^[a-z0-9]+(-[a-z0-9]+)*$", error=N_("ids use lower-case letters, digits and hyphens")
)
MESSAGES: dict[str, str | list[Any] | dict[Any, Any]] = {
    "required": N_("is required"),
    "null": N_("must not be empty"),
    "invalid": N_("has the wrong type"),
}


def _id(**kwargs: Any) -> fields.String:
    return fields.String(
        required=True, validate=[ID, validate.Length(max=64)], error_messages=MESSAGES, **kwargs
    )


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class TextSchema(StrictSchema):
    """A text in both languages: `{es: "...", en: "..."}`."""

    es = fields.String(
        required=True,
        validate=validate.Length(min=1),
        error_messages={"required": N_("missing translation (es)")},
    )
    en = fields.String(
        required=True,
        validate=validate.Length(min=1),
        error_messages={"required": N_("missing translation (en)")},
    )


def _text(**kwargs: Any) -> fields.Nested:
    return fields.Nested(TextSchema, error_messages=MESSAGES, **kwargs)


class DayField(fields.Date):
    """A calendar day written `YYYY-MM-DD`. YAML already turns such a value into a date; a
    time of day (`2026-11-26 10:00`) is refused, because a review date is a day, not a moment."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid": N_("must be a date written YYYY-MM-DD")})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, datetime):
            raise self.make_error("invalid")
        if isinstance(value, date):
            return value
        result: date = super()._deserialize(value, attr, data, **kwargs)
        return result


class ProgrammeSchema(StrictSchema):
    id = _id()
    title = _text(required=True)
    description = _text(required=True)
    pathways = fields.List(
        fields.String(validate=ID), required=True, validate=validate.Length(min=1)
    )
    # Programmes of their own that placement never offers (schools/<id>.yaml).
    schools = fields.List(fields.String(validate=ID), load_default=list)


class LevelSchema(StrictSchema):
    title = _text(required=True)
    description = _text(required=True)
    courses = fields.List(
        fields.String(validate=ID), required=True, validate=validate.Length(min=1)
    )


class LevelsSchema(StrictSchema):
    basic = fields.Nested(LevelSchema, required=True)
    advanced = fields.Nested(LevelSchema, required=True)


class PathwaySchema(StrictSchema):
    id = _id()
    title = _text(required=True)
    description = _text(required=True)
    ordered = fields.Boolean(load_default=False)
    levels = fields.Nested(LevelsSchema, required=True)


class ModuleSchema(StrictSchema):
    id = _id()
    title = _text(required=True)
    activities = fields.List(
        fields.String(validate=ID), required=True, validate=validate.Length(min=1)
    )
    # Only in a course of a school with `weeks` (checked with the school, in tree.py).
    week = fields.Integer(validate=validate.Range(min=1, error=N_("weeks are counted from 1")))


class GradingSchema(StrictSchema):
    score_maximum = fields.Float(load_default=100.0, validate=validate.Range(min=1, max=1000))


class CourseSchema(StrictSchema):
    id = _id()
    title = _text(required=True)
    summary = _text(required=True)
    prerequisites = fields.List(fields.String(validate=ID), load_default=list)
    phase = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(PHASES))
    modules = fields.List(
        fields.Nested(ModuleSchema), required=True, validate=validate.Length(min=1)
    )
    grading = fields.Nested(GradingSchema, load_default=lambda: {"score_maximum": 100.0})


# ---------------------------------------------------------------------------- schools
class MentorEligibilitySchema(StrictSchema):
    courses = fields.List(
        fields.String(validate=ID), required=True, validate=validate.Length(min=1)
    )
    volunteer_hours = fields.Integer(required=True, validate=validate.Range(min=0, max=1000))


class InvitationSchema(StrictSchema):
    requires = fields.String(required=True, validate=validate.OneOf(INVITATION_REQUIREMENTS))


class SchoolSchema(StrictSchema):
    id = _id()
    title = _text(required=True)
    description = _text(required=True)
    audience = fields.String(required=True, validate=validate.OneOf(AUDIENCES))
    courses = fields.List(
        fields.String(validate=ID), required=True, validate=validate.Length(min=1)
    )
    weeks = fields.Integer(validate=validate.Range(min=1, max=52))
    mentor_eligibility = fields.Nested(MentorEligibilitySchema)
    invitation = fields.Nested(InvitationSchema)

    @validates_schema
    def invitation_needs_invited(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("invitation") and data.get("audience") == "volunteers":
            raise ValidationError(
                N_("only a school with audience 'invited' says who may be invited"), "invitation"
            )


# ------------------------------------------------------------------------- activities
class OptionSchema(StrictSchema):
    id = _id()
    text = fields.String(required=True, validate=validate.Length(min=1))
    correct = fields.Boolean(load_default=False)
    feedback = fields.String(
        required=True,
        validate=validate.Length(min=1),
        error_messages={"required": N_("every option needs feedback")},
    )


class QuestionSchema(StrictSchema):
    id = _id()
    text = fields.String(required=True, validate=validate.Length(min=1))
    options = fields.List(
        fields.Nested(OptionSchema),
        required=True,
        validate=validate.Length(min=2, error=N_("a question needs at least two options")),
    )

    @validates_schema
    def has_a_correct_answer(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not any(option.get("correct") for option in data.get("options", [])):
            raise ValidationError(N_("a question needs at least one correct option"), "options")


class FieldSchema(StrictSchema):
    id = _id()
    label = fields.String(required=True, validate=validate.Length(min=1))
    help = fields.String(load_default="")
    type = fields.String(load_default="textarea", validate=validate.OneOf(["text", "textarea"]))
    required = fields.Boolean(load_default=False)


class MediaSchema(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["audio", "video"]))
    src = fields.String(required=True, validate=validate.Length(min=1))
    duration_seconds = fields.Integer(required=True, validate=validate.Range(min=1, max=4 * 3600))


class LowBandwidthSchema(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(["text", "audio"]))
    src = fields.String(load_default=None, allow_none=True)


# Which fields each kind must have (required) and may have (allowed).
KIND_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "lesson": (set(), set()),
    "media": ({"media", "low_bandwidth"}, set()),
    "quiz": ({"pass_mark", "questions"}, set()),
    "reflection": ({"prompt"}, set()),
    "worksheet": ({"fields"}, set()),
    "workshop": ({"duration_minutes"}, {"facilitator_notes"}),
}
KIND_SPECIFIC = {f for required, allowed in KIND_FIELDS.values() for f in required | allowed}


class ActivitySchema(StrictSchema):
    """The front matter of an activity file (one per language)."""

    id = _id()
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=240))
    completion = fields.String(load_default=None, allow_none=True)
    graded = fields.Boolean(load_default=False)
    optional = fields.Boolean(load_default=False)
    # Workshops only: the course is complete only once a facilitator records her attendance.
    required = fields.Boolean(load_default=False)
    designer_notes = fields.String(load_default="")
    sources = fields.List(fields.Url(schemes={"http", "https"}), load_default=list)
    # When the facts were last checked against `sources`, and when time-bound figures (wages,
    # hours, rates) must be looked at again. For designers only: never compiled for participants.
    checked_on = DayField(load_default=None, allow_none=True)
    review_by = DayField(load_default=None, allow_none=True)
    pass_mark = fields.Integer(validate=validate.Range(min=1, max=100))
    questions = fields.List(fields.Nested(QuestionSchema), validate=validate.Length(min=1))
    prompt = fields.String(validate=validate.Length(min=1))
    fields_ = fields.List(
        fields.Nested(FieldSchema), data_key="fields", validate=validate.Length(min=1)
    )
    media = fields.Nested(MediaSchema)
    low_bandwidth = fields.Nested(LowBandwidthSchema)
    duration_minutes = fields.Integer(validate=validate.Range(min=15, max=480))
    facilitator_notes = fields.String()

    @validates_schema
    def fits_its_kind(self, data: dict[str, Any], **kwargs: Any) -> None:
        kind = data.get("kind")
        if kind not in KIND_FIELDS:
            return
        required, allowed = KIND_FIELDS[kind]
        errors: dict[str, list[str | Message]] = {}
        present = {("fields" if k == "fields_" else k) for k in data}
        for name in sorted(required - present):
            errors[name] = [Message.of(N_("a {kind} needs '{name}'"), kind=kind, name=name)]
        for name in sorted((present & KIND_SPECIFIC) - required - allowed):
            errors[name] = [
                Message.of(N_("'{name}' does not belong in a {kind}"), name=name, kind=kind)
            ]
        completion = data.get("completion")
        if completion is not None and completion not in ALLOWED_COMPLETION[kind]:
            allowed_values = ", ".join(ALLOWED_COMPLETION[kind])
            errors["completion"] = [
                Message.of(
                    N_("a {kind} is completed when: {allowed}"), kind=kind, allowed=allowed_values
                )
            ]
        if data.get("required"):
            if kind != "workshop":
                errors["required"] = [
                    N_("'required' belongs in a workshop (attending it completes the course)")
                ]
            elif data.get("optional"):
                errors["required"] = [N_("a workshop cannot be both 'required' and 'optional'")]
            elif completion == "viewed":
                errors["required"] = [
                    N_(
                        "a required workshop is completed when attended: "
                        "remove 'completion: viewed'"
                    )
                ]
        low = data.get("low_bandwidth")
        if low and low.get("type") == "audio" and not low.get("src"):
            errors["low_bandwidth"] = [N_("an audio alternative needs its 'src'")]
        if errors:
            raise ValidationError(errors)


# -------------------------------------------------------------------------- placement
class ChoiceSchema(StrictSchema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    text = _text(required=True)


class PlacementQuestionSchema(StrictSchema):
    id = _id()
    text = _text(required=True)
    help = _text(load_default=None)
    choice = fields.String(load_default="single", validate=validate.OneOf(["single", "multiple"]))
    options = fields.List(
        fields.Nested(ChoiceSchema), required=True, validate=validate.Length(min=2)
    )
    # The intake is refused (with a message on the question) until she answers it.
    required = fields.Boolean(load_default=False)


class PlaceSchema(StrictSchema):
    pathway = fields.String(required=True, validate=ID)
    level = fields.String(required=True, validate=validate.OneOf(["basic", "advanced"]))


WHEN = fields.Dict(
    keys=fields.String(validate=ID),
    values=fields.List(fields.String(), validate=validate.Length(min=1)),
    required=True,
    validate=validate.Length(min=1),
)


class RuleSchema(StrictSchema):
    id = _id()
    when = WHEN
    place = fields.Nested(PlaceSchema, required=True)
    reason = _text(required=True)


class AdjustmentSchema(StrictSchema):
    id = _id()
    when = WHEN
    add = fields.List(fields.String(validate=ID), load_default=list)
    skip = fields.List(fields.String(validate=ID), load_default=list)
    reason = _text(required=True)


class FallbackSchema(StrictSchema):
    place = fields.Nested(PlaceSchema, required=True)
    reason = _text(required=True)


class PlacementSchema(StrictSchema):
    questions = fields.List(
        fields.Nested(PlacementQuestionSchema), required=True, validate=validate.Length(min=1)
    )
    rules = fields.List(fields.Nested(RuleSchema), load_default=list)
    adjustments = fields.List(fields.Nested(AdjustmentSchema), load_default=list)
    fallback = fields.Nested(FallbackSchema, required=True)


# ----------------------------------------------------------------------------- messages
# marshmallow's own messages arrive in English with their values filled in; each is taken back
# to its template and values, so that the app can say it in the designer's language.
_LIBRARY_TEMPLATES = (
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid type."),
    N_("Invalid input type."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Not a valid boolean."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid date."),
    N_("Not a valid URL."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("String does not match expected pattern."),
    N_("Must be one of: {choices}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be less than or equal to {max}."),
)


def _pattern(template: str) -> re.Pattern[str]:
    """The template as a regular expression, each {placeholder} a named group."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile(
        "".join(
            f"(?P<{part}>.+?)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
        )
    )


_LIBRARY_MESSAGES = tuple((_pattern(t), t) for t in _LIBRARY_TEMPLATES)


def library_message(said: str) -> Message | None:
    """One of marshmallow's own messages taken back to its template and values; None for any
    other text. (Web forms use it too, to say these messages in a participant's words.)"""
    for pattern, template in _LIBRARY_MESSAGES:
        found = pattern.fullmatch(said)
        if found:
            return Message(template, tuple(found.groupdict().items()))
    return None


def _as_message(said: str | Message) -> Message:
    """A message of a schema: ours (a template, or a Message with values) or marshmallow's."""
    if isinstance(said, Message):
        return said
    # A text we do not know is shown as it is; its braces must not be read as placeholders.
    return library_message(said) or Message(said.replace("{", "{{").replace("}", "}}"))


def schema_problems(
    messages: Any, path: tuple[str | int, ...] = ()
) -> Iterable[tuple[tuple[str | int, ...], Message]]:
    """marshmallow's nested error messages as (path of the field, message) pairs, each message
    said for a designer: `title.es: Not a valid string.`, `'title' is required`."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            step: tuple[str | int, ...] = () if key == "_schema" else (key,)
            yield from schema_problems(value, path + step)
    elif isinstance(messages, list):
        for message in messages:
            yield from schema_problems(message, path)
    else:
        yield path, _friendly(path, messages)


def _friendly(path: tuple[str | int, ...], said: str | Message) -> Message:
    field = ".".join(str(p) for p in path) if path else Message(N_("file"))
    if said == "Unknown field.":
        return Message.of(N_("unknown field '{field}'"), field=field)
    if said in ("is required", "Missing data for required field."):
        return Message.of(N_("'{field}' is required"), field=field)
    return Message.of(N_("{field}: {problem}"), field=field, problem=_as_message(said))


SCHEMAS: dict[str, type[Schema]] = {
    "programme": ProgrammeSchema,
    "pathway": PathwaySchema,
    "school": SchoolSchema,
    "course": CourseSchema,
    "activity": ActivitySchema,
    "placement": PlacementSchema,
}


def export_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of every content file, for editors' completion and linting."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Senda content files",
        "$defs": {name: _schema_json(schema()) for name, schema in SCHEMAS.items()},
    }


def _field_json(field: fields.Field) -> dict[str, Any]:
    if isinstance(field, fields.Nested):
        nested = field.schema
        return _schema_json(nested)
    if isinstance(field, fields.List):
        return {"type": "array", "items": _field_json(field.inner)}
    if isinstance(field, fields.Dict):
        return {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }
    if isinstance(field, fields.Date):
        return {"type": "string", "format": "date"}
    kinds = {
        fields.Boolean: "boolean",
        fields.Integer: "integer",
        fields.Float: "number",
        fields.String: "string",
    }
    for cls, name in kinds.items():
        if isinstance(field, cls):
            result: dict[str, Any] = {"type": name}
            for validator in field.validators:
                if isinstance(validator, validate.OneOf):
                    result["enum"] = list(validator.choices)
                elif isinstance(validator, validate.Regexp):
                    result["pattern"] = validator.regex.pattern
            return result
    return {}


def _schema_json(schema: Schema) -> dict[str, Any]:
    properties = {}
    required = []
    for name, field in schema.fields.items():
        key = field.data_key or name
        properties[key] = _field_json(field)
        if field.required:
            required.append(key)
    result: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        result["required"] = required
    return result
