"""Channel connections: the chat workspaces an integration is installed in, per subscriber or context."""

from __future__ import annotations

import random
import threading
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import Conflict, NotFound
from mock_server.store.by_identifier import RecordsByIdentifier
from mock_server.store.cursor import CursorQuery, Page, context_keys
from mock_server.store.ids import iso, now, parse_time, short_id
from mock_server.store.integrations import Integration, IntegrationsBackend
from mock_server.store.values import clone

CHAT_CHANNEL = "chat"

_SEQUENCE = itertools.count()


@dataclass(slots=True)
class ChannelConnection:
    identifier: str
    integration_identifier: str
    provider_id: str
    channel: str
    subscriber_id: str | None
    context: dict[str, Any]
    context_keys: list[str]
    workspace: dict[str, Any]
    auth: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    sequence: int = field(default_factory=lambda: next(_SEQUENCE))

    @property
    def shared(self) -> bool:
        return self.subscriber_id is None

    def resource(self) -> tuple[str | None, frozenset[str]]:
        return self.subscriber_id, frozenset(self.context_keys)

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
            "subscriberId": self.subscriber_id,
            "contextKeys": list(self.context_keys),
            "workspace": clone(self.workspace),
            "auth": clone(self.auth),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


def describe_resource(subscriber_id: str | None, keys: list[str] | frozenset[str]) -> str:
    parts = []
    if subscriber_id is not None:
        parts.append(f"subscriber {subscriber_id}")
    if keys:
        parts.append(f"context {', '.join(sorted(keys))}")
    return " and ".join(parts) or "the environment"


def context_from_keys(keys: list[str]) -> dict[str, Any]:
    """``["tenant:acme"]`` -> ``{"tenant": "acme"}``: a context that gives these keys back."""
    return dict(key.split(":", 1) if ":" in key else (key, "") for key in keys)


class ChannelConnectionsBackend(RecordsByIdentifier[ChannelConnection]):
    NOUN = "Channel connection"
    # The spec schema each snapshot record is checked against on import (the API's DTO; the
    # snapshot adds the full ``context`` the keys were made from).
    RECORD_SCHEMA = "GetChannelConnectionResponseDto"

    def __init__(self, integrations: IntegrationsBackend, lock: threading.RLock) -> None:
        super().__init__(lock)
        self._integrations = integrations
        # Called with a connection's identifier when it is deleted (endpoints that use it go too).
        self.on_delete: list[Any] = []

    # -- reads ---------------------------------------------------------------------------

    def list(
        self,
        query: CursorQuery,
        *,
        subscriber_id: str | None = None,
        connection_mode: str | None = None,
        channel: str | None = None,
        provider_id: str | None = None,
        integration_identifier: str | None = None,
        context_keys: list[str] | None = None,
    ) -> Page[ChannelConnection]:
        wanted_keys = frozenset(context_keys) if context_keys is not None else None
        return self._page(
            query,
            lambda connection: (subscriber_id is None or connection.subscriber_id == subscriber_id)
            and (connection_mode is None or connection.shared == (connection_mode == "shared"))
            and (channel is None or connection.channel == channel)
            and (provider_id is None or connection.provider_id == provider_id)
            and (integration_identifier is None or connection.integration_identifier == integration_identifier)
            and (wanted_keys is None or frozenset(connection.context_keys) == wanted_keys),
        )

    def find_for(
        self, integration_identifier: str, subscriber_id: str | None, context: dict[str, Any] | None
    ) -> ChannelConnection | None:
        """The connection an endpoint of this subscriber and context uses: its own, else a shared one."""
        keys = frozenset(context_keys(context))
        with self._lock:
            candidates = [c for c in self._by_identifier.values() if c.integration_identifier == integration_identifier]
            for wanted in ((subscriber_id, keys), (None, keys)):
                for connection in candidates:
                    if connection.resource() == wanted:
                        return connection
            return None

    # -- rules shared by the API and the OAuth callback ----------------------------------

    def chat_integration(self, integration_identifier: str) -> Integration:
        integration = self._integrations.by_identifier(integration_identifier)
        if integration.channel != CHAT_CHANNEL:
            raise Conflict(
                f"Integration {integration_identifier} is a {integration.channel} integration "
                f"({integration.provider_id}); channel connections need a chat integration"
            )
        return integration

    def check_can_create(
        self,
        *,
        integration_identifier: str,
        identifier: str | None,
        subscriber_id: str | None,
        context: dict[str, Any] | None,
    ) -> Integration:
        """Everything ``create`` would refuse, checked without creating (for the OAuth URL generators)."""
        with self._lock:
            integration = self.chat_integration(integration_identifier)
            if identifier and identifier in self._by_identifier:
                raise Conflict(f"Channel connection with identifier {identifier} already exists")
            keys = context_keys(context)
            resource = (subscriber_id, frozenset(keys))
            for existing in self._by_identifier.values():
                if existing.integration_identifier == integration.identifier and existing.resource() == resource:
                    raise Conflict(
                        f"A channel connection for {describe_resource(subscriber_id, keys)} and integration "
                        f"{integration.identifier} already exists: {existing.identifier}"
                    )
            return integration

    def oauth_connect_target(
        self,
        *,
        integration_identifier: str,
        identifier: str | None,
        subscriber_id: str | None,
        context: dict[str, Any] | None,
        connection_mode: str,
    ) -> Integration:
        """The integration a "connect" OAuth URL is for, refused now if the callback would refuse it."""
        with self._lock:
            integration = self._integrations.chat_oauth_target(integration_identifier)
            self.check_can_create(
                integration_identifier=integration.identifier,
                identifier=identifier,
                subscriber_id=None if connection_mode == "shared" else subscriber_id,
                context=context,
            )
            return integration

    # -- writes --------------------------------------------------------------------------

    def create(
        self,
        *,
        integration_identifier: str,
        workspace: dict[str, Any],
        auth: dict[str, Any],
        identifier: str | None = None,
        subscriber_id: str | None = None,
        context: dict[str, Any] | None = None,
        connection_mode: str = "subscriber",
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> ChannelConnection:
        """``shared`` connections store no subscriber id; the schema makes sure the owner is given."""
        owner = None if connection_mode == "shared" else subscriber_id
        with self._lock:
            integration = self.check_can_create(
                integration_identifier=integration_identifier,
                identifier=identifier,
                subscriber_id=owner,
                context=context,
            )
            if not identifier:
                identifier = self._generate_identifier(integration.identifier, owner, context, rng)
            moment = created_at or now()
            connection = ChannelConnection(
                identifier=identifier,
                integration_identifier=integration.identifier,
                provider_id=integration.provider_id,
                channel=integration.channel,
                subscriber_id=owner,
                context=clone(context or {}),
                context_keys=context_keys(context),
                workspace=clone(workspace),
                auth=clone(auth),
                created_at=moment,
                updated_at=moment,
            )
            self._by_identifier[identifier] = connection
            return connection

    def update(self, identifier: str, *, workspace: dict[str, Any], auth: dict[str, Any]) -> ChannelConnection:
        with self._lock:
            connection = self.get(identifier)
            connection.workspace = clone(workspace)
            connection.auth = clone(auth)
            connection.updated_at = now()
            return connection

    def delete(self, identifier: str) -> None:
        with self._lock:
            self.get(identifier)
            del self._by_identifier[identifier]
            for listener in self.on_delete:
                listener(identifier)

    # -- state export / import ----------------------------------------------------------

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every connection by ``records`` (a ``snapshot()``; None empties the service).
        Integrations are restored before; each record is checked as ``create`` checks it:
        unique identifier, a chat integration, one connection per integration and owner."""
        by_identifier: dict[str, ChannelConnection] = {}
        with self._lock:
            for index, record in enumerate(records or []):
                where = f"channel_connections.{index}"
                identifier = record["identifier"]
                if identifier in by_identifier:
                    raise Conflict(f"Channel connection identifier {identifier} is used twice; it must be unique")
                if not record.get("integrationIdentifier"):
                    raise Conflict(f"Channel connection {identifier} names no integration; it needs a chat integration")
                try:
                    integration = self.chat_integration(record["integrationIdentifier"])
                except NotFound:
                    raise Conflict(f"Channel connection {identifier} uses integration {record['integrationIdentifier']}, "
                                   "which is not among the integrations") from None  # fmt: skip
                context = record.get("context")
                if context is not None and not isinstance(context, dict):
                    raise Conflict(f"{where}.context must be an object of context types, like {{\"tenant\": \"acme\"}}")
                keys = context_keys(context) if context is not None else list(record["contextKeys"])
                connection = ChannelConnection(
                    identifier=identifier,
                    integration_identifier=integration.identifier,
                    provider_id=integration.provider_id,
                    channel=integration.channel,
                    subscriber_id=record["subscriberId"],
                    context=clone(context) if context is not None else context_from_keys(keys),
                    context_keys=keys,
                    workspace=clone(record["workspace"]),
                    auth=clone(record["auth"]),
                    created_at=parse_time(record["createdAt"], f"{where}.createdAt"),
                    updated_at=parse_time(record["updatedAt"], f"{where}.updatedAt"),
                )
                for existing in by_identifier.values():
                    if existing.integration_identifier == integration.identifier and existing.resource() == connection.resource():
                        raise Conflict(
                            f"Channel connections {existing.identifier} and {identifier} are both for "
                            f"{describe_resource(connection.subscriber_id, keys)} and integration {integration.identifier}; "
                            "there can be one"
                        )
                by_identifier[identifier] = connection
            self._by_identifier = by_identifier

    # -- helpers -------------------------------------------------------------------------

    def _generate_identifier(
        self, integration_identifier: str, owner: str | None, context: dict[str, Any] | None, rng: random.Random | None
    ) -> str:
        middle = owner or "-".join(key.replace(":", "-") for key in context_keys(context)) or "shared"
        stem = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "-" for ch in f"{integration_identifier}-{middle}")[:100]
        stem = stem if stem[:1].isascii() and stem[:1].isalnum() else f"c{stem}"
        while True:
            candidate = f"{stem}-{short_id(rng, 4)}"
            if candidate not in self._by_identifier:
                return candidate
