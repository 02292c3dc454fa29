"""Novu's EnvironmentsController (v2): tags, diff and publish between environments."""

from __future__ import annotations

from typing import Any

from mock_server import wire
from mock_server.store import Backend, environments, publishing


async def get_environment_tags(backend: Backend, environment_id: str) -> list[dict[str, str]]:
    return environments.tags(wire.services()["backends"], backend.environment, environment_id)


async def diff_environment(
    backend: Backend, target_environment_id: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    source, target = environments.publish_pair(
        wire.services()["backends"], backend.environment, target_environment_id, (body or {}).get("sourceEnvironmentId")
    )
    return publishing.diff(source, target)


async def publish_environment(
    backend: Backend, target_environment_id: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    body = body or {}
    source, target = environments.publish_pair(
        wire.services()["backends"], backend.environment, target_environment_id, body.get("sourceEnvironmentId")
    )
    return publishing.publish(source, target, dry_run=bool(body.get("dryRun")), resources=body.get("resources"))
