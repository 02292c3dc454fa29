"""The request journal: what the mock was asked and what it answered, bounded, per environment."""

from __future__ import annotations

import fnmatch
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_server import auth
from mock_server.controls import exchange
from mock_server.controls.exchange import BODY_LIMIT

# Bytes of bodies one environment's journal keeps in all (a 2 MiB request is kept cut to 64 KiB,
# and 10,000 of those would be 1.3 GB): past it the oldest entries lose their bodies, not the entry.
BODY_BUDGET = 32 * 1024 * 1024
from mock_server.controls.routing import Router, is_api_path
from mock_server.spec import OperationFacts
from mock_server.store.ids import rfc3339

# What an entry keeps of the exchange (``exchange.Kept``), read into JSON when asked for.
_KEPT = "_kept"


@dataclass(slots=True)
class _Log:
    entries: deque = field(default_factory=deque)
    total: int = 0
    dropped: int = 0
    # (kept exchange, its bytes) of the entries whose bodies still count against BODY_BUDGET, oldest first
    bodies: deque = field(default_factory=deque)
    body_bytes: int = 0

    def keep_bodies(self, kept: exchange.Kept) -> None:
        """Count ``kept``'s bodies; release the oldest entries' bodies past the budget. Entries the
        bounded log let go leave the count with them (``bodies`` is as bounded as ``entries``)."""
        if self.bodies and len(self.bodies) == self.entries.maxlen:
            _, size = self.bodies.popleft()
            self.body_bytes -= size
        self.bodies.append((kept, kept.size))
        self.body_bytes += kept.size
        while self.body_bytes > BODY_BUDGET and self.bodies:
            oldest, size = self.bodies.popleft()
            self.body_bytes -= size
            oldest.release()


class Journal:
    """Newest ``size`` entries per environment. Requests that named no environment (a missing or
    unknown key) are about no environment's data and show in every environment's journal."""

    def __init__(self, environment_ids: list[str], size: int) -> None:
        self.size = size
        self._logs = {environment_id: _Log(deque(maxlen=size)) for environment_id in environment_ids}
        self._lock = threading.Lock()
        self._next_id = 1
        # deleted environments: their last requests (the DELETE itself) go nowhere
        self._removed: set[str] = set()

    @property
    def recorded(self) -> int:
        """Entries recorded since start: how many API requests were answered."""
        return self._next_id - 1

    def record(self, entry: dict[str, Any]) -> None:
        environment_id = entry["environmentId"]
        with self._lock:
            entry["id"] = self._next_id
            self._next_id += 1
            if environment_id in self._removed:
                return
            logs = [self._logs[environment_id]] if environment_id in self._logs else list(self._logs.values())
            kept = entry.get(_KEPT)
            for log in logs:
                if len(log.entries) == self.size:
                    log.dropped += 1
                log.entries.append(entry)
                log.total += 1
                if kept is not None and kept.size:
                    log.keep_bodies(kept)

    def record_answer(
        self,
        scope: Scope,
        facts: OperationFacts | None,
        status: int,
        stamp: float,
        seconds: float,
        environment_id: str | None,
        answer_body: bytes = b"",
        near_misses: list[dict[str, Any]] | None = None,
        *,
        request_body: bytes = b"",
    ) -> None:
        """Record one answered request: ``stamp`` is its epoch time, ``seconds`` how long it took,
        ``request_body`` and ``answer_body`` the bodies (an error's gives the entry its message and
        validation errors), each kept up to ``BODY_LIMIT`` bytes."""
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
        entry[_KEPT] = exchange.Kept.of(scope["headers"], request_body, answer_body)
        if status >= 400 and answer_body:
            body = exchange.body_json(answer_body[:BODY_LIMIT])
            if isinstance(body, dict):
                entry["message"] = body.get("message")
                if isinstance(body.get("errors"), dict):
                    entry["validationErrors"] = body["errors"]
        self.record(entry)

    def read(self, environment_id: str, *, limit: int | None = None, **filters: Any) -> dict[str, Any]:
        """The environment's entries that pass ``filters`` (see ``_matching``), oldest first; the
        newest ``limit`` of them when given."""
        with self._lock:
            log = self._logs[environment_id]
            entries = list(log.entries)
            total, dropped = log.total, log.dropped
        entries = _matching(entries, **filters)
        if limit:
            entries = entries[-limit:]
        return {"total": total, "dropped": dropped, "requests": [_shown(entry) for entry in entries]}

    def count(self, environment_id: str, **filters: Any) -> int:
        """How many of the environment's kept entries pass ``filters``."""
        with self._lock:
            entries = list(self._logs[environment_id].entries)
        return len(_matching(entries, **filters))

    def clear(self, environment_id: str) -> None:
        with self._lock:
            self._logs[environment_id] = _Log(deque(maxlen=self.size))

    # told by Backends when environments come (POST /v1/environments, a state file) and go
    def environment_added(self, environment: Any) -> None:
        with self._lock:
            self._removed.discard(environment.id)
            self._logs.setdefault(environment.id, _Log(deque(maxlen=self.size)))

    def environment_removed(self, environment: Any) -> None:
        with self._lock:
            self._logs.pop(environment.id, None)
            self._removed.add(environment.id)


def _shown(entry: dict[str, Any]) -> dict[str, Any]:
    # entries keep the epoch seconds of their request; the time is written out when read
    shown = {key: value for key, value in entry.items() if key != _KEPT}
    shown["time"] = rfc3339(datetime.fromtimestamp(entry["time"], UTC))
    kept = entry.get(_KEPT)
    return shown | kept.shown() if kept is not None else shown


def _request_json(entry: dict[str, Any]) -> Any:
    kept = entry.get(_KEPT)
    return kept.request_json() if kept is not None else None


def _matching(
    entries: list[dict[str, Any]],
    *,
    path: str | None = None,
    status: str | None = None,
    method: str | None = None,
    operation: str | None = None,
    subscriber: str | None = None,
    workflow: str | None = None,
    body: Any = None,
) -> list[dict[str, Any]]:
    """The entries that pass every filter given: ``path`` exact or with ``*`` wildcards, ``status``
    a code (``404``) or class (``4xx``), ``operation`` an operationId, ``subscriber`` a subscriber id
    the request is about, ``workflow`` a workflow it triggers, ``body`` text found in the request
    body or JSON found in it (``exchange.contains``)."""
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
    if operation:
        entries = [e for e in entries if e["operationId"] == operation]
    if subscriber is not None:
        entries = [e for e in entries if subscriber in exchange.subscribers_of(e["path"], _request_json(e))]
    if workflow is not None:
        entries = [e for e in entries if workflow in exchange.workflows_of(_request_json(e))]
    if isinstance(body, str):
        entries = [e for e in entries if body in _request_text(e)]
    elif body is not None:
        entries = [e for e in entries if exchange.contains(_request_json(e), body)]
    return entries


def _request_text(entry: dict[str, Any]) -> str:
    kept = entry.get(_KEPT)
    return kept.request.decode("utf-8", errors="replace") if kept is not None else ""


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
        request = _Capture()
        answer = _Capture()

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                request.add(message.get("body", b""))
            return message

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                answer.add(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            self._record(scope, status, stamp, time.perf_counter() - started, answer.bytes(), request.bytes())

    def _record(
        self, scope: Scope, status: int, stamp: float, seconds: float, answer_body: bytes, request_body: bytes
    ) -> None:
        method, path = scope["method"], scope["path"]
        environment = auth.environment_of(scope, self.backends)
        facts = self.router.match_scope(scope)
        near_misses = None if facts else [miss.to_dto() for miss in self.router.near_misses(method, path)]
        self.journal.record_answer(
            scope, facts, status, stamp, seconds, environment.id if environment else None, answer_body, near_misses,
            request_body=request_body,
        )  # fmt: skip


class _Capture:
    """The chunks of a body, kept up to one byte past ``BODY_LIMIT`` (so a cut can be told)."""

    __slots__ = ("chunks", "size")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        if chunk and self.size <= BODY_LIMIT:
            self.chunks.append(chunk)
            self.size += len(chunk)

    def bytes(self) -> bytes:
        return b"".join(self.chunks)
