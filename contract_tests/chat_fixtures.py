"""Fixtures of the chat contract tests: what they create is named `contract-...` and deleted afterwards."""

from __future__ import annotations

import uuid

import pytest

PREFIX = "contract-"


def _id(stem: str = "") -> str:
    return f"{PREFIX}{stem}{uuid.uuid4().hex[:10]}"


@pytest.fixture
def integration(created_at):
    """Creates integrations for a test, removed afterwards (with whatever hangs off them)."""
    integrations = created_at("/v1/integrations", "_id")

    def create(provider_id: str, channel: str, **credentials) -> dict:
        body = {"providerId": provider_id, "channel": channel, "identifier": _id(provider_id + "-"), "active": True}
        if credentials:
            body["credentials"] = credentials
        return integrations.create(body)

    return create


@pytest.fixture
def subscriber(created_at):
    """Creates subscribers (Novu refuses connections and endpoints of unknown ones), removed afterwards."""
    subscribers = created_at("/v2/subscribers", "subscriberId")

    def create(stem: str = "sub-") -> str:
        return subscribers.create({"subscriberId": _id(stem)})["subscriberId"]

    return create


@pytest.fixture
def connections(created_at):
    """Channel connections made by a test, deleted afterwards."""
    made = created_at("/v1/channel-connections", "identifier")

    def create(**body) -> dict:
        body.setdefault("workspace", {"id": "T" + uuid.uuid4().hex[:8].upper(), "name": "Contract HQ"})
        body.setdefault("auth", {"accessToken": "xoxb-contract"})
        return made.create(body)

    return create
