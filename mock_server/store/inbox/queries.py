"""Reads of the inbox: v1 feed and unseen count, v2 list and count, v1 messages and activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mock_server.errors import BadRequest, NotFound
from mock_server.store.inbox import refusals
from mock_server.store.context_match import context_matches
from mock_server.store.inbox.filters import InboxFilter, Page
from mock_server.store.inbox.indexes import InboxIndexes
from mock_server.store.inbox.records import Message, Notification
from mock_server.store.subscriber_records import Subscriber

FEED_DTOS_KEPT = 1024  # ~3 KB each


def _refuse_unread_archived(filters: list[InboxFilter]) -> None:
    """Novu's inbox GetNotifications and NotificationsCount refuse this combination."""
    if any(where.read is False and where.archived is True for where in filters):
        raise BadRequest("Filtering for unread and archived notifications is not supported.")


class InboxQueries(InboxIndexes):
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
            subscriber, keys = self._own(subscriber_id, refusals.feed_without_subscriber)
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
            subscriber, _ = self._own(subscriber_id, refusals.unseen_without_subscriber)
            count = self._fast_count(subscriber.id, InboxFilter(seen=seen), moment)
            return count if limit is None else min(count, limit)

    def inbox(
        self, subscriber_id: str, *, where: InboxFilter, limit: int, after: str | None = None, offset: int = 0
    ) -> tuple[list[dict[str, Any]], bool]:
        """v2 list, newest first: (notification DTOs, has more)."""
        with self._lock:
            moment = self.clock()
            subscriber, keys = self._own(subscriber_id)
            _refuse_unread_archived([where])
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
            subscriber, keys = self._own(subscriber_id, refusals.count_without_subscriber)
            _refuse_unread_archived(filters)
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
        context_keys: list[str] | None = None,
    ) -> Page:
        """v1 messages, newest first; ``context_keys``: only those of exactly these contexts."""
        with self._lock:
            keys = self._own(subscriber_id)[1] if subscriber_id is not None else None
            if channel not in (None, "in_app"):
                return Page([], 0, False)
            if keys is not None:
                if not transaction_ids and context_keys is None:
                    return self._newest_page(keys, self._messages, page, limit)
                candidates: Any = (self._messages[key[-1]] for key in keys.islice(reverse=True))
            elif transaction_ids:
                ids = set().union(*(self._by_transaction.get(t, set()) for t in transaction_ids))
                candidates = sorted((self._messages[i] for i in ids), key=lambda m: m.key, reverse=True)
            elif context_keys is None:
                return self._newest_page(self._messages_order, self._messages, page, limit)
            else:
                candidates = (self._messages[key[-1]] for key in self._messages_order.islice(reverse=True))
            wanted = set(transaction_ids or [])
            matching = [
                m for m in candidates
                if (not wanted or m.transaction_id in wanted) and context_matches(m.context_keys, context_keys)
            ]  # fmt: skip
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
        transaction_ids: list[str] | None = None,
        topic_key: str | None = None,
        subscription_id: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
        context_keys: list[str] | None = None,
    ) -> Page:
        """The activity list (Novu's NotificationRepository.getFeed): ``topic_key`` keeps the
        notifications sent through that topic, ``subscription_id`` those sent through the topic
        subscription of that identifier. ``templates`` are workflow ``_id``s (getFeed matches
        ``_templateId``). ``subscriber_ids``, ``emails`` and ``search`` name the recipients
        together, as Novu's searchSubscribers does: a subscriber any of them matches (see
        :meth:`activity_subscribers`)."""
        with self._lock:
            recipients = self.activity_subscribers(subscriber_ids, emails, search)
            if recipients is not None:
                ids = [
                    notification_id
                    for subscriber_id in recipients
                    for notification_id in self._notifications_by_subscriber.get(subscriber_id, [])
                ]
                candidates = sorted(
                    (self._notifications[i] for i in ids), key=lambda n: (n.created_at, n.id), reverse=True
                )
            elif context_keys is None and not any((channels, templates, severity, transaction_ids,
                                                   topic_key, subscription_id, after, before)):
                return self._newest_page(self._notifications_order, self._notifications, page, limit)
            else:
                candidates = [self._notifications[key[-1]] for key in self._notifications_order.islice(reverse=True)]

            def keep(notification: Notification) -> bool:
                workflow = notification.workflow
                if channels and not set(channels) & set(workflow.channels):
                    return False
                if templates and workflow.id not in templates:
                    return False
                if severity and workflow.severity not in severity:
                    return False
                if transaction_ids and notification.transaction_id not in transaction_ids:
                    return False
                if topic_key and all(topic["topicKey"] != topic_key for topic in notification.topics):
                    return False
                if subscription_id and all(
                    topic.get("subscriptionIdentifier") != subscription_id for topic in notification.topics
                ):
                    return False
                if after or before:
                    # createdAt as Novu stores and shows it: a date of whole milliseconds
                    created = notification.created_at
                    created = created.replace(microsecond=created.microsecond // 1000 * 1000)
                    if (after and created < after) or (before and created > before):
                        return False
                return context_matches(notification.context_keys, context_keys)

            matching = [n for n in candidates if keep(n)]
            start = page * limit
            return Page(matching[start : start + limit], len(matching), start + limit < len(matching))

    def activity_subscribers(
        self, subscriber_ids: list[str] | None, emails: list[str] | None, search: str | None
    ) -> list[str] | None:
        """The internal ids of the subscribers the activity's recipient filters name (None: no
        such filter given). As Novu's SubscriberRepository.searchSubscribers: a subscriber whose
        email is one of ``emails``, whose subscriberId is one of ``subscriber_ids``, whose email
        contains ``search`` (any case) or whose subscriberId is ``search``."""
        if not (subscriber_ids or emails or search):
            return None
        with self._lock:
            everyone, _, _ = self._subscribers.page(page=0, limit=len(self._subscribers))
        wanted_ids, wanted_emails = set(subscriber_ids or ()), set(emails or ())
        needle = search.lower() if search else None

        def named(subscriber: Subscriber) -> bool:
            email = subscriber.email or ""
            return (
                subscriber.subscriber_id in wanted_ids
                or (subscriber.email is not None and subscriber.email in wanted_emails)
                or (needle is not None and (needle in email.lower() or subscriber.subscriber_id == search))
            )

        return [subscriber.id for subscriber in everyone if named(subscriber)]

    def message_by_id(self, message_id: str) -> Message | None:
        """The message ``message_id`` of the environment, whoever it was for (None: no such message)."""
        with self._lock:
            return self._messages.get(message_id)

    def notification(self, notification_id: str) -> Notification:
        with self._lock:
            notification = self._notifications.get(notification_id)
        if notification is None:
            raise NotFound("Notification not found")  # Novu's GetActivity; the id goes only to its `cause`
        return notification
