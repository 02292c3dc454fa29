"""The workflow preferences of a topic subscription, as Novu resolves them.

A subscription keeps the preference items it was given: a workflow id, ``{workflowId, enabled,
condition}`` or a group filter ``{filter: {workflowIds, tags}, enabled, condition}``. The items name
workflows (by id, identifier or the tags of active workflows), and each named workflow takes its
setting from the FIRST item that defines it (Novu's CreateSubscriptionPreferences and its
findPreferenceFilterDefinition): a string or ``{workflowId}`` by id, a filter by its tags when it
has tags, else by its workflowIds. A workflow named only by a filter whose tags miss it keeps its
defaults (enabled, no condition).
"""

from __future__ import annotations

from typing import Any

from mock_server.store.values import clone
from mock_server.store.workflows import Workflow


def named(workflows: list[Workflow], item: Any) -> list[Workflow]:
    """The workflows one preference item names (Novu's validateAndFetchWorkflows)."""
    if isinstance(item, str):
        return [w for w in workflows if item in (w.identifier, w.id)]
    if "workflowId" in item:
        return [w for w in workflows if item["workflowId"] in (w.identifier, w.id)]
    wanted = item.get("filter") or {}
    ids, tags = set(wanted.get("workflowIds") or []), set(wanted.get("tags") or [])
    return [w for w in workflows if w.identifier in ids or w.id in ids or (w.active and tags.intersection(w.tags))]


def defines(item: Any, workflow: Workflow) -> bool:
    """Whether ``item`` gives ``workflow`` its setting. A filter with tags defines only the
    workflows carrying one of them, whatever its workflowIds."""
    names = (workflow.identifier, workflow.id)
    if isinstance(item, str):
        return item in names
    if "workflowId" in item:
        return item["workflowId"] in names
    wanted = item.get("filter") or {}
    if wanted.get("tags"):
        return bool(set(wanted["tags"]).intersection(workflow.tags))
    return any(workflow_id in names for workflow_id in wanted.get("workflowIds") or [])


def names_only(item: Any, workflow: Workflow) -> bool:
    """Whether ``item`` names exactly this workflow (a string or ``{workflowId}`` item)."""
    if isinstance(item, str):
        return item in (workflow.identifier, workflow.id)
    return "workflowId" in item and item["workflowId"] in (workflow.identifier, workflow.id)


def setting(item: Any) -> tuple[bool, Any]:
    """(enabled, condition) of a defining item; None (no item defines the workflow): enabled and
    no condition, the workflow's default."""
    if not isinstance(item, dict):
        return True, None
    enabled = item.get("enabled")
    return (True if enabled is None else bool(enabled)), item.get("condition")


def resolve(workflows: list[Workflow], items: list[Any]) -> dict[str, tuple[Workflow, Any]]:
    """Workflow id -> (workflow, its defining item or None), in the order the items first name them."""
    found: dict[str, Workflow] = {}
    for item in items:
        for workflow in named(workflows, item):
            found.setdefault(workflow.id, workflow)
    return {
        workflow_id: (workflow, next((item for item in items if defines(item, workflow)), None))
        for workflow_id, workflow in found.items()
    }


def answers(workflows: list[Workflow], items: list[Any], subscription_identifier: str) -> list[dict[str, Any]]:
    """SubscriptionPreferenceDto of every workflow the items name. Novu's mappers name the
    subscription of a preference by its identifier, not its ``_id``."""
    dtos: list[dict[str, Any]] = []
    for workflow, item in resolve(workflows, items).values():
        enabled, condition = setting(item)
        dto: dict[str, Any] = {"subscriptionId": subscription_identifier, "workflow": workflow.preference_dto(),
                               "enabled": enabled}  # fmt: skip
        if condition is not None:
            dto["condition"] = clone(condition)
        dtos.append(dto)
    return dtos


def of_workflow(workflows: list[Workflow], items: list[Any], workflow: Workflow) -> dict[str, Any] | None:
    """What the items say of ``workflow``: ``{enabled, condition?, channels}`` from its defining
    item, or None when no item names it."""
    resolved = resolve(workflows, items).get(workflow.id)
    if resolved is None:
        return None
    item = resolved[1]
    enabled, condition = setting(item)
    channels = item.get("channels") if isinstance(item, dict) else None
    found: dict[str, Any] = {"enabled": enabled, "channels": dict(channels or {})}
    if condition is not None:
        found["condition"] = clone(condition)
    return found
