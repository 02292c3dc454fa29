"""The inbox's records, a notification (one trigger for one subscriber) and an in-app message,
with the DTOs each API shows of them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.store.ids import iso
from mock_server.store.subscriber_records import Subscriber
from mock_server.store.values import clone
from mock_server.store.workflows import Workflow

ACTION_TYPES = ("primary", "secondary")


# the execution details (detail, status) of a step, by how it ended
_IN_APP_SENT = (("Step queued", "Pending"), ("Message created", "Pending"), ("Message sent", "Success"))
_FILTERED = (("Step queued", "Pending"), ("Step filtered by subscriber preferences", "Success"))
_NO_INTEGRATION = (("Step queued", "Pending"), ("Subscriber does not have an active integration", "Failed"))
_WAITING = (("Step queued", "Pending"), ("Step delayed", "Pending"))
# the step types after which a workflow's remaining steps wait
WAIT_STEPS = ("delay", "digest")
# Novu's own providers per channel (those a new environment starts with)
_PROVIDERS = {"in_app": "novu", "email": "novu-email", "sms": "novu-sms", "chat": "slack", "push": "fcm"}


def step_types(workflow: Workflow) -> list[str]:
    """The types of the workflow's steps in order: its ``steps`` when it has them (delay and digest
    steps included), else its channels."""
    steps = getattr(workflow, "steps", None)
    return [step.type for step in steps] if steps else list(workflow.channels)


_UNITS = ("seconds", "minutes", "hours", "days", "weeks", "months")


def _timing(values: dict[str, Any]) -> dict[str, Any]:
    """The ``amount`` and ``unit`` of a timing control, those that are well-formed (a step with
    issues may hold others, which Novu's bridge would not have answered)."""
    amount, unit = values.get("amount"), values.get("unit")
    return {**({"amount": amount} if isinstance(amount, int | float) and not isinstance(amount, bool) else {}),
            **({"unit": unit} if unit in _UNITS else {})}  # fmt: skip


def _digest_metadata(controls: dict[str, Any]) -> dict[str, Any]:
    """A delay or digest job's ``digest`` once the worker has reached it: the step's timing
    controls as Novu's AddJob stores them (a cron: timed; a whole look-back window: backoff;
    else regular) and the activity mapper shows them (``events`` empty until the digest runs)."""
    cron = controls.get("cron")
    if isinstance(cron, str):
        metadata: dict[str, Any] = {"type": "timed", "timed": {"cronExpression": cron}}
    else:
        window = controls.get("lookBackWindow")
        window = _timing(window) if isinstance(window, dict) else {}
        window = window if len(window) == 2 else {}  # Novu's look-back needs both
        metadata = {"type": "backoff" if window else "regular", **_timing(controls)}
        if window:
            metadata["backoff"] = True
            metadata.update({f"backoff{key.title()}": value for key, value in window.items()})
    if isinstance(controls.get("digestKey"), str) and controls["digestKey"]:
        metadata["digestKey"] = controls["digestKey"]
    metadata["events"] = []
    return metadata


def derived_id(base: str, salt: str) -> str:
    """An ObjectId-shaped id made from another (same time part), the same every time it is asked."""
    return base[:8] + hashlib.sha1(f"{base}/{salt}".encode()).hexdigest()[:16]


# The subscriber fields Novu's v1 message list populates (a field the subscriber never had is absent)
_POPULATED_SUBSCRIBER = ("_id", "firstName", "lastName", "avatar", "subscriberId", "createdAt", "updatedAt",
                         "_organizationId", "_environmentId", "deleted")  # fmt: skip


def _profile(dto: dict[str, Any], subscriber: Subscriber) -> dict[str, Any]:
    """The subscriber's name and avatar added to ``dto`` where set: Novu's schema has them as
    optional strings, never null."""
    for key, value in (("firstName", subscriber.first_name), ("lastName", subscriber.last_name),
                       ("avatar", subscriber.avatar)):  # fmt: skip
        if value is not None:
            dto[key] = value
    return dto


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
    # whether the in-app step sent a message (it stays true when the message is deleted later)
    in_app_sent: bool = False
    # the ``type:id`` keys of the trigger's contexts, sorted
    context_keys: list[str] = field(default_factory=list)
    # the steps from a delay or digest step on wait (the mock runs no timers); a cancel of the
    # transaction cancels them
    held: bool = False
    canceled: bool = False
    # the topics the trigger reached this subscriber through (none for a recipient named
    # directly): ``{"_topicId", "topicKey", "subscriptionIdentifier"}``, the identifier of the
    # subscription that did (the activity's ``subscriptionId`` filter; not in the answers)
    topics: list[dict[str, str]] = field(default_factory=list)

    def jobs(self) -> list[dict[str, Any]]:
        """One job per step of the workflow, as the activity shows them. The in-app step sent its
        message, or was filtered by the subscriber's preferences; the mock keeps no integrations
        for other channels, so their steps end as Novu's do without one."""
        jobs = []
        waiting = False  # past a delay or digest step of held work
        steps = getattr(self.workflow, "steps", None) or []
        for position, channel in enumerate(step_types(self.workflow)):
            if channel == "trigger":
                continue  # Novu's activity leaves out jobs of type trigger (NotificationRepository)
            step = steps[position] if position < len(steps) else None
            digest = None
            if channel in WAIT_STEPS and self.held and not waiting:
                status, details = ("canceled" if self.canceled else "delayed"), _WAITING
                waiting = True
                digest = _digest_metadata(step.controls if step is not None else {})
            elif channel in WAIT_STEPS and self.held:
                status, details = ("canceled" if self.canceled else "delayed"), _WAITING
            elif waiting:
                status, details = ("canceled" if self.canceled else "pending"), ()
            elif channel == "in_app" and self.in_app_sent:
                status, details = "completed", _IN_APP_SENT
            elif channel == "in_app":
                status, details = "canceled", _FILTERED
            else:
                status, details = "completed", _NO_INTEGRATION
            job_id = derived_id(self.id, f"job-{position}")
            jobs.append({
                "_id": job_id,
                "type": channel,
                "executionDetails": [
                    {"_id": derived_id(job_id, f"detail-{index}"), "createdAt": iso(self.created_at), "status": state,
                     "detail": detail, "isRetry": False, "isTest": False, "source": "Internal",
                     **({"providerId": "novu"} if channel == "in_app" else {})}
                    for index, (detail, state) in enumerate(details)
                ],
                "step": {"_id": derived_id(self.workflow.id, f"step-{position}"), "active": True, "filters": [],
                         "_templateId": derived_id(self.workflow.id, f"template-{position}"),
                         **({"name": step.name} if step is not None else {}),
                         **({"issues": clone(step.issues)} if step is not None and step.issues else {})},
                **({"digest": digest} if digest is not None else {}),
                "payload": clone(self.payload),
                "providerId": _PROVIDERS.get(channel, "novu"),
                "status": status,
                "updatedAt": iso(self.created_at),
            })  # fmt: skip
        return jobs

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
            "channels": list(dict.fromkeys(kind for kind in step_types(self.workflow) if kind != "trigger")),
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
                "origin": self.workflow.origin,
                "triggers": [
                    {"type": "event", "identifier": self.workflow.identifier, "variables": [], "subscriberVariables": []}
                ],
            },
            "payload": clone(self.payload),
            "tags": list(self.workflow.tags),
            "to": clone(self.to),
            **({"contextKeys": list(self.context_keys)} if self.context_keys else {}),
            "topics": [{"_topicId": topic["_topicId"], "topicKey": topic["topicKey"]} for topic in self.topics],
            "jobs": self.jobs(),
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
    # the ``type:id`` keys of the trigger's contexts (its notification's), sorted
    context_keys: list[str] = field(default_factory=list)

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

    def in_app_ids(self) -> tuple[str, str]:
        """The ids of the in-app job that sent this message and of its step's template, as the
        activity (``Notification.jobs``) shows them."""
        types = step_types(self.workflow)
        position = types.index("in_app") if "in_app" in types else 0
        return (derived_id(self.notification_id, f"job-{position}"),
                derived_id(self.workflow.id, f"template-{position}"))  # fmt: skip

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
            "_jobId": self.in_app_ids()[0],
            "_messageTemplateId": self.in_app_ids()[1],
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
            "subscriber": _profile({"_id": subscriber.id, "subscriberId": subscriber.subscriber_id}, subscriber),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }

    def message_dto(self, *, with_subscriber: bool = False) -> dict[str, Any]:
        """MessageResponseDto (v1 messages, mark-as, actions). Only the v1 message list populates
        the subscriber, with ten of its stored fields (``getMessages`` in Novu's message
        repository populates ``_POPULATED_SUBSCRIBER``); mark-as and the action route read the
        messages back unpopulated, without ``subscriber``."""
        subscriber = self.subscriber
        dto: dict[str, Any] = {
            "_id": self.id,
            "_templateId": self.workflow.id,
            "_environmentId": self.environment_id,
            "_organizationId": self.organization_id,
            "_notificationId": self.notification_id,
            "_subscriberId": subscriber.id,
            "_messageTemplateId": self.in_app_ids()[1],
            "_feedId": None,
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
        if self.context_keys:
            dto["contextKeys"] = list(self.context_keys)
        if with_subscriber:
            stored = subscriber.to_entity()
            dto["subscriber"] = {name: stored[name] for name in _POPULATED_SUBSCRIBER if name in stored}
        return dto

    def inbox_dto(self, moment: datetime) -> dict[str, Any]:
        """InboxNotificationDto (v2)."""
        subscriber = self.subscriber
        dto: dict[str, Any] = {
            "id": self.id,
            "transactionId": self.transaction_id,
            "subject": self.subject,
            "body": self.body,
            "to": _profile({"id": subscriber.id, "subscriberId": subscriber.subscriber_id}, subscriber),
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

    def entity_dto(self) -> dict[str, Any]:
        """The message as Novu stores it (MessageEntity, nothing populated): what its socket
        server sends with ``notification_received``, read from the database by id, and what
        @novu/js maps to a Notification (``content``, ``read``, ``seen``, ``cta``, ...)."""
        job_id, step_template_id = self.in_app_ids()
        entity: dict[str, Any] = {
            "_id": self.id,
            "_templateId": self.workflow.id,
            "_environmentId": self.environment_id,
            "_messageTemplateId": step_template_id,
            "_organizationId": self.organization_id,
            "_notificationId": self.notification_id,
            "_jobId": job_id,
            "_subscriberId": self.subscriber.id,
            "_feedId": None,
            "templateIdentifier": self.workflow.identifier,
            "transactionId": self.transaction_id,
            "channel": "in_app",
            "providerId": "novu",
            "subject": self.subject,
            "content": self.body,
            "cta": self._cta(),
            "seen": self.seen,
            "read": self.read,
            "archived": self.archived,
            "deleted": False,
            "status": "sent",
            "payload": clone(self.payload),
            "data": clone(self.data),
            "tags": list(self.workflow.tags),
            "severity": self.workflow.severity,
            "critical": self.workflow.critical,
            "deliveredAt": [iso(self.created_at)],
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }
        for key, moment in (("firstSeenDate", self.seen_at), ("lastSeenDate", self.seen_at),
                            ("lastReadDate", self.read_at), ("archivedAt", self.archived_at),
                            ("snoozedUntil", self.snoozed_until)):  # fmt: skip
            if moment is not None:
                entity[key] = iso(moment)
        if self.avatar:
            entity["avatar"] = self.avatar
        if self.context_keys:
            entity["contextKeys"] = list(self.context_keys)
        return entity
