"""Contexts: named things a notification happens in (a tenant, an app, a workspace...).

A context is found by its ``type`` and ``id`` together; its ``key`` is ``type:id``, the form
channel connections, endpoints and topic subscriptions keep (``contextKeys``). Besides the
``/v2/contexts`` API, a trigger's ``context`` and the context of a new channel connection or
endpoint create the contexts they name when missing (Novu's ``findOrCreateContextsFromPayload``):
a bare id leaves an existing context as it is, ``{"id", "data"}`` replaces its data.

Lists are cursor pages over every context of the environment; the cursor is the context's
internal ``_id`` (never shown in the API's DTO, only as ``next`` / ``previous``). A cursor that
names no context of the environment is not an error: Novu answers an empty page (counted 0)
then; ``before`` and ``after`` together are 400. ``search`` is plain text, not an expression.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from mock_server.errors import BadRequest, Conflict, NotFound, ValidationFailed, field_error
from mock_server.store.cursor import TOTAL_COUNT_CAP, CursorQuery
from mock_server.store.ids import iso, now, object_id, parse_time
from mock_server.store.values import clone

# Novu's CONTEXT_IDENTIFIER_REGEX, for a type or an id (1 to 100 characters).
IDENTIFIER = re.compile(r"[a-zA-Z0-9_-]{1,100}")
# IsValidContextData: the JSON text of ``data`` at most this many bytes.
DATA_MAX_KB = 64

_SEQUENCE = itertools.count()


def context_key(context_type: str, context_id: str) -> str:
    return f"{context_type}:{context_id}"


def data_size_error(data: Any) -> str | None:
    """Novu's message when ``data`` is over 64 KB as JSON (UTF-8), else None."""
    if not data:
        return None
    size = len(orjson.dumps(data))
    if size > DATA_MAX_KB * 1024:
        return f"Data is too large: {round(size / 1024)}KB exceeds {DATA_MAX_KB}KB limit"
    return None


@dataclass(slots=True)
class Context:
    record_id: str  # the internal ``_id``: the list's cursor
    type: str
    id: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    sequence: int = field(default_factory=lambda: next(_SEQUENCE))

    @property
    def key(self) -> str:
        return context_key(self.type, self.id)

    def to_dto(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "id": self.id,
            "data": clone(self.data),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }

    def sort_key(self, order_by: str) -> tuple[Any, str, int]:
        """Novu sorts by whatever field ``orderBy`` names (any string), then by ``_id``: a field
        contexts do not have (``_id`` included) leaves creation order."""
        fields = {"createdAt": self.created_at, "updatedAt": self.updated_at, "type": self.type, "id": self.id}
        value = self.key if order_by == "key" else fields.get(order_by)
        return (value is not None, value if value is not None else 0), self.record_id, self.sequence


def payload_entries(payload: dict[str, Any] | None) -> list[tuple[str, str, Any]]:
    """``{"tenant": "acme", "app": {"id": "jira", "data": {...}}}`` -> ``[(type, id, data or
    None)]``; a bare id carries no data (an existing context keeps its own)."""
    entries = []
    for context_type, value in (payload or {}).items():
        if not value:
            continue
        if isinstance(value, dict):
            entries.append((context_type, value["id"], value.get("data")))
        else:
            entries.append((context_type, value, None))
    return entries


class ContextsBackend:
    # The schema each snapshot record is checked against on import (admin document).
    RECORD_SCHEMA = "ContextStateRecord"

    def __init__(self, environment_id: str, lock: threading.RLock) -> None:
        self.environment_id = environment_id
        self._lock = lock
        self._by_key: dict[str, Context] = {}
        self._by_record_id: dict[str, Context] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    # -- the API ------------------------------------------------------------------------------

    def create(
        self,
        context_type: str,
        context_id: str,
        data: dict[str, Any] | None = None,
        *,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> Context:
        """A new context; one of the same type and id is 409 (Novu's CreateContext)."""
        _check_data(data)
        with self._lock:
            if context_key(context_type, context_id) in self._by_key:
                raise Conflict(f"Context with type '{context_type}' and id '{context_id}' already exists")
            return self._add(context_type, context_id, data, created_at or now(), rng)

    def get(self, context_type: str, context_id: str) -> Context:
        with self._lock:
            context = self._by_key.get(context_key(context_type, context_id))
        if context is None:
            raise NotFound(
                f"Context with id '{context_id}' and type '{context_type}' not found in environment "
                f"{self.environment_id}"
            )
        return context

    def update(self, context_type: str, context_id: str, data: dict[str, Any]) -> Context:
        """Replace the data (nothing else changes); unknown is 404 with UpdateContext's wording."""
        _check_data(data)
        with self._lock:
            context = self._by_key.get(context_key(context_type, context_id))
            if context is None:
                raise NotFound(f"Context with type '{context_type}' and id '{context_id}' not found")
            context.data = clone(data)
            context.updated_at = now()
            return context

    def delete(self, context_type: str, context_id: str) -> None:
        with self._lock:
            context = self.get(context_type, context_id)
            del self._by_key[context.key]
            del self._by_record_id[context.record_id]

    def list(
        self,
        query: CursorQuery,
        *,
        context_type: str | None = None,
        context_id: str | None = None,
        search: str | None = None,
    ) -> dict[str, Any]:
        """One cursor page as Novu's ListContexts answers it. ``type`` and ``id`` match exactly,
        ``search`` is found as plain text (any case) in the key ``type:id``: Novu escapes every
        regular-expression character before its case-insensitive ``$regex``."""
        if query.before and query.after:
            raise BadRequest('Cannot specify both "before" and "after" cursors at the same time.')
        with self._lock:
            cursor_id = query.before or query.after
            cursor = self._by_record_id.get(cursor_id) if cursor_id else None
            if cursor_id and cursor is None:
                # Novu looks the cursor up first and answers an empty page, counted 0
                return {"data": [], "next": None, "previous": None, "totalCount": 0, "totalCountCapped": False}
            pattern = _search_pattern(search)
            kept = [
                context
                for context in self._by_key.values()
                if (not context_type or context.type == context_type)
                and (not context_id or context.id == context_id)
                and (pattern is None or pattern.search(context.key))
            ]
            descending = query.order_direction == "DESC"
            kept.sort(key=lambda context: context.sort_key(query.order_by), reverse=descending)
            total = len(kept)
            page, has_more_after, has_more_before = _window(kept, query, cursor, descending)
            return {
                "data": [context.to_dto() for context in page],
                "next": page[-1].record_id if page and has_more_after else None,
                "previous": page[0].record_id if page and has_more_before else None,
                "totalCount": min(total, TOTAL_COUNT_CAP),
                "totalCountCapped": total > TOTAL_COUNT_CAP,
            }

    # -- used by triggers, channel connections and endpoints ----------------------------------

    def find_or_create(
        self, payload: dict[str, Any] | None, *, at: datetime | None = None, rng: random.Random | None = None
    ) -> list[Context]:
        """The contexts a context payload names, created when missing; ``{"id", "data"}`` replaces
        the data of an existing one. Sorted by key, as Novu keeps ``contextKeys``."""
        entries = payload_entries(payload)
        for _, _, data in entries:
            _check_data(data)
        found = []
        with self._lock:
            moment = at or now()
            for context_type, context_id, data in entries:
                context = self._by_key.get(context_key(context_type, context_id))
                if context is None:
                    context = self._add(context_type, context_id, data, moment, rng)
                elif data is not None:
                    context.data = clone(data)
                    context.updated_at = moment
                found.append(context)
        return sorted(found, key=lambda context: context.key)

    def keys(self, payload: dict[str, Any] | None) -> list[str]:
        """The sorted ``type:id`` keys of a context payload (without touching any record)."""
        return sorted(context_key(context_type, context_id) for context_type, context_id, _ in payload_entries(payload))

    # -- state export / import ----------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"_id": context.record_id} | context.to_dto()
                for context in sorted(self._by_key.values(), key=lambda context: context.sequence)
            ]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every context by ``records`` (a ``snapshot()``; None empties the service). Type
        and id follow the API's rules and are unique together, ``_id``s are unique."""
        by_key: dict[str, Context] = {}
        by_record_id: dict[str, Context] = {}
        for index, record in enumerate(records or []):
            where = f"contexts.{index}"
            for name in ("type", "id"):
                if not IDENTIFIER.fullmatch(record[name]):
                    raise ValidationFailed(
                        field_error(f"{where}.{name}", "must be 1 to 100 of a-z, A-Z, 0-9, - and _", record[name])
                    )
            key = context_key(record["type"], record["id"])
            if key in by_key:
                raise Conflict(f"context {key} is used twice; type and id must be unique together")
            if record["_id"] in by_record_id:
                raise Conflict(f"_id {record['_id']} is used by two contexts; ids must be unique")
            created_at = parse_time(record.get("createdAt"), f"{where}.createdAt") or now()
            context = Context(
                record_id=record["_id"],
                type=record["type"],
                id=record["id"],
                data=clone(record.get("data") or {}),
                created_at=created_at,
                updated_at=parse_time(record.get("updatedAt"), f"{where}.updatedAt") or created_at,
            )
            by_key[key] = context
            by_record_id[context.record_id] = context
        with self._lock:
            self._by_key, self._by_record_id = by_key, by_record_id

    # -- helpers ------------------------------------------------------------------------------

    def _add(
        self, context_type: str, context_id: str, data: dict[str, Any] | None, moment: datetime, rng
    ) -> Context:
        record_id = object_id(moment, rng)
        while record_id in self._by_record_id:
            record_id = object_id(moment, rng)
        context = Context(record_id, context_type, context_id, clone(data or {}), moment, moment)
        self._by_key[context.key] = context
        self._by_record_id[record_id] = context
        return context


def _check_data(data: Any) -> None:
    error = data_size_error(data)
    if error:
        raise ValidationFailed(field_error("data", error, None))


def _search_pattern(search: str | None) -> re.Pattern[str] | None:
    """``search`` as Novu's ListContexts uses it: every regular-expression character escaped, then
    a case-insensitive ``$regex``, so plain text found anywhere in the key."""
    if not search:
        return None
    return re.compile(re.escape(search), re.IGNORECASE)


def _window(ordered: list[Context], query: CursorQuery, cursor: Context | None, descending: bool):
    """The page of ``ordered`` after or before ``cursor`` (which need not match the filters: Novu
    compares its sort value and ``_id``), and whether items remain after and before it."""
    if cursor is None:
        start, stop = 0, min(query.limit, len(ordered))
        return ordered[start:stop], stop < len(ordered), False
    mark = cursor.sort_key(query.order_by)[:2]

    def past(context: Context) -> bool:  # strictly after the cursor in the page order
        value = context.sort_key(query.order_by)[:2]
        return value < mark if descending else value > mark

    if query.after:
        first = next((index for index, context in enumerate(ordered) if past(context) or context is cursor), len(ordered))
        if not query.include_cursor and first < len(ordered) and ordered[first] is cursor:
            first += 1
        page = ordered[first : first + query.limit]
        return page, first + len(page) < len(ordered), first > 0
    # before: the page that ends just short of the cursor (or at it, with includeCursor)
    stop = next((index for index, context in enumerate(ordered) if past(context) or context is cursor), len(ordered))
    if query.include_cursor and stop < len(ordered) and ordered[stop] is cursor:
        stop += 1
    start = max(0, stop - query.limit)
    page = ordered[start:stop]
    return page, stop < len(ordered), start > 0
