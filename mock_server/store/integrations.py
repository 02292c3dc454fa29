"""Integrations of one environment and the rules Novu's integration usecases apply to them.

Priorities follow Novu's: inactive integrations and those of channels without a primary have
priority 0; the active email / sms integrations of an environment are numbered n..1, the primary
one (when there is one) highest. Messages and statuses are Novu's (apps/api/src/app/integrations).
"""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed, field_error
from mock_server.store import providers
from mock_server.store.integration_rules import has_rules, rule_issues
from mock_server.store.ids import iso, now, object_id, secrets_token
from mock_server.store.values import clone

# Only these channels have a primary integration (Novu's CHANNELS_WITH_PRIMARY).
PRIMARY_CHANNELS = frozenset({"email", "sms"})
# Providers whose inbound webhooks can be configured automatically.
AUTO_CONFIGURABLE_PROVIDERS = frozenset({"sendgrid", "resend", "mailgun"})
# Chat providers that have an OAuth flow.
OAUTH_CHAT_PROVIDERS = frozenset({"slack", "msteams"})
# What Novu answers an API key that names another environment in a body's `_environmentId`.
OTHER_ENVIRONMENT = (
    "API key authentication is scoped to a single environment and cannot target a different `_environmentId`. "
    "Use an API key from the target environment, or authenticate with a session token."
)
AUTO_CONFIGURE_UNSUPPORTED = (
    "A support of auto-configuration of inbound webhook is not implemented by provider, "
    "manual configuration is required"
)


# Rules never set (the document has no `rules`), unlike rules set to null by an update.
NO_RULES: Any = type("NoRules", (), {"__repr__": lambda self: "NO_RULES"})()


def _check_rules(rules: Any) -> None:
    """Novu's assertValidIntegrationRules: non-empty rules with problems are a 400 naming them all."""
    if has_rules(rules):
        issues = rule_issues(rules)
        if issues:
            raise BadRequest("; ".join(issues))


def is_object_id(value: str) -> bool:
    return len(value) == 24 and all(ch in "0123456789abcdefABCDEF" for ch in value)


@dataclass(slots=True)
class Integration:
    id: str
    environment_id: str
    organization_id: str
    name: str
    identifier: str
    provider_id: str
    channel: str | None  # None: created without one (Novu's DTO no longer requires it)
    credentials: dict[str, Any]
    active: bool
    primary: bool
    created_at: datetime
    updated_at: datetime
    configurations: dict[str, Any] = field(default_factory=dict)
    conditions: list[dict[str, Any]] = field(default_factory=list)
    priority: int = 0
    kind: str = "delivery"
    # JSONLogic choosing the integration at send time; NO_RULES until set (an update may set null)
    rules: Any = NO_RULES

    def _document(self) -> dict[str, Any]:
        """The stored document as Novu's database hands it out (empty objects left out)."""
        document: dict[str, Any] = {
            "_id": self.id,
            "_environmentId": self.environment_id,
            "_organizationId": self.organization_id,
            "providerId": self.provider_id,
            **({"channel": self.channel} if self.channel is not None else {}),
            "active": self.active,
            "name": self.name,
            "identifier": self.identifier,
            "priority": self.priority,
            "primary": self.primary,
            "conditions": clone(self.conditions),
            "kind": self.kind,
            "deleted": False,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "__v": 0,
        }
        if self.configurations:
            document["configurations"] = clone(self.configurations)
        if self.rules is not NO_RULES:
            document["rules"] = clone(self.rules)
        return document

    def to_dto(self) -> dict[str, Any]:
        """One integration as create, update and set-primary answer an API key: a document read
        with its virtual `id`, and without `credentials` (never handed to API keys)."""
        return self._document() | {"id": self.id}

    def to_list_dto(self) -> dict[str, Any]:
        """An item of the list and active lists: `credentials` is an empty object for API keys."""
        return self._document() | {"credentials": {}}

    def to_stored_dto(self) -> dict[str, Any]:
        """An item of the list the delete answers: the stored document, secrets encrypted."""
        document = self._document()
        if self.credentials:
            document["credentials"] = providers.stored_credentials(self.credentials)
        return document


def _js(value: str | None) -> str:
    """A value as a JavaScript template literal writes it (``undefined`` for none)."""
    return "undefined" if value is None else value


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
        # Called with each removed integration (its channel connections and endpoints go with it).
        self.on_remove: list[Callable[[Integration], None]] = []

    # -- reads ---------------------------------------------------------------------------

    def list(self) -> list[Integration]:
        with self._lock:
            return list(self._by_id.values())

    def active(self) -> list[Integration]:
        with self._lock:
            return [integration for integration in self._by_id.values() if integration.active]

    def get(self, integration_id: str, *, message: str = "Integration with id {id} not found") -> Integration:
        with self._lock:
            integration = self._by_id.get(integration_id)
        if integration is None:
            raise NotFound(message.format(id=integration_id))
        return integration

    def by_identifier(self, identifier: str) -> Integration:
        with self._lock:
            integration = self._find_identifier(identifier)
        if integration is None:
            raise NotFound(f"Integration with identifier {identifier} not found")
        return integration

    # -- writes --------------------------------------------------------------------------

    def create(
        self,
        *,
        provider_id: str,
        channel: str | None,
        name: str | None = None,
        identifier: str | None = None,
        credentials: dict[str, Any] | None = None,
        active: bool = False,
        conditions: list[dict[str, Any]] | None = None,
        configurations: dict[str, Any] | None = None,
        environment_id: str | None = None,
        kind: str | None = None,
        rules: dict[str, Any] | None = None,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> Integration:
        """Novu's CreateIntegration: ``name`` and ``identifier`` are taken as given when present
        (even empty); absent, the provider's display name and its slug plus a short id."""
        with self._lock:
            self._ensure_this_environment(environment_id)
            kind = kind or "delivery"
            if kind == "agent":
                # agent runtimes have no channel; the Novu-provider rules are about channels
                channel = None
            # (without a channel, Novu's query leaves the channel out and so matches any)
            same_provider = any(
                i.provider_id == provider_id and (channel is None or i.channel == channel) for i in self._by_id.values()
            )
            same_provider = same_provider and kind != "agent"
            if same_provider and provider_id == providers.NOVU_IN_APP and channel == "in_app":
                raise BadRequest("One environment can only have one In app provider")
            if same_provider and provider_id in (providers.NOVU_EMAIL, providers.NOVU_SMS):
                raise Conflict(f"Integration with novu provider for {_js(channel).lower()} channel already exists")
            if identifier:
                self._ensure_identifier_free(identifier)
            _check_rules(rules)
            name = providers.default_name(provider_id) if name is None else name
            if identifier is None:
                identifier = f"{providers.slug(name)}-{providers.shortid(rng.choice if rng else secrets.choice)}"
            moment = created_at or now()
            integration = Integration(
                id=object_id(moment, rng),
                environment_id=self.environment_id,
                organization_id=self.organization_id,
                name=name,
                identifier=identifier,
                provider_id=provider_id,
                channel=channel,
                credentials=clone(credentials or {}),
                active=active,
                primary=False,
                created_at=moment,
                updated_at=moment,
                configurations=clone(configurations or {}),
                conditions=clone(conditions or []),
                kind=kind,
                rules=clone(rules) if has_rules(rules) else NO_RULES,
            )
            if active and channel in PRIMARY_CHANNELS:
                highest = self._highest_active(channel)
                if highest is not None and highest.primary:
                    # below the primary, which moves up one
                    integration.priority = highest.priority
                    highest.priority += 1
                else:
                    integration.priority = highest.priority + 1 if highest else 1
                    integration.primary = True
            self._by_id[integration.id] = integration
            return integration

    def update(self, integration_id: str, changes: dict[str, Any]) -> Integration:
        """Novu's UpdateIntegration: only the given (and, for strings, non-empty) fields change;
        `credentials`, `configurations` and `conditions` are replaced, not merged."""
        with self._lock:
            self._ensure_this_environment(changes.get("_environmentId"))
            integration = self.get(integration_id, message="Entity with id {id} not found")
            identifier = changes.get("identifier")
            identifier_changed = bool(identifier) and identifier != integration.identifier
            if identifier_changed:
                self._ensure_identifier_free(identifier)
            updates: dict[str, Any] = {}
            if changes.get("name"):
                updates["name"] = changes["name"]
            if identifier_changed:
                updates["identifier"] = identifier
            if changes.get("_environmentId"):
                updates["environment"] = True
            if "active" in changes:
                updates["active"] = changes["active"]
            for key in ("credentials", "configurations", "conditions"):
                if changes.get(key) is not None:
                    updates[key] = clone(changes[key])
            if "rules" in changes:
                # non-empty rules are checked, then replace the legacy conditions; {} or null clear them
                rules = changes["rules"]
                _check_rules(rules)
                updates["rules"] = clone(rules) if has_rules(rules) else None
                if updates["rules"]:
                    updates["conditions"] = []
            if not updates:
                raise BadRequest("No properties found for update")
            was_primary = integration.primary
            active_changed = "active" in updates and updates["active"] != integration.active
            for key in ("name", "identifier", "active", "credentials", "configurations", "conditions", "rules"):
                if key in updates:
                    setattr(integration, key, updates[key])
            if active_changed and integration.channel in PRIMARY_CHANNELS:
                if integration.active:
                    highest = self._highest_active(integration.channel, besides=integration)
                    if highest is not None and highest.primary:
                        integration.priority = highest.priority
                        highest.priority += 1
                    else:
                        integration.priority = highest.priority + 1 if highest else 1
                else:
                    self._renumber(integration.channel, besides=integration)
                    integration.priority, integration.primary = 0, False
            if (updates.get("conditions") or updates.get("rules")) and was_primary:
                # an integration chosen by conditions is no longer the channel's primary
                integration.primary = False
                self._renumber(integration.channel, first=integration)
            integration.updated_at = now()
            return integration

    def remove(self, integration_id: str) -> list[Integration]:
        """Novu's RemoveIntegration: answers the integrations left; the active ones of the
        channel are numbered again, and a removed primary leaves the channel without one."""
        with self._lock:
            integration = self.get(integration_id, message="Entity with id {id} not found")
            del self._by_id[integration.id]
            for listener in self.on_remove:
                listener(integration)
            if integration.channel in PRIMARY_CHANNELS:
                self._renumber(integration.channel)
            return self.list()

    def set_primary(self, integration_id: str) -> Integration:
        """Novu's SetIntegrationAsPrimary: email and sms only; an integration already primary is
        answered unchanged; otherwise it becomes active and primary, loses its conditions and
        takes the highest priority."""
        with self._lock:
            if not is_object_id(integration_id):
                raise ValidationFailed(
                    field_error("integrationId", "integrationId must be a mongodb id", integration_id)
                )
            integration = self.get(integration_id)
            if integration.channel not in PRIMARY_CHANNELS:
                raise BadRequest(f"Channel {_js(integration.channel)} does not support primary")
            if integration.primary:
                return integration
            moment = now()
            for other in self._by_id.values():
                if other.channel == integration.channel and other.active and other.primary:
                    other.primary = False
                    other.updated_at = moment
            integration.active, integration.primary, integration.conditions = True, True, []
            self._renumber(integration.channel, first=integration)
            integration.updated_at = moment
            return integration

    def auto_configure(self, integration_id: str) -> dict[str, Any]:
        with self._lock:
            integration = self.get(integration_id, message="Integration not found, id: {id}")
            if integration.provider_id not in AUTO_CONFIGURABLE_PROVIDERS:
                return {"success": False, "message": AUTO_CONFIGURE_UNSUPPORTED}
            integration.configurations["inboundWebhookEnabled"] = True
            integration.configurations.setdefault("inboundWebhookSigningKey", secrets_token())
            integration.updated_at = now()
            return {
                "success": True,
                "message": "Integration auto-configured successfully",
                "configurations": clone(integration.configurations),
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
            return [integration.to_list_dto() | {"credentials": clone(integration.credentials)}
                    for integration in self._by_id.values()]  # fmt: skip

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every record by ``records`` (a ``snapshot()``; None empties the service).

        Records are checked against RECORD_SCHEMA by the caller; the rules of the store are
        checked here, all of them before anything changes: a refused document changes nothing.
        """
        by_id: dict[str, Integration] = {}
        identifiers: set[str] = set()
        for index, record in enumerate(records or []):
            if record["_id"] in by_id:
                raise Conflict(f"_id {record['_id']} is used by two integrations; ids must be unique")
            if record["identifier"] and record["identifier"] in identifiers:
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
                channel=record.get("channel"),
                credentials=clone(record.get("credentials") or {}),
                active=record["active"],
                primary=record["primary"],
                created_at=created_at,
                updated_at=updated_at,
                configurations=clone(record.get("configurations") or {}),
                conditions=clone(record.get("conditions") or []),
                priority=record.get("priority", 0),
                kind=record.get("kind", "delivery"),
                rules=clone(record["rules"]) if "rules" in record else NO_RULES,
            )
            by_id[integration.id] = integration
            identifiers.add(integration.identifier)
        with self._lock:
            self._by_id = by_id

    # -- helpers -------------------------------------------------------------------------

    def _ensure_this_environment(self, environment_id: str | None) -> None:
        if environment_id and environment_id != self.environment_id:
            raise Forbidden(OTHER_ENVIRONMENT)

    def _find_identifier(self, identifier: str) -> Integration | None:
        return next((i for i in self._by_id.values() if i.identifier == identifier), None)

    def _ensure_identifier_free(self, identifier: str) -> None:
        if self._find_identifier(identifier) is not None:
            raise Conflict("Integration with identifier already exists")

    def _active_by_priority(self, channel: str, besides: Integration | None = None) -> list[Integration]:
        """The active integrations of ``channel``, highest priority first (ties: oldest first)."""
        active = [i for i in self._by_id.values() if i.channel == channel and i.active and i is not besides]
        return sorted(active, key=lambda integration: -integration.priority)

    def _highest_active(self, channel: str, besides: Integration | None = None) -> Integration | None:
        ranked = self._active_by_priority(channel, besides)
        return ranked[0] if ranked else None

    def _renumber(self, channel: str, *, first: Integration | None = None, besides: Integration | None = None) -> None:
        """Number the active integrations of ``channel`` n..1 in their order (``first`` on top)."""
        ranked = self._active_by_priority(channel, besides=first or besides)
        if first is not None:
            ranked.insert(0, first)
        for position, integration in enumerate(ranked):
            integration.priority = len(ranked) - position
