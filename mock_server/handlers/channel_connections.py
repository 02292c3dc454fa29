from __future__ import annotations

from typing import Any

from mock_server.store import Backend
from mock_server.store.context_match import present_keys
from mock_server.store.cursor import CursorQuery


def cursor_query(after, before, limit, order_by, order_direction, include_cursor) -> CursorQuery:
    """The cursor parameters as Connexion passes them (defaults filled in from the spec). Novu
    reads an empty ``after`` / ``before`` as absent."""
    return CursorQuery(
        after=after or None,
        before=before or None,
        limit=int(limit),
        order_by=order_by,
        order_direction=order_direction,
        include_cursor=include_cursor,
    )


async def list_channel_connections(
    backend: Backend,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    subscriber_id: str | None = None,
    channel: str | None = None,
    provider_id: str | None = None,
    integration_identifier: str | None = None,
    context_keys: list[str] | None = None,
) -> dict[str, Any]:
    page = backend.channel_connections.list(
        cursor_query(after, before, limit, order_by, order_direction, include_cursor),
        subscriber_id=subscriber_id,
        channel=channel,
        provider_id=provider_id,
        integration_identifier=integration_identifier,
        context_keys=present_keys(context_keys),
    )
    return page.to_dto(lambda connection: connection.to_dto())


async def create_channel_connection(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.channel_connections.create(
        integration_identifier=body["integrationIdentifier"],
        workspace=body["workspace"],
        auth=body["auth"],
        identifier=body.get("identifier"),
        subscriber_id=body.get("subscriberId"),
        context=body.get("context"),
        connection_mode=body.get("connectionMode"),
    ).to_dto()


async def get_channel_connection_by_identifier(backend: Backend, identifier: str) -> dict[str, Any]:
    return backend.channel_connections.get(identifier).to_dto()


async def update_channel_connection(backend: Backend, identifier: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.channel_connections.update(identifier, workspace=body["workspace"], auth=body["auth"]).to_dto()


async def delete_channel_connection(backend: Backend, identifier: str) -> None:
    backend.channel_connections.delete(identifier)
