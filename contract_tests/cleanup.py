"""Delete what a contract run created, by following the spec's own OpenAPI links.

The run journals every successful POST (see ``hooks.journal_creation``). For each, the links of
the answered status that lead to a DELETE operation say how to address the new resource
(``integrationId: $response.body#/data/_id``); this module evaluates them and sends the DELETE.
When a create operation has no such link, the REST convention is tried: the DELETE operation at
``<create path>/{name}``, with ``name`` (or ``_id``) read from the answer. No operation is named
here, so operations added to the spec later are cleaned up the same way.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from mock_server.spec import load_spec

MAX_RETRIES = 3
MAX_WAIT = 60.0


@dataclass(slots=True)
class CleanupResult:
    created: int = 0
    deleted: int = 0
    already_gone: int = 0
    # resources whose create operation has no link to a DELETE operation
    not_deletable: int = 0
    # 201 answers to requests that did not carry the run's label: maybe an upsert of something
    # that existed before the run, so never deleted
    unlabelled: int = 0
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = (
            f"cleanup: {self.created} POSTs answered 201 Created; {self.deleted} resources deleted, "
            f"{self.already_gone} already gone, {self.not_deletable} with no DELETE operation in the spec"
        )
        if self.unlabelled:
            text += f", {self.unlabelled} left alone (request not labelled with the prefix)"
        return text + (f", {len(self.errors)} errors" if self.errors else "")


def _pointer(document: Any, pointer: str) -> Any:
    node = document
    for raw in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        else:
            node = node[part]
    return node


def evaluate(expression: Any, entry: dict[str, Any]) -> Any:
    """A runtime expression of an OpenAPI link, against one journalled request/response."""
    if not isinstance(expression, str) or not expression.startswith("$"):
        return expression
    match = re.fullmatch(r"\$(response|request)\.body#(.*)", expression)
    if match:
        source = entry["response_body"] if match.group(1) == "response" else entry["request_body"]
        return _pointer(source, match.group(2))
    match = re.fullmatch(r"\$request\.path\.(.+)", expression)
    if match:
        return entry["path_parameters"][match.group(1)]
    raise KeyError(f"unsupported link expression {expression}")


def _operations_by_id(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = (method.upper(), path, operation)
    return found


def delete_requests(spec_path: Path, entry: dict[str, Any]) -> list[str] | None:
    """The DELETE paths that remove the resource ``entry`` created; None when the spec has no way."""
    spec = load_spec(Path(spec_path).resolve())
    operations = _operations_by_id(spec.document)
    created = operations.get(entry.get("operationId") or "")
    if created is None:
        return None
    response = spec.resolve(created[2]["responses"].get(str(entry["status"]), {}))
    paths = []
    for link in response.get("links", {}).values():
        link = spec.resolve(link)
        target = operations.get(link.get("operationId", ""))
        if target is None or target[0] != "DELETE":
            continue
        try:
            values = {name: evaluate(expr, entry) for name, expr in link.get("parameters", {}).items()}
        except (KeyError, IndexError, ValueError, TypeError):
            continue
        path = target[1]
        for name, value in values.items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        if "{" not in path:
            paths.append(path)
    return paths or _conventional_delete(operations, created[1], entry)


def _conventional_delete(operations, created_path: str, entry: dict[str, Any]) -> list[str] | None:
    """Without a link: the DELETE at ``<create path>/{name}``, ``name`` read from the answer (or ``_id``)."""
    pattern = re.compile(re.escape(created_path.rstrip("/")) + r"/\{([^}/]+)\}")
    response = entry.get("response_body")
    data = response.get("data") if isinstance(response, dict) and isinstance(response.get("data"), dict) else response
    request = entry.get("request_body") if isinstance(entry.get("request_body"), dict) else {}
    for method, path, _ in operations.values():
        match = pattern.fullmatch(path)
        if method != "DELETE" or not match:
            continue
        name = match.group(1)
        for source in (data, response, request):
            if isinstance(source, dict) and isinstance(source.get(name), (str, int)):
                return [path.replace("{" + name + "}", quote(str(source[name]), safe=""))]
        if isinstance(data, dict) and isinstance(data.get("_id"), str):
            return [path.replace("{" + name + "}", quote(data["_id"], safe=""))]
    return None


def _send(client: httpx.Client, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    for _ in range(MAX_RETRIES):
        response = client.delete(path, headers=headers)
        if response.status_code != 429:
            break
        try:
            delay = float(response.headers.get("retry-after") or response.headers.get("ratelimit-reset") or 1)
        except ValueError:
            delay = 1.0
        time.sleep(min(max(delay, 0.0), MAX_WAIT))
    if response.headers.get("ratelimit-remaining", "").strip() == "0":
        try:
            time.sleep(min(float(response.headers.get("ratelimit-reset") or 1), MAX_WAIT))
        except ValueError:
            time.sleep(1.0)
    return response


def labelled(entry: dict[str, Any], prefix: str) -> bool:
    """The request carried the run's label, so what it created is the run's own."""
    body = entry.get("request_body")
    if not prefix:
        return True
    values = body.values() if isinstance(body, dict) else ()
    return any(isinstance(value, str) and value.startswith(prefix) for value in values)


def cleanup(
    journal: Path, *, url: str, api_key: str, spec_path: Path, prefix: str = "", timeout: float = 30,
    session_token: str | None = None,
) -> CleanupResult:
    """``session_token``: the run's inbox session, for what only a session may delete (the
    secret key is answered 401 there, as Novu's subscriber guard answers it)."""
    result = CleanupResult()
    if not journal.exists():
        return result
    entries = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines() if line.strip()]
    headers = {"Authorization": f"ApiKey {api_key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=timeout) as client:
        # Newest first: something created from another resource goes before what it depends on.
        for entry in reversed(entries):
            result.created += 1
            paths = delete_requests(spec_path, entry)
            if paths is None:
                result.not_deletable += 1
                continue
            if not labelled(entry, prefix):
                result.unlabelled += 1
                continue
            path = paths[0]
            try:
                response = _send(client, path)
                if response.status_code == 401 and session_token:
                    response = _send(client, path, {"Authorization": f"Bearer {session_token}"})
            except httpx.HTTPError as error:
                result.errors.append(f"DELETE {path}: {error}")
                continue
            if response.is_success:
                result.deleted += 1
            elif response.status_code in (404, 410):
                result.already_gone += 1
            else:
                result.errors.append(f"DELETE {path}: {response.status_code}")
    return result
