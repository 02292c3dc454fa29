"""Business rules of the Workflows API (v2), checked black-box over HTTP against the target.

Each test names the Novu file whose behaviour it follows (apps/api/src/app/workflows-v2/ unless
said otherwise). Workflow ids start with ``contract-wf-``; every workflow a test makes is deleted,
in each environment it reached.
"""

from __future__ import annotations

import time
import uuid

import pytest

PREFIX = "contract-wf-"
IN_APP = {"name": "Bell", "type": "in_app", "controlValues": {"subject": "Hi {{subscriber.firstName}}", "body": "Order {{payload.orderId}}"}}


def _id() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:10]}"


@pytest.fixture
def workflows(client):
    """``workflows(**body)`` creates a workflow (201) and answers it; all are deleted after.
    ``workflows.forget(client, workflowId)`` deletes one made another way (a sync) too."""
    made: list[tuple[object, str]] = []

    def create(**body) -> dict:
        body = {"name": "Contract workflow", "workflowId": _id(), "steps": [IN_APP], **body}
        response = client.post("/v2/workflows", json=body)
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        made.append((client, data["_id"]))
        return data

    create.forget = lambda http, key: made.append((http, key))
    yield create
    for http, key in made:
        http.delete(f"/v2/workflows/{key}")


def test_create_keeps_the_workflow_id_and_names_steps_by_their_slug(workflows) -> None:
    """usecases/upsert-workflow (application-generic): the workflowId is the trigger identifier,
    a step without stepId gets the slug of its name; the answer is get-workflow's."""
    workflow_id = _id()
    made = workflows(workflowId=workflow_id, tags=["contract"], steps=[IN_APP, {"name": "Wait a bit", "type": "delay",
                     "controlValues": {"type": "regular", "amount": 5, "unit": "minutes"}}])  # fmt: skip
    assert made["workflowId"] == workflow_id and made["origin"] == "novu-cloud"
    assert made["slug"].startswith("contract-workflow_wf_") and made["tags"] == ["contract"]
    assert [(s["stepId"], s["type"]) for s in made["steps"]] == [("bell", "in_app"), ("wait-a-bit", "delay")]
    step = made["steps"][0]
    assert step["controls"]["values"] == IN_APP["controlValues"] and step["workflowDatabaseId"] == made["_id"]
    assert step["slug"].startswith("bell_st_") and made["preferences"]["default"]["all"]["enabled"] is True
    assert made["status"] in ("ACTIVE", "ERROR")  # ERROR when the environment has no in-app integration


def test_a_required_control_left_empty_is_an_issue_and_errors_the_workflow(workflows) -> None:
    """usecases/build-step-issues: a schema ``required`` control missing is MISSING_VALUE
    "<Control> is required"; shared/compute-workflow-status: a step with issues is ERROR."""
    made = workflows(steps=[{"name": "Empty", "type": "sms", "controlValues": {"body": ""}}])
    issues = made["steps"][0]["issues"]["controls"]["body"]
    assert issues == [{"issueType": "MISSING_VALUE", "variableName": "body", "message": "Body is required"}]
    assert made["status"] == "ERROR"
    off = workflows(active=False, steps=[{"name": "Empty", "type": "sms"}])
    assert off["status"] == "INACTIVE"


def test_get_by_id_workflow_id_or_slug(client, workflows) -> None:
    """pipes/parse-slug-id and get-workflow-by-ids: an _id, a workflowId or a slug find the workflow."""
    made = workflows()
    for key in (made["_id"], made["workflowId"], made["slug"]):
        response = client.get(f"/v2/workflows/{key}")
        assert response.status_code == 200 and response.json()["data"]["_id"] == made["_id"]
    missing = client.get(f"/v2/workflows/{_id()}")
    assert missing.status_code == 404 and missing.json()["message"] == "Workflow cannot be found"


def test_search_by_text_and_tags_counts_every_match(client, workflows) -> None:
    """libs/dal notification-template.repository getList: query in name or identifier (any case),
    tags with $in, totalCount of all matches, offset/limit."""
    tag = f"contract-{uuid.uuid4().hex[:8]}"
    first = workflows(name=f"Alpha {tag}", tags=[tag])
    second = workflows(name="Beta", tags=[tag, "other"])
    page = client.get("/v2/workflows", params={"tags": tag, "orderBy": "name", "orderDirection": "ASC"}).json()["data"]
    assert page["totalCount"] == 2 and [w["_id"] for w in page["workflows"]] == [first["_id"], second["_id"]]
    assert page["workflows"][0]["stepTypeOverviews"] == ["in_app"]
    found = client.get("/v2/workflows", params={"query": tag.upper()}).json()["data"]
    assert [w["_id"] for w in found["workflows"]] == [first["_id"]]
    cut = client.get("/v2/workflows", params={"tags": tag, "limit": 1, "offset": 1, "orderBy": "name", "orderDirection": "ASC"})
    assert [w["_id"] for w in cut.json()["data"]["workflows"]] == [second["_id"]]


def test_update_keeps_a_step_named_by_id_and_patch_switches_it_off(client, workflows) -> None:
    """upsert-workflow (update) and patch-workflow: steps with their _id keep it; active sets the status."""
    made = workflows()
    step = made["steps"][0]
    body = {"name": "Renamed", "origin": "novu-cloud", "preferences": {"user": None, "workflow": None},
            "steps": [{"_id": step["_id"], "name": "Bell", "type": "in_app", "controlValues": {"body": "New"}},
                      {"name": "Text", "type": "sms", "controlValues": {"body": "Hi"}}]}  # fmt: skip
    updated = client.put(f"/v2/workflows/{made['workflowId']}", json=body)
    assert updated.status_code == 200, updated.text
    data = updated.json()["data"]
    assert data["name"] == "Renamed" and data["workflowId"] == made["workflowId"]
    assert data["steps"][0]["_id"] == step["_id"] and data["steps"][0]["stepId"] == step["stepId"]
    assert data["steps"][0]["controls"]["values"] == {"body": "New"} and data["steps"][1]["stepId"] == "text"
    patched = client.patch(f"/v2/workflows/{made['_id']}", json={"active": False, "description": "off"})
    assert patched.status_code == 200 and patched.json()["data"]["status"] == "INACTIVE"
    assert patched.json()["data"]["description"] == "off"


def test_step_data_and_an_unknown_step(client, workflows) -> None:
    """usecases/build-step-data: a step by stepId or _id; none is 400 "No step found"."""
    made = workflows()
    step = made["steps"][0]
    for key in (step["stepId"], step["_id"]):
        response = client.get(f"/v2/workflows/{made['workflowId']}/steps/{key}")
        assert response.status_code == 200 and response.json()["data"]["_id"] == step["_id"]
    unknown = client.get(f"/v2/workflows/{made['workflowId']}/steps/no-such-step")
    assert unknown.status_code == 400 and unknown.json()["message"] == "No step found"


def test_preview_renders_the_step_with_the_payload(client, workflows) -> None:
    """usecases/preview: the controls rendered with previewPayload."""
    made = workflows()
    response = client.post(f"/v2/workflows/{made['workflowId']}/step/bell/preview",
                           json={"previewPayload": {"payload": {"orderId": "A-1"}, "subscriber": {"firstName": "Ada"}}})  # fmt: skip
    assert response.status_code == 201, response.text
    result = response.json()["data"]["result"]
    assert result["type"] == "in_app" and result["preview"]["subject"] == "Hi Ada"
    assert result["preview"]["body"] == "Order A-1"


def test_a_created_workflow_is_triggered_by_its_workflow_id(client, workflows) -> None:
    """events trigger: ``name`` is the workflowId; its in-app step makes a message for the subscriber."""
    made = workflows()
    subscriber_id = f"{PREFIX}sub-{uuid.uuid4().hex[:8]}"
    try:
        response = client.post("/v1/events/trigger", json={
            "name": made["workflowId"], "to": {"subscriberId": subscriber_id, "firstName": "Ada"}, "payload": {"orderId": "A-1"}})  # fmt: skip
        assert response.status_code == 201 and response.json()["data"]["acknowledged"] is True
        messages: list = []
        for _ in range(20):  # a real Novu delivers from its worker, a moment later
            messages = client.get("/v1/messages", params={"subscriberId": subscriber_id, "channel": "in_app"}).json()["data"]
            if messages:
                break
            time.sleep(0.5)
        assert [(m["subject"], m["content"]) for m in messages] == [("Hi Ada", "Order A-1")]
    finally:
        client.delete(f"/v2/subscribers/{subscriber_id}")


def test_delete_then_get_is_404(client, workflows) -> None:
    """delete-workflow (application-generic): 204, then the workflow cannot be found."""
    made = workflows()
    assert client.delete(f"/v2/workflows/{made['workflowId']}").status_code == 204
    assert client.get(f"/v2/workflows/{made['_id']}").status_code == 404
    assert client.delete(f"/v2/workflows/{made['_id']}").status_code == 404


def test_create_refuses_a_workflow_id_that_is_no_slug(client) -> None:
    """dtos/create-workflow: workflowId matches SLUG_IDENTIFIER_REGEX; a step needs a name (422)."""
    bad = client.post("/v2/workflows", json={"name": "N", "workflowId": "not a slug!", "steps": []})
    assert bad.status_code == 422
    nameless = client.post("/v2/workflows", json={"name": "N", "workflowId": _id(), "steps": [{"type": "in_app"}]})
    assert nameless.status_code == 422


def test_sync_copies_the_workflow_to_the_other_environment(client, other_client, workflows) -> None:
    """usecases/sync-to-environment: created in the target with the same workflowId, then updated
    in place; the same environment is 400."""
    subscriber_id = f"{PREFIX}env-{uuid.uuid4().hex[:8]}"
    probe = other_client.post("/v2/subscribers", json={"subscriberId": subscriber_id})
    assert probe.status_code == 201
    target = probe.json()["data"]["_environmentId"]
    other_client.delete(f"/v2/subscribers/{subscriber_id}")
    made = workflows()
    assert other_client.get(f"/v2/workflows/{made['workflowId']}").status_code == 404
    synced = client.put(f"/v2/workflows/{made['workflowId']}/sync", json={"targetEnvironmentId": target})
    assert synced.status_code == 200, synced.text
    workflows.forget(other_client, made["workflowId"])
    copy = synced.json()["data"]
    assert copy["workflowId"] == made["workflowId"] and copy["_id"] != made["_id"]
    assert copy["steps"][0]["controls"]["values"] == IN_APP["controlValues"]
    again = client.put(f"/v2/workflows/{made['_id']}/sync", json={"targetEnvironmentId": target})
    assert again.status_code == 200 and again.json()["data"]["_id"] == copy["_id"]
    assert client.get(f"/v2/workflows/{made['_id']}").json()["data"]["lastPublishedAt"] is not None
    own = synced.json()["data"]  # its environment is the target's; the source's own is refused
    refused = other_client.put(f"/v2/workflows/{own['workflowId']}/sync", json={"targetEnvironmentId": target})
    assert refused.status_code == 400 and refused.json()["message"] == "Cannot sync workflow to the same environment"
