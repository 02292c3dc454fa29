"""The store's side of Novu's step preview details: contexts resolved as the payload merger does,
the body an http_request preview signs (JavaScript's conversions included), the signature, and
a trigger step kept like any other (a trigger of it delivers nothing for that step)."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from mock_server.store import Backend, Environment
from mock_server.store import workflow_steps as kinds


@pytest.fixture
def backend() -> Backend:
    return Backend(Environment("e" * 24, "Development", "o" * 24, "secret-of-dev"))


def test_contexts_become_id_and_data_and_empty_ones_are_dropped() -> None:
    given = {"tenant": "acme", "app": {"id": "jira"}, "team": {"id": "t", "data": {"n": 1}}, "gone": ""}
    assert kinds.preview_contexts(given) == {
        "tenant": {"id": "acme", "data": {}}, "app": {"id": "jira", "data": {}}, "team": {"id": "t", "data": {"n": 1}}}  # fmt: skip
    assert kinds.preview_contexts({"gone": ""}) is None
    assert kinds.preview_contexts(None) is None and kinds.preview_contexts({}) is None


@pytest.mark.parametrize(
    ("rendered", "signed"),
    [
        ({"method": "POST", "body": [{"key": "a", "value": "1"}, {"key": "", "value": "x"}]}, {"a": "1"}),
        ({"method": "POST", "body": [{"key": "a"}]}, {}),  # a pair without value: undefined, not written
        ({"method": "POST", "body": []}, {}),
        ({"method": "POST"}, {}),
        ({"method": "DELETE", "body": [{"key": "a", "value": "1"}]}, {}),
        ({"body": [{"key": "a", "value": "1"}]}, {}),  # no method: GET
        ({"method": "get", "body": [{"key": "a", "value": "1"}]}, {"a": "1"}),  # Novu compares case and all
        ({"method": "POST", "body": ""}, {}),
    ],
)
def test_the_signed_body(rendered: dict, signed: object) -> None:
    assert kinds.signed_body(rendered) == signed


@pytest.mark.parametrize("body", ["raw text", {"a": 1}, [None], 5])
def test_a_body_novus_conversion_cannot_take_has_no_signature(body: object) -> None:
    with pytest.raises(ValueError):
        kinds.signed_body({"method": "POST", "body": body})


def test_the_signature_is_an_hmac_of_the_moment_and_the_compact_json() -> None:
    expected = hmac.new(b"k", b'1700000000000.{"a":"\xc3\xa9"}', hashlib.sha256).hexdigest()
    assert kinds.novu_signature("k", {"a": "é"}, 1700000000000) == f"t=1700000000000,v1={expected}"


def test_preview_signs_only_http_request_steps_with_the_given_key(backend: Backend) -> None:
    backend.workflows.create(identifier="w", name="W", steps=[
        {"name": "Call", "type": "http_request", "controlValues": {"method": "PUT", "url": "https://x.test",
                                                                    "body": [{"key": "id", "value": "{{payload.id}}"}]}},
        {"name": "Raw", "type": "http_request", "controlValues": {"method": "POST", "url": "https://x.test", "body": "{}"}},
        {"name": "Bell", "type": "in_app", "controlValues": {"body": "hi"}}])  # fmt: skip
    answer = backend.workflows.preview("w", "call", {"previewPayload": {"payload": {"id": "7"}}}, secret_key="s")
    moment = int(answer["novuSignature"].split(",")[0][2:])
    assert answer["novuSignature"] == kinds.novu_signature("s", {"id": "7"}, moment)
    assert "novuSignature" not in backend.workflows.preview("w", "raw", {}, secret_key="s")
    assert "novuSignature" not in backend.workflows.preview("w", "bell", {}, secret_key="s")


def test_preview_renders_contexts_and_keeps_the_rest_of_the_payload(backend: Backend) -> None:
    backend.workflows.create(identifier="w", name="W", steps=[
        {"name": "Bell", "type": "in_app", "controlValues": {"body": "{{context.tenant.data.plan}} {{payload.x}}"}}])  # fmt: skip
    answer = backend.workflows.preview("w", "bell", {"previewPayload": {
        "payload": {"x": "X"}, "context": {"tenant": {"id": "acme", "data": {"plan": "pro"}}}}})  # fmt: skip
    assert answer["result"]["preview"]["body"] == "pro X"
    assert answer["previewPayloadExample"]["context"] == {"tenant": {"id": "acme", "data": {"plan": "pro"}}}
    assert answer["previewPayloadExample"]["payload"] == {"x": "X"}


def test_a_trigger_step_has_permissive_controls_no_issues_and_no_channel(backend: Backend) -> None:
    workflow = backend.workflows.create_from_request({"name": "W", "workflowId": "w", "steps": [
        {"name": "Start", "type": "trigger", "controlValues": {"anything": [1, 2]}}]})  # fmt: skip
    step = workflow.to_dto()["steps"][0]
    assert step["type"] == "trigger" and not step.get("issues")
    assert step["controls"]["dataSchema"]["additionalProperties"] is True and "uiSchema" not in step["controls"]
    assert workflow.channels == [] and workflow.to_dto()["status"] == "ACTIVE"
