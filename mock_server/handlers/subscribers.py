"""Subscribers v2: search, CRUD and preferences (``SubscribersController_*``)."""

from __future__ import annotations

from typing import Any

from mock_server import wire
from mock_server.errors import NotFound
from mock_server.store import Backend
from mock_server.store.subscriber_records import PROFILE_FIELDS, check_time_zone


def _channel_types() -> list[str]:
    # Every channel type the API knows, read from the spec: the global preferences list them all.
    return wire.services()["spec"].enum("ChannelTypeEnum")


async def search_subscribers(
    backend: Backend,
    after: str | None = None,
    before: str | None = None,
    limit: float = 10,
    order_direction: str = "DESC",
    order_by: str = "_id",
    include_cursor: str = "false",
    email: str | None = None,
    name: str | None = None,
    phone: str | None = None,
    subscriber_id: str | None = None,
) -> dict[str, Any]:
    return backend.subscribers.search(
        email=email,
        name=name,
        phone=phone,
        subscriber_id=subscriber_id,
        after=after or None,  # Novu: an empty cursor is none
        before=before or None,
        limit=int(limit),
        order_by=order_by or "_id",  # Novu's controller: an empty orderBy is `_id`
        # Novu checks neither: an empty direction is DESC, and only the exact DESC descends
        # (the store sorts ascending for anything else); only the exact text "true" includes.
        order_direction=order_direction or "DESC",
        include_cursor=include_cursor == "true",
    ).to_dto()


def _profile(body: dict[str, Any]) -> dict[str, Any]:
    """The profile fields the body gives (null included: it clears). ``subscriberId`` in a
    patch body is ignored, as Novu ignores it."""
    profile = {key: value for key, value in body.items() if key in PROFILE_FIELDS}
    check_time_zone(profile.get("timezone"))
    return profile


async def create_subscriber(backend: Backend, body: dict[str, Any], fail_if_exists: bool = False) -> dict[str, Any]:
    # Novu trims the subscriberId, and always stores ``data`` (an empty object when not given),
    # also over the data of a subscriber that exists.
    profile = _profile(body) | {"data": body.get("data") or {}}
    subscriber, _ = backend.subscribers.create(
        subscriber_id=body["subscriberId"].strip(), profile=profile, fail_if_exists=fail_if_exists
    )
    return subscriber.to_dto()


async def get_subscriber(backend: Backend, subscriber_id: str) -> dict[str, Any]:
    return backend.subscribers.get(subscriber_id, missing=f"Subscriber: {subscriber_id} was not found").to_dto()


async def patch_subscriber(backend: Backend, subscriber_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.subscribers.patch(subscriber_id, _profile(body)).to_dto()


async def remove_subscriber(backend: Backend, subscriber_id: str) -> dict[str, Any]:
    if backend.subscribers.find(subscriber_id) is None:
        raise NotFound("Subscriber was not found", extra={"externalSubscriberId": subscriber_id})
    backend.subscribers.remove(subscriber_id)
    return {"acknowledged": True, "status": "deleted"}


async def get_subscriber_preferences(
    backend: Backend, subscriber_id: str, criticality: str = "nonCritical", context_keys: list[str] | None = None
) -> dict[str, Any]:
    # Novu filters by context keys only behind a feature flag that is off by default: they are
    # accepted and change nothing (a contexts service would be needed to honour them).
    return backend.preferences.get(subscriber_id, channels=_channel_types(), criticality=criticality)


async def update_subscriber_preferences(backend: Backend, subscriber_id: str, body: dict[str, Any]) -> dict[str, Any]:
    # ``context``: accepted and ignored, as Novu does while its context-preferences flag is off.
    return backend.preferences.update(
        subscriber_id,
        channels=_channel_types(),
        choices=body.get("channels"),
        workflow_id=body.get("workflowId"),
        schedule=body.get("schedule"),
    )


async def bulk_update_subscriber_preferences(
    backend: Backend, subscriber_id: str, body: dict[str, Any]
) -> list[dict[str, Any]]:
    return backend.preferences.bulk_update(subscriber_id, body["preferences"])


# Re-exported for the resolver: the v2 inbox lives in its own module, and a subscriber's topic
# subscriptions (a Subscribers operation) are served by the topics handlers.
from mock_server.handlers.inbox_v2 import *  # noqa: E402,F401,F403
from mock_server.handlers.topics import list_subscriber_topics  # noqa: E402,F401
