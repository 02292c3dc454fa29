"""The inbox's records, a notification (one trigger for one subscriber) and an in-app message,
with the DTOs each API shows of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.store.ids import iso
from mock_server.store.subscribers import Subscriber
from mock_server.store.values import clone
from mock_server.store.workflows import Workflow

ACTION_TYPES = ("primary", "secondary")


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
