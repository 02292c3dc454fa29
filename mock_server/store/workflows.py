"""Workflows of one environment: the records of ``/v2/workflows`` that triggers, preferences,
topics and the inbox refer to.

A workflow has ordered steps of every type Novu knows (``workflow_steps``), each with its control
values. Everything is derived from those: the channels it delivers on (``channels``), what its
in-app step renders (``in_app``), its issues and status, its preferences (``critical`` and the
per-channel ``defaults`` read by subscriber preferences). Fixtures, tests and the API create
workflows through the same ``create`` rule. A workflow is found by its trigger identifier
(``workflowId``) or its ``_id`` (``get``), or as Novu's v2 controller finds it, also by slug
(``find``). Deleted workflows are kept aside, as Novu's soft delete keeps them, so the
notifications they made still name them (``get_any``).
"""

from __future__ import annotations

import random
import threading
from datetime import datetime
from typing import Any, Callable

from mock_server.errors import BadRequest, Conflict, NotFound
from mock_server.store import workflow_steps as kinds
from mock_server.store.ids import now, object_id, short_id
from mock_server.store.values import clone
# InAppTemplate, slugify and base62 were this module's before the records moved out: still importable from here
from mock_server.store.workflow_records import (  # noqa: F401
    _HEX_ID,
    NOVU_CLOUD,
    OPEN_PAYLOAD_SCHEMA,
    InAppTemplate,
    Step,
    Workflow,
    _from_record,
    _resolve_slug,
    _slug_or_random,
    base62,
    default_preferences,
    full_preferences,
    slugify,
    unbase62,
    workflow_status,
)

class WorkflowsBackend:
    # The schema (admin document, components/schemas) each snapshot record is checked against on import.
    RECORD_SCHEMA = "WorkflowStateRecord"

    def __init__(self, environment_id: str, lock: threading.RLock, *, integrations: Any = None) -> None:
        self.environment_id = environment_id
        self._lock = lock
        self._integrations = integrations
        self._by_id: dict[str, Workflow] = {}
        self._by_identifier: dict[str, Workflow] = {}
        self._deleted: dict[str, Workflow] = {}

    def __len__(self) -> int:
        return len(self._by_id)

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

    def get_any(self, workflow_id: str) -> Workflow:
        """Like ``get``, deleted workflows included (the notifications they made still name them)."""
        with self._lock:
            found = (
                self._by_identifier.get(workflow_id) or self._by_id.get(workflow_id) or self._deleted.get(workflow_id)
            )
            if found is None:
                found = next((w for w in reversed(self._deleted.values()) if w.identifier == workflow_id), None)
        if found is None:
            raise NotFound(f"Workflow with id {workflow_id} not found")
        return found

    def find(self, key: str) -> Workflow:
        """As Novu's v2 controller finds a workflow: an ``_id`` (24 hex digits) by id, anything
        else by trigger identifier, a slug by the id it encodes; 404 ``Workflow cannot be found``.
        Unlike Novu, a workflowId that looks like an id or a slug still finds its workflow."""
        wanted = _resolve_slug(key)
        with self._lock:
            found = self._by_id.get(wanted) if _HEX_ID.fullmatch(wanted) else self._by_identifier.get(wanted)
            if found is None:
                # a workflowId that merely looks like an id or a slug (24 hex digits, 16 letters
                # and digits at the end) names its workflow too
                found = self._by_identifier.get(key)
        if found is None:
            raise NotFound("Workflow cannot be found", extra={"workflowId": wanted})
        return found

    # -- create -------------------------------------------------------------------------

    def create(
        self,
        *,
        identifier: str,
        name: str,
        channels: list[str] | None = None,
        steps: list[dict[str, Any]] | None = None,
        critical: bool = False,
        severity: str = "none",
        tags: list[str] | None = None,
        defaults: dict[str, bool] | None = None,
        data: dict[str, Any] | None = None,
        description: str = "",
        active: bool = True,
        preferences: dict[str, Any] | None = None,
        payload_schema: dict[str, Any] | None = None,
        validate_payload: bool | None = None,
        is_translation_enabled: bool = False,
        created_at: datetime | None = None,
        rng: random.Random | None = None,
        unique_identifier: bool = False,
    ) -> Workflow:
        """The one rule that makes a workflow. ``steps`` are step requests (``name``, ``type``,
        optional ``stepId`` and ``controlValues``); ``channels`` alone makes one step per channel
        with default controls. ``critical`` and ``defaults`` set the workflow preferences when
        ``preferences`` are not given. A taken identifier is 409, or with ``unique_identifier``
        gets a short random suffix, as Novu's create does (400 when three tries fail)."""
        if steps is None:
            steps = [
                {"name": f"{channel.replace('_', '-')}-step", "type": channel,
                 "controlValues": kinds.default_controls(channel, name)}
                for channel in dict.fromkeys(channels or [])
            ]  # fmt: skip
        if preferences is None:
            workflow_preferences = default_preferences()
            workflow_preferences["all"]["readOnly"] = critical
            for channel, enabled in (defaults or {}).items():
                workflow_preferences["channels"][channel] = {"enabled": bool(enabled)}
            preferences = {"user": None, "workflow": workflow_preferences}
        with self._lock:
            if identifier in self._by_identifier:
                if not unique_identifier:
                    raise Conflict(f"Workflow with identifier {identifier} already exists")
                identifier = self._free_identifier(identifier, name, rng)
            moment = created_at or now()
            workflow = Workflow(
                id=object_id(moment, rng),
                identifier=identifier,
                name=name,
                channels=[],
                critical=False,
                severity=severity or "none",
                tags=list(tags or []),
                created_at=moment,
                updated_at=moment,
                data=clone(data or {}),
                description=description or "",
                active=active,
                # Novu's create: no payload schema given is an open object schema, validated
                payload_schema=clone(payload_schema) if payload_schema else dict(OPEN_PAYLOAD_SCHEMA, properties={}),
                validate_payload=validate_payload if payload_schema or validate_payload is not None else True,
                is_translation_enabled=bool(is_translation_enabled),
                user_preferences=full_preferences(preferences["user"]) if preferences.get("user") else None,
                default_preferences=full_preferences(preferences.get("workflow")),
            )
            # step ids from a generator of their own, so seeded data after them does not shift
            workflow.steps = self._build_steps(steps, None, moment, random.Random(workflow.id) if rng else None)
            workflow.status = workflow_status(active, workflow.steps)
            workflow.refresh()
            self._by_id[workflow.id] = workflow
            self._by_identifier[identifier] = workflow
            return workflow

    def _free_identifier(self, identifier: str, name: str, rng: random.Random | None) -> str:
        for _ in range(2):
            candidate = f"{identifier}-{short_id(rng, 4).lower()}"
            if candidate not in self._by_identifier:
                return candidate
        raise BadRequest(f"Unable to generate a unique identifier. Please provide a different workflow name.{name}")

    def _build_steps(
        self, requests: list[dict[str, Any]], existing: Workflow | None, moment: datetime, rng: random.Random | None
    ) -> list[Step]:
        """Steps from step requests, as Novu's upsert builds them: a request whose ``_id`` names
        a step of the workflow keeps that step's ids; a given ``stepId`` is taken as it is; else
        the step id is the slug of its name, with a short suffix when an earlier step has it."""
        integrations = self._integrations.list() if self._integrations is not None else []
        built: list[Step] = []
        for request in requests:
            kept = None
            if existing is not None and request.get("_id"):
                kept = next((s for s in existing.steps if s.id == request["_id"]), None)
            if kept is not None:
                step_id = kept.step_id
            elif request.get("stepId"):
                step_id = request["stepId"]
            else:
                taken = [s.step_id for s in (existing.steps if existing else built)]
                step_id = self._unique_step_id(request["name"], taken, rng)
            step_type = request["type"]
            controls = clone(request.get("controlValues") or {})
            issues: dict[str, Any] = {}
            control_issues = kinds.control_issues(step_type, controls)
            if control_issues:
                issues["controls"] = control_issues
            integration_issues = kinds.integration_issues(step_type, integrations)
            if integration_issues:
                issues["integration"] = integration_issues
            step_db_id = kept.id if kept else object_id(moment, rng)
            built.append(Step(step_db_id, step_id, request["name"], step_type, controls, issues))
        return built

    @staticmethod
    def _unique_step_id(name: str, taken: list[str], rng: random.Random | None) -> str:
        slug = _slug_or_random(name, rng)
        candidate = slug
        for _ in range(5):
            if candidate not in taken:
                return candidate
            candidate = f"{slug}-{short_id(rng, 4).lower()}"
        raise BadRequest("Failed to generate unique stepId", extra={"stepId": candidate})

    # -- the API's rules ------------------------------------------------------------------

    def create_from_request(self, body: dict[str, Any]) -> Workflow:
        """``POST /v2/workflows``: the workflowId is kept (a taken one gets a suffix)."""
        return self.create(
            identifier=body["workflowId"],
            name=body["name"],
            steps=body["steps"],
            severity=body.get("severity") or "none",
            tags=body.get("tags"),
            description=body.get("description") or "",
            active=body.get("active", True) if body.get("active") is not None else True,
            preferences={"user": (body.get("preferences") or {}).get("user"),
                         "workflow": (body.get("preferences") or {}).get("workflow")},  # fmt: skip
            payload_schema=body.get("payloadSchema"),
            validate_payload=body.get("validatePayload"),
            is_translation_enabled=bool(body.get("isTranslationEnabled")),
            unique_identifier=True,
        )

    def update(self, key: str, body: dict[str, Any], *, at: datetime | None = None) -> Workflow:
        """``PUT /v2/workflows/{workflowId}``: steps are replaced (a step request with the ``_id``
        of a step keeps it), control values are what the request gives (none: emptied), active is
        true unless given; the identifier and origin stay."""
        with self._lock:
            workflow = self.find(key)
            moment = at or now()
            steps = self._build_steps(body["steps"], workflow, moment, None)
            workflow.name = body["name"]
            workflow.steps = steps
            if body.get("description") is not None:
                workflow.description = body["description"]
            if body.get("tags") is not None:
                workflow.tags = list(body["tags"])
            if body.get("severity") is not None:
                workflow.severity = body["severity"]
            if "payloadSchema" in body:
                workflow.payload_schema = clone(body["payloadSchema"])
            if body.get("validatePayload") is not None:
                workflow.validate_payload = body["validatePayload"]
            if body.get("isTranslationEnabled") is not None:
                workflow.is_translation_enabled = body["isTranslationEnabled"]
            preferences = body.get("preferences") or {}
            workflow.user_preferences = full_preferences(preferences["user"]) if preferences.get("user") else None
            workflow.default_preferences = full_preferences(preferences.get("workflow"))
            workflow.active = body["active"] if body.get("active") is not None else True
            workflow.status = workflow_status(workflow.active, steps)
            workflow.updated_at = max(moment, workflow.created_at)
            workflow.refresh()
            return workflow

    def patch(self, key: str, body: dict[str, Any], *, at: datetime | None = None) -> Workflow:
        """``PATCH``: each field given (and not null) replaces the stored one; ``active`` sets
        the status to ACTIVE or INACTIVE."""
        with self._lock:
            workflow = self.find(key)
            given = {name: value for name, value in body.items() if value is not None}
            if "active" in given:
                workflow.active = given["active"]
                workflow.status = "ACTIVE" if given["active"] else "INACTIVE"
            if "name" in given:
                workflow.name = given["name"]
            if "description" in given:
                workflow.description = given["description"]
            if "tags" in given:
                workflow.tags = list(given["tags"])
            if "payloadSchema" in given:
                workflow.payload_schema = clone(given["payloadSchema"])
            if "validatePayload" in given:
                workflow.validate_payload = given["validatePayload"]
            if "isTranslationEnabled" in given:
                workflow.is_translation_enabled = given["isTranslationEnabled"]
            workflow.updated_at = max(at or now(), workflow.created_at)
            return workflow

    def delete(self, key: str, *, at: datetime | None = None) -> Workflow:
        """Novu deletes the workflow with its steps, control values and its own preferences;
        subscribers' choices for it and the notifications it made stay (unreachable through it)."""
        with self._lock:
            workflow = self.find(key)
            del self._by_id[workflow.id]
            del self._by_identifier[workflow.identifier]
            workflow.deleted_at = at or now()
            self._deleted[workflow.id] = workflow
            return workflow

    def search(
        self,
        *,
        query: str | None = None,
        tags: list[str] | None = None,
        status: list[str] | None = None,
        order_by: str = "createdAt",
        direction: str = "DESC",
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[Workflow], int]:
        """Novu's list: ``query`` in the name or identifier (any case), any of ``tags``, any of
        ``status``; sorted by ``order_by``, then skipped and cut."""
        needle = (query or "").lower()
        with self._lock:
            found = [
                w for w in self._by_id.values()
                if (not needle or needle in w.name.lower() or needle in w.identifier.lower())
                and (not tags or set(tags) & set(w.tags))
                and (not status or w.status in status)
            ]  # fmt: skip
        key: Callable[[Workflow], Any] = {
            "updatedAt": lambda w: (1, w.updated_at),
            "name": lambda w: (1, w.name),
            # a workflow never triggered has none: Mongo sorts it before any date
            "lastTriggeredAt": lambda w: (1, w.last_triggered_at) if w.last_triggered_at else (0, w.created_at),
        }.get(order_by, lambda w: (1, w.created_at))
        found.sort(key=key, reverse=direction != "ASC")
        return found[offset : offset + limit], len(found)

    def step_data(self, key: str, step_key: str) -> dict[str, Any]:
        with self._lock:
            workflow = self.find(key)
            return workflow.step_dto(workflow.step(step_key, key))

    def preview(self, key: str, step_key: str, body: dict[str, Any], *, secret_key: str = "") -> dict[str, Any]:
        """Novu's step preview: the step's controls (or ``controlValues`` given) rendered with
        ``previewPayload`` laid on an example naming each variable the controls use (a variable
        without a value shows as its own ``{{...}}`` text), Novu's example subscriber under the
        one given, and the contexts given as ``{id, data}`` (``{{context.tenant.data.name}}``). An http_request step's answer carries
        the ``novuSignature`` Novu would send with its request, keyed with ``secret_key`` (the
        environment's secret key)."""
        with self._lock:
            try:
                workflow = self.find(key)
                step = workflow.step(step_key, key)
            except (NotFound, BadRequest):
                # Novu's preview use case answers any failure, a missing workflow or step
                # included, with an empty result of no type (201, never a 404 or 400)
                return {"result": {"preview": {}}, "previewPayloadExample": {}, "schema": None}
            given = body.get("controlValues")
            controls = clone(given) if isinstance(given, dict) else clone(step.controls)
            schema = workflow.variables(step)  # Novu answers the step's variables schema
        used = kinds.used_variables(controls)
        example: dict[str, Any] = {"payload": kinds.payload_example(used)}
        given_payload = dict(body.get("previewPayload") or {})
        contexts = kinds.preview_contexts(given_payload.pop("context", None))
        given_subscriber = given_payload.pop("subscriber", None)
        example = kinds.merged(example, given_payload)
        # Novu's payload merger: always its full example subscriber, the one given laid on it
        example["subscriber"] = kinds.merged(kinds.PREVIEW_SUBSCRIBER, given_subscriber if isinstance(given_subscriber, dict) else {})
        if contexts is not None:
            example["context"] = contexts
        rendered = kinds.preview(step.type, controls, example)
        answer: dict[str, Any] = {
            "result": {"type": step.type, "preview": rendered},
            "previewPayloadExample": example,
            "schema": schema,
        }
        if step.type == "http_request" and secret_key:
            try:
                signed = kinds.signed_body(rendered)
            except ValueError:
                pass  # Novu's conversion throws and its use case answers without a signature
            else:
                answer["novuSignature"] = kinds.novu_signature(secret_key, signed, int(now().timestamp() * 1000))
        return answer

    def mark_triggered(self, workflow: Workflow, moment: datetime) -> None:
        """Novu stamps ``lastTriggeredAt`` on every trigger of the workflow."""
        workflow.last_triggered_at = moment

    # -- sync ------------------------------------------------------------------------------

    def sync_request(self, key: str, target: "WorkflowsBackend") -> dict[str, Any]:
        """The upsert request Novu's sync builds from the source workflow for the target
        environment: same workflowId, steps matched to the target's by stepId."""
        with self._lock:
            source = self.find(key)
            if source.origin != NOVU_CLOUD:
                raise BadRequest(
                    f"Cannot sync workflow: origin '{source.origin}' is not allowed (must be one of: {NOVU_CLOUD})",
                    extra={"workflowId": source.identifier, "status": source.status, "origin": source.origin,
                           "allowedOrigins": [NOVU_CLOUD]},  # fmt: skip
                )
            request = source.to_record()
        with target._lock:
            existing = target._by_identifier.get(request["identifier"])
            target_steps = {step.step_id: step.id for step in existing.steps} if existing else {}
        return {
            "source": request,
            "existing": existing.id if existing else None,
            "steps": [
                {**({"_id": target_steps[s["stepId"]]} if s["stepId"] in target_steps else {}),
                 "stepId": s["stepId"], "name": s["name"], "type": s["type"], "controlValues": s["controlValues"]}
                for s in request["steps"]
            ],  # fmt: skip
        }

    def receive_sync(self, plan: dict[str, Any]) -> Workflow:
        """Create or update, in this environment, the workflow ``sync_request`` describes."""
        source = plan["source"]
        body = {
            "name": source["name"],
            "steps": plan["steps"],
            "description": source["description"],
            "tags": source["tags"],
            "severity": source["severity"],
            "active": source["active"],
            "payloadSchema": source["payloadSchema"],
            "validatePayload": source["validatePayload"],
            "isTranslationEnabled": source["isTranslationEnabled"],
            "preferences": source["preferences"],
        }
        with self._lock:
            existing = self._by_id.get(plan["existing"]) if plan["existing"] else None
            if existing is not None and existing.identifier == source["identifier"]:
                return self.update(existing.id, body)
            return self.create(
                identifier=source["identifier"], name=body["name"], steps=body["steps"], severity=body["severity"],
                tags=body["tags"], description=body["description"], active=body["active"],
                preferences=body["preferences"], payload_schema=body["payloadSchema"],
                validate_payload=body["validatePayload"], is_translation_enabled=body["isTranslationEnabled"],
                unique_identifier=True,
            )  # fmt: skip

    def mark_published(self, key: str, moment: datetime | None = None) -> None:
        with self._lock:
            self.find(key).last_published_at = moment or now()

    # -- state export / import ----------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [workflow.to_record() for workflow in [*self._by_id.values(), *self._deleted.values()]]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every workflow by ``records`` (a ``snapshot()``; None empties the service).
        Every rule is checked before anything changes: ids are unique, and identifiers among
        the workflows not deleted. Records of older state files (channels and an in-app
        template, no steps) get steps made from them."""
        by_id: dict[str, Workflow] = {}
        by_identifier: dict[str, Workflow] = {}
        deleted: dict[str, Workflow] = {}
        for index, record in enumerate(records or []):
            where = f"workflows.{index}"
            if record["_id"] in by_id or record["_id"] in deleted:
                raise Conflict(f"_id {record['_id']} is used by two workflows; ids must be unique")
            workflow = _from_record(record, where)
            if workflow.deleted_at is not None:
                deleted[workflow.id] = workflow
                continue
            if workflow.identifier in by_identifier:
                raise Conflict(
                    f"workflow identifier {record['identifier']} is used twice; it must be unique in the environment"
                )
            by_id[workflow.id] = workflow
            by_identifier[workflow.identifier] = workflow
        with self._lock:
            self._by_id, self._by_identifier, self._deleted = by_id, by_identifier, deleted
