"""Inputs a client may send that Novu reads in its own way: each is answered as Novu answers it
(never a 5xx), on the compiled path and without it, and nothing accepted breaks a later answer.

These tests need only the runtime dependencies (``pip install -e .`` plus pytest and httpx): CI runs
them in a venv without the test extra too, so a format checker that only the test extra brought in
would show here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from jsonschema import Draft4Validator
from starlette.testclient import TestClient

from mock_server import jsoncodec
from mock_server.app import create_app
from mock_server.ratelimit import BULK_COST, OperationCosts, RateLimiter
from mock_server.settings import Settings, default_spec_path
from mock_server.spec import load_spec
from tests.fakes import Clock

KEY = "test-key-development"
AUTH = {"Authorization": f"ApiKey {KEY}"}
JSON = {**AUTH, "Content-Type": "application/json"}


@pytest.fixture(params=[True, False], ids=["compiled", "connexion"])
def client(request) -> Iterator[TestClient]:
    settings = Settings(api_keys={KEY: "Development"}, seed=7, fast_path=request.param)
    with TestClient(create_app(settings), headers=AUTH) as http:
        yield http


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and body["path"] and body["timestamp"] and body["message"]
    return body


def _workflow(client: TestClient) -> str:
    return client.get("/_mock/state").json()["services"]["workflows"][0]["identifier"]


def _nested(depth: int) -> object:
    """A value of ``depth`` levels of arrays, built as text (no recursion)."""
    return json.loads("[" * depth + "]" * depth)


def _later_answers_work(client: TestClient) -> None:
    for url in ("/_mock/state", "/v1/notifications", "/v1/messages", "/v2/subscribers?limit=100"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text[:300])


# -- formats ---------------------------------------------------------------------------------------


def test_every_format_of_the_spec_has_a_checker_at_run_time() -> None:
    """jsonschema checks a format only when the library for it is installed; a missing one lets
    ``snoozeUntil: garbage`` through to the handler. The runtime dependencies must bring each one."""
    used: set[str] = set()
    stack = [load_spec(default_spec_path()).document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            # "binary" marks the file parts of a multipart body: validation.NovuMultipartValidator
            # hands files to the handler and checks only the text fields, so no checker reads it
            if isinstance(node.get("format"), str) and node.get("type") == "string" and node["format"] != "binary":
                used.add(node["format"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert used, "the spec uses formats"
    assert used <= set(Draft4Validator.FORMAT_CHECKER.checkers), used - set(Draft4Validator.FORMAT_CHECKER.checkers)


def test_query_failures_are_listed_together_under_general(client) -> None:
    """Novu's validation pipe checks the query as one object and lists every sentence under
    errors.general (inbox/e2e/get-notifications.e2e.ts, layouts-v2/e2e/list-layouts.e2e.ts)."""
    body = _error(client.get("/v1/subscribers?page=-1&limit=abc"), 422)
    assert body["message"] == "Validation Error"
    assert body["errors"] == {
        "general": {
            "messages": [
                "page must not be less than 0",
                "limit must be a number conforming to the specified constraints",
            ]
        }
    }
    refused = _error(client.get("/v2/topics", params={"orderDirection": "sideways"}), 422)
    assert refused["errors"]["general"]["messages"] == ["orderDirection must be one of the following values: ASC, DESC"]


def test_a_list_argument_is_refused_for_each_value(client) -> None:
    """class-validator's ``each: true`` words an item's failure "each value in <name> ..."."""
    body = _error(client.get("/v1/notifications", params={"severity": "foo"}), 422)
    [message] = body["errors"]["general"]["messages"]
    assert message == "each value in severity must be one of the following values: high, medium, low, none"


def test_a_path_argument_is_refused_like_a_query_one(client) -> None:
    """DELETE /v1/messages/:messageId takes DeleteMessageParams (@IsMongoId): the pipe refuses
    a path argument as it refuses a query, every sentence under errors.general."""
    body = _error(client.delete("/v1/messages/not-an-id"), 422)
    assert body["errors"] == {"general": {"messages": ["messageId must be a mongodb id"]}}


def test_every_path_failure_is_listed_once_in_the_order_of_the_path(client) -> None:
    refused = client.post("/v1/subscribers/someone/messages/not-an-id/actions/tertiary", json={"status": "done"})
    assert _error(refused, 422)["errors"]["general"]["messages"] == [
        "messageId must be a mongodb id",
        "type must be one of the following values: primary, secondary",
    ]


def test_the_body_keeps_its_failures_keyed_by_field(client) -> None:
    body = _error(client.post("/v1/integrations", json={"providerId": 42, "channel": "email"}), 422)
    assert set(body["errors"]) == {"providerId"} and body["errors"]["providerId"]["value"] == 42
    assert body["errors"]["providerId"]["messages"] == ["providerId must be a string"]


def test_the_control_surface_keeps_its_failures_keyed_by_parameter(client) -> None:
    body = _error(client.get("/_mock/requests", params={"status": "600"}), 422)
    assert set(body["errors"]) == {"status"} and body["errors"]["status"]["value"] == "600"


def test_a_date_time_that_is_not_a_date_is_422(client) -> None:
    path = "/v2/subscribers/someone/notifications/64f0a0a0a0a0a0a0a0a0a0a0/snooze"
    body = _error(client.patch(path, json={"snoozeUntil": "garbage"}), 422)
    assert "snoozeUntil" in body["errors"]


def test_the_activitys_dates_are_read_as_novu_reads_them(client) -> None:
    """``after`` / ``before`` of the activity are plain text to Novu's DTO; its use case answers
    400 for one that is no date."""
    body = _error(client.get("/v1/notifications", params={"before": "garbage"}), 400)
    assert body["message"].startswith("Invalid date format for parameter 'before': garbage.")
    assert client.get("/v1/notifications", params={"before": "2026-01-01"}).status_code == 200


# -- JSON as Node reads it --------------------------------------------------------------------------


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_not_json(client, token) -> None:
    raw = b'{"subscriberId": "nan-1", "data": {"n": ' + token + b"}}"
    body = _error(client.post("/v2/subscribers", content=raw, headers=JSON), 400)
    assert "not valid JSON" in body["message"]
    assert client.get("/v2/subscribers/nan-1").status_code == 404


def test_a_body_that_is_not_an_object_or_array_is_400(client) -> None:
    for raw in (b'"text"', b"42", b"null", b"true"):
        _error(client.post("/v2/subscribers", content=raw, headers=JSON), 400)


def test_integers_past_a_double_are_read_as_node_reads_them(client) -> None:
    huge = b"1" * 5000  # past Python's int-string limit (4,300 digits)
    raw = b'{"subscriberId": "big-1", "data": {"huge": ' + huge + b', "big": 123456789012345678901234, "u64": 18446744073709551615, "small": 7}}'
    response = client.post("/v2/subscribers", content=raw, headers=JSON)
    assert response.status_code == 201, response.text
    data = client.get("/v2/subscribers/big-1").json()["data"]["data"]
    # Infinity in Node, written back as null; a long integer is the nearest double; 64 bits are exact
    assert data == {"huge": None, "big": 1.2345678901234568e23, "u64": 18446744073709551615, "small": 7}
    # a typed field given one is refused field by field, never a 500
    raw = b'{"name": "x", "to": "big-1", "payload": {}, "overrides": ' + huge + b"}"
    assert client.post("/v1/events/trigger", content=raw, headers=JSON).status_code in (400, 422)
    _later_answers_work(client)


def test_a_lone_surrogate_is_read_as_the_replacement_character(client) -> None:
    raw = b'{"subscriberId": "sur-1", "firstName": "\\ud800x", "data": {"\\udc00k": "v\\udbff"}}'
    assert client.post("/v2/subscribers", content=raw, headers=JSON).status_code == 201
    subscriber = client.get("/v2/subscribers/sur-1").json()["data"]
    assert subscriber["firstName"] == "\ufffdx" and subscriber["data"] == {"\ufffdk": "v\ufffd"}
    # a valid pair stays one character
    raw = b'{"subscriberId": "sur-2", "firstName": "\\ud83d\\ude00"}'
    assert client.post("/v2/subscribers", content=raw, headers=JSON).status_code == 201
    assert client.get("/v2/subscribers/sur-2").json()["data"]["firstName"] == "\U0001f600"
    # in a trigger's recipient and payload: stored as read
    raw = b'{"name": "%s", "to": {"subscriberId": "sur-3", "lastName": "\\ud800"}, "payload": {"k": "\\udfff"}}'
    assert client.post("/v1/events/trigger", content=raw % _workflow(client).encode(), headers=JSON).status_code == 201
    assert client.get("/v2/subscribers/sur-3").json()["data"]["lastName"] == "\ufffd"
    # in an id: whatever the id's pattern says of U+FFFD, never a 5xx
    for raw in (b'{"subscriberId": "\\ud800"}', b'{"name": "%s", "to": "\\ud800sur-4"}' % _workflow(client).encode()):
        for url in ("/v2/subscribers", "/v1/events/trigger"):
            response = client.post(url, content=raw, headers=JSON)
            assert response.status_code < 500, response.text
    _later_answers_work(client)


def test_bodies_nested_past_the_limit_are_refused_before_any_change(client) -> None:
    workflow = _workflow(client)
    for depth in (jsoncodec.MAX_DEPTH - 1, 150, 260, 600, 1000, 5000):
        # the body, payload's object and the arrays: 2 + depth levels
        raw = ('{"name": "%s", "to": "deep-%d", "payload": {"a": ' % (workflow, depth)).encode()
        raw += b"[" * depth + b"]" * depth + b"}}"
        body = _error(client.post("/v1/events/trigger", content=raw, headers=JSON), 400)
        assert f"more than {jsoncodec.MAX_DEPTH} levels" in body["message"]
        assert client.get(f"/v2/subscribers/deep-{depth}").status_code == 404, "refused before the subscriber was made"
        raw = ('{"subscriberId": "deep-s-%d", "data": {"a": ' % depth).encode() + b"[" * depth + b"]" * depth + b"}}"
        _error(client.post("/v2/subscribers", content=raw, headers=JSON), 400)
    # the deepest body accepted: MAX_DEPTH levels, stored and answered everywhere afterwards
    body = {"name": workflow, "to": "deep-ok", "payload": {"a": _nested(jsoncodec.MAX_DEPTH - 2)}}
    assert client.post("/v1/events/trigger", json=body, headers=JSON).status_code == 201
    data = {"subscriberId": "deep-ok-2", "data": {"a": _nested(jsoncodec.MAX_DEPTH - 2)}}
    assert client.post("/v2/subscribers", json=data, headers=JSON).status_code == 201
    _later_answers_work(client)


# -- Content-Type and empty bodies -----------------------------------------------------------------


def test_a_body_without_content_type_is_read_as_an_empty_object(client) -> None:
    """body-parser parses only JSON (and form) bodies: without a Content-Type Novu's DTO is {}."""
    response = client.post("/v2/subscribers", content=b'{"subscriberId": "nct-1"}', headers=AUTH)
    assert "subscriberId" in _error(response, 422)["errors"]
    response = client.post("/v1/events/trigger", content=b'{"name": "x", "to": "nct-2"}', headers=AUTH)
    assert "name" in _error(response, 422)["errors"]
    assert client.get("/v2/subscribers/nct-2").status_code == 404
    client.post("/v2/subscribers", json={"subscriberId": "nct-3", "firstName": "Ada"})
    response = client.patch("/v2/subscribers/nct-3", content=b'{"firstName": "Bob"}', headers=AUTH)
    assert response.status_code == 200, response.text
    assert client.get("/v2/subscribers/nct-3").json()["data"]["firstName"] == "Ada", "the body was not read"


def test_an_empty_required_body_is_validated_as_an_empty_object(client) -> None:
    for headers in (JSON, AUTH):
        response = client.post("/v2/subscribers", content=b"", headers=headers)
        assert "subscriberId" in _error(response, 422)["errors"]
        # one {} would satisfy is still a missing required body (the spec's word, held by Schemathesis)
        subscriber_id = client.get("/v2/subscribers", params={"limit": 1}).json()["data"][0]["subscriberId"]
        _error(client.patch(f"/v2/subscribers/{subscriber_id}", content=b"", headers=headers), 400)


# -- idempotency -----------------------------------------------------------------------------------


def test_idempotency_compares_the_parsed_body(client) -> None:
    first = b'{"subscriberId": "idem-1", "firstName": "Ada"}'
    spaced = b'{\n  "subscriberId" :"idem-1",\t"firstName":   "Ada"\n}'
    headers = {**JSON, "idempotency-key": "same-json"}
    assert client.post("/v2/subscribers", content=first, headers=headers).status_code == 201
    again = client.post("/v2/subscribers", content=spaced, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotency-Replay"] == "true"
    # JSON.stringify keeps key order: the same fields in another order are another body to Novu
    reordered = b'{"firstName": "Ada", "subscriberId": "idem-1"}'
    assert client.post("/v2/subscribers", content=reordered, headers=headers).status_code == 422


# -- rate limit ------------------------------------------------------------------------------------


def test_bulk_is_charged_by_operation_not_by_the_look_of_the_path() -> None:
    costs = OperationCosts(load_spec(default_spec_path()).document)
    assert costs.is_bulk("POST", "/v1/subscribers/bulk")
    assert not costs.is_bulk("PATCH", "/v2/subscribers/bulk")  # a subscriber called "bulk"
    assert not costs.is_bulk("DELETE", "/v2/subscribers/bulk")
    assert not costs.is_bulk("PATCH", "/v2/subscribers/bulk/preferences/bulk")
    assert not costs.is_bulk("GET", "/v1/subscribers/bulk/credentials")
    settings = Settings(api_keys={KEY: "Development"}, seed=7, rate_limit_per_second=50)  # bucket of 55
    with TestClient(create_app(settings), headers=AUTH) as http:
        http.post("/v2/subscribers", json={"subscriberId": "bulk"})
        for _ in range(5):  # a bulk cost would empty the bucket (55) at the first of these
            response = http.get("/v2/subscribers/bulk")
            assert response.status_code == 200, response.text
            assert 'cost="single"' in response.headers["RateLimit-Policy"]
            http.patch("/v2/subscribers/bulk", json={"firstName": "B"}).raise_for_status()
            http.delete("/v1/subscribers/bulk/credentials/slack")  # any answer: not refused for cost
        response = http.post("/v1/subscribers/bulk", json={"subscribers": []})
        assert 'cost="bulk"' in response.headers["RateLimit-Policy"]


@pytest.mark.parametrize("rate", [1, 10, 50, 90, 91, 100, 1000])
def test_a_bulk_request_passes_after_the_retry_after_it_was_given(rate) -> None:
    clock = Clock()
    limiter = RateLimiter(rate, costs=OperationCosts(load_spec(default_spec_path()).document), clock=clock)
    first = limiter.take("k", "/v1/subscribers/bulk", "POST")
    assert first.allowed, "a full bucket takes a bulk request"
    assert first.cost == min(BULK_COST, limiter.burst)
    refused = first
    while refused.allowed:  # empty the bucket
        refused = limiter.take("k", "/v1/subscribers/bulk", "POST")
    clock.now += int(refused.headers()["Retry-After"])
    assert limiter.take("k", "/v1/subscribers/bulk", "POST").allowed


def test_a_state_export_holding_the_deepest_bodies_imports_again() -> None:
    settings = Settings(api_keys={KEY: "Development"}, seed=7)
    with TestClient(create_app(settings), headers=AUTH) as http:
        workflow = _workflow(http)
        deepest = _nested(jsoncodec.MAX_DEPTH - 2)
        assert http.post("/v2/subscribers", json={"subscriberId": "deep-x", "data": {"a": deepest}}).status_code == 201
        assert http.post("/v1/events/trigger", json={"name": workflow, "to": "deep-x", "payload": {"a": deepest}}).status_code == 201
        exported = http.get("/_mock/state")
        assert exported.status_code == 200
        imported = http.put("/_mock/state", content=exported.content, headers={"Content-Type": "application/json"})
        assert imported.status_code == 200, imported.text[:300]
        assert http.get("/_mock/state").json() == exported.json()


def test_a_value_only_the_compiled_validator_refuses_is_still_named_field_by_field(client) -> None:
    """jsonschema's email check only looks for an "@"; the compiled validator's is stricter. The
    422 must still say which field, not come back with no errors."""
    response = client.post("/v2/subscribers", json={"subscriberId": "mail-1", "email": "a@"})
    assert "email" in _error(response, 422)["errors"]


# -- the request as Novu's exception filter prints it -----------------------------------------------


def test_an_error_names_the_request_url_as_sent_with_its_query(client: TestClient) -> None:
    """Novu's exception filter writes Express's ``request.url`` into ``path``: the path still
    percent-encoded, with the query string (apps/api/src/exception-filter.ts, ``path: request.url``)."""
    missing = _error(client.get("/v2/subscribers/no%20such%2Fone?includeTopics=true"), 404)
    assert missing["path"] == "/v2/subscribers/no%20such%2Fone?includeTopics=true"
    refused = _error(client.get("/v1/notifications?page=-1"), 422)
    assert refused["path"] == "/v1/notifications?page=-1"
    unknown = _error(client.get("/v1/no-such-route?x=1"), 404)
    assert unknown["path"] == "/v1/no-such-route?x=1" and unknown["message"] == "Cannot GET /v1/no-such-route?x=1"


def test_a_missing_field_has_no_value(client) -> None:
    """class-validator's value of a property not sent is ``undefined``: JSON leaves the key out."""
    body = _error(client.post("/v2/subscribers", json={"email": 3}), 422)
    assert body["errors"]["subscriberId"] == {"messages": ["subscriberId should not be empty"]}
    assert body["errors"]["email"] == {"messages": ["email must be a string"], "value": 3}
