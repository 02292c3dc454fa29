"""The hot path: each operation of the spec compiled once into route -> key -> input -> handler -> output.

Why it exists: Connexion's request path is a stack of a dozen ASGI layers, several of which route
the request again, rebuild a request object, re-inspect the handler or re-parse the JSON they
just produced. A bare Connexion 3 app with one trivial operation answers ~1,400 req/s on one core
of the benchmark machine, which alone rules out the speed targets of the benchmark against Prism.

What it does: at start, every operation of the (Connexion-resolved) spec is compiled into the
facts its requests need: a route, the parameters with their types, defaults and compiled
validators, the body validator, the handler and the response validator, all from the spec and
the same compiled validators ``validation.py`` uses (body and response validators are compiled
at their first use). A request the compiled path can answer in
full goes route -> key -> parameters -> body -> handler -> envelope -> response validation -> JSON.

Where it sits: outermost of the mock's own middlewares. Each ASGI layer a request crosses costs
more than its own work once served (measured: get subscriber 114 -> 90 us of CPU per request when
it moved from inside the journal, wire, CORS and faults layers to outside them), so for what it
answers it runs their stages itself, with their objects: see ``FastPath``.

What it never does: answer a request that fails anything. A missing or foreign key, a parameter
or body that fails validation, an empty or non-JSON body, a ``Prefer`` / ``__`` choice, an
ambiguous route, an over-long URI, anything the layers below treat specially, anything unknown:
the request is *declined* and goes, untouched, through those layers and Connexion, which answer
it exactly as before. Errors therefore have one author (``problems.py`` / ``errors.render``); the
compiled path only renders the ``NovuError`` a handler raises, with that same renderer.
``Settings.fast_path=False`` turns it off (the tests compare both).
"""

from __future__ import annotations

import copy
import inspect
import logging
import re
import time
import typing as t
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from connexion.context import _context, _receive, _scope
from connexion.decorators.parameter import pythonic
from connexion.json_schema import Draft4RequestValidator, Draft4ResponseValidator
from jsonschema import Draft4Validator
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server import auth, errors, jsoncodec
from mock_server.controls.choose import QUERY_PREFIX
from mock_server.controls.faults import Faults
from mock_server.controls.journal import Journal
from mock_server.ratelimit import RateLimiter
from mock_server.resolver import NovuResolver
from mock_server.spec import HTTP_METHODS, OperationFacts, Spec
from mock_server.store import Environment
from mock_server.validation import _Compiled
from mock_server.wire import (
    HEADERS_KEY,
    SCOPE_KEY,
    TAKEN_KEY,
    Answer,
    envelope,
    long_uri,
    rate_limit_key,
    read_body,
    replay,
    with_wire_headers,
)

logger = logging.getLogger("novu_mock")

_CONVERT: dict[str, t.Callable[[str], t.Any]] = {"string": str, "integer": int, "number": float}
_NO_BODY = object()
_VARY_ORIGIN = (b"vary", b"Origin")


class Decline(Exception):
    """The compiled path does not answer this request; Connexion does."""


def _boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise ValueError(value)


@dataclass(slots=True)
class _Param:
    name: str
    argument: str
    required: bool
    convert: t.Callable[[str], t.Any] | None  # None: a type the compiled path declines (arrays...)
    validator: t.Any
    has_default: bool = False
    default: t.Any = None


def _param(param: dict) -> _Param:
    schema = param.get("schema", {})
    kind = schema.get("type")
    convert = _boolean if kind == "boolean" else _CONVERT.get(kind)
    if schema.get("nullable") or schema.get("format") == "binary":
        convert = None
    try:
        validator = _Compiled.of(schema, Draft4Validator).fast
    except ValueError:  # e.g. a pattern beyond the compiled engine's size limit: Connexion checks it
        validator, convert = None, None
    return _Param(
        name=param["name"],
        argument=pythonic(param["name"]),  # the name Connexion's pythonic_params gives it
        required=bool(param.get("required")),
        convert=convert,
        validator=validator,
        has_default="default" in schema,
        default=schema.get("default"),
    )


@dataclass(slots=True)
class CompiledOperation:
    facts: OperationFacts
    regex: re.Pattern[str]
    handler: t.Callable[..., t.Any]
    wants_backend: bool
    awaited: bool  # the handler is a coroutine function
    arguments: frozenset[str]
    secured: bool
    path_params: dict[str, _Param]
    query_params: dict[str, _Param]
    header_params: list[_Param]
    body_validator: _Compiled | None = None  # None: the operation takes no body
    body_required: bool = False
    response_validators: dict[int, _Compiled] = field(default_factory=dict)
    # other routes that could match the same URL: when one does, Connexion decides
    rivals: list[re.Pattern[str]] = field(default_factory=list)


def _route(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", path)
    regex = "".join(f"(?P<{part[1:-1].replace('-', '_')}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts)
    return re.compile(f"^{regex}$")


def _json_schema_of(content: dict) -> dict | None:
    """The schema of the JSON media type of a request or response body, None when there is none."""
    for media_type, media in content.items():
        if media_type.split(";")[0].strip() == "application/json":
            return media.get("schema", {})
    return None


Routes = dict[tuple[str, int], list[CompiledOperation]]


def compile_operations(resolved: t.Mapping[str, t.Any], spec: Spec, validate_responses: bool) -> Routes:
    """(method, number of "/" in the path) -> compiled operations, from Connexion's resolved copy of
    the spec (no ``$ref`` left). A request's candidates are those of its method and path length: a
    route matches only paths with as many segments as its own, and so do its rivals."""
    default_security = resolved.get("security", [])
    routes: Routes = {}
    all_regexes: list[tuple[str, re.Pattern[str]]] = []
    for path, item in resolved["paths"].items():
        regex = _route(path)
        all_regexes.append((path, regex))
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            compiled = _compile(path, method, item, operation, regex, spec, validate_responses, default_security)
            if compiled is not None:
                routes.setdefault((method.upper(), path.count("/")), []).append(compiled)
    for operations in routes.values():
        for compiled in operations:
            compiled.rivals = [
                other for path, other in all_regexes if path != compiled.facts.path and _may_overlap(path, compiled.facts.path)
            ]
    return routes


def _may_overlap(one: str, other: str) -> bool:
    a, b = one.strip("/").split("/"), other.strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") or y.startswith("{") for x, y in zip(a, b))


def _compile(
    path: str,
    method: str,
    item: dict,
    operation: dict,
    regex: re.Pattern[str],
    spec: Spec,
    validate_responses: bool,
    default_security: list,
) -> CompiledOperation | None:
    facts = spec.operations[operation["operationId"]]
    security = operation.get("security", default_security)
    if any(set(requirement) - {auth.API_KEY_SCHEME} for requirement in security):
        return None  # inbox session tokens (bearer): Connexion checks them, through auth.session_info
    success = operation["responses"].get(str(facts.success_status), {})
    success_schema = _json_schema_of(success.get("content", {}))
    if facts.success_status != 204 and success_schema is None:
        return None  # redirects and pages: Connexion serves them
    handler, wants_backend = NovuResolver.handler_of(operation["operationId"])
    arguments, has_kwargs = _arguments(handler)
    if has_kwargs:
        return None
    merged = {(p["in"], p["name"]): p for p in item.get("parameters", [])}
    merged.update({(p["in"], p["name"]): p for p in operation.get("parameters", [])})
    by_location: dict[str, list[_Param]] = {"path": [], "query": [], "header": [], "cookie": []}
    for (location, _), param in merged.items():
        by_location[location].append(_param(param))
    if by_location["cookie"]:
        return None
    body = operation.get("requestBody")
    body_validator = None
    if body is not None:
        body_schema = _json_schema_of(body.get("content", {}))
        if body_schema is None or "body" not in arguments:
            return None
        body_validator = _Compiled.of(body_schema, Draft4RequestValidator)  # compiled at first use
    response_validators = {}
    if validate_responses and success_schema is not None:
        # the compiled path answers with the success status only; errors are rendered, not validated
        response_validators[facts.success_status] = _Compiled.of(success_schema, Draft4ResponseValidator)
    return CompiledOperation(
        facts=facts,
        regex=regex,
        handler=handler,
        wants_backend=wants_backend,
        awaited=inspect.iscoroutinefunction(handler),
        arguments=frozenset(arguments),
        secured=bool(security),
        path_params={param.name.replace("-", "_"): param for param in by_location["path"]},
        query_params={param.name: param for param in by_location["query"]},
        header_params=by_location["header"],
        body_validator=body_validator,
        body_required=bool(body and body.get("required")),
        response_validators=response_validators,
    )


def _arguments(handler: t.Callable[..., t.Any]) -> tuple[list[str], bool]:
    parameters = inspect.signature(handler).parameters.values()
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return names, any(p.kind is p.VAR_KEYWORD for p in parameters)


class FastPath:
    """Outermost of the mock's middlewares: answers what it can in full, declines the rest.

    For a request it answers, it runs the stages of the middlewares it stands in front of, with
    their own objects: the journal's entry (``Journal.record_answer``), one rate-limit token
    (``RateLimiter.take``, RateLimit-* headers), the fault settings (any fault configured for the
    environment: declined), CORS (a request with an ``Origin`` is declined; without one, CORS only
    adds ``Vary: Origin``), the size limits and idempotency (a request with an idempotency key, a
    chunked or over-large body or an over-long URI is declined).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Routes,
        services: dict[str, t.Any],
        limiter: RateLimiter,
        journal: Journal,
        faults: Faults,
        max_body_bytes: int,
        max_uri_chars: int,
    ) -> None:
        self.app = app
        self.routes = routes
        self.services = services
        self.backends = services["backends"]
        self.limiter = limiter
        self.journal = journal
        self.faults = faults
        self.max_body_bytes = max_body_bytes
        self.max_uri_chars = max_uri_chars

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, stamp = time.perf_counter(), time.time()
        try:
            operation, path_args = self._match(scope)
            headers = _headers(scope)
            self._wire(scope, headers, operation)
            kwargs, environment, backend, token_info = self._inputs(scope, operation, path_args, headers)
            body = await self._body(operation, headers, receive) if operation.body_validator is not None else _NO_BODY
        except Decline as declined:
            received = declined.args[0] if declined.args else None
            await self.app(scope, replay(received, receive) if received is not None else receive, send)
            return
        decision = self.limiter.take(rate_limit_key(scope, environment), scope["path"], scope["method"])
        if not decision.allowed:  # the wire answers the 429, with this decision: one token per request
            scope.setdefault("extensions", {})[TAKEN_KEY] = decision
            await self.app(scope, receive if body is _NO_BODY else replay(body[0], receive), send)
            return
        if body is not _NO_BODY:
            kwargs["body"] = body[1]
        extra = decision.headers()
        extensions = scope.setdefault("extensions", {})
        extensions[SCOPE_KEY] = self.services
        extensions[HEADERS_KEY] = extra
        status, answer = await self._answer(scope, receive, send, operation, kwargs, backend, token_info, extra)
        seconds = time.perf_counter() - started
        environment_id = environment.id if environment else None
        request = b"" if body is _NO_BODY else body[0]
        self.journal.record_answer(
            scope, operation.facts, status, stamp, seconds, environment_id, answer, request_body=request
        )

    def _match(self, scope: Scope) -> tuple[CompiledOperation, dict[str, str]]:
        path = scope["path"]
        for operation in self.routes.get((scope["method"], path.count("/")), ()):
            found = operation.regex.match(path)
            if found is not None:
                if any(rival.match(path) for rival in operation.rivals):
                    raise Decline
                return operation, found.groupdict()
        raise Decline

    def _wire(self, scope: Scope, headers: dict[str, str], operation: CompiledOperation) -> None:
        """Decline what the wire, CORS or the choose stage would treat specially."""
        if "origin" in headers or "idempotency-key" in headers or "prefer" in headers or "transfer-encoding" in headers:
            raise Decline
        length = headers.get("content-length")
        if operation.body_validator is None:
            if length not in (None, "0"):
                raise Decline
        elif length is None or not length.isdigit() or int(length) > self.max_body_bytes:
            raise Decline
        if long_uri(scope, self.max_uri_chars) is not None:
            raise Decline

    def _inputs(
        self, scope: Scope, operation: CompiledOperation, path_args: dict[str, str], headers: dict[str, str]
    ) -> tuple[dict[str, t.Any], Environment | None, t.Any, dict[str, t.Any] | None]:
        # only a secret key opens what the compiled path answers (a bearer token never does)
        backend = auth.key_backend_of(scope, self.backends)
        environment = backend.environment if backend is not None else None
        token_info = None
        if operation.secured:
            if backend is None:
                raise Decline
            token_info = {"sub": environment.id, "environment": environment, "backend": backend}
        elif operation.wants_backend:
            raise Decline
        else:
            backend = None
        if self.faults.config_for(environment.id if environment else None).active:
            raise Decline
        kwargs: dict[str, t.Any] = {}
        for name, value in path_args.items():
            param = operation.path_params.get(name)
            if param is None or not value or param.validator is None or not param.validator.is_valid(value):
                raise Decline
            kwargs[param.argument] = value
        for param in operation.header_params:
            value = headers.get(param.name.lower())
            if value is None:
                if param.required:
                    raise Decline
            elif param.validator is None or not param.validator.is_valid(value):
                raise Decline
        kwargs.update(self._query(scope, operation))
        return kwargs, environment, backend, token_info

    @staticmethod
    def _query(scope: Scope, operation: CompiledOperation) -> dict[str, t.Any]:
        raw = scope.get("query_string", b"")
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True) if raw else []
        given: dict[str, str] = {}
        for name, value in pairs:
            if name in given or name.startswith(QUERY_PREFIX):
                raise Decline
            given[name] = value
        kwargs: dict[str, t.Any] = {}
        for name, param in operation.query_params.items():
            value = given.get(name)
            if value is None:
                if param.required:
                    raise Decline
                if param.has_default and param.argument in operation.arguments:
                    kwargs[param.argument] = copy.deepcopy(param.default)
                continue
            if param.convert is None or value == "":
                raise Decline
            try:
                converted = param.convert(value)
            except ValueError:
                raise Decline from None
            if not param.validator.is_valid(converted):
                raise Decline
            if param.argument in operation.arguments:
                kwargs[param.argument] = converted
        return kwargs

    @staticmethod
    async def _body(operation: CompiledOperation, headers: dict[str, str], receive: Receive) -> tuple[bytes, t.Any]:
        """The body as read and as parsed; ``_wire`` has checked its Content-Length against the limit."""
        raw = await read_body(receive)
        media_type, _, parameters = headers.get("content-type", "").partition(";")
        charset = parameters.strip().lower().removeprefix("charset=").strip('"') if parameters.strip() else "utf-8"
        if media_type.strip().lower() != "application/json" or charset not in ("utf-8", "utf8") or not raw.strip():
            raise Decline(raw)
        try:
            body = jsoncodec.read_body(raw)  # as validation.py reads it: Novu's parser's rules
        except errors.NovuError:
            raise Decline(raw) from None
        try:
            valid = body is not None and operation.body_validator.fast.is_valid(body)
        except ValueError:  # a schema the compiled engine cannot take (a huge pattern): Connexion checks it
            raise Decline(raw) from None
        if not valid:
            raise Decline(raw)
        return raw, body

    async def _answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        operation: CompiledOperation,
        kwargs: dict[str, t.Any],
        backend: t.Any,
        token_info: dict[str, t.Any] | None,
        extra: dict[str, str],
    ) -> tuple[int, bytes]:
        """Run the handler and send its answer; returns its status and body."""
        # What handlers may read through connexion.context, as Connexion's ContextMiddleware sets it.
        _scope.set(scope)
        _receive.set(receive)
        _context.set({"token_info": token_info, "user": token_info["sub"]} if token_info else {})
        try:
            result = operation.handler(backend, **kwargs) if operation.wants_backend else operation.handler(**kwargs)
            if operation.awaited:
                result = await result
            if isinstance(result, Answer):
                if result.body is not None or result.mimetype is not None:
                    raise TypeError(f"{operation.facts.operation_id} answered with a page on the JSON path")
                # a bodiless answer of another status (204 for "nothing there")
                body, status, headers = None, result.status, extra
            else:
                body, status, headers = envelope(result, operation.facts, extra)
            validator = operation.response_validators.get(status)
            if validator is not None and not validator.fast.is_valid(body):
                # what broke, as the general path's response validator says it
                error = next(iter(validator.explaining.iter_errors(body)), None)
                where = "/".join(str(part) for part in error.absolute_path) if error else ""
                reason = error.message if error else "rejected by the compiled validator"
                raise TypeError(
                    f"{operation.facts.operation_id}: response body does not conform to the spec at '{where}': {reason}"
                )
        except errors.NovuError as error:
            status, raw, headers = errors.render(error, scope)
            await _send(send, status, raw, headers, extra)
            return status, raw
        except Exception as exc:  # a bug in the mock: logged, answered as Novu answers a 500
            error = errors.InternalServerError()
            logger.error("errorId %s: %s %s", error.error_id, scope["method"], scope["path"], exc_info=exc)
            status, raw, headers = errors.render(error, scope)
            await _send(send, status, raw, headers, extra)
            return status, raw
        raw = None if status == 204 else jsoncodec.encode(body)
        await _send(send, status, raw, headers, extra)
        return status, raw or b""


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1")  # ASGI header names are lower-case
        if key in headers:  # repeated headers: Connexion decides how to read them
            raise Decline
        headers[key] = value.decode("latin-1")
    return headers


async def _send(send: Send, status: int, body: bytes | None, headers: dict[str, str], extra: dict[str, str]) -> None:
    """The answer with the wire's headers (``extra``: those the answer does not set itself) and the
    ``Vary: Origin`` CORS puts on answers to requests without an ``Origin``."""
    raw = [(name.lower().encode("latin-1"), str(value).encode("latin-1")) for name, value in headers.items()]
    if headers is not extra:  # an answer of its own headers (an error's); else they are the wire's
        raw = with_wire_headers(raw, extra)
    if body is not None:
        raw += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw.append(_VARY_ORIGIN)
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body or b""})
