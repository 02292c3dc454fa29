"""Events: trigger a workflow (``EventsController_*``)."""

from __future__ import annotations

from typing import Any

from mock_server.store import Backend
from mock_server.store.ids import object_id

# Novu Cloud's dashboard, where a trigger's ``activityFeedLink`` points (DASHBOARD_URL there).
DASHBOARD_URL = "https://dashboard.novu.co"


def _recipients(to: Any) -> list[dict[str, Any]]:
    """``to`` is a subscriberId, a subscriber object, a topic, or a list of those. Topics are
    left out: the mock keeps none, and Novu delivers nothing for a topic that does not exist."""
    items = to if isinstance(to, list) else [to]
    return [
        {"subscriberId": item} if isinstance(item, str) else dict(item)
        for item in items
        if isinstance(item, str) or "subscriberId" in item
    ]


def _actor(actor: Any) -> dict[str, Any] | None:
    if not actor:
        return None
    return {"subscriberId": actor} if isinstance(actor, str) else dict(actor)


async def trigger(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    status, transaction_id = backend.inbox.trigger_event(
        workflow_id=body["name"],
        recipients=_recipients(body["to"]),
        payload=body.get("payload"),
        transaction_id=body.get("transactionId"),
        tenant=body.get("tenant"),
        actor=_actor(body.get("actor")),
    )
    answer: dict[str, Any] = {"acknowledged": True, "status": status, "transactionId": transaction_id}
    if status == "processed":
        request_id = object_id(backend.inbox.clock())
        answer["activityFeedLink"] = (
            f"{DASHBOARD_URL}/env/{backend.inbox.environment_id}/activity/requests?selectedLogId={request_id}"
        )
    return answer
