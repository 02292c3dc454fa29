"""What each kind of workflow step is: its controls (JSON Schema and editor hints), the issues
Novu reports about its control values, the variables it may use, and its preview.

Novu keeps one control schema per step type and checks a step's values against it when the
workflow is saved (``build-step-issues``): a required control left out or empty is a
``MISSING_VALUE`` issue named "<Control> is required", and a channel step without an active
integration of its channel (a primary one for email and sms) is a ``MISSING_INTEGRATION`` issue.
A step with issues puts its workflow in the ``ERROR`` status.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any, Callable

from mock_server.jsoncodec import canonical
from mock_server.store.inbox.render import _render_data, render
from mock_server.store.values import clone

# Steps that deliver a message, and the channel they deliver on (the same word).
CHANNEL_STEPS = ("in_app", "email", "sms", "chat", "push")
# Every step type a workflow may hold. ``trigger`` passes Novu's upsert DTO (any StepTypeEnum
# value) and is stored as any step is, with the permissive schema of a type without a control
# schema of its own (``resolveStepControlSchemas``); it delivers nothing.
STEP_TYPES = CHANNEL_STEPS + ("digest", "delay", "throttle", "custom", "http_request", "trigger")
# Channels whose integration must be the primary one for the step to have none missing.
_PRIMARY_CHANNELS = ("email", "sms")

_TIME_UNITS = ["seconds", "minutes", "hours", "days", "weeks", "months"]
_SKIP = {"type": "object", "additionalProperties": True, "description": "JSONLogic rule: the step is skipped when it holds"}
_ACTION = {
    "type": "object",
    "properties": {
        "label": {"type": "string"},
        "redirect": {
            "type": "object",
            "properties": {"url": {"type": "string"}, "target": {"type": "string", "enum": ["_self", "_blank", "_parent", "_top", "_unfencedTop"]}},
        },
    },
}
_REDIRECT = _ACTION["properties"]["redirect"]


def _schema(properties: dict[str, Any], required: list[str], *, open_: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": open_}


# type -> (dataSchema, uiSchema group, {control: editor component}); None group: no uiSchema
_KINDS: dict[str, tuple[dict[str, Any], str | None, dict[str, str]]] = {
    "in_app": (
        _schema({"skip": _SKIP, "subject": {"type": "string"}, "body": {"type": "string"}, "avatar": {"type": "string"},
                 "primaryAction": _ACTION, "secondaryAction": _ACTION, "redirect": _REDIRECT,
                 "disableOutputSanitization": {"type": "boolean", "default": False},
                 "data": {"type": "object", "additionalProperties": True}}, ["body"]),  # fmt: skip
        "IN_APP",
        {"skip": "QUERY_EDITOR", "subject": "IN_APP_PRIMARY_SUBJECT", "body": "IN_APP_BODY", "avatar": "IN_APP_AVATAR",
         "primaryAction": "IN_APP_BUTTON_DROPDOWN", "secondaryAction": "IN_APP_BUTTON_DROPDOWN", "redirect": "URL_TEXT_BOX",
         "disableOutputSanitization": "IN_APP_DISABLE_SANITIZATION_SWITCH", "data": "DATA"},  # fmt: skip
    ),
    "email": (
        _schema({"skip": _SKIP, "subject": {"type": "string"}, "body": {"type": "string", "default": ""},
                 "editorType": {"type": "string", "enum": ["block", "html"], "default": "block"},
                 "disableOutputSanitization": {"type": "boolean", "default": False},
                 "layoutId": {"type": ["string", "null"]}}, ["subject", "body"]),  # fmt: skip
        "EMAIL",
        {"skip": "QUERY_EDITOR", "subject": "TEXT_INLINE_LABEL", "body": "BLOCK_EDITOR", "editorType": "EMAIL_EDITOR_SELECT",
         "disableOutputSanitization": "DISABLE_SANITIZATION_SWITCH", "layoutId": "LAYOUT_SELECT"},  # fmt: skip
    ),
    "sms": (_schema({"skip": _SKIP, "body": {"type": "string"}}, ["body"]), "SMS", {"skip": "QUERY_EDITOR", "body": "SMS_BODY"}),
    "chat": (_schema({"skip": _SKIP, "body": {"type": "string"}}, ["body"]), "CHAT", {"skip": "QUERY_EDITOR", "body": "CHAT_BODY"}),
    "push": (
        _schema({"skip": _SKIP, "subject": {"type": "string"}, "body": {"type": "string"}}, ["subject", "body"]),
        "PUSH",
        {"skip": "QUERY_EDITOR", "subject": "PUSH_SUBJECT", "body": "PUSH_BODY"},
    ),
    "digest": (
        _schema({"skip": _SKIP, "type": {"type": "string", "enum": ["regular", "timed"]},
                 "amount": {"type": "number", "minimum": 1}, "unit": {"type": "string", "enum": _TIME_UNITS},
                 "lookBackWindow": {"type": "object", "properties": {"amount": {"type": "number", "minimum": 1}, "unit": {"type": "string", "enum": _TIME_UNITS}}},
                 "cron": {"type": "string"}, "digestKey": {"type": "string"}}, []),  # fmt: skip
        "DIGEST",
        {"skip": "QUERY_EDITOR", "type": "DIGEST_TYPE", "amount": "DIGEST_AMOUNT", "unit": "DIGEST_UNIT",
         "cron": "DIGEST_CRON", "digestKey": "DIGEST_KEY"},  # fmt: skip
    ),
    "delay": (
        _schema({"skip": _SKIP, "type": {"type": "string", "enum": ["regular", "timed"], "default": "regular"},
                 "amount": {"type": "number", "minimum": 1}, "unit": {"type": "string", "enum": _TIME_UNITS},
                 "cron": {"type": "string"}}, ["type"]),  # fmt: skip
        "DELAY",
        {"skip": "QUERY_EDITOR", "type": "DELAY_TYPE", "amount": "DELAY_AMOUNT", "unit": "DELAY_UNIT", "cron": "DELAY_CRON"},
    ),
    "throttle": (
        _schema({"skip": _SKIP, "type": {"type": "string", "enum": ["fixed", "dynamic"], "default": "fixed"},
                 "amount": {"type": "number", "minimum": 1}, "unit": {"type": "string", "enum": ["minutes", "hours", "days"]},
                 "dynamicKey": {"type": "string"}, "threshold": {"type": "number", "minimum": 1, "default": 1},
                 "throttleKey": {"type": "string"}}, ["type"]),  # fmt: skip
        "THROTTLE",
        {"skip": "QUERY_EDITOR", "type": "THROTTLE_TYPE", "amount": "THROTTLE_WINDOW", "unit": "THROTTLE_UNIT",
         "dynamicKey": "THROTTLE_DYNAMIC_KEY", "threshold": "THROTTLE_THRESHOLD", "throttleKey": "THROTTLE_KEY"},  # fmt: skip
    ),
    "custom": (_schema({}, [], open_=True), None, {}),
    # no control schema of its own: the permissive one Novu falls back to, no uiSchema
    "trigger": (_schema({}, [], open_=True), None, {}),
    "http_request": (
        _schema({"skip": _SKIP, "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                 "url": {"type": "string"}, "headers": {"type": "array"}, "body": {}, "responseBodySchema": {"type": "object"},
                 "enforceSchemaValidation": {"type": "boolean"}, "continueOnFailure": {"type": "boolean"}}, ["method", "url"]),  # fmt: skip
        "HTTP_REQUEST",
        {"skip": "QUERY_EDITOR", "method": "DESTINATION_METHOD", "url": "DESTINATION_URL", "headers": "DESTINATION_HEADERS",
         "body": "DESTINATION_BODY", "responseBodySchema": "DESTINATION_RESPONSE_BODY_SCHEMA",
         "enforceSchemaValidation": "DESTINATION_ENFORCE_SCHEMA_VALIDATION", "continueOnFailure": "DESTINATION_CONTINUE_ON_FAILURE"},  # fmt: skip
    ),
}

# Required controls that depend on the step's own ``type`` control (digest, delay, throttle).
_REQUIRED_BY_MODE: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "digest": lambda values: ["cron"] if values.get("type") == "timed" else ["amount", "unit"],
    "delay": lambda values: ["cron"] if values.get("type") == "timed" else ["amount", "unit"],
    "throttle": lambda values: ["dynamicKey"] if values.get("type") == "dynamic" else ["amount", "unit"],
}


def controls_metadata(step_type: str, values: dict[str, Any]) -> dict[str, Any]:
    """``controls`` of a step answer: the data schema, the editor's schema, the values."""
    schema, group, components = _KINDS[step_type]
    metadata: dict[str, Any] = {"dataSchema": clone(schema)}
    if group is not None:
        metadata["uiSchema"] = {"group": group, "properties": {name: {"component": c} for name, c in components.items()}}
    metadata["values"] = clone(values)
    return metadata


def _present(value: Any) -> bool:
    """Novu's dashboard sanitizer drops empty strings and nulls before the schema check."""
    return value is not None and not (isinstance(value, str) and not value.strip())


def control_issues(step_type: str, values: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """``MISSING_VALUE`` issues of the required controls left out (by control name)."""
    required = list(_KINDS[step_type][0].get("required", []))
    if step_type in _REQUIRED_BY_MODE:
        required += _REQUIRED_BY_MODE[step_type](values)
    issues: dict[str, list[dict[str, Any]]] = {}
    for name in dict.fromkeys(required):
        if name == "type" and step_type in _REQUIRED_BY_MODE:
            continue  # has a default: Novu's schema fills it
        if not _present(values.get(name)):
            message = f"{name[:1].upper()}{name[1:].lower()} is required"  # lodash capitalize
            issues[name] = [{"issueType": "MISSING_VALUE", "variableName": name, "message": message}]
    return issues


def integration_issues(step_type: str, integrations: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """``MISSING_INTEGRATION`` when no active integration of the step's channel is there (for
    email and sms: no active primary one). Novu's wording keeps its double space."""
    if step_type not in CHANNEL_STEPS:
        return {}
    primary = step_type in _PRIMARY_CHANNELS
    if any(i.channel == step_type and i.active and (i.primary or not primary) for i in integrations):
        return {}
    message = f"Missing active {'primary' if primary else ''} integration provider"
    return {step_type: [{"issueType": "MISSING_INTEGRATION", "message": message}]}


def default_controls(step_type: str, workflow_name: str) -> dict[str, Any]:
    """The controls a step made from a bare channel list gets (what the mock rendered before it
    had workflow steps: the name as subject, a body showing ``payload.message``)."""
    body = f"{workflow_name}: {{{{payload.message}}}}"
    match step_type:
        case "in_app" | "push":
            return {"subject": workflow_name, "body": body}
        case "email":
            return {"subject": workflow_name, "body": f"<p>{body}</p>", "editorType": "html"}
        case "sms" | "chat":
            return {"body": body}
        case "digest" | "delay":
            return {"type": "regular", "amount": 1, "unit": "hours"}
        case "throttle":
            return {"type": "fixed", "amount": 1, "unit": "hours", "threshold": 1}
        case _:
            return {}


# -- variables --------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)")
_SUBSCRIBER_FIELDS = ("subscriberId", "firstName", "lastName", "email", "phone", "avatar", "locale", "timezone")


def used_variables(values: Any) -> list[str]:
    """Every ``{{a.b}}`` path the control values use, in order of first use."""
    found: dict[str, None] = {}

    def walk(value: Any) -> None:
        if isinstance(value, str):
            for match in _VARIABLE.finditer(value):
                found.setdefault(match.group(1), None)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(values)
    return list(found)


def _payload_properties(paths: list[str]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for path in paths:
        parts = path.split(".")
        if parts[0] != "payload" or len(parts) < 2:
            continue
        level = properties
        for index, part in enumerate(parts[1:]):
            last = index == len(parts) - 2
            node = level.setdefault(part, {"type": "string"} if last else {"type": "object", "properties": {}})
            if not last:
                if node.get("type") != "object":
                    node.clear()
                    node.update({"type": "object", "properties": {}})
                level = node["properties"]
    return properties


def variables_schema(payload_schema: dict[str, Any] | None, paths: list[str], digest_steps: list[str]) -> dict[str, Any]:
    """The JSON Schema of what a step's controls may name: the subscriber, the payload (the
    workflow's payload schema, plus what the controls use), earlier digest steps' events."""
    payload = clone(payload_schema) if isinstance(payload_schema, dict) else {"type": "object"}
    payload.setdefault("type", "object")
    payload.setdefault("additionalProperties", True)
    used = _payload_properties(paths)
    payload["properties"] = {**used, **(payload.get("properties") or {})}
    subscriber = {
        "type": "object",
        "properties": {field: {"type": "string"} for field in _SUBSCRIBER_FIELDS}
        | {"data": {"type": "object", "additionalProperties": True}},
        "additionalProperties": False,
    }
    steps = {
        "type": "object",
        "properties": {
            step_id: {"type": "object", "properties": {"events": {"type": "array", "items": {"type": "object"}}}}
            for step_id in digest_steps
        },
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"subscriber": subscriber, "payload": payload, "steps": steps},
        "additionalProperties": False,
    }


def payload_example(paths: list[str]) -> dict[str, Any]:
    """A payload naming every ``payload.*`` variable the controls use, each holding its own
    placeholder text (``{{payload.name}}``), as Novu's editor shows a variable without a value."""
    example: dict[str, Any] = {}
    for path in paths:
        parts = path.split(".")
        if parts[0] != "payload" or len(parts) < 2:
            continue
        level = example
        for part in parts[1:-1]:
            if not isinstance(level.get(part), dict):
                level[part] = {}
            level = level[part]
        level.setdefault(parts[-1], "{{" + path + "}}")
    return example


def merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` laid on ``base``, objects merged key by key."""
    result = clone(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = clone(value)
    return result


# -- preview ----------------------------------------------------------------------------------


def _action(action: Any, context: dict[str, Any]) -> dict[str, Any] | None:
    if not isinstance(action, dict) or not action.get("label"):
        return None
    out: dict[str, Any] = {"label": render(str(action["label"]), context)}
    redirect = action.get("redirect")
    if isinstance(redirect, dict) and redirect.get("url"):
        out["redirect"] = {"url": render(str(redirect["url"]), context), "target": redirect.get("target") or "_self"}
    return out


def preview(step_type: str, values: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """What the step renders with ``context`` (``payload``, ``subscriber``, ``steps``): the
    ``preview`` of Novu's ``result``. Placeholders are filled by the inbox's template renderer."""

    def text(name: str) -> str:
        value = values.get(name)
        return render(value, context) if isinstance(value, str) else ""

    match step_type:
        case "in_app":
            out: dict[str, Any] = {"body": text("body")}
            if values.get("subject"):
                out["subject"] = text("subject")
            if values.get("avatar"):
                out["avatar"] = text("avatar")
            for name in ("primaryAction", "secondaryAction"):
                action = _action(values.get(name), context)
                if action:
                    out[name] = action
            redirect = values.get("redirect")
            if isinstance(redirect, dict) and redirect.get("url"):
                out["redirect"] = {"url": render(str(redirect["url"]), context), "target": redirect.get("target") or "_self"}
            if isinstance(values.get("data"), dict):
                out["data"] = _render_data(values["data"], context)
            return out
        case "email" | "push":
            return {"subject": text("subject"), "body": text("body")}
        case "sms" | "chat":
            return {"body": text("body")}
        case "digest" | "delay":
            if values.get("type") == "timed":
                return {"type": "timed", "cron": values.get("cron") or ""}
            out = {"amount": values.get("amount") or 0, "unit": values.get("unit") or "seconds"}
            if step_type == "digest":
                for name in ("digestKey", "lookBackWindow"):
                    if values.get(name):
                        out[name] = clone(values[name])
            return out
        case "custom":
            return clone(values.get("custom") or {k: v for k, v in values.items() if k != "skip"})
        case _:
            return _render_data({k: v for k, v in values.items() if k != "skip"}, context)


def _falsy(value: Any) -> bool:
    """JavaScript's falsiness (an empty object or list is truthy there)."""
    return value is None or value is False or value == "" or (type(value) in (int, float) and value == 0)


def preview_contexts(given: Any) -> dict[str, Any] | None:
    """The contexts a preview renders with, as Novu's payload merger resolves the request's
    ``previewPayload.context`` without storing anything: an id becomes ``{id, data: {}}``, an
    object keeps its ``id`` and its ``data`` (``{}`` when it has none); an empty entry is
    dropped, and None when nothing is left."""
    if not isinstance(given, dict):
        return None
    resolved: dict[str, Any] = {}
    for context_type, value in given.items():
        if _falsy(value):
            continue
        if isinstance(value, dict):
            data = value.get("data")
            resolved[context_type] = {"id": value.get("id"), "data": {} if _falsy(data) else clone(data)}
        else:
            resolved[context_type] = {"id": value, "data": {}}
    return resolved or None


# The subscriber every step preview starts from (Novu's MockDataGeneratorService), the request's
# ``previewPayload.subscriber`` laid on it.
PREVIEW_SUBSCRIBER: dict[str, Any] = {
    "subscriberId": "123456",
    "firstName": "John",
    "lastName": "Doe",
    "email": "user@example.com",
    "phone": "+1234567890",
    "avatar": "https://example.com/avatar.png",
    "locale": "en_US",  # Novu's DEFAULT_LOCALE (translations.DEFAULT_LOCALE)
    "timezone": "America/New_York",
    "data": {},
}

_METHODS_WITHOUT_BODY = ("GET", "DELETE", "HEAD", "OPTIONS")


def signed_body(rendered: dict[str, Any]) -> Any:
    """What Novu signs for an http_request step's preview: the rendered ``body`` key-value pairs
    as an object (pairs with an empty key left out), or ``{}`` when the method sends no body or
    there is no pair. Raises ValueError where Novu's conversion throws (a body that is no list of
    pairs, a null pair), for which Novu answers no signature."""
    body = rendered.get("body")
    method = rendered.get("method")
    if _falsy(body):
        return {}
    if not isinstance(body, list):
        raise ValueError("the body is no list of key-value pairs")
    record: dict[str, Any] = {}
    for pair in body:
        if pair is None:
            raise ValueError("a null pair")
        if isinstance(pair, dict) and not _falsy(pair.get("key")) and "value" in pair:
            record[str(pair["key"])] = pair["value"]  # a pair without a value: undefined, not written
    if not body or (method if method is not None else "GET") in _METHODS_WITHOUT_BODY:
        return {}
    return record


def novu_signature(secret_key: str, signed: Any, moment_ms: int) -> str:
    """Novu's ``novu-signature`` header: ``t=<ms>,v1=<HMAC-SHA256 of "<ms>.<JSON>">``."""
    message = f"{moment_ms}.".encode() + canonical(signed)
    return f"t={moment_ms},v1={hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()}"
