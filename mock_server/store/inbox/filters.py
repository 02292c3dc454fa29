"""What the inbox's lists select: the v2 filter, pages, a message's state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_server.store.context_match import context_matches
from mock_server.store.ids import iso
from mock_server.store.inbox.records import Message


@dataclass(frozen=True, slots=True)
class InboxFilter:
    """The v2 filters (list, count, bulk). ``None`` means "either way", except for ``snoozed``:
    left out, currently snoozed notifications are hidden, as the inbox hides them."""

    read: bool | None = None
    seen: bool | None = None
    archived: bool | None = None
    snoozed: bool | None = None
    tags: Any = None  # a list (any of them) or {"and": [{"or": [...]}, ...]}
    severity: tuple[str, ...] | None = None
    data: dict[str, Any] | None = None
    created_gte: float | None = None  # Unix milliseconds
    created_lte: float | None = None
    ids: frozenset[str] | None = None
    context_keys: tuple[str, ...] | None = None  # Novu's contextKeys: records of exactly those contexts
    # the bulk routes' contextKeys (Novu's ``$in``): records with any of these contexts
    any_context: tuple[str, ...] | None = None

    def matches(self, message: Message, moment: datetime) -> bool:
        if self.ids is not None and message.id not in self.ids:
            return False
        if not context_matches(message.context_keys, self.context_keys):
            return False
        if self.any_context is not None and not set(self.any_context) & set(message.context_keys):
            return False
        if self.read is not None and message.read != self.read:
            return False
        if self.seen is not None and message.seen != self.seen:
            return False
        if self.archived is not None and message.archived != self.archived:
            return False
        if message.snoozed(moment) != bool(self.snoozed):
            return False
        if self.severity is not None and message.workflow.severity not in self.severity:
            return False
        if self.data is not None and any(message.data.get(k) != v for k, v in self.data.items()):
            return False
        millis = message.created_at.timestamp() * 1000
        if self.created_gte is not None and millis < self.created_gte:
            return False
        if self.created_lte is not None and millis > self.created_lte:
            return False
        return self.tags is None or _tags_match(self.tags, message.workflow.tags)


def _tags_match(wanted: Any, tags: list[str]) -> bool:
    if isinstance(wanted, list):
        return not wanted or any(tag in tags for tag in wanted)
    groups = wanted.get("and", []) if isinstance(wanted, dict) else []
    return all(_tags_match(group.get("or", []), tags) for group in groups)



@dataclass(slots=True)
class Page:
    items: list[Any]
    total: int
    has_more: bool


State = tuple[bool, bool, bool, tuple[str, ...]]


def _state(message: Message) -> State:
    """What the counts of the inbox are kept by: read, seen, archived, and the message's contexts
    (which never change)."""
    contexts = tuple(sorted(set(message.context_keys)))
    return (message.read_at is not None, message.seen_at is not None, message.archived_at is not None, contexts)


def _time(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None
