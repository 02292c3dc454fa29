"""The inbox's chat channels (``InboxChannelsController_*``, ``/v1/inbox/channel-*``): the
session subscriber's connections and endpoints, and the OAuth URLs that make them."""

from __future__ import annotations

from typing import Any

from mock_server.handlers import integrations
from mock_server.handlers.channel_connections import cursor_query
from mock_server.handlers.inbox_subscriber import session_context_keys, session_subscriber_id
from mock_server.store import Backend, inbox_channels


async def list_channel_connections(
    backend: Backend,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    channel: str | None = None,
    provider_id: str | None = None,
    integration_identifier: str | None = None,
    connection_mode: str | None = None,
) -> dict[str, Any]:
    return inbox_channels.list_connections(
        backend,
        session_subscriber_id(),
        cursor_query(after, before, limit, order_by, order_direction, include_cursor),
        connection_mode=connection_mode,
        channel=channel or None,
        provider_id=provider_id or None,
        integration_identifier=integration_identifier or None,
        context_keys=session_context_keys(),
    )


async def get_channel_connection(
    backend: Backend, identifier: str, connection_mode: str | None = None
) -> dict[str, Any]:
    connection = inbox_channels.own_connection(
        backend,
        session_subscriber_id(),
        identifier,
        connection_mode=connection_mode,
        context_keys=session_context_keys(),
    )
    return inbox_channels.connection_dto(connection)


async def delete_channel_connection(backend: Backend, identifier: str) -> None:
    inbox_channels.delete_connection(backend, session_subscriber_id(), identifier, context_keys=session_context_keys())


async def list_channel_endpoints(
    backend: Backend,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    channel: str | None = None,
    provider_id: str | None = None,
    integration_identifier: str | None = None,
    connection_identifier: str | None = None,
) -> dict[str, Any]:
    return inbox_channels.list_endpoints(
        backend,
        session_subscriber_id(),
        cursor_query(after, before, limit, order_by, order_direction, include_cursor),
        channel=channel or None,
        provider_id=provider_id or None,
        integration_identifier=integration_identifier or None,
        connection_identifier=connection_identifier or None,
    )


async def delete_channel_endpoint(backend: Backend, identifier: str) -> None:
    inbox_channels.delete_endpoint(backend, session_subscriber_id(), identifier)


async def generate_connect_oauth_url(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    # the session's subscriber, whatever the body says (Novu's inbox controller)
    return await integrations.generate_connect_oauth_url(backend, body | {"subscriberId": session_subscriber_id()})


async def generate_link_user_oauth_url(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return await integrations.generate_link_user_oauth_url(backend, body | {"subscriberId": session_subscriber_id()})


async def link_channel_endpoint(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return inbox_channels.link_endpoint(backend, body["integrationIdentifier"])
