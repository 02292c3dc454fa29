"""What layouts and translations need to know about workflows, read through a tolerant accessor.

Layouts ask which workflows' steps name a layout (``GET /v2/layouts/{id}/usage``); translations
ask whether a workflow exists, what it is called and whether its translations are enabled. The
workflows service answers through its public surface only: ``get(id)`` and ``snapshot()`` (the
JSON records of a state document). Field names are read in every spelling a workflows record
has had (``identifier`` / ``workflowId`` / ``triggers[0].identifier``, ``controls`` /
``controlValues``), so the workflows service can change its records without this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from mock_server.errors import NovuError


@dataclass(frozen=True, slots=True)
class WorkflowRef:
    id: str | None
    workflow_id: str  # the identifier a trigger names
    name: str
    translations_enabled: bool


def _read(source: Any, *names: str) -> Any:
    for name in names:
        value = source.get(name) if isinstance(source, dict) else getattr(source, name, None)
        if value is not None:
            return value
    return None


def _workflow_id(source: Any) -> str | None:
    found = _read(source, "workflowId", "identifier", "workflow_id")
    if isinstance(found, str):
        return found
    triggers = _read(source, "triggers")
    if isinstance(triggers, list) and triggers:
        trigger = _read(triggers[0], "identifier")
        return trigger if isinstance(trigger, str) else None
    return None


def _ref(source: Any) -> WorkflowRef | None:
    workflow_id = _workflow_id(source)
    if workflow_id is None:
        return None
    internal = _read(source, "_id", "id")
    enabled = _read(source, "isTranslationEnabled", "is_translation_enabled", "translations_enabled")
    return WorkflowRef(
        id=internal if isinstance(internal, str) else None,
        workflow_id=workflow_id,
        name=str(_read(source, "name") or workflow_id),
        translations_enabled=bool(enabled),
    )


def _records(workflows: Any) -> list[Any]:
    snapshot = getattr(workflows, "snapshot", None)
    records = snapshot() if callable(snapshot) else None
    if isinstance(records, dict):  # a service that exports {id: record}
        records = list(records.values())
    return list(records or [])


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_HEX_ID_LENGTH = 24


def is_internal_id(value: str) -> bool:
    """A Mongo id: 24 hexadecimal characters."""
    return len(value) == _HEX_ID_LENGTH and all(character in "0123456789abcdefABCDEF" for character in value)


def slug_id(value: str, marker: str) -> str | None:
    """The internal id a slug ``<name><marker><base-62 id>`` (``_wf_``, ``_ly_``) ends with, or None."""
    _, found, encoded = value.rpartition(marker)
    if not found or not encoded or any(character not in _BASE62 for character in encoded):
        return None
    number = 0
    for character in encoded:
        number = number * 62 + _BASE62.index(character)
    if number >= 1 << 96:
        return None
    return f"{number:024x}"


def find_workflow(workflows: Any, key: str) -> WorkflowRef | None:
    """The workflow ``key`` names (its identifier, ``_id`` or slug), or None."""
    if workflows is None:
        return None
    get = getattr(workflows, "get", None)
    if callable(get):
        for candidate in dict.fromkeys(filter(None, (key, slug_id(key, "_wf_")))):
            try:
                found = get(candidate)
            except (NovuError, LookupError):
                found = None
            if found is not None and (ref := _ref(found)) is not None:
                return ref
    for record in _records(workflows):
        ref = _ref(record)
        if ref is not None and key in (ref.workflow_id, ref.id, _read(record, "slug")):
            return ref
    return None


def _layout_ids(node: Any) -> Iterator[str]:
    """Every ``layoutId`` value anywhere in a record (step controls, control values)."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "layoutId" and isinstance(value, str):
                yield value
            else:
                yield from _layout_ids(value)
    elif isinstance(node, list):
        for item in node:
            yield from _layout_ids(item)


def workflows_using_layout(workflows: Any, layout_keys: set[str]) -> list[dict[str, str]]:
    """``WorkflowInfoDto``s (name, workflowId) of the workflows whose steps name one of
    ``layout_keys`` (a layout's identifier and ``_id``) as their ``layoutId``, in store order."""
    used = []
    for record in _records(workflows) if workflows is not None else ():
        if layout_keys.intersection(_layout_ids(record)):
            ref = _ref(record)
            if ref is not None:
                used.append({"name": ref.name, "workflowId": ref.workflow_id})
    return used


def workflow_refs(workflows: Any) -> list[WorkflowRef]:
    return [ref for ref in map(_ref, _records(workflows) if workflows is not None else ()) if ref is not None]
