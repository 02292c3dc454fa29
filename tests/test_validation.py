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
