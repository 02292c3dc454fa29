"""Delivery events providers report through Novu's inbound webhooks, and what they change.

``POST /v2/inbound-webhooks/delivery-providers/{environmentId}/{integrationId}`` takes a
provider's webhook body as the provider sends it. Each provider's parser (Novu's
``getMessageId`` / ``parseEventBody`` of packages/providers) names the messages the body is about
and the event of each; events for messages the environment does not have, and events of a kind
the provider's parser does not map, are left out of the answer. An event is kept as an execution
detail of the message's job (source ``Webhook``, what ``/v1/notifications`` shows); an ``opened``
or ``clicked`` event marks the message seen (Novu's e2e of a push click: ``seen`` and
``lastSeenDate`` set).

The id a provider reports is the message's identifier at that provider. Novu passes its message
id to the providers that echo one (SendGrid's ``id`` custom argument), and the mock's messages
have no other: the mock finds a message by its ``_id``.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store.ids import iso, now, object_id, parse_time
from mock_server.store.inbox import InboxBackend
from mock_server.store.inbox.records import Message
from mock_server.store.integrations import IntegrationsBackend

_EMAIL_EXECUTION = {
    "opened": "Success", "rejected": "Failed", "sent": "Success", "deferred": "Pending", "delivered": "Success",
    "bounced": "Failed", "dropped": "Failed", "clicked": "Success", "blocked": "Failed", "spam": "Failed",
    "unsubscribed": "Failed",
}  # fmt: skip
_SMS_EXECUTION = {
    "created": "Pending", "delivered": "Success", "accepted": "Success", "queued": "Queued", "sending": "Pending",
    "sent": "Success", "failed": "Failed", "undelivered": "Failed",
}  # fmt: skip
_PUSH_EXECUTION = {"failed": "Failed", "rejected": "Failed"}
# the events that mean the subscriber saw the message
SEEN_EVENTS = frozenset({"opened", "clicked"})


@dataclass(frozen=True, slots=True)
class ProviderParser:
    """How one provider's webhook body names messages and events (Novu's provider class)."""

    channel: str
    message_id: Callable[[dict[str, Any]], Any]
    event: Callable[[dict[str, Any]], Any]
    statuses: dict[str, str]
    # the event's date: None is "now" (most providers), else read from the item
    date: Callable[[dict[str, Any]], Any] | None = None
    external_id: Callable[[dict[str, Any]], Any] | None = None
    counts_attempts: bool = True

    def parse(self, item: dict[str, Any], identifier: str, moment: datetime) -> dict[str, Any] | None:
        status = self.statuses.get(_text(self.event(item)))
        if status is None:
            return None
        event: dict[str, Any] = {"status": status, "date": _date(self.date(item) if self.date else None, moment)}
        external = (self.external_id or self.message_id)(item)
        if external is not None:
            event["externalId"] = _text(external)
        if self.counts_attempts:
            attempt = item.get("attempt")
            event["attempts"] = _attempts(attempt)
            event["response"] = _text(item["response"]) if item.get("response") else ""
        event["row"] = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
        return event


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value) if value is not None else ""


def _attempts(value: Any) -> int:
    """JavaScript's ``parseInt`` of the attempt; 1 when absent (or not a number)."""
    digits = str(value).strip().lstrip("+")
    digits = digits[: next((i for i, c in enumerate(digits) if not c.isdigit()), len(digits))]
    return int(digits) if value and digits else 1


def _date(value: Any, moment: datetime) -> str:
    if isinstance(value, str):
        try:
            return iso(parse_time(value, "date"))
        except Exception:  # noqa: BLE001 - a date the provider wrote oddly: the time it arrived
            return iso(moment)
    return iso(moment)


def _sns_message(body: Any) -> Any:
    """An Amazon SNS notification (how SES reports events) is read for the message it carries;
    other SNS messages (a subscription to confirm) carry no event."""
    if isinstance(body, dict) and body.get("Type") == "Notification" and isinstance(body.get("Message"), str):
        try:
            return json.loads(body["Message"])
        except ValueError:
            return None
    if isinstance(body, dict) and body.get("Type") in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        return None
    return body


def _key(*path: str) -> Callable[[dict[str, Any]], Any]:
    def read(item: dict[str, Any]) -> Any:
        value: Any = item
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    return read


PARSERS: dict[str, ProviderParser] = {
    "sendgrid": ProviderParser(
        "email", _key("id"), _key("event"),
        {"open": "opened", "bounce": "bounced", "click": "clicked", "dropped": "dropped", "delivered": "delivered"},
    ),
    "postmark": ProviderParser(
        "email", _key("MessageID"), _key("RecordType"),
        {"Open": "opened", "Click": "clicked", "Delivery": "delivered", "Bounce": "bounced", "SpamComplaint": "spam",
         "SubscriptionChange": "unsubscribed"},
    ),
    "mailjet": ProviderParser(
        "email", _key("MessageID"), _key("event"),
        {"open": "opened", "bounce": "bounced", "click": "clicked", "sent": "sent", "blocked": "blocked",
         "spam": "spam", "unsub": "unsubscribed"},
    ),
    "ses": ProviderParser(
        "email", _key("mail", "messageId"), _key("eventType"),
        {"Bounce": "bounced", "Complaint": "complaint", "Delivery": "delivered", "Send": "sent", "Reject": "rejected",
         "Open": "opened", "Click": "clicked", "DeliveryDelay": "delayed"},
        date=_key("mail", "timestamp"), counts_attempts=False,
    ),
    "sendinblue": ProviderParser(
        "email", _key("message-id"), _key("event"),
        {"opened": "opened", "uniqueOpened": "opened", "proxy_open": "opened", "request": "delivered",
         "delivered": "delivered", "complaint": "delivered", "hardBounce": "bounced", "softBounce": "bounced",
         "blocked": "bounced", "unsubscribed": "bounced", "click": "clicked", "invalid_email": "dropped",
         "error": "dropped"},
        date=_key("date"), external_id=_key("id"), counts_attempts=False,
    ),
    "twilio": ProviderParser(
        "sms", _key("MessageSid"), _key("MessageStatus"),
        {status: status for status in ("accepted", "queued", "sending", "sent", "failed", "delivered", "undelivered")},
    ),
    "expo": ProviderParser(
        "push", _key("eventId"), _key("eventType"),
        {status: status for status in ("delivered", "opened", "clicked", "dismissed", "failed", "rejected")},
        date=_key("timestamp"),
    ),
}  # fmt: skip


def execution_status(channel: str, status: str) -> str:
    """Novu's mapping of a provider event to the execution detail's status."""
    table = {"email": _EMAIL_EXECUTION, "sms": _SMS_EXECUTION, "push": _PUSH_EXECUTION}.get(channel, {})
    return table.get(status, "Success")


@dataclass(slots=True)
class DeliveryEvent:
    """One provider event about one message, shown as an execution detail of its job."""

    id: str
    message_id: str
    notification_id: str
    job_type: str  # the channel of the job that sent the message (where the activity shows the event)
    channel: str  # the provider's channel, which decides the execution status
    provider_id: str
    status: str
    response: str | None  # None: the provider's parser gives none (Novu writes "undefined")
    raw: str
    created_at: datetime

    def detail_dto(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "createdAt": iso(self.created_at),
            "status": execution_status(self.channel, self.status),
            "detail": f"{'undefined' if self.response is None else self.response} - ({self.status})",
            "isRetry": False,
            "isTest": False,
            "providerId": self.provider_id,
            "raw": self.raw,
            "source": "Webhook",
        }

    def to_record(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "messageId": self.message_id,
            "notificationId": self.notification_id,
            "jobType": self.job_type,
            "channel": self.channel,
            "providerId": self.provider_id,
            "status": self.status,
            "response": self.response,
            "raw": self.raw,
            "createdAt": iso(self.created_at),
        }


class DeliveryEventsBackend:
    # The spec schema each snapshot record is checked against on import.
    RECORD_SCHEMA = "DeliveryEventStateRecord"

    def __init__(self, lock: threading.RLock, *, integrations: IntegrationsBackend, inbox: InboxBackend) -> None:
        self._lock = lock
        self._integrations = integrations
        self._inbox = inbox
        # notification id -> its events, oldest first
        self._by_notification: dict[str, list[DeliveryEvent]] = {}

    def receive(
        self, integration_id: str, body: Any, *, at: datetime | None = None, rng: random.Random | None = None
    ) -> list[dict[str, Any]]:
        """A provider's webhook body for the integration ``integration_id``: the events it reports
        about this environment's messages, each ``{"id": <message identifier>, "event": ...}``.

        An integration the environment does not have is 404 (Novu's ``Integration for <id> was not
        found``); one without credentials is 400; a provider whose webhooks Novu does not parse is 404.
        """
        with self._lock:
            integration = self._integrations.get(integration_id, message="Integration for {id} was not found")
            if not integration.credentials:
                raise BadRequest(f"Integration {integration.id} doesn't have credentials set up")
            parser = PARSERS.get(integration.provider_id)
            if parser is None:
                raise NotFound(f"Provider with {integration.provider_id} can not handle webhooks")
            body = _sns_message(body)
            items = [item for item in (body if isinstance(body, list) else [body]) if isinstance(item, dict)]
            results: list[dict[str, Any]] = []
            moment = at or now()
            for item in items:
                identifier = parser.message_id(item)
                if not isinstance(identifier, str) or not identifier:
                    continue
                message = self._inbox.message_by_id(identifier)
                if message is None:
                    continue
                event = parser.parse(item, identifier, moment)
                if event is None:
                    continue
                self.record(message=message, channel=parser.channel, provider_id=integration.provider_id, event=event,
                            at=moment, rng=rng)  # fmt: skip
                if event["status"] in SEEN_EVENTS and not message.seen:
                    self._inbox.mark_as(message.subscriber.subscriber_id, [message.id], "seen")
                results.append({"id": identifier, "event": event})
            return results

    def record(
        self, *, message: Message, channel: str, provider_id: str, event: dict[str, Any], at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> DeliveryEvent:
        moment = at or now()
        recorded = DeliveryEvent(
            id=object_id(moment, rng),
            message_id=message.id,
            notification_id=message.notification_id,
            job_type=getattr(message, "channel", "in_app"),
            channel=channel,
            provider_id=provider_id,
            status=event["status"],
            response=event.get("response"),
            raw=event["row"],
            created_at=moment,
        )
        with self._lock:
            self._by_notification.setdefault(message.notification_id, []).append(recorded)
        return recorded

    def of_notification(self, notification_id: str) -> list[DeliveryEvent]:
        with self._lock:
            return list(self._by_notification.get(notification_id, ()))

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [event.to_record() for events in self._by_notification.values() for event in events]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        by_notification: dict[str, list[DeliveryEvent]] = {}
        seen: set[str] = set()
        for index, record in enumerate(records or []):
            if record["_id"] in seen:
                raise Conflict(f"_id {record['_id']} is used by two delivery events; ids must be unique")
            seen.add(record["_id"])
            by_notification.setdefault(record["notificationId"], []).append(DeliveryEvent(
                id=record["_id"],
                message_id=record["messageId"],
                notification_id=record["notificationId"],
                job_type=record["jobType"],
                channel=record["channel"],
                provider_id=record["providerId"],
                status=record["status"],
                response=record.get("response"),
                raw=record.get("raw", ""),
                created_at=parse_time(record["createdAt"], f"delivery_events.{index}.createdAt"),
            ))  # fmt: skip
        with self._lock:
            self._by_notification = by_notification
