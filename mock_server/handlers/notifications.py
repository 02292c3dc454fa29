"""v1 notifications, the activity of the environment (``NotificationsController_*``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mock_server.errors import BadRequest
from mock_server.store import Backend
from mock_server.store.context_match import present_keys
from mock_server.store.inbox.records import Notification


def _moment(value: str | None, name: str) -> datetime | None:
    """``after`` / ``before`` as Novu's GetActivityFeed reads them (``new Date(text)``): an ISO 8601
    date or date-time, UTC unless it names its offset; anything else is its 400."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"Invalid date format for parameter '{name}': {value}. Please provide a valid ISO 8601 date string."
        ) from None
    try:
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        return (datetime.max if moment.year > 1 else datetime.min).replace(tzinfo=UTC)


def _date_range(after: str | None, before: str | None) -> tuple[datetime | None, datetime | None]:
    start, end = _moment(after, "after"), _moment(before, "before")
    if start and end and start > end:
        raise BadRequest("Invalid date range: start date (after) must be earlier than end date (before)")
    return start, end


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
    # an empty value is no filter (Novu's controller tests each list for truthiness)
    channels, templates, emails, subscriber_ids = (
        [value for value in values if value] or None if values else None
        for values in (channels, templates, emails, subscriber_ids)
    )
    start, end = _date_range(after, before)
    answer: dict[str, Any] = {"page": int(page), "pageSize": int(limit), "hasMore": False, "data": []}
    if backend.inbox.activity_subscribers(subscriber_ids, emails, search) == []:
        return answer | {"page": 0}  # Novu answers page 0 when the recipient filters name nobody
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
        after=start,
        before=end,
        context_keys=present_keys(context_keys),
    )
    data = [_activity(backend, notification) for notification in found.items]
    # Novu's hasMore: the page came back full (so a last page that is exactly full says true)
    return answer | {"hasMore": len(found.items) == int(limit), "data": data}


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
