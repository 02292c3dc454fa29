"""Records kept by their ``identifier``, read the way the chat services read them.

Channel connections and channel endpoints hold the same kind of state: records keyed by a
generated identifier, guarded by the Backend's lock, found one by one (404 when unknown), listed
through filters into cursor pages, exported with their full ``context``. Each service keeps its
own rules and says only what differs: the record's name and which records a filter keeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from mock_server.errors import BadRequest, NotFound
from mock_server.store.cursor import CursorQuery, Page, paginate
from mock_server.store.values import clone


class _Identified(Protocol):
    identifier: str
    context: dict[str, Any]

    def sort_value(self, order_by: str) -> Any: ...

    def to_dto(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Identified)


class RecordsByIdentifier(Generic[R]):
    # what a record is called in messages: "Channel connection", "Channel endpoint"
    NOUN = "Record"

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._by_identifier: dict[str, R] = {}

    def get(self, identifier: str) -> R:
        with self._lock:
            record = self._by_identifier.get(identifier)
        if record is None:
            raise NotFound(f"{self.NOUN} with identifier {identifier} not found")
        return record

    def all(self) -> list[R]:
        with self._lock:
            return list(self._by_identifier.values())

    def _page(self, query: CursorQuery, keep: Callable[[R], bool]) -> Page[R]:
        """The records ``keep`` accepts, as the cursor page ``query`` asks for. As in Novu's list
        use cases, ``before`` and ``after`` together are refused (400), a cursor that names no
        record of the environment gives an empty page, and a cursor record the filters leave
        out still marks where the page starts (a keyset query on its sort value)."""
        if query.before and query.after:
            raise BadRequest('Cannot specify both "before" and "after" cursors at the same time.')
        with self._lock:
            cursor = query.before or query.after
            if cursor and cursor not in self._by_identifier:
                return Page(items=[], next=None, previous=None, total_count=0)
            kept = [record for record in self._by_identifier.values() if keep(record)]
            outside = cursor is not None and not keep(self._by_identifier[cursor])
            page = paginate(
                [*kept, self._by_identifier[cursor]] if outside else kept,
                query,
                key=lambda record: record.identifier,
                sort_value=lambda record, order_by: record.sort_value(order_by),
                what=self.NOUN.lower(),
            )
            if not outside:
                return page
            items = [record for record in page.items if record.identifier != cursor]
            return Page(
                items=items,
                next=page.next if page.next != cursor else None,
                previous=page.previous if page.previous != cursor else None,
                total_count=len(kept),
            )

    def snapshot(self) -> list[dict[str, Any]]:
        """Every record as the API shows it, plus the full ``context`` its keys were made from."""
        with self._lock:
            return [record.to_dto() | {"context": clone(record.context)} for record in self._by_identifier.values()]
