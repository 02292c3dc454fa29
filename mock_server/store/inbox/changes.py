"""Changes of the inbox: v1 mark-as, mark-all and actions; v2 per-notification and bulk
changes; deletes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mock_server.errors import BadRequest, NotFound, PaymentRequired, ValidationFailed, field_error
from mock_server.store.inbox import refusals
from mock_server.store.inbox.events import UNREAD, UNSEEN, read_state_kind
from mock_server.store.inbox.filters import InboxFilter
from mock_server.store.inbox.indexes import InboxIndexes
from mock_server.store.inbox.records import Message
from mock_server.store.values import clone

MIN_SNOOZE_AHEAD = timedelta(minutes=1)
MAX_SNOOZE_AHEAD = timedelta(hours=24)  # PLATFORM_MAX_SNOOZE_DURATION of the free plan


class InboxChanges(InboxIndexes):
    def mark_as(self, subscriber_id: str, message_ids: list[str], mark_as: str) -> list[Message]:
        """v1 mark-as: the subscriber's messages among ``message_ids`` change; the answer lists every
        message of the environment with one of those ids (Novu finds them by id alone), oldest first.
        Ids of no message are left out."""
        with self._lock:
            subscriber = self._subscriber(subscriber_id, refusals.mark_as_without_subscriber)
            found = sorted(
                (self._messages[i] for i in dict.fromkeys(message_ids) if i in self._messages), key=lambda m: m.key
            )
            moment = self.clock()
            for message in found:
                if message.subscriber.id == subscriber.id:
                    with self._tracked(message):
                        self._mark(message, mark_as, moment)
            self._announce(subscriber.id, read_state_kind(mark_as))
            return found

    def mark_all(self, subscriber_id: str, mark_as: str, feed_ids: list[str] | None = None) -> int:
        """Every message the feed lists (not snoozed); the number whose state changed.
        The mock has no feeds, so a ``feedIdentifier`` matches no message."""
        with self._lock:
            moment = self.clock()
            subscriber, keys = self._own(subscriber_id, refusals.mark_all_without_subscriber)
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
            self._announce(subscriber.id, read_state_kind(mark_as))
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
        """v1: record what was done with a button; ``done`` completes it, ``pending`` reopens it.
        Like Novu's UpdateMessageActions, the message is found by id in the environment alone."""
        with self._lock:
            message = self._messages.get(message_id)
            if message is None:
                raise NotFound(f"Message {message_id} not found")
            with self._tracked(message):
                message.completed[action_type] = status == "done"
                message.action_result = {"type": action_type, "payload": clone(payload or {})}
                message.updated_at = self.clock()
            return message

    # -- writes: v2 ---------------------------------------------------------------------------

    def update(
        self, subscriber_id: str, notification_id: str, change: str, context_keys: list[str] | None = None, **options: Any
    ) -> dict[str, Any]:
        """One v2 per-notification action: read, unread, archive, unarchive, snooze, unsnooze,
        complete, revert."""
        with self._lock:
            message = self.message(subscriber_id, notification_id, context_keys)
            with self._tracked(message):
                answer = self._update(message, notification_id, change, options)
            if change not in ("complete", "revert"):  # Novu's action use case queues no socket event
                self._announce(message.subscriber.id, UNREAD)
            return answer

    def snooze(
        self, subscriber_id: str, notification_id: str, until: datetime, raw: Any, context_keys: list[str] | None = None
    ) -> dict[str, Any]:
        """The v2 snooze as Novu checks it, before anything else: SnoozeNotificationRequestDto wants
        ``snoozeUntil`` (``raw`` as sent) at least a minute ahead (a 422 of the body), and
        SnoozeNotification at most the plan's longest snooze ahead: 24 hours on the free plan (402).
        (Fixtures snooze through ``update``, without these limits.)"""
        ahead = until - self.clock()
        if ahead < MIN_SNOOZE_AHEAD:
            raise ValidationFailed(
                field_error("snoozeUntil", "Snooze time must be at least 60 seconds in the future", raw)
            )
        if ahead > MAX_SNOOZE_AHEAD:
            raise PaymentRequired("Snooze Duration Limit Exceeded")
        return self.update(subscriber_id, notification_id, "snooze", context_keys, until=until)

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
            message.snoozed_until = options["until"]
        elif change == "unsnooze":
            message.snoozed_until = None
        elif change in ("complete", "revert"):
            kind = options["action_type"]
            if kind not in message.actions:
                raise BadRequest(f"Could not perform action on the {kind} button because it does not exist.")
            message.completed[kind] = change == "complete"
            message.action_result = {"type": kind, "payload": {}}
        message.updated_at = moment
        return message.inbox_dto(moment)

    def delete_notification(self, subscriber_id: str, notification_id: str, context_keys: list[str] | None = None) -> None:
        with self._lock:
            message = self.message(subscriber_id, notification_id, context_keys)
            self._remove(message)
            self._announce(message.subscriber.id, UNREAD)

    def bulk(self, subscriber_id: str, change: str, where: InboxFilter) -> int:
        """v2 bulk: seen, read, archive, read-archive (archive what is read), delete."""
        with self._lock:
            moment = self.clock()
            subscriber, keys = self._own(subscriber_id)
            chosen = [self._messages[key[-1]] for key in list(keys) if where.matches(self._messages[key[-1]], moment)]
            for message in chosen:
                if change == "delete":
                    self._remove(message)
                    continue
                with self._tracked(message):
                    self._apply_bulk(message, change, moment)
            self._announce(subscriber.id, UNSEEN if change == "seen" else UNREAD)
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
        """The messages of one trigger go (of ``channel`` only, when given); its notifications (the
        activity) and everything else stay."""
        with self._lock:
            ids = self._by_transaction.get(transaction_id) or set()
            chosen = [self._messages[i] for i in ids if channel in (None, "in_app")]
            if not chosen:
                raise NotFound("Invalid transactionId or channel")
            for message in chosen:
                self._remove(message)
            return len(chosen)
