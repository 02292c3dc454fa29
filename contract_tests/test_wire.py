"""The wire format every answer shares: envelopes, Novu error bodies, headers, idempotency."""

from __future__ import annotations

import uuid

import httpx
import pytest

RATE_LIMIT_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")


def _assert_error(response: httpx.Response, status: int, path: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["statusCode"] == status
    assert body["path"] == path
    assert body["timestamp"].endswith("Z")
    assert "message" in body
    return body


def test_every_answer_carries_rate_limit_headers(client, target) -> None:
    for response in (
        client.get("/v1/integrations"),
        client.get("/v1/integrations/" + "0" * 24 + "/nope"),
        httpx.get(f"{target.url}/v1/integrations"),
        httpx.get(f"{target.url}/v1/health-check"),
    ):
        for header in RATE_LIMIT_HEADERS:
            assert header in response.headers, (response.request.url, header)
        assert 'comment="token bucket"' in response.headers["RateLimit-Policy"]


def test_missing_or_unknown_key_is_401(target) -> None:
    _assert_error(httpx.get(f"{target.url}/v1/integrations"), 401, "/v1/integrations")
    wrong = httpx.get(f"{target.url}/v1/integrations", headers={"Authorization": "ApiKey not-a-real-key"})
    _assert_error(wrong, 401, "/v1/integrations")
    bearer = httpx.get(f"{target.url}/v1/integrations", headers={"Authorization": f"Bearer {target.api_key}"})
    _assert_error(bearer, 401, "/v1/integrations")


def test_health_check_needs_no_key(target) -> None:
    response = httpx.get(f"{target.url}/v1/health-check")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "ok"


def test_schema_violations_are_422_keyed_by_field(client) -> None:
    response = client.post("/v1/integrations", json={"providerId": 42, "channel": 7, "active": "yes"})
    body = _assert_error(response, 422, "/v1/integrations")
    assert set(body["errors"]) >= {"providerId", "channel", "active"}
    assert body["errors"]["providerId"]["value"] == 42
    assert all(entry["messages"] for entry in body["errors"].values())
    missing = client.post("/v1/integrations", json={"name": "no provider"})
    assert set(_assert_error(missing, 422, "/v1/integrations")["errors"]) == {"providerId"}


def test_query_violations_are_422_under_errors_general(client) -> None:
    """A query argument Novu's validation pipe refuses: 422 'Validation Error' with the class-validator
    sentences under errors.general (inbox/e2e/get-notifications.e2e.ts 'offset must not be less than
    0', layouts-v2/e2e/list-layouts.e2e.ts), where a body's failures are keyed by field."""
    response = client.get("/v2/layouts", params={"limit": 101})
    body = _assert_error(response, 422, "/v2/layouts?limit=101")
    assert body["message"] == "Validation Error"
    assert set(body["errors"]) == {"general"}
    assert "limit must not be greater than 100" in body["errors"]["general"]["messages"]


def test_malformed_and_non_json_bodies(client) -> None:
    broken = client.post("/v1/integrations", content=b'{"providerId": ', headers={"Content-Type": "application/json"})
    _assert_error(broken, 400, "/v1/integrations")
    not_utf8 = client.post("/v1/integrations", content=b"\xff\xfe{}", headers={"Content-Type": "application/json"})
    _assert_error(not_utf8, 400, "/v1/integrations")
    text = client.post("/v1/integrations", content=b"providerId=sendgrid", headers={"Content-Type": "text/plain"})
    _assert_error(text, 415, "/v1/integrations")


def test_unknown_path_and_wrong_method_are_nests_404(client) -> None:
    """Nest's not-found handler (Express has no 405): `Cannot METHOD url`, before any guard, so
    with or without a key."""
    unknown = client.get("/v1/no-such-thing?x=1")
    _assert_error(unknown, 404, "/v1/no-such-thing?x=1")
    assert unknown.json()["message"] == "Cannot GET /v1/no-such-thing?x=1"
    wrong = client.patch("/v1/integrations", json={})
    _assert_error(wrong, 404, "/v1/integrations")
    assert wrong.json()["message"] == "Cannot PATCH /v1/integrations" and "Allow" not in wrong.headers
    keyless = client.patch("/v1/integrations", json={}, headers={"Authorization": ""})
    assert keyless.status_code == 404


def test_oversized_body_is_413(client, target) -> None:
    if not target.is_local_mock:
        pytest.skip("the size limit is the mock's own (2 MiB by default)")
    huge = client.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "name": "x" * (3 * 1024 * 1024)})
    _assert_error(huge, 413, "/v1/integrations")


def test_very_long_uri_is_414(client, target) -> None:
    if not target.is_local_mock:
        pytest.skip("the URI limit is the mock's own (8192 characters)")
    url = "/v1/integrations?q=" + "a" * 9000
    _assert_error(client.get(url), 414, url)


def test_odd_unicode_round_trips(client) -> None:
    name = "Bäckerei 🍞 \u202e\u0000 \ud7ff"
    response = client.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "name": name})
    assert response.status_code == 201
    integration = response.json()["data"]
    assert integration["name"] == name
    client.delete(f"/v1/integrations/{integration['_id']}")


def test_idempotent_replay_and_refusals(client) -> None:
    key = f"contract-{uuid.uuid4()}"
    body = {"providerId": "telnyx", "channel": "sms", "identifier": f"contract-{uuid.uuid4().hex[:8]}"}
    first = client.post("/v1/integrations", json=body, headers={"idempotency-key": key})
    assert first.status_code == 201
    assert first.headers["Idempotency-Key"] == key
    assert "Idempotency-Replay" not in first.headers

    again = client.post("/v1/integrations", json=body, headers={"idempotency-key": key})
    assert again.status_code == 201
    assert again.headers["Idempotency-Replay"] == "true"
    assert again.json() == first.json(), "the kept response, not a second integration"
    assert sum(i["identifier"] == body["identifier"] for i in client.get("/v1/integrations").json()["data"]) == 1

    other = client.post("/v1/integrations", json={**body, "name": "changed"}, headers={"idempotency-key": key})
    refusal = _assert_error(other, 422, "/v1/integrations")
    assert refusal["message"] == f'Request with key "{key}" is being reused for a different body'

    too_long = client.post("/v1/integrations", json=body, headers={"idempotency-key": "k" * 256})
    assert "255" in _assert_error(too_long, 400, "/v1/integrations")["message"]

    # GET is never idempotency-checked: the same key on a read is just echoed.
    read = client.get("/v1/integrations", headers={"idempotency-key": key})
    assert read.status_code == 200 and "Idempotency-Replay" not in read.headers
    client.delete(f"/v1/integrations/{first.json()['data']['_id']}")


def test_errors_are_kept_and_replayed_too(client) -> None:
    key = f"contract-{uuid.uuid4()}"
    body = {"providerId": "ses", "channel": "nope"}
    first = client.post("/v1/integrations", json=body, headers={"idempotency-key": key})
    second = client.post("/v1/integrations", json=body, headers={"idempotency-key": key})
    assert first.status_code == second.status_code == 422
    assert second.headers["Idempotency-Replay"] == "true"
    assert second.json() == first.json()


def test_cors_allows_a_local_frontend(target) -> None:
    if not target.is_local_mock:
        pytest.skip("CORS policy is the mock's own")
    preflight = httpx.options(
        f"{target.url}/v1/integrations",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
    foreign = httpx.options(
        f"{target.url}/v1/integrations",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in foreign.headers
