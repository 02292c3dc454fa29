"""The request journal: what the mock was asked and what it answered, bounded, per environment."""

from __future__ import annotations

import fnmatch
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server import auth
from mock_server.controls.routing import Router, is_api_path
from mock_server.spec import OperationFacts
from mock_server.store.ids import rfc3339

# Error bodies up to this size are read for their message and validation errors.
_ERROR_BODY_LIMIT = 64 * 1024


@dataclass(slots=True)
class _Log:
    entries: deque = field(default_factory=deque)
    total: int = 0
    dropped: int = 0


class Journal:
    """Newest ``size`` entries per environment. Requests that named no environment (a missing or
    unknown key) are about no environment's data and show in every environment's journal."""

    def __init__(self, environment_ids: list[str], size: int) -> None:
        self.size = size
        self._logs = {environment_id: _Log(deque(maxlen=size)) for environment_id in environment_ids}
        self._lock = threading.Lock()
        self._next_id = 1

    @property
    def recorded(self) -> int:
        """Entries recorded since start: how many API requests were answered."""
        return self._next_id - 1

    def record(self, entry: dict[str, Any]) -> None:
        environment_id = entry["environmentId"]
        with self._lock:
            entry["id"] = self._next_id
            self._next_id += 1
            logs = [self._logs[environment_id]] if environment_id in self._logs else list(self._logs.values())
            for log in logs:
                if len(log.entries) == self.size:
                    log.dropped += 1
                log.entries.append(entry)
                log.total += 1

    def record_answer(
        self,
        scope: Scope,
        facts: OperationFacts | None,
        status: int,
        stamp: float,
        seconds: float,
        environment_id: str | None,
        error_body: bytes = b"",
        near_misses: list[dict[str, Any]] | None = None,
    ) -> None:
        """Record one answered request: ``stamp`` is its epoch time, ``seconds`` how long it took,
        ``error_body`` the start of an error answer's body (its message and validation errors)."""
        entry: dict[str, Any] = {
            "time": stamp,
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "operationId": facts.operation_id if facts else None,
            "status": status,
            "latencyMs": round(seconds * 1000, 3),
            "matched": facts is not None,
            "environmentId": environment_id,
            "validationErrors": None,
            "message": None,
        }
        if near_misses is not None:
            entry["nearMisses"] = near_misses
        if error_body:
            try:
                body = json.loads(error_body)
            except ValueError:
                body = None
            if isinstance(body, dict):
                entry["message"] = body.get("message")
                if isinstance(body.get("errors"), dict):
                    entry["validationErrors"] = body["errors"]
        self.record(entry)

    def read(
        self,
        environment_id: str,
        *,
        path: str | None = None,
        status: str | None = None,
        method: str | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            log = self._logs[environment_id]
            entries = list(log.entries)
            total, dropped = log.total, log.dropped
        if path:
            entries = (
                [e for e in entries if fnmatch.fnmatchcase(e["path"], path)]
                if "*" in path
                else [e for e in entries if e["path"] == path]
            )
        if status:
            if status.endswith("xx"):
                entries = [e for e in entries if str(e["status"])[0] == status[0]]
            else:
                entries = [e for e in entries if e["status"] == int(status)]
        if method:
            entries = [e for e in entries if e["method"] == method]
        if limit:
            entries = entries[-limit:]
        # entries keep the epoch seconds of their request; the time is written out when read
        return {
            "total": total,
            "dropped": dropped,
            "requests": [entry | {"time": rfc3339(datetime.fromtimestamp(entry["time"], UTC))} for entry in entries],
        }

    def clear(self, environment_id: str) -> None:
        with self._lock:
            self._logs[environment_id] = _Log(deque(maxlen=self.size))


def _is_preflight(scope: Scope) -> bool:
    return scope["method"] == "OPTIONS" and "access-control-request-method" in Headers(scope=scope)


class JournalMiddleware:
    """Records every Novu API request (not the docs, documents or ``/_mock/``) with its answer."""

    def __init__(self, app: ASGIApp, *, journal: Journal, router: Router, backends) -> None:
        self.app = app
        self.journal = journal
        self.router = router
        self.backends = backends

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]) or _is_preflight(scope):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        stamp = time.time()
        status = 500
        error_body: list[bytes] = []
        size = 0

        async def recording_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status >= 400 and size < _ERROR_BODY_LIMIT:
                chunk = message.get("body", b"")
                size += len(chunk)
                error_body.append(chunk)
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            self._record(scope, status, stamp, time.perf_counter() - started, b"".join(error_body))

    def _record(self, scope: Scope, status: int, stamp: float, seconds: float, error_body: bytes) -> None:
        method, path = scope["method"], scope["path"]
        environment = auth.environment_of(scope, self.backends)
        facts = self.router.match_scope(scope)
        near_misses = None if facts else [miss.to_dto() for miss in self.router.near_misses(method, path)]
        self.journal.record_answer(
            scope, facts, status, stamp, seconds, environment.id if environment else None, error_body, near_misses
        )
