"""Subscriptions to topics: one joins one subscriber to one topic, under an ``identifier``
unique within its topic (by default ``tk=<topic key>:si=<subscriberId>``), with an optional
name, context and workflow preference items (``topic_preferences``); and who a trigger to
topics reaches (``reach``).

``TopicSubscriptions`` is the part of ``TopicsBackend`` (topics.py) that keeps them: a mixin
over the backend's lock, topics and services. A deleted subscriber's subscriptions go with it
(a removal listener of the subscribers service).
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mock_server.errors import BadRequestResult, NotFound
from mock_server.store import topic_preferences
from mock_server.store.cursor import CursorQuery, Page, context_keys, paginate
from mock_server.store.ids import iso, now, object_id
from mock_server.store.subscriber_records import Subscriber
from mock_server.store.subscribers import SubscribersBackend
from mock_server.store.values import clone
from mock_server.store.workflows import Workflow, WorkflowsBackend

if TYPE_CHECKING:
    from mock_server.store.topics import Topic

_SEQUENCE = itertools.count()
# Novu's CreateSubscriptions: at most this many subscriptions of one subscriber in one topic.
MAX_PER_SUBSCRIBER = 10


def default_identifier(topic_key: str, subscriber_id: str) -> str:
    return f"tk={topic_key}:si={subscriber_id}"


@dataclass(slots=True)
class Subscription:
    id: str
    identifier: str
    topic_id: str
    topic_key: str
    subscriber_id: str
    subscriber_record_id: str
    name: str | None
    context: dict[str, Any]
    context_keys: list[str]
    # the preference items as the client sent them (workflow ids, workflow objects, group filters)
    preferences: list[Any]
    created_at: datetime
    updated_at: datetime
    sequence: int = field(default_factory=lambda: next(_SEQUENCE))

    def sort_value(self, order_by: str) -> Any:
        # Novu's subscription lists take `orderBy` but never hand it to the repository: always _id
        return self.id, self.sequence


def _subscriber_dto(subscriber: Subscriber | None, *, with_dates: bool = False) -> dict[str, Any] | None:
    """The subscriber summary of a subscription: profile fields never given are left out (Novu
    copies the stored fields, an unset one stays undefined); the create, update and delete
    answers also carry the subscriber's own ``createdAt`` / ``updatedAt``, the lists do not."""
    if subscriber is None:
        return None
    dto: dict[str, Any] = {"_id": subscriber.id, "subscriberId": subscriber.subscriber_id}
    for name, value in (("avatar", subscriber.avatar), ("firstName", subscriber.first_name),
                        ("lastName", subscriber.last_name), ("email", subscriber.email)):  # fmt: skip
        if name not in subscriber.unset:
            dto[name] = value
    if with_dates:
        dto["createdAt"] = iso(subscriber.created_at)
        dto["updatedAt"] = iso(subscriber.updated_at)
    return dto


class TopicSubscriptions:
    """The subscriptions half of ``TopicsBackend``, over its state (below) and its topic
    operations ``get`` and ``upsert``."""

    environment_id: str
    organization_id: str
    _lock: threading.RLock
    _subscribers: SubscribersBackend
    _workflows: WorkflowsBackend
    _by_key: dict[str, Topic]
    # topic key -> subscription identifier -> subscription
    _subscriptions: dict[str, dict[str, Subscription]]

    # -- triggers ----------------------------------------------------------------------------

    def subscriber_ids(self, topic_key: str) -> list[str]:
        """The subscriberIds subscribed to the topic, each once, in subscription order, whatever
        their preferences (a trigger's fan-out is ``reach``). An unknown topic has none."""
        with self._lock:
            subscriptions = sorted(self._subscriptions.get(topic_key, {}).values(), key=lambda s: s.sequence)
            return list(dict.fromkeys(subscription.subscriber_id for subscription in subscriptions))

    def reach(self, topic_keys: list[str], workflow: Workflow, payload: dict[str, Any], *,
              leave_out: set[str] = frozenset()) -> dict[str, list[dict[str, str]]]:  # fmt: skip
        """Who a trigger of ``workflow`` to these topics reaches: subscriberId -> the subscriptions
        it is reached through (``_topicId``, ``topicKey``, ``subscriptionIdentifier``), in the order
        the subscriptions were made. Unknown topics reach nobody.

        As Novu's TriggerMulticast gathers them: every subscription of the topics whose subscriber
        is not in ``leave_out`` (the trigger's direct recipients, its topics' ``exclude`` lists and
        the actor), each subscriber with its subscriptions, an identifier once. Then, as its worker's
        SubscriberJobBound decides for each subscriber: a subscription whose preference for the
        workflow says no (``topic_preferences.lets_through``) is dropped, and a subscriber left with
        none is not reached at all (no notification, nothing in the activity)."""
        with self._lock:
            subscriptions = sorted(
                (s for key in dict.fromkeys(topic_keys) for s in self._subscriptions.get(key, {}).values()),
                key=lambda s: s.sequence,
            )
            gathered: dict[str, list[Subscription]] = {}
            for subscription in subscriptions:
                if subscription.subscriber_id in leave_out:
                    continue
                held = gathered.setdefault(subscription.subscriber_id, [])
                if all(other.identifier != subscription.identifier for other in held):
                    held.append(subscription)
            workflows = self._workflows.list()
            reached: dict[str, list[dict[str, str]]] = {}
            for subscriber_id, held in gathered.items():
                passing = [
                    {"_topicId": s.topic_id, "topicKey": s.topic_key, "subscriptionIdentifier": s.identifier}
                    for s in held
                    if topic_preferences.lets_through(workflows, s.preferences, workflow, payload)
                ]
                if passing:
                    reached[subscriber_id] = passing
            return reached

    # -- subscriptions -----------------------------------------------------------------------

    def subscribe(
        self,
        topic_key: str,
        items: list[Any],
        *,
        name: str | None = None,
        context: dict[str, Any] | None = None,
        preferences: list[Any] | None = None,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> dict[str, Any]:
        """Subscribe each item (a subscriberId, or ``{identifier, subscriberId, name}``) to the topic,
        creating the topic when missing (``name`` is the topic's, set as topic creation sets it).

        As Novu's CreateSubscriptions: unknown subscriberIds are errors first (one per item naming
        them); each known subscriber counts once, with the identifier and name of the first item
        naming it; a subscription already holding that identifier is answered as it is (before
        the new ones), a subscriber already at the per-topic limit is an error. The answer is
        ``{data, meta, errors?}``; a 400 carrying it when items were named and none succeeded."""
        with self._lock:
            topic, _ = self.upsert(topic_key, name, created_at=created_at, rng=rng)
            by_identifier = self._subscriptions[topic.key]
            normalized = [{"subscriberId": item} if isinstance(item, str) else item for item in items]
            errors: list[dict[str, Any]] = []
            found: dict[str, Subscriber] = {}
            for item in normalized:
                subscriber_id = item["subscriberId"]
                subscriber = found.get(subscriber_id) or self._find_subscriber(subscriber_id)
                if subscriber is None:
                    errors.append(_not_found(subscriber_id))
                else:
                    found.setdefault(subscriber_id, subscriber)
            if not found:
                result: dict[str, Any] = {
                    "data": [],
                    "meta": {"totalCount": len(items), "successful": 0, "failed": len(items)},
                    "errors": errors,
                }
                if items:
                    raise BadRequestResult(result)
                return result
            wanted: dict[str, tuple[str, str | None]] = {}
            for subscriber_id, subscriber in found.items():
                first = next(item for item in normalized if item["subscriberId"] == subscriber_id)
                identifier = first.get("identifier") or default_identifier(topic.key, subscriber.subscriber_id)
                wanted[subscriber_id] = (identifier, first.get("name"))
            existing = [by_identifier[identifier] for identifier, _ in wanted.values() if identifier in by_identifier]
            holders = {subscription.subscriber_record_id for subscription in existing}
            made: list[Subscription] = list({subscription.id: subscription for subscription in existing}.values())
            for subscriber_id, subscriber in found.items():
                if subscriber.id in holders:
                    continue
                held = sum(s.subscriber_record_id == subscriber.id for s in by_identifier.values())
                if held >= MAX_PER_SUBSCRIBER:
                    errors.append(_limit_exceeded(subscriber_id, topic.key))
                    continue
                identifier, subscription_name = wanted[subscriber_id]
                moment = created_at or now()
                subscription = Subscription(
                    id=object_id(moment, rng),
                    identifier=identifier,
                    topic_id=topic.id,
                    topic_key=topic.key,
                    subscriber_id=subscriber.subscriber_id,
                    subscriber_record_id=subscriber.id,
                    name=subscription_name,
                    context=clone(context or {}),
                    context_keys=context_keys(context),
                    preferences=clone(preferences or []),
                    created_at=moment,
                    updated_at=moment,
                )
                by_identifier[identifier] = subscription
                made.append(subscription)
            answered = self.named_workflows(preferences)
            return self._outcome(topic, made, errors, len(items),
                                 lambda made_one: self.subscription_dto(made_one, answered=answered))  # fmt: skip

    def named_workflows(self, preferences: list[Any] | None) -> set[str] | None:
        """The ids of the workflows a request's preference items name (by id, identifier or tag):
        the workflows whose preferences Novu's create and update answers carry. None when the
        request names no preference at all."""
        if not preferences:
            return None
        workflows = self._workflows.list()
        return {workflow.id for item in preferences for workflow in topic_preferences.named(workflows, item)}

    def unsubscribe(self, topic_key: str, items: list[Any]) -> dict[str, Any]:
        """Remove subscriptions: a subscriberId (or ``{subscriberId}``) removes all of that
        subscriber's in the topic, ``{identifier}`` that one. Answer as ``subscribe``."""
        with self._lock:
            topic = self.get(topic_key)
            by_identifier = self._subscriptions[topic.key]
            errors: list[dict[str, Any]] = []
            removed: list[Subscription] = []
            for item in items:
                identifier = None if isinstance(item, str) else item.get("identifier")
                subscriber_id = item if isinstance(item, str) else item.get("subscriberId")
                if identifier:
                    subscription = by_identifier.get(identifier)
                    if subscription is None or (subscriber_id and subscription.subscriber_id != subscriber_id):
                        errors.append({"subscriberId": subscriber_id or identifier, "code": "SUBSCRIPTION_NOT_FOUND",
                                       "message": f"Subscription '{identifier}' not found."})  # fmt: skip
                        continue
                    found = [subscription]
                else:
                    if not subscriber_id or self._find_subscriber(subscriber_id) is None:
                        errors.append(_not_found(subscriber_id or ""))
                        continue
                    found = [s for s in by_identifier.values() if s.subscriber_id == subscriber_id]
                    if not found:
                        message = f"Subscription for subscriber '{subscriber_id}' not found."
                        errors.append({"subscriberId": subscriber_id, "code": "SUBSCRIPTION_NOT_FOUND",
                                       "message": message})  # fmt: skip
                        continue
                for subscription in found:
                    del by_identifier[subscription.identifier]
                    removed.append(subscription)
            return self._outcome(topic, removed, errors, len(items), self.deleted_dto)

    def subscriptions(self, topic_key: str, query: CursorQuery, *, subscriber_id: str | None = None,
                      wanted_context_keys: list[str] | None = None) -> Page[Subscription]:  # fmt: skip
        with self._lock:
            topic = self.get(topic_key)
            return self._page(self._subscriptions[topic.key].values(), query, subscriber_id, None, wanted_context_keys)

    def subscriber_subscriptions(self, subscriber_id: str, query: CursorQuery, *, key: str | None = None,
                                 wanted_context_keys: list[str] | None = None) -> Page[Subscription]:  # fmt: skip
        with self._lock:
            if self._find_subscriber(subscriber_id) is None:
                raise NotFound("Subscriber not found")
            every = [s for by_identifier in self._subscriptions.values() for s in by_identifier.values()]
            return self._page(every, query, subscriber_id, key, wanted_context_keys)

    def find_subscription(self, topic_key: str, identifier: str) -> Subscription | None:
        """By identifier, else by ``_id``, within the topic (None when the topic or it is unknown)."""
        with self._lock:
            by_identifier = self._subscriptions.get(topic_key, {})
            found = by_identifier.get(identifier)
            if found is None:
                found = next((s for s in by_identifier.values() if s.id == identifier), None)
            return found

    def update_subscription(self, topic_key: str, identifier: str, changes: dict[str, Any]) -> Subscription:
        with self._lock:
            self.get(topic_key)
            subscription = self.find_subscription(topic_key, identifier)
            if subscription is None:
                raise NotFound(f"Subscription with identifier {identifier} not found for topic {topic_key}")
            if "name" in changes:
                subscription.name = changes["name"]
                subscription.updated_at = now()
            if "preferences" in changes:
                subscription.preferences = clone(changes["preferences"])
                subscription.updated_at = now()
            return subscription

    def topic_subscriber(self, topic_key: str, subscriber_id: str) -> dict[str, Any]:
        """The v1 answer to "is this subscriber in this topic?": the subscription record (Novu's
        use case spreads the stored entity, its ``_id`` included)."""
        with self._lock:
            topic = self._by_key.get(topic_key)
            found = [s for s in self._subscriptions.get(topic_key, {}).values() if s.subscriber_id == subscriber_id]
            if topic is None or not found:
                raise NotFound(
                    f"Subscriber {subscriber_id} not found for topic {topic_key} "
                    f"in the environment {self.environment_id}"
                )
            return {
                "_id": found[0].id,
                "_environmentId": self.environment_id,
                "_organizationId": self.organization_id,
                "_subscriberId": found[0].subscriber_record_id,
                "_topicId": topic.id,
                "topicKey": topic.key,
                "externalSubscriberId": subscriber_id,
            }

    # -- answers -----------------------------------------------------------------------------

    def subscription_dto(self, subscription: Subscription, *, answered: set[str] | None = None) -> dict[str, Any]:
        """SubscriptionResponseDto: the create and update answers. ``preferences`` holds those of
        the workflows in ``answered`` (what the request named), and is left out when there are none."""
        topic = self._by_key.get(subscription.topic_key)
        dto: dict[str, Any] = {"_id": subscription.id, "identifier": subscription.identifier}
        if subscription.name is not None:
            dto["name"] = subscription.name
        dto["topic"] = topic.short_dto() if topic else {"_id": subscription.topic_id, "key": subscription.topic_key}
        dto["subscriber"] = _subscriber_dto(self._subscriber_record(subscription), with_dates=True)
        preferences = [p for p in self.preference_dtos(subscription) if answered and p["workflow"]["id"] in answered]
        if preferences:
            dto["preferences"] = preferences
        dto |= {
            "contextKeys": list(subscription.context_keys),
            "createdAt": iso(subscription.created_at),
            "updatedAt": iso(subscription.updated_at),
        }
        return dto

    def deleted_dto(self, subscription: Subscription) -> dict[str, Any]:
        """SubscriptionDto: what the delete answer says of each removed subscription."""
        dto = self.subscription_dto(subscription)
        dto.pop("name", None)
        return dto

    def list_dto(self, subscription: Subscription) -> dict[str, Any]:
        """TopicSubscriptionResponseDto: an item of the subscription lists."""
        topic = self._by_key.get(subscription.topic_key)
        return {
            "_id": subscription.id,
            "identifier": subscription.identifier,
            "createdAt": iso(subscription.created_at),
            "topic": topic.to_dto() if topic else {"_id": subscription.topic_id, "key": subscription.topic_key},
            "subscriber": _subscriber_dto(self._subscriber_record(subscription)),
            "contextKeys": list(subscription.context_keys),
        }

    def details_dto(self, subscription: Subscription) -> dict[str, Any]:
        """SubscriptionDetailsResponseDto: the answer of get one subscription."""
        dto: dict[str, Any] = {"id": subscription.id, "identifier": subscription.identifier}
        if subscription.name is not None:
            dto["name"] = subscription.name
        preferences = self.preference_dtos(subscription)
        if preferences:  # Novu's mapTopicSubscriptionToDto leaves an empty list out
            dto["preferences"] = preferences
        dto["contextKeys"] = list(subscription.context_keys)
        return dto

    def preference_dtos(self, subscription: Subscription) -> list[dict[str, Any]]:
        """One preference per workflow the stored items name (see ``topic_preferences``)."""
        return topic_preferences.answers(self._workflows.list(), subscription.preferences, subscription.identifier)

    def workflow_preference(self, subscription: Subscription, workflow: Workflow) -> dict[str, Any] | None:
        """What the subscription's items say of ``workflow``: ``{enabled, condition?, channels}``,
        or None when no item names it."""
        return topic_preferences.of_workflow(self._workflows.list(), subscription.preferences, workflow)

    def set_workflow_preference(self, subscription: Subscription, workflow: Workflow, *, enabled: bool | None = None,
                                condition: Any = None, channels: dict[str, bool] | None = None) -> dict[str, Any]:
        """Change the subscription's preference for one workflow (the inbox's per-subscription
        update): what is not given keeps its value; the item is stored by workflow identifier."""
        with self._lock:
            current = self.workflow_preference(subscription, workflow) or {"enabled": True, "channels": {}}
            item: dict[str, Any] = {
                "workflowId": workflow.identifier,
                "enabled": current["enabled"] if enabled is None else enabled,
            }
            kept_condition = current.get("condition") if condition is None else condition
            if kept_condition is not None:
                item["condition"] = clone(kept_condition)
            item["channels"] = current["channels"] | dict(channels or {})
            # an item naming only this workflow is replaced, and the new one comes first (the first
            # defining item wins); group filters keep applying to the other workflows
            kept = [other for other in subscription.preferences if not topic_preferences.names_only(other, workflow)]
            subscription.preferences = [item, *kept]
            subscription.updated_at = now()
            return self.workflow_preference(subscription, workflow) or {}

    def find_anywhere(self, identifier: str) -> Subscription | None:
        """A subscription of any topic by identifier, else by ``_id`` (Novu's per-subscription
        preference update looks in the whole environment)."""
        with self._lock:
            every = [s for by_identifier in self._subscriptions.values() for s in by_identifier.values()]
            return next((s for s in every if s.identifier == identifier), None) or next(
                (s for s in every if s.id == identifier), None
            )

    # -- helpers -----------------------------------------------------------------------------

    def _find_subscriber(self, subscriber_id: str) -> Subscriber | None:
        try:
            return self._subscribers.get(subscriber_id)
        except NotFound:
            return None

    def _subscriber_record(self, subscription: Subscription) -> Subscriber | None:
        return self._find_subscriber(subscription.subscriber_id)

    def _forget_subscriber(self, subscriber: Subscriber) -> None:
        for by_identifier in self._subscriptions.values():
            for identifier in [i for i, s in by_identifier.items() if s.subscriber_record_id == subscriber.id]:
                del by_identifier[identifier]

    def _page(self, items, query: CursorQuery, subscriber_id, topic_key, wanted_context_keys) -> Page[Subscription]:
        wanted = frozenset(wanted_context_keys) if wanted_context_keys is not None else None
        kept = [
            s
            for s in items
            if (subscriber_id is None or s.subscriber_id == subscriber_id)
            and (topic_key is None or s.topic_key == topic_key)
            and (wanted is None or frozenset(s.context_keys) == wanted)
            # Novu's list use cases leave out a subscription whose subscriber record is gone
            and self._subscriber_record(s) is not None
        ]
        return paginate(kept, query, key=lambda s: s.id, sort_value=lambda s, order_by: s.sort_value(order_by),
                        what="subscription")  # fmt: skip

    def _outcome(self, topic: Topic, done: list[Subscription], errors: list[dict[str, Any]], total: int,
                 render) -> dict[str, Any]:  # fmt: skip
        result: dict[str, Any] = {
            "data": [render(subscription) for subscription in done],
            "meta": {"totalCount": total, "successful": len(done), "failed": len(errors)},
        }
        if errors:
            result["errors"] = errors
        if errors and not done:
            raise BadRequestResult(result)
        return result


def _not_found(subscriber_id: str) -> dict[str, Any]:
    return {"subscriberId": subscriber_id, "code": "SUBSCRIBER_NOT_FOUND",
            "message": f"Subscriber with ID '{subscriber_id}' could not be found."}  # fmt: skip


def _limit_exceeded(subscriber_id: str, topic_key: str) -> dict[str, Any]:
    message = (f"Subscriber {subscriber_id} has reached the maximum allowed of {MAX_PER_SUBSCRIBER} "
               f'subscriptions for topic "{topic_key}"')  # fmt: skip
    return {"subscriberId": subscriber_id, "code": "SUBSCRIPTION_LIMIT_EXCEEDED", "message": message}