"""Channel endpoints: where a subscriber is reached (a Slack channel, a Teams user, a webhook, a phone).

The rules follow Novu's create/update use cases (apps/api/src/app/channel-endpoints/usecases): the
integration and the subscriber must exist, a named connection must be one of the integration's,
and nothing else ties a type to an integration or to a connection.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store.by_identifier import RecordsByIdentifier
from mock_server.store.channel_connections import ChannelConnectionsBackend, context_from_keys
from mock_server.store.cursor import CursorQuery, Page, context_keys
from mock_server.store.ids import iso, now, parse_time, short_id
from mock_server.store.integrations import IntegrationsBackend
from mock_server.store.values import clone

# The endpoint a "link user" OAuth flow creates, per provider.
USER_ENDPOINT_TYPES = {"slack": "slack_user", "novu-slack": "slack_user", "msteams": "ms_teams_user"}

_SEQUENCE = itertools.count()


@dataclass(slots=True)
class ChannelEndpoint:
    identifier: str
    type: str
    endpoint: Any
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
        # creation order breaks ties (and orders by a field records do not have, as Mongo's _id does)
        value = {"createdAt": self.created_at, "updatedAt": self.updated_at, "identifier": self.identifier}.get(order_by)
        return (value is not None, value or 0), self.sequence

    def to_dto(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "channel": self.channel,
            "providerId": self.provider_id,
            "integrationIdentifier": self.integration_identifier,
            "connectionIdentifier": self.connection_identifier or None,
            "subscriberId": self.subscriber_id or None,
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
        self,
        integrations: IntegrationsBackend,
        connections: ChannelConnectionsBackend,
        lock: threading.RLock,
        *,
        subscribers: Any = None,
        contexts: Any = None,
    ) -> None:
        super().__init__(lock)
        self._integrations = integrations
        self._connections = connections
        # The contexts service: a new endpoint's context is created when missing (Novu's
        # findOrCreateContextsFromPayload), its keys sorted.
        self._contexts = contexts
        # ``get(subscriber_id)`` raising NotFound, ``create(subscriber_id=...)``.
        self._subscribers = subscribers

    # -- reads ---------------------------------------------------------------------------

    def get(self, identifier: str) -> ChannelEndpoint:
        with self._lock:
            record = self._by_identifier.get(identifier)
        if record is None:
            raise NotFound(f"Channel endpoint with identifier '{identifier}' not found")
        return record

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
        """Filters as Novu's list use case applies them (an empty value filters nothing;
        ``contextKeys`` are matched exactly, in any order)."""
        wanted_keys = frozenset(context_keys) if context_keys is not None else None
        return self._page(
            query,
            lambda endpoint: (not subscriber_id or endpoint.subscriber_id == subscriber_id)
            and (wanted_keys is None or frozenset(endpoint.context_keys) == wanted_keys)
            and (not channel or endpoint.channel == channel)
            and (not provider_id or endpoint.provider_id == provider_id)
            and (not integration_identifier or endpoint.integration_identifier == integration_identifier)
            and (not connection_identifier or endpoint.connection_identifier == connection_identifier),
        )

    # -- writes --------------------------------------------------------------------------

    def create(
        self,
        *,
        subscriber_id: str,
        integration_identifier: str,
        endpoint_type: str,
        endpoint: Any,
        identifier: str | None = None,
        connection_identifier: str | None = None,
        context: dict[str, Any] | None = None,
        create_subscriber_if_missing: bool = False,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> ChannelEndpoint:
        """In Novu's order: integration (404), subscriber (404 unless it may be created), identifier
        taken (409), the named connection of that integration (404). Slack and Teams endpoints
        without ``connectionIdentifier`` are stored without a connection."""
        with self._lock:
            try:
                integration = self._integrations.by_identifier(integration_identifier)
            except NotFound:
                raise NotFound(f"Integration not found: {integration_identifier}") from None
            keys = context_keys(context)
            self._ensure_subscriber(subscriber_id, create_subscriber_if_missing)
            identifier = identifier or self._generate_identifier(rng)
            if identifier in self._by_identifier:
                raise Conflict(
                    f'Channel endpoint with identifier "{identifier}" already exists in environment '
                    f'"{self._integrations.environment_id}"'
                )
            connection = None
            if connection_identifier:
                connection = self._connections._by_identifier.get(connection_identifier)
                if connection is None or connection.integration_identifier != integration.identifier:
                    raise NotFound(f"Channel connection not found: {connection_identifier}")
            moment = created_at or now()
            if self._contexts is not None and context:
                keys = [found.key for found in self._contexts.find_or_create(context, at=moment, rng=rng)]
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
                context_keys=keys,
                created_at=moment,
                updated_at=moment,
            )
            self._by_identifier[identifier] = record
            return record

    def update(self, identifier: str, *, endpoint: Any, fits: Callable[[str, Any], bool]) -> ChannelEndpoint:
        """``fits(type, endpoint)``: whether ``endpoint`` has exactly the shape of ``type``."""
        with self._lock:
            record = self._by_identifier.get(identifier)
            if record is None:
                raise NotFound(
                    f'Channel endpoint with identifier "{identifier}" not found in environment '
                    f'"{self._integrations.environment_id}"'
                )
            if not fits(record.type, endpoint):
                raise BadRequest(f'Endpoint must match the required format for type "{record.type}"')
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
        checks it: unique identifier, an integration of the environment, the connection it
        names (one of that integration's)."""
        by_identifier: dict[str, ChannelEndpoint] = {}
        with self._lock:
            for index, record in enumerate(records or []):
                where = f"channel_endpoints.{index}"
                identifier = record["identifier"]
                if identifier in by_identifier:
                    raise Conflict(f"Channel endpoint identifier {identifier} is used twice; it must be unique")
                if not record.get("integrationIdentifier") or record.get("subscriberId") is None:
                    raise Conflict(f"Channel endpoint {identifier} needs an integrationIdentifier and a subscriberId")
                context = record.get("context")
                if context is not None and not isinstance(context, dict):
                    raise Conflict(f"{where}.context must be an object of context types, like {{\"tenant\": \"acme\"}}")
                keys = context_keys(context) if context is not None else list(record["contextKeys"])
                context = clone(context) if context is not None else context_from_keys(keys)
                try:
                    integration = self._integrations.by_identifier(record["integrationIdentifier"])
                except NotFound:
                    raise Conflict(f"Channel endpoint {identifier} uses integration {record['integrationIdentifier']}, "
                                   "which is not among the integrations") from None  # fmt: skip
                connection_identifier = record.get("connectionIdentifier")
                if connection_identifier:
                    connection = self._connections._by_identifier.get(connection_identifier)
                    if connection is None or connection.integration_identifier != integration.identifier:
                        raise Conflict(f"Channel endpoint {identifier} names channel connection {connection_identifier}, "
                                       f"which is not one of integration {integration.identifier}")  # fmt: skip
                by_identifier[identifier] = ChannelEndpoint(
                    identifier=identifier,
                    type=record["type"],
                    endpoint=clone(record["endpoint"]),
                    integration_identifier=integration.identifier,
                    provider_id=integration.provider_id,
                    channel=integration.channel,
                    connection_identifier=connection_identifier or None,
                    subscriber_id=record["subscriberId"],
                    context=context,
                    context_keys=keys,
                    created_at=parse_time(record["createdAt"], f"{where}.createdAt"),
                    updated_at=parse_time(record["updatedAt"], f"{where}.updatedAt"),
                )
            self._by_identifier = by_identifier

    # -- helpers -------------------------------------------------------------------------

    def _ensure_subscriber(self, subscriber_id: str, create_if_missing: bool) -> None:
        """Novu checks a non-empty subscriberId; with ``createSubscriberIfMissing`` a missing one is
        created (an existing one is never changed)."""
        if not subscriber_id or self._subscribers is None:
            return
        try:
            self._subscribers.get(subscriber_id)
        except NotFound:
            if not create_if_missing:
                raise NotFound(
                    f"Subscriber not found: {subscriber_id}. Pass createSubscriberIfMissing: true to create it, "
                    "or provision it via POST /v1/subscribers."
                ) from None
            self._subscribers.create(subscriber_id=subscriber_id)

    def _generate_identifier(self, rng: random.Random | None) -> str:
        while True:
            candidate = f"chendp_{short_id(rng, 12)}"
            if candidate not in self._by_identifier:
                return candidate
