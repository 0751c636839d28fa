"""marshmallow's own English messages, said to a participant in her words and her language
(`web/forms.errors_of`), each kind of them."""

from __future__ import annotations

import pytest
from flask import Flask
from marshmallow import Schema, ValidationError, fields, validate

from lti_tool.web.forms import errors_of


class Everything(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    short = fields.String(validate=validate.Length(min=3))
    note = fields.String(validate=validate.Length(max=5))
    age = fields.Integer()
    amount = fields.Float()
    colour = fields.String(validate=validate.OneOf(["red", "blue"]))
    kept = fields.String(allow_none=False)
    custom = fields.String(validate=validate.Length(max=2, error="Too long, {max}."))


@pytest.mark.parametrize(
    ("data", "field", "said"),
    [
        ({}, "name", "Este campo es obligatorio."),
        ({"name": "", "kept": None}, "kept", "Este campo es obligatorio."),
        ({"name": ""}, "name", "Escribe entre 1 y 64 caracteres."),
        ({"name": "x", "short": "ab"}, "short", "Escribe al menos 3 caracteres."),
        ({"name": "x", "note": "abcdef"}, "note", "Escribe como máximo 5 caracteres."),
        ({"name": "x", "age": "old"}, "age", "Escribe un número."),
        ({"name": "x", "amount": "a lot"}, "amount", "Escribe un número."),
        ({"name": "x", "colour": "green"}, "colour", "Elige una de las opciones."),
        (
            {"name": "x", "extra": "1"},
            "extra",
            "Este formulario tiene un campo que no debería tener. Vuelve a cargar la página.",
        ),
        ({"name": "x", "custom": "abc"}, "custom", "Too long, 2."),  # not marshmallow's: as is
    ],
)
def test_marshmallows_messages_are_said_in_her_words(
    app: Flask, data: dict[str, object], field: str, said: str
) -> None:
    with app.test_request_context(headers={"Accept-Language": "es-CL"}):
        with pytest.raises(ValidationError) as caught:
            Everything().load(data)
        assert errors_of(caught.value)[field] == said
