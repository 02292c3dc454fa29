"""Events: trigger a workflow, in bulk, to everyone, and cancel (``EventsController_*``)."""

from __future__ import annotations

from typing import Any

from mock_server.store import Backend
from mock_server.store.ids import object_id

# Novu Cloud's dashboard, where a trigger's ``activityFeedLink`` points (DASHBOARD_URL there).
DASHBOARD_URL = "https://dashboard.novu.co"


def _with_link(backend: Backend, answer: dict[str, Any]) -> dict[str, Any]:
    """A processed trigger's answer names the dashboard page of its request."""
    if answer["status"] == "processed":
        request_id = object_id(backend.inbox.clock())
        answer["activityFeedLink"] = (
            f"{DASHBOARD_URL}/env/{backend.inbox.environment_id}/activity/requests?selectedLogId={request_id}"
        )
    return answer


async def trigger(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return _with_link(backend, backend.inbox.trigger_event(
        workflow_id=body["name"],
        to=body["to"],
        payload=body.get("payload"),
        transaction_id=body.get("transactionId"),
        tenant=body.get("tenant"),
        actor=body.get("actor"),
        context=body.get("context"),
    ))  # fmt: skip


async def trigger_bulk(backend: Backend, body: dict[str, Any]) -> list[dict[str, Any]]:
    return [_with_link(backend, answer) for answer in backend.inbox.trigger_bulk(body["events"])]


async def broadcast_event_to_all(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return _with_link(backend, backend.inbox.broadcast(
        workflow_id=body["name"],
        payload=body.get("payload"),
        transaction_id=body.get("transactionId"),
        tenant=body.get("tenant"),
        actor=body.get("actor"),
        context=body.get("context"),
    ))  # fmt: skip


async def cancel(backend: Backend, transaction_id: str) -> bool:
    return backend.inbox.cancel(transaction_id)
