"""The v1 in-app feed of a subscriber, served under ``SubscribersV1Controller``.

Re-exported by ``subscribers_v1`` so the resolver's one rule finds these handlers.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from mock_server.errors import BadRequest
from mock_server.store import Backend

__all__ = [
    "get_notifications_feed",
    "get_unseen_count",
    "mark_messages_as",
    "mark_all_unread_as_read",
    "mark_action_as_seen",
]


def _payload_filter(payload: str | None) -> dict[str, Any] | None | bool:
    """base64 of JSON, decoded as leniently as Node's Buffer does. Text that is not JSON is
    Novu's 400. An object filters on those payload fields; a number, boolean or null filters
    nothing (it has no keys); a non-empty string or list matches no message (``False``)."""
    if not payload:
        return None
    try:
        decoded = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4), validate=False).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest("Invalid payload, the JSON object should be encoded to base64 string.") from None
    if isinstance(decoded, dict):
        return decoded or None
    if isinstance(decoded, (str, list)) and decoded:
        return False
    return None


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


async def get_notifications_feed(
    backend: Backend,
    subscriber_id: str,
    page: float = 0,
    limit: float = 10,
    read: bool | None = None,
    seen: bool | None = None,
    payload: str | None = None,
) -> dict[str, Any]:
    found = backend.inbox.feed(
        subscriber_id, page=int(page), limit=int(limit), read=read, seen=seen, payload=_payload_filter(payload)
    )
    return {
        "page": int(page),
        "pageSize": int(limit),
        "totalCount": found.total,
        "hasMore": found.has_more,
        "data": backend.inbox.feed_dtos(found.items),
    }


async def get_unseen_count(
    backend: Backend, subscriber_id: str, seen: bool = False, limit: float | None = None
) -> dict[str, Any]:
    count = backend.inbox.unseen_count(subscriber_id, seen=seen, limit=int(limit) if limit is not None else None)
    return {"count": count}


async def mark_messages_as(backend: Backend, subscriber_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    messages = backend.inbox.mark_as(subscriber_id, _as_list(body["messageId"]), body["markAs"])
    return [message.message_dto() for message in messages]


async def mark_all_unread_as_read(backend: Backend, subscriber_id: str, body: dict[str, Any]) -> int:
    return backend.inbox.mark_all(subscriber_id, body["markAs"], _as_list(body.get("feedIdentifier")))


async def mark_action_as_seen(
    backend: Backend, subscriber_id: str, message_id: str, type_: str, body: dict[str, Any]
) -> dict[str, Any]:
    return backend.inbox.act(subscriber_id, message_id, type_, body["status"], body.get("payload")).message_dto()
