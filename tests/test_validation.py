"""Schema conversion and validation of both requests and the mock's own answers."""

from __future__ import annotations

import jsonschema_rs

from mock_server.store.integrations import Integration
from mock_server.validation import to_json_schema


def test_nullable_becomes_a_null_alternative_and_property_names_survive() -> None:
    schema = {
        "type": "object",
        "properties": {
            "example": {"type": "string", "nullable": True, "example": "x"},
            "x-id": {"type": "integer"},
        },
        "x-channel": "email",
    }
    converted = to_json_schema(schema)
    assert converted["properties"]["example"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert "x-id" in converted["properties"] and "x-channel" not in converted
    validator = jsonschema_rs.Draft4Validator(converted)
    assert validator.is_valid({"example": None, "x-id": 3})
    assert not validator.is_valid({"x-id": "three"})


def test_a_non_conforming_answer_is_a_500_not_a_lie(client, monkeypatch) -> None:
    original = Integration.to_list_dto

    def broken(self):
        dto = original(self)
        dto["active"] = "yes"  # the spec says boolean
        return dto

    monkeypatch.setattr(Integration, "to_list_dto", broken)
    response = client.get("/v1/integrations")
    assert response.status_code == 500
    assert response.json()["errorId"]


def test_parameter_sentences_are_worded_from_the_schema_as_class_validator_words_them() -> None:
    from mock_server.validation import parameter_messages

    def said(schema: dict, value, **param) -> list[str]:
        return parameter_messages({"name": "p", "in": "query", "schema": schema, **param}, value)

    assert said({"type": "number", "minimum": 1, "maximum": 100}, 101.0) == ["p must not be greater than 100"]
    assert said({"type": "number", "minimum": 1, "maximum": 100}, 0.0) == ["p must not be less than 1"]
    assert said({"type": "number", "multipleOf": 1}, 2.5) == ["p must be an integer number"]
    assert said({"type": "integer"}, "x") == ["p must be an integer number"]
    assert said({"type": "string", "maxLength": 3}, "four") == ["p must be shorter than or equal to 3 characters"]
    assert said({"type": "string", "minLength": 2}, "a") == ["p must be longer than or equal to 2 characters"]
    assert said({"type": "string", "format": "date-time"}, "garbage") == ["p must be a valid ISO 8601 date string"]
    assert said({"type": "string", "enum": ["a", "b"]}, "c") == ["p must be one of the following values: a, b"]
    assert said({"type": "array", "items": {"type": "string", "enum": ["a"]}}, ["z"]) == [
        "each value in p must be one of the following values: a"
    ]
    assert said({"type": "string", "pattern": "^[0-9]+$"}, "x") == ["p must match /^[0-9]+$/ regular expression"]
    assert said({"type": "string", "pattern": "^[0-9]+$", "x-pattern-message": "$property must be digits"}, "x") == [
        "p must be digits"
    ]
    assert said({"type": "string"}, None, required=True) == ["p should not be empty"]
    assert said({"type": "string"}, None) == []
    assert said({"type": "number", "maximum": 100}, 100.0) == []


def test_every_failure_of_one_argument_is_listed() -> None:
    from mock_server.validation import parameter_messages

    param = {"name": "limit", "in": "query", "schema": {"type": "number", "minimum": 5, "multipleOf": 1}}
    assert parameter_messages(param, 2.5) == ["limit must not be less than 5", "limit must be an integer number"]
