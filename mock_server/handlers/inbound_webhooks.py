"""Delivery providers' webhooks (``InboundWebhooksController_*``): a provider reports what became
of the messages it delivered. Providers call without an API key; the environment is in the path."""

from __future__ import annotations

import json
from typing import Any

from mock_server import wire
from mock_server.errors import NotFound


async def handle_webhook(environment_id: str, integration_id: str, body: Any) -> list[dict[str, Any]]:
    try:
        backend = wire.services()["backends"][environment_id]
    except KeyError:
        # Novu looks the integration up in the environment named: none there
        raise NotFound(f"Integration for {integration_id} was not found") from None
    return backend.delivery_events.receive(integration_id, _json(body))


def _json(body: Any) -> Any:
    """A ``text/plain`` body (Amazon SNS sends its JSON so) read as JSON; text that is no JSON
    carries no event."""
    if not isinstance(body, (bytes, str)):
        return body
    try:
        return json.loads(body)
    except ValueError:
        return None
