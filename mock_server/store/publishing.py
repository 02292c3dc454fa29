"""Diff and publish of workflows between two environments (Novu's environments-v2 sync).

Built on the workflows service's generic ``snapshot()`` / ``restore()`` records only, so it
follows whatever a workflow record holds: a workflow is known across environments by its
trigger identifier (``workflowId``, or ``identifier``), and two workflows differ when their
records differ outside what is the environment's own (ids, times, slugs, who changed them).
Records with a ``steps`` list are compared step by step (by ``stepId``), as Novu does.

Publish copies the source's workflows into the target: a workflow the target lacks is created
(new ids), one that differs is replaced (the target's ids kept, so what refers to it stays
valid), an equal one is skipped, and an active target workflow the source lacks is deleted.
"""

from __future__ import annotations

from typing import Any

from mock_server.store import Backend
from mock_server.store.ids import iso, now, object_id
from mock_server.store.values import clone

# fields that belong to one environment's copy of a workflow, not to what publish carries
OWN_FIELDS = frozenset({
    "_id", "id", "_environmentId", "_organizationId", "createdAt", "updatedAt", "slug", "updatedBy",
    "_updatedBy", "_creatorId", "lastTriggeredAt", "lastPublishedAt", "lastPublishedBy", "issues", "status",
    "origin", "steps",
})  # fmt: skip
STEP_OWN_FIELDS = frozenset({
    "_id", "id", "stepInternalId", "_templateId", "slug", "issues", "workflowInternalId", "workflowId",
    "origin", "createdAt", "updatedAt",
})  # fmt: skip
DRY_RUN = "Dry run mode"
NO_CHANGES = "No changes detected"


def workflow_key(record: dict[str, Any]) -> str:
    return str(record.get("workflowId") or record.get("identifier") or record.get("_id"))


def _fields(record: dict[str, Any], own: frozenset[str]) -> dict[str, Any]:
    return {name: value for name, value in record.items() if name not in own}


def _steps(record: dict[str, Any]) -> list[dict[str, Any]]:
    steps = record.get("steps")
    return [step for step in steps if isinstance(step, dict)] if isinstance(steps, list) else []


def _step_key(step: dict[str, Any], index: int) -> str:
    return str(step.get("stepId") or step.get("name") or index)


def _info(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "id": workflow_key(record),
        "name": record.get("name"),
        "updatedBy": None,
        "updatedAt": record.get("updatedAt"),
    }


def _step_info(step: dict[str, Any] | None, index: int) -> dict[str, Any] | None:
    if step is None:
        return None
    return {"id": _step_key(step, index), "name": step.get("name")}


def _changed(previous: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    names = [name for name in {**previous, **new} if previous.get(name) != new.get(name)]
    if not names:
        return None
    return {name: previous.get(name) for name in names}, {name: new.get(name) for name in names}


def _step_changes(source: dict[str, Any], target: dict[str, Any]) -> list[dict[str, Any]]:
    source_steps = {_step_key(step, index): (index, step) for index, step in enumerate(_steps(source))}
    target_steps = {_step_key(step, index): (index, step) for index, step in enumerate(_steps(target))}
    changes: list[dict[str, Any]] = []
    for key, (index, step) in source_steps.items():
        base = {"resourceType": "step", **({"stepType": step["type"]} if step.get("type") else {})}
        if key not in target_steps:
            changes.append({**base, "sourceResource": _step_info(step, index), "targetResource": None,
                            "action": "added", "newIndex": index,
                            "diffs": {"previous": None, "new": _fields(step, STEP_OWN_FIELDS)}})  # fmt: skip
            continue
        old_index, old = target_steps[key]
        changed = _changed(_fields(old, STEP_OWN_FIELDS), _fields(step, STEP_OWN_FIELDS))
        if changed is not None:
            changes.append({**base, "sourceResource": _step_info(step, index), "targetResource": _step_info(old, old_index),
                            "action": "modified", "previousIndex": old_index, "newIndex": index,
                            "diffs": {"previous": changed[0], "new": changed[1]}})  # fmt: skip
        elif old_index != index:
            changes.append({**base, "sourceResource": _step_info(step, index), "targetResource": _step_info(old, old_index),
                            "action": "moved", "previousIndex": old_index, "newIndex": index})  # fmt: skip
    for key, (index, step) in target_steps.items():
        if key not in source_steps:
            changes.append({"resourceType": "step", **({"stepType": step["type"]} if step.get("type") else {}), "sourceResource": None,
                            "targetResource": _step_info(step, index), "action": "deleted", "previousIndex": index,
                            "diffs": {"previous": _fields(step, STEP_OWN_FIELDS), "new": None}})  # fmt: skip
    return changes


def _summary(changes: list[dict[str, Any]]) -> dict[str, int]:
    summary = {"added": 0, "modified": 0, "deleted": 0, "unchanged": 0}
    for change in changes:
        action = change["action"]
        summary["modified" if action == "moved" else action] += 1
    return summary


def _workflow_changes(source: dict[str, Any], target: dict[str, Any]) -> list[dict[str, Any]]:
    changes = []
    changed = _changed(_fields(target, OWN_FIELDS), _fields(source, OWN_FIELDS))
    if changed is not None:
        changes.append({"resourceType": "workflow", "sourceResource": _info(source), "targetResource": _info(target),
                        "action": "modified", "diffs": {"previous": changed[0], "new": changed[1]}})  # fmt: skip
    return changes + _step_changes(source, target)


def _records(backend: Backend) -> dict[str, dict[str, Any]]:
    with backend.lock:
        return {workflow_key(record): record for record in backend.workflows.snapshot()}


def diff(source: Backend, target: Backend) -> dict[str, Any]:
    """Novu's DiffEnvironmentResponseDto: one resource per workflow that publish would change."""
    source_records, target_records = _records(source), _records(target)
    resources: list[dict[str, Any]] = []
    for key, record in source_records.items():
        other = target_records.get(key)
        if other is None:
            changes = [{"resourceType": "workflow", "sourceResource": _info(record), "targetResource": None,
                        "action": "added"}]  # fmt: skip
        else:
            changes = _workflow_changes(record, other)
            if not changes:
                continue
        resources.append({"resourceType": "workflow", "sourceResource": _info(record), "targetResource": _info(other),
                          "changes": changes, "summary": _summary(changes)})  # fmt: skip
    for key, record in target_records.items():
        if key not in source_records:
            changes = [{"resourceType": "workflow", "sourceResource": None, "targetResource": _info(record),
                        "action": "deleted"}]  # fmt: skip
            resources.append({"resourceType": "workflow", "sourceResource": None, "targetResource": _info(record),
                              "changes": changes, "summary": _summary(changes)})  # fmt: skip
    total = sum(resource["summary"][name] for resource in resources for name in ("added", "modified", "deleted"))
    return {
        "sourceEnvironmentId": source.environment.id,
        "targetEnvironmentId": target.environment.id,
        "resources": resources,
        "summary": {"totalEntities": len(resources), "totalChanges": total, "hasChanges": total > 0},
    }


def _entity(record: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "workflow",
        "resourceId": workflow_key(record),
        "resourceName": record.get("name") or "",
        **extra,
    }


def _fresh_ids(value: Any, kept: dict[str, Any] | None = None) -> Any:
    """A copy of a source step list with the target's ``_id``s (by stepId) or new ones."""
    copied = clone(value)
    if not isinstance(copied, list):
        return copied
    kept_steps = {_step_key(step, index): step for index, step in enumerate(_steps(kept or {}))}
    for index, step in enumerate(copied):
        if isinstance(step, dict) and "_id" in step:
            old = kept_steps.get(_step_key(step, index))
            step["_id"] = old["_id"] if old and "_id" in old else object_id(now())
    return copied


def _copy_for(source: dict[str, Any], target_environment_id: str, kept: dict[str, Any] | None) -> dict[str, Any]:
    record = clone(source)
    moment = iso(now())
    record["_id"] = kept["_id"] if kept else object_id(now())
    if "_environmentId" in record:
        record["_environmentId"] = target_environment_id
    if "createdAt" in record:
        record["createdAt"] = kept.get("createdAt", moment) if kept else moment
    if "updatedAt" in record:
        record["updatedAt"] = moment
    if "steps" in record:
        record["steps"] = _fresh_ids(record["steps"], kept)
    return record


def publish(source: Backend, target: Backend, *, dry_run: bool = False,
            resources: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    """Novu's PublishEnvironmentResponseDto; ``resources`` limits it to those workflows."""
    wanted = None if resources is None else {item["resourceId"] for item in resources}
    successful: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    source_records = {key: record for key, record in _records(source).items() if wanted is None or key in wanted}
    if dry_run:
        skipped = [_entity(record, reason=DRY_RUN) for record in source_records.values()]
    else:
        with target.lock:
            target_records = {workflow_key(record): record for record in target.workflows.snapshot()}
            result: dict[str, dict[str, Any]] = {}
            for key, record in target_records.items():
                if key in source_records or wanted is not None and key not in wanted:
                    result[key] = record
                elif record.get("active", True) is False:
                    result[key] = record  # Novu leaves an inactive workflow the source lacks alone
                else:
                    successful.append(_entity(record, action="deleted"))
            for key, record in source_records.items():
                other = target_records.get(key)
                if other is not None and not _workflow_changes(record, other):
                    skipped.append(_entity(record, reason=NO_CHANGES))
                    continue
                result[key] = _copy_for(record, target.environment.id, other)
                successful.append(_entity(record, action="updated" if other is not None else "created"))
            # deletions are reported after the syncs, as Novu runs them
            successful.sort(key=lambda entity: entity["action"] == "deleted")
            target.workflows.restore(list(result.values()))
    result_dto = {
        "resourceType": "workflow",
        "successful": successful,
        "failed": [],
        "skipped": skipped,
        "totalProcessed": len(successful) + len(skipped),
    }
    return {
        "results": [result_dto],
        "summary": {
            "resources": result_dto["totalProcessed"],
            "successful": len(successful),
            "failed": 0,
            "skipped": len(skipped),
        },
    }
