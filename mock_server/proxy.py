"""``novu-mock proxy``: forward every exchange to a real server and journal where it breaks the spec.

Like Prism's proxy mode: the request goes to the upstream byte for byte (only the hop-by-hop
headers and ``Host`` change, as any proxy's do), the upstream's answer comes back byte for byte.
On the side, the request is checked against ``openapi.yaml`` (path, method, parameters, key, body)
and so is the answer (documented status, media type, body schema). Each problem becomes a line of
the journal; with ``violation_header`` the answer of a faulty exchange also carries
``X-Novu-Contract-Violations``. A valid exchange is never altered.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import re
import threading
import types
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from starlette.requests import Request
from starlette.responses import Response

from mock_server.settings import default_spec_path
from mock_server.spec import HTTP_METHODS, read_yaml

SPEC_URI = "urn:novu-mock:openapi"
VIOLATION_HEADER = "X-Novu-Contract-Violations"
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade",
}  # fmt: skip
MAX_MESSAGE = 300
CREDENTIALS_MISSING = "no credentials for the required security scheme"


@dataclass(frozen=True, slots=True)
class Violation:
    method: str
    path: str
    operation: str | None
    location: str  # "request" or "response"
    message: str
    status: int | None = None
    timestamp: str = ""


def _nullable_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` -> JSON Schema ``anyOf [..., null]``, as Schemathesis reads it."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_to_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False) is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _media_type(value: str | None) -> str:
    return (value or "").split(";")[0].strip().lower()


class SpecChecker:
    """Checks requests and responses against one OpenAPI 3.0 document."""

    def __init__(self, spec_path: Path | None = None) -> None:
        raw = read_yaml(spec_path or default_spec_path())
        self.document = _nullable_to_json_schema(copy.deepcopy(raw))
        self.registry = Registry().with_resource(SPEC_URI, Resource(contents=self.document, specification=DRAFT4))
        self._validators: dict[str, Draft4Validator] = {}
        self.routes: list[tuple[bool, re.Pattern[str], str]] = []
        for path in self.document.get("paths", {}):
            regex = re.sub(r"\\{([^}/]+)\\}", lambda m: f"(?P<{self._group(m.group(1))}>[^/]+)", re.escape(path))
            self.routes.append(("{" in path, re.compile(f"^{regex}$"), path))
        # a literal path wins over a templated one (/v1/integrations/active before /{integrationId})
        self.routes.sort(key=lambda route: route[0])

    @staticmethod
    def _group(name: str) -> str:
        return "p_" + re.sub(r"\W", "_", name)

    # --- lookups ---

    def _resolve(self, node: Any, pointer: str) -> tuple[Any, str]:
        while isinstance(node, dict) and "$ref" in node:
            pointer = node["$ref"].removeprefix("#")
            node = self.document
            for part in pointer.lstrip("/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    def _errors(self, pointer: str, instance: Any) -> list[str]:
        validator = self._validators.get(pointer)
        if validator is None:
            validator = self._validators[pointer] = Draft4Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"}, registry=self.registry, format_checker=Draft4Validator.FORMAT_CHECKER
            )
        messages = []
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))[:5]:
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            messages.append(f"{where}: {error.message}"[:MAX_MESSAGE])
        return messages

    def find(self, method: str, path: str) -> tuple[str | None, dict | None, dict[str, str], str | None]:
        """(path template, operation, path params, problem)."""
        templates = []
        for _, regex, template in self.routes:
            match = regex.match(path)
            if match:
                templates.append((template, match))
        if not templates:
            return None, None, {}, f"{path} is not a path of the spec"
        for template, match in templates:
            operation = self.document["paths"][template].get(method.lower())
            if isinstance(operation, dict):
                params = {}
                for name in re.findall(r"{([^}/]+)}", template):
                    params[name] = match.group(self._group(name))
                return template, operation, params, None
        documented = sorted({m.upper() for t, _ in templates for m in self.document["paths"][t] if m in HTTP_METHODS})
        template = templates[0][0]
        return template, None, {}, f"{method} is not documented for {template} (documented: {', '.join(documented)})"

    # --- requests ---

    def check_request(
        self, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str], body: bytes
    ) -> tuple[str | None, str | None, list[str]]:
        """(path template, operationId, problems) of one request."""
        template, operation, path_params, problem = self.find(method, path)
        if operation is None:
            return template, None, [problem] if problem else []
        pointer = f"/paths/{_escape(template)}/{method.lower()}"
        problems: list[str] = []
        parameters = self.document["paths"][template].get("parameters", []) + operation.get("parameters", [])
        for index, parameter in enumerate(parameters):
            parameter, param_pointer = self._resolve(parameter, f"{pointer}/parameters/{index}")
            problems += self._check_parameter(parameter, param_pointer, path_params, query, headers)
        problems += self._check_security(operation, headers)
        problems += self._check_body(operation, pointer, headers, body)
        return template, operation.get("operationId"), problems

    def _check_parameter(self, parameter, pointer, path_params, query, headers) -> list[str]:
        name, location = parameter["name"], parameter["in"]
        if location == "path":
            values = [path_params[name]] if name in path_params else []
        elif location == "query":
            values = [value for key, value in query if key == name]
        elif location == "header":
            values = [headers[name.lower()]] if name.lower() in headers else []
        else:
            return []
        if not values:
            return [f"{location} parameter {name} is required"] if parameter.get("required") else []
        schema, schema_pointer = self._resolve(parameter.get("schema", {}), f"{pointer}/schema")
        value: Any = values if schema.get("type") == "array" else values[0]
        try:
            value = self._coerce(value, schema)
        except ValueError:
            return [f"{location} parameter {name}: {values[0]!r} is not of type {schema.get('type')}"]
        return [f"{location} parameter {name}: {message}" for message in self._errors(schema_pointer, value)]

    def _coerce(self, value: Any, schema: dict) -> Any:
        kind = schema.get("type")
        if kind == "array":
            items, _ = self._resolve(schema.get("items", {}), "")
            return [self._coerce(item, items) for item in value]
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
        if kind == "boolean":
            if value not in ("true", "false"):
                raise ValueError(value)
            return value == "true"
        return value

    def _check_security(self, operation: dict, headers: dict[str, str]) -> list[str]:
        requirements = operation.get("security", self.document.get("security", []))
        if not requirements or any(not requirement for requirement in requirements):
            return []
        schemes = self.document.get("components", {}).get("securitySchemes", {})
        for requirement in requirements:
            if all(
                schemes.get(name, {}).get("in") == "header" and schemes[name]["name"].lower() in headers
                for name in requirement
            ):
                return []
        names = ", ".join(scheme for requirement in requirements for scheme in requirement)
        return [f"{CREDENTIALS_MISSING} ({names})"]

    def _check_body(self, operation: dict, pointer: str, headers: dict[str, str], body: bytes) -> list[str]:
        request_body, body_pointer = self._resolve(operation.get("requestBody"), f"{pointer}/requestBody")
        if not request_body:
            return []
        if not body.strip():
            return ["the request body is required"] if request_body.get("required") else []
        media = _media_type(headers.get("content-type"))
        content = request_body.get("content", {})
        if media not in content:
            return [f"request media type {media or '(none)'} is not documented (documented: {', '.join(content)})"]
        if "json" not in media:
            return []
        try:
            instance = json.loads(body)
        except ValueError as error:
            return [f"the request body is not valid JSON: {error}"]
        schema_pointer = f"{body_pointer}/content/{_escape(media)}/schema"
        return [f"request body {message}" for message in self._errors(schema_pointer, instance)]

    # --- responses ---

    def check_response(
        self, method: str, template: str | None, status: int, headers: dict[str, str], body: bytes | None
    ) -> list[str]:
        if template is None:
            return []
        operation = self.document["paths"][template].get(method.lower())
        if not isinstance(operation, dict):
            return []
        responses = operation.get("responses", {})
        key = next((k for k in (str(status), f"{status // 100}XX", "default") if k in responses), None)
        if key is None:
            return [f"status {status} is not documented (documented: {', '.join(map(str, responses))})"]
        pointer = f"/paths/{_escape(template)}/{method.lower()}/responses/{key}"
        response, pointer = self._resolve(responses[key], pointer)
        content = response.get("content") or {}
        if body is None or not body.strip() or method.upper() == "HEAD":
            return []
        if not content:
            return [f"status {status} documents no body, but one came back"]
        media = _media_type(headers.get("content-type"))
        if media not in content:
            return [f"response media type {media or '(none)'} is not documented (documented: {', '.join(content)})"]
        if "json" not in media:
            return []
        try:
            instance = json.loads(body)
        except ValueError as error:
            return [f"the response body is not valid JSON: {error}"]
        schema_pointer = f"{pointer}/content/{_escape(media)}/schema"
        return [f"response body {message}" for message in self._errors(schema_pointer, instance)]


class Journal:
    """Violations in memory (for tests and tools) and, when a path is given, as JSON lines on disk."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: list[Violation] = []
        self._lock = threading.Lock()

    def add(self, violations: list[Violation]) -> None:
        if not violations:
            return
        with self._lock:
            self.entries.extend(violations)
            if self.path is not None:
                with open(self.path, "a", encoding="utf-8") as stream:
                    for violation in violations:
                        stream.write(json.dumps(asdict(violation)) + "\n")


def _decoded(raw: bytes, encoding: str | None) -> bytes | None:
    encoding = (encoding or "identity").strip().lower()
    try:
        if encoding in ("identity", ""):
            return raw
        if encoding == "gzip":
            return gzip.decompress(raw)
        if encoding == "deflate":
            return zlib.decompress(raw)
    except (OSError, zlib.error):
        return None
    return None  # an encoding we cannot read: the body is not judged


def _header_value(violations: list[Violation]) -> str:
    first = violations[0]
    text = f"{len(violations)}; {first.location}: {first.message}"
    return text.encode("ascii", "backslashreplace").decode("ascii").replace("\r", " ").replace("\n", " ")[:400]


def create_proxy(
    upstream: str,
    *,
    spec_path: Path | None = None,
    journal_path: Path | None = None,
    violation_header: bool = False,
    timeout: float = 60.0,
) -> ProxyApp:
    checker = SpecChecker(spec_path)
    journal = Journal(journal_path)
    upstream = upstream.rstrip("/")
    client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def forward(request: Request) -> Response:
        body = await request.body()
        now = dt.datetime.now(dt.UTC).isoformat()
        headers = {key.lower(): value for key, value in request.headers.items()}
        path = request.url.path
        template, operation_id, request_problems = checker.check_request(
            request.method, path, list(request.query_params.multi_items()), headers, body
        )
        outgoing = [
            (key, value) for key, value in request.headers.raw
            if key.decode("latin-1").lower() not in HOP_BY_HOP | {"host", "content-length"}
        ]  # fmt: skip
        target = upstream + _wire_target(request.scope)
        try:
            answer = await client.send(
                client.build_request(request.method, target, headers=outgoing, content=body), stream=True
            )
            raw = b"".join([chunk async for chunk in answer.aiter_raw()])
            await answer.aclose()
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            message = f"upstream {upstream} did not answer: {error or type(error).__name__}"
            journal.add([Violation(request.method, path, operation_id, "upstream", message, None, now)])
            return Response(json.dumps({"statusCode": 502, "message": message}), 502, media_type="application/json")
        answer_headers = {key.lower(): value for key, value in answer.headers.items()}
        decoded = _decoded(raw, answer_headers.get("content-encoding"))
        response_problems = checker.check_response(
            request.method, template, answer.status_code, answer_headers, decoded
        )
        if 200 <= answer.status_code < 300 and any(CREDENTIALS_MISSING in problem for problem in request_problems):
            response_problems.append(f"answered {answer.status_code} to a request without credentials")
        violations = [
            Violation(request.method, path, operation_id, "request", message, answer.status_code, now)
            for message in request_problems
        ] + [
            Violation(request.method, path, operation_id, "response", message, answer.status_code, now)
            for message in response_problems
        ]
        journal.add(violations)
        response = Response(content=raw, status_code=answer.status_code)
        raw_headers = [
            (key, value) for key, value in answer.headers.raw if key.decode("latin-1").lower() not in HOP_BY_HOP
        ]
        if not any(key.lower() == b"content-length" for key, _ in raw_headers):
            raw_headers.append((b"content-length", str(len(raw)).encode()))
        if violation_header and violations:
            raw_headers.append((VIOLATION_HEADER.lower().encode(), _header_value(violations).encode("ascii")))
        response.raw_headers = raw_headers
        return response

    return ProxyApp(forward, client, journal=journal, checker=checker)


# Characters kept as they are in the forwarded target; everything else (control characters,
# spaces, non-ASCII) is percent-encoded, and existing escapes are left alone.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def _wire_target(scope) -> str:
    """The request target as the client sent it, made transmittable: odd bytes percent-encoded."""
    raw_path = (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1")
    query = scope.get("query_string", b"").decode("latin-1")
    target = quote(raw_path, safe=_PATH_SAFE, encoding="latin-1")
    return target + (f"?{quote(query, safe=_QUERY_SAFE, encoding='latin-1')}" if query else "")


class ProxyApp:
    """A bare ASGI app, so that every method (TRACE, QUERY, anything) is forwarded, not answered here."""

    def __init__(self, forward, client: httpx.AsyncClient, **state: Any) -> None:
        self.forward, self.client = forward, client
        self.state = types.SimpleNamespace(**state)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        response = await self.forward(Request(scope, receive))
        await response(scope, receive, send)
