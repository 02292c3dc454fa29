"""Export and import of the inbox (``--state-file``, the admin API)."""

from __future__ import annotations

from typing import Any

from sortedcontainers import SortedList

from mock_server.errors import Conflict, NotFound
from mock_server.store.ids import iso, parse_time
from mock_server.store.inbox.events import EVERYTHING
from mock_server.store.inbox.filters import _time
from mock_server.store.inbox.indexes import InboxIndexes
from mock_server.store.inbox.records import ACTION_TYPES, Message, Notification
from mock_server.store.values import clone


class InboxState(InboxIndexes):
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
                    **({"contextKeys": list(notification.context_keys)} if notification.context_keys else {}),
                    **({"topics": [dict(topic) for topic in notification.topics]} if notification.topics else {}),
                    **({"held": True} if notification.held else {}),
                    **({"canceled": True} if notification.canceled else {}),
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
                    workflow = self._workflows.get_any(record["workflowId"])
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
                    context_keys=sorted(record.get("contextKeys") or []),
                    topics=[dict(topic) for topic in record.get("topics") or []],
                    held=bool(record.get("held")),
                    canceled=bool(record.get("canceled")),
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
                        context_keys=list(notification.context_keys),
                    )
                    if message.id in messages or message.id in notifications or message.id == notification.id:
                        raise Conflict(f"id {message.id} is used twice in the inbox; ids must be unique")
                    messages[message.id] = message
                    notification.message_ids.append(message.id)
                    notification.in_app_sent = True
                if notification.id in notifications or notification.id in messages:
                    raise Conflict(f"id {notification.id} is used twice in the inbox; ids must be unique")
                notifications[notification.id] = notification
            self._notifications, self._messages = notifications, messages
            self._by_subscriber, self._notifications_by_subscriber, self._by_transaction = {}, {}, {}
            self._notifications_by_transaction = {}
            self._transactions = set()
            self._messages_order, self._notifications_order = SortedList(), SortedList()
            self._states, self._snoozable, self._feed_dtos = {}, {}, {}
            for notification in notifications.values():
                self._transactions.add(notification.transaction_id)
                self._by_transaction.setdefault(notification.transaction_id, set())
                self._notifications_order.add((notification.created_at, notification.id))
                self._notifications_by_subscriber.setdefault(notification.subscriber.id, []).append(notification.id)
                self._notifications_by_transaction.setdefault(notification.transaction_id, []).append(notification.id)
            for message in messages.values():
                self._count_in(message)
                self._by_subscriber.setdefault(message.subscriber.id, SortedList()).add(message.key)
                self._by_transaction[message.transaction_id].add(message.id)
                self._messages_order.add(message.key)
            self._announce(None, EVERYTHING)
