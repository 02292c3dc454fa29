"""Topics v1: the one operation the v2 API did not replace."""

from __future__ import annotations

from typing import Any

from mock_server.store import Backend


async def get_topic_subscriber(backend: Backend, topic_key: str, external_subscriber_id: str) -> dict[str, Any]:
    return backend.topics.topic_subscriber(topic_key, external_subscriber_id)
