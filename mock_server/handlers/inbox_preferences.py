"""The inbox's preferences (``InboxPreferencesController_*``, ``/v1/inbox/preferences*``): the
session subscriber's, over the same store ``/v2/subscribers/{id}/preferences`` reads."""

from __future__ import annotations

from typing import Any

from mock_server.handlers.inbox_subscriber import channel_types as _channel_types, session_subscriber_id
from mock_server.store import Backend, inbox_preferences


async def get_all_preferences(
    backend: Backend,
    tags: list[str] | None = None,
    severity: str | list[str] | None = None,
    criticality: str = "nonCritical",
) -> list[dict[str, Any]]:
    # ``severity`` and ``severity[]`` are one filter (both reach the handler as ``severity``)
    levels = [severity] if isinstance(severity, str) else severity
    return backend.preferences.inbox_list(
        session_subscriber_id(), channels=_channel_types(), tags=tags, severity=levels, criticality=criticality
    )


async def get_global_preference(backend: Backend) -> dict[str, Any]:
    return backend.preferences.inbox_global(session_subscriber_id(), channels=_channel_types())


async def update_global_preference(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return inbox_preferences.update(backend, session_subscriber_id(), body, channels=_channel_types())


async def update_workflow_preference(
    backend: Backend, workflow_id_or_identifier: str, body: dict[str, Any]
) -> dict[str, Any]:
    return inbox_preferences.update(
        backend, session_subscriber_id(), body, channels=_channel_types(), workflow_id=workflow_id_or_identifier
    )


async def update_subscription_workflow_preference(
    backend: Backend, subscription_identifier: str, workflow_id_or_identifier: str, body: dict[str, Any]
) -> dict[str, Any]:
    return inbox_preferences.update(
        backend,
        session_subscriber_id(),
        body,
        channels=_channel_types(),
        workflow_id=workflow_id_or_identifier,
        subscription_identifier=subscription_identifier,
    )


async def bulk_update_workflow_preferences(backend: Backend, body: dict[str, Any]) -> list[dict[str, Any]]:
    return inbox_preferences.bulk_update(
        backend, session_subscriber_id(), body["preferences"], channels=_channel_types()
    )
