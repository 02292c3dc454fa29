"""The inbox's records and the indexes kept beside them (the base every inbox part builds on).

Notifications and in-app messages of one environment: the inbox that v1 and v2 both show.

One ``Message`` record per in-app message; the v1 feed, the v1 messages list and the v2 inbox are
views of the same records, so a change through one is seen by the others.

Indexes beside the records, so reads never scan what they do not need:

- ``_by_subscriber[subscriber _id]``: that subscriber's messages, ``(createdAt, _id)`` ascending.
  Feed, unseen count, v2 list and v2 count walk this list only: other subscribers' messages are
  never looked at.
- ``_by_transaction[transactionId]``: the ids of the messages a trigger created.
- ``_messages_order`` / ``_notifications_order``: every message / notification of the environment,
  for the unfiltered v1 lists (a page is a slice).
- ``_states[subscriber _id]``: how many of that subscriber's messages are in each (read, seen,
  archived, contexts) state, and ``_snoozable[subscriber _id]`` the ids of those with a ``snoozedUntil``.
  Counts and feed totals come from these, so a subscriber with 10,000 messages is counted without
  reading them. Every change of a message's state goes through ``_tracked``.
- ``_feed_dtos[message _id]``: the v1 feed DTOs of the messages listed last (at most
  ``FEED_DTOS_KEPT``), so that a feed polled again is not rebuilt field by field: building a page
  of ten took about a third of the feed's time. An entry holds the message object it was built
  from and its subscriber's ``version``: a message changed (``_tracked`` drops its entry), a
  subscriber renamed, or a message restored from a snapshot (another object) is built again.

A snoozed message is hidden from the v1 feed, the unseen count and the default v2 list until its
``snoozedUntil`` passes; ``clock`` is what "now" means (tests may replace it).
"""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sortedcontainers import SortedList

from mock_server.errors import NotFound
from mock_server.store.inbox import refusals
from mock_server.store.inbox.events import EVERYTHING, InboxChange, InboxListener
from mock_server.store.inbox.refusals import Refusal
from mock_server.store.ids import now, object_id
from mock_server.store.context_match import context_matches
from mock_server.store.inbox.filters import InboxFilter, Page, State, _state
from mock_server.store.inbox.records import Message, Notification
from mock_server.store.preferences import PreferencesBackend
from mock_server.store.subscriber_records import Subscriber
from mock_server.store.subscribers import SubscribersBackend
from mock_server.store.workflows import WorkflowsBackend


class InboxIndexes:
    def __init__(
        self,
        environment_id: str,
        organization_id: str,
        lock: threading.RLock,
        *,
        subscribers: SubscribersBackend,
        workflows: WorkflowsBackend,
        preferences: PreferencesBackend,
        topics: Any = None,
        contexts: Any = None,
        listeners: list[InboxListener] | None = None,
    ) -> None:
        self.environment_id = environment_id
        # the topics (``reach(keys, ...)``, ``_by_key``) a trigger fans out to, and the contexts
        # a trigger's ``context`` names (``find_or_create``); either may be absent in unit tests
        self._topics = topics
        self._contexts = contexts
        self.organization_id = organization_id
        self.clock: Callable[[], datetime] = now
        self._lock = lock
        self._subscribers = subscribers
        self._workflows = workflows
        self._preferences = preferences
        self._messages: dict[str, Message] = {}
        self._notifications: dict[str, Notification] = {}
        self._by_subscriber: dict[str, SortedList] = {}
        self._notifications_by_subscriber: dict[str, list[str]] = {}
        self._by_transaction: dict[str, set[str]] = {}
        # transactionId -> the ids of the notifications it made (for a cancel)
        self._notifications_by_transaction: dict[str, list[str]] = {}
        self._transactions: set[str] = set()
        self._messages_order = SortedList()
        self._notifications_order = SortedList()
        self._states: dict[str, dict[State, int]] = {}
        self._snoozable: dict[str, set[str]] = {}
        self._feed_dtos: dict[str, tuple[Message, int, dict[str, Any]]] = {}
        subscribers.removal_listeners.append(self._forget_subscriber)
        # told of every change of a subscriber's in-app notifications (see ``events``)
        self.listeners: list[InboxListener] = listeners if listeners is not None else []


    def _announce(self, subscriber: str | None, kind: str, message_id: str | None = None) -> None:
        """Tell the listeners what changed for the subscriber with record id ``subscriber``."""
        if self.listeners:
            change = InboxChange(self.environment_id, subscriber, kind, message_id)
            for listener in self.listeners:
                listener(change)

    def announce_everything(self) -> None:
        """Tell the listeners that every subscriber's inbox may have changed (a reset)."""
        self._announce(None, EVERYTHING)

    def __len__(self) -> int:
        """Notifications: the records a snapshot holds."""
        return len(self._notifications)

    def _subscriber(self, subscriber_id: str, refusal: Refusal = refusals.subscriber_not_found) -> Subscriber:
        try:
            return self._subscribers.get(subscriber_id)
        except NotFound:
            raise refusal(subscriber_id, self.environment_id) from None

    def _own(
        self, subscriber_id: str, refusal: Refusal = refusals.subscriber_not_found
    ) -> tuple[Subscriber, SortedList]:
        subscriber = self._subscriber(subscriber_id, refusal)
        return subscriber, self._by_subscriber.get(subscriber.id) or SortedList()

    def _newest_first(self, keys: SortedList, start: int | None = None) -> Iterator[Message]:
        stop = len(keys) if start is None else start
        for key in keys.islice(0, stop, reverse=True):
            yield self._messages[key[-1]]

    def message(self, subscriber_id: str, message_id: str, context_keys: list[str] | None = None) -> Message:
        """The in-app message ``message_id`` of the subscriber (the v2 inbox's notification); with
        ``contextKeys``, only if it belongs to exactly those contexts."""
        with self._lock:
            subscriber = self._subscriber(subscriber_id)
            message = self._messages.get(message_id)
            mine = message is not None and message.subscriber.id == subscriber.id
            if not mine or not context_matches(message.context_keys, context_keys):
                raise NotFound(f"Notification with id: {message_id} is not found.")
            return message

    def _remove(self, message: Message) -> None:
        del self._messages[message.id]
        self._feed_dtos.pop(message.id, None)
        self._count_out(message)
        self._by_subscriber[message.subscriber.id].discard(message.key)
        self._by_transaction.get(message.transaction_id, set()).discard(message.id)
        self._messages_order.discard(message.key)
        notification = self._notifications.get(message.notification_id)
        if notification is not None and message.id in notification.message_ids:
            notification.message_ids.remove(message.id)

    def _forget_subscriber(self, subscriber: Subscriber) -> None:
        """A deleted subscriber takes its messages and notifications along."""
        self._states.pop(subscriber.id, None)
        self._snoozable.pop(subscriber.id, None)
        for key in list(self._by_subscriber.pop(subscriber.id, [])):
            message = self._messages.pop(key[-1])
            self._feed_dtos.pop(message.id, None)
            self._by_transaction.get(message.transaction_id, set()).discard(message.id)
            self._messages_order.discard(key)
        for notification_id in self._notifications_by_subscriber.pop(subscriber.id, []):
            notification = self._notifications.pop(notification_id)
            self._notifications_order.discard((notification.created_at, notification.id))
            same_transaction = self._notifications_by_transaction.get(notification.transaction_id)
            if same_transaction and notification.id in same_transaction:
                same_transaction.remove(notification.id)

    def _new_id(self, moment: datetime, rng: random.Random | None) -> str:
        record_id = object_id(moment, rng)
        while record_id in self._messages or record_id in self._notifications:
            record_id = object_id(moment, rng)
        return record_id

    def _count_in(self, message: Message) -> None:
        counts = self._states.setdefault(message.subscriber.id, {})
        state = _state(message)
        counts[state] = counts.get(state, 0) + 1
        if message.snoozed_until is not None:
            self._snoozable.setdefault(message.subscriber.id, set()).add(message.id)

    def _count_out(self, message: Message) -> None:
        counts = self._states[message.subscriber.id]
        state = _state(message)
        counts[state] -= 1
        if not counts[state]:
            del counts[state]
        snoozable = self._snoozable.get(message.subscriber.id)
        if snoozable is not None:
            snoozable.discard(message.id)

    @contextlib.contextmanager
    def _tracked(self, message: Message) -> Iterator[Message]:
        """Around every change of a message's state: its counts move, its feed DTO is dropped."""
        self._count_out(message)
        self._feed_dtos.pop(message.id, None)
        try:
            yield message
        finally:
            self._count_in(message)

    def _fast_count(self, subscriber_record_id: str, where: InboxFilter, moment: datetime) -> int | None:
        """How many of the subscriber's messages ``where`` matches, from the state counts; None
        when the filter looks at more than the state and the exact contexts (tags, severity, data,
        dates, ids, any of some contexts)."""
        looks_further = (where.tags, where.severity, where.data, where.created_gte, where.created_lte, where.ids, where.any_context)
        if looks_further != (None,) * 7:
            return None

        def wanted(state: State) -> bool:
            read, seen, archived, contexts = state
            return (
                context_matches(contexts, where.context_keys)
                and (where.read is None or read == where.read)
                and (where.seen is None or seen == where.seen)
                and (where.archived is None or archived == where.archived)
            )

        snoozed_now = sum(
            1
            for message_id in self._snoozable.get(subscriber_record_id, ())
            if self._messages[message_id].snoozed(moment) and wanted(_state(self._messages[message_id]))
        )
        if where.snoozed:
            return snoozed_now
        states = self._states.get(subscriber_record_id, {})
        return sum(count for state, count in states.items() if wanted(state)) - snoozed_now

    @staticmethod
    def _newest_page(order: SortedList, records: dict[str, Any], page: int, limit: int) -> Page:
        """Page ``page`` of ``order`` read newest first, as a slice: nothing else is looked at."""
        total = len(order)
        start, stop = min(page * limit, total), min(page * limit + limit, total)
        keys = order.islice(total - stop, total - start, reverse=True)
        return Page([records[key[-1]] for key in keys], total, page * limit + limit < total)

    def subscriber_message_count(self, subscriber_id: str) -> int:
        with self._lock:
            return len(self._own(subscriber_id)[1])
