"""Channel endpoints: where a subscriber is reached (a Slack channel, a Teams user, a webhook, a phone)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import Conflict, NotFound
from mock_server.store.channel_connections import (
    ChannelConnection,
    ChannelConnectionsBackend,
    context_from_keys,
    describe_resource,
)
from mock_server.store.by_identifier import RecordsByIdentifier
from mock_server.store.cursor import CursorQuery, Page, context_keys
from mock_server.store.ids import iso, now, parse_time, short_id
from mock_server.store.integrations import Integration, IntegrationsBackend
from mock_server.store.values import clone


@dataclass(frozen=True, slots=True)
class EndpointRule:
    """Which integrations can deliver to an endpoint type, and whether it needs a workspace connection."""

    providers: frozenset[str] = frozenset()
    channel: str | None = None
    needs_connection: bool = False

    def accepts(self, integration: Integration) -> bool:
        if self.providers:
            return integration.provider_id in self.providers
        return integration.channel == self.channel

    def wanted(self) -> str:
        if self.providers:
            return " or ".join(sorted(self.providers)) + " integration"
        return f"{self.channel} integration"


_SLACK = frozenset({"slack", "novu-slack"})
_MSTEAMS = frozenset({"msteams"})
RULES: dict[str, EndpointRule] = {
    "slack_channel": EndpointRule(providers=_SLACK, needs_connection=True),
    "slack_user": EndpointRule(providers=_SLACK, needs_connection=True),
    "ms_teams_channel": EndpointRule(providers=_MSTEAMS, needs_connection=True),
    "ms_teams_user": EndpointRule(providers=_MSTEAMS, needs_connection=True),
    "webhook": EndpointRule(channel="chat"),
    "phone": EndpointRule(channel="sms"),
}

# The endpoint a "link user" OAuth flow creates, per provider.
USER_ENDPOINT_TYPES = {"slack": "slack_user", "msteams": "ms_teams_user"}

_SEQUENCE = itertools.count()


@dataclass(slots=True)
class ChannelEndpoint:
    identifier: str
    type: str
    endpoint: dict[str, Any]
    integration_identifier: str
    provider_id: str
    channel: str
    connection_identifier: str | None
    subscriber_id: str
    context: dict[str, Any]
    context_keys: list[str]
    created_at: datetime
    updated_at: datetime
    sequence: int = field(default_factory=lambda: next(_SEQUENCE))

    def sort_value(self, order_by: str) -> Any:
        # creation order breaks ties between equal timestamps
        value = {"createdAt": self.created_at, "updatedAt": self.updated_at}.get(order_by, self.identifier)
        return value, self.sequence

    def to_dto(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "channel": self.channel,
            "providerId": self.provider_id,
            "integrationIdentifier": self.integration_identifier,
            "connectionIdentifier": self.connection_identifier,
            "subscriberId": self.subscriber_id,
            "contextKeys": list(self.context_keys),
            "type": self.type,
            "endpoint": clone(self.endpoint),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


class ChannelEndpointsBackend(RecordsByIdentifier[ChannelEndpoint]):
    NOUN = "Channel endpoint"
    # The spec schema each snapshot record is checked against on import (the API's DTO; the
    # snapshot adds the full ``context``).
    RECORD_SCHEMA = "GetChannelEndpointResponseDto"

    def __init__(
        self, integrations: IntegrationsBackend, connections: ChannelConnectionsBackend, lock: threading.RLock
    ) -> None:
        super().__init__(lock)
        self._integrations = integrations
        self._connections = connections
        connections.on_delete.append(self._connection_deleted)

    # -- reads ---------------------------------------------------------------------------

    def list(
        self,
        query: CursorQuery,
        *,
        subscriber_id: str | None = None,
        context_keys: list[str] | None = None,
        channel: str | None = None,
        provider_id: str | None = None,
        integration_identifier: str | None = None,
        connection_identifier: str | None = None,
    ) -> Page[ChannelEndpoint]:
        wanted_keys = frozenset(context_keys) if context_keys is not None else None
        return self._page(
            query,
            lambda endpoint: (subscriber_id is None or endpoint.subscriber_id == subscriber_id)
            and (wanted_keys is None or frozenset(endpoint.context_keys) == wanted_keys)
            and (channel is None or endpoint.channel == channel)
            and (provider_id is None or endpoint.provider_id == provider_id)
            and (integration_identifier is None or endpoint.integration_identifier == integration_identifier)
            and (connection_identifier is None or endpoint.connection_identifier == connection_identifier),
        )

    # -- rules ---------------------------------------------------------------------------

    def connection_for(
        self,
        integration: Integration,
        *,
        endpoint_type: str,
        subscriber_id: str,
        context: dict[str, Any] | None,
        connection_identifier: str | None,
    ) -> ChannelConnection | None:
        """The connection an endpoint of ``endpoint_type`` uses; 404 / 409 when there is none to use."""
        with self._lock:
            if connection_identifier:
                connection = self._connections.get(connection_identifier)
                if connection.integration_identifier != integration.identifier:
                    raise Conflict(
                        f"Channel connection {connection_identifier} belongs to integration "
                        f"{connection.integration_identifier}, not {integration.identifier}"
                    )
                return connection
            if not RULES[endpoint_type].needs_connection:
                return None
            connection = self._connections.find_for(integration.identifier, subscriber_id, context)
            if connection is None:
                raise Conflict(
                    f"A {endpoint_type} endpoint needs a channel connection of integration {integration.identifier}, "
                    f"and there is none for {describe_resource(subscriber_id, context_keys(context))}: create one "
                    "(POST /v1/channel-connections or the OAuth flow) or name one in connectionIdentifier"
                )
            return connection

    def integration_for(self, integration_identifier: str, endpoint_type: str) -> Integration:
        integration = self._integrations.by_identifier(integration_identifier)
        rule = RULES[endpoint_type]
        if not rule.accepts(integration):
            raise Conflict(
                f"Integration {integration_identifier} ({integration.channel}, {integration.provider_id}) cannot "
                f"deliver to a {endpoint_type} endpoint; it needs a {rule.wanted()}"
            )
        return integration

    def oauth_link_target(
        self,
        *,
        integration_identifier: str,
        subscriber_id: str,
        context: dict[str, Any] | None,
        connection_identifier: str | None,
    ) -> tuple[Integration, ChannelConnection]:
        """The integration and connection a "link user" OAuth URL is for; refused now if there is none."""
        with self._lock:
            integration = self._integrations.chat_oauth_target(integration_identifier)
            connection = self.connection_for(
                integration,
                endpoint_type=USER_ENDPOINT_TYPES[integration.provider_id],
                subscriber_id=subscriber_id,
                context=context,
                connection_identifier=connection_identifier,
            )
            assert connection is not None  # user endpoints always need one
            return integration, connection

    # -- writes --------------------------------------------------------------------------

    def create(
        self,
        *,
        subscriber_id: str,
        integration_identifier: str,
        endpoint_type: str,
        endpoint: dict[str, Any],
        identifier: str | None = None,
        connection_identifier: str | None = None,
        context: dict[str, Any] | None = None,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> ChannelEndpoint:
        with self._lock:
            integration = self.integration_for(integration_identifier, endpoint_type)
            if identifier and identifier in self._by_identifier:
                raise Conflict(f"Channel endpoint with identifier {identifier} already exists")
            connection = self.connection_for(
                integration,
                endpoint_type=endpoint_type,
                subscriber_id=subscriber_id,
                context=context,
                connection_identifier=connection_identifier,
            )
            if not identifier:
                identifier = self._generate_identifier(integration.identifier, subscriber_id, rng)
            moment = created_at or now()
            record = ChannelEndpoint(
                identifier=identifier,
                type=endpoint_type,
                endpoint=clone(endpoint),
                integration_identifier=integration.identifier,
                provider_id=integration.provider_id,
                channel=integration.channel,
                connection_identifier=connection.identifier if connection else None,
                subscriber_id=subscriber_id,
                context=clone(context or {}),
                context_keys=context_keys(context),
                created_at=moment,
                updated_at=moment,
            )
            self._by_identifier[identifier] = record
            return record

    def update(
        self, identifier: str, *, endpoint: dict[str, Any], shape_problem: Callable[[str, dict[str, Any]], str | None]
    ) -> ChannelEndpoint:
        """``shape_problem(type, endpoint)`` says why ``endpoint`` does not fit a type (None when it fits)."""
        with self._lock:
            record = self.get(identifier)
            problem = shape_problem(record.type, endpoint)
            if problem:
                raise Conflict(f"Channel endpoint {identifier} is a {record.type} endpoint: {problem}")
            record.endpoint = clone(endpoint)
            record.updated_at = now()
            return record

    def delete(self, identifier: str) -> None:
        with self._lock:
            self.get(identifier)
            del self._by_identifier[identifier]

    # -- state export / import ----------------------------------------------------------

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every endpoint by ``records`` (a ``snapshot()``; None empties the service).
        Integrations and connections are restored before; each record is checked as ``create``
        checks it: unique identifier, an integration that delivers to its type, the connection
        it names (or that its type needs) of that integration."""
        by_identifier: dict[str, ChannelEndpoint] = {}
        with self._lock:
            for index, record in enumerate(records or []):
                where = f"channel_endpoints.{index}"
                identifier = record["identifier"]
                if identifier in by_identifier:
                    raise Conflict(f"Channel endpoint identifier {identifier} is used twice; it must be unique")
                if not record.get("integrationIdentifier") or not record.get("subscriberId"):
                    raise Conflict(f"Channel endpoint {identifier} needs an integrationIdentifier and a subscriberId")
                context = record.get("context")
                if context is not None and not isinstance(context, dict):
                    raise Conflict(f"{where}.context must be an object of context types, like {{\"tenant\": \"acme\"}}")
                keys = context_keys(context) if context is not None else list(record["contextKeys"])
                context = clone(context) if context is not None else context_from_keys(keys)
                try:
                    integration = self.integration_for(record["integrationIdentifier"], record["type"])
                    connection = self.connection_for(
                        integration,
                        endpoint_type=record["type"],
                        subscriber_id=record["subscriberId"],
                        context=context,
                        connection_identifier=record.get("connectionIdentifier"),
                    )
                except NotFound as error:
                    raise Conflict(f"Channel endpoint {identifier}: {error.message}") from None
                by_identifier[identifier] = ChannelEndpoint(
                    identifier=identifier,
                    type=record["type"],
                    endpoint=clone(record["endpoint"]),
                    integration_identifier=integration.identifier,
                    provider_id=integration.provider_id,
                    channel=integration.channel,
                    connection_identifier=connection.identifier if connection else None,
                    subscriber_id=record["subscriberId"],
                    context=context,
                    context_keys=keys,
                    created_at=parse_time(record["createdAt"], f"{where}.createdAt"),
                    updated_at=parse_time(record["updatedAt"], f"{where}.updatedAt"),
                )
            self._by_identifier = by_identifier

    # -- helpers -------------------------------------------------------------------------

    def _connection_deleted(self, connection_identifier: str) -> None:
        for identifier in [i for i, e in self._by_identifier.items() if e.connection_identifier == connection_identifier]:
            del self._by_identifier[identifier]

    def _generate_identifier(self, integration_identifier: str, subscriber_id: str, rng: random.Random | None) -> str:
        raw = f"{integration_identifier}-{subscriber_id}"
        stem = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "-" for ch in raw)[:100]
        stem = stem if stem[:1].isascii() and stem[:1].isalnum() else f"e{stem}"
        while True:
            candidate = f"{stem}-{short_id(rng, 6)}"
            if candidate not in self._by_identifier:
                return candidate
