"""v1 notifications, the activity of the environment (``NotificationsController_*``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mock_server.store import Backend
from mock_server.store.ids import parse_moment
from mock_server.store.context_match import present_keys
from mock_server.store.inbox.records import Notification


def _moment(value: str | None) -> datetime | None:
    return parse_moment(value) if value else None


async def list_notifications(
    backend: Backend,
    channels: list[str] | None = None,
    templates: list[str] | None = None,
    emails: list[str] | None = None,
    search: str | None = None,
    subscriber_ids: list[str] | None = None,
    severity: list[str] | None = None,
    page: float = 0,
    limit: float = 10,
    transaction_id: list[str] | None = None,
    topic_key: str | None = None,
    subscription_id: str | None = None,
    context_keys: list[str] | None = None,
    after: str | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    answer: dict[str, Any] = {"page": int(page), "pageSize": int(limit), "hasMore": False, "data": []}
    found = backend.inbox.notifications(
        page=int(page),
        limit=int(limit),
        channels=channels,
        templates=templates,
        emails=emails,
        search=search,
        subscriber_ids=subscriber_ids,
        severity=severity,
        transaction_ids=transaction_id,
        topic_key=topic_key,
        subscription_id=subscription_id,
        after=_moment(after),
        before=_moment(before),
        context_keys=present_keys(context_keys),
    )
    data = [_activity(backend, notification) for notification in found.items]
    return answer | {"hasMore": found.has_more, "data": data}


async def get_notification(backend: Backend, notification_id: str) -> dict[str, Any]:
    return _activity(backend, backend.inbox.notification(notification_id))


def _activity(backend: Backend, notification: Notification) -> dict[str, Any]:
    """The notification as the activity shows it: the events providers reported through their
    webhooks follow the execution details of the job that sent the message."""
    dto = notification.to_dto()
    for event in backend.delivery_events.of_notification(notification.id):
        job = next((job for job in dto["jobs"] if job["type"] == event.job_type), None)
        if job is not None:
            job["executionDetails"].append(event.detail_dto())
    return dto
