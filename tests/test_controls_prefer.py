"""Choosing the answer per request with Prefer or __ query parameters, as Prism does."""

from __future__ import annotations

import time

import pytest
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource

from mock_server.settings import default_spec_path
from mock_server.spec import load_spec

SPEC = load_spec(default_spec_path())


def assert_matches_spec(response, path: str, method: str) -> None:
    """The body is valid against the spec's schema for this operation and status."""
    operation = SPEC.document["paths"][path][method]
    response_spec = SPEC.resolve(operation["responses"][str(response.status_code)])
    schema = response_spec["content"]["application/json"]["schema"]
    registry = Registry().with_resource("urn:spec", Resource.opaque(SPEC.document))
    rooted = {"$ref": "urn:spec" + schema["$ref"]} if "$ref" in schema else _rooted(schema)
    OAS30Validator(rooted, registry=registry).validate(response.json())


def _rooted(node):
    if isinstance(node, dict):
        return {k: ("urn:spec" + v if k == "$ref" else _rooted(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_rooted(v) for v in node]
    return node


def test_code_answers_that_documented_status_with_a_novu_body(client) -> None:
    response = client.get("/v1/integrations", headers={"Prefer": "code=404"})
    assert response.status_code == 404
    body = response.json()
    assert body["statusCode"] == 404 and body["path"] == "/v1/integrations" and body["message"]
    assert_matches_spec(response, "/v1/integrations", "get")
    for header in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Policy"):
        assert header in response.headers
    limited = client.get("/v1/integrations", headers={"Prefer": "code=429"})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    invalid = client.get("/v1/integrations", headers={"Prefer": "code=422"})
    assert invalid.status_code == 422 and "errors" in invalid.json()
    assert_matches_spec(invalid, "/v1/integrations", "get")


def test_a_chosen_error_changes_nothing(client) -> None:
    before = client.get("/v1/integrations").json()
    response = client.post(
        "/v1/integrations", json={"providerId": "ses", "channel": "email"}, headers={"Prefer": "code=409"}
    )
    assert response.status_code == 409
    assert client.get("/v1/integrations").json() == before


def test_the_success_code_answers_from_state(client) -> None:
    response = client.get("/v1/integrations", headers={"Prefer": "code=200"})
    assert response.status_code == 200 and response.json() == client.get("/v1/integrations").json()


def test_an_unknown_code_names_the_choices(client) -> None:
    response = client.get("/v1/integrations", headers={"Prefer": "code=418"})
    assert response.status_code == 422
    message = response.json()["message"]
    assert "418" in message and "200, 400, 401" in message and "503" in message
    assert "Prefer" in response.json()["errors"]
    assert client.get("/v1/integrations", headers={"Prefer": "code=abc"}).status_code == 422


def test_named_examples_from_the_spec(client) -> None:
    empty = client.get("/v1/integrations", headers={"Prefer": "example=empty"})
    assert empty.status_code == 200 and empty.json() == {"data": []}
    one = client.get("/v1/integrations", headers={"Prefer": "example=email-only"})
    documented = SPEC.document["paths"]["/v1/integrations"]["get"]["responses"]["200"]["content"]["application/json"]
    assert one.json() == documented["examples"]["email-only"]["value"]
    assert_matches_spec(one, "/v1/integrations", "get")
    # an example of another status answers with that status
    missing = client.get("/v1/integrations", headers={"Prefer": "example=not-found"})
    assert missing.status_code == 404 and missing.json()["statusCode"] == 404


def test_an_unknown_example_names_the_choices(client) -> None:
    response = client.get("/v1/integrations", headers={"Prefer": "example=nope"})
    assert response.status_code == 422
    message = response.json()["message"]
    assert "nope" in message and "empty (200)" in message and "email-only (200)" in message
    with_code = client.get("/v1/integrations", headers={"Prefer": "code=200, example=not-found"})
    assert with_code.status_code == 422 and "not-found" not in with_code.json()["message"].split("choose one of:")[1]


def test_dynamic_bodies_are_schema_valid_and_reproducible_with_a_seed(client) -> None:
    first = client.get("/v1/integrations", headers={"Prefer": "dynamic=true, seed=42"})
    again = client.get("/v1/integrations", headers={"Prefer": "dynamic=true; seed=42"})
    other = client.get("/v1/integrations", headers={"Prefer": "dynamic=true, seed=43"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json() != other.json()
    assert first.json() != client.get("/v1/integrations").json(), "generated, not the stored state"
    assert_matches_spec(first, "/v1/integrations", "get")
    for seed in range(20):
        created = client.post(
            "/v1/integrations",
            json={"providerId": "ses", "channel": "email"},
            headers={"Prefer": f"dynamic=true, seed={seed}"},
        )
        assert created.status_code == 201
        assert_matches_spec(created, "/v1/integrations", "post")
        failed = client.delete("/v1/integrations/" + "0" * 24, headers={"Prefer": f"code=500, dynamic=true, seed={seed}"})
        assert failed.status_code == 500 and failed.json()["statusCode"] == 500
        assert_matches_spec(failed, "/v1/integrations/{integrationId}", "delete")


def test_delay(client) -> None:
    started = time.perf_counter()
    response = client.get("/v1/integrations/active", headers={"Prefer": "delay=400"})
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.4
    assert client.get("/v1/integrations", headers={"Prefer": "delay=999999"}).status_code == 422


def test_query_parameters_do_the_same(client) -> None:
    assert client.get("/v1/integrations?__code=404").status_code == 404
    assert client.get("/v1/integrations?__example=empty").json() == {"data": []}
    dynamic = client.get("/v1/integrations?__dynamic=true&__seed=5")
    assert dynamic.json() == client.get("/v1/integrations", headers={"Prefer": "dynamic=true, seed=5"}).json()
    started = time.perf_counter()
    assert client.get("/v1/integrations?__delay=300").status_code == 200
    assert time.perf_counter() - started >= 0.3
    unknown = client.get("/v1/integrations?__code=299")
    assert unknown.status_code == 422 and "__code" in unknown.json()["errors"]


def test_the_header_wins_over_the_query(client) -> None:
    response = client.get("/v1/integrations?__code=404", headers={"Prefer": "code=503"})
    assert response.status_code == 503
    mixed = client.get("/v1/integrations?__example=empty", headers={"Prefer": "code=404"})
    assert mixed.status_code == 422, "code 404 from the header, example 'empty' (a 200) from the query"


@pytest.mark.parametrize("prefer", ["return=minimal", "respond-async", ""])
def test_other_preferences_are_ignored(client, prefer) -> None:
    response = client.get("/v1/integrations", headers={"Prefer": prefer})
    assert response.status_code == 200 and response.json() == client.get("/v1/integrations").json()


def test_keys_are_still_checked(app) -> None:
    from starlette.testclient import TestClient

    with TestClient(app) as anonymous:
        assert anonymous.get("/v1/integrations", headers={"Prefer": "code=200, dynamic=true"}).status_code == 401


def test_chosen_answers_of_shared_responses_leave_validation_working(client) -> None:
    """Regression: checking a chosen 404 (a $ref'd response) once made later validations recurse for ever."""
    for code in (404, 409, 422, 503):
        assert client.get("/v1/integrations", headers={"Prefer": f"code={code}"}).status_code == code
    assert client.put("/v1/integrations/" + "0" * 24, json={}).status_code == 404
    assert client.post("/v1/integrations", json={"providerId": "ses", "channel": "nope"}).status_code == 422
    assert client.get("/v1/health-check").status_code == 200
