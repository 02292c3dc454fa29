"""Channel connections: the chat workspaces an integration is installed in, per subscriber or context.

The rules follow Novu's create/update/list use cases (apps/api/src/app/channel-connections/usecases):
who owns a connection (``connectionMode``), one connection per integration, subscriber and exact
context, the 400/404/409 refusals and their messages, and what an answer shows of the secret.
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store.by_identifier import RecordsByIdentifier
from mock_server.store.cursor import CursorQuery, Page, context_keys
from mock_server.store.ids import iso, now, parse_time, short_id
from mock_server.store.integrations import Integration, IntegrationsBackend
from mock_server.store.values import clone

# Providers whose access tokens rotate (a refresh token may be stored with them); the Novu-managed
# Slack app keeps its OAuth client outside the integration, so it needs no clientId/secretKey.
ROTATING_TOKEN_PROVIDERS = frozenset({"slack", "novu-slack", "webex-messaging"})
NOVU_MANAGED_SLACK = "novu-slack"
# The chat providers with an OAuth flow that Novu's URL generators serve.
OAUTH_CHAT_PROVIDERS = frozenset({"slack", NOVU_MANAGED_SLACK, "msteams"})

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
        # creation order breaks ties (and orders by a field records do not have, as Mongo's _id does)
        value = {"createdAt": self.created_at, "updatedAt": self.updated_at, "identifier": self.identifier}.get(order_by)
        return (value is not None, value or 0), self.sequence

    def to_dto(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier,
            "channel": self.channel,
            "providerId": self.provider_id,
            "integrationIdentifier": self.integration_identifier,
            "subscriberId": self.subscriber_id or None,
            "contextKeys": list(self.context_keys),
            "workspace": clone(self.workspace),
            # The token is never given back, only whether there is one (Novu's fix of advisory
            # GHSA-cg43-fcgr-x9m8: a reader of integrations must not obtain provider tokens).
            "auth": {"hasAccessToken": bool(self.auth.get("accessToken"))},
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }

    def snapshot_record(self) -> dict[str, Any]:
        """What a state file keeps: the DTO with the full context and the real auth."""
        return self.to_dto() | {"context": clone(self.context), "auth": clone(self.auth)}


def describe_owner(subscriber_id: str | None, keys: list[str]) -> str:
    """How Novu names the owner of a connection in its duplicate message."""
    subscriber = f'subscriberId "{subscriber_id}"' if subscriber_id else "no subscriberId"
    context = f"context [{', '.join(keys)}]" if keys else "no context"
    return f"{subscriber} and {context}"


def context_from_keys(keys: list[str]) -> dict[str, Any]:
    """``["tenant:acme"]`` -> ``{"tenant": "acme"}``: a context that gives these keys back."""
    return dict(key.split(":", 1) if ":" in key else (key, "") for key in keys)


def check_connection_mode(connection_mode: str | None, subscriber_id: str | None, context: Any) -> None:
    """Novu's validateConnectionMode: who a connection (or a connect OAuth URL) is for. An empty
    string or an empty-but-present context count as Novu's JavaScript counts them."""
    has_context = context is not None
    if connection_mode == "shared":
        if not has_context:
            raise BadRequest('context is required when connectionMode is "shared"')
        return
    if connection_mode == "subscriber":
        if not subscriber_id:
            raise BadRequest('subscriberId is required when connectionMode is "subscriber"')
        return
    if not subscriber_id and not has_context:
        raise BadRequest("Either subscriberId or context must be provided")


class ChannelConnectionsBackend(RecordsByIdentifier[ChannelConnection]):
    NOUN = "Channel connection"
    # The spec schema each snapshot record is checked against on import (the snapshot record:
    # the API's fields plus the full ``context`` and the real ``auth``).
    RECORD_SCHEMA = "ChannelConnectionStateRecord"

    def __init__(
        self, integrations: IntegrationsBackend, lock: threading.RLock, *, subscribers: Any = None, contexts: Any = None
    ) -> None:
        super().__init__(lock)
        self._integrations = integrations
        # The contexts service: Novu creates the contexts a new connection names (and keeps
        # their keys sorted); without one the keys are taken from the payload as given.
        self._contexts = contexts
        # The subscribers service (``get(subscriber_id)`` raising NotFound): Novu refuses a
        # connection for a subscriber that does not exist.
        self._subscribers = subscribers

    # -- reads ---------------------------------------------------------------------------

    def get(self, identifier: str) -> ChannelConnection:
        with self._lock:
            record = self._by_identifier.get(identifier)
        if record is None:
            raise NotFound(f"Channel connection with identifier '{identifier}' not found")
        return record

    def list(
        self,
        query: CursorQuery,
        *,
        subscriber_id: str | None = None,
        channel: str | None = None,
        provider_id: str | None = None,
        integration_identifier: str | None = None,
        context_keys: list[str] | None = None,
    ) -> Page[ChannelConnection]:
        """Filters as Novu's list use case applies them: an empty filter value filters nothing,
        ``contextKeys`` must equal a connection's keys in any order (no keys: connections
        without a context)."""
        wanted_keys = frozenset(context_keys) if context_keys is not None else None
        return self._page(
            query,
            lambda connection: (not subscriber_id or connection.subscriber_id == subscriber_id)
            and (not channel or connection.channel == channel)
            and (not provider_id or connection.provider_id == provider_id)
            and (not integration_identifier or connection.integration_identifier == integration_identifier)
            and (wanted_keys is None or frozenset(connection.context_keys) == wanted_keys),
        )

    def find_for(
        self, integration_identifier: str, subscriber_id: str | None, context: dict[str, Any] | None
    ) -> ChannelConnection | None:
        """The connection a user endpoint of this subscriber and context uses: its own, else a shared one."""
        keys = frozenset(context_keys(context))
        with self._lock:
            candidates = [c for c in self._by_identifier.values() if c.integration_identifier == integration_identifier]
            for wanted in ((subscriber_id, keys), (None, keys)):
                for connection in candidates:
                    if connection.resource() == wanted:
                        return connection
            return None

    # -- rules ---------------------------------------------------------------------------

    def integration(self, integration_identifier: str) -> Integration:
        """Any integration of the environment: Novu does not check its channel here."""
        try:
            return self._integrations.by_identifier(integration_identifier)
        except NotFound:
            raise NotFound(f"Integration not found: {integration_identifier}") from None

    def check_subscriber(self, subscriber_id: str | None) -> None:
        if subscriber_id and self._subscribers is not None:
            try:
                self._subscribers.get(subscriber_id)
            except NotFound:
                raise NotFound(f"Subscriber not found: {subscriber_id}") from None

    @staticmethod
    def checked_auth(auth: dict[str, Any], integration: Integration) -> dict[str, Any]:
        """Novu's validateAndNormalizeConnectionAuth: a refresh token needs a provider whose tokens
        rotate and, except for Novu's own Slack app, the integration's OAuth client; an access
        token given with one but without ``expiresAt`` is taken to expire now."""
        if not auth.get("refreshToken"):
            return clone(auth)
        if integration.provider_id not in ROTATING_TOKEN_PROVIDERS:
            raise BadRequest(
                f'Token rotation is not supported for provider "{integration.provider_id}". '
                "Remove refreshToken from the connection auth."
            )
        credentials = integration.credentials or {}
        if integration.provider_id != NOVU_MANAGED_SLACK and not (credentials.get("clientId") and credentials.get("secretKey")):
            raise BadRequest(
                f'Integration "{integration.identifier}" must have clientId and secretKey configured '
                "to store a rotating refresh token."
            )
        checked = clone(auth)
        checked.setdefault("expiresAt", iso(now()))
        return checked

    def _duplicate_of(self, integration_identifier: str, subscriber_id: str | None, keys: list[str]) -> ChannelConnection | None:
        wanted = frozenset(keys)
        for existing in self._by_identifier.values():
            if (
                existing.integration_identifier == integration_identifier
                and (existing.subscriber_id or None) == (subscriber_id or None)
                and frozenset(existing.context_keys) == wanted
            ):
                return existing
        return None

    def oauth_integration(self, integration_identifier: str) -> Integration:
        """The chat integration a chat OAuth URL is for: Novu looks only among Slack, Novu-managed
        Slack and Microsoft Teams chat integrations, so any other one is not found (404)."""
        with self._lock:
            try:
                integration = self._integrations.by_identifier(integration_identifier)
            except NotFound:
                integration = None
            if integration is None or integration.channel != "chat" or integration.provider_id not in OAUTH_CHAT_PROVIDERS:
                raise NotFound(
                    f"Integration not found: {integration_identifier} in environment {self._integrations.environment_id}"
                )
            return integration

    def check_oauth_request(
        self,
        integration: Integration,
        *,
        subscriber_id: str | None,
        context: Any,
        connection_mode: str | None,
        scope: list[str] | None = None,
    ) -> None:
        """What Novu's Slack / Teams URL generators check before signing a state: an incoming
        webhook needs a subscriber (Slack), who the connection is for (400), and that the
        subscriber exists (404). An existing connection for the same owner is not checked."""
        if integration.provider_id != "msteams" and scope and "incoming-webhook" in scope and not subscriber_id:
            raise BadRequest("subscriberId is required for incoming webhook")
        check_connection_mode(connection_mode, subscriber_id, context)
        self.check_subscriber(subscriber_id)

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
        connection_mode: str | None = None,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> ChannelConnection:
        """In Novu's order: owner rules (400), integration (404), subscriber (404, checked even
        in ``shared`` mode), one connection per integration, subscriber and exact context (409),
        identifier taken (409). ``shared`` connections store no subscriber id."""
        with self._lock:
            check_connection_mode(connection_mode, subscriber_id, context)
            integration = self.integration(integration_identifier)
            keys = context_keys(context)
            self.check_subscriber(subscriber_id)
            existing = self._duplicate_of(integration.identifier, subscriber_id, keys)
            if existing is not None:
                raise Conflict(
                    f'A channel connection already exists for integration "{integration.identifier}" with '
                    f"{describe_owner(subscriber_id, keys)}. Connection ID: {existing.identifier}"
                )
            identifier = identifier or self._generate_identifier(rng)
            if identifier in self._by_identifier:
                raise Conflict(
                    f'Channel connection with identifier "{identifier}" already exists in environment '
                    f'"{self._integrations.environment_id}"'
                )
            checked_auth = self.checked_auth(auth, integration)
            moment = created_at or now()
            if self._contexts is not None and context:
                keys = [found.key for found in self._contexts.find_or_create(context, at=moment, rng=rng)]
            connection = ChannelConnection(
                identifier=identifier,
                integration_identifier=integration.identifier,
                provider_id=integration.provider_id,
                channel=integration.channel,
                subscriber_id=None if connection_mode == "shared" else (subscriber_id or None),
                context=clone(context or {}),
                context_keys=keys,
                workspace=clone(workspace),
                auth=checked_auth,
                created_at=moment,
                updated_at=moment,
            )
            self._by_identifier[identifier] = connection
            return connection

    def update(self, identifier: str, *, workspace: dict[str, Any], auth: dict[str, Any]) -> ChannelConnection:
        with self._lock:
            connection = self._by_identifier.get(identifier)
            if connection is None:
                raise NotFound(f'Channel connection with identifier "{identifier}" not found')
            if auth.get("refreshToken"):
                try:
                    integration = self._integrations.by_identifier(connection.integration_identifier)
                except NotFound:
                    raise NotFound(f'Integration "{connection.integration_identifier}" not found') from None
                auth = self.checked_auth(auth, integration)
            connection.workspace = clone(workspace)
            connection.auth = clone(auth)
            connection.updated_at = now()
            return connection

    def delete(self, identifier: str) -> None:
        """Only the connection goes: Novu leaves the endpoints that name it as they are."""
        with self._lock:
            self.get(identifier)
            del self._by_identifier[identifier]

    # -- state export / import ----------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [record.snapshot_record() for record in self._by_identifier.values()]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every connection by ``records`` (a ``snapshot()``; None empties the service).
        Integrations are restored before; each record is checked as ``create`` checks it:
        unique identifier, an integration of the environment, one connection per integration,
        subscriber and context."""
        by_identifier: dict[str, ChannelConnection] = {}
        with self._lock:
            for index, record in enumerate(records or []):
                where = f"channel_connections.{index}"
                identifier = record["identifier"]
                if identifier in by_identifier:
                    raise Conflict(f"Channel connection identifier {identifier} is used twice; it must be unique")
                if not record.get("integrationIdentifier"):
                    raise Conflict(f"Channel connection {identifier} names no integration")
                try:
                    integration = self._integrations.by_identifier(record["integrationIdentifier"])
                except NotFound:
                    raise Conflict(f"Channel connection {identifier} uses integration {record['integrationIdentifier']}, "
                                   "which is not among the integrations") from None  # fmt: skip
                context = record.get("context")
                if context is not None and not isinstance(context, dict):
                    raise Conflict(f"{where}.context must be an object of context types, like {{\"tenant\": \"acme\"}}")
                keys = context_keys(context) if context is not None else list(record["contextKeys"])
                auth = record["auth"]
                if "accessToken" not in auth:
                    raise Conflict(f"{where}.auth must hold the accessToken (a snapshot keeps the real auth)")
                connection = ChannelConnection(
                    identifier=identifier,
                    integration_identifier=integration.identifier,
                    provider_id=integration.provider_id,
                    channel=integration.channel,
                    subscriber_id=record["subscriberId"],
                    context=clone(context) if context is not None else context_from_keys(keys),
                    context_keys=keys,
                    workspace=clone(record["workspace"]),
                    auth=clone(auth),
                    created_at=parse_time(record["createdAt"], f"{where}.createdAt"),
                    updated_at=parse_time(record["updatedAt"], f"{where}.updatedAt"),
                )
                for existing in by_identifier.values():
                    if existing.integration_identifier == integration.identifier and existing.resource() == connection.resource():
                        raise Conflict(
                            f"Channel connections {existing.identifier} and {identifier} are both for integration "
                            f"{integration.identifier} with {describe_owner(connection.subscriber_id, keys)}; there can be one"
                        )
                by_identifier[identifier] = connection
            self._by_identifier = by_identifier

    # -- helpers -------------------------------------------------------------------------

    def _generate_identifier(self, rng: random.Random | None) -> str:
        while True:
            candidate = f"chconn_{short_id(rng, 12)}"
            if candidate not in self._by_identifier:
                return candidate
