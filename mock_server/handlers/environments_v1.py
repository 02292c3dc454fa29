"""Novu's EnvironmentsControllerV1: the environments of the organization (store/environments.py)."""

from __future__ import annotations

from typing import Any

from mock_server import wire
from mock_server.store import Backend, environments


async def get_current_environment(backend: Backend) -> dict[str, Any]:
    return environments.current(backend.environment)


async def list_organization_api_keys(backend: Backend) -> list[dict[str, Any]]:
    return environments.api_keys(wire.services()["backends"], backend.environment)


async def list_my_environments(backend: Backend) -> list[dict[str, Any]]:
    return environments.list_environments(wire.services()["backends"], backend.environment)


async def create_environment(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    dto, _ = environments.create(
        wire.services()["backends"],
        backend.environment,
        name=body["name"],
        color=body.get("color"),
        fill=environments.start_environment,
    )
    return dto


async def update_my_environment(backend: Backend, environment_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return environments.update(wire.services()["backends"], backend.environment, environment_id, body)


async def delete_environment(backend: Backend, environment_id: str) -> dict[str, Any]:
    environments.delete(wire.services()["backends"], backend.environment, environment_id)
    return {}  # Novu's interceptor wraps the use case's undefined: {"data": undefined} is written {}
