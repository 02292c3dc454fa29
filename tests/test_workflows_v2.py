"""The mock's own checks of workflows: the store's rules (steps, issues, status, search, update,
patch, delete, sync, preview, state) and the v2 API over the wire, triggers of created workflows
included."""

from __future__ import annotations

import pytest

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store import Backend, Backends, Environment
from mock_server.store.workflows import base62, unbase62
from tests.conftest import KEY, OTHER_KEY


def _steps(*kinds: str, **controls) -> list[dict]:
    return [{"name": f"{kind} step", "type": kind, "controlValues": controls.get(kind, {})} for kind in kinds]


@pytest.fixture
def backend() -> Backend:
    backend = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    backend.integrations.create(provider_id="novu", channel="in_app", active=True)
    backend.integrations.create(provider_id="sendgrid", channel="email", credentials={"apiKey": "k"}, active=True)
    return backend


# -- the store -----------------------------------------------------------------------------------


def test_steps_get_ids_from_their_names_unique_within_the_workflow(backend: Backend) -> None:
    workflow = backend.workflows.create(
        identifier="w", name="W",
        steps=[{"name": "Say hi", "type": "in_app", "controlValues": {"body": "hi"}},
               {"name": "Say hi", "type": "in_app", "controlValues": {"body": "again"}},
               {"name": "Chosen", "type": "delay", "stepId": "my-delay", "controlValues": {"amount": 1, "unit": "days"}}],
    )  # fmt: skip
    first, second, third = (step.step_id for step in workflow.steps)
    assert first == "say-hi" and second.startswith("say-hi-") and len(second) == len("say-hi-") + 4
    assert third == "my-delay"
    assert workflow.channels == ["in_app"]
    assert len({step.id for step in workflow.steps}) == 3


def test_issues_name_missing_controls_and_integrations_and_set_the_status(backend: Backend) -> None:
    workflow = backend.workflows.create(
        identifier="w", name="W", steps=_steps("in_app", "email", "sms", in_app={"body": " "}, email={"subject": "S", "body": "B"})
    )
    in_app, email, sms = workflow.steps
    assert in_app.issues == {"controls": {"body": [{"issueType": "MISSING_VALUE", "variableName": "body", "message": "Body is required"}]}}
    assert email.issues == {}  # sendgrid is active and (the only one) primary
    assert sms.issues["integration"] == {"sms": [{"issueType": "MISSING_INTEGRATION", "message": "Missing active primary integration provider"}]}
    assert workflow.status == "ERROR"
    fine = backend.workflows.create(identifier="ok", name="Ok", steps=_steps("in_app", in_app={"body": "b"}))
    assert fine.status == "ACTIVE"
    off = backend.workflows.create(identifier="off", name="Off", steps=_steps("in_app"), active=False)
    assert off.status == "INACTIVE"


def test_mode_dependent_controls_of_digest_delay_and_throttle(backend: Backend) -> None:
    workflow = backend.workflows.create(identifier="w", name="W", steps=[
        {"name": "d", "type": "digest", "controlValues": {"type": "timed"}},
        {"name": "l", "type": "delay", "controlValues": {"type": "regular", "amount": 2}},
        {"name": "t", "type": "throttle", "controlValues": {"type": "dynamic", "dynamicKey": "payload.at"}},
        {"name": "c", "type": "custom", "controlValues": {"custom": {"any": 1}}},
    ])  # fmt: skip
    digest, delay, throttle, custom = workflow.steps
    assert list(digest.issues["controls"]) == ["cron"]
    assert list(delay.issues["controls"]) == ["unit"]
    assert throttle.issues == {} and custom.issues == {}


def test_a_taken_workflow_id_gets_a_suffix_through_the_api_rule_and_409_otherwise(backend: Backend) -> None:
    backend.workflows.create(identifier="order", name="Order", channels=["in_app"])
    with pytest.raises(Conflict):
        backend.workflows.create(identifier="order", name="Order", channels=["in_app"])
    made = backend.workflows.create_from_request({"name": "Order", "workflowId": "order", "steps": []})
    assert made.identifier.startswith("order-") and made.identifier != "order"


def test_find_by_id_identifier_and_slug_and_novus_404(backend: Backend) -> None:
    workflow = backend.workflows.create(identifier="order", name="Order shipped", channels=["in_app"])
    assert unbase62(base62(workflow.id)) == workflow.id
    for key in (workflow.id, "order", workflow.slug()):
        assert backend.workflows.find(key) is workflow
    with pytest.raises(NotFound) as missing:
        backend.workflows.find("nope")
    assert missing.value.message == "Workflow cannot be found" and missing.value.extra == {"workflowId": "nope"}
    step = workflow.steps[0]
    assert workflow.step(step.slug()) is step and workflow.step(step.id) is step and workflow.step(step.step_id) is step
    with pytest.raises(BadRequest, match="No step found"):
        workflow.step("other")


def test_search_filters_sorts_and_counts(backend: Backend) -> None:
    backend.workflows.create(identifier="alpha", name="Alpha", channels=["in_app"], tags=["a"])
    backend.workflows.create(identifier="beta", name="Beta news", channels=["email"], tags=["b"], active=False)
    backend.workflows.create(identifier="gamma-news", name="Gamma", channels=["email"], tags=["a", "c"])
    names = lambda found: [w.identifier for w in found[0]]  # noqa: E731
    assert names(backend.workflows.search(order_by="name", direction="ASC")) == ["alpha", "beta", "gamma-news"]
    assert names(backend.workflows.search(query="NEWS", order_by="name", direction="ASC")) == ["beta", "gamma-news"]
    assert names(backend.workflows.search(tags=["c", "b"], order_by="name", direction="ASC")) == ["beta", "gamma-news"]
    assert names(backend.workflows.search(status=["INACTIVE"])) == ["beta"]
    page, total = backend.workflows.search(order_by="name", direction="DESC", offset=1, limit=1)
    assert [w.identifier for w in page] == ["beta"] and total == 3


def test_update_keeps_steps_named_by_id_and_replaces_the_rest(backend: Backend) -> None:
    workflow = backend.workflows.create(identifier="w", name="W", steps=_steps("in_app", "email", in_app={"body": "a"}))
    kept = workflow.steps[0]
    backend.workflows.update("w", {
        "name": "W2", "origin": "novu-cloud", "preferences": {"user": None, "workflow": None},
        "steps": [{"_id": kept.id, "name": "Renamed", "type": "in_app", "controlValues": {"body": "new {{payload.x}}"}},
                  {"name": "Chat", "type": "chat"}],
    })  # fmt: skip
    assert [s.id == kept.id for s in workflow.steps] == [True, False]
    assert workflow.steps[0].step_id == kept.step_id and workflow.steps[0].name == "Renamed"
    assert workflow.channels == ["in_app", "chat"] and workflow.in_app.body == "new {{payload.x}}"
    assert workflow.steps[1].controls == {} and workflow.status == "ERROR"


def test_patch_sets_given_fields_and_status(backend: Backend) -> None:
    backend.workflows.create(identifier="w", name="W", steps=_steps("in_app", in_app={"body": "b"}), tags=["x"])
    patched = backend.workflows.patch("w", {"active": False, "name": "New", "tags": None})
    assert (patched.status, patched.name, patched.tags) == ("INACTIVE", "New", ["x"])
    assert backend.workflows.patch("w", {"active": True}).status == "ACTIVE"


def test_delete_hides_the_workflow_but_keeps_its_notifications_exportable(backend: Backend) -> None:
    backend.workflows.create(identifier="w", name="W", steps=_steps("in_app", in_app={"body": "b"}))
    backend.inbox.trigger(workflow_id="w", recipients=[{"subscriberId": "ada"}])
    backend.workflows.delete("w")
    with pytest.raises(NotFound):
        backend.workflows.find("w")
    assert backend.workflows.list() == []
    state = backend.export_state()
    assert state["workflows"][0]["deletedAt"] is not None
    backend.import_state(state)  # the notification still names its (deleted) workflow
    assert backend.inbox.snapshot()[0]["workflowId"] == "w"
    again = backend.workflows.create_from_request({"name": "W", "workflowId": "w", "steps": []})
    assert again.identifier == "w"  # a deleted workflow frees its workflowId


def test_preferences_critical_and_defaults_follow_workflow_preferences(backend: Backend) -> None:
    prefs = {"all": {"enabled": True, "readOnly": True}, "channels": {"email": {"enabled": False}}}
    workflow = backend.workflows.create_from_request({"name": "W", "workflowId": "w", "steps": _steps("email"),
                                                      "preferences": {"workflow": prefs}})  # fmt: skip
    assert workflow.critical and workflow.default_for("email") is False and workflow.default_for("sms") is True
    dto = workflow.to_dto()
    assert dto["preferences"]["user"] is None and dto["preferences"]["default"]["channels"]["in_app"] == {"enabled": True}


def test_preview_fills_the_payload_and_names_what_is_missing(backend: Backend) -> None:
    backend.workflows.create(identifier="w", name="W", steps=[{
        "name": "In app", "type": "in_app", "controlValues": {
            "subject": "Hi {{subscriber.firstName}}", "body": "{{payload.a.b}} and {{payload.c}}",
            "primaryAction": {"label": "Open {{payload.c}}", "redirect": {"url": "/x/{{payload.c}}"}}}}])  # fmt: skip
    answer = backend.workflows.preview("w", "in-app", {"previewPayload": {"payload": {"c": "C"}, "subscriber": {"firstName": "Ada"}}})
    assert answer["result"] == {"type": "in_app", "preview": {
        "body": "{{payload.a.b}} and C", "subject": "Hi Ada",
        "primaryAction": {"label": "Open C", "redirect": {"url": "/x/C", "target": "_self"}}}}  # fmt: skip
    assert answer["previewPayloadExample"]["payload"] == {"a": {"b": "{{payload.a.b}}"}, "c": "C"}
    other = backend.workflows.preview("w", "in-app", {"controlValues": {"body": "only {{payload.z}}"}})
    assert other["result"]["preview"] == {"body": "only {{payload.z}}"}


def test_sync_creates_then_updates_in_the_other_environment_only() -> None:
    backends = Backends({"k1": "Development", "k2": "Production"})
    dev, prod = (backends[e.id] for e in backends.environments())
    source = dev.workflows.create(identifier="w", name="W", steps=_steps("in_app", in_app={"body": "v1"}))
    made = dev.sync_workflow("w", prod.environment.id)
    assert made.identifier == "w" and made.id != source.id and prod.workflows.find("w") is made
    assert source.last_published_at is not None
    dev.workflows.update("w", {"name": "W", "origin": "novu-cloud", "preferences": {},
                               "steps": [{"_id": source.steps[0].id, "name": "in_app step", "type": "in_app", "controlValues": {"body": "v2"}}]})  # fmt: skip
    again = dev.sync_workflow(source.id, prod.environment.id)
    assert again is made and made.steps[0].controls == {"body": "v2"} and len(prod.workflows) == 1
    with pytest.raises(BadRequest, match="same environment"):
        dev.sync_workflow("w", dev.environment.id)
    with pytest.raises(NotFound, match="Environment abc not found"):
        dev.sync_workflow("w", "abc")


def test_state_round_trip_and_older_records(backend: Backend) -> None:
    backend.workflows.create(identifier="w", name="W", steps=_steps("in_app", "digest", in_app={"body": "x"}), tags=["t"])
    records = backend.workflows.snapshot()
    backend.workflows.restore(records)
    assert backend.workflows.snapshot() == records
    old = {"_id": "a" * 24, "identifier": "old", "name": "Old", "channels": ["email", "in_app"], "critical": True,
           "defaults": {"sms": False}, "inApp": {"subject": "S", "body": "B {{payload.x}}"}, "createdAt": "2026-01-01T00:00:00.000Z"}  # fmt: skip
    backend.workflows.restore([old])
    workflow = backend.workflows.get("old")
    assert workflow.channels == ["email", "in_app"] and workflow.critical and workflow.default_for("sms") is False
    assert workflow.in_app.body == "B {{payload.x}}"
    with pytest.raises(Conflict):
        backend.workflows.restore([old, {**old, "_id": "b" * 24}])


def test_inbox_set_template_still_writes_the_in_app_step(backend: Backend) -> None:
    from mock_server.store.inbox import InAppTemplate

    backend.workflows.create(identifier="w", name="W", channels=["in_app"])
    backend.inbox.set_template("w", InAppTemplate(subject="S", body="Hello {{payload.name}}", primary_action="Go"))
    step = backend.workflows.find("w").steps[0]
    assert step.controls == {"subject": "S", "body": "Hello {{payload.name}}", "primaryAction": {"label": "Go"}}


# -- over the wire -------------------------------------------------------------------------------


def _create(client, **body):
    response = client.post("/v2/workflows", json={"name": "Shipped", "workflowId": "shipped", "steps": [], **body})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_a_created_workflow_is_triggerable_and_its_in_app_step_renders(client) -> None:
    made = _create(client, workflowId="api-made", steps=[
        {"name": "Bell", "type": "in_app", "controlValues": {"subject": "Hi {{subscriber.firstName}}", "body": "Order {{payload.id}}"}},
        {"name": "Wait", "type": "delay", "controlValues": {"type": "regular", "amount": 5, "unit": "minutes"}}])  # fmt: skip
    assert made["workflowId"] == "api-made" and made["slug"].startswith("shipped_wf_")
    assert [s["type"] for s in made["steps"]] == ["in_app", "delay"] and made["status"] == "ACTIVE"
    trigger = client.post("/v1/events/trigger", json={"name": "api-made", "to": {"subscriberId": "wf-sub", "firstName": "Ada"},
                                                      "payload": {"id": "A-1"}})  # fmt: skip
    assert trigger.status_code == 201 and trigger.json()["data"]["status"] == "processed"
    messages = client.get("/v1/messages", params={"subscriberId": "wf-sub"}).json()["data"]
    assert [(m["subject"], m["content"]) for m in messages] == [("Hi Ada", "Order A-1")]
    assert client.get("/v2/workflows/api-made").json()["data"]["lastTriggeredAt"] is not None


def test_wire_get_list_update_patch_delete(client) -> None:
    made = _create(client, tags=["wire"], steps=[{"name": "Text", "type": "sms", "controlValues": {"body": "b"}}])
    by_id = client.get(f"/v2/workflows/{made['_id']}").json()["data"]
    by_slug = client.get(f"/v2/workflows/{made['slug']}").json()["data"]
    assert by_id == by_slug and by_id["workflowId"] == "shipped"
    listed = client.get("/v2/workflows", params={"tags": "wire"}).json()["data"]
    assert listed["totalCount"] == 1 and listed["workflows"][0]["stepTypeOverviews"] == ["sms"]
    step = made["steps"][0]
    updated = client.put("/v2/workflows/shipped", json={
        "name": "Shipped 2", "origin": "novu-cloud", "preferences": {},
        "steps": [{"_id": step["_id"], "name": "Text", "type": "sms", "controlValues": {"body": "c"}}]}).json()["data"]  # fmt: skip
    assert updated["steps"][0]["_id"] == step["_id"] and updated["steps"][0]["controlValues"] == {"body": "c"}
    assert client.patch("/v2/workflows/shipped", json={"active": False}).json()["data"]["status"] == "INACTIVE"
    assert client.get(f"/v2/workflows/shipped/steps/{step['stepId']}").json()["data"]["controls"]["values"] == {"body": "c"}
    assert client.delete("/v2/workflows/shipped").status_code == 204
    gone = client.get("/v2/workflows/shipped")
    assert gone.status_code == 404 and gone.json()["message"] == "Workflow cannot be found"
    assert client.post("/v1/events/trigger", json={"name": "shipped", "to": "x"}).status_code == 422


def test_wire_validation_of_the_create_body(client) -> None:
    bad = client.post("/v2/workflows", json={"name": "N", "workflowId": "has space", "steps": []})
    assert bad.status_code == 422
    no_name = client.post("/v2/workflows", json={"workflowId": "ok", "steps": [{"type": "in_app"}]})
    assert no_name.status_code == 422


def test_wire_sync_and_isolation(client, other_client, app) -> None:
    made = _create(client, steps=[{"name": "Bell", "type": "in_app", "controlValues": {"body": "b"}}])
    target = app.backends.environment_for_key(OTHER_KEY).id
    assert other_client.get("/v2/workflows/shipped").status_code == 404
    synced = client.put("/v2/workflows/shipped/sync", json={"targetEnvironmentId": target})
    assert synced.status_code == 200 and synced.json()["data"]["_id"] != made["_id"]
    assert other_client.get("/v2/workflows/shipped").json()["data"]["steps"][0]["controlValues"] == {"body": "b"}
    assert client.get("/v2/workflows/shipped", params={"environmentId": target}).json()["data"]["_id"] == synced.json()["data"]["_id"]
    own = app.backends.environment_for_key(KEY).id
    refused = client.put("/v2/workflows/shipped/sync", json={"targetEnvironmentId": own})
    assert refused.status_code == 400 and refused.json()["message"] == "Cannot sync workflow to the same environment"


def test_wire_preview_and_step_not_found(client) -> None:
    _create(client, steps=[{"name": "Mail", "type": "email", "controlValues": {"subject": "Hi {{payload.n}}", "body": "<p>{{payload.n}}</p>"}}])
    preview = client.post("/v2/workflows/shipped/step/mail/preview", json={"previewPayload": {"payload": {"n": "Ada"}}})
    assert preview.status_code == 201
    assert preview.json()["data"]["result"] == {"type": "email", "preview": {"subject": "Hi Ada", "body": "<p>Ada</p>"}}
    empty = {"result": {"preview": {}}, "previewPayloadExample": {}, "schema": None}
    missing = client.post("/v2/workflows/shipped/step/nope/preview", json={})
    assert missing.status_code == 201 and missing.json()["data"] == empty
    unknown = client.post("/v2/workflows/no-such-workflow/step/mail/preview", json={})
    assert unknown.status_code == 201 and unknown.json()["data"] == empty
    assert client.get("/v2/workflows/shipped/steps/nope").json()["message"] == "No step found"


def test_the_contract_hook_names_environments_of_the_organization() -> None:
    from types import SimpleNamespace

    from contract_tests.hooks import name_real_environments

    def case(operation_id: str, body=None, query=None) -> SimpleNamespace:
        schema = SimpleNamespace(config=SimpleNamespace(headers={"Authorization": "ApiKey k"}), get_base_url=lambda: "http://x/")
        operation = SimpleNamespace(definition=SimpleNamespace(raw={"operationId": operation_id}), schema=schema)
        return SimpleNamespace(operation=operation, body=body, query=query, meta=None)

    asked = []
    found = lambda url, headers: asked.append((url, headers)) or ("o" * 24, "e" * 24)  # noqa: E731
    sync = case("WorkflowController_sync", body={"targetEnvironmentId": "generated"})
    name_real_environments(sync, discover=found)
    assert sync.body == {"targetEnvironmentId": "e" * 24} and asked == [("http://x", {"Authorization": "ApiKey k"})]
    read = case("WorkflowController_getWorkflow", query={"environmentId": "generated"})
    name_real_environments(read, discover=found)
    assert read.query == {"environmentId": "o" * 24}
    unknown = case("WorkflowController_sync", body={"targetEnvironmentId": "generated"})
    name_real_environments(unknown, discover=lambda url, headers: (None, None))  # a target that lists none
    assert unknown.body == {"targetEnvironmentId": "generated"}
    other = case("WorkflowController_update", body={"targetEnvironmentId": "generated"})
    name_real_environments(other, discover=found)
    assert other.body == {"targetEnvironmentId": "generated"}


def test_a_sync_is_in_the_state_file_of_the_target_environment_before_its_answer(tmp_path) -> None:
    from starlette.testclient import TestClient

    from mock_server.app import create_app
    from mock_server.controls import statefile
    from mock_server.settings import Settings

    path = tmp_path / "state.json"
    app = create_app(Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, state_file=path))
    target = app.backends.environment_for_key(OTHER_KEY).id
    with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as http:
        assert _create(http, workflowId="kept-sync")["workflowId"] == "kept-sync"
        assert http.put("/v2/workflows/kept-sync/sync", json={"targetEnvironmentId": target}).status_code == 200
        # no waiting: the target's new workflow is in the log already
        state = statefile.StateFile(path, None, check_services=lambda *a: None)._read()  # type: ignore[arg-type]
        saved = state["environments"][target]["services"]["workflows"]
        assert "kept-sync" in {record["identifier"] for record in saved}
