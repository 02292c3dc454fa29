"""Loads ``openapi.yaml`` once and answers the questions the mock asks of it.

The spec is the only place where statuses, envelopes and provider ids are written; the mock
reads them from here instead of restating them.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import re
import sys
import tempfile
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
    # the security schemes any of which opens the operation (empty: none needed)
    schemes: tuple[str, ...] = ()


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
        security = operation.get("security", self.document.get("security", []))
        schemes = tuple(dict.fromkeys(name for requirement in security for name in requirement))
        return OperationFacts(operation["operationId"], method.upper(), path, status, enveloped, schemes)

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

    def routes(self, method: str, path: str) -> bool:
        """Whether some documented path matching ``path`` has ``method``: Express, under Novu's
        Nest app, hands a request to the first route of its method whose pattern matches (a
        literal segment may be taken for a parameter), and answers 404 when there is none."""
        wanted = method.upper()
        return any(wanted in methods and regex.match(path) for _, regex, methods in self._path_patterns)

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

    @functools.cached_property
    def valid_input_refusals(self) -> dict[str, list[int]]:
        """operationId -> the statuses Novu gives to some schema-valid requests because of the state
        they meet (a 400 for set-primary on a channel without primaries, say): the responses marked
        ``x-valid-input-refusal: true``. The contract suite accepts these for positive data too."""
        refusals: dict[str, list[int]] = {}
        for item in self.document.get("paths", {}).values():
            for method, operation in item.items():
                if method not in HTTP_METHODS:
                    continue
                marked = sorted(
                    int(code)
                    for code, response in operation.get("responses", {}).items()
                    if self.resolve(response).get("x-valid-input-refusal")
                )
                if marked:
                    refusals[operation["operationId"]] = marked
        return refusals

    @functools.cached_property
    def invalid_input_refusals(self) -> list[int]:
        """Statuses that refuse a request before the API reads it (an over-long URI, 414; headers
        over 16 KiB, 431): the responses marked ``x-invalid-input-refusal: true``. The contract
        suite accepts them as a rejection of invalid data, on every operation."""
        return sorted({
            int(code)
            for item in self.document.get("paths", {}).values()
            for method, operation in item.items() if method in HTTP_METHODS
            for code, response in operation.get("responses", {}).items()
            if self.resolve(response).get("x-invalid-input-refusal")
        })  # fmt: skip

    def enum(self, name: str) -> list[str]:
        return list(self.document["components"]["schemas"][name]["enum"])


def read_yaml(path: Path) -> Any:
    """A YAML document: parsed by libyaml's safe loader (the pure-Python one is several times
    slower: most of a second on openapi.yaml), or, when this exact text was parsed before, the
    parse kept in the cache directory (``cache_dir``): ~2 ms instead of ~45 for openapi.yaml, at
    every start. Each call returns a fresh document."""
    text = Path(path).read_bytes()
    kept = _cache_path(text)
    if kept is not None:
        try:
            document = pickle.loads(kept.read_bytes())
        except Exception:  # no parse kept yet, or a damaged one: parse again and keep that
            pass
        else:
            with contextlib.suppress(OSError):
                os.utime(kept)  # used now: the last to be pruned
            return document
    document = yaml.load(text.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if kept is not None:
        _keep(kept, pickle.dumps(document, protocol=pickle.HIGHEST_PROTOCOL))
        _prune(kept.parent)
    return document


KEPT_PARSES = 8  # parses of other texts (older specs, other files) kept beside the newest


def _prune(directory: Path) -> None:
    """Drop all but the ``KEPT_PARSES`` most recently used parses: each edit of a spec writes a
    new one (about half a megabyte), which would otherwise pile up."""
    try:
        found = [(entry.stat().st_mtime, entry) for entry in directory.glob("yaml-*.pickle")]
    except OSError:
        return
    for _, entry in sorted(found, key=lambda item: item[0], reverse=True)[KEPT_PARSES:]:
        with contextlib.suppress(OSError):
            entry.unlink()


def cache_dir() -> Path | None:
    """Where parsed documents are kept: ``$NOVU_MOCK_CACHE_DIR`` (empty: nowhere), else
    ``$XDG_CACHE_HOME/novu-mock``, else ``~/.cache/novu-mock``."""
    chosen = os.environ.get("NOVU_MOCK_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "novu-mock"


def _cache_path(text: bytes) -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    # the parse depends on the text, the YAML library and (for pickle) the Python that reads it
    key = hashlib.sha256(text + f"|{yaml.__version__}|{sys.version}".encode()).hexdigest()
    return directory / f"yaml-{key[:32]}.pickle"


def _keep(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all; a cache that cannot be written is skipped."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False)
    except OSError:
        return
    try:
        with handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)


@functools.cache
def load_spec(path: Path) -> Spec:
    return Spec(read_yaml(path))
