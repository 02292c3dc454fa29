"""Schemathesis hooks that make generated requests behave like a well-mannered client.

An ``idempotency-key`` promises that the request it names is the same request each time it is
sent; the API answers 422 when a key comes back with another body. JSON Schema cannot say "unique",
so a generator left alone reuses short keys like ``"0"`` across different bodies, and the API
rightly refuses them. This hook keeps whatever value was generated (odd characters and all) and
appends a unique suffix, so each generated request is a new logical request, as the SDKs make it.
Keys longer than the documented 255 characters are left alone: they must still be refused.
Negative cases are left alone too: they are meant to be refused, and editing them would make
Schemathesis re-classify them.

``novu-mock contract`` switches on more manners through environment variables (a plain
``st run`` from the repository leaves them off):

- ``NOVU_CONTRACT_READ_ONLY=1``: refuse to send anything but GET (the run also selects only GET
  operations; this is the guard that makes it a promise).
- ``NOVU_CONTRACT_PREFIX=nvmock-ct-``: labelling fields (``name``, ``identifier``, ``subscriberId``)
  of positive POST bodies get the prefix (a body without any gets a prefixed ``name`` when its
  schema has one), when the result still fits the field's schema, so that whatever the run
  creates on a real server is recognisable.
- ``NOVU_CONTRACT_JOURNAL=PATH``: every POST answered 201 Created is journalled (operation, request body,
  response body) so the run can delete what it created at the end, through the spec's links.
- Always: a positive ``PUT /v2/workflows/{workflowId}/sync`` names as ``targetEnvironmentId``
  another environment of the key's organization, and a positive ``GET /v2/workflows/{id}``
  with an ``environmentId`` names the key's own, when the target lists its environments
  (``GET /v1/environments`` and ``/v1/environments/me``, read once). JSON Schema cannot say
  "an environment of your organization": a generated id is answered 404, which the stateful
  phase would read as the workflow just created gone missing.
- Always: when an answer says the rate-limit window is used up (``RateLimit-Remaining: 0``), wait
  for ``RateLimit-Reset`` seconds before the next request (429 + ``Retry-After`` is honoured by
  Schemathesis itself with ``--rate-limit auto``).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import schemathesis

from contract_tests import novu_checks  # noqa: F401  (registers the checks stated with Novu's statuses)

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
LABEL_FIELDS = ("name", "identifier", "subscriberId")
MAX_RATE_LIMIT_WAIT = 60.0

_journal_lock = threading.Lock()


class ReadOnlyViolation(RuntimeError):
    """Raised instead of sending a non-GET request in read-only mode."""


def unique_key(value: str) -> str:
    suffix = uuid.uuid4().hex
    return f"{value[: MAX_KEY_LENGTH - len(suffix) - 1]}-{suffix}"


def _is_negative(case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_negative


def _body_is_positive(case) -> bool:
    """The body was generated valid (other parts of the case, e.g. a header, may be the negative ones)."""
    if case.meta is None:
        return True
    for location, info in case.meta.components.items():
        if str(getattr(location, "value", location)) == "body":
            return not info.mode.is_negative
    return not _is_negative(case)


def _body_properties(case) -> dict[str, Any]:
    """The properties of the JSON body schema of the case's operation, read from the spec."""
    from mock_server.spec import load_spec

    spec_path = Path(os.environ.get("NOVU_CONTRACT_SPEC") or Path(__file__).resolve().parent.parent / "openapi.yaml")
    try:
        spec = load_spec(spec_path.resolve())
        operation = spec.document["paths"][case.operation.path][case.method.lower()]
        content = spec.resolve(operation.get("requestBody", {})).get("content", {})
        schema = spec.resolve(content.get("application/json", {}).get("schema", {}))
    except (OSError, KeyError, TypeError, AttributeError):
        return {}
    return {name: spec.resolve(value) for name, value in schema.get("properties", {}).items()}


def _fits(value: str, schema: dict[str, Any]) -> bool:
    from jsonschema import Draft4Validator

    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    try:
        return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER).is_valid(value)
    except Exception:  # an unusual schema: leave the value alone
        return False


def prefix_labels(case, prefix: str) -> None:
    """Label a positive POST body so what it creates is recognisable, keeping it schema-valid.

    Labelling fields already present get the prefix; a body with none of them gets a prefixed
    ``name`` when its schema declares one (a display name changes no behaviour under test).
    """
    if not prefix or case.method.upper() != "POST" or not _body_is_positive(case) or not isinstance(case.body, dict):
        return
    properties = _body_properties(case)
    present = [name for name in LABEL_FIELDS if isinstance(case.body.get(name), str)]
    for name in present:
        value = case.body[name]
        if not value.startswith(prefix) and _fits(prefix + value, properties.get(name, {})):
            case.body[name] = prefix + value
    if not present and "name" in properties:
        candidate = f"{prefix}{uuid.uuid4().hex[:8]}"
        if _fits(candidate, properties["name"]):
            case.body["name"] = candidate


SYNC_OPERATION = "WorkflowController_sync"
GET_WORKFLOW_OPERATION = "WorkflowController_getWorkflow"
_environments: dict[str, tuple[str | None, str | None]] = {}


def _environments_of(base_url: str, headers: dict[str, str]) -> tuple[str | None, str | None]:
    """The ``_id`` of the key's environment and of another environment of its organization
    (None when the target does not list environments). Asked once per base URL."""
    if base_url not in _environments:
        import httpx

        found: tuple[str | None, str | None] = (None, None)
        try:
            own = httpx.get(f"{base_url}/v1/environments/me", headers=headers, timeout=10)
            listed = httpx.get(f"{base_url}/v1/environments", headers=headers, timeout=10)
            if own.status_code == 200 and listed.status_code == 200:
                mine = own.json()["data"]["_id"]
                found = (mine, next((env["_id"] for env in listed.json()["data"] if env.get("_id") != mine), None))
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass
        _environments[base_url] = found
    return _environments[base_url]


def _part_is_positive(case, part: str) -> bool:
    if case.meta is None:
        return True
    for location, info in case.meta.components.items():
        if str(getattr(location, "value", location)) == part:
            return not info.mode.is_negative
    return not _is_negative(case)


def name_real_environments(case, discover=_environments_of) -> None:
    """Environment ids as a client has them (see the module notes): a positive sync targets
    another environment of the organization; a positive workflow read that names an
    ``environmentId`` names the key's own."""
    operation_id = (case.operation.definition.raw or {}).get("operationId")
    if operation_id == SYNC_OPERATION and _body_is_positive(case) and isinstance(case.body, dict):
        key = "body"
    elif operation_id == GET_WORKFLOW_OPERATION and isinstance(case.query, dict) and "environmentId" in case.query \
            and _part_is_positive(case, "query"):  # fmt: skip
        key = "query"
    else:
        return
    schema = case.operation.schema
    own, other = discover(schema.get_base_url().rstrip("/"), dict(getattr(schema.config, "headers", None) or {}))
    if key == "body" and other:
        case.body["targetEnvironmentId"] = other
    elif key == "query" and own:
        case.query["environmentId"] = own


def wait_for_rate_limit(headers: Any, *, sleep=time.sleep) -> float:
    """Sleep until the window resets when the answer says no request is left. Returns the wait."""

    lowered = {str(name).lower(): value for name, value in (headers or {}).items()}

    def first(name: str) -> str | None:
        value = lowered.get(name)
        if isinstance(value, list):
            value = value[0] if value else None
        return value

    remaining = first("ratelimit-remaining")
    if remaining is None or remaining.strip() != "0":
        return 0.0
    reset = first("ratelimit-reset") or first("retry-after") or "1"
    try:
        delay = min(max(float(reset), 0.0), MAX_RATE_LIMIT_WAIT)
    except ValueError:
        delay = 1.0
    if delay:
        sleep(delay)
    return delay


def journal_creation(path: Path, case, response) -> None:
    # Only 201 Created: a 200 on POST acted on something that existed before the run.
    if case.method.upper() != "POST" or response.status_code != 201:
        return
    try:
        body = response.json()
    except Exception:
        return
    entry = {
        "operationId": (case.operation.definition.raw or {}).get("operationId"),
        "status": response.status_code,
        "path_parameters": case.path_parameters or {},
        "request_body": case.body if isinstance(case.body, (dict, list)) else None,
        "response_body": body,
    }
    with _journal_lock, open(path, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry, default=str) + "\n")


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    if os.environ.get("NOVU_CONTRACT_READ_ONLY") == "1" and case.method.upper() != "GET":
        raise ReadOnlyViolation(f"read-only run: refused to send {case.method.upper()} {case.formatted_path}")
    prefix_labels(case, os.environ.get("NOVU_CONTRACT_PREFIX", ""))
    if _is_negative(case):
        return
    name_real_environments(case)
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == HEADER and len(str(headers[name])) <= MAX_KEY_LENGTH:
            headers[name] = unique_key(str(headers[name]))


@schemathesis.hook
def after_call(context, case, response) -> None:
    journal = os.environ.get("NOVU_CONTRACT_JOURNAL")
    if journal:
        journal_creation(Path(journal), case, response)
    wait_for_rate_limit(response.headers)
