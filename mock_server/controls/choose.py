"""Choosing the answer per request, as Prism does: ``Prefer`` header or ``__`` query parameters.

    Prefer: code=404            a documented status, with a schema-valid body generated from the spec
    Prefer: example=empty       a named example of the operation's responses, as written in the spec
    Prefer: dynamic=true        a body generated at random from the response schema
    Prefer: seed=7              makes a dynamic body reproducible
    Prefer: delay=1500          answers after 1.5 s

``__code``, ``__example``, ``__dynamic``, ``__delay`` and ``__seed`` in the query do the same for
clients that cannot set headers; when both are given the header wins. Without a choice (or with
``code=`` the operation's own success status) the mock answers from its state as usual.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any, Mapping

from mock_server.controls.generate import Generator
from mock_server.errors import ValidationFailed, field_error, utc_now_iso
from mock_server.spec import OperationFacts, Spec

KEYS = ("code", "example", "dynamic", "delay", "seed")
QUERY_PREFIX = "__"
MAX_DELAY_MS = 60_000


@dataclass(slots=True)
class Preference:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    delay_ms: int = 0
    seed: int | None = None
    # key -> where it came from ("Prefer" or "__code"), to name the field in a refusal
    source: dict[str, str] = field(default_factory=dict)

    @property
    def chooses(self) -> bool:
        return self.code is not None or self.example is not None or self.dynamic


def _prefer_tokens(header: str) -> dict[str, str]:
    """``Prefer: code=404, example=x; dynamic=true`` -> {"code": "404", ...} (RFC 7240, lenient)."""
    tokens: dict[str, str] = {}
    for part in header.replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        name = name.strip().lower()
        if name in KEYS:
            tokens[name] = value.strip().strip('"')
    return tokens


def parse(headers: Mapping[str, str], query: Mapping[str, str]) -> Preference:
    raw: dict[str, tuple[str, str]] = {}
    for key in KEYS:
        if QUERY_PREFIX + key in query:
            raw[key] = (query[QUERY_PREFIX + key], QUERY_PREFIX + key)
    for key, value in _prefer_tokens(headers.get("prefer", "")).items():
        raw[key] = (value, "Prefer")  # the header wins
    preference = Preference(source={key: where for key, (_, where) in raw.items()})

    def refuse(key: str, message: str) -> ValidationFailed:
        value, where = raw[key]
        return ValidationFailed(field_error(where, message, value), message=message)

    if "code" in raw:
        value = raw["code"][0]
        if not (value.isdigit() and 100 <= int(value) <= 599):
            raise refuse("code", f"{key_text('code', raw)} must be an HTTP status code (100-599), not {value!r}")
        preference.code = int(value)
    if "example" in raw:
        if not raw["example"][0]:
            raise refuse("example", f"{key_text('example', raw)} needs the name of an example")
        preference.example = raw["example"][0]
    if "dynamic" in raw:
        value = raw["dynamic"][0].lower()
        if value not in ("true", "false", ""):
            raise refuse("dynamic", f"{key_text('dynamic', raw)} must be true or false, not {value!r}")
        preference.dynamic = value in ("true", "")
    if "delay" in raw:
        value = raw["delay"][0]
        if not (value.isdigit() and int(value) <= MAX_DELAY_MS):
            raise refuse("delay", f"{key_text('delay', raw)} must be milliseconds between 0 and {MAX_DELAY_MS}, not {value!r}")
        preference.delay_ms = int(value)
    if "seed" in raw:
        value = raw["seed"][0]
        if not value.lstrip("-").isdigit():
            raise refuse("seed", f"{key_text('seed', raw)} must be an integer, not {value!r}")
        preference.seed = int(value)
    return preference


def key_text(key: str, raw: dict[str, tuple[str, str]]) -> str:
    return f"Prefer {key}" if raw[key][1] == "Prefer" else raw[key][1]


def _media(spec: Spec, response: dict[str, Any]) -> dict[str, Any]:
    return spec.resolve(response).get("content", {}).get("application/json", {})


def examples_of(spec: Spec, operation: dict[str, Any]) -> dict[str, tuple[int, Any]]:
    """Every named example of an operation's responses: name -> (status, value)."""
    found: dict[str, tuple[int, Any]] = {}
    for code, response in sorted(operation["responses"].items(), key=lambda item: str(item[0])):
        for name, example in _media(spec, response).get("examples", {}).items():
            found.setdefault(name, (int(code), spec.resolve(example).get("value")))
    return found


@dataclass(frozen=True, slots=True)
class Answer:
    body: Any
    status: int
    headers: dict[str, str]


def choose(
    spec: Spec, facts: OperationFacts, preference: Preference, *, path: str, wire_headers: dict[str, str]
) -> Answer | None:
    """The answer the preference asks for, or None when the mock should answer from its state."""
    if not preference.chooses:
        return None
    operation = spec.document["paths"][facts.path][facts.method.lower()]
    documented = sorted(int(code) for code in operation["responses"])
    raw = {key: ("", where) for key, where in preference.source.items()}
    if preference.code is not None and preference.code not in documented:
        message = (
            f"{key_text('code', raw)}={preference.code} is not documented for {facts.operation_id}; "
            f"choose one of: {', '.join(map(str, documented))}"
        )
        raise ValidationFailed(field_error(preference.source["code"], message, preference.code), message=message)
    status = preference.code if preference.code is not None else facts.success_status
    response = spec.resolve(operation["responses"][str(status)])

    if preference.example is not None:
        examples = examples_of(spec, operation)
        wanted = {name: kept for name, kept in examples.items() if preference.code is None or kept[0] == status}
        if preference.example not in wanted:
            choices = ", ".join(f"{name} ({kept[0]})" for name, kept in sorted(wanted.items())) or "none"
            message = (
                f"{key_text('example', raw)}={preference.example} is not an example of {facts.operation_id}"
                + (f" for status {status}" if preference.code is not None else "")
                + f"; choose one of: {choices}"
            )
            raise ValidationFailed(
                field_error(preference.source["example"], message, preference.example), message=message
            )
        status, body = wanted[preference.example]
        response = spec.resolve(operation["responses"][str(status)])
        return Answer(body, status, _headers(spec, response, wire_headers))

    if status == facts.success_status and not preference.dynamic:
        return None  # the documented success: the mock's own state answers
    schema = _media(spec, response).get("schema")
    if status == 204 or schema is None:
        return Answer(None, status, _headers(spec, response, wire_headers))
    rng = random.Random(preference.seed) if preference.dynamic else None
    body = Generator(spec, rng).value(schema)
    if isinstance(body, dict) and status >= 400:
        # An error body tells the truth about this answer: its status, path, time and meaning.
        for name, value in (("statusCode", status), ("path", path), ("timestamp", utc_now_iso())):
            if name in body:
                body[name] = value
        if "statusCode" in body and not preference.dynamic:
            body["message"] = response.get("description") or f"Status {status}"
    return Answer(body, status, _headers(spec, response, wire_headers))


def _headers(spec: Spec, response: dict[str, Any], wire_headers: dict[str, str]) -> dict[str, str]:
    headers = dict(wire_headers)
    present = {name.lower() for name in headers}
    for name, header in response.get("headers", {}).items():
        header = spec.resolve(header)
        if header.get("required") and name.lower() not in present:
            headers[name] = str(Generator(spec).value(header.get("schema", {})))
    return headers


async def stage(spec: Spec, facts: OperationFacts, request: Any, wire_headers: dict[str, str]) -> Answer | None:
    """The whole stage for one request: read the choice, wait the delay, pick the answer."""
    preference = parse(request.headers, request.query_params)
    answer = choose(spec, facts, preference, path=request.url.path, wire_headers=wire_headers)
    if preference.delay_ms:
        await asyncio.sleep(preference.delay_ms / 1000)
    return answer
