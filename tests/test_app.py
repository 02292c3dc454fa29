"""The app as a whole, in-process: reference docs, spec documents, limits and isolation."""

from __future__ import annotations

import json

import httpx
import yaml
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.serving import running
from mock_server.settings import Settings, default_spec_path
from tests.conftest import KEY


def test_swagger_ui_and_spec_documents_are_served(client) -> None:
    docs = client.get("/docs/")
    assert docs.status_code == 200 and "swagger-ui" in docs.text.lower()
    source = yaml.safe_load(default_spec_path().read_text())
    served_json = client.get("/openapi.json")
    assert served_json.status_code == 200
    assert served_json.json()["paths"].keys() == source["paths"].keys()
    assert served_json.json() == source
    served_yaml = client.get("/openapi.yaml")
    assert served_yaml.status_code == 200 and served_yaml.headers["content-type"].startswith("application/yaml")
    assert served_yaml.content == default_spec_path().read_bytes()


def test_environments_are_isolated(client, other_client) -> None:
    mine = client.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "identifier": "shared-name"})
    assert mine.status_code == 201
    # the same identifier is free in the other environment: uniqueness is per environment
    theirs = other_client.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "identifier": "shared-name"})
    assert theirs.status_code == 201
    mine_id, theirs_id = mine.json()["data"]["_id"], theirs.json()["data"]["_id"]
    assert other_client.delete(f"/v1/integrations/{mine_id}").status_code == 404
    assert client.put(f"/v1/integrations/{theirs_id}", json={"name": "x"}).status_code == 404
    assert {i["_environmentId"] for i in client.get("/v1/integrations").json()["data"]} == {mine.json()["data"]["_environmentId"]}


def test_fixtures_are_on_by_default_and_can_be_turned_off(client) -> None:
    assert len(client.get("/v1/integrations").json()["data"]) >= 10
    empty = create_app(Settings(api_keys={KEY: "Development"}, fixtures=False))
    with TestClient(empty, headers={"Authorization": f"ApiKey {KEY}"}) as http:
        assert http.get("/v1/integrations").json() == {"data": []}


def test_rate_limit_answers_429_with_retry_after() -> None:
    app = create_app(Settings(api_keys={KEY: "Development"}, rate_limit_per_second=2, fixtures=False))
    with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as http:
        statuses = [http.get("/v1/integrations") for _ in range(4)]
    assert [r.status_code for r in statuses][:3] == [200, 200, 200]  # burst of 3 (2 + 10 %, rounded up)
    refused = statuses[3]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.json()["statusCode"] == 429


def test_chunked_body_over_the_limit_is_413() -> None:
    """A body sent without Content-Length is counted as it arrives (real HTTP, chunked encoding)."""
    settings = Settings(port=0, api_keys={KEY: "Development"}, max_body_bytes=1000, fixtures=False)

    def chunks():
        yield b'{"providerId": "ses", "channel": "email", "name": "'
        for _ in range(20):
            yield b"x" * 100
        yield b'"}'

    headers = {"Authorization": f"ApiKey {KEY}", "Content-Type": "application/json"}
    with running(settings) as base_url, httpx.Client(base_url=base_url, headers=headers) as http:
        plain = http.post("/v1/integrations", content=chunks())
        assert plain.request.headers["transfer-encoding"] == "chunked"
        assert plain.status_code == 413 and plain.json()["statusCode"] == 413
        keyed = http.post("/v1/integrations", content=chunks(), headers={"idempotency-key": "k"})
        assert keyed.status_code == 413
        assert http.get("/v1/integrations").json() == {"data": []}, "nothing was created"


def test_validation_errors_name_every_field(client) -> None:
    body = {"providerId": "sendgrid", "channel": "email", "conditions": [{"isNegated": "no", "children": [{}]}]}
    response = client.post("/v1/integrations", json=body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "conditions.0.isNegated" in errors
    assert {"conditions.0.type", "conditions.0.value", "conditions.0.children.0.field"} <= set(errors)
    assert errors["conditions.0.isNegated"]["value"] == "no"


def test_json_body_must_be_an_object(client) -> None:
    for raw in (b"[]", b'"text"', b"42", b"null"):
        response = client.post("/v1/integrations", content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code in (400, 422), raw
        assert json.loads(response.text)["statusCode"] == response.status_code


def test_hostile_bodies_get_novu_4xx_never_5xx(client) -> None:
    cases = {
        b'{"providerId": "ses", "channel": "email", "credentials": ' + b"[" * 50_000 + b"]" * 50_000 + b"}": 400,
        b'{"providerId": "ses", "channel": "email", "active": 1e999}': 422,
        b'{"providerId": "ses", "channel": "email", "active": NaN}': 400,  # not JSON: Node's JSON.parse refuses it
        '{"providerId": "ses", "channel": "email"}'.encode("utf-16"): 400,
        b"\xef\xbb\xbf" + b'{"providerId": "ses", "channel": "email"}': 201,  # a BOM is tolerated
        b'{"providerId": "ses", "channel": "email", "name": "\\ud800 lone surrogate"}': 201,
    }
    for raw, status in cases.items():
        response = client.post("/v1/integrations", content=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == status, (raw[:60], response.text)
        assert response.json()["statusCode" if status >= 400 else "data"]


def test_key_with_non_ascii_bytes_is_401(app) -> None:
    with TestClient(app) as http:
        response = http.get("/v1/integrations", headers=[(b"authorization", b"ApiKey \xe9\xff")])
    assert response.status_code == 401


def test_operations_with_several_content_types_log_nothing_per_request(client, caplog) -> None:
    # the inbound webhook takes JSON or text; Connexion would log a warning at every such request
    # that names no content type
    with caplog.at_level("WARNING"):
        for body in (b"[]", b"", b"{}"):
            client.post("/v2/inbound-webhooks/delivery-providers/unknown/unknown", content=body)
            client.post("/v2/translations/upload", content=body, headers={"Authorization": f"ApiKey {KEY}"})
    assert not [record for record in caplog.records if "multiple content types" in record.getMessage()]
