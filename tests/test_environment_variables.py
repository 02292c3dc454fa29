"""Environment variables: records of the organization, a value per environment, secrets masked,
an API key scoped to its own environment's values."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings
from mock_server.store import Backend, Environment
from mock_server.store.environment_variables import SECRET_MASK
from tests.conftest import KEY, OTHER_KEY


@pytest.fixture
def settings() -> Settings:
    # no fixtures: each test sees only the variables it makes
    return Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=7, fixtures=False)


def _id(app, key: str) -> str:
    return app.backends.environment_for_key(key).id


def test_create_get_and_list_show_the_keys_own_value(client, other_client, app):
    dev, prod = _id(app, KEY), _id(app, OTHER_KEY)
    made = client.post(
        "/v1/environment-variables",
        json={"key": "BASE_URL", "values": [{"_environmentId": dev, "value": "https://dev.example.com"}]},
    )
    assert made.status_code == 200, made.text
    body = made.json()["data"]
    assert (body["key"], body["type"], body["isSecret"]) == ("BASE_URL", "string", False)
    assert body["values"] == [{"_environmentId": dev, "value": "https://dev.example.com"}]
    assert body["_organizationId"] == app.backends.environment_for_key(KEY).organization_id
    # Production sees the organization's variable, without Development's value; then adds its own
    assert other_client.get("/v1/environment-variables/BASE_URL").json()["data"]["values"] == []
    patched = other_client.patch(
        "/v1/environment-variables/BASE_URL",
        json={"values": [{"_environmentId": prod, "value": "https://example.com"}]},
    )
    assert patched.json()["data"]["values"] == [{"_environmentId": prod, "value": "https://example.com"}]
    assert client.get("/v1/environment-variables/BASE_URL").json()["data"]["values"] == [
        {"_environmentId": dev, "value": "https://dev.example.com"}
    ]
    listed = client.get("/v1/environment-variables").json()["data"]
    assert [variable["key"] for variable in listed] == ["BASE_URL"]


def test_secret_values_are_masked_and_the_mask_is_refused(client, app):
    dev = _id(app, KEY)
    made = client.post(
        "/v1/environment-variables",
        json={"key": "API_TOKEN", "isSecret": True, "values": [{"_environmentId": dev, "value": "s3cr3t"}]},
    )
    assert made.json()["data"]["values"] == [{"_environmentId": dev, "value": "••••••••"}]
    assert SECRET_MASK == "••••••••"
    assert "s3cr3t" not in client.get("/v1/environment-variables").text
    # the real value is what workflows render
    assert app.backends[dev].environment_variables.values_for_environment() == {"API_TOKEN": "s3cr3t"}
    refused = client.patch(
        "/v1/environment-variables/API_TOKEN", json={"values": [{"_environmentId": dev, "value": SECRET_MASK}]}
    )
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("Submitted value matches the secret mask placeholder")
    new = client.post(
        "/v1/environment-variables", json={"key": "OTHER", "values": [{"_environmentId": dev, "value": SECRET_MASK}]}
    )
    assert new.status_code == 400


def test_key_rules_and_conflicts(client, app):
    dev = _id(app, KEY)
    bad = client.post("/v1/environment-variables", json={"key": "1_STARTS_WITH_DIGIT"})
    assert bad.status_code == 422
    assert bad.json()["errors"]["key"]["messages"] == [
        "Key must start with a letter and contain only letters, digits, and underscores"
    ]
    assert client.post("/v1/environment-variables", json={"key": "a" * 257}).status_code == 422
    assert client.post("/v1/environment-variables", json={"key": "lower_case_ok"}).status_code == 200
    again = client.post("/v1/environment-variables", json={"key": "lower_case_ok"})
    assert (again.status_code, again.json()["message"]) == (
        409,
        'Environment variable with key "lower_case_ok" already exists',
    )
    twice = client.post("/v1/environment-variables", json={"key": "TWICE", "values": [
        {"_environmentId": dev, "value": "a"}, {"_environmentId": dev, "value": "b"}]})  # fmt: skip
    assert twice.status_code == 422
    assert twice.json()["errors"]["values"]["messages"] == ["Duplicate _environmentId in values"]
    client.post("/v1/environment-variables", json={"key": "OTHER_KEY"})
    rename = client.patch("/v1/environment-variables/OTHER_KEY", json={"key": "lower_case_ok"})
    assert rename.status_code == 409
    empty = client.patch("/v1/environment-variables/OTHER_KEY", json={})
    assert (empty.status_code, empty.json()["message"]) == (400, "At least one field must be provided to update")
    missing = client.get("/v1/environment-variables/NOPE")
    assert (missing.status_code, missing.json()["message"]) == (404, 'Environment variable with key "NOPE" not found')


def test_an_api_key_cannot_write_another_environments_value(client, app):
    prod = _id(app, OTHER_KEY)
    refused = client.post(
        "/v1/environment-variables", json={"key": "CROSS", "values": [{"_environmentId": prod, "value": "x"}]}
    )
    assert refused.status_code == 403
    assert "is scoped to a single environment" in refused.json()["message"]
    assert client.get("/v1/environment-variables/CROSS").status_code == 404
    client.post("/v1/environment-variables", json={"key": "CROSS"})
    assert (
        client.patch(
            "/v1/environment-variables/CROSS", json={"values": [{"_environmentId": prod, "value": "x"}]}
        ).status_code
        == 403
    )


def test_rename_search_and_newest_first(client, app):
    client.post("/v1/environment-variables", json={"key": "FIRST_ONE"})
    client.post("/v1/environment-variables", json={"key": "SECOND_ONE"})
    client.post("/v1/environment-variables", json={"key": "THIRD"})
    assert [v["key"] for v in client.get("/v1/environment-variables").json()["data"]] == [
        "THIRD",
        "SECOND_ONE",
        "FIRST_ONE",
    ]
    assert [v["key"] for v in client.get("/v1/environment-variables", params={"search": "_one"}).json()["data"]] == [
        "SECOND_ONE",
        "FIRST_ONE",
    ]
    assert client.get("/v1/environment-variables", params={"search": ".*"}).json()["data"] == []
    renamed = client.patch("/v1/environment-variables/THIRD", json={"key": "THIRD_RENAMED", "isSecret": True})
    assert (renamed.json()["data"]["key"], renamed.json()["data"]["isSecret"]) == ("THIRD_RENAMED", True)
    assert client.get("/v1/environment-variables/THIRD").status_code == 404


def test_delete_takes_the_keys_value_and_the_variable_with_the_last_one(client, other_client, app):
    dev, prod = _id(app, KEY), _id(app, OTHER_KEY)
    client.post("/v1/environment-variables", json={"key": "SHARED", "values": [{"_environmentId": dev, "value": "d"}]})
    other_client.patch("/v1/environment-variables/SHARED", json={"values": [{"_environmentId": prod, "value": "p"}]})
    assert client.delete("/v1/environment-variables/SHARED").status_code == 204
    again = client.delete("/v1/environment-variables/SHARED")
    assert (again.status_code, again.json()["message"]) == (
        404,
        'Environment variable with key "SHARED" has no value for the authenticated environment',
    )
    assert other_client.get("/v1/environment-variables/SHARED").json()["data"]["values"] == [
        {"_environmentId": prod, "value": "p"}
    ]
    assert other_client.delete("/v1/environment-variables/SHARED").status_code == 204
    assert client.get("/v1/environment-variables/SHARED").status_code == 404


def test_usage_finds_whole_tokens_in_the_organizations_workflows(client, app):
    client.post("/v1/environment-variables", json={"key": "BASE_URL"})
    dev = app.backends[_id(app, KEY)]
    prod = app.backends[_id(app, OTHER_KEY)]
    def in_app(body: str) -> list[dict]:
        return [{"name": "Bell", "type": "in_app", "controlValues": {"body": body}}]

    dev.workflows.create(identifier="welcome", name="Welcome", steps=in_app("Start at {{env.BASE_URL}}/start"))
    dev.workflows.create(identifier="longer", name="Longer", steps=in_app("{{env.BASE_URL_2}}"))
    prod.workflows.create(identifier="prod-one", name="Prod one", steps=in_app("id env.BASE_URL"))
    usage = client.get("/v1/environment-variables/BASE_URL/usage")
    assert usage.status_code == 200
    assert sorted(usage.json()["data"]["workflows"], key=lambda item: item["workflowId"]) == [
        {"name": "Prod one", "workflowId": "prod-one"},
        {"name": "Welcome", "workflowId": "welcome"},
    ]
    assert client.get("/v1/environment-variables/NOPE/usage").status_code == 404


def test_organizations_do_not_share_variables():
    """Two Backends of different organizations never see each other's variables."""
    first = Backend(Environment("a" * 24, "Development", "1" * 24, "k1"))
    second = Backend(Environment("b" * 24, "Development", "2" * 24, "k2"))
    first.environment_variables.create(key="ONLY_FIRST", values=[{"_environmentId": "a" * 24, "value": "x"}])
    assert second.environment_variables.list() == []
    assert first.environment_variables.list()[0]["_organizationId"] == "1" * 24


def test_state_export_import_and_reset_touch_only_the_environments_values(client, other_client, app):
    dev, prod = _id(app, KEY), _id(app, OTHER_KEY)
    client.post("/v1/environment-variables", json={"key": "BOTH", "values": [{"_environmentId": dev, "value": "d"}]})
    other_client.patch("/v1/environment-variables/BOTH", json={"values": [{"_environmentId": prod, "value": "p"}]})
    client.post(
        "/v1/environment-variables",
        json={"key": "DEV_ONLY", "isSecret": True, "values": [{"_environmentId": dev, "value": "hidden"}]},
    )
    exported = client.get("/_mock/state").json()
    records = {record["key"]: record for record in exported["services"]["environment_variables"]}
    assert records["DEV_ONLY"]["value"] == "hidden"  # the state holds real values
    assert client.post("/_mock/reset", params={"empty": "true"}).json()["services"]["environment_variables"] == 0
    assert client.get("/v1/environment-variables/DEV_ONLY").status_code == 404
    assert other_client.get("/v1/environment-variables/BOTH").json()["data"]["values"] == [
        {"_environmentId": prod, "value": "p"}
    ]
    assert client.put("/_mock/state", json=exported).status_code == 200
    assert client.get("/v1/environment-variables/BOTH").json()["data"]["values"] == [
        {"_environmentId": dev, "value": "d"}
    ]
    assert app.backends[dev].environment_variables.values_for_environment() == {"BOTH": "d", "DEV_ONLY": "hidden"}
    assert other_client.get("/v1/environment-variables/BOTH").json()["data"]["values"] == [
        {"_environmentId": prod, "value": "p"}
    ]


def test_a_deleted_environment_takes_its_values_with_it(client, app):
    made = client.post("/v1/environments", json={"name": "Temp", "color": "#000000"}).json()["data"]
    key = next(
        item["apiKey"] for item in client.get("/_mock/environments").json()["environments"] if item["id"] == made["_id"]
    )
    with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as temp:
        temp.post(
            "/v1/environment-variables",
            json={"key": "TEMP_ONLY", "values": [{"_environmentId": made["_id"], "value": "t"}]},
        )
        assert client.get("/v1/environment-variables/TEMP_ONLY").status_code == 200  # the organization's
        temp.delete(f"/v1/environments/{made['_id']}")
    assert client.get("/v1/environment-variables/TEMP_ONLY").status_code == 404


def test_state_file_keeps_variables_of_every_environment(tmp_path):
    settings = Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=7, fixtures=False,
                        state_file=tmp_path / "state.json")  # fmt: skip
    app = create_app(settings)
    dev, prod = _id(app, KEY), _id(app, OTHER_KEY)
    with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as client:
        client.post(
            "/v1/environment-variables", json={"key": "KEPT", "values": [{"_environmentId": dev, "value": "d"}]}
        )
        with TestClient(app, headers={"Authorization": f"ApiKey {OTHER_KEY}"}) as other:
            other.patch("/v1/environment-variables/KEPT", json={"values": [{"_environmentId": prod, "value": "p"}]})
        # renamed by Development: Production's saved view must follow
        client.patch("/v1/environment-variables/KEPT", json={"key": "KEPT_RENAMED"})
    again = create_app(settings)
    with TestClient(again, headers={"Authorization": f"ApiKey {OTHER_KEY}"}) as other:
        assert [variable["key"] for variable in other.get("/v1/environment-variables").json()["data"]] == [
            "KEPT_RENAMED"
        ]
        assert other.get("/v1/environment-variables/KEPT_RENAMED").json()["data"]["values"] == [
            {"_environmentId": prod, "value": "p"}
        ]
    with TestClient(again, headers={"Authorization": f"ApiKey {KEY}"}) as client:
        assert client.get("/v1/environment-variables/KEPT_RENAMED").json()["data"]["values"] == [
            {"_environmentId": dev, "value": "d"}
        ]
