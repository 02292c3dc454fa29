"""The inbox's topic subscriptions (``InboxSubscriptionsController_*``,
``/v1/inbox/topics/{topicKey}/subscriptions*``): only the session subscriber's own, over the
topics service the secret-key API uses."""

from __future__ import annotations

from typing import Any

from mock_server import wire
from mock_server.handlers.inbox_subscriber import session_subscriber_id
from mock_server.store import Backend, inbox_topics


async def get_topic_subscriptions(backend: Backend, topic_key: str) -> list[dict[str, Any]]:
    return inbox_topics.list_own(backend, session_subscriber_id(), topic_key)


async def create_topic_subscription(backend: Backend, topic_key: str, body: dict[str, Any]) -> dict[str, Any]:
    return inbox_topics.create_own(backend, session_subscriber_id(), topic_key, body)


async def get_topic_subscription(
    backend: Backend,
    topic_key: str,
    identifier: str,
    workflow_ids: list[str] | None = None,
    tags: list[str] | None = None,
) -> Any:
    found = inbox_topics.get_own(
        backend, session_subscriber_id(), topic_key, identifier, workflow_ids=workflow_ids, tags=tags
    )
    return wire.Answer(204) if found is None else found


async def update_topic_subscription(
    backend: Backend, topic_key: str, identifier: str, body: dict[str, Any]
) -> dict[str, Any]:
    return inbox_topics.update_own(backend, session_subscriber_id(), topic_key, identifier, body)


async def delete_topic_subscription(backend: Backend, topic_key: str, identifier: str) -> dict[str, Any]:
    return inbox_topics.delete_own(backend, session_subscriber_id(), topic_key, identifier)
