"""Events: trigger a workflow (``EventsController_*``)."""

from __future__ import annotations

from typing import Any

from mock_server.store import Backend


def _recipients(to: Any) -> list[dict[str, Any]]:
    """``to`` is a subscriberId, a subscriber object, or a list of either."""
    items = to if isinstance(to, list) else [to]
    return [{"subscriberId": item} if isinstance(item, str) else dict(item) for item in items]


async def trigger(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    transaction_id = backend.inbox.trigger(
        workflow_id=body["name"],
        recipients=_recipients(body["to"]),
        payload=body.get("payload"),
        transaction_id=body.get("transactionId"),
    )
    return {"acknowledged": True, "status": "processed", "transactionId": transaction_id}
