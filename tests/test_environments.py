"""Environments: /v1/environments (me, list, create, update, delete), /v2 tags, diff and publish,
environments added and removed at run time (auth, journal, reset, state file)."""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings
from mock_server.store import Backends
from tests.conftest import KEY, OTHER_KEY


def _ids(client: TestClient) -> dict[str, str]:
    return {environment["name"]: environment["_id"] for environment in client.get("/v1/environments").json()["data"]}


def _made(client: TestClient, name: str = "Staging", color: str = "#3498db") -> tuple[dict, str]:
    """Create an environment; return its DTO and its key (read from the control surface)."""
    answer = client.post("/v1/environments", json={"name": name, "color": color})
    assert answer.status_code == 201, answer.text
    created = answer.json()["data"]
    keys = {item["id"]: item["apiKey"] for item in client.get("/_mock/environments").json()["environments"]}
    return created, keys[created["_id"]]


def test_me_is_the_environment_of_the_key_without_its_keys(client, other_client, app):
    mine = client.get("/v1/environments/me")
    assert mine.status_code == 200
    me = mine.json()["data"]
    development = app.backends.environment_for_key(KEY)
    assert me["_id"] == development.id
    assert me["name"] == "Development"
    assert me["identifier"] == development.identifier
    assert me["_organizationId"] == development.organization_id
    assert "apiKeys" not in me
    assert other_client.get("/v1/environments/me").json()["data"]["name"] == "Production"


def test_the_list_shows_only_the_callers_key(client, app):
    listed = client.get("/v1/environments").json()["data"]
    by_name = {environment["name"]: environment for environment in listed}
    assert list(by_name) == ["Development", "Production"]
    assert by_name["Development"]["apiKeys"][0]["key"] == KEY
    assert len(by_name["Development"]["apiKeys"][0]["hash"]) == 64
    assert by_name["Production"]["apiKeys"] == []
    assert by_name["Production"]["_parentId"] == by_name["Development"]["_id"]
    assert by_name["Development"]["slug"].startswith("dev_env_")
    assert by_name["Production"]["slug"].startswith("prod_env_")
    assert OTHER_KEY not in str(listed)


def test_a_created_environment_has_its_own_key_and_data_and_its_key_dies_with_it(client, app):
    created, key = _made(client)
    assert created["name"] == "Staging"
    assert created["color"] == "#3498db"
    assert created["apiKeys"] == []  # Novu does not show a new key to an API key
    assert len(key) == 32 and created["identifier"] and len(created["identifier"]) == 12
    with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as staging:
        me = staging.get("/v1/environments/me").json()["data"]
        assert me["_id"] == created["_id"]
        # what Novu puts in a new environment: the Novu Inbox, and none of Development's data
        integrations = staging.get("/v1/integrations").json()["data"]
        assert [(item["providerId"], item["channel"], item["name"]) for item in integrations] == [
            ("novu", "in_app", "Novu Inbox")
        ]
        assert staging.get("/v2/subscribers?limit=1").json()["data"] == []
        # its journal is its own
        assert staging.get("/_mock/requests").json()["requests"][-1]["path"] == "/v2/subscribers"
        # an API key may delete its own environment only
        assert staging.delete(f"/v1/environments/{_ids(client)['Development']}").status_code == 403
        gone = staging.delete(f"/v1/environments/{created['_id']}")
        assert gone.status_code == 200 and gone.json() == {}
        assert staging.get("/v1/environments/me").status_code == 401
    assert "Staging" not in _ids(client)


def test_create_refuses_protected_and_used_names_and_an_empty_color(client):
    for name in ("Development", " production "):
        refused = client.post("/v1/environments", json={"name": name, "color": "#000000"})
        assert refused.status_code == 422
        assert refused.json()["message"] == "Environment name cannot be Development or Production"
    _made(client, "QA")
    again = client.post("/v1/environments", json={"name": "QA", "color": "#000000"})
    assert (again.status_code, again.json()["message"]) == (400, "Environment name must be unique")
    no_color = client.post("/v1/environments", json={"name": "Other", "color": ""})
    assert (no_color.status_code, no_color.json()["message"]) == (400, "Color property is required")
    missing = client.post("/v1/environments", json={"name": "Other"})
    assert missing.status_code == 422 and "color" in missing.json()["errors"]


def test_delete_refuses_the_protected_environments_and_other_environments(client, other_client):
    ids = _ids(client)
    own = client.delete(f"/v1/environments/{ids['Development']}")
    assert own.status_code == 400
    assert own.json()["message"] == (
        "The Development environment is protected and cannot be deleted. Only custom environments can be deleted."
    )
    other = client.delete(f"/v1/environments/{ids['Production']}")
    assert other.status_code == 403
    assert "is scoped to a single environment" in other.json()["message"]
    assert other_client.get("/v1/environments/me").status_code == 200


def test_update_changes_the_own_environment_and_answers_the_counts(client, app):
    ids = _ids(client)
    changed = client.put(f"/v1/environments/{ids['Development']}", json={"identifier": "my-app-id", "color": "#123456"})
    assert changed.status_code == 200
    assert changed.json()["data"] == {"matched": 1, "modified": 1}
    me = client.get("/v1/environments/me").json()["data"]
    assert (me["identifier"], me["color"]) == ("my-app-id", "#123456")
    assert app.backends.environment_for_identifier("my-app-id").id == ids["Development"]
    same = client.put(f"/v1/environments/{ids['Development']}", json={"color": "#123456"})
    assert same.json()["data"] == {"matched": 1, "modified": 0}
    rename = client.put(f"/v1/environments/{ids['Development']}", json={"name": "Dev"})
    assert (rename.status_code, rename.json()["message"]) == (
        422,
        "Cannot update the name of Development or Production environments",
    )
    sibling = client.put(f"/v1/environments/{ids['Production']}", json={"color": "#000000"})
    assert sibling.status_code == 403
    taken = client.put(
        f"/v1/environments/{ids['Development']}",
        json={"identifier": app.backends.environment_for_key(OTHER_KEY).identifier},
    )
    assert taken.status_code == 409
    private = client.put(
        f"/v1/environments/{ids['Development']}", json={"bridge": {"url": "http://127.0.0.1:4000/api/novu"}}
    )
    assert (private.status_code, private.json()["message"]) == (
        400,
        "bridge.url is blocked by the outbound SSRF policy.",
    )
    bridge = client.put(
        f"/v1/environments/{ids['Development']}", json={"bridge": {"url": "https://example.com/api/novu"}}
    )
    assert bridge.json()["data"]["modified"] == 1
    assert client.get("/v1/environments/me").json()["data"]["bridge"] == {"url": "https://example.com/api/novu"}


def test_a_created_environment_can_be_renamed_but_an_empty_name_keeps_identifier(client, app):
    created, key = _made(client)
    with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as staging:
        staging.put(f"/v1/environments/{created['_id']}", json={"name": "  Preview  "})
        assert staging.get("/v1/environments/me").json()["data"]["name"] == "Preview"
        kept = staging.put(f"/v1/environments/{created['_id']}", json={"name": "", "identifier": "ignored-one"})
        assert kept.json()["data"] == {"matched": 1, "modified": 0}
        assert staging.get("/v1/environments/me").json()["data"]["identifier"] == created["identifier"]


def test_tags_by_id_or_identifier(client, app):
    development = app.backends.environment_for_key(KEY)
    backend = app.backends[development.id]
    backend.workflows.create(identifier="tagged", name="Tagged", channels=["in_app"], tags=["billing", "", "ops"])
    backend.workflows.create(identifier="tagged-2", name="Tagged 2", channels=["in_app"], tags=["ops", "alerts"])
    expected = {"billing", "ops", "alerts"}
    by_id = client.get(f"/v2/environments/{development.id}/tags").json()["data"]
    assert expected <= {tag["name"] for tag in by_id}
    assert "" not in {tag["name"] for tag in by_id}
    by_identifier = client.get(f"/v2/environments/{development.identifier}/tags").json()["data"]
    assert by_identifier == by_id
    missing = client.get("/v2/environments/000000000000000000000000/tags")
    assert (missing.status_code, missing.json()["message"]) == (404, "Environment 000000000000000000000000 not found")


def _workflow_ids(client: TestClient) -> set[str]:
    return {record["identifier"] for record in client.get("/_mock/state").json()["services"]["workflows"]}


def test_diff_and_publish_from_development_into_production(client, other_client, app):
    development = app.backends[app.backends.environment_for_key(KEY).id]
    production_id = app.backends.environment_for_key(OTHER_KEY).id
    development.workflows.create(identifier="fresh-one", name="Fresh one", channels=["email"], tags=["new"])
    diff = other_client.post(f"/v2/environments/{production_id}/diff", json={})
    assert diff.status_code == 200, diff.text
    body = diff.json()["data"]
    assert body["sourceEnvironmentId"] == development.environment.id
    assert body["targetEnvironmentId"] == production_id
    by_id = {resource["sourceResource"]["id"] if resource["sourceResource"] else resource["targetResource"]["id"]:
             resource for resource in body["resources"]}  # fmt: skip
    assert by_id["fresh-one"]["changes"][0]["action"] == "added"
    assert by_id["fresh-one"]["summary"]["added"] == 1
    assert body["summary"]["hasChanges"] is True
    assert body["summary"]["totalEntities"] == len(body["resources"])

    dry = other_client.post(f"/v2/environments/{production_id}/publish", json={"dryRun": True}).json()["data"]
    assert dry["summary"]["successful"] == 0
    assert {item["reason"] for item in dry["results"][0]["skipped"]} == {"Dry run mode"}
    assert "fresh-one" not in _workflow_ids(other_client)

    published = other_client.post(f"/v2/environments/{production_id}/publish", json={})
    assert published.status_code == 200, published.text
    result = published.json()["data"]["results"][0]
    actions = {item["resourceId"]: item["action"] for item in result["successful"]}
    assert actions["fresh-one"] == "created"
    assert _workflow_ids(other_client) == _workflow_ids(client)
    again = other_client.post(f"/v2/environments/{production_id}/diff", json={}).json()["data"]
    assert again["summary"] == {"totalEntities": 0, "totalChanges": 0, "hasChanges": False}
    second = other_client.post(f"/v2/environments/{production_id}/publish", json={}).json()["data"]
    assert second["summary"]["successful"] == 0
    assert {item["reason"] for item in second["results"][0]["skipped"]} == {"No changes detected"}


def test_publish_updates_changed_workflows_keeping_their_ids_and_deletes_missing_ones(client, other_client, app):
    development = app.backends[app.backends.environment_for_key(KEY).id]
    production = app.backends[app.backends.environment_for_key(OTHER_KEY).id]
    production.workflows.restore([])
    development.workflows.restore([])
    development.workflows.create(identifier="shared", name="Shared", channels=["email"])
    production.workflows.create(identifier="shared", name="Shared (old name)", channels=["email"])
    production.workflows.create(identifier="only-in-prod", name="Only in prod", channels=["sms"])
    old_id = production.workflows.get("shared").id
    diff = other_client.post(f"/v2/environments/{production.environment.id}/diff", json={}).json()["data"]
    actions = {resource["changes"][0]["action"] for resource in diff["resources"]}
    assert actions == {"modified", "deleted"}
    modified = next(resource for resource in diff["resources"] if resource["changes"][0]["action"] == "modified")
    assert modified["changes"][0]["diffs"] == {"previous": {"name": "Shared (old name)"}, "new": {"name": "Shared"}}
    result = other_client.post(f"/v2/environments/{production.environment.id}/publish", json={}).json()["data"]
    assert {item["resourceId"]: item["action"] for item in result["results"][0]["successful"]} == {
        "shared": "updated",
        "only-in-prod": "deleted",
    }
    assert production.workflows.get("shared").id == old_id
    assert production.workflows.get("shared").name == "Shared"
    assert [workflow.identifier for workflow in production.workflows.list()] == ["shared"]


def test_publish_and_diff_refusals(client, other_client, app):
    development_id = app.backends.environment_for_key(KEY).id
    production_id = app.backends.environment_for_key(OTHER_KEY).id
    # the development key: target is its own, source defaults to itself
    same = client.post(f"/v2/environments/{development_id}/publish", json={})
    assert (same.status_code, same.json()["message"]) == (400, "Source and target environments cannot be the same")
    # another target, or another source, is out of an API key's scope
    assert client.post(f"/v2/environments/{production_id}/diff", json={}).status_code == 403
    explicit = other_client.post(f"/v2/environments/{production_id}/diff", json={"sourceEnvironmentId": development_id})
    assert explicit.status_code == 403
    assert "is scoped to a single environment" in explicit.json()["message"]


def test_reset_of_a_created_environment_and_of_a_configured_one(client, app):
    _created, key = _made(client)
    with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as staging:
        staging.post("/v2/subscribers", json={"subscriberId": "someone"})
        reset = staging.post("/_mock/reset")
        assert reset.status_code == 200
        assert reset.json()["services"]["subscribers"] == 0
        assert reset.json()["services"]["integrations"] == 1
    ids = _ids(client)
    client.put(f"/v1/environments/{ids['Development']}", json={"identifier": "changed-identifier"})
    client.post("/_mock/reset")
    me = client.get("/v1/environments/me").json()["data"]
    assert me["identifier"] == app.backends.configured[ids["Development"]].identifier
    # the made environment is still there after the configured one's reset
    assert "Staging" in _ids(client)


def test_backends_add_and_remove_while_keys_are_read():
    backends = Backends({"k1": "Development"})
    development = backends.environment_for_key("k1")
    stop = threading.Event()
    failures: list[BaseException] = []
    latest: list[str] = []

    def read() -> None:
        try:
            while not stop.is_set():
                assert backends.environment_for_key("k1") is development
                for backend in backends:  # one map, whatever comes or goes meanwhile
                    assert backend.environment.id
                assert backends.backends_of(development.organization_id)[0].environment is development
                # a request: its key opens a Backend it holds; the environment may go meanwhile
                key = latest[-1] if latest else "k1"
                held = backends.backend_for_key(key)
                if held is not None:
                    time.sleep(0)
                    assert backends[held.environment.id] is held
        except BaseException as error:  # noqa: BLE001
            failures.append(error)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for index in range(300):
        made = development.replace(id=f"{index:024x}", api_key=f"key-{index}", name=f"E{index}", configured=False)
        added = backends.add(made)
        latest.append(made.api_key)
        assert backends.environment_for_key(f"key-{index}") == made
        backends.remove(made.id)
        assert backends.environment_for_key(f"key-{index}") is None
        assert backends[made.id] is added  # a request already past auth still ends
    stop.set()
    for reader in readers:
        reader.join()
    assert failures == []
    assert [environment.id for environment in backends.environments()] == [development.id]
    # nothing holds the removed ones now: none is kept
    del added
    gc.collect()
    assert all(backends.get(f"{index:024x}") is None for index in range(300))


@pytest.fixture
def state_settings(tmp_path: Path) -> Settings:
    return Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=7, state_file=tmp_path / "state.json")


def test_a_state_file_brings_back_made_environments_with_their_keys_and_forgets_deleted_ones(state_settings):
    with TestClient(create_app(state_settings), headers={"Authorization": f"ApiKey {KEY}"}) as client:
        kept, kept_key = _made(client, "Kept")
        dropped, dropped_key = _made(client, "Dropped")
        with TestClient(client.app, headers={"Authorization": f"ApiKey {kept_key}"}) as staging:
            assert staging.post("/v2/subscribers", json={"subscriberId": "kept-subscriber"}).status_code == 201
        with TestClient(client.app, headers={"Authorization": f"ApiKey {dropped_key}"}) as other:
            assert other.delete(f"/v1/environments/{dropped['_id']}").status_code == 200
        client.put(f"/v1/environments/{_ids(client)['Development']}", json={"identifier": "kept-identifier"})
    # a new process (the file is read at start)
    with TestClient(create_app(state_settings), headers={"Authorization": f"ApiKey {KEY}"}) as client:
        assert set(_ids(client)) == {"Development", "Production", "Kept"}
        assert client.get("/v1/environments/me").json()["data"]["identifier"] == "kept-identifier"
        with TestClient(client.app, headers={"Authorization": f"ApiKey {kept_key}"}) as staging:
            me = staging.get("/v1/environments/me").json()["data"]
            assert (me["_id"], me["identifier"], me["color"]) == (kept["_id"], kept["identifier"], kept["color"])
            assert staging.get("/v2/subscribers/kept-subscriber").status_code == 200
        with TestClient(client.app, headers={"Authorization": f"ApiKey {dropped_key}"}) as other:
            assert other.get("/v1/environments/me").status_code == 401


def test_workflow_records_with_steps_are_compared_step_by_step():
    """Records that carry ``steps`` (the v2 workflow shape) diff per step, by ``stepId``."""
    from mock_server.store.publishing import _summary, _workflow_changes

    def step(step_id: str, subject: str, kind: str = "email") -> dict:
        return {"_id": f"id-{step_id}-{subject}", "stepId": step_id, "name": step_id, "type": kind,
                "controlValues": {"subject": subject}}  # fmt: skip

    target = {"_id": "t", "workflowId": "w", "name": "W", "steps": [step("a", "hi"), step("b", "x"), step("c", "gone")]}
    source = {
        "_id": "s",
        "workflowId": "w",
        "name": "W",
        "steps": [step("b", "x"), step("a", "hello"), step("d", "new", "sms")],
    }
    changes = _workflow_changes(source, target)
    by_step = {(change["sourceResource"] or change["targetResource"])["id"]: change for change in changes}
    assert by_step["a"]["action"] == "modified"
    assert by_step["a"]["diffs"] == {
        "previous": {"controlValues": {"subject": "hi"}},
        "new": {"controlValues": {"subject": "hello"}},
    }
    assert (by_step["a"]["previousIndex"], by_step["a"]["newIndex"]) == (0, 1)
    assert by_step["b"]["action"] == "moved"
    assert by_step["c"]["action"] == "deleted" and by_step["c"]["previousIndex"] == 2
    assert by_step["d"]["action"] == "added" and by_step["d"]["stepType"] == "sms"
    assert all(change["resourceType"] == "step" for change in changes)  # the workflow's own fields are equal
    assert _summary(changes) == {"added": 1, "modified": 2, "deleted": 1, "unchanged": 0}
    assert _workflow_changes(source, source) == []


def test_usage_reads_the_steps_controls_of_v2_records():
    from mock_server.store.environment_variables import EnvironmentVariablesBackend, OrganizationVariables

    variables = EnvironmentVariablesBackend("e" * 24, OrganizationVariables("o" * 24))
    variables.create(key="API_URL")
    found = variables.usage("API_URL", [
        ("Uses it", "uses-it", [{"controlValues": {"body": "Open {{ env.API_URL }}"}}]),
        ("Maily", "maily", [{"controlValues": {"body": '{"type":"variable","attrs":{"id":"env.API_URL"}}'}}]),
        ("Prefix only", "prefix", [{"controlValues": {"body": "{{env.API_URL_V2}}"}}]),
    ])  # fmt: skip
    assert found == {
        "workflows": [{"name": "Uses it", "workflowId": "uses-it"}, {"name": "Maily", "workflowId": "maily"}]
    }


def test_api_keys_answers_the_keys_of_the_callers_environment_only(client, other_client) -> None:
    # Novu's listOrganizationApiKeys (ExternalApiAccessible): the environment's keys, decrypted
    mine = client.get("/v1/environments/api-keys")
    assert mine.status_code == 200
    keys = mine.json()["data"]
    assert [key["key"] for key in keys] == [KEY]
    assert set(keys[0]) == {"key", "_userId"}
    theirs = other_client.get("/v1/environments/api-keys").json()["data"]
    assert [key["key"] for key in theirs] == [OTHER_KEY]
    assert theirs[0]["_userId"] == keys[0]["_userId"]  # one user per organization
    assert client.get("/v1/environments/api-keys", headers={"Authorization": "ApiKey nope"}).status_code == 401
