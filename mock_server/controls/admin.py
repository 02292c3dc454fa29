"""The admin API under ``/_mock/``: reset, state export/import, request journal, config.

Its OpenAPI document is ``admin.yaml`` beside this file, completed at start (``admin_document``):
schemas marked ``x-from-novu-spec`` are copied from the Novu contract, and ``services`` of a state
document gets one property per store service, typed by that service's ``RECORD_SCHEMA``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connexion.json_schema import Draft4RequestValidator
from jsonschema import Draft4Validator

from mock_server import heap
from mock_server.controls.faults import Faults
from mock_server.controls.journal import Journal
from mock_server.controls.routing import Router
from mock_server.controls.statefile import StateFile
from mock_server.spec import Spec, read_yaml
from mock_server.store import Backend, Backends
from mock_server.validation import field_errors

ADMIN_SPEC = Path(__file__).with_name("admin.yaml")
_SCHEMAS = "#/components/schemas/"


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        found = {ref} if isinstance(ref, str) and ref.startswith(_SCHEMAS) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*map(_refs, node)) if node else set()
    return set()


def admin_document(novu: Spec, record_schemas: dict[str, str]) -> dict[str, Any]:
    """admin.yaml, completed from the Novu contract and the store's services."""
    document = read_yaml(ADMIN_SPEC)
    schemas = document["components"]["schemas"]
    services = schemas["StateDocument"]["properties"]["services"]["properties"]
    for name, record_schema in record_schemas.items():
        services[name] = {"type": "array", "items": {"$ref": _SCHEMAS + record_schema}}
    novu_schemas = novu.document["components"]["schemas"]
    for name, schema in list(schemas.items()):
        if "x-from-novu-spec" in schema:
            schemas[name] = copy.deepcopy(novu_schemas[schema["x-from-novu-spec"]])
    # bring every schema referenced, transitively, from the Novu contract
    pending = _refs(document)
    while pending:
        ref = pending.pop()
        name = ref.removeprefix(_SCHEMAS)
        if name not in schemas:
            schemas[name] = copy.deepcopy(novu_schemas[name])
            pending |= _refs(schemas[name])
    return document


def record_schemas_of(backend: Backend) -> dict[str, str]:
    return {name: service.RECORD_SCHEMA for name, service in backend.services().items()}


@dataclass
class Controls:
    """What the admin API acts on, shared through the request scope as ``services()["controls"]``."""

    backends: Backends
    seed: int
    journal: Journal
    faults: Faults
    router: Router
    document: dict[str, Any]
    state_file: StateFile | None = None
    fixtures_size: str = "default"

    def __post_init__(self) -> None:
        self._indexes = {environment.id: index for index, environment in enumerate(self.backends.environments())}
        services_schema = self.document["components"]["schemas"]["StateDocument"]["properties"]["services"]
        self._services_validator = Draft4RequestValidator(
            {**services_schema, "components": self.document["components"]},
            format_checker=Draft4Validator.FORMAT_CHECKER,
        )

    def check_services(self, services: Any, where: str = "services") -> None:
        """Raise ValueError naming every field when ``services`` is not a valid state document part."""
        errors = field_errors(self._services_validator.iter_errors(services))
        if errors:
            details = "; ".join(f"{where}.{field}: {' '.join(entry['messages'])}" for field, entry in errors.items())
            raise ValueError(details)

    def reset(self, backend: Backend, *, empty: bool) -> dict[str, Any]:
        """A fresh Backend for the environment: every service is reset, not only those that export.

        A configured environment gets back its seeded fixtures and the name, identifier and
        colour it started with; one made by ``POST /v1/environments`` what Novu puts in a new
        environment (the Novu Inbox integration)."""
        from fixtures import seed_environment
        from mock_server.store.environments import start_environment

        environment = backend.environment
        index = self._indexes.get(environment.id)

        def seeded(fresh: Backend) -> None:
            seed_environment(fresh, seed=self.seed, index=index, size=self.fixtures_size)

        fill = None if empty else start_environment if index is None else seeded
        started = self.backends.configured.get(environment.id)
        if started is not None and started != environment:
            self.backends.update(environment.id, **{
                name: getattr(started, name)
                for name in ("name", "identifier", "color", "parent_id", "bridge_url", "inbound_parse_domain",
                             "created_at", "updated_at")
            })  # fmt: skip
        renewed = self.backends.renew(environment.id, fill)
        del backend
        heap.reclaim()  # the old records may be frozen, and hold reference cycles
        return summary(renewed)


def summary(backend: Backend) -> dict[str, Any]:
    """Records per service. A service that knows its count (``len``) is not exported for it: a
    large environment would build a million DTOs only to count them."""
    with backend.lock:
        return {"services": {
            name: len(service) if hasattr(service, "__len__") else len(service.snapshot())
            for name, service in backend.services().items()
        }}  # fmt: skip


# -- handlers (operationIds of admin.yaml) ----------------------------------------------------


def _current() -> tuple[Controls, Backend]:
    from connexion.context import context

    from mock_server.wire import services

    shared = services()
    return shared["controls"], context["token_info"]["backend"]


async def reset(empty: bool = False):
    controls, backend = _current()
    return controls.reset(backend, empty=empty), 200


async def export_state():
    _, backend = _current()
    environment = backend.environment
    document = {"version": 1, "environment": {"id": environment.id, "name": environment.name}}
    return {**document, "services": backend.export_state()}, 200


async def import_state(body: dict[str, Any]):
    _, backend = _current()
    backend.import_state(body["services"])
    return summary(backend), 200


async def list_requests(
    path: str | None = None,
    status: str | None = None,
    method: str | None = None,
    operation: str | None = None,
    subscriber: str | None = None,
    workflow: str | None = None,
    body: str | None = None,
    limit: int | None = None,
):
    controls, backend = _current()
    filters = {"path": path, "status": status, "method": method, "operation": operation,
               "subscriber": subscriber, "workflow": workflow, "body": body}  # fmt: skip
    return controls.journal.read(backend.environment.id, limit=limit, **filters), 200


async def count_requests(body: dict[str, Any]):
    controls, backend = _current()
    return {"count": controls.journal.count(backend.environment.id, **body)}, 200


async def clear_requests():
    controls, backend = _current()
    controls.journal.clear(backend.environment.id)
    return None, 204


async def list_environments():
    controls, backend = _current()
    return {
        "environments": [
            {
                "id": environment.id,
                "name": environment.name,
                "identifier": environment.identifier,
                "apiKey": environment.api_key,
                "configured": environment.configured,
            }
            for environment in controls.backends.of_organization(backend.environment.organization_id)
        ]
    }, 200


async def get_config():
    controls, backend = _current()
    return controls.faults.describe(backend.environment.id), 200


async def update_config(body: dict[str, Any]):
    controls, backend = _current()
    return controls.faults.update(backend.environment.id, body), 200


async def reset_config():
    controls, backend = _current()
    return controls.faults.reset(backend.environment.id), 200
