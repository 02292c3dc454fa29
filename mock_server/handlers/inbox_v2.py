"""The v2 inbox of a subscriber, served under ``SubscribersController``.

Re-exported by ``subscribers`` so the resolver's one rule finds these handlers.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from mock_server.errors import ValidationFailed, field_error
from mock_server.store import Backend
from mock_server.store.ids import parse_moment
from mock_server.store.context_match import present_keys
from mock_server.store.inbox import InboxFilter

__all__ = [
    "get_subscriber_notifications",
    "get_subscriber_notifications_count",
    "mark_notification_as_read",
    "mark_notification_as_unread",
    "archive_notification",
    "unarchive_notification",
    "snooze_notification",
    "unsnooze_notification",
    "delete_notification",
    "complete_notification_action",
    "revert_notification_action",
    "mark_notifications_as_seen",
    "mark_all_notifications_as_read",
    "archive_all_notifications",
    "archive_all_read_notifications",
    "delete_all_notifications",
]


def _json(name: str, text: str | None) -> Any:
    # The spec's pattern admits only JSON of the documented shape; this is a second guard.
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise ValidationFailed(field_error(name, f"{name} must be a JSON string", text)) from None


def _filter(values: dict[str, Any], *, ids: list[str] | None = None, context_keys: list[str] | None = None) -> InboxFilter:
    severity = values.get("severity")
    return InboxFilter(
        read=values.get("read"),
        seen=values.get("seen"),
        archived=values.get("archived"),
        snoozed=values.get("snoozed"),
        tags=values.get("tags"),
        severity=tuple(severity) if severity else None,
        data=values.get("data"),
        created_gte=values.get("createdGte"),
        created_lte=values.get("createdLte"),
        ids=frozenset(ids) if ids else None,
        context_keys=tuple(context_keys) if context_keys is not None else None,
    )


async def get_subscriber_notifications(
    backend: Backend,
    subscriber_id: str,
    limit: float = 10,
    after: str | None = None,
    offset: float = 0,
    read: bool | None = None,
    archived: bool | None = None,
    snoozed: bool | None = None,
    seen: bool | None = None,
    data: str | None = None,
    severity: list[str] | None = None,
    created_gte: float | None = None,
    created_lte: float | None = None,
    context_keys: list[str] | None = None,
) -> dict[str, Any]:
    applied = {
        "read": read,
        "archived": archived,
        "snoozed": snoozed,
        "seen": seen,
        "data": _json("data", data),
        "severity": severity or None,
        "createdGte": created_gte,
        "createdLte": created_lte,
    }
    applied = {key: value for key, value in applied.items() if value is not None}
    items, has_more = backend.inbox.inbox(
        subscriber_id,
        where=_filter(applied, context_keys=present_keys(context_keys)),
        limit=int(limit),
        after=after,
        offset=int(offset),
    )
    return {"data": items, "hasMore": has_more, "filter": applied}


async def get_subscriber_notifications_count(backend: Backend, subscriber_id: str, filters: str) -> list[dict[str, Any]]:
    wanted = _json("filters", filters)
    wanted = [_clean(item) for item in wanted]
    counts = backend.inbox.count(subscriber_id, [_filter(item) for item in wanted])
    return [{"count": count, "filter": item} for count, item in zip(counts, wanted)]


def _clean(item: dict[str, Any]) -> dict[str, Any]:
    item = dict(item)
    if isinstance(item.get("data"), str):
        item["data"] = _json("filters.data", item["data"])
    return item


def _update(
    backend: Backend, subscriber_id: str, notification_id: str, change: str, context_keys: list[str] | None, **options: Any
) -> dict[str, Any]:
    return backend.inbox.update(subscriber_id, notification_id, change, present_keys(context_keys), **options)


async def mark_notification_as_read(
    backend: Backend, subscriber_id: str, notification_id: str, context_keys: list[str] | None = None
) -> dict[str, Any]:
    return _update(backend, subscriber_id, notification_id, "read", context_keys)


async def mark_notification_as_unread(
    backend: Backend, subscriber_id: str, notification_id: str, context_keys: list[str] | None = None
) -> dict[str, Any]:
    return _update(backend, subscriber_id, notification_id, "unread", context_keys)


async def archive_notification(
    backend: Backend, subscriber_id: str, notification_id: str, context_keys: list[str] | None = None
) -> dict[str, Any]:
    return _update(backend, subscriber_id, notification_id, "archive", context_keys)


async def unarchive_notification(
    backend: Backend, subscriber_id: str, notification_id: str, context_keys: list[str] | None = None
) -> dict[str, Any]:
    return _update(backend, subscriber_id, notification_id, "unarchive", context_keys)


async def snooze_notification(
    backend: Backend, subscriber_id: str, notification_id: str, body: dict[str, Any], context_keys: list[str] | None = None
) -> dict[str, Any]:
    until = parse_moment(body["snoozeUntil"])
    return backend.inbox.snooze(subscriber_id, notification_id, until, body["snoozeUntil"], present_keys(context_keys))


async def unsnooze_notification(
    backend: Backend, subscriber_id: str, notification_id: str, context_keys: list[str] | None = None
) -> dict[str, Any]:
    return _update(backend, subscriber_id, notification_id, "unsnooze", context_keys)


async def delete_notification(
    backend: Backend, subscriber_id: str, notification_id: str, context_keys: list[str] | None = None
) -> None:
    backend.inbox.delete_notification(subscriber_id, notification_id, present_keys(context_keys))


async def complete_notification_action(
    backend: Backend, subscriber_id: str, notification_id: str, action_type: str, context_keys: list[str] | None = None
) -> dict[str, Any]:
    return _update(backend, subscriber_id, notification_id, "complete", context_keys, action_type=action_type)


async def revert_notification_action(
    backend: Backend, subscriber_id: str, notification_id: str, action_type: str, context_keys: list[str] | None = None
) -> dict[str, Any]:
    return _update(backend, subscriber_id, notification_id, "revert", context_keys, action_type=action_type)


def _bulk_body(body: Any) -> dict[str, Any]:
    # Without a body (and so without a content type) Connexion hands over the raw default.
    if isinstance(body, (bytes, str)):
        body = json.loads(body or b"{}")
    return body or {}


def _bulk_where(body: dict[str, Any], *, ids: bool, context_keys: Any) -> InboxFilter:
    """A bulk filter: the body's tags, data and (``ids``) notification ids, and ``context_keys``
    as Novu's bulk updates and deletes take them: "any of these contexts" (a Mongo ``$in``), no
    filter at all when there are none (message.repository.ts, updateMessagesFromToStatus and
    deleteMessagesWithFilters)."""
    values = {"tags": body.get("tags"), "data": _json("data", body.get("data"))}
    where = _filter(values, ids=body.get("notificationIds") if ids else None)
    keys = tuple(key for key in context_keys or () if key)
    return dataclasses.replace(where, any_context=keys) if keys else where


def _bulk_filter(body: Any, *, ids: bool = False) -> InboxFilter:
    """The bulk filter of the secret-key routes: the contexts come in the body."""
    body = _bulk_body(body)
    return _bulk_where(body, ids=ids, context_keys=body.get("contextKeys"))


async def mark_notifications_as_seen(backend: Backend, subscriber_id: str, body: dict[str, Any] | None = None) -> None:
    backend.inbox.bulk(subscriber_id, "seen", _bulk_filter(body, ids=True))


async def mark_all_notifications_as_read(
    backend: Backend, subscriber_id: str, body: dict[str, Any] | None = None
) -> None:
    backend.inbox.bulk(subscriber_id, "read", _bulk_filter(body))


async def archive_all_notifications(backend: Backend, subscriber_id: str, body: dict[str, Any] | None = None) -> None:
    backend.inbox.bulk(subscriber_id, "archive", _bulk_filter(body))


async def archive_all_read_notifications(
    backend: Backend, subscriber_id: str, body: dict[str, Any] | None = None
) -> None:
    backend.inbox.bulk(subscriber_id, "read-archive", _bulk_filter(body))


async def delete_all_notifications(backend: Backend, subscriber_id: str, body: dict[str, Any] | None = None) -> None:
    backend.inbox.bulk(subscriber_id, "delete", _bulk_filter(body))
