"""Parity with Novu's server code for the Workflows API (v2): one rule of Novu per test,
black-box over HTTP, so it runs against the mock and against a real Novu alike.

Each docstring names the file of ``novuhq/novu`` that shows the rule (read in 2025-2026
versions of the search index; ``libs/application-generic/src/...`` unless it says otherwise).
Workflow ids start with ``contract-wfp-``; every workflow a test makes is deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest

PREFIX = "contract-wfp-"


@pytest.fixture
def workflow(created_at):
    """``workflow(*steps)`` creates a workflow with these steps (201) and answers it."""
    made = created_at("/v2/workflows", "_id")

    def create(*steps: dict) -> dict:
        return made.create({"name": "Parity workflow", "workflowId": f"{PREFIX}{uuid.uuid4().hex[:10]}", "steps": list(steps)})

    return create


def _preview(client, made: dict, step_id: str, body: dict) -> dict:
    response = client.post(f"/v2/workflows/{made['workflowId']}/step/{step_id}/preview", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _signature_parts(header: str) -> tuple[int, str]:
    stamp, digest = header.split(",")
    assert stamp.startswith("t=") and digest.startswith("v1=")
    return int(stamp[2:]), digest[3:]


def _expected_digest(secret: str, moment: int, signed: object) -> str:
    message = f"{moment}.{json.dumps(signed, separators=(',', ':'), ensure_ascii=False)}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


# -- a step of type trigger --------------------------------------------------------------------


def test_a_trigger_step_is_stored_as_any_step_with_the_permissive_control_schema(client, workflow) -> None:
    """usecases/upsert-workflow/upsert-workflow.usecase.ts (buildSteps) takes every StepTypeEnum
    value the DTO's IsEnum lets through; utils/step-type-to-control.mapper.ts
    resolveStepControlSchemas falls back to PERMISSIVE_EMPTY_SCHEMA (no uiSchema) for a type
    without a control schema of its own, as `trigger` is."""
    made = workflow({"name": "Start", "type": "trigger", "controlValues": {"note": "any shape"}},
                    {"name": "Bell", "type": "in_app", "controlValues": {"body": "Hi"}})  # fmt: skip
    start = made["steps"][0]
    assert (start["type"], start["stepId"]) == ("trigger", "start")
    assert start["controls"]["dataSchema"] == {"type": "object", "properties": {}, "required": [],
                                               "additionalProperties": True}  # fmt: skip
    assert "uiSchema" not in start["controls"] and start["controls"]["values"] == {"note": "any shape"}
    assert "controls" not in (start.get("issues") or {})
    fetched = client.get(f"/v2/workflows/{made['workflowId']}/steps/start")
    assert fetched.status_code == 200 and fetched.json()["data"]["type"] == "trigger"


def test_an_update_may_add_a_trigger_step(client, workflow) -> None:
    """usecases/upsert-workflow/upsert-workflow.usecase.ts: PUT builds its steps as POST does."""
    made = workflow({"name": "Bell", "type": "in_app", "controlValues": {"body": "Hi"}})
    steps = [{"_id": made["steps"][0]["_id"], "name": "Bell", "type": "in_app", "controlValues": {"body": "Hi"}},
             {"name": "Start again", "type": "trigger"}]  # fmt: skip
    body = {"name": made["name"], "origin": "novu-cloud", "preferences": {"user": None, "workflow": None}, "steps": steps}
    response = client.put(f"/v2/workflows/{made['_id']}", json=body)
    assert response.status_code == 200, response.text
    assert [s["type"] for s in response.json()["data"]["steps"]] == ["in_app", "trigger"]


def test_the_activity_of_a_trigger_lists_no_job_of_a_trigger_step(client, workflow, subscribers) -> None:
    """libs/dal/src/repositories/notification/notification.repository.ts: the activity's jobs are
    those whose type is not `trigger`; the workflow's other steps keep theirs."""
    made = workflow({"name": "Start", "type": "trigger"}, {"name": "Bell", "type": "in_app", "controlValues": {"body": "Hi"}})
    subscriber_id = subscribers()["subscriberId"]
    sent = client.post("/v1/events/trigger", json={"name": made["workflowId"], "to": subscriber_id, "payload": {}})
    assert sent.status_code == 201, sent.text
    transaction_id = sent.json()["data"]["transactionId"]
    items: list = []
    for _ in range(50):
        items = client.get("/v1/notifications", params={"transactionId": transaction_id}).json()["data"]
        if items and items[0].get("jobs"):
            break
        time.sleep(0.1)
    types = [job["type"] for job in items[0]["jobs"]]
    assert "in_app" in types and "trigger" not in types


# -- preview: context ----------------------------------------------------------------------------


def test_preview_renders_context_variables_and_answers_each_context_as_id_and_data(client, workflow) -> None:
    """usecases/preview/services/payload-merger.service.ts resolveContext: an id becomes
    {id, data: {}}, an object keeps id and data; the resolved contexts are the example's
    `context` and preview.usecase.ts hands them to the step's rendering."""
    made = workflow({"name": "Bell", "type": "in_app",
                     "controlValues": {"body": "{{context.tenant.id}} / {{context.app.data.name}}"}})  # fmt: skip
    data = _preview(client, made, "bell", {"previewPayload": {"context": {"tenant": "org-acme",
                                                                          "app": {"id": "jira", "data": {"name": "Jira"}}}}})  # fmt: skip
    assert data["result"]["preview"]["body"] == "org-acme / Jira"
    assert data["previewPayloadExample"]["context"] == {"tenant": {"id": "org-acme", "data": {}},
                                                        "app": {"id": "jira", "data": {"name": "Jira"}}}  # fmt: skip


def test_preview_without_context_or_with_only_empty_ids_has_no_context(client, workflow) -> None:
    """usecases/preview/services/payload-merger.service.ts resolveContext: no context, or none
    left after dropping empty entries, is undefined (left out of the JSON answer)."""
    made = workflow({"name": "Bell", "type": "in_app", "controlValues": {"body": "Hi"}})
    assert "context" not in _preview(client, made, "bell", {"previewPayload": {}})["previewPayloadExample"]
    empty = _preview(client, made, "bell", {"previewPayload": {"context": {"tenant": ""}}})
    assert "context" not in empty["previewPayloadExample"]


# -- preview: novuSignature ----------------------------------------------------------------------


HTTP_STEP = {
    "name": "Call",
    "type": "http_request",
    "controlValues": {"method": "POST", "url": "https://example.com/hook",
                      "body": [{"key": "order", "value": "{{payload.orderId}}"}, {"key": "", "value": "dropped"}]},
}  # fmt: skip


def test_http_request_preview_signs_the_rendered_body_with_the_secret_key(client, workflow, target) -> None:
    """usecases/preview/preview.usecase.ts buildNovuSignatureSample: for an http_request step,
    utils/hmac.ts buildNovuSignatureHeader(secret key, body pairs as an object):
    `t=<ms>,v1=<hex HMAC-SHA256 of "<ms>.<JSON>">`; services/http-client/http-request.utils.ts
    toBodyRecord skips pairs with an empty key."""
    made = workflow(HTTP_STEP)
    before = int(time.time() * 1000)
    data = _preview(client, made, "call", {"previewPayload": {"payload": {"orderId": "A-1"}}})
    moment, digest = _signature_parts(data["novuSignature"])
    assert before - 60_000 <= moment <= int(time.time() * 1000) + 60_000
    assert digest == _expected_digest(target.api_key, moment, {"order": "A-1"})


def test_http_request_preview_of_a_get_signs_an_empty_object(client, workflow, target) -> None:
    """services/http-client/http-request.utils.ts shouldIncludeBody: GET, DELETE, HEAD and
    OPTIONS send no body, and the preview signs `{}` instead."""
    made = workflow({**HTTP_STEP, "controlValues": {**HTTP_STEP["controlValues"], "method": "GET"}})
    moment, digest = _signature_parts(_preview(client, made, "call", {})["novuSignature"])
    assert digest == _expected_digest(target.api_key, moment, {})


def test_preview_of_other_steps_has_no_signature(client, workflow) -> None:
    """usecases/preview/preview.usecase.ts: novuSignature only when the step type is http_request."""
    made = workflow({"name": "Bell", "type": "in_app", "controlValues": {"body": "Hi"}})
    assert "novuSignature" not in _preview(client, made, "bell", {})


# -- preview: result.error -----------------------------------------------------------------------


def test_a_preview_that_renders_has_no_error(client, workflow) -> None:
    """usecases/preview/preview.usecase.ts: `result.error` (PreviewErrorDto title, message, hint)
    is set only when a step rendered by a deployed step resolver fails; a dashboard step renders
    (or answers an empty preview) without it."""
    made = workflow({"name": "Mail", "type": "email", "controlValues": {"subject": "S {{payload.x}}", "body": "B"}})
    result = _preview(client, made, "mail", {"previewPayload": {"payload": {"x": "1"}}})["result"]
    assert result["type"] == "email" and result["preview"]["subject"] == "S 1" and "error" not in result


def test_a_preview_of_a_missing_workflow_or_step_is_an_empty_result_not_an_error(client, workflow) -> None:
    """usecases/preview/preview.usecase.ts: every failure, finding the workflow or its step
    included, is caught and answered with utils/preview-error-handler.ts createErrorResponse:
    `result: {preview: {}}` (type undefined), `previewPayloadExample: {}`, `schema: null` (201)."""
    made = workflow({"name": "Bell", "type": "in_app", "controlValues": {"body": "Hi"}})
    empty = {"result": {"preview": {}}, "previewPayloadExample": {}, "schema": None}
    assert _preview(client, made, "no-such-step", {}) == empty
    assert _preview(client, {"workflowId": f"{PREFIX}missing"}, "bell", {}) == empty


def test_the_preview_schema_is_the_steps_variables_schema(client, workflow) -> None:
    """usecases/preview/preview.usecase.ts: the answer's `schema` is the step's `variables`
    (build-step-data), the schema of what its controls may name."""
    made = workflow({"name": "Bell", "type": "in_app", "controlValues": {"body": "{{payload.orderId}}"}})
    step = client.get(f"/v2/workflows/{made['workflowId']}/steps/bell").json()["data"]
    schema = _preview(client, made, "bell", {})["schema"]
    assert schema == step["variables"] and "orderId" in schema["properties"]["payload"]["properties"]


def test_the_preview_subscriber_is_novus_example_subscriber_with_the_given_fields_laid_on(client, workflow) -> None:
    """usecases/preview/services/payload-merger.service.ts: the example's subscriber is always
    mock-data-generator.service.ts createFullSubscriberObject merged with the request's."""
    made = workflow({"name": "Bell", "type": "in_app", "controlValues": {"body": "Hi {{subscriber.firstName}} {{subscriber.lastName}}"}})
    plain = _preview(client, made, "bell", {})
    assert plain["result"]["preview"]["body"] == "Hi John Doe"
    assert plain["previewPayloadExample"]["subscriber"] == {
        "subscriberId": "123456", "firstName": "John", "lastName": "Doe", "email": "user@example.com",
        "phone": "+1234567890", "avatar": "https://example.com/avatar.png", "locale": "en_US",
        "timezone": "America/New_York", "data": {}}  # fmt: skip
    given = _preview(client, made, "bell", {"previewPayload": {"subscriber": {"firstName": "Ada", "data": {"k": 1}}}})
    assert given["result"]["preview"]["body"] == "Hi Ada Doe"
    assert given["previewPayloadExample"]["subscriber"]["data"] == {"k": 1}
