"""The subscriber list sorted by any field: Novu's cursor paging, step by step.

``GET /v2/subscribers`` takes any ``orderBy`` (Novu's query DTO checks only that it is a
string). ``_id`` and ``updatedAt``, the common orders, are served from sorted indexes
(``subscribers.py``); every other name comes here, where the named field of each matching
subscriber is read as MongoDB holds it (ObjectIds and dates typed, fields never set missing)
and the list is paged the way Novu's DAL pages it (one sort per request, so this costs about
a millisecond per hundred subscribers):

- the cursor's value is the named field of the cursor subscriber read as a plain property (so a
  dotted name gives nothing, i.e. null, while the sort still walks into the object);
- the page is the first ``limit`` subscribers, in ``(field, _id)`` order, past the cursor
  (``field`` beyond the cursor's value, or equal to it with ``_id`` beyond the cursor's);
  ``before`` reads the other way and turns the page round;
- ``next`` / ``previous`` name the last / first item when a further subscriber exists on that
  side, found with the same comparison from the page's own end items.

A field no subscriber has sorts every one equal, so the order is ``_id``'s.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mock_server.store import mongo_order
from mock_server.store.mongo_order import MISSING, ObjectId

if TYPE_CHECKING:
    from mock_server.store.subscriber_records import Subscriber


def _profile(name: str, attribute: str) -> Callable[[Subscriber], Any]:
    return lambda s: MISSING if name in s.unset else getattr(s, attribute)


# The top-level fields of a subscriber's Mongo document (ObjectIds and dates typed; a field
# never set reads as missing), read one at a time instead of building whole documents.
_FIELDS: dict[str, Callable[[Subscriber], Any]] = {
    "_id": lambda s: ObjectId(s.id),
    "_organizationId": lambda s: ObjectId(s.organization_id),
    "_environmentId": lambda s: ObjectId(s.environment_id),
    "subscriberId": lambda s: s.subscriber_id,
    "firstName": _profile("firstName", "first_name"),
    "lastName": _profile("lastName", "last_name"),
    "email": _profile("email", "email"),
    "phone": _profile("phone", "phone"),
    "avatar": _profile("avatar", "avatar"),
    "locale": _profile("locale", "locale"),
    "timezone": _profile("timezone", "timezone"),
    "data": _profile("data", "data"),
    "channels": lambda s: [
        {**channel.to_dto(), "_integrationId": ObjectId(channel.integration_id)} for channel in s.channels
    ],
    "topics": lambda s: list(s.topics) if s.topics else MISSING,
    "isOnline": lambda s: s.is_online,
    "lastOnlineAt": lambda s: s.last_online_at,
    "deleted": lambda s: False,
    "createdAt": lambda s: s.created_at,
    "updatedAt": lambda s: s.updated_at,
    "__v": lambda s: s.document_version,
}


def reader(name: str) -> Callable[[Subscriber], Any]:
    """Reads the value a MongoDB sort or query sees at the (dotted) field ``name``."""
    if not mongo_order.valid_path(name):
        return lambda _subscriber: MISSING
    top, _, rest = name.partition(".")
    getter = _FIELDS.get(top)
    if getter is None:
        return lambda _subscriber: MISSING
    if not rest:
        return getter
    return lambda subscriber: mongo_order.at_path({top: getter(subscriber)}, name)


def field_value(subscriber: Subscriber, name: str) -> Any:
    return reader(name)(subscriber)


def _property(subscriber: Subscriber, name: str) -> Any:
    """``entity[name]`` in JavaScript: a plain property, so a dotted name reads nothing (null)."""
    return MISSING if "." in name else field_value(subscriber, name)


@dataclass(frozen=True, slots=True)
class FieldPage:
    ids: list[str]
    next: str | None
    previous: str | None
    total: int


@dataclass(frozen=True, slots=True)
class _Row:
    id: ObjectId
    value: Any  # the sorted field (dotted names walked)
    key: tuple  # its MongoDB comparison key
    subscriber: Subscriber


def _row(subscriber: Subscriber, read: Callable[[Subscriber], Any]) -> _Row:
    value = read(subscriber)
    return _Row(ObjectId(subscriber.id), value, mongo_order.key(value), subscriber)


def page(
    subscribers: Iterable[Subscriber],
    *,
    field: str,
    after: Subscriber | None,
    before: Subscriber | None,
    limit: int,
    descending: bool,
    include_cursor: bool,
) -> FieldPage:
    """One page of ``subscribers`` (already filtered) sorted by ``field``; ``after`` / ``before``
    are the subscribers the cursors name. Both at once (Novu's DAL refuses that with an error
    the API answers 500): the page starts after ``after`` and stops at ``before``, as the
    indexed orders do it."""
    read = reader(field)
    every = [_row(s, read) for s in subscribers]
    rows = every
    if after is not None:
        rows = list(filter(_past(after, field, upwards=not descending, inclusive=include_cursor), rows))
    if before is not None:
        rows = list(filter(_past(before, field, upwards=descending, inclusive=include_cursor), rows))
    backwards = before is not None and after is None
    # the query's sort: the list's direction, turned round when reading back from `before`
    sort_descending = descending != backwards

    def order(row: _Row) -> tuple:
        return (mongo_order.sort_key(row.value, sort_descending), row.id)

    pick = heapq.nlargest if sort_descending else heapq.nsmallest
    fetched = pick(limit + 1, rows, key=order)
    extra = len(fetched) > limit
    if backwards:
        fetched.reverse()
        items = fetched[1:] if extra else fetched
    else:
        items = fetched[:limit]
    if not items:
        return FieldPage([], None, None, len(every))
    first, last = items[0], items[-1]
    if backwards:
        # Novu: `previous` from the extra item fetched, `next` from a look past the last item
        later = any(map(_past(last.subscriber, field, upwards=not descending, inclusive=False), every))
        next_id, previous_id = (last.id if later else None), (first.id if extra else None)
    else:
        if before is None:
            has_next = extra
        else:
            has_next = any(map(_past(last.subscriber, field, upwards=not descending, inclusive=False), every))
        earlier = any(map(_past(first.subscriber, field, upwards=descending, inclusive=False), every))
        next_id = last.id if has_next else None
        previous_id = first.id if earlier else None
    return FieldPage([str(item.id) for item in items], _text(next_id), _text(previous_id), len(every))


def _text(value: str | None) -> str | None:
    return None if value is None else str(value)


def _past(edge: Subscriber, field: str, *, upwards: bool, inclusive: bool) -> Callable[[_Row], bool]:
    """The test ``field > v OR (field == v AND _id > edge's _id)`` (``<`` downwards, ``>=``
    inclusive), ``v`` the edge subscriber's ``field`` read as a plain property."""
    value = _property(edge, field)
    edge_key, edge_id = mongo_order.key(value), ObjectId(edge.id)
    strict = ("$gte" if inclusive else "$gt") if upwards else ("$lte" if inclusive else "$lt")

    def beyond(row: _Row) -> bool:
        if isinstance(row.value, list):  # any element may match: the general rules
            if mongo_order.matches(row.value, strict, value):
                return True
            if not mongo_order.matches(row.value, "$eq", value):
                return False
        elif row.key[0] != edge_key[0]:
            return False  # MongoDB compares only values of one type
        elif row.key != edge_key:
            return row.key > edge_key if upwards else row.key < edge_key
        elif inclusive:
            return True
        return mongo_order.matches(row.id, strict, edge_id)

    return beyond
