"""The inbox's view of topic subscriptions: only the session subscriber's own, over the topics
service the secret-key API uses (Novu's InboxTopicController and its use cases).

Another subscriber's subscription is, to a session, one that does not exist: reading it answers
204 (as an unknown one), changing or deleting it 404 (Novu's topic-subscription-ownership e2e).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_server.errors import BadRequest, BadRequestResult, NotFound
from mock_server.store.cursor import CursorQuery
from mock_server.store.topic_subscriptions import Subscription

if TYPE_CHECKING:
    from mock_server.store import Backend

_EVERY = CursorQuery(limit=10**9, order_direction="ASC")


def _answer(backend: Backend, subscription: Subscription) -> dict[str, Any]:
    """What create and update answer: the details without the context keys."""
    details = backend.topics.details_dto(subscription)
    details.pop("contextKeys", None)
    return details


def _own(backend: Backend, subscriber_id: str, topic_key: str, identifier: str) -> Subscription | None:
    subscription = backend.topics.find_subscription(topic_key, identifier)
    if subscription is None or subscription.subscriber_id != subscriber_id:
        return None
    return subscription


def list_own(backend: Backend, subscriber_id: str, topic_key: str) -> list[dict[str, Any]]:
    """The subscriber's subscriptions to the topic (none for an unknown topic)."""
    with backend.lock:
        if backend.subscribers.find(subscriber_id) is None:
            return []
        page = backend.topics.subscriber_subscriptions(subscriber_id, _EVERY, key=topic_key)
        return [backend.topics.details_dto(subscription) for subscription in page.items]


def get_own(
    backend: Backend,
    subscriber_id: str,
    topic_key: str,
    identifier: str,
    *,
    workflow_ids: list[str] | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any] | None:
    """The subscription (None: Novu's 204 for one that is unknown or not the subscriber's; an
    unknown topic is 404). With ``workflow_ids`` / ``tags`` the preferences are those of the
    workflows named or tagged so, each as the subscription holds it or enabled by default."""
    with backend.lock:
        backend.topics.get(topic_key)
        subscription = _own(backend, subscriber_id, topic_key, identifier)
        if subscription is None:
            return None
        details = backend.topics.details_dto(subscription)
        if workflow_ids or tags:
            wanted_ids, wanted_tags = set(workflow_ids or []), set(tags or [])
            preferences = []
            for workflow in sorted(backend.workflows.list(), key=lambda workflow: workflow.created_at):
                if not (wanted_ids & {workflow.id, workflow.identifier} or wanted_tags.intersection(workflow.tags)):
                    continue
                held = backend.topics.workflow_preference(subscription, workflow) or {"enabled": True}
                preference = {"subscriptionId": subscription.identifier, "workflow": workflow.preference_dto(),
                              "enabled": held["enabled"]}  # fmt: skip
                if "condition" in held:
                    preference["condition"] = held["condition"]
                preferences.append(preference)
            details["preferences"] = preferences
        return details


def create_own(backend: Backend, subscriber_id: str, topic_key: str, body: dict[str, Any]) -> dict[str, Any]:
    """Subscribe the session's subscriber (the topic is created when missing, named by
    ``topic.name``). An identifier already subscribed is answered as it is."""
    with backend.lock:
        if backend.subscribers.find(subscriber_id) is None:
            raise BadRequest(f"Subscriber with ID '{subscriber_id}' could not be found.")
        item: dict[str, Any] = {"subscriberId": subscriber_id}
        if body.get("identifier"):
            item["identifier"] = body["identifier"]
        if body.get("name") is not None:
            item["name"] = body["name"]
        try:
            result = backend.topics.subscribe(
                topic_key,
                [item],
                name=(body.get("topic") or {}).get("name"),
                preferences=body.get("preferences"),
            )
        except BadRequestResult as failed:
            # Novu's inbox controller answers the first error's message alone
            raise BadRequest(failed.message["errors"][0]["message"]) from None
        made = backend.topics.find_subscription(topic_key, result["data"][0]["identifier"])
        assert made is not None
        answer = _answer(backend, made)
        if not body.get("preferences") or not answer.get("preferences"):
            # Novu's CreateSubscriptions answers preferences only for the workflows the request named
            answer.pop("preferences", None)
        return answer


def update_own(
    backend: Backend, subscriber_id: str, topic_key: str, identifier: str, body: dict[str, Any]
) -> dict[str, Any]:
    with backend.lock:
        backend.topics.get(topic_key)
        if _own(backend, subscriber_id, topic_key, identifier) is None:
            raise NotFound(f"Subscription with identifier {identifier} not found for topic {topic_key}")
        changes = {name: body[name] for name in ("name", "preferences") if body.get(name) is not None}
        answer = _answer(backend, backend.topics.update_subscription(topic_key, identifier, changes))
        if not answer.get("preferences") or "preferences" not in changes:
            # Novu's UpdateSubscription answers preferences only for the workflows a change named
            answer.pop("preferences", None)
        return answer


def delete_own(backend: Backend, subscriber_id: str, topic_key: str, identifier: str) -> dict[str, Any]:
    """Novu's DeleteTopicSubscription: the topic (404), the subscriber's subscription by
    identifier (404), then ``{success: true}``."""
    with backend.lock:
        topic = backend.topics.get(topic_key)
        subscription = backend.topics.find_subscription(topic_key, identifier)
        if subscription is None or subscription.identifier != identifier or subscription.subscriber_id != subscriber_id:
            raise NotFound(f"Subscription with identifier {identifier} not found")
        backend.topics.unsubscribe(topic.key, [{"identifier": identifier, "subscriberId": subscriber_id}])
        return {"success": True}
