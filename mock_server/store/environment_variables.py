"""Environment variables: records of the organization, a value per environment.

Novu keeps one record per key in the organization (``_organizationId``, ``key``, ``type``,
``isSecret``) with a list of ``values``, one per ``_environmentId``. An API key sees and changes
only its own environment's value (Novu's API-key scoping of 2026): lists and reads show the
record with the caller's value alone, a write naming another environment is 403, a delete takes
the caller's value away and the record with the last value.

So the records live in ``OrganizationVariables`` (one per organization, shared by the
environments of that organization and by nothing else), and each environment's ``Backend`` has an
``EnvironmentVariablesBackend``: its view of them, the service the API, the state export and the
state file use. Its ``snapshot()`` lists the records this environment gives a value (and those
no environment gives one), each with this environment's value; ``restore()`` sets this
environment's values and the records' own fields, leaving the other environments' values alone.
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mock_server.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed, field_error
from mock_server.store.ids import iso, now, object_id, parse_time

# what Novu shows instead of a secret value (SECRET_MASK of @novu/shared: eight bullets)
SECRET_MASK = "\u2022" * 8
SCOPE_REFUSAL = (
    "This authentication scheme is scoped to a single environment and cannot target a different `_environmentId`. "
    "Use credentials from the target environment, or authenticate with a session token."
)
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(slots=True)
class Variable:
    id: str
    key: str
    type: str
    is_secret: bool
    created_at: datetime
    updated_at: datetime
    # environment id -> value, in the order values were first given
    values: dict[str, str] = field(default_factory=dict)

    def dto(self, environment_id: str) -> dict[str, Any]:
        """Novu's EnvironmentVariableResponseDto as an API key of ``environment_id`` sees it."""
        shown = [
            {"_environmentId": environment_id, "value": SECRET_MASK if self.is_secret else self.values[environment_id]}
        ] if environment_id in self.values else []  # fmt: skip
        return {
            "_id": self.id,
            "_organizationId": "",  # filled by the view
            "key": self.key,
            "type": self.type,
            "isSecret": self.is_secret,
            "values": shown,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


class OrganizationVariables:
    """Every environment variable of one organization."""

    def __init__(self, organization_id: str) -> None:
        self.organization_id = organization_id
        self.lock = threading.RLock()
        self.by_key: dict[str, Variable] = {}

    def drop_environment(self, environment_id: str) -> None:
        """An environment is gone: its values go, and records left without any value with them."""
        with self.lock:
            for key, variable in list(self.by_key.items()):
                if variable.values.pop(environment_id, None) is not None and not variable.values:
                    del self.by_key[key]


def _check_values(values: list[dict[str, Any]] | None, environment_id: str) -> dict[str, str]:
    """The ``values`` of a request as environment id -> value, after Novu's checks: unique
    ``_environmentId`` (422), only the key's own environment (403), never the mask (400)."""
    if not values:
        return {}
    ids = [value["_environmentId"] for value in values]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(field_error("values", "Duplicate _environmentId in values", values))
    if any(environment_id != other for other in ids):
        raise Forbidden(SCOPE_REFUSAL)
    return {value["_environmentId"]: value["value"] for value in values}


class EnvironmentVariablesBackend:
    """One environment's view of its organization's environment variables."""

    RECORD_SCHEMA = "EnvironmentVariableStateRecord"
    # one environment's change shows in the others' snapshots (the state file exports them all)
    SHARED_BY_ORGANIZATION = True

    def __init__(self, environment_id: str, organization: OrganizationVariables) -> None:
        self.environment_id = environment_id
        self.organization = organization
        self._lock = organization.lock

    def _dto(self, variable: Variable) -> dict[str, Any]:
        dto = variable.dto(self.environment_id)
        dto["_organizationId"] = self.organization.organization_id
        return dto

    def _find(self, key: str) -> Variable:
        variable = self.organization.by_key.get(key)
        if variable is None:
            raise NotFound(f'Environment variable with key "{key}" not found')
        return variable

    def _held(self) -> list[Variable]:
        """What this environment's state holds: the variables it gives a value, and those no
        environment gives one (made without values), so that nothing made is lost."""
        return [
            variable
            for variable in self.organization.by_key.values()
            if self.environment_id in variable.values or not variable.values
        ]

    def __len__(self) -> int:
        with self._lock:
            return len(self._held())

    def list(self, search: str | None = None) -> list[dict[str, Any]]:
        """Newest first; ``search`` matches keys case-insensitively, as a plain substring."""
        with self._lock:
            found = [
                variable
                for variable in self.organization.by_key.values()
                if not search or search.lower() in variable.key.lower()
            ]
            found.sort(key=lambda variable: variable.created_at, reverse=True)
            return [self._dto(variable) for variable in found]

    def get(self, key: str) -> dict[str, Any]:
        with self._lock:
            return self._dto(self._find(key))

    def create(self, *, key: str, type: str | None = None, is_secret: bool | None = None,
               values: list[dict[str, Any]] | None = None, created_at: datetime | None = None,
               rng: random.Random | None = None) -> dict[str, Any]:  # fmt: skip
        with self._lock:
            if key in self.organization.by_key:
                raise Conflict(f'Environment variable with key "{key}" already exists')
            given = _check_values(values, self.environment_id)
            if SECRET_MASK in given.values():
                raise BadRequest(
                    "Submitted value matches the secret mask placeholder; provide the real value or omit the entry."
                )
            moment = created_at or now()
            variable = Variable(object_id(moment, rng), key, type or "string", bool(is_secret), moment, moment, given)
            self.organization.by_key[key] = variable
            return self._dto(variable)

    def update(self, key: str, changes: dict[str, Any], *, at: datetime | None = None) -> dict[str, Any]:
        """PATCH: fields given replace, ``values`` merge per environment (``at``: the time of the
        change, for fixtures)."""
        with self._lock:
            variable = self._find(key)
            given = None
            if changes.get("values") is not None:
                given = _check_values(changes["values"], self.environment_id)
                if SECRET_MASK in given.values():
                    raise BadRequest(
                        "Submitted value matches the secret mask placeholder; provide the real value or omit the "
                        "entry to keep the existing one."
                    )
            fields = {name for name in ("key", "type", "isSecret") if changes.get(name) is not None}
            if not fields and given is None:
                raise BadRequest("At least one field must be provided to update")
            new_key = changes.get("key")
            if new_key is not None and new_key != key and new_key in self.organization.by_key:
                raise Conflict(f'Environment variable with key "{new_key}" already exists')
            if new_key is not None and new_key != key:
                del self.organization.by_key[key]
                variable.key = new_key
                self.organization.by_key[new_key] = variable
            if changes.get("type") is not None:
                variable.type = changes["type"]
            if changes.get("isSecret") is not None:
                variable.is_secret = changes["isSecret"]
            if given:
                variable.values.update(given)
            variable.updated_at = at or now()
            return self._dto(variable)

    def delete(self, key: str) -> None:
        """Takes this environment's value away; the record goes with its last value."""
        with self._lock:
            variable = self._find(key)
            if self.environment_id not in variable.values:
                raise NotFound(f'Environment variable with key "{key}" has no value for the authenticated environment')
            del variable.values[self.environment_id]
            if not variable.values:
                del self.organization.by_key[variable.key]

    def usage(self, key: str, workflows: list[tuple[str, str, Any]]) -> dict[str, Any]:
        """The workflows of ``workflows`` (name, workflowId, step controls) whose controls name
        ``env.<key>`` as a whole token (``{{env.KEY}}``, or ``"id": "env.KEY"`` in an email editor
        document), Novu's GetEnvironmentVariableUsage."""
        with self._lock:
            variable = self._find(key)
        pattern = re.compile(r"(^|[^\w$])" + re.escape(f"env.{variable.key}") + r"(?![\w$])")
        found = []
        for name, workflow_id, controls in workflows:
            if pattern.search(json.dumps(controls, ensure_ascii=False)):
                found.append({"name": name, "workflowId": workflow_id})
        return {"workflows": found}

    def values_for_environment(self) -> dict[str, str]:
        """Key -> this environment's value (real, not masked): what ``{{env.KEY}}`` renders."""
        with self._lock:
            return {
                variable.key: variable.values[self.environment_id]
                for variable in self.organization.by_key.values()
                if self.environment_id in variable.values
            }

    # -- state export / import ----------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "_id": variable.id,
                    "key": variable.key,
                    "type": variable.type,
                    "isSecret": variable.is_secret,
                    "value": variable.values.get(self.environment_id),
                    "createdAt": iso(variable.created_at),
                    "updatedAt": iso(variable.updated_at),
                }
                for variable in self._held()
            ]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """This environment's values become those of ``records`` (None: none). A record's key,
        type and secrecy are the organization's: a key not there yet is created with them. A
        record that loses its last value this way goes. Checked whole before anything changes."""
        seen: set[str] = set()
        parsed: list[tuple[dict[str, Any], datetime, datetime]] = []
        for index, record in enumerate(records or []):
            key = record["key"]
            if key in seen:
                raise Conflict(f"environment variable key {key} is used twice; it must be unique in the organization")
            if not _KEY.match(key) or len(key) > 256:
                raise ValidationFailed(
                    field_error(
                        f"environment_variables.{index}.key",
                        "Key must start with a letter and contain only letters, digits, and underscores",
                        key,
                    )
                )
            seen.add(key)
            created = parse_time(record["createdAt"], f"environment_variables.{index}.createdAt")
            updated = parse_time(record.get("updatedAt"), f"environment_variables.{index}.updatedAt") or created
            parsed.append((record, created, updated))
        with self._lock:
            had = {key for key, variable in self.organization.by_key.items() if self.environment_id in variable.values}
            for variable in self.organization.by_key.values():
                variable.values.pop(self.environment_id, None)
            for record, created, updated in parsed:
                variable = self.organization.by_key.get(record["key"])
                if variable is None:
                    variable = Variable(record["_id"], record["key"], record.get("type") or "string",
                                        bool(record.get("isSecret")), created, updated)  # fmt: skip
                    self.organization.by_key[variable.key] = variable
                else:
                    variable.type = record.get("type") or variable.type
                    variable.is_secret = bool(record.get("isSecret"))
                if record.get("value") is not None:
                    variable.values[self.environment_id] = record["value"]
            # a record that lost its last value here goes, as a delete of that value would take it
            for key in had - seen:
                if not self.organization.by_key[key].values:
                    del self.organization.by_key[key]
