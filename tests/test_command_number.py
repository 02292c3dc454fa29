"""A number query parameter Novu checks in its use case's command, not in its validation pipe:
JavaScript's Number() of the text, then class-validator's IsNumber / Min / Max sentences."""

from __future__ import annotations

import math

import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings
from mock_server.validation import command_number_messages, js_number

BOUNDS = {"type": "number", "minimum": 1, "maximum": 100}
GREATER, LESS = "limit must not be greater than 100", "limit must not be less than 1"
NO_NUMBER = "limit must be a number conforming to the specified constraints"


@pytest.mark.parametrize(
    ("text", "number"),
    [("5", 5), (" 7 ", 7), ("1e1", 10), ("0x10", 16), ("0b11", 3), ("-2.5", -2.5), (".5", 0.5), ("Infinity", math.inf)],
)
def test_js_number_reads_what_javascript_reads(text, number) -> None:
    assert js_number(text) == number


@pytest.mark.parametrize("text", ["abc", "5px", "0x", "1,5", "0xZ"])
def test_js_number_is_nan_for_what_is_no_number(text) -> None:
    assert math.isnan(js_number(text))


@pytest.mark.parametrize(
    ("value", "messages"),
    [
        (1, []), (100, []), (0, [LESS]), (-3, [LESS]), (101, [GREATER]),
        (math.nan, [GREATER, LESS, NO_NUMBER]), (math.inf, [GREATER, NO_NUMBER]),
    ],
)  # fmt: skip
def test_class_validator_sentences_in_its_order(value, messages) -> None:
    assert command_number_messages("limit", value, BOUNDS) == messages


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(api_keys={"unit-key": "Development"}, fixtures=False))
    with TestClient(app, headers={"Authorization": "ApiKey unit-key"}) as test_client:
        yield test_client


@pytest.mark.parametrize(("limit", "messages"), [("0", [LESS]), ("250", [GREATER]), ("ten", [GREATER, LESS, NO_NUMBER])])
def test_the_subscriber_list_refuses_a_limit_as_novus_command_does(client, limit, messages) -> None:
    response = client.get("/v2/subscribers", params={"limit": limit})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Validation failed for ListSubscribersCommand: limit: " + ", ".join(messages)
    assert body["constraintsViolated"]["limit"]["messages"] == messages and body["statusCode"] == 400
    assert body["path"] == f"/v2/subscribers?limit={limit}"


def test_a_limit_in_bounds_pages(client) -> None:
    for number in range(3):
        client.post("/v2/subscribers", json={"subscriberId": f"unit-limit-{number}"})
    assert len(client.get("/v2/subscribers", params={"limit": "2"}).json()["data"]) == 2
    assert client.get("/v2/subscribers", params={"limit": "1.5"}).status_code == 422, "a fraction stays the schema's 422"
