"""Workflows of one environment, as fixture data: preferences (and later the inbox) refer to them.

There is no workflow API in the mock yet; workflows come from the fixtures (or a test) through
``create``. A workflow is found by its ``identifier`` (the trigger id) or by its ``_id``.
"""

from __future__ import annotations

import copy
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import Conflict, NotFound
from mock_server.store.ids import iso, now, object_id


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

    def default_for(self, channel: str) -> bool:
        return self.defaults.get(channel, True)

    def info_dto(self) -> dict[str, Any]:
        """The short form subscriber preferences carry."""
        return {"slug": self.identifier, "identifier": self.identifier, "name": self.name, "updatedAt": iso(self.updated_at)}

    def preference_dto(self) -> dict[str, Any]:
        """The form the bulk preference answer carries."""
        return {
            "id": self.id,
            "identifier": self.identifier,
            "name": self.name,
            "critical": self.critical,
            "severity": self.severity,
            "tags": list(self.tags),
            "data": copy.deepcopy(self.data),
        }


class WorkflowsBackend:
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
                data=copy.deepcopy(data or {}),
            )
            self._by_id[workflow.id] = workflow
            self._by_identifier[identifier] = workflow
            return workflow
