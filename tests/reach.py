"""Whom a trigger reached, read from a Backend: shared by the trigger tests."""

from __future__ import annotations

from mock_server.store import Backend


def notified(backend: Backend, transaction_id: str) -> list[str]:
    """The subscriberIds with a notification of the transaction."""
    page = backend.inbox.notifications(page=0, limit=100, transaction_ids=[transaction_id])
    return sorted(notification.subscriber.subscriber_id for notification in page.items)


def messaged(backend: Backend, transaction_id: str) -> list[str]:
    """The subscriberIds with an in-app message of the transaction."""
    return sorted(message.subscriber.subscriber_id for message in backend.inbox._messages.values()
                  if message.transaction_id == transaction_id)  # fmt: skip
