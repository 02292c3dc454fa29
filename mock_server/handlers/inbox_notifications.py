"""``/v1/inbox/notifications*``: the inbox of the session's subscriber, as @novu/js reads and
changes it (Novu's InboxController). The same records and rules as the subscribers API's v2
inbox (``inbox_v2``): only who the subscriber is differs (the session, not the path).

Each handler gets the environment's backend and Connexion's ``token_info``, in which
``auth.session_info`` put the ``session``.
"""

from __future__ import annotations

import re
from typing import Any

from connexion.context import request

from mock_server.handlers.inbox_v2 import _bulk_body, _bulk_where, _clean, _filter, _json
from mock_server.store import Backend
from mock_server.store.ids import parse_moment
from mock_server.store.inbox import InboxFilter

_TAG_GROUP = re.compile(r"^tags\[(\d+)\]\[\]$")


def _subscriber(token_info: dict[str, Any]) -> str:
    return token_info["session"].subscriber_id


def _contexts(token_info: dict[str, Any]) -> list[str] | None:
    """The session's context keys: Novu's inbox use cases take them from the token, never from
    the request (None: a token without them, no context filter)."""
    keys = token_info["session"].context_keys
    return list(keys) if keys is not None else None


def _bulk(token_info: dict[str, Any], body: Any, *, ids: bool = False) -> InboxFilter:
    """A bulk filter of the session's inbox: the body's tags and data, and the session's contexts
    as Novu's bulk updates read them (any of them)."""
    return _bulk_where(_bulk_body(body), ids=ids, context_keys=_contexts(token_info))


def _query_tags() -> Any:
    """``tags[]=a&tags[]=b`` (any of them) or ``tags[0][]=a&tags[1][]=b`` (one of each group),
    as @novu/js writes a list and an ``{and: [{or: [...]}, ...]}`` filter."""
    query = request.query_params
    groups: dict[int, list[str]] = {}
    for name, value in query.multi_items():
        found = _TAG_GROUP.match(name)
        if found:
            groups.setdefault(int(found.group(1)), []).append(value)
    if groups:
        return {"and": [{"or": groups[index]} for index in sorted(groups)]}
    tags = query.getlist("tags[]")
    return tags or None


def _query_severity() -> list[str] | None:
    query = request.query_params
    return (query.getlist("severity[]") + query.getlist("severity")) or None


async def get_notifications(
    backend: Backend,
    token_info: dict[str, Any],
    limit: float = 10,
    after: str | None = None,
    offset: float = 0,
    read: bool | None = None,
    archived: bool | None = None,
    snoozed: bool | None = None,
    seen: bool | None = None,
    data: str | None = None,
    created_gte: float | None = None,
    created_lte: float | None = None,
) -> dict[str, Any]:
    applied = {
        "tags": _query_tags(),
        "read": read,
        "archived": archived,
        "snoozed": snoozed,
        "seen": seen,
        "data": _json("data", data),
        "severity": _query_severity(),
        "createdGte": created_gte,
        "createdLte": created_lte,
    }
    applied = {key: value for key, value in applied.items() if value is not None}
    items, has_more = backend.inbox.inbox(
        _subscriber(token_info),
        where=_filter(applied, context_keys=_contexts(token_info)),
        limit=int(limit),
        after=after,
        offset=int(offset),
    )
    return {"data": items, "hasMore": has_more, "filter": applied}


async def get_notifications_count(backend: Backend, token_info: dict[str, Any], filters: str) -> list[dict[str, Any]]:
    wanted = [_single_severity(_clean(item)) for item in _json("filters", filters)]
    keys = _contexts(token_info)
    counts = backend.inbox.count(_subscriber(token_info), [_filter(item, context_keys=keys) for item in wanted])
    return [{"count": count, "filter": item} for count, item in zip(counts, wanted)]


def _single_severity(item: dict[str, Any]) -> dict[str, Any]:
    # @novu/js sends one severity as a string, several as a list
    if isinstance(item.get("severity"), str):
        item["severity"] = [item["severity"]]
    return item


def _update(backend: Backend, token_info: dict[str, Any], notification_id: str, change: str, **options: Any):
    return backend.inbox.update(_subscriber(token_info), notification_id, change, _contexts(token_info), **options)


async def mark_notification_as_read(backend: Backend, token_info: dict[str, Any], notification_id: str) -> dict[str, Any]:
    return _update(backend, token_info, notification_id, "read")


async def mark_notification_as_unread(
    backend: Backend, token_info: dict[str, Any], notification_id: str
) -> dict[str, Any]:
    return _update(backend, token_info, notification_id, "unread")


async def mark_notification_as_archived(
    backend: Backend, token_info: dict[str, Any], notification_id: str
) -> dict[str, Any]:
    return _update(backend, token_info, notification_id, "archive")


async def mark_notification_as_unarchived(
    backend: Backend, token_info: dict[str, Any], notification_id: str
) -> dict[str, Any]:
    return _update(backend, token_info, notification_id, "unarchive")


async def snooze_notification(
    backend: Backend, token_info: dict[str, Any], notification_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    until = parse_moment(body["snoozeUntil"])
    return backend.inbox.snooze(_subscriber(token_info), notification_id, until, body["snoozeUntil"], _contexts(token_info))


async def unsnooze_notification(backend: Backend, token_info: dict[str, Any], notification_id: str) -> dict[str, Any]:
    return _update(backend, token_info, notification_id, "unsnooze")


async def delete_notification(backend: Backend, token_info: dict[str, Any], notification_id: str) -> None:
    backend.inbox.delete_notification(_subscriber(token_info), notification_id, _contexts(token_info))


async def complete_action(
    backend: Backend, token_info: dict[str, Any], notification_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    return _update(backend, token_info, notification_id, "complete", action_type=body["actionType"])


async def revert_action(
    backend: Backend, token_info: dict[str, Any], notification_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    return _update(backend, token_info, notification_id, "revert", action_type=body["actionType"])


async def mark_notifications_as_seen(
    backend: Backend, token_info: dict[str, Any], body: dict[str, Any] | None = None
) -> None:
    backend.inbox.bulk(_subscriber(token_info), "seen", _bulk(token_info, body, ids=True))


async def mark_all_as_read(backend: Backend, token_info: dict[str, Any], body: dict[str, Any] | None = None) -> None:
    backend.inbox.bulk(_subscriber(token_info), "read", _bulk(token_info, body))


async def mark_all_as_archived(
    backend: Backend, token_info: dict[str, Any], body: dict[str, Any] | None = None
) -> None:
    backend.inbox.bulk(_subscriber(token_info), "archive", _bulk(token_info, body))


async def mark_all_as_read_archived(
    backend: Backend, token_info: dict[str, Any], body: dict[str, Any] | None = None
) -> None:
    backend.inbox.bulk(_subscriber(token_info), "read-archive", _bulk(token_info, body))


async def delete_all_notifications(
    backend: Backend, token_info: dict[str, Any], body: dict[str, Any] | None = None
) -> None:
    backend.inbox.bulk(_subscriber(token_info), "delete", _bulk(token_info, body))
