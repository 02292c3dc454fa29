"""Layouts v2: the email frames of an environment (LayoutsController)."""

from __future__ import annotations

from typing import Any

from mock_server.store import Backend
from mock_server.store.layout_preview import preview

_ABSENT: Any = object()


async def create(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    layout = backend.layouts.create(
        name=body["name"], layout_id=body["layoutId"], translations_enabled=body.get("isTranslationEnabled", False)
    )
    return layout.dto()


async def list(  # noqa: A001 - Novu's operation is LayoutsController_list
    backend: Backend,
    limit: float = 50,
    offset: float = 0,
    order_direction: str = "DESC",
    order_by: str = "createdAt",
    query: str | None = None,
) -> dict[str, Any]:
    layouts, total = backend.layouts.list(offset=int(offset), limit=int(limit), order_by=order_by, direction=order_direction, query=query)
    return {"layouts": [layout.dto(full=False) for layout in layouts], "totalCount": total}


async def get(backend: Backend, layout_id: str) -> dict[str, Any]:
    return backend.layouts.get(layout_id).dto()


async def update(backend: Backend, layout_id: str, body: dict[str, Any]) -> dict[str, Any]:
    layout = backend.layouts.update(
        layout_id,
        name=body["name"],
        translations_enabled=body.get("isTranslationEnabled", False),
        **({"controls": body["controlValues"]} if "controlValues" in body else {}),
    )
    return layout.dto()


async def _delete(backend: Backend, layout_id: str) -> None:
    backend.layouts.delete(layout_id)


async def duplicate(backend: Backend, layout_id: str, body: dict[str, Any]) -> dict[str, Any]:
    layout = backend.layouts.duplicate(
        layout_id,
        name=body["name"],
        layout_id=body.get("layoutId"),
        translations_enabled=body.get("isTranslationEnabled", False),
    )
    return layout.dto()


async def generate_preview(backend: Backend, layout_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    body = body or {}
    return preview(backend.layouts.get(layout_id), body.get("controlValues"), body.get("previewPayload"))


async def get_usage(backend: Backend, layout_id: str) -> dict[str, Any]:
    return {"workflows": backend.layouts.usage(layout_id)}
