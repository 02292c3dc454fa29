"""Layouts (v2): the email frame a workflow's email steps put their content in.

A layout is found by its identifier (``layoutId``), its ``_id`` or its slug. The first layout of
an environment (while it has no default) becomes its default, and the default cannot be deleted.
Its control values (``{"email": {"body", "editorType"}}``) are checked as Novu's upsert checks
them: an HTML body is a whole document, a block body is Maily JSON, and either holds the
``{{content}}`` variable the step's content goes into.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store.ids import iso, now, object_id, parse_time
from mock_server.store.resources import is_internal_id, slug_id, workflows_using_layout
from mock_server.store.values import clone
from mock_server.store.workflows import base62, slugify

_SEQUENCE = itertools.count()

CONTENT_VARIABLE = "content"
SLUG_MARKER = "_ly_"

# What Novu answers as a layout's controls: how its editor draws them and their JSON Schema.
UI_SCHEMA: dict[str, Any] = {
    "group": "LAYOUT",
    "properties": {
        "email": {
            "component": "LAYOUT_EMAIL",
            "properties": {
                "body": {"component": "EMAIL_BODY", "placeholder": ""},
                "editorType": {"component": "EMAIL_EDITOR_SELECT", "placeholder": "block"},
            },
        }
    },
}
DATA_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "email": {
            "type": "object",
            "properties": {
                "body": {"type": "string", "minLength": 1},
                "editorType": {"type": "string", "enum": ["block", "html"], "default": "block"},
                "container": {
                    "type": "object",
                    "properties": {
                        "maxWidth": {"type": "string"},
                        "align": {"type": "string", "enum": ["left", "center", "right"]},
                        "padding": {"type": "string"},
                        "backgroundColor": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
            "required": ["body"],
            "additionalProperties": False,
        }
    },
    "additionalProperties": False,
}
# The variables a layout may use: the subscriber's profile (a layout has no payload of its own).
_SUBSCRIBER_FIELDS = ("subscriberId", "firstName", "lastName", "email", "phone", "avatar", "locale", "timezone")
VARIABLES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "subscriber": {
            "type": "object",
            "properties": {name: {"type": "string"} for name in _SUBSCRIBER_FIELDS}
            | {"data": {"type": "object", "additionalProperties": True}},
            "additionalProperties": False,
        }
    },
    "additionalProperties": False,
}


@dataclass(slots=True)
class Layout:
    id: str
    identifier: str
    name: str
    is_default: bool
    translations_enabled: bool
    # the stored control values ({"email": {...}}); None: none stored
    controls: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    sequence: int = field(default_factory=lambda: next(_SEQUENCE))

    @property
    def slug(self) -> str:
        return f"{slugify(self.name)}{SLUG_MARKER}{base62(self.id)}"

    def sort_value(self, order_by: str) -> Any:
        value = {"updatedAt": self.updated_at, "name": self.name}.get(order_by, self.created_at)
        return value, self.sequence

    def dto(self, *, full: bool = True) -> dict[str, Any]:
        """``LayoutResponseDto``. A list item (``full=False``) carries neither the controls'
        schemas nor their values, and empty variables, as Novu's list does."""
        values = {"email": clone(self.controls["email"])} if full and self.controls and self.controls.get("email") else {}
        controls: dict[str, Any] = {"values": values}
        if full:
            controls = {"uiSchema": clone(UI_SCHEMA), "dataSchema": clone(DATA_SCHEMA), "values": values}
        return {
            "_id": self.id,
            "layoutId": self.identifier,
            "name": self.name,
            "slug": self.slug,
            "isDefault": self.is_default,
            "isTranslationEnabled": self.translations_enabled,
            "updatedAt": iso(self.updated_at),
            "createdAt": iso(self.created_at),
            "origin": "novu-cloud",
            "type": "BRIDGE",
            "variables": clone(VARIABLES_SCHEMA) if full else {},
            "controls": controls,
        }


# -- the body rules of Novu's upsert-layout ----------------------------------------------------


def maily_document(text: str) -> dict[str, Any] | None:
    """``text`` as a Maily (TipTap) document, or None when it is not one."""
    try:
        document = json.loads(text)
    except (ValueError, TypeError):
        return None
    if isinstance(document, dict) and document.get("type") == "doc" and isinstance(document.get("content"), list):
        return document
    return None


def _maily_has_variable(node: Any, name: str) -> bool:
    if isinstance(node, dict):
        attrs = node.get("attrs")
        if node.get("type") == "variable" and isinstance(attrs, dict) and attrs.get("id") == name:
            return True
        return any(_maily_has_variable(child, name) for child in node.get("content") or [] if isinstance(child, dict))
    return False


def _is_html_document(text: str) -> bool:
    return all(part in text for part in ("<html", "</html>", "<body", "</body>"))


_CONTENT_PLACEHOLDER = re.compile(r"\{\{\s*" + CONTENT_VARIABLE + r"\s*\}\}")


def check_controls(controls: dict[str, Any] | None) -> None:
    """Novu's upsert-layout checks of the email control values (400s)."""
    email = (controls or {}).get("email")
    if not isinstance(email, dict):
        return
    body, editor = email.get("body", ""), email.get("editorType")
    maily = maily_document(body)
    html = _is_html_document(body)
    if maily is None and not html:
        raise BadRequest("Content must be a valid HTML content" if editor == "html" else "Content must be a valid Maily JSON content")
    if editor == "html" and not html:
        raise BadRequest("Content must be a valid HTML content")
    if editor == "block" and maily is None:
        raise BadRequest("Content must be a valid Maily JSON content")
    has_content = _maily_has_variable(maily, CONTENT_VARIABLE) if maily is not None else bool(_CONTENT_PLACEHOLDER.search(body))
    if not has_content:
        issue = {"message": f'The layout body should contain the "{CONTENT_VARIABLE}" variable', "issueType": "MISSING_VALUE"}
        raise BadRequest("Layout has validation issues", extra={"controls": {"email.body": [issue]}})


_UNSET: Any = object()


class LayoutsBackend:
    # The spec schema each snapshot record is checked against on import.
    RECORD_SCHEMA = "LayoutStateRecord"

    def __init__(self, environment_id: str, lock: threading.RLock, *, workflows: Any = None) -> None:
        self.environment_id = environment_id
        self._lock = lock
        self._workflows = workflows
        self._by_id: dict[str, Layout] = {}
        self._by_identifier: dict[str, Layout] = {}
        # called with each deleted layout (translations drop theirs; a workflows service may
        # unset the steps' layoutId, as Novu's delete does)
        self.removal_listeners: list[Callable[[Layout], None]] = []

    # -- reading -------------------------------------------------------------------------------

    def find(self, key: str) -> Layout | None:
        """The layout ``key`` names, as Novu's ParseSlugIdPipe and get-layout read it: a Mongo id
        is an ``_id``, a slug ends with the base-62 ``_id``, anything else is an identifier."""
        with self._lock:
            if is_internal_id(key):
                return self._by_id.get(key.lower())
            internal = slug_id(key, SLUG_MARKER)
            by_slug = self._by_id.get(internal) if internal is not None else None
            return by_slug or self._by_identifier.get(key)

    def get(self, key: str) -> Layout:
        layout = self.find(key)
        if layout is None:
            raise NotFound(f"Layout not found for id {key} in the environment {self.environment_id}")
        return layout

    def all(self) -> list[Layout]:
        with self._lock:
            return list(self._by_id.values())

    def default(self) -> Layout | None:
        with self._lock:
            return next((layout for layout in self._by_id.values() if layout.is_default), None)

    def list(
        self, *, offset: int = 0, limit: int = 50, order_by: str = "createdAt", direction: str = "DESC",
        query: str | None = None,
    ) -> tuple[list[Layout], int]:  # fmt: skip
        """One page of layouts and how many match: ``query`` keeps those whose name or identifier
        contains it (any case)."""
        needle = (query or "").lower()
        with self._lock:
            kept = [
                layout
                for layout in self._by_id.values()
                if not needle or needle in layout.name.lower() or needle in layout.identifier.lower()
            ]
        kept.sort(key=lambda layout: layout.sort_value(order_by), reverse=direction == "DESC")
        return kept[offset : offset + limit], len(kept)

    def usage(self, key: str) -> list[dict[str, str]]:
        layout = self.get(key)
        return workflows_using_layout(self._workflows, {layout.identifier, layout.id})

    # -- writing -------------------------------------------------------------------------------

    def create(
        self,
        *,
        name: str,
        layout_id: str | None = None,
        translations_enabled: bool = False,
        controls: Any = _UNSET,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> Layout:
        """A new layout; an empty ``layout_id`` is derived from the name. The first layout of an
        environment without a default becomes the default."""
        if controls is not _UNSET:
            check_controls(controls)
        identifier = layout_id or slugify(name)
        with self._lock:
            if identifier in self._by_identifier:
                raise Conflict(
                    f"Layout with identifier: {identifier} already exists under environment {self.environment_id}"
                )
            moment = created_at or now()
            layout = Layout(
                id=object_id(moment, rng),
                identifier=identifier,
                name=name,
                is_default=self.default() is None,
                translations_enabled=translations_enabled,
                controls=clone(controls) if controls is not _UNSET and controls is not None else None,
                created_at=moment,
                updated_at=moment,
            )
            self._by_id[layout.id] = layout
            self._by_identifier[identifier] = layout
            return layout

    def update(self, key: str, *, name: str, translations_enabled: bool = False, controls: Any = _UNSET) -> Layout:
        """Novu's PUT: the body is checked first, then the layout looked up. ``controls`` left out
        keeps the stored values, None clears them, anything else replaces them."""
        if controls is not _UNSET:
            check_controls(controls)
        with self._lock:
            layout = self.get(key)
            layout.name = name
            layout.translations_enabled = translations_enabled
            if controls is not _UNSET:
                layout.controls = clone(controls) if controls is not None else None
            layout.updated_at = now()
            return layout

    def duplicate(
        self, key: str, *, name: str, layout_id: str | None = None, translations_enabled: bool = False
    ) -> Layout:
        """A new layout with the original's control values, named ``name``."""
        with self._lock:
            original = self.get(key)
            return self.create(
                name=name,
                layout_id=layout_id,
                translations_enabled=translations_enabled,
                controls=clone(original.controls) if original.controls is not None else _UNSET,
            )

    def delete(self, key: str) -> Layout:
        with self._lock:
            layout = self.get(key)
            if layout.is_default:
                raise Conflict(f"Layout with id {key} is being used as a default layout, it can not be deleted")
            del self._by_id[layout.id]
            del self._by_identifier[layout.identifier]
            for listener in list(self.removal_listeners):
                listener(layout)
            return layout

    # -- state export / import -----------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            records = []
            for layout in self._by_id.values():
                record: dict[str, Any] = {
                    "_id": layout.id,
                    "layoutId": layout.identifier,
                    "name": layout.name,
                    "isDefault": layout.is_default,
                    "isTranslationEnabled": layout.translations_enabled,
                    "createdAt": iso(layout.created_at),
                    "updatedAt": iso(layout.updated_at),
                }
                if layout.controls is not None:
                    record["controlValues"] = clone(layout.controls)
                records.append(record)
            return records

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every layout by ``records`` (a ``snapshot()``; None empties the service). Ids and
        identifiers are unique, at most one layout is the default, control values pass the API's checks."""
        by_id: dict[str, Layout] = {}
        by_identifier: dict[str, Layout] = {}
        for index, record in enumerate(records or []):
            if not is_internal_id(record["_id"]):
                raise Conflict(f"layouts.{index}._id: {record['_id']} is not a 24-character hexadecimal id")
            if record["_id"].lower() in by_id:
                raise Conflict(f"_id {record['_id']} is used by two layouts; ids must be unique")
            if record["layoutId"] in by_identifier:
                raise Conflict(f"layoutId {record['layoutId']} is used twice; it must be unique in the environment")
            controls = record.get("controlValues")
            try:
                check_controls(controls)
            except BadRequest as refused:
                raise Conflict(f"layouts.{index}.controlValues: {refused.message} (layout {record['layoutId']})") from None
            created_at = parse_time(record["createdAt"], f"layouts.{index}.createdAt")
            layout = Layout(
                id=record["_id"].lower(),
                identifier=record["layoutId"],
                name=record["name"],
                is_default=bool(record.get("isDefault")),
                translations_enabled=bool(record.get("isTranslationEnabled")),
                controls=clone(controls) if controls is not None else None,
                created_at=created_at,
                updated_at=parse_time(record.get("updatedAt"), f"layouts.{index}.updatedAt") or created_at,
            )
            by_id[layout.id] = layout
            by_identifier[layout.identifier] = layout
        if sum(layout.is_default for layout in by_id.values()) > 1:
            raise Conflict("more than one layout is the default; an environment has one default layout")
        with self._lock:
            self._by_id, self._by_identifier = by_id, by_identifier
