"""Notifications and in-app messages of one environment: the inbox that v1 and v2 both show.

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
  archived) state, and ``_snoozable[subscriber _id]`` the ids of those with a ``snoozedUntil``.
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
import functools
import random
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sortedcontainers import SortedList

from mock_server.errors import Conflict, NotFound
from mock_server.store.ids import iso, now, object_id, parse_time
from mock_server.store.preferences import PreferencesBackend
from mock_server.store.subscribers import PROFILE_FIELDS, Subscriber, SubscribersBackend
from mock_server.store.workflows import InAppTemplate, Workflow, WorkflowsBackend
from mock_server.store.values import clone

ACTION_TYPES = ("primary", "secondary")
FEED_DTOS_KEPT = 1024  # ~3 KB each
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


# -- templates -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _pieces(text: str) -> tuple[str | tuple[str, ...], ...]:
    """A template as its literal strings and its placeholders' paths (``{{a.b}}``: ("a", "b")),
    worked out once per template text."""
    pieces: list[str | tuple[str, ...]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        pieces += [text[position : match.start()], tuple(match.group(1).split("."))]
        position = match.end()
    pieces.append(text[position:])
    return tuple(pieces)


def _value(path: tuple[str, ...], context: dict[str, Any]) -> str:
    found: Any = context
    for part in path:
        if not isinstance(found, dict) or part not in found:
            return ""
        found = found[part]
    return found if isinstance(found, str) else str(found) if found is not None else ""


def render(text: str, context: dict[str, Any]) -> str:
    """Fill ``{{a.b.c}}`` from ``context``; a missing value renders as nothing."""
    pieces = _pieces(text)
    if len(pieces) == 1:
        return text
    return "".join(piece if type(piece) is str else _value(piece, context) for piece in pieces)


def _render_data(data: Any, context: dict[str, Any]) -> Any:
    if isinstance(data, str):
        return render(data, context)
    if isinstance(data, dict):
        return {key: _render_data(value, context) for key, value in data.items()}
    if isinstance(data, list):
        return [_render_data(value, context) for value in data]
    return clone(data)


# -- records ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Notification:
    """One trigger for one subscriber (what the activity feed lists)."""

    id: str
    environment_id: str
    organization_id: str
    subscriber: Subscriber
    workflow: Workflow
    transaction_id: str
    payload: dict[str, Any]
    to: dict[str, Any]
    created_at: datetime
    message_ids: list[str] = field(default_factory=list)

    def to_dto(self) -> dict[str, Any]:
        subscriber = self.subscriber
        return {
            "_id": self.id,
            "_environmentId": self.environment_id,
            "_organizationId": self.organization_id,
            "_subscriberId": subscriber.id,
            "_templateId": self.workflow.id,
            "transactionId": self.transaction_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.created_at),
            "channels": list(self.workflow.channels),
            "subscriber": {
                "_id": subscriber.id,
                "subscriberId": subscriber.subscriber_id,
                **{key: value for key, value in (
                    ("firstName", subscriber.first_name),
                    ("lastName", subscriber.last_name),
                    ("email", subscriber.email),
                    ("phone", subscriber.phone),
                ) if value is not None},
            },
            "template": {
                "_id": self.workflow.id,
                "name": self.workflow.name,
                "triggers": [
                    {"type": "event", "identifier": self.workflow.identifier, "variables": [], "subscriberVariables": []}
                ],
            },
            "payload": clone(self.payload),
            "tags": list(self.workflow.tags),
            "to": clone(self.to),
            "severity": self.workflow.severity,
            "critical": self.workflow.critical,
        }


@dataclass(slots=True)
class Message:
    """One in-app message; v1 calls it a message, v2 a notification."""

    id: str
    environment_id: str
    organization_id: str
    notification_id: str
    subscriber: Subscriber
    workflow: Workflow
    transaction_id: str
    subject: str
    body: str
    created_at: datetime
    updated_at: datetime
    payload: dict[str, Any]
    data: dict[str, Any]
    avatar: str | None = None
    redirect_url: str | None = None
    # label per action type ("primary", "secondary") and whether it is done
    actions: dict[str, str] = field(default_factory=dict)
    completed: dict[str, bool] = field(default_factory=dict)
    action_result: dict[str, Any] | None = None
    seen_at: datetime | None = None
    read_at: datetime | None = None
    archived_at: datetime | None = None
    snoozed_until: datetime | None = None

    @property
    def seen(self) -> bool:
        return self.seen_at is not None

    @property
    def read(self) -> bool:
        return self.read_at is not None

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def snoozed(self, moment: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > moment

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.created_at, self.id)

    # -- DTOs ---------------------------------------------------------------------------------

    def _cta(self) -> dict[str, Any]:
        cta: dict[str, Any] = {"type": "redirect", "data": {"url": self.redirect_url} if self.redirect_url else {}}
        if self.actions or self.action_result is not None:
            action: dict[str, Any] = {
                "status": "done" if any(self.completed.values()) else "pending",
                "buttons": [{"type": kind, "content": label} for kind, label in self.actions.items()],
            }
            if self.action_result is not None:
                action["result"] = clone(self.action_result)
            cta["action"] = action
        return cta

    def feed_dto(self) -> dict[str, Any]:
        """NotificationFeedItemDto (v1 feed)."""
        subscriber = self.subscriber
        return {
            "_id": self.id,
            "_templateId": self.workflow.id,
            "_environmentId": self.environment_id,
            "_organizationId": self.organization_id,
            "_notificationId": self.notification_id,
            "_subscriberId": subscriber.id,
            "_jobId": self.notification_id,
            "_feedId": None,
            "transactionId": self.transaction_id,
            "templateIdentifier": self.workflow.identifier,
            "providerId": "novu",
            "subject": self.subject,
            "content": self.body,
            "channel": "in_app",
            "read": self.read,
            "seen": self.seen,
            "archived": self.archived,
            "cta": self._cta(),
            "status": "sent",
            "payload": clone(self.payload),
            "data": clone(self.data),
            "tags": list(self.workflow.tags),
            "subscriber": {
                "_id": subscriber.id,
                "subscriberId": subscriber.subscriber_id,
                "firstName": subscriber.first_name,
                "lastName": subscriber.last_name,
                "avatar": subscriber.avatar,
            },
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }

    def message_dto(self) -> dict[str, Any]:
        """MessageResponseDto (v1 messages, mark-as, actions)."""
        subscriber = self.subscriber
        dto: dict[str, Any] = {
            "_id": self.id,
            "_templateId": self.workflow.id,
            "_environmentId": self.environment_id,
            "_organizationId": self.organization_id,
            "_notificationId": self.notification_id,
            "_subscriberId": subscriber.id,
            "_feedId": None,
            "subscriber": subscriber.to_dto(),
            "templateIdentifier": self.workflow.identifier,
            "createdAt": iso(self.created_at),
            "deliveredAt": [iso(self.created_at)],
            "transactionId": self.transaction_id,
            "subject": self.subject,
            "content": self.body,
            "channel": "in_app",
            "providerId": "novu",
            "read": self.read,
            "seen": self.seen,
            "cta": self._cta(),
            "status": "sent",
            "payload": clone(self.payload),
        }
        if self.seen_at:
            dto["lastSeenDate"] = iso(self.seen_at)
        if self.read_at:
            dto["lastReadDate"] = iso(self.read_at)
        if self.snoozed_until:
            dto["snoozedUntil"] = iso(self.snoozed_until)
        return dto

    def inbox_dto(self, moment: datetime) -> dict[str, Any]:
        """InboxNotificationDto (v2)."""
        subscriber = self.subscriber
        dto: dict[str, Any] = {
            "id": self.id,
            "transactionId": self.transaction_id,
            "subject": self.subject,
            "body": self.body,
            "to": {
                "id": subscriber.id,
                "subscriberId": subscriber.subscriber_id,
                "firstName": subscriber.first_name,
                "lastName": subscriber.last_name,
                "avatar": subscriber.avatar,
            },
            "isRead": self.read,
            "isSeen": self.seen,
            "isArchived": self.archived,
            "isSnoozed": self.snoozed(moment),
            "snoozedUntil": iso(self.snoozed_until) if self.snoozed(moment) else None,
            "deliveredAt": [iso(self.created_at)],
            "createdAt": iso(self.created_at),
            "readAt": iso(self.read_at) if self.read_at else None,
            "firstSeenAt": iso(self.seen_at) if self.seen_at else None,
            "archivedAt": iso(self.archived_at) if self.archived_at else None,
            "channelType": "in_app",
            "severity": self.workflow.severity,
            "tags": list(self.workflow.tags),
            "data": clone(self.data),
            "workflow": {
                "id": self.workflow.id,
                "identifier": self.workflow.identifier,
                "name": self.workflow.name,
                "critical": self.workflow.critical,
                "severity": self.workflow.severity,
                "tags": list(self.workflow.tags),
                "data": clone(self.workflow.data),
            },
        }
        if self.avatar:
            dto["avatar"] = self.avatar
        if self.redirect_url:
            dto["redirect"] = {"url": self.redirect_url, "target": "_self"}
        for kind, label in self.actions.items():
            dto[f"{kind}Action"] = {"label": label, "isCompleted": self.completed.get(kind, False)}
        return dto


# -- filters ---------------------------------------------------------------------------------


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

    def matches(self, message: Message, moment: datetime) -> bool:
        if self.ids is not None and message.id not in self.ids:
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


# -- the backend -----------------------------------------------------------------------------


@dataclass(slots=True)
class Page:
    items: list[Any]
    total: int
    has_more: bool


def _state(message: Message) -> tuple[bool, bool, bool]:
    return (message.read_at is not None, message.seen_at is not None, message.archived_at is not None)


def _time(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


class InboxBackend:
    # The schema (admin document) each snapshot record is checked against on import: one
    # notification (one trigger for one subscriber) with the in-app messages it delivered.
    RECORD_SCHEMA = "InboxNotificationStateRecord"

    def __init__(
        self,
        environment_id: str,
        organization_id: str,
        lock: threading.RLock,
        *,
        subscribers: SubscribersBackend,
        workflows: WorkflowsBackend,
        preferences: PreferencesBackend,
    ) -> None:
        self.environment_id = environment_id
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
        self._transactions: set[str] = set()
        self._messages_order = SortedList()
        self._notifications_order = SortedList()
        self._states: dict[str, dict[tuple[bool, bool, bool], int]] = {}
        self._snoozable: dict[str, set[str]] = {}
        self._feed_dtos: dict[str, tuple[Message, int, dict[str, Any]]] = {}
        subscribers.removal_listeners.append(self._forget_subscriber)

    def __len__(self) -> int:
        """Notifications: the records a snapshot holds."""
        return len(self._notifications)

    # -- templates ----------------------------------------------------------------------------

    def set_template(self, workflow_id: str, template: InAppTemplate) -> None:
        with self._lock:
            self._workflows.get(workflow_id).in_app = template

    def template_for(self, workflow: Workflow) -> InAppTemplate:
        return workflow.in_app or InAppTemplate(
            subject=workflow.name, body=f"{workflow.name}: {{{{payload.message}}}}"
        )

    # -- trigger ------------------------------------------------------------------------------

    def trigger(
        self,
        *,
        workflow_id: str,
        recipients: list[dict[str, Any]],
        payload: dict[str, Any] | None = None,
        transaction_id: str | None = None,
        at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> str:
        """One notification per recipient and, where the workflow has an in-app step the
        subscriber has not turned off, one in-app message. Unknown subscribers are created."""
        payload = payload or {}
        with self._lock:
            try:
                workflow = self._workflows.get(workflow_id)
            except NotFound:
                raise NotFound(
                    f"workflow_not_found: no workflow with identifier {workflow_id} in this environment"
                ) from None
            if transaction_id is not None and transaction_id in self._transactions:
                raise Conflict(f"transactionId property is not unique: {transaction_id} was used before")
            transaction_id = transaction_id or (uuid.UUID(int=rng.getrandbits(128)).hex if rng else uuid.uuid4().hex)
            moment = at or self.clock()
            self._transactions.add(transaction_id)
            self._by_transaction.setdefault(transaction_id, set())
            for recipient in _unique_recipients(recipients):
                profile = {k: v for k, v in recipient.items() if k in PROFILE_FIELDS}
                try:
                    subscriber = self._subscribers.get(recipient["subscriberId"])
                    if profile:
                        subscriber = self._subscribers.patch(subscriber.subscriber_id, profile)
                except NotFound:
                    subscriber, _ = self._subscribers.create(
                        subscriber_id=recipient["subscriberId"], profile=profile, created_at=moment, rng=rng
                    )
                notification = Notification(
                    id=self._new_id(moment, rng),
                    environment_id=self.environment_id,
                    organization_id=self.organization_id,
                    subscriber=subscriber,
                    workflow=workflow,
                    transaction_id=transaction_id,
                    payload=clone(payload),
                    to=clone(recipient),
                    created_at=moment,
                )
                self._notifications[notification.id] = notification
                self._notifications_order.add((notification.created_at, notification.id))
                self._notifications_by_subscriber.setdefault(subscriber.id, []).append(notification.id)
                if "in_app" in workflow.channels and self._preferences.delivers(subscriber, workflow, "in_app"):
                    self._deliver(notification, rng)
            return transaction_id

    def _deliver(self, notification: Notification, rng: random.Random | None) -> Message:
        template = self.template_for(notification.workflow)
        subscriber = notification.subscriber
        context = {
            "payload": notification.payload,
            "subscriber": {
                "subscriberId": subscriber.subscriber_id,
                "firstName": subscriber.first_name,
                "lastName": subscriber.last_name,
                "email": subscriber.email,
                "phone": subscriber.phone,
                "data": subscriber.data or {},
            },
        }
        actions = {
            kind: render(label, context)
            for kind, label in (("primary", template.primary_action), ("secondary", template.secondary_action))
            if label
        }
        message = Message(
            id=self._new_id(notification.created_at, rng),
            environment_id=self.environment_id,
            organization_id=self.organization_id,
            notification_id=notification.id,
            subscriber=subscriber,
            workflow=notification.workflow,
            transaction_id=notification.transaction_id,
            subject=render(template.subject, context),
            body=render(template.body, context),
            created_at=notification.created_at,
            updated_at=notification.created_at,
            payload=notification.payload,  # one copy for both records: neither changes it, answers clone it
            data=_render_data(template.data, context),
            avatar=template.avatar,
            redirect_url=render(template.redirect_url, context) if template.redirect_url else None,
            actions=actions,
            completed={kind: False for kind in actions},
        )
        self._messages[message.id] = message
        self._count_in(message)
        self._by_subscriber.setdefault(subscriber.id, SortedList()).add(message.key)
        self._by_transaction.setdefault(message.transaction_id, set()).add(message.id)
        self._messages_order.add(message.key)
        notification.message_ids.append(message.id)
        return message

    # -- reads --------------------------------------------------------------------------------

    def _own(self, subscriber_id: str) -> tuple[Subscriber, SortedList]:
        subscriber = self._subscribers.get(subscriber_id)
        return subscriber, self._by_subscriber.get(subscriber.id) or SortedList()

    def _newest_first(self, keys: SortedList, start: int | None = None) -> Iterator[Message]:
        stop = len(keys) if start is None else start
        for key in keys.islice(0, stop, reverse=True):
            yield self._messages[key[-1]]

    def message(self, subscriber_id: str, message_id: str) -> Message:
        with self._lock:
            subscriber = self._subscribers.get(subscriber_id)
            message = self._messages.get(message_id)
            if message is None or message.subscriber.id != subscriber.id:
                raise NotFound(f"Message with id {message_id} not found for subscriber {subscriber_id}")
            return message

    def feed(
        self,
        subscriber_id: str,
        *,
        page: int,
        limit: int,
        read: bool | None = None,
        seen: bool | None = None,
        payload: dict[str, Any] | None | bool = None,
    ) -> Page:
        """v1 feed, newest first; snoozed messages stay out until their time. ``payload=False``
        is a filter that could not be read: it matches nothing."""
        with self._lock:
            moment = self.clock()
            subscriber, keys = self._own(subscriber_id)
            start, stop = page * limit, page * limit + limit
            items: list[Message] = []
            total = 0
            counted = None if payload else self._fast_count(subscriber.id, InboxFilter(read=read, seen=seen), moment)
            if payload is not False:
                for message in self._newest_first(keys):
                    if counted is not None and total >= stop:
                        break  # the page is full and the total is known without reading further
                    if message.snoozed(moment):
                        continue
                    if read is not None and message.read != read:
                        continue
                    if seen is not None and message.seen != seen:
                        continue
                    if payload and any(message.payload.get(k) != v for k, v in payload.items()):
                        continue
                    if start <= total < stop:
                        items.append(message)
                    total += 1
            if counted is not None and payload is not False:
                total = counted
            return Page(items, total, stop < total)

    def feed_dtos(self, messages: list[Message]) -> list[dict[str, Any]]:
        """The v1 feed DTOs of ``messages``, built again only when changed (see ``_feed_dtos``).
        They are shared with later answers: callers serialize them and never change them."""
        with self._lock:
            kept = self._feed_dtos
            dtos = []
            for message in messages:
                entry = kept.get(message.id)
                if entry is None or entry[0] is not message or entry[1] != message.subscriber.version:
                    if len(kept) >= FEED_DTOS_KEPT:
                        del kept[next(iter(kept))]  # the oldest entry
                    entry = kept[message.id] = (message, message.subscriber.version, message.feed_dto())
                dtos.append(entry[2])
            return dtos

    def unseen_count(self, subscriber_id: str, *, seen: bool = False, limit: int | None = None) -> int:
        with self._lock:
            moment = self.clock()
            subscriber, _ = self._own(subscriber_id)
            count = self._fast_count(subscriber.id, InboxFilter(seen=seen), moment)
            return count if limit is None else min(count, limit)

    def inbox(
        self, subscriber_id: str, *, where: InboxFilter, limit: int, after: str | None = None, offset: int = 0
    ) -> tuple[list[dict[str, Any]], bool]:
        """v2 list, newest first: (notification DTOs, has more)."""
        with self._lock:
            moment = self.clock()
            subscriber, keys = self._own(subscriber_id)
            start = None
            if after is not None:
                cursor = self._messages.get(after)
                if cursor is None or cursor.subscriber.id != subscriber.id:
                    raise NotFound(f"Notification {after} not found for subscriber {subscriber_id}")
                start = keys.bisect_left(cursor.key)
            found: list[Message] = []
            skipped = 0
            has_more = False
            for message in self._newest_first(keys, start):
                if not where.matches(message, moment):
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                if len(found) == limit:
                    has_more = True
                    break
                found.append(message)
            return [message.inbox_dto(moment) for message in found], has_more

    def count(self, subscriber_id: str, filters: list[InboxFilter]) -> list[int]:
        with self._lock:
            moment = self.clock()
            subscriber, keys = self._own(subscriber_id)
            counts = [self._fast_count(subscriber.id, where, moment) for where in filters]
            slow = [index for index, count in enumerate(counts) if count is None]
            for index in slow:
                counts[index] = 0
            if slow:
                for key in keys:
                    message = self._messages[key[-1]]
                    for index in slow:
                        if filters[index].matches(message, moment):
                            counts[index] += 1
            return counts

    def messages(
        self,
        *,
        page: int,
        limit: int,
        channel: str | None = None,
        subscriber_id: str | None = None,
        transaction_ids: list[str] | None = None,
    ) -> Page:
        with self._lock:
            if channel not in (None, "in_app"):
                return Page([], 0, False)
            if subscriber_id is not None:
                try:
                    _, keys = self._own(subscriber_id)
                except NotFound:
                    return Page([], 0, False)
                if not transaction_ids:
                    return self._newest_page(keys, self._messages, page, limit)
                candidates: Any = (self._messages[key[-1]] for key in keys.islice(reverse=True))
            elif transaction_ids:
                ids = set().union(*(self._by_transaction.get(t, set()) for t in transaction_ids))
                candidates = sorted((self._messages[i] for i in ids), key=lambda m: m.key, reverse=True)
            else:
                return self._newest_page(self._messages_order, self._messages, page, limit)
            wanted = set(transaction_ids or [])
            matching = [m for m in candidates if not wanted or m.transaction_id in wanted]
            start = page * limit
            return Page(matching[start : start + limit], len(matching), start + limit < len(matching))

    def notifications(
        self,
        *,
        page: int,
        limit: int,
        channels: list[str] | None = None,
        templates: list[str] | None = None,
        emails: list[str] | None = None,
        search: str | None = None,
        subscriber_ids: list[str] | None = None,
        severity: list[str] | None = None,
        transaction_id: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
    ) -> Page:
        with self._lock:
            if subscriber_ids:
                ids = [
                    notification_id
                    for subscriber in self._known(subscriber_ids)
                    for notification_id in self._notifications_by_subscriber.get(subscriber.id, [])
                ]
                candidates = sorted(
                    (self._notifications[i] for i in ids), key=lambda n: (n.created_at, n.id), reverse=True
                )
            elif not any((channels, templates, emails, search, severity, transaction_id, after, before)):
                return self._newest_page(self._notifications_order, self._notifications, page, limit)
            else:
                candidates = [self._notifications[key[-1]] for key in self._notifications_order.islice(reverse=True)]
            needle = search.lower() if search else None

            def keep(notification: Notification) -> bool:
                workflow = notification.workflow
                if channels and not set(channels) & set(workflow.channels):
                    return False
                if templates and workflow.id not in templates and workflow.identifier not in templates:
                    return False
                if emails and notification.subscriber.email not in emails:
                    return False
                if severity and workflow.severity not in severity:
                    return False
                if transaction_id and notification.transaction_id != transaction_id:
                    return False
                if after and notification.created_at < after:
                    return False
                if before and notification.created_at > before:
                    return False
                if needle:
                    haystack = " ".join(
                        str(value or "")
                        for value in (
                            notification.transaction_id,
                            workflow.name,
                            workflow.identifier,
                            notification.subscriber.subscriber_id,
                            notification.subscriber.email,
                        )
                    ).lower()
                    if needle not in haystack:
                        return False
                return True

            matching = [n for n in candidates if keep(n)]
            start = page * limit
            return Page(matching[start : start + limit], len(matching), start + limit < len(matching))

    def _known(self, subscriber_ids: list[str]) -> list[Subscriber]:
        found = []
        for subscriber_id in dict.fromkeys(subscriber_ids):
            try:
                found.append(self._subscribers.get(subscriber_id))
            except NotFound:
                continue
        return found

    def notification(self, notification_id: str) -> Notification:
        with self._lock:
            notification = self._notifications.get(notification_id)
        if notification is None:
            raise NotFound(f"Notification with id {notification_id} not found")
        return notification

    # -- writes: v1 ---------------------------------------------------------------------------

    def mark_as(self, subscriber_id: str, message_ids: list[str], mark_as: str) -> list[Message]:
        """All or nothing: every id must be a message of this subscriber."""
        with self._lock:
            messages = [self.message(subscriber_id, message_id) for message_id in dict.fromkeys(message_ids)]
            moment = self.clock()
            for message in messages:
                with self._tracked(message):
                    self._mark(message, mark_as, moment)
            return messages

    def mark_all(self, subscriber_id: str, mark_as: str, feed_ids: list[str] | None = None) -> int:
        """Every message the feed lists (not snoozed); the number whose state changed.
        The mock has no feeds, so a ``feedIdentifier`` matches no message."""
        with self._lock:
            moment = self.clock()
            _, keys = self._own(subscriber_id)
            if feed_ids:
                return 0
            changed = 0
            for key in keys:
                message = self._messages[key[-1]]
                if message.snoozed(moment):
                    continue
                with self._tracked(message):
                    if self._mark(message, mark_as, moment):
                        changed += 1
            return changed

    @staticmethod
    def _mark(message: Message, mark_as: str, moment: datetime) -> bool:
        """read implies seen: reading marks seen, unseeing marks unread. True when something changed."""
        before = (message.read, message.seen)
        if mark_as == "read":
            message.read_at = message.read_at or moment
            message.seen_at = message.seen_at or moment
        elif mark_as == "seen":
            message.seen_at = message.seen_at or moment
        elif mark_as == "unread":
            message.read_at = None
        elif mark_as == "unseen":
            message.seen_at = None
            message.read_at = None
        changed = before != (message.read, message.seen)
        if changed:
            message.updated_at = moment
        return changed

    def act(
        self, subscriber_id: str, message_id: str, action_type: str, status: str, payload: dict[str, Any] | None
    ) -> Message:
        """v1: record what the subscriber did with a button; ``done`` completes it, ``pending`` reopens it."""
        with self._lock:
            message = self.message(subscriber_id, message_id)
            with self._tracked(message):
                message.completed[action_type] = status == "done"
                message.action_result = {"type": action_type, "payload": clone(payload or {})}
                message.updated_at = self.clock()
            return message

    # -- writes: v2 ---------------------------------------------------------------------------

    def update(self, subscriber_id: str, notification_id: str, change: str, **options: Any) -> dict[str, Any]:
        """One v2 per-notification action: read, unread, archive, unarchive, snooze, unsnooze,
        complete, revert."""
        with self._lock:
            message = self.message(subscriber_id, notification_id)
            with self._tracked(message):
                return self._update(message, notification_id, change, options)

    def _update(self, message: Message, notification_id: str, change: str, options: dict[str, Any]) -> dict[str, Any]:
        moment = self.clock()
        if change == "read":
            self._mark(message, "read", moment)
        elif change == "unread":
            self._mark(message, "unread", moment)
        elif change == "archive":
            message.archived_at = message.archived_at or moment
            self._mark(message, "read", moment)
        elif change == "unarchive":
            message.archived_at = None
        elif change == "snooze":
            until: datetime = options["until"]
            if until <= moment:
                raise Conflict(f"snoozeUntil must be in the future; {iso(until)} is not after {iso(moment)}")
            message.snoozed_until = until
        elif change == "unsnooze":
            message.snoozed_until = None
        elif change in ("complete", "revert"):
            kind = options["action_type"]
            if kind not in message.actions:
                raise Conflict(f"Notification {notification_id} has no {kind} action")
            message.completed[kind] = change == "complete"
            message.action_result = {"type": kind, "payload": {}}
        message.updated_at = moment
        return message.inbox_dto(moment)

    def delete_notification(self, subscriber_id: str, notification_id: str) -> None:
        with self._lock:
            self._remove(self.message(subscriber_id, notification_id))

    def bulk(self, subscriber_id: str, change: str, where: InboxFilter) -> int:
        """v2 bulk: seen, read, archive, read-archive (archive what is read), delete."""
        with self._lock:
            moment = self.clock()
            _, keys = self._own(subscriber_id)
            chosen = [self._messages[key[-1]] for key in list(keys) if where.matches(self._messages[key[-1]], moment)]
            for message in chosen:
                if change == "delete":
                    self._remove(message)
                    continue
                with self._tracked(message):
                    self._apply_bulk(message, change, moment)
            return len(chosen)

    def _apply_bulk(self, message: Message, change: str, moment: datetime) -> None:
        if change == "seen":
            self._mark(message, "seen", moment)
        elif change == "read":
            self._mark(message, "read", moment)
        elif change == "archive" or (change == "read-archive" and message.read):
            message.archived_at = message.archived_at or moment
            self._mark(message, "read", moment)

    # -- deletes ------------------------------------------------------------------------------

    def delete_message(self, message_id: str) -> None:
        with self._lock:
            message = self._messages.get(message_id)
            if message is None:
                raise NotFound(f"Message with id {message_id} not found")
            self._remove(message)

    def delete_transaction(self, transaction_id: str, channel: str | None = None) -> int:
        """The messages of one trigger go; its notifications (the activity) and everything else stay."""
        with self._lock:
            ids = self._by_transaction.get(transaction_id)
            if transaction_id not in self._transactions or ids is None:
                raise NotFound(f"Could not find any messages with transactionId {transaction_id}")
            if not ids:
                raise NotFound(f"The messages of transaction {transaction_id} were deleted already")
            chosen = [self._messages[i] for i in ids if channel in (None, "in_app")]
            if not chosen:
                raise NotFound(f"Transaction {transaction_id} has no {channel} messages")
            for message in chosen:
                self._remove(message)
            return len(chosen)

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

    # -- state export / import --------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        """Every notification, in the order they were made, with its messages and all their state."""
        with self._lock:
            return [
                {
                    "_id": notification.id,
                    "subscriberId": notification.subscriber.subscriber_id,
                    "workflowId": notification.workflow.identifier,
                    "transactionId": notification.transaction_id,
                    "payload": clone(notification.payload),
                    "to": clone(notification.to),
                    "createdAt": iso(notification.created_at),
                    "messages": [self._message_record(self._messages[i]) for i in notification.message_ids],
                }
                for notification in self._notifications.values()
            ]

    @staticmethod
    def _message_record(message: Message) -> dict[str, Any]:
        return {
            "_id": message.id,
            "subject": message.subject,
            "body": message.body,
            "payload": clone(message.payload),
            "data": clone(message.data),
            "avatar": message.avatar,
            "redirectUrl": message.redirect_url,
            "actions": dict(message.actions),
            "completed": dict(message.completed),
            "actionResult": clone(message.action_result),
            "seenAt": _time(message.seen_at),
            "readAt": _time(message.read_at),
            "archivedAt": _time(message.archived_at),
            "snoozedUntil": _time(message.snoozed_until),
            "createdAt": iso(message.created_at),
            "updatedAt": iso(message.updated_at),
        }

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every notification and message by ``records`` (None empties the service).

        Subscribers and workflows are restored before; every record must name ones that exist,
        ids are unique across notifications and messages, and a transaction reaches a subscriber
        once. The indexes (per subscriber, per transaction, the orders) are rebuilt.
        """
        notifications: dict[str, Notification] = {}
        messages: dict[str, Message] = {}
        reached: set[tuple[str, str]] = set()
        with self._lock:
            for index, record in enumerate(records or []):
                where = f"inbox.{index}"
                try:
                    subscriber = self._subscribers.get(record["subscriberId"])
                except NotFound:
                    raise Conflict(f"notification {record['_id']} is for subscriber {record['subscriberId']}, "
                                   "who is not among the subscribers") from None  # fmt: skip
                try:
                    workflow = self._workflows.get(record["workflowId"])
                except NotFound:
                    raise Conflict(f"notification {record['_id']} is of workflow {record['workflowId']}, "
                                   "which is not among the workflows") from None  # fmt: skip
                if (record["transactionId"], subscriber.id) in reached:
                    raise Conflict(f"transaction {record['transactionId']} reaches subscriber {subscriber.subscriber_id} "
                                   "twice; a trigger makes one notification per subscriber")  # fmt: skip
                reached.add((record["transactionId"], subscriber.id))
                notification = Notification(
                    id=record["_id"],
                    environment_id=self.environment_id,
                    organization_id=self.organization_id,
                    subscriber=subscriber,
                    workflow=workflow,
                    transaction_id=record["transactionId"],
                    payload=clone(record.get("payload") or {}),
                    to=clone(record.get("to") or {"subscriberId": subscriber.subscriber_id}),
                    created_at=parse_time(record["createdAt"], f"{where}.createdAt"),
                )
                for position, item in enumerate(record.get("messages") or []):
                    at = f"{where}.messages.{position}"
                    created_at = parse_time(item["createdAt"], f"{at}.createdAt")
                    actions = {kind: label for kind, label in (item.get("actions") or {}).items() if kind in ACTION_TYPES}
                    message = Message(
                        id=item["_id"],
                        environment_id=self.environment_id,
                        organization_id=self.organization_id,
                        notification_id=notification.id,
                        subscriber=subscriber,
                        workflow=workflow,
                        transaction_id=notification.transaction_id,
                        subject=item["subject"],
                        body=item["body"],
                        created_at=created_at,
                        updated_at=parse_time(item.get("updatedAt"), f"{at}.updatedAt") or created_at,
                        payload=clone(item.get("payload") or {}),
                        data=clone(item.get("data") or {}),
                        avatar=item.get("avatar"),
                        redirect_url=item.get("redirectUrl"),
                        actions=actions,
                        completed={kind: bool((item.get("completed") or {}).get(kind, False)) for kind in actions},
                        action_result=clone(item.get("actionResult")),
                        seen_at=parse_time(item.get("seenAt"), f"{at}.seenAt"),
                        read_at=parse_time(item.get("readAt"), f"{at}.readAt"),
                        archived_at=parse_time(item.get("archivedAt"), f"{at}.archivedAt"),
                        snoozed_until=parse_time(item.get("snoozedUntil"), f"{at}.snoozedUntil"),
                    )
                    if message.id in messages or message.id in notifications or message.id == notification.id:
                        raise Conflict(f"id {message.id} is used twice in the inbox; ids must be unique")
                    messages[message.id] = message
                    notification.message_ids.append(message.id)
                if notification.id in notifications or notification.id in messages:
                    raise Conflict(f"id {notification.id} is used twice in the inbox; ids must be unique")
                notifications[notification.id] = notification
            self._notifications, self._messages = notifications, messages
            self._by_subscriber, self._notifications_by_subscriber, self._by_transaction = {}, {}, {}
            self._transactions = set()
            self._messages_order, self._notifications_order = SortedList(), SortedList()
            self._states, self._snoozable, self._feed_dtos = {}, {}, {}
            for notification in notifications.values():
                self._transactions.add(notification.transaction_id)
                self._by_transaction.setdefault(notification.transaction_id, set())
                self._notifications_order.add((notification.created_at, notification.id))
                self._notifications_by_subscriber.setdefault(notification.subscriber.id, []).append(notification.id)
            for message in messages.values():
                self._count_in(message)
                self._by_subscriber.setdefault(message.subscriber.id, SortedList()).add(message.key)
                self._by_transaction[message.transaction_id].add(message.id)
                self._messages_order.add(message.key)

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

    def _new_id(self, moment: datetime, rng: random.Random | None) -> str:
        record_id = object_id(moment, rng)
        while record_id in self._messages or record_id in self._notifications:
            record_id = object_id(moment, rng)
        return record_id

    # -- per-subscriber state counts ------------------------------------------------------------

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
        when the filter looks at more than the state (tags, severity, data, dates, ids)."""
        if (where.tags, where.severity, where.data, where.created_gte, where.created_lte, where.ids) != (None,) * 6:
            return None

        def wanted(state: tuple[bool, bool, bool]) -> bool:
            read, seen, archived = state
            return (
                (where.read is None or read == where.read)
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


def _unique_recipients(recipients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same subscriber named twice in ``to`` gets one notification (the last profile wins)."""
    unique: dict[str, dict[str, Any]] = {}
    for recipient in recipients:
        unique[recipient["subscriberId"]] = recipient
    return list(unique.values())
