"""What every answer shares on the wire: the envelope, RateLimit-* headers, idempotency, size limits.

``WireMiddleware`` sits outside Connexion's exception handling, so it sees every final answer,
errors included, and adds the headers the real API puts on each of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server import auth
from mock_server.controls import CONTROL_PREFIX
from mock_server.errors import (
    BadRequest,
    Conflict,
    NovuError,
    PayloadTooLarge,
    TooManyRequests,
    UriTooLong,
    ValidationFailed,
    field_error,
    render,
)
from mock_server.idempotency import IDEMPOTENT_METHODS, MAX_KEY_LENGTH, IdempotencyStore, Outcome
from mock_server.ratelimit import RateLimiter
from mock_server.spec import OperationFacts

SCOPE_KEY = "novu_mock"
HEADERS_KEY = "novu_mock_headers"
LONG_URI_KEY = "novu_mock_uri_too_long"
# A rate-limit decision already taken for this request (by the compiled path, which then declined)
TAKEN_KEY = "novu_mock_rate_decision"


def services() -> dict[str, Any]:
    """What the app shares with handlers and the security function for the current request."""
    from connexion.context import scope

    return scope["extensions"][SCOPE_KEY]


@dataclass(slots=True)
class Answer:
    """A handler's answer that is not the operation's usual one: a redirect, an HTML page.

    The body goes out as it is (no envelope), with this status, headers and media type.
    """

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    mimetype: str | None = None


def refuse_long_uri() -> None:
    """Raise the 414 for an over-long URI; called once the request has passed validation.

    Deferred on purpose: a request that also breaks the schema gets its 422 (or 401...) first,
    so a client learns what is wrong with it and not only that it is long.
    """
    from connexion.context import scope

    error = scope["extensions"].get(LONG_URI_KEY)
    if error is not None:
        raise error


def envelope(result: Any, facts: OperationFacts, headers: dict[str, str] | None = None) -> Any:
    """Body, status and headers of a handler's result, wrapped in ``{"data": ...}`` where Novu wraps it.

    The wire headers (``headers``, else those the wire put in the request's scope) go on here too,
    so Connexion's response validation sees the answer whole.
    """
    if headers is None:
        from connexion.context import scope

        headers = scope["extensions"].get(HEADERS_KEY, {})
    if isinstance(result, Answer):
        from connexion.lifecycle import ConnexionResponse

        return ConnexionResponse(
            status_code=result.status,
            body=result.body,
            headers={**headers, **result.headers},
            mimetype=result.mimetype,
            content_type=result.mimetype,
        )
    if facts.success_status == 204:
        return None, 204, headers
    return ({"data": result} if facts.enveloped else result), facts.success_status, headers


BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _BodyTooLarge(Exception):
    pass


def _with_content_length(scope: Scope, length: int) -> Scope:
    headers = [(name, value) for name, value in scope["headers"] if name not in (b"content-length", b"transfer-encoding")]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def _as_json(body: bytes, scope: Scope) -> tuple[bytes, Scope]:
    """A body sent without a Content-Type, as Novu reads it: body-parser leaves it unread, so the
    handler (and its ValidationPipe) sees an empty object, whatever was sent."""
    scope = {**scope, "headers": [*scope["headers"], (b"content-type", b"application/json")]}
    return (b"{}" if body else b""), scope


async def read_body(receive: Receive, max_bytes: int | None = None) -> bytes:
    """The whole request body; ``_BodyTooLarge`` as soon as it passes ``max_bytes``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that first gives back the body already read, then the real channel."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def rate_limit_key(scope: Scope, environment: Any) -> str:
    """Whose bucket a request takes from: its environment's, or its client address's without a key."""
    if environment is not None:
        return environment.id
    client = scope.get("client") or ("anonymous", 0)
    return f"client:{client[0]}"


def long_uri(scope: Scope, max_chars: int) -> UriTooLong | None:
    """The 414 for a request whose URI (path and query) is over ``max_chars``, None otherwise."""
    uri_length = len(scope.get("raw_path") or scope["path"]) + len(scope.get("query_string", b""))
    if uri_length > max_chars:
        return UriTooLong(f"Request URI is {uri_length} characters; the limit is {max_chars}")
    return None


def with_wire_headers(raw: list[tuple[bytes, bytes]], extra: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """An answer's ``raw`` headers and each of the wire's ``extra`` ones (RateLimit-*,
    Idempotency-*) that the answer does not set itself."""
    present = {name.lower() for name, _ in raw}
    for name, value in extra.items():
        key = name.lower().encode("latin-1")
        if key not in present:
            raw.append((key, value.encode("latin-1", "replace")))
    return raw


class WireMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        services: dict[str, Any],
        limiter: RateLimiter,
        idempotency: IdempotencyStore,
        max_body_bytes: int,
        max_uri_chars: int,
    ) -> None:
        self.app = app
        self.services = services
        self.backends = services["backends"]
        self.limiter = limiter
        self.idempotency = idempotency
        self.max_body_bytes = max_body_bytes
        self.max_uri_chars = max_uri_chars

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extensions = scope.setdefault("extensions", {})
        extensions[SCOPE_KEY] = self.services
        headers = Headers(scope=scope)
        path = scope["path"]
        environment = auth.environment_of(scope, self.backends)
        # The control surface is never rate-limited: it must stay usable to lift a low limit.
        # A request takes one token, even when the compiled path took it and then declined.
        decision = extensions.pop(TAKEN_KEY, None)
        if decision is None and not path.startswith(CONTROL_PREFIX):
            decision = self.limiter.take(rate_limit_key(scope, environment), path, scope["method"])
        extra = decision.headers() if decision is not None else {}
        # Novu's inbox controller is excluded from idempotency: a session's requests ignore the header
        key = "" if auth.session_of(scope, self.backends) is not None else headers.get("idempotency-key") or ""
        if key:
            extra["Idempotency-Key"] = key
        extensions[HEADERS_KEY] = extra
        extensions[LONG_URI_KEY] = long_uri(scope, self.max_uri_chars)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_wire_headers(list(message.get("headers", [])), extra)
            await send(message)

        error = self._refusal(scope, headers, decision is None or decision.allowed, key)
        if error is not None:
            await send_error(error, scope, send_with_headers)
            return

        body = b""
        if scope["method"] in BODY_METHODS:
            # Read the whole body here (bounded), so that chunked bodies reach Connexion with a
            # Content-Length (it treats a missing one as "no body") and idempotency can hash it.
            try:
                body = await read_body(receive, self.max_body_bytes)
            except _BodyTooLarge:
                await send_error(self._too_large(), scope, send_with_headers)
                return
            if "content-type" not in headers:
                body, scope = _as_json(body, scope)
            scope = _with_content_length(scope, len(body))
            receive = replay(body, receive)

        if environment is not None and key and scope["method"] in IDEMPOTENT_METHODS:
            # Novu's idempotency interceptor runs before multer reads a multipart body: it hashes
            # the empty body ({}) whatever the parts, so such a body counts as the same one
            multipart = headers.get("content-type", "").lower().startswith("multipart/")
            await self._idempotent(scope, receive, send_with_headers, environment.id, key, b"" if multipart else body, extra)
            return
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope, headers: Headers, allowed: bool, key: str) -> NovuError | None:
        if not allowed:
            return TooManyRequests("API rate limit exceeded")
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_body_bytes:
            return PayloadTooLarge(f"Request body is {length} bytes; the limit is {self.max_body_bytes} bytes")
        if len(key) > MAX_KEY_LENGTH and scope["method"] in IDEMPOTENT_METHODS:
            return BadRequest(
                f'idempotencyKey "{key[:40]}..." has exceeded the maximum allowed length of {MAX_KEY_LENGTH} characters'
            )
        return None

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"Request body exceeds the limit of {self.max_body_bytes} bytes")

    async def _idempotent(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        environment_id: str,
        key: str,
        body: bytes,
        extra: dict[str, str],
    ) -> None:
        outcome, kept = self.idempotency.begin(environment_id, key, body)
        if outcome is Outcome.OTHER_BODY:
            message = f'Request with key "{key}" is being reused for a different body'
            await send_error(
                ValidationFailed(field_error("idempotency-key", message, key), message=message), scope, send
            )
            return
        if outcome is Outcome.IN_FLIGHT:
            error = Conflict(
                f'Request with key "{key}" is currently being processed. Please retry after 1 second',
                headers={"Retry-After": "1"},
            )
            await send_error(error, scope, send)
            return
        if outcome is Outcome.REPLAY:
            assert kept is not None
            extra["Idempotency-Replay"] = "true"
            await send({"type": "http.response.start", "status": kept.status, "headers": list(kept.headers)})
            await send({"type": "http.response.body", "body": kept.body})
            return

        status = 500
        response_headers: list[tuple[bytes, bytes]] = []
        response_body: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                # keep the app's own headers; rate-limit headers are fresh on every replay
                response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                response_body.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            self.idempotency.abandon(environment_id, key)
            raise
        self.idempotency.finish(environment_id, key, status, response_headers, b"".join(response_body))


async def send_error(error: NovuError, scope: Scope, send: Send) -> None:
    """Answer ``error`` from a middleware, outside Connexion: a Novu error body, rendered by ``render``."""
    status, body, headers = render(error, scope)
    raw_headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ] + [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
