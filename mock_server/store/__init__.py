"""In-memory state, moto-style: one Backend per environment, found through its API key."""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass
from typing import Any, Callable

from mock_server.errors import ValidationFailed, field_error
from mock_server.store.channel_connections import ChannelConnectionsBackend
from mock_server.store.channel_endpoints import ChannelEndpointsBackend
from mock_server.store.inbox import InboxBackend
from mock_server.store.integrations import IntegrationsBackend
from mock_server.store.layouts import LayoutsBackend
from mock_server.store.preferences import PreferencesBackend
from mock_server.store.subscribers import SubscribersBackend
from mock_server.store.topics import TopicsBackend
from mock_server.store.translations import TranslationsBackend
from mock_server.store.workflows import WorkflowsBackend

__all__ = ["Backend", "Backends", "Environment"]


@dataclass(frozen=True, slots=True)
class Environment:
    id: str
    name: str
    organization_id: str
    api_key: str
    # Novu's environment ``identifier``, the ``applicationIdentifier`` a frontend (@novu/js) sends
    identifier: str = ""


def _stable_id(text: str) -> str:
    """A 24-hex id derived from ``text``: the same key gives the same environment id."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def stable_identifier(text: str) -> str:
    """A 12-character url-safe identifier derived from ``text`` (Novu's are nanoid-style, 12 long)."""
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).decode()[:12]


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
        self.channel_connections = ChannelConnectionsBackend(self.integrations, self.lock, subscribers=self.subscribers)
        self.channel_endpoints = ChannelEndpointsBackend(
            self.integrations, self.channel_connections, self.lock, subscribers=self.subscribers
        )
        self.integrations.on_remove.append(self._integration_removed)
        self.topics = TopicsBackend(
            environment.id,
            environment.organization_id,
            self.lock,
            subscribers=self.subscribers,
            workflows=self.workflows,
        )
        self.inbox = InboxBackend(
            environment.id,
            environment.organization_id,
            self.lock,
            subscribers=self.subscribers,
            workflows=self.workflows,
            preferences=self.preferences,
        )
        self.layouts = LayoutsBackend(environment.id, self.lock, workflows=self.workflows)
        self.translations = TranslationsBackend(self.lock, layouts=self.layouts, workflows=self.workflows)

    def _integration_removed(self, integration) -> None:
        """Novu deletes an integration's channel connections and endpoints with it."""
        for service in (self.channel_endpoints, self.channel_connections):
            for record in service.all():
                if record.integration_identifier == integration.identifier:
                    service.delete(record.identifier)

    # -- state export / import, generic over services ------------------------------------
    # A service is any attribute with a ``snapshot()`` / ``restore(data)`` pair (plain JSON-able
    # data; ``restore(None)`` empties it). New services are picked up without changes here.

    # Import restores services in this order, so each finds what its records refer to
    # (subscribers' credentials name integrations, preferences name subscribers and workflows,
    # endpoints name connections, topics name subscribers, the inbox names subscribers and workflows,
    # translations name layouts and workflows). Others come last.
    RESTORE_ORDER = ("integrations", "workflows", "subscribers", "preferences",
                     "channel_connections", "channel_endpoints", "topics", "inbox", "layouts", "translations")  # fmt: skip

    def services(self) -> dict[str, Any]:
        found = [
            name
            for name, service in vars(self).items()
            if callable(getattr(service, "snapshot", None)) and callable(getattr(service, "restore", None))
        ]
        rank = {name: index for index, name in enumerate(self.RESTORE_ORDER)}
        found.sort(key=lambda name: rank.get(name, len(rank)))
        return {name: getattr(self, name) for name in found}

    def export_state(self) -> dict[str, Any]:
        """Every service's records, taken under the shared lock: one consistent moment."""
        with self.lock:
            return {name: service.snapshot() for name, service in self.services().items()}

    def import_state(self, state: dict[str, Any]) -> None:
        """Replace every service's records; a service missing from ``state`` is emptied.

        Services are restored in ``RESTORE_ORDER``, each checking its records against those
        restored before it. All or nothing: when a service refuses its part, every service is
        put back as it was (in the same order, from the snapshot taken first) and the error
        propagates.
        """
        services = self.services()
        unknown = sorted(set(state) - set(services))
        if unknown:
            message = f"unknown service {unknown[0]}; known services: {', '.join(sorted(services))}"
            raise ValidationFailed(field_error(unknown[0], message, None), message=message)
        with self.lock:
            before = {name: service.snapshot() for name, service in services.items()}
            try:
                for name, service in services.items():
                    service.restore(state.get(name))
            except BaseException:
                for name, service in services.items():
                    service.restore(before[name])
                raise


class Backends:
    """Every environment the mock knows, keyed by environment id and by secret key."""

    def __init__(self, api_keys: dict[str, str], *, organization: str = "novu-mock") -> None:
        organization_id = _stable_id(f"organization:{organization}")
        self._by_key: dict[str, Backend] = {}
        self._by_id: dict[str, Backend] = {}
        # environments filled at their first use (see fill), with the index fill gets
        self._unfilled: dict[str, int] = {}
        self._fill: Callable[[Backend, int], None] | None = None
        self._fill_lock = threading.Lock()
        for key, name in api_keys.items():
            environment = Environment(
                _stable_id(f"environment:{key}"), name, organization_id, key, stable_identifier(f"identifier:{key}")
            )
            backend = Backend(environment)
            self._by_key[key] = backend
            self._by_id[environment.id] = backend

    def fill(self, fill: Callable[[Backend, int], None], *, now: int = 1) -> None:
        """Fill each environment with ``fill(backend, index)``: the first ``now`` at once, the
        others at their first use (a request, an export), so start-up pays for one environment."""
        self._fill = fill
        for index, backend in enumerate(self._by_id.values()):
            if index < now:
                fill(backend, index)
            else:
                self._unfilled[backend.environment.id] = index

    def _filled(self, backend: Backend) -> Backend:
        environment_id = backend.environment.id
        if environment_id in self._unfilled:
            with self._fill_lock:
                index = self._unfilled.get(environment_id)
                if index is not None:
                    assert self._fill is not None
                    self._fill(backend, index)
                    del self._unfilled[environment_id]
        return backend

    def environments(self) -> list[Environment]:
        """Every environment, without filling any."""
        return [backend.environment for backend in self._by_id.values()]

    def renew(self, environment_id: str, fill=None) -> Backend:
        """Replace an environment's Backend by a fresh one (every service empty), filled by ``fill``
        before it is swapped in, so no request sees it half-built. Used by ``/_mock/reset``."""
        old = self._by_id[environment_id]
        new = Backend(old.environment)
        if fill is not None:
            fill(new)
        self._by_id[environment_id] = new  # same key, same place in the iteration order
        self._by_key[old.environment.api_key] = new
        self._unfilled.pop(environment_id, None)
        return new

    def environment_for_key(self, key: str):
        backend = self._by_key.get(key)
        return backend.environment if backend else None

    def environment_for_id(self, environment_id: str):
        backend = self._by_id.get(environment_id)
        return backend.environment if backend else None

    def environment_for_identifier(self, identifier: str):
        """The environment whose ``applicationIdentifier`` is ``identifier``, or None."""
        for backend in self._by_id.values():
            if backend.environment.identifier == identifier:
                return backend.environment
        return None

    def __getitem__(self, environment_id: str) -> Backend:
        backend = self._by_id[environment_id]
        return self._filled(backend) if self._unfilled else backend

    def __iter__(self):
        return iter([self[environment_id] for environment_id in list(self._by_id)])
