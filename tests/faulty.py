"""Deliberately broken Novu servers: the real mock with one fault injected, for proving the suite fails.

Each fault wraps the mock's ASGI app and breaks exactly one thing on one operation, so a contract
run narrowed to that operation should report exactly that fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from mock_server.app import create_app
from mock_server.settings import Settings

KEY = "faulty-target-key"

Rewrite = Callable[[int, object], tuple[int, object]]


class ResponseRewriter:
    """Buffers the answers to ``method path`` and lets ``rewrite(status, json_body)`` change them."""

    def __init__(self, app, method: str, path: str, rewrite: Rewrite) -> None:
        self.app, self.method, self.path, self.rewrite = app, method, path, rewrite

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != self.method or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        started: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    await self._emit(send, started, b"".join(chunks))

        await self.app(scope, receive, capture)

    async def _emit(self, send, started: dict, raw: bytes) -> None:
        status = started["status"]
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if body is not None:
            status, body = self.rewrite(status, body)
            raw = json.dumps(body).encode()
        headers = [(k, v) for k, v in started.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(raw)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": raw})


class IgnoreAuth:
    """Answers requests without a valid key as if they had one: authentication is not enforced."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
            headers.append((b"authorization", f"ApiKey {KEY}".encode()))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


@dataclass
class Recorder:
    """Passes everything through and remembers (method, path, status) of each exchange."""

    app: object
    seen: list[tuple[str, str, int]] = field(default_factory=list)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def watch(message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append((scope["method"], scope["path"], message["status"]))
            await send(message)

        await self.app(scope, receive, watch)


def mock_app(**settings):
    return create_app(Settings(port=0, api_keys={KEY: "Development"}, **settings))


def _each_item(change: Callable[[dict], None]) -> Rewrite:
    def rewrite(status: int, body):
        items = body.get("data") if isinstance(body, dict) else body
        if 200 <= status < 300 and isinstance(items, list):
            for item in items:
                change(item)
        return status, body

    return rewrite


def drops_required_field():
    return ResponseRewriter(mock_app(), "GET", "/v1/integrations", _each_item(lambda item: item.pop("_id", None)))


def mistypes_field():
    return ResponseRewriter(mock_app(), "GET", "/v1/integrations", _each_item(lambda item: item.update(active="yes")))


def wrong_status():
    # 202 is not among the statuses the spec documents for this operation.
    return ResponseRewriter(
        mock_app(), "GET", "/v1/integrations/active", lambda status, body: (202 if status == 200 else status, body)
    )


def server_error():
    def crash(status: int, body):
        if status == 200:
            body = {"statusCode": 500, "message": "Internal server error", "path": "/v1/integrations"}
            return 500, {**body, "timestamp": "2026-01-01T00:00:00.000Z"}
        return status, body

    return ResponseRewriter(mock_app(), "GET", "/v1/integrations", crash)


def ignores_auth():
    return IgnoreAuth(mock_app())


def answers_405():
    """A wrong method on /v1/integrations answered the way most frameworks do (405 and ``Allow``),
    not the way Novu's Express routing does (404 ``Cannot PATCH /v1/integrations``)."""

    def method_not_allowed(status: int, body):
        if status == 404 and isinstance(body, dict) and str(body.get("message", "")).startswith("Cannot "):
            return 405, {**body, "statusCode": 405, "message": "Method Not Allowed"}
        return status, body

    rewriters = [ResponseRewriter(mock_app(), method, "/v1/integrations", method_not_allowed) for method in ("PUT", "PATCH", "DELETE")]
    app = rewriters[0]
    for outer in rewriters[1:]:
        outer.app = app
        app = outer
    return app


class SaysSlowDown:
    """Answers every third request to ``path`` with 429 and ``Retry-After: 1``; remembers when each came."""

    def __init__(self, app, path: str) -> None:
        self.app, self.path = app, path
        self.arrivals: list[tuple[float, int]] = []

    async def __call__(self, scope, receive, send) -> None:
        import time

        authorized = (b"authorization", f"ApiKey {KEY}".encode()) in scope.get("headers", [])
        # Limits are per key, as Novu's: requests without a valid one are not counted.
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "GET" or not authorized:
            await self.app(scope, receive, send)
            return
        now = time.monotonic()
        if len(self.arrivals) % 3 == 2:
            self.arrivals.append((now, 429))
            body = json.dumps(
                {"statusCode": 429, "message": "slow down", "timestamp": "2026-01-01T00:00:00.000Z", "path": self.path}
            ).encode()
            headers = [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"ratelimit-limit", b"3"), (b"ratelimit-remaining", b"1"), (b"ratelimit-reset", b"1"),
                (b"ratelimit-policy", b"3;w=1"), (b"retry-after", b"1"),
            ]  # fmt: skip
            await send({"type": "http.response.start", "status": 429, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.arrivals.append((now, 0))
        await self.app(scope, receive, send)
