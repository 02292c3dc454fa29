"""The records of the workflows service: a workflow, its steps, what its in-app step renders,
and the identifiers Novu derives (slugs, base-62 ids); Novu's status and preference rules.
``workflows`` holds the service that keeps them."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from mock_server.errors import BadRequest
from mock_server.store import workflow_steps as kinds
from mock_server.store.ids import iso, parse_time, short_id
from mock_server.store.values import clone

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_HEX_ID = re.compile(r"[0-9a-fA-F]{24}")
CHANNELS = ("in_app", "email", "sms", "chat", "push")
SEVERITIES = ("high", "medium", "low", "none")
STATUSES = ("ACTIVE", "INACTIVE", "ERROR")
NOVU_CLOUD = "novu-cloud"
# what a workflow made without a payload schema gets (Novu's create-workflow)
OPEN_PAYLOAD_SCHEMA = {"type": "object", "additionalProperties": True}


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


def unbase62(text: str) -> str | None:
    """The 24-hex id a slug's base-62 tail encodes, or None."""
    number = 0
    for char in text:
        position = _BASE62.find(char)
        if position < 0:
            return None
        number = number * 62 + position
    return f"{number:024x}" if number < 1 << 96 else None


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


def _slug_or_random(name: str, rng: random.Random | None) -> str:
    """Novu's ``slugifyOrRandom``: a name with nothing to slug gets a random identifier."""
    return slugify(name) or short_id(rng, 8)


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

    def to_controls(self) -> dict[str, Any]:
        """The in-app step control values that render this template."""
        controls: dict[str, Any] = {"subject": self.subject, "body": self.body}
        if self.avatar:
            controls["avatar"] = self.avatar
        if self.redirect_url:
            controls["redirect"] = {"url": self.redirect_url, "target": "_self"}
        for name, label in (("primaryAction", self.primary_action), ("secondaryAction", self.secondary_action)):
            if label:
                controls[name] = {"label": label}
        if self.data:
            controls["data"] = clone(self.data)
        return controls

    @classmethod
    def from_controls(cls, controls: dict[str, Any]) -> "InAppTemplate | None":
        """What in-app control values render; None when they hold neither subject nor body."""
        subject, body = controls.get("subject"), controls.get("body")
        if not isinstance(subject, str) and not isinstance(body, str):
            return None

        def label(name: str) -> str | None:
            action = controls.get(name)
            return action.get("label") if isinstance(action, dict) and isinstance(action.get("label"), str) else None

        redirect = controls.get("redirect")
        url = redirect.get("url") if isinstance(redirect, dict) else None
        return cls(
            subject=subject if isinstance(subject, str) else "",
            body=body if isinstance(body, str) else "",
            avatar=controls.get("avatar") if isinstance(controls.get("avatar"), str) else None,
            redirect_url=url if isinstance(url, str) else None,
            primary_action=label("primaryAction"),
            secondary_action=label("secondaryAction"),
            data=clone(controls["data"]) if isinstance(controls.get("data"), dict) else {},
        )


def default_preferences() -> dict[str, Any]:
    """Novu's DEFAULT_WORKFLOW_PREFERENCES: everything on, nothing read-only."""
    return {"all": {"enabled": True, "readOnly": False}, "channels": {c: {"enabled": True} for c in CHANNELS}}


def full_preferences(given: dict[str, Any] | None) -> dict[str, Any]:
    """Novu's ``buildWorkflowPreferences``: what is given laid on the defaults."""
    built = default_preferences()
    if isinstance(given, dict):
        if isinstance(given.get("all"), dict):
            built["all"].update({k: v for k, v in given["all"].items() if k in ("enabled", "readOnly")})
        for channel, choice in (given.get("channels") or {}).items():
            if isinstance(choice, dict) and "enabled" in choice:
                built["channels"][channel] = {"enabled": choice["enabled"]}
    return built


@dataclass(slots=True)
class Step:
    id: str  # Novu's step ``_templateId``: the ``_id`` step answers carry
    step_id: str
    name: str
    type: str
    controls: dict[str, Any] = field(default_factory=dict)
    issues: dict[str, Any] = field(default_factory=dict)

    def slug(self) -> str:
        return f"{slugify(self.name)}_st_{base62(self.id)}"

    def to_record(self) -> dict[str, Any]:
        return {"_id": self.id, "stepId": self.step_id, "name": self.name, "type": self.type,
                "controlValues": clone(self.controls), "issues": clone(self.issues)}  # fmt: skip

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "Step":
        return cls(record["_id"], record["stepId"], record["name"], record["type"],
                   clone(record.get("controlValues") or {}), clone(record.get("issues") or {}))  # fmt: skip


@dataclass(slots=True)
class Workflow:
    id: str
    identifier: str
    name: str
    # the channels the workflow's steps deliver on, in step order (derived from ``steps``)
    channels: list[str]
    critical: bool
    severity: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    # the workflow's own default per channel; a channel missing here delivers (derived)
    defaults: dict[str, bool] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    description: str = ""
    active: bool = True
    status: str = "ACTIVE"
    origin: str = NOVU_CLOUD
    payload_schema: dict[str, Any] | None = None
    validate_payload: bool | None = None
    is_translation_enabled: bool = False
    user_preferences: dict[str, Any] | None = None
    default_preferences: dict[str, Any] = field(default_factory=default_preferences)
    last_published_at: datetime | None = None
    last_triggered_at: datetime | None = None
    deleted_at: datetime | None = None
    # what its in-app step renders, kept from the step's controls (see ``in_app``)
    _in_app: InAppTemplate | None = None

    # -- derived state ------------------------------------------------------------------

    def refresh(self) -> None:
        """Derive channels, the in-app template, critical and defaults from steps and preferences."""
        self.channels = list(dict.fromkeys(step.type for step in self.steps if step.type in CHANNELS))
        in_app = next((step for step in self.steps if step.type == "in_app"), None)
        self._in_app = InAppTemplate.from_controls(in_app.controls) if in_app else None
        effective = self.user_preferences or self.default_preferences
        self.critical = bool(effective["all"].get("readOnly"))
        self.defaults = {channel: bool(choice.get("enabled", True)) 
                         for channel, choice in effective["channels"].items()}  # fmt: skip

    @property
    def in_app(self) -> InAppTemplate | None:
        """What its (first) in-app step renders; None renders the default (see InboxBackend.template_for)."""
        return self._in_app

    @in_app.setter
    def in_app(self, template: InAppTemplate | None) -> None:
        step = next((step for step in self.steps if step.type == "in_app"), None)
        if step is not None:
            step.controls = template.to_controls() if template else {}
            step.issues = {**step.issues, "controls": kinds.control_issues("in_app", step.controls)}
            if not step.issues["controls"]:
                del step.issues["controls"]
        self._in_app = template

    def default_for(self, channel: str) -> bool:
        return self.defaults.get(channel, True)

    def slug(self) -> str:
        return f"{slugify(self.name)}_wf_{base62(self.id)}"

    def step(self, key: str, workflow_key: str | None = None) -> Step:
        """A step by its ``_id`` or ``stepId`` (or its slug); 400 ``No step found`` as Novu's
        build-step-data, naming both keys as the request gave them."""
        wanted = _resolve_slug(key)
        for step in self.steps:
            if wanted in (step.id, step.step_id) or key == step.step_id:
                return step
        workflow_id = _resolve_slug(workflow_key or self.identifier)
        raise BadRequest("No step found", extra={"stepId": wanted, "workflowId": workflow_id})

    # -- answers ------------------------------------------------------------------------

    def info_dto(self) -> dict[str, Any]:
        """The short form subscriber preferences carry; the slug is Novu's
        ``<slugified name>_wf_<base-62 _id>``."""
        return {"slug": self.slug(), "identifier": self.identifier, "name": self.name,
                "updatedAt": iso(self.updated_at)}  # fmt: skip

    def preference_dto(self) -> dict[str, Any]:
        """The form the bulk preference answer carries."""
        return {"id": self.id, "identifier": self.identifier, "name": self.name, "critical": self.critical,
                "severity": self.severity, "tags": list(self.tags), "data": clone(self.data)}  # fmt: skip

    def variables(self, step: Step) -> dict[str, Any]:
        position = self.steps.index(step)
        digests = [earlier.step_id for earlier in self.steps[:position] if earlier.type == "digest"]
        return kinds.variables_schema(self.payload_schema, kinds.used_variables(step.controls), digests)

    def step_dto(self, step: Step) -> dict[str, Any]:
        """Novu's StepResponseDto (build-step-data)."""
        answer = {
            "controls": kinds.controls_metadata(step.type, step.controls),
            "controlValues": clone(step.controls),
            "variables": self.variables(step),
            "stepId": step.step_id,
            "_id": step.id,
            "name": step.name,
            "slug": step.slug(),
            "type": step.type,
            "origin": self.origin,
            "workflowId": self.identifier,
            "workflowDatabaseId": self.id,
        }
        if step.issues:
            answer["issues"] = clone(step.issues)
        return answer

    def to_dto(self) -> dict[str, Any]:
        """Novu's WorkflowResponseDto (get-workflow)."""
        used = kinds.used_variables([step.controls for step in self.steps])
        return {
            "name": self.name,
            "description": self.description,
            "tags": list(self.tags),
            "active": self.active,
            "validatePayload": bool(self.validate_payload),
            "payloadSchema": clone(self.payload_schema),
            "isTranslationEnabled": self.is_translation_enabled,
            "_id": self.id,
            "workflowId": self.identifier,
            "slug": self.slug(),
            "updatedAt": iso(self.updated_at),
            "createdAt": iso(self.created_at),
            "updatedBy": None,
            "lastPublishedAt": iso(self.last_published_at) if self.last_published_at else None,
            "lastPublishedBy": None,
            "steps": [self.step_dto(step) for step in self.steps],
            "origin": self.origin,
            "preferences": {"user": clone(self.user_preferences), "default": clone(self.default_preferences)},
            "status": self.status,
            "lastTriggeredAt": iso(self.last_triggered_at) if self.last_triggered_at else None,
            "payloadExample": {"payload": kinds.payload_example(used)},
            "severity": self.severity,
        }

    def to_list_dto(self) -> dict[str, Any]:
        """Novu's WorkflowListResponseDto (the minified form of a list page)."""
        return {
            "name": self.name,
            "tags": list(self.tags),
            "updatedAt": iso(self.updated_at),
            "createdAt": iso(self.created_at),
            "updatedBy": None,
            "lastPublishedAt": iso(self.last_published_at) if self.last_published_at else None,
            "lastPublishedBy": None,
            "_id": self.id,
            "workflowId": self.identifier,
            "slug": self.slug(),
            "status": self.status,
            "origin": self.origin,
            "lastTriggeredAt": iso(self.last_triggered_at) if self.last_triggered_at else None,
            "stepTypeOverviews": [step.type for step in self.steps],
            "isTranslationEnabled": self.is_translation_enabled,
            "steps": [{"slug": step.slug(), "type": step.type, **({"issues": clone(step.issues)} if step.issues else {})}
                      for step in self.steps],  # fmt: skip
        }

    # -- state document -----------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        return {
            "_id": self.id,
            "identifier": self.identifier,
            "name": self.name,
            "channels": list(self.channels),
            "critical": self.critical,
            "severity": self.severity,
            "tags": list(self.tags),
            "defaults": dict(self.defaults),
            "data": clone(self.data),
            "inApp": self._in_app.to_record() if self._in_app else None,
            "steps": [step.to_record() for step in self.steps],
            "description": self.description,
            "active": self.active,
            "status": self.status,
            "origin": self.origin,
            "payloadSchema": clone(self.payload_schema),
            "validatePayload": self.validate_payload,
            "isTranslationEnabled": self.is_translation_enabled,
            "preferences": {"user": clone(self.user_preferences), "workflow": clone(self.default_preferences)},
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "lastPublishedAt": iso(self.last_published_at) if self.last_published_at else None,
            "lastTriggeredAt": iso(self.last_triggered_at) if self.last_triggered_at else None,
            "deletedAt": iso(self.deleted_at) if self.deleted_at else None,
        }


def _resolve_slug(value: str) -> str:
    """Novu's ParseSlugIdPipe: an ``_id``, or a short identifier, is taken as it is; a slug
    (``name_wf_<base-62 id>``, ``name_st_<...>``) gives the id its tail encodes."""
    if _HEX_ID.fullmatch(value) or len(value) < 16:
        return value
    for marker in ("_wf_", "_st_"):
        if marker in value:
            decoded = unbase62(value.rsplit(marker, 1)[1])
            if decoded:
                return decoded
    decoded = unbase62(value[-16:])
    return decoded if decoded and _HEX_ID.fullmatch(decoded) else value


def workflow_status(active: bool, steps: Iterable[Step]) -> str:
    """Novu's computeWorkflowStatus: inactive, else ERROR when a step has issues."""
    if not active:
        return "INACTIVE"
    return "ERROR" if any(step.issues for step in steps) else "ACTIVE"


def _from_record(record: dict[str, Any], where: str) -> Workflow:
    created_at = parse_time(record["createdAt"], f"{where}.createdAt")
    assert created_at is not None
    updated_at = parse_time(record.get("updatedAt"), f"{where}.updatedAt") or created_at
    preferences = record.get("preferences")
    if preferences is None:  # an older record: critical and defaults
        workflow_preferences = default_preferences()
        workflow_preferences["all"]["readOnly"] = bool(record.get("critical", False))
        for channel, enabled in (record.get("defaults") or {}).items():
            if isinstance(enabled, bool):
                workflow_preferences["channels"][channel] = {"enabled": enabled}
        preferences = {"user": None, "workflow": workflow_preferences}
    if "steps" in record:
        steps = [Step.from_record(step) for step in record["steps"]]
    else:  # an older record: one step per channel, the in-app one rendering its template
        in_app = InAppTemplate.from_record(record["inApp"]) if record.get("inApp") else None
        steps = [
            Step(f"{record['_id'][:16]}{position:08x}", f"{channel.replace('_', '-')}-step", f"{channel.replace('_', '-')}-step",
                 channel, in_app.to_controls() if channel == "in_app" and in_app else kinds.default_controls(channel, record["name"]))
            for position, channel in enumerate(dict.fromkeys(record["channels"]))
        ]  # fmt: skip
    workflow = Workflow(
        id=record["_id"],
        identifier=record["identifier"],
        name=record["name"],
        channels=[],
        critical=False,
        severity=record.get("severity") or "none",
        tags=list(record.get("tags") or []),
        created_at=created_at,
        updated_at=updated_at,
        data=clone(record.get("data") or {}),
        steps=steps,
        description=record.get("description") or "",
        active=record.get("active", True),
        origin=record.get("origin") or NOVU_CLOUD,
        payload_schema=clone(record.get("payloadSchema")),
        validate_payload=record.get("validatePayload"),
        is_translation_enabled=bool(record.get("isTranslationEnabled")),
        user_preferences=full_preferences(preferences["user"]) if preferences.get("user") else None,
        default_preferences=full_preferences(preferences.get("workflow")),
        last_published_at=parse_time(record.get("lastPublishedAt"), f"{where}.lastPublishedAt"),
        last_triggered_at=parse_time(record.get("lastTriggeredAt"), f"{where}.lastTriggeredAt"),
        deleted_at=parse_time(record.get("deletedAt"), f"{where}.deletedAt"),
    )
    workflow.status = record.get("status") or workflow_status(workflow.active, steps)
    workflow.refresh()
    return workflow
