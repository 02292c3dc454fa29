"""What one journal entry says of the request and its answer, read from the kept bytes when asked.

The journal keeps the raw bodies (cut at ``BODY_LIMIT``) and the request's headers as they came,
so recording costs nothing more than keeping references; this module turns them into JSON with
secrets redacted, and names what an entry is about (its subscribers and workflows) for the
journal's filters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

# Bytes of each body (request and answer) an entry keeps; a longer body is kept cut, and flagged.
BODY_LIMIT = 64 * 1024

REDACTED = "[redacted]"
# Headers that carry credentials: never shown.
_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
# A JSON field whose name contains one of these (lower-cased, without - and _) is a secret.
_SECRET_NAME_PARTS = ("secret", "password", "token", "apikey", "hmac", "subscriberhash", "webhookurl", "privatekey")
# Objects whose every value is a secret (integration credentials, subscriber channel credentials).
_SECRET_OBJECTS = frozenset({"credentials"})

INBOX_SESSION_PATH = "/v1/inbox/session"
_SUBSCRIBER_PATH = re.compile(r"^/v[12]/subscribers/([^/]+)")


def _is_secret(name: str) -> bool:
    folded = name.lower().replace("-", "").replace("_", "")
    return any(part in folded for part in _SECRET_NAME_PARTS)


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret field's value replaced by ``[redacted]``."""
    if isinstance(value, dict):
        return {
            key: (
                _redact_all(item) if key.lower() in _SECRET_OBJECTS
                else REDACTED if _is_secret(key) and item not in (None, "", [], {})
                else redact(item)
            )
            for key, item in value.items()
        }  # fmt: skip
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _redact_all(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _redact_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_all(item) for item in value]
    return REDACTED if value not in (None, "", True, False) else value


def body_json(raw: bytes | None) -> Any:
    """A kept body as JSON when it is JSON, else as text; None when there was none."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")


def shown_headers(raw: list[tuple[bytes, bytes]] | None) -> dict[str, str]:
    shown: dict[str, str] = {}
    for name, value in raw or ():
        key = name.decode("latin-1").lower()
        text = REDACTED if key in _SECRET_HEADERS or _is_secret(key) else value.decode("latin-1")
        shown[key] = f"{shown[key]}, {text}" if key in shown else text
    return shown


def _recipients(to: Any) -> list[str]:
    """Subscriber ids a trigger's ``to`` names (a string, an object, or a list of either)."""
    if isinstance(to, str):
        return [to]
    if isinstance(to, dict):
        subscriber = to.get("subscriberId")
        return [subscriber] if isinstance(subscriber, str) else []
    if isinstance(to, list):
        return [found for item in to for found in _recipients(item)]
    return []


def _events(body: Any) -> list[dict[str, Any]]:
    """The trigger events of a request body: one for a trigger, each of a bulk trigger's."""
    if not isinstance(body, dict):
        return []
    events = body.get("events")
    if isinstance(events, list):
        return [event for event in events if isinstance(event, dict)]
    return [body]


def subscribers_of(path: str, body: Any) -> set[str]:
    """The subscriber ids a request is about: its path's, its body's ``subscriberId``, a trigger's
    recipients and actor, an inbox session's ``subscriber``."""
    found: set[str] = set()
    match = _SUBSCRIBER_PATH.match(path)
    if match:
        found.add(unquote(match.group(1)))
    for event in _events(body):
        found.update(_recipients(event.get("to")))
        if isinstance(event.get("subscriberId"), str):
            found.add(event["subscriberId"])
    if path == INBOX_SESSION_PATH and isinstance(body, dict):
        found.update(_recipients(body.get("subscriber")))  # an id or an object with one
    return found


def workflows_of(body: Any) -> set[str]:
    """The workflow identifiers a request names: a trigger's ``name`` (or each bulk event's)."""
    return {event["name"] for event in _events(body) if isinstance(event.get("name"), str)}


def contains(whole: Any, part: Any) -> bool:
    """Whether JSON ``part`` is found in ``whole``: objects by subset of keys, lists by each item
    of ``part`` matching some item of ``whole``, other values by equality."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(key in whole and contains(whole[key], value) for key, value in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and all(any(contains(item, wanted) for item in whole) for wanted in part)
    return whole == part and type(whole) is type(part)


@dataclass(slots=True)
class Kept:
    """What a journal entry keeps of one exchange: the request's headers as they came and both
    bodies as bytes (each cut at ``BODY_LIMIT``), read into JSON only when asked for."""

    headers: list[tuple[bytes, bytes]]
    request: bytes
    answer: bytes
    request_cut: bool
    answer_cut: bool
    released: bool = False
    _request_json: Any = None
    _read: bool = False

    @classmethod
    def of(cls, headers: list[tuple[bytes, bytes]], request: bytes, answer: bytes) -> Kept:
        return cls(
            headers, request[:BODY_LIMIT], answer[:BODY_LIMIT], len(request) > BODY_LIMIT, len(answer) > BODY_LIMIT
        )

    @property
    def size(self) -> int:
        return len(self.request) + len(self.answer)

    def release(self) -> None:
        """Let the bodies go (the journal's byte budget is spent); the entry says so."""
        self.request = self.answer = b""
        self.released, self._request_json, self._read = True, None, False

    def request_json(self) -> Any:
        if not self._read:
            self._request_json, self._read = body_json(self.request), True
        return self._request_json

    def shown(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "requestHeaders": shown_headers(self.headers),
            "requestBody": redact(self.request_json()),
            "responseBody": redact(body_json(self.answer)),
        }
        if self.request_cut:
            shown["requestBodyTruncated"] = True
        if self.answer_cut:
            shown["responseBodyTruncated"] = True
        if self.released:
            shown["bodiesReleased"] = True
        return shown
