"""Kept responses for ``idempotency-key``, as the real API keeps them (24 hours, per environment)."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from enum import Enum

from mock_server import jsoncodec
from mock_server.errors import NovuError

MAX_KEY_LENGTH = 255
# POST and PATCH only, as the real API.
IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})


class Outcome(Enum):
    FIRST = "first"
    REPLAY = "replay"
    IN_FLIGHT = "in_flight"
    OTHER_BODY = "other_body"


@dataclass(slots=True)
class KeptResponse:
    fingerprint: str
    expires: float
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    done: bool = False


def fingerprint(body: bytes) -> str:
    """What makes two bodies "the same" for a key: Novu hashes the PARSED body as ``JSON.stringify``
    writes it, so spacing does not count (key order does). An empty body is Novu's ``{}``; one
    that is not JSON (refused later with 400) is hashed as sent."""
    if not body.strip():
        canonical = b"{}"
    else:
        try:
            canonical = jsoncodec.canonical(jsoncodec.read_body(body))
        except NovuError:
            canonical = body
    return hashlib.sha256(canonical).hexdigest()


class IdempotencyStore:
    def __init__(self, ttl_seconds: int, *, max_entries: int = 100_000, clock=time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[tuple[str, str], KeptResponse] = {}
        self._lock = threading.Lock()

    def begin(self, environment_id: str, key: str, body: bytes) -> tuple[Outcome, KeptResponse | None]:
        digest = fingerprint(body)
        with self._lock:
            now = self._clock()
            entry = self._entries.get((environment_id, key))
            if entry is not None and entry.expires <= now:
                del self._entries[(environment_id, key)]
                entry = None
            if entry is None:
                self._evict(now)
                self._entries[(environment_id, key)] = KeptResponse(digest, now + self.ttl)
                return Outcome.FIRST, None
            if entry.fingerprint != digest:
                return Outcome.OTHER_BODY, entry
            if not entry.done:
                return Outcome.IN_FLIGHT, entry
            return Outcome.REPLAY, entry

    def finish(self, environment_id: str, key: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        with self._lock:
            entry = self._entries.get((environment_id, key))
            if entry is not None:
                entry.status, entry.headers, entry.body, entry.done = status, headers, body, True

    def abandon(self, environment_id: str, key: str) -> None:
        with self._lock:
            entry = self._entries.get((environment_id, key))
            if entry is not None and not entry.done:
                del self._entries[(environment_id, key)]

    def _evict(self, now: float) -> None:
        if len(self._entries) < self.max_entries:
            return
        for entry_key in [k for k, e in self._entries.items() if e.expires <= now]:
            del self._entries[entry_key]
        while len(self._entries) >= self.max_entries:  # oldest first: dicts keep insertion order
            del self._entries[next(iter(self._entries))]
