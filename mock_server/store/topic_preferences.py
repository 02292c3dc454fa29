"""The workflow preferences of a topic subscription, as Novu resolves them.

A subscription keeps the preference items it was given: a workflow id, ``{workflowId, enabled,
condition}`` or a group filter ``{filter: {workflowIds, tags}, enabled, condition}``. The items name
workflows (by id, identifier or the tags of active workflows), and each named workflow takes its
setting from the FIRST item that defines it (Novu's CreateSubscriptionPreferences and its
findPreferenceFilterDefinition): a string or ``{workflowId}`` by id, a filter by its tags when it
has tags, else by its workflowIds. A workflow named only by a filter whose tags miss it keeps its
defaults (no condition; enabled as the workflow's own preferences say, by default yes).

At trigger time (``lets_through``) a subscription's setting for the workflow decides whether the
trigger reaches its subscriber through it: a condition, when there is one, decides alone (JSONLogic
over ``{payload}``); otherwise ``enabled``. A workflow the items do not name is let through.
"""

from __future__ import annotations

from typing import Any

from mock_server.store import json_logic
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


def setting(item: Any, workflow: Workflow) -> tuple[bool, Any]:
    """(enabled, condition) of the workflow's defining item (None: no item defines it). An item
    that does not say ``enabled`` (a plain workflow id included) takes the workflow's own: Novu's
    CreateSubscriptionPreferences reads it from the workflow's preferences (GetPreferences without
    the subscriber's), where ``all.enabled`` is true unless the workflow turned it off."""
    enabled = item.get("enabled") if isinstance(item, dict) else None
    if enabled is None:
        own = workflow.user_preferences or workflow.default_preferences
        enabled = (own.get("all") or {}).get("enabled", True)
    return bool(enabled), item.get("condition") if isinstance(item, dict) else None


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
        enabled, condition = setting(item, workflow)
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
    enabled, condition = setting(item, workflow)
    channels = item.get("channels") if isinstance(item, dict) else None
    found: dict[str, Any] = {"enabled": enabled, "channels": dict(channels or {})}
    if condition is not None:
        found["condition"] = clone(condition)
    return found


def lets_through(workflows: list[Workflow], items: list[Any], workflow: Workflow, payload: dict[str, Any]) -> bool:
    """Whether a trigger of ``workflow`` with ``payload`` reaches the subscriber through a
    subscription holding ``items``, as Novu's worker decides it (SubscriberJobBound's
    evaluateSubscriptionPreferences): no preference for the workflow lets it through; a condition
    (any value but null) decides alone, evaluated over ``{"payload": payload}`` and holding only
    when it gives ``true``; without one, ``enabled`` decides."""
    resolved = resolve(workflows, items).get(workflow.id)
    if resolved is None:
        return True
    enabled, condition = setting(resolved[1], workflow)
    if condition is not None:
        return json_logic.holds(condition, {"payload": payload})
    return enabled
