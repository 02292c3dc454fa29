"""Workflows of one environment, as fixture data: preferences (and later the inbox) refer to them.

There is no workflow API in the mock yet; workflows come from the fixtures (or a test) through
``create``. A workflow is found by its ``identifier`` (the trigger id) or by its ``_id``.
"""

from __future__ import annotations

import random
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import Conflict, NotFound
from mock_server.store.ids import iso, now, object_id, parse_time
from mock_server.store.values import clone


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(hex_id: str) -> str:
    """The bytes of a hex id as a base-62 number (leading zero bytes as leading zeros), the
    encoding Novu's slugs end with."""
    raw = bytes.fromhex(hex_id)
    number = int.from_bytes(raw, "big")
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    zeros = len(raw) - len(raw.lstrip(b"\0"))
    return "0" * zeros + digits


def slugify(text: str) -> str:
    """Novu's slugify for names: accents dropped, ``&`` read as "and", camelCase split,
    lower case, every run of other characters one dash, a lone ``s``/``t`` after a dash
    joined back (possessives), no dash at either end."""
    text = unicodedata.normalize("NFKD", text.replace("&", " and ")).encode("ascii", "ignore").decode()
    text = re.sub(r"([A-Z]{2,})(\d+)", r"\1 \2", text)
    text = re.sub(r"([a-z\d]+)([A-Z]{2,})", r"\1 \2", text)
    text = re.sub(r"([a-z\d])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-rt-z\d]+)", r"\1 \2", text)
    text = re.sub(r"[^a-z\d]+", "-", text.lower())
    text = re.sub(r"([a-zA-Z\d]+)-([ts])(-|$)", r"\1\2\3", text)
    return re.sub(r"-{2,}", "-", text).strip("-")


@dataclass(slots=True)
class InAppTemplate:
    """What the in-app step of a workflow renders. Text may hold ``{{payload.x}}`` placeholders."""

    subject: str
    body: str
    avatar: str | None = None
    redirect_url: str | None = None
    primary_action: str | None = None
    secondary_action: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    # state-document form (camelCase, as the rest of the API)
    _FIELDS = (("subject", "subject"), ("body", "body"), ("avatar", "avatar"), ("redirectUrl", "redirect_url"),
               ("primaryAction", "primary_action"), ("secondaryAction", "secondary_action"))  # fmt: skip

    def to_record(self) -> dict[str, Any]:
        return {name: getattr(self, attribute) for name, attribute in self._FIELDS} | {"data": clone(self.data)}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "InAppTemplate":
        values = {attribute: record.get(name) for name, attribute in cls._FIELDS}
        return cls(**values, data=clone(record.get("data") or {}))


@dataclass(slots=True)
class Workflow:
    id: str
    identifier: str
    name: str
    # the channels the workflow's steps deliver on, in step order
    channels: list[str]
    critical: bool
    severity: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    # the workflow's own default per channel; a channel missing here delivers
    defaults: dict[str, bool] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    # what its in-app step renders; None renders the default (see InboxBackend.template_for)
    in_app: InAppTemplate | None = None

    def default_for(self, channel: str) -> bool:
        return self.defaults.get(channel, True)

    def info_dto(self) -> dict[str, Any]:
        """The short form subscriber preferences carry; the slug is Novu's
        ``<slugified name>_wf_<base-62 _id>``."""
        return {
            "slug": f"{slugify(self.name)}_wf_{base62(self.id)}",
            "identifier": self.identifier,
            "name": self.name,
            "updatedAt": iso(self.updated_at),
        }

    def preference_dto(self) -> dict[str, Any]:
        """The form the bulk preference answer carries."""
        return {
            "id": self.id,
            "identifier": self.identifier,
            "name": self.name,
            "critical": self.critical,
            "severity": self.severity,
            "tags": list(self.tags),
            "data": clone(self.data),
        }


class WorkflowsBackend:
    # The schema (admin document, components/schemas) each snapshot record is checked against on import.
    RECORD_SCHEMA = "WorkflowStateRecord"

    def __init__(self, environment_id: str, lock: threading.RLock) -> None:
        self.environment_id = environment_id
        self._lock = lock
        self._by_id: dict[str, Workflow] = {}
        self._by_identifier: dict[str, Workflow] = {}

    def list(self) -> list[Workflow]:
        with self._lock:
            return list(self._by_identifier.values())

    def get(self, workflow_id: str) -> Workflow:
        """By identifier first, then by ``_id``, as the real API accepts either."""
        with self._lock:
            workflow = self._by_identifier.get(workflow_id) or self._by_id.get(workflow_id)
        if workflow is None:
            raise NotFound(f"Workflow with id {workflow_id} not found")
        return workflow

    def create(
        self,
        *,
        identifier: str,
        name: str,
        channels: list[str],
        critical: bool = False,
        severity: str = "none",
        tags: list[str] | None = None,
        defaults: dict[str, bool] | None = None,
        data: dict[str, Any] | None = None,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> Workflow:
        with self._lock:
            if identifier in self._by_identifier:
                raise Conflict(f"Workflow with identifier {identifier} already exists")
            moment = created_at or now()
            workflow = Workflow(
                id=object_id(moment, rng),
                identifier=identifier,
                name=name,
                channels=list(dict.fromkeys(channels)),
                critical=critical,
                severity=severity,
                tags=list(tags or []),
                created_at=moment,
                updated_at=moment,
                defaults=dict(defaults or {}),
                data=clone(data or {}),
            )
            self._by_id[workflow.id] = workflow
            self._by_identifier[identifier] = workflow
            return workflow

    # -- state export / import ----------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "_id": workflow.id,
                    "identifier": workflow.identifier,
                    "name": workflow.name,
                    "channels": list(workflow.channels),
                    "critical": workflow.critical,
                    "severity": workflow.severity,
                    "tags": list(workflow.tags),
                    "defaults": dict(workflow.defaults),
                    "data": clone(workflow.data),
                    "inApp": workflow.in_app.to_record() if workflow.in_app else None,
                    "createdAt": iso(workflow.created_at),
                    "updatedAt": iso(workflow.updated_at),
                }
                for workflow in self._by_identifier.values()
            ]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every workflow by ``records`` (a ``snapshot()``; None empties the service).
        Every rule is checked before anything changes: ids and identifiers are unique."""
        by_id: dict[str, Workflow] = {}
        by_identifier: dict[str, Workflow] = {}
        for index, record in enumerate(records or []):
            if record["_id"] in by_id:
                raise Conflict(f"_id {record['_id']} is used by two workflows; ids must be unique")
            if record["identifier"] in by_identifier:
                raise Conflict(f"workflow identifier {record['identifier']} is used twice; it must be unique in the environment")
            created_at = parse_time(record["createdAt"], f"workflows.{index}.createdAt")
            updated_at = parse_time(record.get("updatedAt"), f"workflows.{index}.updatedAt") or created_at
            workflow = Workflow(
                id=record["_id"],
                identifier=record["identifier"],
                name=record["name"],
                channels=list(dict.fromkeys(record["channels"])),
                critical=record.get("critical", False),
                severity=record.get("severity") or "none",
                tags=list(record.get("tags") or []),
                created_at=created_at,
                updated_at=updated_at,
                defaults={k: v for k, v in (record.get("defaults") or {}).items() if isinstance(v, bool)},
                data=clone(record.get("data") or {}),
                in_app=InAppTemplate.from_record(record["inApp"]) if record.get("inApp") else None,
            )
            by_id[workflow.id] = workflow
            by_identifier[workflow.identifier] = workflow
        with self._lock:
            self._by_id, self._by_identifier = by_id, by_identifier
