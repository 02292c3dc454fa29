"""Property-based fuzzing of the wire: malformed requests to EVERY operation of the spec, in process.

Hypothesis (the test extra's, through Schemathesis) builds batches of requests: bodies that are not
JSON, JSON Node refuses (NaN), numbers past a double, lone surrogates, nesting thousands deep, wrong
types, missing and foreign keys, bodies without or with odd Content-Types, missing or foreign API
keys, over-long idempotency keys, odd methods and odd path and query values; string fields and path
slots often carry identifiers that exist, so malformed input reaches the handlers and the store.

Each answer must be below 500 and, when an error, an ErrorDto (statusCode, timestamp, path,
message); afterwards the server must still answer its state export and its lists. Both paths are
fuzzed (compiled on and off), half of the requests each. Derandomized: the same requests each run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote, unquote

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.controls.generate import Generator
from mock_server.settings import Settings, default_spec_path
from mock_server.spec import HTTP_METHODS, load_spec

KEY = "fuzz-key-development"
OTHER_KEY = "fuzz-key-production"
EXAMPLES = 500
BATCH = 10  # requests per example: EXAMPLES * BATCH per path, both paths >= 10,000 requests
MARK = "\x00fuzz-junk\x00"

SPEC = load_spec(default_spec_path())
_GENERATE = Generator(SPEC)


def _json_schema(content: dict) -> dict | None:
    for media_type, media in (content or {}).items():
        if media_type.startswith("application/json"):
            return media.get("schema", {})
    return None


def _properties(schema: dict) -> set[str]:
    """Every property name a body schema declares, through allOf / oneOf / anyOf."""
    schema = SPEC.resolve(schema)
    names = set(schema.get("properties", {}))
    for key in ("allOf", "oneOf", "anyOf"):
        for branch in schema.get(key, []):
            names |= _properties(branch)
    return names


def _operations() -> list[dict]:
    operations = []
    for path, item in SPEC.document["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            parameters = [SPEC.resolve(p) for p in shared + operation.get("parameters", [])]
            body = operation.get("requestBody")
            schema = _json_schema(SPEC.resolve(body).get("content", {})) if body else None
            properties = sorted(_properties(schema)) if schema is not None else []
            operations.append(
                {
                    "properties": properties or ["x"],
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "query": [p for p in parameters if p["in"] == "query"],
                    "headers": [p for p in parameters if p["in"] == "header"],
                    "body": _GENERATE.value(schema) if schema is not None else None,
                }
            )
    return operations


OPERATIONS = _operations()

# Raw JSON fragments put where a value goes: what Python's json module and Node's JSON.parse read
# differently, or what a store may choke on.
_WRONG = st.sampled_from(["true", "null", "[]", "{}", '""', '"x"', "-1", "0", "1.5", "[1, {}]", '{"": ""}'])
_JUNK = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "-0", "1E+2"]),
    # boundaries, not a range: Hypothesis draws small integers far more often than large ones
    st.sampled_from([19, 20, 21, 40, 309, 310, 400, 4_300, 4_301, 5_000, 6_000]).map(lambda digits: "9" * digits),
    st.sampled_from(['"\\ud800"', '"a\\udfffb"', '"\\udbff\\u0041"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\uffff"']),
    st.sampled_from([60, 98, 99, 100, 150, 253, 254, 255, 300, 600, 990, 1_024, 1_025, 3_000]).map(
        lambda depth: "[" * depth + "]" * depth
    ),
    st.sampled_from([60, 99, 100, 254, 255, 600, 1_025, 1_500]).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
    st.sampled_from([1_000, 20_000]).map(lambda size: json.dumps("é" * size)),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    ).map(lambda value: json.dumps(value, ensure_ascii=False)),
    _WRONG,
)
_ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "bulk", "null", "undefined", "..", "%", "%ZZ", "\ud800", "a/b", "?", "#", "*", "0" * 300]),
    st.integers(-(10**30), 10**30).map(str),
)


def _identifiers(state: dict) -> list[str]:
    """Identifiers that exist in the seeded state, so that malformed input reaches the store."""
    found: set[str] = set()
    stack: list = [state]
    while stack and len(found) < 300:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and re.search(r"(Id|_id|identifier|Identifier)$", key) and value:
                    found.add(value)
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(found)


@st.composite
def _body(draw, operation: dict, pool: list[str]) -> bytes:
    valid = operation["body"]
    mode = draw(st.integers(0, 9))
    if mode <= 4 and isinstance(valid, dict):
        body = json.loads(json.dumps(valid))
        for key, value in list(body.items()):  # existing identifiers in string fields
            if isinstance(value, str) and draw(st.integers(0, 3)) == 0:
                body[key] = draw(st.sampled_from(pool))
        if body and draw(st.integers(0, 3)) == 0:  # a required key dropped
            body.pop(draw(st.sampled_from(list(body))))
        if draw(st.integers(0, 3)) == 0:  # a foreign key
            body[draw(st.text(max_size=10))] = draw(st.integers())
        # the junk goes into a declared field (optional free-form ones included: payload, data),
        # as it is or inside an object
        key = draw(st.sampled_from(operation["properties"]) | st.text(max_size=6))
        body[key] = MARK if draw(st.booleans()) else {draw(st.sampled_from(["k", "", "\u00e9"])): MARK}
        return json.dumps(body, ensure_ascii=False).replace(json.dumps(MARK), draw(_JUNK)).encode()
    if mode == 5:  # truncated, or followed by garbage
        text = json.dumps(valid)
        cut = draw(st.integers(0, len(text)))
        return (text[:cut] + draw(st.sampled_from(["", "}", ",", "x", " \x00"]))).encode()
    if mode == 6:
        return draw(st.binary(max_size=64))
    if mode == 7:
        return draw(st.sampled_from([b"", b" ", b"\n", b"42", b'"s"', b"null", b"[1]", b"[]", b"{}", b"\xef\xbb\xbf{}"]))
    if mode == 8:
        return draw(_JUNK).encode("utf-8", "surrogatepass")
    return json.dumps(valid).encode("utf-16" if draw(st.booleans()) else "latin-1", "replace")


@st.composite
def _request(draw, pool: list[str], operations: list[dict]) -> tuple[str, str, dict[str, str], bytes | None, str]:
    operation = draw(st.sampled_from(operations))
    method = operation["method"]
    if draw(st.integers(0, 19)) == 0:
        method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PROPFIND"]))

    def slot(found: re.Match) -> str:
        value = draw(st.sampled_from(pool) | _ODD_TEXT)
        return quote(value.encode("utf-8", "surrogatepass"), safe="") or "x"

    path = re.sub(r"\{[^}]+\}", slot, operation["path"])
    query: list[tuple[str, str]] = []
    for param in operation["query"]:
        if draw(st.booleans()):
            query.append((param["name"], draw(_ODD_TEXT | st.sampled_from(pool) | _WRONG)))
    if draw(st.integers(0, 4)) == 0:
        query.append((draw(st.sampled_from([p["name"] for p in operation["query"]] + ["foreign"])), draw(_ODD_TEXT)))
    if query:
        path += "?" + "&".join(f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}" for name, value in query)
    headers: dict[str, str] = {}
    key = draw(st.sampled_from([KEY] * 8 + [OTHER_KEY, "", "nope", "ApiKey"]))
    if key:
        headers["Authorization"] = f"ApiKey {key}" if key != "ApiKey" else key
    for param in operation["headers"]:
        if draw(st.booleans()):
            headers[param["name"]] = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=300))
    body = None
    if operation["body"] is not None or draw(st.integers(0, 9)) == 0:
        body = draw(_body(operation, pool))
        content_type = draw(
            st.sampled_from(
                ["application/json"] * 6
                + [None, "text/plain", "application/json; charset=latin-1", "application/json; charset=nope", "*/*", "application/x-www-form-urlencoded"]
            )
        )
        if content_type:
            headers["Content-Type"] = content_type
        if method in ("POST", "PATCH") and draw(st.integers(0, 7)) == 0:
            headers["idempotency-key"] = draw(st.sampled_from(["fuzz", "k" * 300]) | st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20))
    return method, path, headers, body, operation["id"]


async def _send(app, state: dict, method: str, url: str, headers: dict[str, str], body: bytes | None):
    """One request straight into the ASGI app (no HTTP client in between: a tenth of the cost)."""
    path, _, query = url.partition("?")
    raw_headers = [(name.lower().encode(), value.encode("latin-1")) for name, value in headers.items()]
    if body is not None:
        raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver"), *raw_headers],
        "client": ("testclient", 50000),
        "server": ("testserver", 80),
        "extensions": {},
        "state": dict(state),
    }
    messages = [{"type": "http.request", "body": body or b"", "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    answer: dict = {"body": b""}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["json"] = any(
                name == b"content-type" and b"json" in value for name, value in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], answer["body"], answer["json"]


def _check(status: int, body: bytes, is_json: bool, method: str, url: str) -> None:
    assert status < 500, (method, url[:200], status, body[:500])
    if is_json and body:  # strict JSON (RFC 8259: no NaN, no lone surrogates), as Node writes it
        orjson.loads(body)
    if status >= 400 and method != "HEAD":
        error = orjson.loads(body)
        assert error["statusCode"] == status, (method, url[:200], error)
        assert isinstance(error["timestamp"], str) and error["path"] and "message" in error, (method, url[:200], error)


def _healthy(client: TestClient) -> None:
    auth = {"Authorization": f"ApiKey {KEY}"}
    for url in ("/v1/health-check", "/_mock/state", "/v1/notifications", "/v1/messages", "/v2/subscribers?limit=100", "/v1/integrations"):
        response = client.get(url, headers=auth)
        assert response.status_code == 200, (url, response.text[:500])
        orjson.loads(response.content)


@pytest.fixture(params=[True, False], ids=["compiled", "connexion"])
def fuzzed(request) -> Iterator[tuple[TestClient, list[str]]]:
    app = create_app(Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=3, fast_path=request.param))
    with TestClient(app) as client:
        state = client.get("/_mock/state", headers={"Authorization": f"ApiKey {KEY}"}).json()
        yield client, _identifiers(state)


def test_no_malformed_request_gets_a_5xx_and_every_error_is_an_error_dto(fuzzed) -> None:
    client, pool = fuzzed
    sent: list[str] = []

    def fuzz(operations: list[dict], examples: int) -> None:
        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.lists(_request(pool, operations), min_size=BATCH, max_size=BATCH))
        def batch(requests) -> None:
            async def send_all():
                return [await _send(client.app, client.app_state, *request[:4]) for request in requests]

            for (method, url, _, _, operation_id), answer in zip(requests, client.portal.call(send_all)):
                sent.append(operation_id)
                _check(*answer, method, url)

        batch()

    fuzz(OPERATIONS, EXAMPLES)
    assert len(sent) >= EXAMPLES * BATCH
    # Drawn operations leave some of ~190 out: those get a round of their own, drawn the same way.
    missed = [operation for operation in OPERATIONS if operation["id"] not in set(sent)]
    if missed:
        fuzz(missed, max(10, len(missed) * 2))
    assert set(sent) == {operation["id"] for operation in OPERATIONS}, "every operation was fuzzed"
    _healthy(client)
