"""What a contract run created is found again, through the spec's links or the REST convention."""

from __future__ import annotations

from pathlib import Path

import yaml

from contract_tests.cleanup import delete_requests, evaluate, labelled
from contract_tests.runner import DEFAULT_SPEC


def test_link_to_the_delete_operation_addresses_the_created_integration() -> None:
    entry = {
        "operationId": "IntegrationsController_createIntegration",
        "status": 201,
        "path_parameters": {},
        "request_body": {"providerId": "sendgrid", "channel": "email"},
        "response_body": {"data": {"_id": "6a72e54c54e2b65cc166b2d1", "identifier": "sendgrid-x"}},
    }
    assert delete_requests(DEFAULT_SPEC, entry) == ["/v1/integrations/6a72e54c54e2b65cc166b2d1"]


def test_a_post_that_creates_nothing_deletable_is_left_alone() -> None:
    entry = {
        "operationId": "IntegrationsController_getChatOAuthUrl",
        "status": 201,
        "path_parameters": {},
        "request_body": {"integrationIdentifier": "slack", "subscriberId": "s"},
        "response_body": {"data": {"url": "https://slack.com/oauth"}},
    }
    assert delete_requests(DEFAULT_SPEC, entry) is None


def test_without_a_link_the_rest_convention_is_used(tmp_path: Path) -> None:
    spec = {
        "openapi": "3.0.3",
        "paths": {
            "/v2/things": {
                "post": {"operationId": "ThingsController_create", "responses": {"201": {"description": "ok"}}}
            },
            "/v2/things/{thingId}": {
                "delete": {"operationId": "ThingsController_remove", "responses": {"204": {"description": "gone"}}}
            },
        },
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    entry = {
        "operationId": "ThingsController_create",
        "status": 201,
        "path_parameters": {},
        "request_body": {"thingId": "nvmock-ct-a/b"},
        "response_body": {"data": {"thingId": "nvmock-ct-a/b", "_id": "x"}},
    }
    assert delete_requests(path, entry) == ["/v2/things/nvmock-ct-a%2Fb"]


def test_link_expressions() -> None:
    entry = {"request_body": {"a": [{"b": 1}]}, "response_body": {"data": {"_id": "i"}}, "path_parameters": {"p": "v"}}
    assert evaluate("$response.body#/data/_id", entry) == "i"
    assert evaluate("$request.body#/a/0/b", entry) == 1
    assert evaluate("$request.path.p", entry) == "v"
    assert evaluate("literal", entry) == "literal"


def test_only_what_carries_the_label_is_the_runs_own() -> None:
    assert labelled({"request_body": {"name": "nvmock-ct-1", "channel": "email"}}, "nvmock-ct-")
    assert not labelled({"request_body": {"subscriberId": "existing-user"}}, "nvmock-ct-")
    assert not labelled({"request_body": None}, "nvmock-ct-")
    assert labelled({"request_body": None}, "")  # no prefix asked for: every 201 is the run's
