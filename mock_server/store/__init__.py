"""In-memory state, moto-style: one Backend per environment, found through its API key."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from mock_server.store.channel_connections import ChannelConnectionsBackend
from mock_server.store.channel_endpoints import ChannelEndpointsBackend
from mock_server.store.inbox import InboxBackend
from mock_server.store.integrations import IntegrationsBackend
from mock_server.store.preferences import PreferencesBackend
from mock_server.store.subscribers import SubscribersBackend
from mock_server.store.workflows import WorkflowsBackend

__all__ = ["Backend", "Backends", "Environment"]


@dataclass(frozen=True, slots=True)
class Environment:
    id: str
    name: str
    organization_id: str
    api_key: str


def _stable_id(text: str) -> str:
    """A 24-hex id derived from ``text``: the same key gives the same environment id."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class Backend:
    """All the data of one environment. Services share one lock so cross-service rules stay atomic."""

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.lock = threading.RLock()
        self.integrations = IntegrationsBackend(environment.id, environment.organization_id, self.lock)
        self.workflows = WorkflowsBackend(environment.id, self.lock)
        self.subscribers = SubscribersBackend(
            environment.id, environment.organization_id, self.lock, integrations=self.integrations
        )
        self.preferences = PreferencesBackend(self.lock, subscribers=self.subscribers, workflows=self.workflows)
        self.channel_connections = ChannelConnectionsBackend(self.integrations, self.lock)
        self.channel_endpoints = ChannelEndpointsBackend(self.integrations, self.channel_connections, self.lock)
        self.inbox = InboxBackend(
            environment.id,
            environment.organization_id,
            self.lock,
            subscribers=self.subscribers,
            workflows=self.workflows,
            preferences=self.preferences,
        )


class Backends:
    """Every environment the mock knows, keyed by environment id and by secret key."""

    def __init__(self, api_keys: dict[str, str], *, organization: str = "novu-mock") -> None:
        organization_id = _stable_id(f"organization:{organization}")
        self._by_key: dict[str, Backend] = {}
        self._by_id: dict[str, Backend] = {}
        for key, name in api_keys.items():
            environment = Environment(_stable_id(f"environment:{key}"), name, organization_id, key)
            backend = Backend(environment)
            self._by_key[key] = backend
            self._by_id[environment.id] = backend

    def environment_for_key(self, key: str):
        backend = self._by_key.get(key)
        return backend.environment if backend else None

    def __getitem__(self, environment_id: str) -> Backend:
        return self._by_id[environment_id]

    def __iter__(self):
        return iter(self._by_id.values())
