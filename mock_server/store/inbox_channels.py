"""The inbox's view of channel connections and endpoints: a session sees and deletes only its
subscriber's (Novu's InboxController over the channel-connections / channel-endpoints use cases,
answered through its inbox mappers, which show no secret and no endpoint address).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_server.errors import BadRequest, NotFound
from mock_server.store.channel_connections import ChannelConnection
from mock_server.store.channel_endpoints import ChannelEndpoint
from mock_server.store.cursor import CursorQuery, Page
from mock_server.store.ids import iso

if TYPE_CHECKING:
    from mock_server.store import Backend


def _found(service: Any, identifier: str) -> Any:
    try:
        return service.get(identifier)
    except NotFound:
        return None


def connection_dto(connection: ChannelConnection) -> dict[str, Any]:
    """InboxChannelConnectionResponseDto: the identifier, the workspace's id, name and bot user."""
    workspace = {key: connection.workspace[key] for key in ("id", "name", "botUserId") if key in connection.workspace}
    return {"identifier": connection.identifier, "workspace": workspace, "createdAt": iso(connection.created_at)}


def endpoint_dto(endpoint: ChannelEndpoint) -> dict[str, Any]:
    """InboxChannelEndpointResponseDto: the identifier and the type only."""
    return {"identifier": endpoint.identifier, "type": endpoint.type}


def page_dto(page: Page[Any], render) -> dict[str, Any]:
    """The inbox's pages: data, next and previous (no counts)."""
    return {"data": [render(item) for item in page.items], "next": page.next, "previous": page.previous}


def list_connections(
    backend: Backend,
    subscriber_id: str,
    query: CursorQuery,
    *,
    connection_mode: str | None = None,
    channel: str | None = None,
    provider_id: str | None = None,
    integration_identifier: str | None = None,
    context_keys: list[str] | None = None,
) -> dict[str, Any]:
    """The subscriber's connections; in ``shared`` mode the shared connections of the session's
    context instead (a session without a context has none: a shared connection always has one)."""
    if connection_mode == "shared":
        if not context_keys:
            return {"data": [], "next": None, "previous": None}
        page = backend.channel_connections.list(query, channel=channel, provider_id=provider_id,
                                                integration_identifier=integration_identifier,
                                                context_keys=context_keys)  # fmt: skip
        page = Page([c for c in page.items if c.shared], page.next, page.previous, page.total_count)
    else:
        page = backend.channel_connections.list(query, subscriber_id=subscriber_id, channel=channel,
                                                provider_id=provider_id,
                                                integration_identifier=integration_identifier)  # fmt: skip
    return page_dto(page, connection_dto)


def own_connection(backend: Backend, subscriber_id: str, identifier: str, *, connection_mode: str | None = None,
                   context_keys: list[str] | None = None) -> ChannelConnection:  # fmt: skip
    """The connection if it is the subscriber's (or, in ``shared`` mode, shared in the session's
    context); else Novu's inbox 404."""
    with backend.lock:
        connection = _found(backend.channel_connections, identifier)
        if connection is not None:
            if connection.subscriber_id == subscriber_id and connection_mode != "shared":
                return connection
            if connection.shared and context_keys and frozenset(connection.context_keys) == frozenset(context_keys):
                return connection
        raise NotFound(f"Channel connection not found: {identifier}")


def delete_connection(backend: Backend, subscriber_id: str, identifier: str,
                      context_keys: list[str] | None = None) -> None:  # fmt: skip
    with backend.lock:
        own_connection(backend, subscriber_id, identifier, context_keys=context_keys)
        backend.channel_connections.delete(identifier)


def list_endpoints(
    backend: Backend,
    subscriber_id: str,
    query: CursorQuery,
    *,
    channel: str | None = None,
    provider_id: str | None = None,
    integration_identifier: str | None = None,
    connection_identifier: str | None = None,
) -> dict[str, Any]:
    page = backend.channel_endpoints.list(query, subscriber_id=subscriber_id, channel=channel, provider_id=provider_id,
                                          integration_identifier=integration_identifier,
                                          connection_identifier=connection_identifier)  # fmt: skip
    return page_dto(page, endpoint_dto)


def delete_endpoint(backend: Backend, subscriber_id: str, identifier: str) -> None:
    with backend.lock:
        endpoint = _found(backend.channel_endpoints, identifier)
        if endpoint is None or endpoint.subscriber_id != subscriber_id:
            raise NotFound(f"Channel endpoint not found: {identifier}")
        backend.channel_endpoints.delete(identifier)


def link_endpoint(backend: Backend, integration_identifier: str) -> dict[str, Any]:
    """``POST /v1/inbox/channel-endpoints/link``: only Telegram integrations link a chat user
    this way (a deep link), and the mock has no Telegram provider: any integration of the
    environment is refused as Novu refuses the others (400); an unknown one is 404."""
    with backend.lock:
        try:
            integration = backend.integrations.by_identifier(integration_identifier)
        except NotFound:
            raise NotFound(f"Integration {integration_identifier} not found") from None
        raise BadRequest(
            f'Provider "{integration.provider_id}" does not support subscriber chat linking via this endpoint.'
        )
