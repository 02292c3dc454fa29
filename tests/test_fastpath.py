"""The compiled path answers exactly as Connexion does, and only what it can answer in full.

Two apps with the same seed, one with the compiled path (the default) and one without, get the
same requests in the same order; every answer must match: status, headers, JSON body (ids and
times made now differ between the two apps and are compared by shape).
"""

from __future__ import annotations

import re
from unittest import mock

import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.fastpath import FastPath
from mock_server.settings import Settings

KEY = "test-key-development"
OTHER_KEY = "test-key-production"
AUTH = {"Authorization": f"ApiKey {KEY}"}
_JSON = {"Content-Type": "application/json"}

_OBJECT_ID = re.compile(r"^([0-9a-f]{24}|[0-9a-f]{32})$")  # object ids, transaction ids
_EMBEDDED_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])")  # txn_<id>, ids within links
_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def _shape(value):
    """Ids and times are made per app; everything else must be equal."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    if isinstance(value, str) and _OBJECT_ID.match(value):
        return "<id>"
    if isinstance(value, str) and _MOMENT.match(value):
        return "<moment>"
    if isinstance(value, str) and value.startswith("errorId"):
        return "<errorId>"
    if isinstance(value, str):
        return _EMBEDDED_ID.sub("<id>", value)
    return value


def _settings(fast: bool) -> Settings:
    return Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=7, fast_path=fast)


@pytest.fixture
def both():
    with TestClient(create_app(_settings(True))) as fast, TestClient(create_app(_settings(False))) as general:
        yield fast, general


def _seeded_subscriber(client: TestClient) -> dict:
    return client.get("/v2/subscribers", params={"limit": 1}, headers=AUTH).json()["data"][0]


def _same(fast: TestClient, general: TestClient, method: str, url: str, **kwargs):
    one = fast.request(method, url, **kwargs)
    other = general.request(method, url, **kwargs)
    assert one.status_code == other.status_code, (method, url, one.text, other.text)
    skip = {"ratelimit-reset", "date"}
    assert {k: v for k, v in one.headers.items() if k not in skip} == {
        k: v for k, v in other.headers.items() if k not in skip
    }, (method, url)
    if one.headers.get("content-type", "").startswith("application/json"):
        assert _shape(one.json()) == _shape(other.json()), (method, url)
    else:
        assert one.content == other.content
    return one


def test_the_benchmark_mix_answers_the_same_and_goes_through_the_compiled_path(both) -> None:
    fast, general = both
    subscriber = _seeded_subscriber(fast)
    subscriber_id, email = subscriber["subscriberId"], subscriber["email"]
    with mock.patch.object(FastPath, "_answer", autospec=True, side_effect=FastPath._answer) as answered:
        requests = [
            ("GET", "/v1/integrations", {}),
            ("POST", "/v2/subscribers", {"json": {"subscriberId": "fast-path-1", "email": "fast@example.com", "firstName": "Ada"}}),
            ("GET", f"/v2/subscribers/{subscriber_id}", {}),
            ("GET", f"/v2/subscribers?email={email}&limit=5", {}),
            ("PATCH", f"/v2/subscribers/{subscriber_id}", {"json": {"lastName": "Lovelace", "data": {"tier": 3}}}),
            ("GET", f"/v1/subscribers/{subscriber_id}/notifications/feed?page=0&limit=5", {}),
            ("GET", f"/v1/subscribers/{subscriber_id}/notifications/unseen?seen=false", {}),
            ("GET", "/v2/subscribers/fast-path-1", {}),
            ("DELETE", "/v2/subscribers/fast-path-1", {}),
        ]
        for method, url, extra in requests:
            _same(fast, general, method, url, headers=AUTH, **extra)
    # every one of them was answered by the compiled path of the fast app
    assert answered.call_count == len(requests)


def test_trigger_then_the_inbox_answer_the_same(both) -> None:
    fast, general = both
    subscriber_id = _seeded_subscriber(fast)["subscriberId"]
    workflows = fast.get("/_mock/state", headers=AUTH).json()["services"]["workflows"]
    workflow = workflows[0]["identifier"]
    body = {"name": workflow, "to": subscriber_id, "payload": {"orderId": "A-1", "items": [1, 2, {"deep": None}]}}
    _same(fast, general, "POST", "/v1/events/trigger", headers=AUTH, json=body)
    _same(fast, general, "GET", f"/v1/subscribers/{subscriber_id}/notifications/feed", headers=AUTH)
    _same(fast, general, "GET", "/v1/messages?limit=3", headers=AUTH)


@pytest.mark.parametrize(
    ("method", "url", "extra"),
    [
        ("GET", "/v1/integrations", {"headers": {"Authorization": "ApiKey nope"}}),  # 401
        ("GET", "/v1/integrations", {"headers": {}}),  # no key
        ("GET", "/v2/subscribers/does-not-exist", {}),  # 404 raised by the handler
        ("PATCH", "/v2/subscribers/does-not-exist", {"json": {"firstName": "x"}}),
        ("POST", "/v2/subscribers", {"json": {"subscriberId": 12}}),  # 422
        ("POST", "/v2/subscribers", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
        ("POST", "/v2/subscribers", {"content": b'{"subscriberId": "x"}', "headers": {"Content-Type": "text/plain"}}),
        ("POST", "/v2/subscribers", {"content": b"", "headers": {"Content-Type": "application/json"}}),
        # read as Novu's body parser reads them (jsoncodec.read_body), on both paths
        ("POST", "/v2/subscribers", {"content": b'{"subscriberId": "n", "data": {"a": NaN}}', "headers": _JSON}),
        ("POST", "/v2/subscribers", {"content": b'{"subscriberId": "b", "data": {"a": 1' + b"0" * 5000 + b"}}", "headers": _JSON}),
        ("POST", "/v2/subscribers", {"content": b'{"subscriberId": "s", "lastName": "\\udfff"}', "headers": _JSON}),
        ("POST", "/v2/subscribers", {"content": b'{"subscriberId": "d", "data": ' + b"[" * 300 + b"]" * 300 + b"}", "headers": _JSON}),
        ("POST", "/v2/subscribers", {"content": b'{"subscriberId": "c"}'}),  # no Content-Type
        ("POST", "/v2/subscribers", {"content": b"42", "headers": _JSON}),
        ("GET", "/v2/subscribers?limit=abc", {}),
        ("GET", "/v2/subscribers?limit=5&limit=6", {}),
        ("GET", "/v1/integrations?__code=500", {}),  # the choose stage
        ("GET", "/v1/integrations", {"headers": {"Prefer": "code=404"}}),
        ("DELETE", "/v1/integrations", {}),  # no route: 404 Cannot DELETE
        ("GET", "/v1/nothing-here", {}),
    ],
)
def test_what_the_compiled_path_declines_is_answered_as_before(both, method, url, extra) -> None:
    fast, general = both
    extra = dict(extra)
    given = extra.pop("headers", None)
    headers = {} if given == {} else {**AUTH, **(given or {})}
    _same(fast, general, method, url, headers=headers, **extra)


def test_data_of_one_environment_stays_invisible_to_another_on_the_compiled_path(both) -> None:
    fast, _ = both
    created = fast.post("/v2/subscribers", headers=AUTH, json={"subscriberId": "only-in-development"})
    assert created.status_code == 201
    other = fast.get("/v2/subscribers/only-in-development", headers={"Authorization": f"ApiKey {OTHER_KEY}"})
    assert other.status_code == 404
    assert other.json()["statusCode"] == 404


def _entries(client: TestClient) -> list[dict]:
    """The journal, without what differs between two apps by nature (ids, times, latencies, and the
    ids and times answers carry)."""
    requests = client.get("/_mock/requests", headers=AUTH).json()["requests"]
    differ = {"id", "time", "latencyMs", "environmentId"}
    in_answers = {"timestamp", "_id", "_environmentId", "_organizationId", "createdAt", "updatedAt"}
    def without(value):
        if isinstance(value, dict):
            return {k: without(v) for k, v in value.items() if k not in in_answers}
        return [without(v) for v in value] if isinstance(value, list) else value

    return [{k: without(v) if k == "responseBody" else v for k, v in entry.items() if k not in differ}
            for entry in requests]  # fmt: skip


def test_the_journal_records_what_the_compiled_path_answers_as_the_journal_middleware_does(both) -> None:
    fast, general = both
    subscriber_id = _seeded_subscriber(fast)["subscriberId"]
    with mock.patch.object(FastPath, "_answer", autospec=True, side_effect=FastPath._answer) as answered:
        _same(fast, general, "GET", f"/v2/subscribers/{subscriber_id}?x=1", headers=AUTH)
        _same(fast, general, "GET", "/v2/subscribers/nobody-by-that-id", headers=AUTH)  # a handler's 404
        _same(fast, general, "POST", "/v2/subscribers", headers=AUTH, json={"subscriberId": "journal-1"})
    assert answered.call_count == 3
    fast_entries, general_entries = _entries(fast)[-3:], _entries(general)  # fast also had the seeded lookup
    assert fast_entries == general_entries
    missing = fast_entries[1]
    assert missing["status"] == 404 and "nobody-by-that-id" in missing["message"]
    assert missing["operationId"] == "SubscribersController_getSubscriber"


@pytest.mark.parametrize("fast", [True, False])
def test_a_request_takes_one_rate_limit_token_on_either_path(fast) -> None:
    settings = Settings(api_keys={KEY: "Development"}, seed=7, rate_limit_per_second=5, fast_path=fast)
    with TestClient(create_app(settings)) as client:
        remaining = [int(client.get("/v1/integrations", headers=AUTH).headers["ratelimit-remaining"]) for _ in range(3)]
    assert remaining == [5, 4, 3]  # a burst of 6 (110 % of 5, rounded up), one token per request


def test_an_empty_bucket_answers_429_through_the_wire_with_one_token_taken() -> None:
    settings = Settings(api_keys={KEY: "Development"}, seed=7, rate_limit_per_second=1)
    with TestClient(create_app(settings)) as client:
        with mock.patch.object(FastPath, "_answer", autospec=True, side_effect=FastPath._answer) as answered:
            statuses = [client.get("/v1/integrations", headers=AUTH).status_code for _ in range(4)]
        refused = client.get("/v1/integrations", headers=AUTH)
    assert statuses[0] == 200 and statuses[-1] == 429  # burst of 2 (110 % of 1, rounded up)
    assert statuses.count(200) == answered.call_count  # what was refused was not answered by the compiled path
    assert refused.status_code == 429 and refused.json()["statusCode"] == 429
    assert int(refused.headers["retry-after"]) >= 1 and refused.headers["ratelimit-remaining"] == "0"


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Origin": "http://localhost:3000"}, "CORS answers browser requests"),
        ({"Idempotency-Key": "fast-path-key-1"}, "the wire keeps keyed answers"),
    ],
)
def test_what_the_layers_below_treat_specially_is_declined_and_answered_as_before(both, headers, why) -> None:
    fast, general = both
    with mock.patch.object(FastPath, "_answer", autospec=True, side_effect=FastPath._answer) as answered:
        body = {"subscriberId": "declined-1"}
        one = _same(fast, general, "POST", "/v2/subscribers", headers={**AUTH, **headers}, json=body)
    assert one.status_code == 201
    assert answered.call_count == 0, why
    for name, value in headers.items():
        if name == "Origin":
            assert one.headers["access-control-allow-origin"] == value
        else:
            assert one.headers["idempotency-key"] == value


def test_configured_faults_are_applied_to_requests_the_compiled_path_would_answer() -> None:
    with TestClient(create_app(_settings(True))) as client:
        changed = client.patch("/_mock/config", headers=AUTH, json={"errorRate": 1.0})
        assert changed.status_code == 200, changed.text
        failed = client.get("/v1/integrations", headers=AUTH)
        assert failed.status_code in (500, 503) and failed.json()["statusCode"] == failed.status_code
        assert "ratelimit-limit" in failed.headers
        client.patch("/_mock/config", headers=AUTH, json={"errorRate": 0})
        assert client.get("/v1/integrations", headers=AUTH).status_code == 200
