"""Workflows v2 (Novu's WorkflowController): create, search, get, update, patch, delete, sync to
another environment, a step's data and a step's preview."""

from __future__ import annotations

from typing import Any

from mock_server.errors import NotFound
from mock_server.store import Backend


async def create(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.workflows.create_from_request(body).to_dto()


async def search_workflows(
    backend: Backend,
    offset: float | None = None,
    limit: float | None = None,
    order_direction: str | None = None,
    order_by: str | None = None,
    query: str | None = None,
    tags: list[str] | None = None,
    status: list[str] | None = None,
) -> dict[str, Any]:
    # Novu's controller: Number(offset || '0'), Number(limit || '50'), DESC by createdAt
    workflows, total = backend.workflows.search(
        query=query,
        tags=tags,
        status=status,
        order_by=order_by or "createdAt",
        direction=order_direction or "DESC",
        offset=int(offset or 0),
        limit=int(limit or 50),
    )
    return {"workflows": [workflow.to_list_dto() for workflow in workflows], "totalCount": total}


async def get_workflow(backend: Backend, workflow_id: str, environment_id: str | None = None) -> dict[str, Any]:
    if environment_id and environment_id != backend.environment.id:
        # Novu reads the workflow of the environment named; the mock only of its organization's
        other = backend.peer(environment_id)
        if other is None:
            raise NotFound("Workflow cannot be found", extra={"workflowId": workflow_id})
        backend = other
    return backend.workflows.find(workflow_id).to_dto()


async def update(backend: Backend, workflow_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.workflows.update(workflow_id, body).to_dto()


async def patch_workflow(backend: Backend, workflow_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.workflows.patch(workflow_id, body).to_dto()


async def remove_workflow(backend: Backend, workflow_id: str) -> None:
    backend.workflows.delete(workflow_id)


async def sync(backend: Backend, workflow_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.sync_workflow(workflow_id, body["targetEnvironmentId"]).to_dto()


async def get_workflow_step_data(backend: Backend, workflow_id: str, step_id: str) -> dict[str, Any]:
    return backend.workflows.step_data(workflow_id, step_id)


async def generate_preview(backend: Backend, workflow_id: str, step_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.workflows.preview(workflow_id, step_id, body, secret_key=backend.environment.api_key)
