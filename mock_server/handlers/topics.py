"""Topics v2: topics by key, and the subscriptions that join subscribers to them."""

from __future__ import annotations

from typing import Any

from mock_server import wire
from mock_server.handlers.channel_connections import cursor_query
from mock_server.store import Backend


async def list_topics(
    backend: Backend,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    key: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    page = backend.topics.list(
        cursor_query(after, before, limit, order_by, order_direction, include_cursor), key=key, name=name
    )
    return page.to_dto(lambda topic: topic.to_dto())


async def upsert_topic(backend: Backend, body: dict[str, Any], fail_if_exists: str | None = None) -> dict[str, Any]:
    # Novu answers 200 whether the topic was made or renamed (see openapi.yaml); its validation
    # pipe reads the boolean query argument as `value === 'true'`
    topic, _ = backend.topics.upsert(body["key"], body.get("name"), fail_if_exists=fail_if_exists == "true")
    return topic.to_dto()


async def get_topic(backend: Backend, topic_key: str) -> dict[str, Any]:
    return backend.topics.get(topic_key).to_dto()


async def update_topic(backend: Backend, topic_key: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.topics.rename(topic_key, body["name"]).to_dto()


async def delete_topic(backend: Backend, topic_key: str) -> dict[str, Any]:
    backend.topics.delete(topic_key)
    return {"acknowledged": True}


async def list_topic_subscriptions(
    backend: Backend,
    topic_key: str,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    subscriber_id: str | None = None,
    context_keys: list[str] | None = None,
) -> dict[str, Any]:
    topics = backend.topics
    page = topics.subscriptions(
        topic_key,
        cursor_query(after, before, limit, order_by, order_direction, include_cursor),
        subscriber_id=subscriber_id,
        wanted_context_keys=context_keys,
    )
    return page.to_dto(topics.list_dto)


def _items(body: dict[str, Any]) -> list[Any]:
    # Novu's controller takes `subscriptions`, else the deprecated `subscriberIds`, else nothing
    for field in ("subscriptions", "subscriberIds"):
        if body.get(field) is not None:
            return list(body[field])
    return []


def _preference_filters(preferences: list[Any] | None) -> list[Any] | None:
    """The preference items as Novu's topics controller hands them on: every item becomes a group
    filter; a workflow id names that workflow, and `{workflowId, condition}` keeps its condition
    but not its `enabled` (the controller does not copy it, so the workflow's default applies)."""
    if preferences is None:
        return None
    filters: list[Any] = []
    for item in preferences:
        if isinstance(item, str):
            filters.append({"filter": {"workflowIds": [item]}})
        elif "filter" in item:
            filters.append(item)
        else:
            converted: dict[str, Any] = {"filter": {"workflowIds": [item["workflowId"]]}}
            if item.get("condition") is not None:
                converted["condition"] = item["condition"]
            filters.append(converted)
    return filters


async def create_topic_subscriptions(backend: Backend, topic_key: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.topics.subscribe(
        topic_key,
        _items(body),
        name=body.get("name"),
        context=body.get("context"),
        preferences=_preference_filters(body.get("preferences")),
    )


async def delete_topic_subscriptions(backend: Backend, topic_key: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.topics.unsubscribe(topic_key, _items(body))


async def get_topic_subscription(backend: Backend, topic_key: str, identifier: str) -> Any:
    topics = backend.topics
    # Novu's GetSubscription looks the subscription up by topic key and identifier alone: an
    # unknown topic is, like an unknown subscription, answered "nothing" (204), not 404
    subscription = topics.find_subscription(topic_key, identifier)
    if subscription is None:
        return wire.Answer(204)
    return topics.details_dto(subscription)


async def update_topic_subscription(
    backend: Backend, topic_key: str, identifier: str, body: dict[str, Any]
) -> dict[str, Any]:
    topics = backend.topics
    changes = dict(body)
    if "preferences" in changes:
        changes["preferences"] = _preference_filters(changes["preferences"])
    subscription = topics.update_subscription(topic_key, identifier, changes)
    return topics.subscription_dto(subscription, answered=topics.named_workflows(changes.get("preferences")))


async def list_subscriber_topics(
    backend: Backend,
    subscriber_id: str,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    key: str | None = None,
    context_keys: list[str] | None = None,
) -> dict[str, Any]:
    """GET /v2/subscribers/{subscriberId}/subscriptions (a Subscribers operation, served here and
    re-exported by handlers.subscribers for the resolver)."""
    topics = backend.topics
    page = topics.subscriber_subscriptions(
        subscriber_id,
        cursor_query(after, before, limit, order_by, order_direction, include_cursor),
        key=key,
        wanted_context_keys=context_keys,
    )
    return page.to_dto(topics.list_dto)
