"""Loads ``openapi.yaml`` once and answers the questions the mock asks of it.

The spec is the only place where statuses, envelopes and provider ids are written; the mock
reads them from here instead of restating them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True, slots=True)
class OperationFacts:
    operation_id: str
    method: str
    path: str
    success_status: int
    # the success body is {"data": ...}: the handler's result gets wrapped
    enveloped: bool


class Spec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.operations: dict[str, OperationFacts] = {}
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if method in HTTP_METHODS:
                    facts = self._facts(path, method, operation)
                    self.operations[facts.operation_id] = facts

    def _facts(self, path: str, method: str, operation: dict[str, Any]) -> OperationFacts:
        # 2xx first; an operation that only redirects (browser flows) succeeds with its 3xx
        success = sorted(int(code) for code in operation["responses"] if str(code)[:1] in ("2", "3"))
        status = success[0]
        response = self.resolve(operation["responses"][str(status)])
        schema = self.resolve(response.get("content", {}).get("application/json", {}).get("schema", {}))
        enveloped = schema.get("type") == "object" and set(schema.get("properties", {})) == {"data"}
        return OperationFacts(operation["operationId"], method.upper(), path, status, enveloped)

    @functools.cached_property
    def _path_patterns(self) -> list[tuple[bool, re.Pattern[str], list[str]]]:
        patterns = []
        for path, item in self.document.get("paths", {}).items():
            methods = [method.upper() for method in item if method in HTTP_METHODS]
            if "GET" in methods:
                methods.append("HEAD")
            regex = re.sub(r"\\{[^}/]+\\}", "[^/]+", re.escape(path))
            patterns.append((path.count("{"), re.compile(f"^{regex}$"), methods))
        return patterns

    def allowed_methods(self, path: str) -> list[str]:
        """The methods the spec documents for ``path``; the path with the fewest templated
        segments wins, as in routing (``.../notifications/archive`` over ``.../{notificationId}``)."""
        matches = [(templated, methods) for templated, regex, methods in self._path_patterns if regex.match(path)]
        if not matches:
            return []
        fewest = min(templated for templated, _ in matches)
        return sorted({m for templated, methods in matches if templated == fewest for m in methods})

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while isinstance(node, dict) and "$ref" in node:
            node = self.schema_at(node["$ref"])
        return node

    def schema_at(self, ref: str) -> dict[str, Any]:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    @functools.cached_property
    def provider_channels(self) -> dict[str, str]:
        """providerId -> channel, from the per-channel provider enums (marked ``x-channel``)."""
        mapping: dict[str, str] = {}
        for schema in self.document["components"]["schemas"].values():
            channel = schema.get("x-channel")
            if channel:
                mapping.update(dict.fromkeys(schema["enum"], channel))
        return mapping

    def enum(self, name: str) -> list[str]:
        return list(self.document["components"]["schemas"][name]["enum"])


def read_yaml(path: Path) -> Any:
    """A YAML document, through libyaml's safe loader when present (the pure-Python one is
    several times slower: most of a second on openapi.yaml)."""
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def load_spec(path: Path) -> Spec:
    return Spec(read_yaml(path))
