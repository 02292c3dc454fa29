"""Environments of an organization, as Novu's environments use cases treat them.

The environments themselves live in ``Backends`` (the key -> environment map the API and auth
read); this module holds Novu's rules over them: what an API key may see and change, the
protected Development and Production environments, the answers' shapes. Every function takes the
``Backends`` and the environment of the calling API key (``caller``).

Novu (2026) scopes an API key to its own environment: the list shows the decrypted key of the
caller's environment only, a new environment's key is not returned to an API key, and updating,
deleting, diffing or publishing another environment is 403. A new environment's key is read
from the mock's control surface (``GET /_mock/environments``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from mock_server.errors import BadRequest, Conflict, Forbidden, NotFound, UnprocessableEntity
from mock_server.store import Backend, Backends, Environment
from mock_server.store.ids import iso, now, object_id
from mock_server.store.workflows import base62, slugify

PROTECTED = ("Development", "Production")
# Novu's CreateEnvironment counts the organization's environments first: ten at most.
MAX_ENVIRONMENTS = 10
_OBJECT_ID = re.compile(r"^[0-9a-fA-F]{24}$")


def scope_refusal(action: str) -> Forbidden:
    """Novu's 403 for an API key naming an environment other than its own."""
    return Forbidden(
        f"This authentication scheme is scoped to a single environment and cannot {action} a different environment. "
        "Use credentials from the target environment, or authenticate with a session token."
    )


def _api_key(backends: Backends, environment: Environment) -> dict[str, Any]:
    return {
        "key": environment.api_key,
        "_userId": backends.user_id,
        "hash": hashlib.sha256(environment.api_key.encode()).hexdigest(),
    }


def entity(environment: Environment) -> dict[str, Any]:
    """The environment record as Novu's repository returns it, without ``apiKeys``."""
    record: dict[str, Any] = {
        "_id": environment.id,
        "name": environment.name,
        "_organizationId": environment.organization_id,
        "identifier": environment.identifier,
        "color": environment.color,
        "widget": {"notificationCenterEncryption": False},
    }
    if environment.parent_id:
        record["_parentId"] = environment.parent_id
    if environment.inbound_parse_domain:
        record["dns"] = {"inboundParseDomain": environment.inbound_parse_domain}
    if environment.bridge_url is not None:
        record["echo"] = {"url": environment.bridge_url}
        record["bridge"] = {"url": environment.bridge_url}
    record["createdAt"] = environment.created_at
    record["updatedAt"] = environment.updated_at
    return record


def slug(environment: Environment) -> str:
    """Novu's environment slug: the short name (``dev``, ``prod``, else the name) slugified,
    ``_env_`` and the base-62 id."""
    short = {"Development": "dev", "Production": "prod"}.get(environment.name, environment.name)
    return f"{slugify(short)}_env_{base62(environment.id)}"


def api_keys(backends: Backends, caller: Environment) -> list[dict[str, Any]]:
    """``GET /v1/environments/api-keys``: the key's environment's keys, decrypted, without their hash."""
    return [{"key": caller.api_key, "_userId": backends.user_id}]


def current(caller: Environment) -> dict[str, Any]:
    """``GET /v1/environments/me``: the key's environment, without its keys."""
    return entity(caller)


def list_environments(backends: Backends, caller: Environment) -> list[dict[str, Any]]:
    """The organization's environments; the caller's own with its key, the others with none."""
    environments = backends.of_organization(caller.organization_id)
    if not environments:
        raise NotFound(f"No environments were found for organization {caller.organization_id}")
    return [
        {
            **entity(environment),
            "apiKeys": [_api_key(backends, environment)] if environment.id == caller.id else [],
            "slug": slug(environment),
        }
        for environment in environments
    ]


def start_environment(backend: Backend) -> None:
    """What Novu's CreateEnvironment makes in a new environment: the Novu Inbox integration
    (CreateNovuIntegrations; its Novu email and SMS demo providers need Novu's own credentials)."""
    backend.integrations.create(provider_id="novu", channel="in_app", name="Novu Inbox", active=True)


def create(
    backends: Backends,
    caller: Environment,
    *,
    name: str,
    color: str | None,
    fill: Callable[[Backend], None] | None = None,
) -> tuple[dict[str, Any], Environment]:
    """Novu's CreateEnvironment for an API key: the new environment (its key not shown) and the
    Environment the mock now authenticates."""
    siblings = backends.of_organization(caller.organization_id)
    if len(siblings) >= MAX_ENVIRONMENTS:
        raise BadRequest(f"Organization cannot have more than {MAX_ENVIRONMENTS} environments")
    trimmed = name.strip()
    if trimmed.lower() in (protected.lower() for protected in PROTECTED):
        raise UnprocessableEntity("Environment name cannot be Development or Production")
    # Novu looks the name up as sent, and stores it trimmed
    if any(environment.name == name for environment in siblings):
        raise BadRequest("Environment name must be unique")
    if not color:
        raise BadRequest("Color property is required")
    moment = now()
    while True:
        key = secrets.token_hex(16)
        if backends.environment_for_key(key) is None:
            break
    environment = Environment(
        object_id(moment),
        trimmed,
        caller.organization_id,
        key,
        _new_identifier(backends),
        color=color,
        created_at=iso(moment),
        updated_at=iso(moment),
        configured=False,
    )
    backends.add(environment, fill)
    return {**entity(environment), "apiKeys": []}, environment


def _new_identifier(backends: Backends) -> str:
    """12 url-safe characters, unique among the mock's environments (Novu's nanoid(12))."""
    alphabet = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    while True:
        identifier = "".join(secrets.choice(alphabet) for _ in range(12))
        if backends.environment_for_identifier(identifier) is None:
            return identifier


def _unsafe_bridge_url(url: str) -> bool:
    """What Novu's outbound SSRF policy refuses without a DNS look-up: not http(s), credentials
    in the URL, localhost, or an address that is loopback, private, link-local or reserved."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return True
    if parts.scheme not in ("http", "https") or parts.username or parts.password or not host:
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def update(backends: Backends, caller: Environment, environment_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Novu's UpdateEnvironment for an API key (its own environment only). Answers the update's
    counts, as Novu's repository gives them."""
    if environment_id != caller.id:
        raise scope_refusal("update")
    environment = backends.environment_for_id(environment_id)
    if environment is None or environment.organization_id != caller.organization_id:
        raise NotFound(f"Environment {environment_id} not found")
    name = body.get("name")
    if name and environment.name in PROTECTED:
        raise UnprocessableEntity("Cannot update the name of Development or Production environments")
    changes: dict[str, Any] = {}
    if name:
        trimmed = name.strip()
        if trimmed.lower() in (protected.lower() for protected in PROTECTED):
            raise UnprocessableEntity("Environment name cannot be Development or Production")
        changes["name"] = trimmed
    # Novu's quirk: an empty name ("") keeps the parent and identifier as they are
    if body.get("parentId") and name != "":
        changes["parent_id"] = body["parentId"]
    identifier = body.get("identifier")
    if identifier and name != "":
        other = backends.environment_for_identifier(identifier)
        if other is not None and other.id != environment.id:
            raise Conflict(f"Environment identifier {identifier} is already used")
        changes["identifier"] = identifier
    if body.get("color"):
        changes["color"] = body["color"]
    inbound = (body.get("dns") or {}).get("inboundParseDomain")
    if inbound:
        changes["inbound_parse_domain"] = inbound
    if body.get("bridge") is not None:
        url = body["bridge"].get("url") or ""
        if url and _unsafe_bridge_url(url):
            raise BadRequest("bridge.url is blocked by the outbound SSRF policy.")
        changes["bridge_url"] = url
    modified = any(getattr(environment, field) != value for field, value in changes.items())
    if modified:
        backends.update(environment_id, **changes, updated_at=iso(now()))
    return {"matched": 1, "modified": 1 if modified else 0}


def delete(backends: Backends, caller: Environment, environment_id: str) -> None:
    """Novu's DeleteEnvironment for an API key: its own environment only, never Development or
    Production. The key stops authenticating at once."""
    if environment_id != caller.id:
        raise scope_refusal("delete")
    environment = backends.environment_for_id(environment_id)
    if environment is None or environment.organization_id != caller.organization_id:
        raise NotFound(f"Environment {environment_id} not found")
    if environment.name in PROTECTED:
        raise BadRequest(
            f"The {environment.name} environment is protected and cannot be deleted. "
            "Only custom environments can be deleted."
        )
    backends.remove(environment_id)


def resolve(backends: Backends, caller: Environment, environment_id_or_identifier: str) -> Environment:
    """An environment of the caller's organization by ``_id`` or by ``identifier``."""
    if _OBJECT_ID.match(environment_id_or_identifier):
        environment = backends.environment_for_id(environment_id_or_identifier)
    else:
        environment = backends.environment_for_identifier(environment_id_or_identifier)
    if environment is None or environment.organization_id != caller.organization_id:
        raise NotFound(f"Environment {environment_id_or_identifier} not found")
    return environment


def tags(backends: Backends, caller: Environment, environment_id_or_identifier: str) -> list[dict[str, str]]:
    """The distinct non-empty tags of the environment's workflows, in the order first seen."""
    environment = resolve(backends, caller, environment_id_or_identifier)
    backend = backends.get(environment.id)
    if backend is None:  # removed since
        raise NotFound(f"Environment {environment_id_or_identifier} not found")
    seen: dict[str, None] = {}
    for record in backend.workflows.snapshot():
        for tag in record.get("tags") or []:
            if tag:
                seen.setdefault(tag, None)
    return [{"name": tag} for tag in seen]


def publish_pair(
    backends: Backends, caller: Environment, target_id: str, source_id: str | None
) -> tuple[Backend, Backend]:
    """The source and target of a diff or publish, after Novu's checks (an API key may only name
    its own environment, by target or source; the source defaults to Development)."""
    if target_id != caller.id or (source_id is not None and source_id != caller.id):
        raise scope_refusal("target")
    if not _OBJECT_ID.match(target_id):
        raise BadRequest("Invalid environment ID format")
    if source_id is None:
        development = next(
            (env for env in backends.of_organization(caller.organization_id) if env.name == "Development"), None
        )
        if development is None:
            raise BadRequest("Development environment not found")
        source_id = development.id
    if source_id == target_id:
        raise BadRequest("Source and target environments cannot be the same")
    if not _OBJECT_ID.match(source_id):
        raise BadRequest("Invalid environment ID format")
    source = backends.get(source_id)
    if source is None or source.environment.organization_id != caller.organization_id:
        raise BadRequest("Source environment not found")
    target = backends.get(target_id)
    if target is None or target.environment.organization_id != caller.organization_id:
        raise BadRequest("Target environment not found")
    return source, target
