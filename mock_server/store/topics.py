"""Topics: named groups of subscribers a trigger can address at once.

A topic is found by its ``key``. Deleting a topic deletes its subscriptions. The subscriptions
themselves, their answers and who a trigger to topics reaches are ``TopicSubscriptions``
(topic_subscriptions.py), the other half of ``TopicsBackend``.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store.cursor import CursorQuery, Page, context_keys, paginate
from mock_server.store.ids import iso, now, object_id, parse_time
from mock_server.store.subscribers import SubscribersBackend
from mock_server.store.topic_subscriptions import Subscription, TopicSubscriptions, default_identifier
from mock_server.store.values import clone
from mock_server.store.workflows import WorkflowsBackend

# What a new topic's key may be: Novu's rule, two alternatives (either one suffices), with
# JavaScript's meaning of \S (its whitespace set differs from Python's) and of $ (end of text only).
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_KEY_PLAIN = re.compile(r"[a-zA-Z0-9_:.-]+")
_KEY_EMAIL = re.compile(f"[^{_JS_SPACE}]+@[^{_JS_SPACE}]+\\.[^{_JS_SPACE}]+")

_SEQUENCE = itertools.count()


def valid_topic_key(key: str) -> bool:
    return bool(_KEY_PLAIN.fullmatch(key) or _KEY_EMAIL.fullmatch(key))


@dataclass(slots=True)
class Topic:
    id: str
    key: str
    name: str | None
    created_at: datetime
    updated_at: datetime
    sequence: int = field(default_factory=lambda: next(_SEQUENCE))

    def sort_value(self, order_by: str) -> Any:
        value = {"createdAt": self.created_at, "updatedAt": self.updated_at, "key": self.key,
                 "name": self.name or ""}.get(order_by, self.id)  # fmt: skip
        return value, self.sequence

    def to_dto(self) -> dict[str, Any]:
        dto: dict[str, Any] = {"_id": self.id, "key": self.key}
        if self.name is not None:
            dto["name"] = self.name
        dto["createdAt"] = iso(self.created_at)
        dto["updatedAt"] = iso(self.updated_at)
        return dto

    def short_dto(self) -> dict[str, Any]:
        dto: dict[str, Any] = {"_id": self.id, "key": self.key}
        if self.name is not None:
            dto["name"] = self.name
        return dto


class TopicsBackend(TopicSubscriptions):
    # The spec schema each snapshot record is checked against on import: a topic with its subscriptions.
    RECORD_SCHEMA = "TopicStateRecord"

    def __init__(
        self,
        environment_id: str,
        organization_id: str,
        lock: threading.RLock,
        *,
        subscribers: SubscribersBackend,
        workflows: WorkflowsBackend,
    ) -> None:
        self.environment_id = environment_id
        self.organization_id = organization_id
        self._lock = lock
        self._subscribers = subscribers
        self._workflows = workflows
        self._by_key: dict[str, Topic] = {}
        # topic key -> subscription identifier -> subscription
        self._subscriptions: dict[str, dict[str, Subscription]] = {}
        subscribers.removal_listeners.append(self._forget_subscriber)

    # -- topics ------------------------------------------------------------------------------

    def get(self, key: str) -> Topic:
        with self._lock:
            topic = self._by_key.get(key)
        if topic is None:
            raise NotFound(f"Topic with key {key} not found")
        return topic

    def list(self, query: CursorQuery, *, key: str | None = None, name: str | None = None) -> Page[Topic]:
        with self._lock:
            kept = [
                topic
                for topic in self._by_key.values()
                if (key is None or topic.key == key) and (name is None or name.lower() in (topic.name or "").lower())
            ]
            return paginate(kept, query, key=lambda topic: topic.id,
                            sort_value=lambda topic, order_by: topic.sort_value(order_by), what="topic")  # fmt: skip

    def upsert(
        self,
        key: str,
        name: str | None = None,
        *,
        fail_if_exists: bool = False,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> tuple[Topic, bool]:
        """Create the topic, or rename it when it exists (and a name is given): (topic, created)."""
        with self._lock:
            existing = self._by_key.get(key)
            if existing is not None:
                if fail_if_exists:
                    raise Conflict(f'Topic with key "{key}" already exists')
                if name:  # an empty name changes nothing
                    existing.name = name
                    existing.updated_at = created_at or now()
                return existing, False
            if not valid_topic_key(key):
                raise BadRequest(
                    f'Invalid topic key: "{key}". Topic keys must contain only alphanumeric characters '
                    "(a-z, A-Z, 0-9), hyphens (-), underscores (_), colons (:), or be a valid email address."
                )
            moment = created_at or now()
            topic = Topic(id=object_id(moment, rng), key=key, name=name, created_at=moment, updated_at=moment)
            self._by_key[key] = topic
            self._subscriptions[key] = {}
            return topic, True

    def rename(self, key: str, name: str) -> Topic:
        with self._lock:
            topic = self.get(key)
            topic.name = name
            topic.updated_at = now()
            return topic

    def delete(self, key: str) -> None:
        with self._lock:
            self.get(key)
            del self._by_key[key]
            self._subscriptions.pop(key, None)

    # -- state export / import ---------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                topic.to_dto()
                | {
                    "subscriptions": [
                        {
                            "_id": s.id,
                            "identifier": s.identifier,
                            "subscriberId": s.subscriber_id,
                            **({"name": s.name} if s.name is not None else {}),
                            # no context is no key (the record schema's context has 1 to 5 entries)
                            **({"context": clone(s.context)} if s.context else {}),
                            "preferences": clone(s.preferences),
                            "createdAt": iso(s.created_at),
                            "updatedAt": iso(s.updated_at),
                        }
                        for s in sorted(self._subscriptions[topic.key].values(), key=lambda s: s.sequence)
                    ]
                }
                for topic in sorted(self._by_key.values(), key=lambda t: t.sequence)
            ]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every topic by ``records`` (a ``snapshot()``; None empties the service). Subscribers
        are restored before; each record is checked as the API checks it: a valid, unique key, ids
        used once, subscriptions of known subscribers with identifiers unique in their topic."""
        by_key: dict[str, Topic] = {}
        subscriptions: dict[str, dict[str, Subscription]] = {}
        ids: set[str] = set()

        def claim(record_id: str) -> None:
            if record_id in ids:
                raise Conflict(f"_id {record_id} is used twice among topics and subscriptions; ids must be unique")
            ids.add(record_id)

        with self._lock:
            for index, record in enumerate(records or []):
                where = f"topics.{index}"
                key = record["key"]
                if key in by_key:
                    raise Conflict(f"Topic key {key} is used twice; it must be unique in the environment")
                if not valid_topic_key(key):
                    raise Conflict(f"{where}.key {key!r} is not a valid topic key")
                claim(record["_id"])
                created_at = parse_time(record.get("createdAt"), f"{where}.createdAt") or now()
                updated_at = parse_time(record.get("updatedAt"), f"{where}.updatedAt") or created_at
                topic = Topic(id=record["_id"], key=key, name=record.get("name"),
                              created_at=created_at, updated_at=updated_at)  # fmt: skip
                by_key[key] = topic
                kept: dict[str, Subscription] = {}
                for position, item in enumerate(record.get("subscriptions") or []):
                    at = f"{where}.subscriptions.{position}"
                    subscriber = self._find_subscriber(item["subscriberId"])
                    if subscriber is None:
                        raise Conflict(f"{at}: subscriber {item['subscriberId']} is not among the subscribers")
                    identifier = item.get("identifier") or default_identifier(key, subscriber.subscriber_id)
                    if identifier in kept:
                        raise Conflict(f"{at}: identifier {identifier} is used twice in topic {key}")
                    claim(item["_id"])
                    context = item.get("context") or {}
                    moment = parse_time(item.get("createdAt"), f"{at}.createdAt") or created_at
                    kept[identifier] = Subscription(
                        id=item["_id"],
                        identifier=identifier,
                        topic_id=topic.id,
                        topic_key=key,
                        subscriber_id=subscriber.subscriber_id,
                        subscriber_record_id=subscriber.id,
                        name=item.get("name"),
                        context=clone(context),
                        context_keys=context_keys(context),
                        preferences=clone(item.get("preferences") or []),
                        created_at=moment,
                        updated_at=parse_time(item.get("updatedAt"), f"{at}.updatedAt") or moment,
                    )
                subscriptions[key] = kept
            self._by_key, self._subscriptions = by_key, subscriptions

