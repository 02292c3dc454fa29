"""Cursor pagination as Novu's v2 lists do it: ``after`` / ``before`` name an item, ``next`` / ``previous`` too."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mock_server.errors import NotFound

T = TypeVar("T")

# Beyond this many matches the real API stops counting and says so.
TOTAL_COUNT_CAP = 50_000


@dataclass(frozen=True, slots=True)
class CursorQuery:
    after: str | None = None
    before: str | None = None
    limit: int = 10
    order_by: str = "createdAt"
    order_direction: str = "DESC"
    include_cursor: bool = False


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None
    previous: str | None
    total_count: int

    def to_dto(self, render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
        return {
            "data": [render(item) for item in self.items],
            "next": self.next,
            "previous": self.previous,
            "totalCount": min(self.total_count, TOTAL_COUNT_CAP),
            "totalCountCapped": self.total_count > TOTAL_COUNT_CAP,
        }


def paginate(
    items: Sequence[T],
    query: CursorQuery,
    *,
    key: Callable[[T], str],
    sort_value: Callable[[T, str], Any],
    what: str,
) -> Page[T]:
    """One page of ``items`` (already filtered), ordered by ``query.order_by`` with ``key`` breaking ties.

    ``after`` starts the page just past the named item, ``before`` ends it just short of it (both:
    the items between them). An unknown cursor is 404, as an unknown id is everywhere else.
    """
    ordered = sorted(items, key=lambda item: (sort_value(item, query.order_by), key(item)))
    if query.order_direction == "DESC":
        ordered.reverse()
    positions = {key(item): index for index, item in enumerate(ordered)}

    def position(cursor: str) -> int:
        if cursor not in positions:
            raise NotFound(f"Cursor {cursor} does not name a {what} matching the filters")
        return positions[cursor]

    start, stop = 0, len(ordered)
    if query.after is not None:
        start = position(query.after) + (0 if query.include_cursor else 1)
    if query.before is not None:
        stop = position(query.before) + (1 if query.include_cursor else 0)
    stop = max(start, stop)
    if query.before is not None and query.after is None:
        start = max(start, stop - query.limit)  # the page that ends at the cursor
    else:
        stop = min(stop, start + query.limit)
    page = ordered[start:stop]
    return Page(
        items=page,
        next=key(page[-1]) if page and stop < len(ordered) else None,
        previous=key(page[0]) if page and start > 0 else None,
        total_count=len(ordered),
    )


def context_keys(context: dict[str, Any] | None) -> list[str]:
    """``{"tenant": "acme", "region": {"id": "eu"}}`` -> ``["tenant:acme", "region:eu"]``."""
    keys = []
    for kind, value in (context or {}).items():
        identifier = value.get("id") if isinstance(value, dict) else value
        keys.append(f"{kind}:{identifier}")
    return keys
