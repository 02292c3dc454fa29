"""Novu's EnvironmentVariablesController (store/environment_variables.py)."""

from __future__ import annotations

from typing import Any

from mock_server import wire
from mock_server.store import Backend
from mock_server.store.publishing import OWN_FIELDS, workflow_key


async def list_environment_variables(backend: Backend, search: str | None = None) -> list[dict[str, Any]]:
    return backend.environment_variables.list(search)


async def get_environment_variable(backend: Backend, variable_key: str) -> dict[str, Any]:
    return backend.environment_variables.get(variable_key)


async def create_environment_variable(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.environment_variables.create(
        key=body["key"], type=body.get("type"), is_secret=body.get("isSecret"), values=body.get("values")
    )


async def update_environment_variable(backend: Backend, variable_key: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.environment_variables.update(variable_key, body)


async def delete_environment_variable(backend: Backend, variable_key: str) -> None:
    backend.environment_variables.delete(variable_key)


# what describes a workflow rather than what its steps render
_NOT_CONTROLS = OWN_FIELDS | {"name", "identifier", "workflowId", "description", "tags", "channels", "critical",
                              "severity", "defaults", "active"}  # fmt: skip


async def get_environment_variable_usage(backend: Backend, variable_key: str) -> dict[str, Any]:
    """Novu looks through the step controls of every workflow of the organization: a workflow
    record's ``steps`` when it has them, else what it renders (its templates and data)."""
    backends = wire.services()["backends"]
    workflows = []
    for environment_backend in backends.backends_of(backend.environment.organization_id):
        for record in environment_backend.workflows.snapshot():
            if "steps" in record:
                controls = record["steps"]
            else:
                controls = {name: value for name, value in record.items() if name not in _NOT_CONTROLS}
            workflows.append((record.get("name") or "", workflow_key(record), controls))
    return backend.environment_variables.usage(variable_key, workflows)
