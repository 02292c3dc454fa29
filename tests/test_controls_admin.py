"""The admin API under /_mock/: reset, state export and import, its own document, the same keys."""

from __future__ import annotations

import copy

from openapi_spec_validator import validate

from tests.conftest import KEY


def _identifiers(client) -> set[str]:
    return {integration["identifier"] for integration in client.get("/v1/integrations").json()["data"]}


def test_admin_document_is_valid_openapi_and_names_the_services(client) -> None:
    response = client.get("/_mock/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert {"/reset", "/state", "/requests", "/config"} <= set(document["paths"])
    services = document["components"]["schemas"]["StateDocument"]["properties"]["services"]["properties"]
    # each store service is typed by the Novu contract's own record schema
    assert services["integrations"]["items"]["$ref"] == "#/components/schemas/IntegrationResponseDto"
    assert "IntegrationResponseDto" in document["components"]["schemas"]


def test_admin_needs_a_known_key(app) -> None:
    from starlette.testclient import TestClient

    with TestClient(app) as anonymous:
        for method, path in (("GET", "/_mock/state"), ("POST", "/_mock/reset"), ("GET", "/_mock/requests"), ("GET", "/_mock/config")):
            response = anonymous.request(method, path)
            assert response.status_code == 401, (method, path)
            assert response.json()["statusCode"] == 401
        wrong = anonymous.get("/_mock/state", headers={"Authorization": "ApiKey nope"})
        assert wrong.status_code == 401


def test_reset_goes_back_to_the_same_seeded_fixtures(client) -> None:
    seeded = client.get("/v1/integrations").json()["data"]
    created = client.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "identifier": "temp"})
    assert created.status_code == 201
    client.delete(f"/v1/integrations/{seeded[0]['_id']}")
    reset = client.post("/_mock/reset")
    assert reset.status_code == 200
    counts = reset.json()["services"]
    assert counts["integrations"] == len(seeded)
    assert set(counts) == {"integrations", "workflows", "subscribers", "preferences", "contexts", "channel_connections",
                           "channel_endpoints", "topics", "inbox", "domains", "delivery_events",
                           "environment_variables"}  # fmt: skip
    assert all(counts.values()), f"the fixtures seed every service: {counts}"
    assert client.get("/v1/integrations").json()["data"] == seeded, "same ids, timestamps and fields as at start"


def test_reset_empty_leaves_no_data(client) -> None:
    counts = client.post("/_mock/reset", params={"empty": "true"}).json()["services"]
    assert counts and set(counts.values()) == {0}
    assert client.get("/v1/integrations").json()["data"] == []
    assert client.get("/_mock/state").json()["services"] == {name: [] for name in counts}


def test_reset_touches_only_the_keys_environment(client, other_client) -> None:
    theirs = other_client.get("/v1/integrations").json()["data"]
    client.post("/_mock/reset", params={"empty": "true"})
    assert other_client.get("/v1/integrations").json()["data"] == theirs


def test_export_then_import_restores_everything(client) -> None:
    exported = client.get("/_mock/state").json()
    assert exported["version"] == 1
    records = exported["services"]["integrations"]
    assert records and any(record["credentials"] for record in records), "credentials are kept in the export"
    before = client.get("/v1/integrations").json()["data"]

    client.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "identifier": "after-export"})
    client.delete(f"/v1/integrations/{before[0]['_id']}")
    imported = client.put("/_mock/state", json=exported)
    assert imported.status_code == 200
    assert imported.json() == {"services": {name: len(items) for name, items in exported["services"].items()}}
    assert client.get("/v1/integrations").json()["data"] == before
    assert client.get("/_mock/state").json() == exported


def test_an_export_can_be_imported_into_another_environment(client, other_client) -> None:
    exported = client.get("/_mock/state").json()
    assert other_client.put("/_mock/state", json=exported).status_code == 200
    theirs = other_client.get("/v1/integrations").json()["data"]
    assert {i["identifier"] for i in theirs} == _identifiers(client)
    their_environment = other_client.get("/_mock/state").json()["environment"]["id"]
    assert {i["_environmentId"] for i in theirs} == {their_environment}, "records land in the importer's environment"
    # still two separate environments: a change in one is not seen in the other
    client.delete(f"/v1/integrations/{theirs[0]['_id']}")
    assert theirs[0]["_id"] in {i["_id"] for i in other_client.get("/v1/integrations").json()["data"]}


def test_a_wrong_document_is_422_and_changes_nothing(client) -> None:
    before = client.get("/_mock/state").json()
    broken = copy.deepcopy(before)
    broken["services"]["integrations"][0]["active"] = "yes"
    del broken["services"]["integrations"][1]["identifier"]
    response = client.put("/_mock/state", json=broken)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "services.integrations.0.active" in errors
    assert "services.integrations.1.identifier" in errors
    for document in ({"services": {"subscribers-of-mars": []}}, {"version": 2, "services": {}}, {}, []):
        refused = client.put("/_mock/state", json=document)
        assert refused.status_code == 422, document
    assert client.get("/_mock/state").json() == before


def test_a_document_breaking_a_store_rule_is_409_and_changes_nothing(client) -> None:
    before = client.get("/_mock/state").json()
    duplicated = copy.deepcopy(before)
    twin = copy.deepcopy(duplicated["services"]["integrations"][0])
    twin["_id"] = "f" * 24
    duplicated["services"]["integrations"].append(twin)
    response = client.put("/_mock/state", json=duplicated)
    assert response.status_code == 409
    assert twin["identifier"] in response.json()["message"]
    assert client.get("/_mock/state").json() == before


def test_import_is_all_or_nothing_across_services(app) -> None:
    """Backend.import_state puts every service back when one of them refuses its part."""
    import pytest

    from mock_server.errors import Conflict

    backend = next(iter(app.backends))
    before = backend.export_state()

    class Refusing:
        RECORD_SCHEMA = "IntegrationResponseDto"

        def snapshot(self):
            return []

        def restore(self, records):
            if records:
                raise Conflict("refused")

    backend.zz_refusing = Refusing()  # a second service, restored after integrations
    try:
        with pytest.raises(Conflict):
            backend.import_state({"integrations": [], "zz_refusing": [{"x": 1}]})
        assert backend.export_state()["integrations"] == before["integrations"]
    finally:
        del backend.zz_refusing


def test_admin_is_not_rate_limited(app) -> None:
    from starlette.testclient import TestClient

    with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as http:
        http.patch("/_mock/config", json={"rateLimit": 1})
        statuses = [http.get("/v1/integrations").status_code for _ in range(4)]
        assert 429 in statuses
        assert all(http.get("/_mock/config").status_code == 200 for _ in range(10))
        assert http.delete("/_mock/config").json()["rateLimit"] == 1000


def test_reset_resets_every_service_not_only_the_exported_ones(client) -> None:
    searched = client.get("/v2/subscribers", params={"limit": 100}).json()["data"]
    assert searched, "the fixtures seed subscribers"
    assert client.post("/v2/subscribers", json={"subscriberId": "added-before-reset"}).status_code == 201
    client.post("/_mock/reset")
    after = client.get("/v2/subscribers", params={"limit": 100}).json()["data"]
    assert [s["subscriberId"] for s in after] == [s["subscriberId"] for s in searched]
    client.post("/_mock/reset", params={"empty": "true"})
    assert client.get("/v2/subscribers", params={"limit": 100}).json()["data"] == []
