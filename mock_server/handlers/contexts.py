"""Contexts v2 (``ContextsController_*``): contexts by type and id. Connexion passes the
``type`` and ``id`` parameters as ``type_`` and ``id_`` (names of Python builtins)."""

from __future__ import annotations

from typing import Any

from mock_server.handlers.channel_connections import cursor_query
from mock_server.store import Backend


async def create_context(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.contexts.create(body["type"], body["id"], body.get("data")).to_dto()


async def list_contexts(
    backend: Backend,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    type_: str | None = None,
    id_: str | None = None,
    search: str | None = None,
) -> dict[str, Any]:
    query = cursor_query(after, before, limit, order_by, order_direction, include_cursor)
    return backend.contexts.list(query, context_type=type_, context_id=id_, search=search)


async def get_context(backend: Backend, type_: str, id_: str) -> dict[str, Any]:
    return backend.contexts.get(type_, id_).to_dto()


async def update_context(backend: Backend, type_: str, id_: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.contexts.update(type_, id_, body["data"]).to_dto()


async def delete_context(backend: Backend, type_: str, id_: str) -> None:
    backend.contexts.delete(type_, id_)
