"""In-memory state, moto-style: one Backend per environment, found through its API key."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable

from mock_server.errors import BadRequest, NotFound, ValidationFailed, field_error
from mock_server.store.channel_connections import ChannelConnectionsBackend
from mock_server.store.channel_endpoints import ChannelEndpointsBackend
from mock_server.store.delivery_events import DeliveryEventsBackend
from mock_server.store.domains import DomainsBackend
from mock_server.store.environment_variables import EnvironmentVariablesBackend, OrganizationVariables
from mock_server.store.ids import iso, now
from mock_server.store.contexts import ContextsBackend
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
    # what Novu's environment record holds beside them (see store/environments.py)
    color: str = ""
    parent_id: str | None = None
    created_at: str = ""
    updated_at: str = ""
    bridge_url: str | None = None
    inbound_parse_domain: str | None = None
    # given by the command line (``--api-key``) rather than made by ``POST /v1/environments``
    configured: bool = True

    def replace(self, **changes: Any) -> Environment:
        return dataclasses.replace(self, **changes)


def _stable_id(text: str) -> str:
    """A 24-hex id derived from ``text``: the same key gives the same environment id."""
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def stable_identifier(text: str) -> str:
    """A 12-character url-safe identifier derived from ``text`` (Novu's are nanoid-style, 12 long)."""
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).decode()[:12]


def application_identifier(api_key: str) -> str:
    """The ``applicationIdentifier`` of the environment of ``api_key`` (stable per key)."""
    return stable_identifier(f"identifier:{api_key}")


class Backend:
    """All the data of one environment. Services share one lock so cross-service rules stay atomic."""

    def __init__(
        self, environment: Environment, variables: OrganizationVariables | None = None, *, inbox_listeners: list | None = None
    ) -> None:
        self.environment = environment
        self.lock = threading.RLock()
        # the organization's environment variables, seen from this environment (shared with the
        # organization's other environments; a Backend made alone gets an organization of its own)
        self.environment_variables = EnvironmentVariablesBackend(
            environment.id, variables or OrganizationVariables(environment.organization_id)
        )
        self.integrations = IntegrationsBackend(environment.id, environment.organization_id, self.lock)
        self.workflows = WorkflowsBackend(environment.id, self.lock, integrations=self.integrations)
        # the Backend of another environment of the same organization, by environment id (set by
        # Backends; a lone Backend knows none). Only a workflow sync reaches across environments.
        self.peer: Callable[[str], "Backend | None"] = lambda environment_id: None
        self.subscribers = SubscribersBackend(
            environment.id, environment.organization_id, self.lock, integrations=self.integrations
        )
        self.preferences = PreferencesBackend(self.lock, subscribers=self.subscribers, workflows=self.workflows)
        self.contexts = ContextsBackend(environment.id, self.lock)
        self.channel_connections = ChannelConnectionsBackend(
            self.integrations, self.lock, subscribers=self.subscribers, contexts=self.contexts
        )
        self.channel_endpoints = ChannelEndpointsBackend(
            self.integrations, self.channel_connections, self.lock, subscribers=self.subscribers, contexts=self.contexts
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
            topics=self.topics,
            contexts=self.contexts,
            listeners=inbox_listeners,
        )
        self.domains = DomainsBackend(environment.id, environment.organization_id, self.lock)
        self.delivery_events = DeliveryEventsBackend(self.lock, integrations=self.integrations, inbox=self.inbox)
        self.layouts = LayoutsBackend(environment.id, self.lock, workflows=self.workflows)
        self.translations = TranslationsBackend(self.lock, layouts=self.layouts, workflows=self.workflows)

    def sync_workflow(self, key: str, target_environment_id: str):
        """Novu's sync of a workflow to another environment of the organization: created there
        (same workflowId) or updated, steps matched by stepId; the source is marked published.
        400 for its own environment, 404 for an environment the organization does not have."""
        if target_environment_id == self.environment.id:
            raise BadRequest("Cannot sync workflow to the same environment")
        target = self.peer(target_environment_id)
        if target is None:
            raise NotFound(f"Environment {target_environment_id} not found")
        plan = self.workflows.sync_request(key, target.workflows)  # under this environment's lock
        synced = target.workflows.receive_sync(plan)  # under the target's
        self.workflows.mark_published(plan["source"]["_id"])
        return synced

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
    RESTORE_ORDER = ("integrations", "workflows", "subscribers", "preferences", "contexts",
                     "channel_connections", "channel_endpoints", "topics", "inbox", "layouts", "translations",
                     "environment_variables")  # fmt: skip

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


# Novu's colours of the two environments every organization starts with
PROTECTED_COLORS = {"Development": "#ff8547", "Production": "#7e52f4"}


class Backends:
    """Every environment the mock knows, keyed by environment id and by secret key.

    Environments are added (``POST /v1/environments``, a state file) and removed
    (``DELETE /v1/environments/{id}``) while requests run. The maps are never changed in place
    when an environment comes or goes: a new map replaces the old one (under ``_change_lock``),
    so the compiled path, ``auth`` and every iteration read a consistent map without a lock. A
    removed environment's key stops authenticating at once. A request holds the ``Backend`` its
    credentials named (``auth`` hands it over), so one already past ``auth`` ends normally; while
    anything holds a removed ``Backend`` it is still found by id (``_gone``, a weak map: no bound
    to outgrow, nothing kept once the last request lets go).
    """

    def __init__(self, api_keys: dict[str, str], *, organization: str = "novu-mock") -> None:
        organization_id = _stable_id(f"organization:{organization}")
        self.organization_id = organization_id
        # the user Novu names in ``apiKeys[]._userId`` (the mock has one per organization)
        self.user_id = _stable_id(f"user:{organization}")
        self._by_key: dict[str, Backend] = {}
        self._by_id: dict[str, Backend] = {}
        self._gone: weakref.WeakValueDictionary[str, Backend] = weakref.WeakValueDictionary()
        self._variables: dict[str, OrganizationVariables] = {}
        self._change_lock = threading.RLock()
        # objects told when an environment comes or goes: ``environment_added(environment)`` /
        # ``environment_removed(environment)`` (the journal keeps a log per environment)
        self.listeners: list[Any] = []
        # environments filled at their first use (see fill), with the index fill gets
        self._unfilled: dict[str, int] = {}
        self._fill: Callable[[Backend, int], None] | None = None
        self._fill_lock = threading.Lock()
        moment = iso(now())
        ids = {key: _stable_id(f"environment:{key}") for key in api_keys}
        development = next((ids[key] for key, name in api_keys.items() if name == "Development"), None)
        # told of every change of any environment's in-app notifications (store.inbox.events);
        # one list shared by every Backend, the renewed ones included
        self.inbox_listeners: list = []
        for key, name in api_keys.items():
            environment = Environment(
                ids[key],
                name,
                organization_id,
                key,
                application_identifier(key),
                color=PROTECTED_COLORS.get(name, "#2ab2a7"),
                # Novu makes Production the child of Development
                parent_id=development if name == "Production" else None,
                created_at=moment,
                updated_at=moment,
            )
            backend = self._new_backend(environment)
            self._by_key[key] = backend
            self._by_id[environment.id] = backend
        # the configured environments as they started, for ``/_mock/reset``
        self.configured = {environment.id: environment for environment in self.environments()}

    def _new_backend(self, environment: Environment) -> Backend:
        """An empty Backend of ``environment``: the organization's variables, its peers by id."""
        backend = Backend(
            environment, self.variables_of(environment.organization_id), inbox_listeners=self.inbox_listeners
        )
        backend.peer = self._peer
        backend.domains.taken_elsewhere = lambda name, own=environment.id: self._domain_name_taken(name, own)
        return backend

    def _domain_name_taken(self, name: str, own_environment_id: str) -> bool:
        """Whether another environment (of any organization) has a domain named ``name``: Novu's
        domain names are unique across its whole database. Environments not filled yet have none."""
        return any(
            backend.domains.has(name) for environment_id, backend in self._by_id.items() if environment_id != own_environment_id
        )

    def variables_of(self, organization_id: str) -> OrganizationVariables:
        """The environment variables of an organization (made at first use)."""
        with self._change_lock:
            if organization_id not in self._variables:
                self._variables[organization_id] = OrganizationVariables(organization_id)
            return self._variables[organization_id]

    # -- environments coming and going ----------------------------------------------------

    def add(self, environment: Environment, fill: Callable[[Backend], None] | None = None) -> Backend:
        """A new environment, filled by ``fill`` before its key authenticates."""
        with self._change_lock:
            if environment.id in self._by_id or environment.api_key in self._by_key:
                raise ValueError(f"environment {environment.id} or its key is already known")
            backend = self._new_backend(environment)
            if fill is not None:
                self._fill_quietly(backend, fill)
            self._gone.pop(environment.id, None)
            self._by_id = {**self._by_id, environment.id: backend}
            self._by_key = {**self._by_key, environment.api_key: backend}
            listeners = list(self.listeners)
        for listener in listeners:
            listener.environment_added(environment)
        return backend

    def remove(self, environment_id: str) -> Environment:
        """Forget an environment: its key stops authenticating now, its data and its values of
        the organization's environment variables go."""
        with self._change_lock:
            backend = self._by_id[environment_id]
            environment = backend.environment
            self._by_id = {key: value for key, value in self._by_id.items() if key != environment_id}
            self._by_key = {key: value for key, value in self._by_key.items() if value is not backend}
            self._gone[environment_id] = backend
            self._unfilled.pop(environment_id, None)
            self.variables_of(environment.organization_id).drop_environment(environment_id)
            listeners = list(self.listeners)
        for listener in listeners:
            listener.environment_removed(environment)
        return environment

    def update(self, environment_id: str, **changes: Any) -> Environment:
        """Change an environment's own fields (name, identifier, color, parent; never its key or id)."""
        with self._change_lock:
            backend = self._by_id[environment_id]
            backend.environment = backend.environment.replace(**changes)
            return backend.environment

    def fill(self, fill: Callable[[Backend, int], None], *, now: int = 1) -> None:
        """Fill each environment with ``fill(backend, index)``: the first ``now`` at once, the
        others at their first use (a request, an export), so start-up pays for one environment."""
        self._fill = fill
        for index, backend in enumerate(self._by_id.values()):
            if index < now:
                self._fill_quietly(backend, lambda filled, index=index: fill(filled, index))
            else:
                self._unfilled[backend.environment.id] = index

    def _filled(self, backend: Backend) -> Backend:
        environment_id = backend.environment.id
        if environment_id in self._unfilled:
            with self._fill_lock:
                index = self._unfilled.get(environment_id)
                if index is not None:
                    assert self._fill is not None
                    fill = self._fill
                    self._fill_quietly(backend, lambda filled: fill(filled, index))
                    del self._unfilled[environment_id]
        return backend

    def _peer(self, environment_id: str) -> Backend | None:
        """The Backend of ``environment_id`` when it is an environment of the organization."""
        backend = self._by_id.get(environment_id)
        if backend is None or backend.environment.organization_id != self.organization_id:
            return None
        return self[environment_id]

    def environments(self) -> list[Environment]:
        """Every environment, without filling any."""
        return [backend.environment for backend in self._by_id.values()]

    def snapshot(self) -> dict[str, Backend]:
        """Every environment's Backend by id, as one map had them (none filled here). Holding it
        keeps each of them reachable by id, one removed meanwhile included."""
        return dict(self._by_id)

    def backends_of(self, organization_id: str) -> list[Backend]:
        """The Backends of one organization's environments, oldest first, from one map."""
        return [
            self._filled(backend) if self._unfilled else backend
            for backend in self._by_id.values()
            if backend.environment.organization_id == organization_id
        ]

    def of_organization(self, organization_id: str) -> list[Environment]:
        """The environments of one organization, oldest first."""
        return [environment for environment in self.environments() if environment.organization_id == organization_id]

    def renew(self, environment_id: str, fill=None) -> Backend:
        """Replace an environment's Backend by a fresh one (every service empty), filled by ``fill``
        before it is swapped in, so no request sees it half-built. Used by ``/_mock/reset``."""
        with self._change_lock:
            old = self._by_id[environment_id]
            new = self._new_backend(old.environment)
            new.environment_variables.restore(None)  # this environment's values; the others' stay
            if fill is not None:
                self._fill_quietly(new, fill)
            self._by_id = {**self._by_id, environment_id: new}  # same key, same place in the iteration order
            self._by_key = {**self._by_key, old.environment.api_key: new}
            self._unfilled.pop(environment_id, None)
            new.inbox.announce_everything()  # every subscriber's inbox is another one now
            return new

    @staticmethod
    def _fill_quietly(backend: Backend, fill: Callable[[Backend], None]) -> None:
        """Fixtures made by ``fill`` are the environment's starting state, not news: its inbox
        listeners hear nothing of them (a live socket would get one event per fixture message)."""
        listeners, backend.inbox.listeners = backend.inbox.listeners, []
        try:
            fill(backend)
        finally:
            backend.inbox.listeners = listeners

    def backend_for_key(self, key: str) -> Backend | None:
        """The Backend a secret key opens, or None: what a request holds until it ends."""
        backend = self._by_key.get(key)
        if backend is None:
            return None
        return self._filled(backend) if self._unfilled else backend

    def environment_for_key(self, key: str):
        backend = self._by_key.get(key)
        return backend.environment if backend else None

    def get(self, environment_id: str) -> Backend | None:
        """The Backend of ``environment_id``, a removed one still held by a request included, or None."""
        backend = self._by_id.get(environment_id) or self._gone.get(environment_id)
        if backend is None:
            return None
        return self._filled(backend) if self._unfilled else backend

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
        backend = self.get(environment_id)
        if backend is None:
            raise KeyError(environment_id)
        return backend

    def __iter__(self):
        backends = list(self._by_id.values())  # one map, whatever comes or goes meanwhile
        return iter([self._filled(backend) for backend in backends] if self._unfilled else backends)
