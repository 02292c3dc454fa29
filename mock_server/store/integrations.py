"""Integrations of one environment and the rules the real API applies to them."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import Conflict, NotFound, ValidationFailed, field_error
from mock_server.store.ids import iso, now, object_id, secrets_token, short_id
from mock_server.store.values import clone

# Only these channels have a primary integration.
PRIMARY_CHANNELS = frozenset({"email", "sms"})
# Providers whose inbound webhooks can be configured automatically.
AUTO_CONFIGURABLE_PROVIDERS = frozenset({"sendgrid", "resend"})
# Chat providers that have an OAuth flow.
OAUTH_CHAT_PROVIDERS = frozenset({"slack", "msteams"})


@dataclass(slots=True)
class Integration:
    id: str
    environment_id: str
    organization_id: str
    name: str
    identifier: str
    provider_id: str
    channel: str
    credentials: dict[str, Any]
    active: bool
    primary: bool
    created_at: datetime
    updated_at: datetime
    configurations: dict[str, Any] = field(default_factory=dict)
    conditions: list[dict[str, Any]] = field(default_factory=list)

    def to_dto(self) -> dict[str, Any]:
        # Like the real API with key auth, secrets are never echoed: credentials come back empty.
        return {
            "_id": self.id,
            "_environmentId": self.environment_id,
            "_organizationId": self.organization_id,
            "name": self.name,
            "identifier": self.identifier,
            "providerId": self.provider_id,
            "channel": self.channel,
            "credentials": {},
            "configurations": clone(self.configurations),
            "active": self.active,
            "deleted": False,
            "primary": self.primary,
            "conditions": clone(self.conditions),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class IntegrationsBackend:
    # The spec schema (components/schemas) each snapshot record is checked against on import.
    RECORD_SCHEMA = "IntegrationResponseDto"

    def __init__(self, environment_id: str, organization_id: str, lock: threading.RLock) -> None:
        self.environment_id = environment_id
        self.organization_id = organization_id
        self._lock = lock
        self._by_id: dict[str, Integration] = {}
        self._by_identifier: dict[str, Integration] = {}

    # -- reads ---------------------------------------------------------------------------

    def list(self) -> list[Integration]:
        with self._lock:
            return list(self._by_id.values())

    def active(self) -> list[Integration]:
        with self._lock:
            return [integration for integration in self._by_id.values() if integration.active]

    def get(self, integration_id: str) -> Integration:
        with self._lock:
            integration = self._by_id.get(integration_id)
        if integration is None:
            raise NotFound(f"Integration with id {integration_id} not found")
        return integration

    def by_identifier(self, identifier: str) -> Integration:
        with self._lock:
            integration = self._by_identifier.get(identifier)
        if integration is None:
            raise NotFound(f"Integration with identifier {identifier} not found")
        return integration

    # -- writes --------------------------------------------------------------------------

    def create(
        self,
        *,
        provider_id: str,
        channel: str,
        name: str | None = None,
        identifier: str | None = None,
        credentials: dict[str, Any] | None = None,
        active: bool = False,
        conditions: list[dict[str, Any]] | None = None,
        configurations: dict[str, Any] | None = None,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> Integration:
        with self._lock:
            if identifier:
                self._ensure_identifier_free(identifier)
            else:
                identifier = self._generate_identifier(provider_id, rng)
            moment = created_at or now()
            primary = active and channel in PRIMARY_CHANNELS and not any(
                other.active for other in self._by_id.values() if other.channel == channel
            )
            integration = Integration(
                id=object_id(moment, rng),
                environment_id=self.environment_id,
                organization_id=self.organization_id,
                name=name or provider_id,
                identifier=identifier,
                provider_id=provider_id,
                channel=channel,
                credentials=clone(credentials or {}),
                active=active,
                primary=primary,
                created_at=moment,
                updated_at=moment,
                configurations=clone(configurations or {}),
                conditions=clone(conditions or []),
            )
            self._by_id[integration.id] = integration
            self._by_identifier[identifier] = integration
            return integration

    def update(self, integration_id: str, changes: dict[str, Any]) -> Integration:
        with self._lock:
            integration = self.get(integration_id)
            identifier = changes.get("identifier")
            if identifier and identifier != integration.identifier:
                self._ensure_identifier_free(identifier)
                del self._by_identifier[integration.identifier]
                integration.identifier = identifier
                self._by_identifier[identifier] = integration
            if changes.get("name"):
                integration.name = changes["name"]
            if "credentials" in changes:
                integration.credentials.update(clone(changes["credentials"]))
            if "configurations" in changes:
                integration.configurations.update(clone(changes["configurations"]))
            if "conditions" in changes:
                integration.conditions = clone(changes["conditions"])
            if "active" in changes:
                integration.active = changes["active"]
                if not integration.active:
                    integration.primary = False
            integration.updated_at = now()
            return integration

    def remove(self, integration_id: str) -> list[Integration]:
        with self._lock:
            integration = self.get(integration_id)
            del self._by_id[integration.id]
            del self._by_identifier[integration.identifier]
            return self.list()

    def set_primary(self, integration_id: str) -> Integration:
        with self._lock:
            integration = self.get(integration_id)
            if integration.channel not in PRIMARY_CHANNELS:
                raise Conflict(
                    f"Channel {integration.channel} does not support primary integrations; "
                    f"only {', '.join(sorted(PRIMARY_CHANNELS))} do"
                )
            moment = now()
            for other in self._by_id.values():
                if other.channel == integration.channel and other.primary and other is not integration:
                    other.primary = False
                    other.updated_at = moment
            integration.primary = True
            integration.active = True
            integration.updated_at = moment
            return integration

    def auto_configure(self, integration_id: str) -> dict[str, Any]:
        with self._lock:
            integration = self.get(integration_id)
            if integration.provider_id not in AUTO_CONFIGURABLE_PROVIDERS:
                return {
                    "success": False,
                    "message": f"Provider {integration.provider_id} does not support auto-configuration; "
                    f"supported: {', '.join(sorted(AUTO_CONFIGURABLE_PROVIDERS))}",
                }
            integration.configurations["inboundWebhookEnabled"] = True
            integration.configurations.setdefault("inboundWebhookSigningKey", secrets_token())
            integration.updated_at = now()
            return {
                "success": True,
                "message": "Integration auto-configured for inbound webhooks",
                "integration": integration.to_dto(),
            }

    def chat_oauth_target(self, identifier: str) -> Integration:
        integration = self.by_identifier(identifier)
        if integration.provider_id not in OAUTH_CHAT_PROVIDERS:
            raise Conflict(
                f"Integration {identifier} uses provider {integration.provider_id}, which has no chat "
                f"OAuth flow; use a {' or '.join(sorted(OAUTH_CHAT_PROVIDERS))} integration"
            )
        return integration

    # -- state export / import ----------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        """Every record as plain JSON-able data: the API's DTO, with the real credentials kept."""
        with self._lock:
            return [integration.to_dto() | {"credentials": clone(integration.credentials)}
                    for integration in self._by_id.values()]  # fmt: skip

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every record by ``records`` (a ``snapshot()``; None empties the service).

        Records are checked against RECORD_SCHEMA by the caller; the rules of the store are
        checked here, all of them before anything changes: a refused document changes nothing.
        """
        by_id: dict[str, Integration] = {}
        by_identifier: dict[str, Integration] = {}
        for index, record in enumerate(records or []):
            if record["_id"] in by_id:
                raise Conflict(f"_id {record['_id']} is used by two integrations; ids must be unique")
            if record["identifier"] in by_identifier:
                message = f"identifier {record['identifier']} is used twice; it must be unique in the environment"
                raise Conflict(message)
            try:
                created_at = _parse_time(record.get("createdAt") or "1970-01-01T00:00:00Z")
                updated_at = _parse_time(record.get("updatedAt") or record.get("createdAt") or "1970-01-01T00:00:00Z")
            except ValueError as error:
                raise ValidationFailed(field_error(f"integrations.{index}.createdAt", str(error), record.get("createdAt"))) from None
            integration = Integration(
                id=record["_id"],
                environment_id=self.environment_id,
                organization_id=self.organization_id,
                name=record["name"],
                identifier=record["identifier"],
                provider_id=record["providerId"],
                channel=record["channel"],
                credentials=clone(record.get("credentials") or {}),
                active=record["active"],
                primary=record["primary"],
                created_at=created_at,
                updated_at=updated_at,
                configurations=clone(record.get("configurations") or {}),
                conditions=clone(record.get("conditions") or []),
            )
            by_id[integration.id] = integration
            by_identifier[integration.identifier] = integration
        with self._lock:
            self._by_id, self._by_identifier = by_id, by_identifier

    # -- helpers -------------------------------------------------------------------------

    def _ensure_identifier_free(self, identifier: str) -> None:
        if identifier in self._by_identifier:
            raise Conflict(f"Integration with identifier {identifier} already exists")

    def _generate_identifier(self, provider_id: str, rng: random.Random | None) -> str:
        while True:
            candidate = f"{provider_id}-{short_id(rng)}"
            if candidate not in self._by_identifier:
                return candidate
