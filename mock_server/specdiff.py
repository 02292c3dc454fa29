"""``novu-mock spec-diff``: where openapi.yaml and a Novu OpenAPI document differ.

Both documents are read the same way: ``$ref`` resolved, ``allOf`` merged, ``oneOf``/``anyOf`` folded
(a ``null`` branch or ``nullable`` is nullability), and each JSON body flattened to one entry per
field path (``data[].credentials.apiKey``) with its types, nullability, required-ness and enum.
Operations are matched by method and path (parameter names ignored). A response body that is an
object whose only property is ``data`` is an *envelope*: the inside is compared with the other
side's inside, and the wrapping itself is one ``envelope`` difference.

Differences an entry of the known-differences file (``spec-diff-known.yaml`` beside openapi.yaml)
matches are *explained*: each entry names the Novu source that proves the mock right. Operations of
the other document that the mock does not serve form one group, not a list of differences.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
KINDS = ("operation", "field", "enum", "status", "envelope")
MAX_DEPTH = 12
KNOWN_FILE = "spec-diff-known.yaml"


class SpecDiffError(Exception):
    """A document or the known-differences file cannot be read."""


# --- reading --------------------------------------------------------------------------------------


def load_document(location: str, *, timeout: float = 30) -> dict[str, Any]:
    """An OpenAPI document from a path or an http(s) URL, JSON or YAML."""
    if re.match(r"^https?://", location):
        import httpx

        try:
            response = httpx.get(location, timeout=timeout, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise SpecDiffError(f"cannot download {location}: {error}") from None
        text = response.text
    else:
        try:
            text = Path(location).read_text(encoding="utf-8")
        except OSError as error:
            raise SpecDiffError(f"cannot read {location}: {error.strerror or error}") from None
    try:
        document = json.loads(text)
    except ValueError:
        try:
            document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as error:
            raise SpecDiffError(f"{location} is neither JSON nor YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise SpecDiffError(f"{location} is not an OpenAPI document (no paths)")
    return document


class _Reader:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, node: Any, seen: tuple[str, ...] = ()) -> tuple[Any, tuple[str, ...]]:
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not isinstance(ref, str) or not ref.startswith("#/"):
                return {}, seen
            seen = (*seen, ref)
            target: Any = self.document
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part, {}) if isinstance(target, dict) else {}
            node = target
        return node, seen

    def normalize(self, schema: Any, seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], tuple[str, ...]]:
        """One plain schema: refs resolved, allOf merged, oneOf/anyOf folded, nullability made explicit."""
        schema, seen = self.resolve(schema, seen)
        if not isinstance(schema, dict):
            return {}, seen
        result: dict[str, Any] = {k: v for k, v in schema.items() if k not in ("allOf", "oneOf", "anyOf")}
        types = result.get("type")
        types = set(types) if isinstance(types, list) else ({types} if isinstance(types, str) else set())
        nullable = bool(result.get("nullable")) or "null" in types
        types.discard("null")
        if isinstance(result.get("enum"), list) and None in result["enum"]:
            nullable = True
            result["enum"] = [value for value in result["enum"] if value is not None]
        properties = dict(result.get("properties") or {})
        required = set(result.get("required") or [])
        for part in schema.get("allOf") or []:
            part, _ = self.normalize(part, seen)
            properties.update(part.get("properties") or {})
            required |= set(part.get("required") or [])
            types |= part["_types"]
            nullable = nullable or part["_nullable"]
            for key in ("items", "enum", "additionalProperties"):
                if key in part and key not in result:
                    result[key] = part[key]
        variants = [*(schema.get("oneOf") or []), *(schema.get("anyOf") or [])]
        if variants:
            declared = bool(types)  # the schema's own type: variants that only add rules keep it
            folded = [self.normalize(variant, seen)[0] for variant in variants]
            concrete = [variant for variant in folded if variant["_types"] or variant.get("properties") or variant.get("enum")]
            nullable = (
                nullable
                or any(variant["_nullable"] for variant in folded)
                or (len(concrete) < len(folded) and not declared)
            )
            for variant in concrete:
                types |= variant["_types"]
                for name, value in (variant.get("properties") or {}).items():
                    properties.setdefault(name, value)
                if "items" in variant and "items" not in result:
                    result["items"] = variant["items"]
                if variant.get("enum"):
                    result["enum"] = [*(result.get("enum") or []), *variant["enum"]]
            if concrete:
                shared = set.intersection(*(set(variant.get("required") or []) for variant in concrete))
                required |= shared
        if not types:
            if properties:
                types = {"object"}
            elif "items" in result:
                types = {"array"}
        if "integer" in types and "number" in types:
            types.discard("integer")
        result["properties"] = properties
        result["required"] = sorted(required)
        result["_types"] = types
        result["_nullable"] = nullable
        return result, seen


@dataclass(slots=True)
class Field:
    types: tuple[str, ...]
    nullable: bool
    required: bool
    enum: tuple[Any, ...] | None


def flatten(reader: _Reader, schema: Any, prefix: str = "", *, required: bool = True) -> dict[str, Field]:
    """Every field path of a body schema, "" being the body itself."""
    out: dict[str, Field] = {}

    def walk(node: Any, path: str, is_required: bool, seen: tuple[str, ...], depth: int) -> None:
        plain, seen = reader.normalize(node, seen)
        enum = plain.get("enum")
        out[path] = Field(
            tuple(sorted(plain["_types"])), plain["_nullable"], is_required,
            tuple(sorted(enum, key=repr)) if isinstance(enum, list) else None,
        )  # fmt: skip
        if depth >= MAX_DEPTH:
            return
        required_names = set(plain["required"])
        for name, sub in plain["properties"].items():
            walk(sub, f"{path}.{name}" if path else name, name in required_names, seen, depth + 1)
        if "items" in plain and "array" in plain["_types"]:
            walk(plain["items"], f"{path}[]", True, seen, depth + 1)
        extra = plain.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            walk(extra, f"{path}{{*}}", False, seen, depth + 1)

    walk(schema, prefix, required, (), 0)
    return out


# --- operations -----------------------------------------------------------------------------------


def _route(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/")


@dataclass(slots=True)
class Operation:
    method: str
    path: str
    operation_id: str
    node: dict[str, Any]
    parameters: list[dict[str, Any]]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def operations(reader: _Reader) -> dict[tuple[str, str], Operation]:
    found = {}
    for path, item in reader.document.get("paths", {}).items():
        item, _ = reader.resolve(item)
        shared = item.get("parameters") or []
        for method in METHODS:
            node = item.get(method)
            if not isinstance(node, dict):
                continue
            parameters = {}
            for parameter in [*shared, *(node.get("parameters") or [])]:
                parameter, _ = reader.resolve(parameter)
                if isinstance(parameter, dict) and "name" in parameter:
                    parameters[(parameter.get("in"), str(parameter["name"]).lower())] = parameter
            found[(method.upper(), _route(path))] = Operation(
                method.upper(), path, node.get("operationId", ""), node, list(parameters.values())
            )
    return found


# --- differences ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Difference:
    kind: str  # operation | field | enum | status | envelope
    operation: str  # "METHOD /path" as the mock writes it (the other document's path when only there)
    where: str  # "operation", "request body", "response 200", "query parameters", ...
    field: str  # a field path, a parameter name, a status code, or ""
    change: str
    explained_by: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return f"{self.kind} {self.operation} | {self.where} | {self.field} | {self.change}"


@dataclass(slots=True)
class DiffResult:
    mine: str
    theirs: str
    differences: list[Difference] = field(default_factory=list)
    not_served: list[tuple[str, str]] = field(default_factory=list)
    stale_explanations: list[dict[str, Any]] = field(default_factory=list)
    compared_operations: int = 0

    @property
    def unexplained(self) -> list[Difference]:
        return [difference for difference in self.differences if difference.explained_by is None]

    @property
    def explained(self) -> list[Difference]:
        return [difference for difference in self.differences if difference.explained_by is not None]

    def counts(self) -> dict[str, dict[str, int]]:
        counts = {"unexplained": dict.fromkeys(KINDS, 0), "explained": dict.fromkeys(KINDS, 0)}
        for difference in self.differences:
            counts["explained" if difference.explained_by else "unexplained"][difference.kind] += 1
        return counts


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _compare_fields(
    mine: dict[str, Field], theirs: dict[str, Field], *, operation: str, where: str, out: list[Difference]
) -> None:
    def add(kind: str, path: str, change: str) -> None:
        out.append(Difference(kind, operation, where, path or "(body)", change))

    for path in sorted(set(mine) | set(theirs)):
        parent_missing = any(
            (path.startswith(p) and path[len(p) : len(p) + 1] in (".", "[", "{"))
            for p in (set(mine) ^ set(theirs))
            if p != path and len(p) < len(path)
        )
        if parent_missing:
            continue
        if path not in theirs:
            add("field", path, "only in the mock")
            continue
        if path not in mine:
            add("field", path, "only in Novu's document")
            continue
        a, b = mine[path], theirs[path]
        if a.types and b.types and a.types != b.types:
            add("field", path, f"type: mock {'|'.join(a.types)}, Novu {'|'.join(b.types)}")
        if a.nullable != b.nullable:
            add("field", path, f"nullable: mock {_yes(a.nullable)}, Novu {_yes(b.nullable)}")
        if a.required != b.required and path and path != "data":
            add("field", path, f"required: mock {_yes(a.required)}, Novu {_yes(b.required)}")
        if a.enum is not None and b.enum is not None:
            only_novu = [value for value in b.enum if value not in a.enum]
            only_mock = [value for value in a.enum if value not in b.enum]
            if only_novu:
                add("enum", path, "values only in Novu's document: " + ", ".join(map(str, only_novu)))
            if only_mock:
                add("enum", path, "values only in the mock: " + ", ".join(map(str, only_mock)))
        elif (a.enum is None) != (b.enum is None):
            add("enum", path, "enum only in " + ("the mock" if b.enum is None else "Novu's document"))


def _json_schema(reader: _Reader, holder: Any) -> tuple[bool, Any]:
    holder, _ = reader.resolve(holder)
    content = (holder or {}).get("content") or {}
    for media, body in content.items():
        if "json" in media:
            return True, (body or {}).get("schema", {})
    return bool(content), {}


def _envelope(reader: _Reader, schema: Any) -> Any | None:
    plain, _ = reader.normalize(schema)
    properties = plain.get("properties") or {}
    if set(properties) == {"data"} and not plain.get("additionalProperties"):
        return properties["data"]
    return None


def _compare_operation(mine: Operation, theirs: Operation, reader_m: _Reader, reader_t: _Reader) -> list[Difference]:
    out: list[Difference] = []
    label = mine.label
    if mine.operation_id != theirs.operation_id:
        out.append(Difference("operation", label, "operationId", "", f"mock {mine.operation_id}, Novu {theirs.operation_id}"))
    # parameters (path parameters are matched by position through the route, so only query and header)
    for location in ("query", "header"):
        def fields(op: Operation, reader: _Reader) -> dict[str, Field]:
            found = {}
            for parameter in op.parameters:
                if parameter.get("in") != location:
                    continue
                name = str(parameter["name"]) if location == "query" else str(parameter["name"]).lower()
                sub = flatten(reader, parameter.get("schema", {}), name, required=bool(parameter.get("required")))
                found.update(sub)
            return found

        _compare_fields(fields(mine, reader_m), fields(theirs, reader_t), operation=label,
                        where=f"{location} parameters", out=out)  # fmt: skip
    # request body
    has_m, body_m = _json_schema(reader_m, mine.node.get("requestBody"))
    has_t, body_t = _json_schema(reader_t, theirs.node.get("requestBody"))
    if has_m != has_t:
        out.append(Difference("field", label, "request body", "(body)", "only in " + ("the mock" if has_m else "Novu's document")))
    elif has_m:
        _compare_fields(flatten(reader_m, body_m), flatten(reader_t, body_t), operation=label, where="request body", out=out)
    # statuses and response bodies
    responses_m = {str(code): value for code, value in (mine.node.get("responses") or {}).items()}
    responses_t = {str(code): value for code, value in (theirs.node.get("responses") or {}).items()}
    for code in sorted(set(responses_m) | set(responses_t)):
        if code not in responses_t:
            out.append(Difference("status", label, "responses", code, "documented only by the mock"))
            continue
        if code not in responses_m:
            out.append(Difference("status", label, "responses", code, "documented only in Novu's document"))
            continue
        has_m, schema_m = _json_schema(reader_m, responses_m[code])
        has_t, schema_t = _json_schema(reader_t, responses_t[code])
        where = f"response {code}"
        if not (has_m and has_t):
            if has_m != has_t:
                out.append(Difference("field", label, where, "(body)", "only in " + ("the mock" if has_m else "Novu's document")))
            continue
        inner_m, inner_t = _envelope(reader_m, schema_m), _envelope(reader_t, schema_t)
        prefix = ""
        if (inner_m is None) != (inner_t is None):
            wrapped = "Novu's document" if inner_t is not None else "the mock"
            out.append(Difference("envelope", label, where, "data", f"only {wrapped} wraps the body in {{data}}"))
        if inner_m is not None or inner_t is not None:
            # compare what is inside the envelope (the wrapper's own required-ness is the envelope's)
            schema_m = schema_m if inner_m is None else inner_m
            schema_t = schema_t if inner_t is None else inner_t
            prefix = "data" if inner_m is not None and inner_t is not None else ""
        _compare_fields(flatten(reader_m, schema_m, prefix), flatten(reader_t, schema_t, prefix),
                        operation=label, where=where, out=out)  # fmt: skip
    return out


def diff_documents(mine: dict[str, Any], theirs: dict[str, Any], *, mine_name: str = "openapi.yaml",
                   theirs_name: str = "Novu's document") -> DiffResult:  # fmt: skip
    reader_m, reader_t = _Reader(mine), _Reader(theirs)
    ops_m, ops_t = operations(reader_m), operations(reader_t)
    result = DiffResult(mine_name, theirs_name)
    for key in sorted(set(ops_m) | set(ops_t), key=lambda k: (k[1], k[0])):
        if key not in ops_m:
            result.not_served.append((ops_t[key].label, ops_t[key].operation_id))
        elif key not in ops_t:
            op = ops_m[key]
            result.differences.append(Difference("operation", op.label, "operation", "", f"only in the mock ({op.operation_id})"))
        else:
            result.compared_operations += 1
            result.differences += _compare_operation(ops_m[key], ops_t[key], reader_m, reader_t)
    return result


# --- explanations ---------------------------------------------------------------------------------


MATCH_KEYS = ("kind", "operation", "where", "field", "change")


def load_known(path: Path) -> list[dict[str, Any]]:
    """The known differences: a list of entries, each matching differences by glob on
    kind/operation/where/field/change, with a ``reason`` and the Novu ``source`` proving it."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SpecDiffError(f"{path}: not YAML: {error}") from None
    entries = data.get("known") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SpecDiffError(f"{path}: expected a top-level 'known:' list")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("source") or not entry.get("reason"):
            raise SpecDiffError(f"{path}: entry {index + 1} needs a 'reason' and a 'source' (the Novu file that proves it)")
        if entry.get("kind") not in (*KINDS, None):
            raise SpecDiffError(f"{path}: entry {index + 1}: kind must be one of {', '.join(KINDS)}")
        if not any(entry.get(key) for key in MATCH_KEYS):
            raise SpecDiffError(f"{path}: entry {index + 1} matches nothing in particular (give kind, operation...)")
    return entries


def _matches(entry: dict[str, Any], difference: Difference) -> bool:
    for key in MATCH_KEYS:
        pattern = entry.get(key)
        if pattern is not None and not fnmatch.fnmatchcase(str(getattr(difference, key)), str(pattern)):
            return False
    return True


def explain(result: DiffResult, known: list[dict[str, Any]]) -> DiffResult:
    used = [False] * len(known)
    for difference in result.differences:
        for index, entry in enumerate(known):
            if _matches(entry, difference):
                difference.explained_by = entry
                used[index] = True
                break
    result.stale_explanations = [entry for entry, hit in zip(known, used, strict=True) if not hit]
    return result


# --- output ---------------------------------------------------------------------------------------


KIND_TITLES = {
    "operation": "Operations",
    "field": "Fields (parameters, request and response bodies)",
    "enum": "Enums",
    "status": "Statuses",
    "envelope": "Envelopes",
}


def render_text(result: DiffResult, *, verbose: bool = False) -> str:
    counts = result.counts()
    lines = [
        f"spec-diff: {result.mine} against {result.theirs}",
        f"  {result.compared_operations} operations in both; {len(result.not_served)} of Novu's not served by the mock",
        "",
    ]
    unexplained = result.unexplained
    if unexplained:
        lines.append(f"UNEXPLAINED differences: {len(unexplained)} ({len(_signatures(unexplained))} distinct)")
        for kind in KINDS:
            group = [d for d in unexplained if d.kind == kind]
            if group:
                lines += ["", f"{KIND_TITLES[kind]} ({len(group)})", *_grouped(group)]
        lines.append("")
    else:
        lines += ["No unexplained difference.", ""]
    explained = result.explained
    if explained:
        lines.append(f"Explained differences: {len(explained)} (" + ", ".join(
            f"{kind} {n}" for kind, n in counts["explained"].items() if n) + ")")  # fmt: skip
        if verbose:
            for difference in explained:
                entry = difference.explained_by or {}
                lines.append(f"  {difference.key}")
                lines.append(f"      {entry.get('reason')} [{entry.get('source')}]")
        lines.append("")
    if result.not_served:
        lines.append(f"Not served by the mock: {len(result.not_served)} operations of Novu's document")
        lines += [f"  {label}  ({operation_id})" for label, operation_id in result.not_served]
        lines.append("")
    if result.stale_explanations:
        lines.append(f"Known differences that no longer occur: {len(result.stale_explanations)} (remove them)")
        lines += [f"  {_entry_label(entry)}" for entry in result.stale_explanations]
        lines.append("")
    lines.append(
        "Summary: " + ", ".join(f"{kind} {n}" for kind, n in counts["unexplained"].items()) + " unexplained; "
        f"{len(explained)} explained; {len(result.not_served)} not served"
    )
    return "\n".join(lines) + "\n"


SHARED = 3  # a difference found in this many operations or more is listed once


def _signatures(differences: list[Difference]) -> dict[tuple[str, str, str, str], list[str]]:
    found: dict[tuple[str, str, str, str], list[str]] = {}
    for d in differences:
        found.setdefault((d.kind, d.where, d.field, d.change), []).append(d.operation)
    return found


def _grouped(differences: list[Difference]) -> list[str]:
    """Per operation, except what recurs in many operations (shared error bodies...): listed once."""
    lines: list[str] = []
    signatures = _signatures(differences)
    shared = {signature: ops for signature, ops in signatures.items() if len(ops) >= SHARED}
    for (_, where, target, change), ops in shared.items():
        more = f", ... ({len(ops) - 3} more)" if len(ops) > 3 else ""
        lines.append(f"  in {len(ops)} operations: {where} {target}: {change}")
        lines.append(f"      {', '.join(ops[:3])}{more}")
    current = None
    for d in differences:
        if (d.kind, d.where, d.field, d.change) in shared:
            continue
        if d.operation != current:
            current = d.operation
            lines.append(f"  {current}")
        target = f" {d.field}" if d.field else ""
        lines.append(f"    {d.where}{target}: {d.change}")
    return lines


def _entry_label(entry: dict[str, Any]) -> str:
    return " ".join(f"{key}={entry[key]}" for key in MATCH_KEYS if entry.get(key))


def render_json(result: DiffResult) -> str:
    def item(difference: Difference) -> dict[str, Any]:
        data = asdict(difference)
        data["explained_by"] = (
            {key: difference.explained_by.get(key) for key in ("reason", "source")} if difference.explained_by else None
        )
        return data

    payload = {
        "mine": result.mine,
        "theirs": result.theirs,
        "compared_operations": result.compared_operations,
        "counts": result.counts(),
        "unexplained": [item(d) for d in result.unexplained],
        "explained": [item(d) for d in result.explained],
        "not_served": [{"operation": label, "operationId": op_id} for label, op_id in result.not_served],
        "stale_explanations": result.stale_explanations,
    }
    return json.dumps(payload, indent=2, default=str) + "\n"


def run(location: str, *, spec: Path, known: Path | None = None) -> DiffResult:
    from mock_server.spec import read_yaml

    mine = read_yaml(spec)
    theirs = load_document(location)
    title = (theirs.get("info") or {}).get("title", "document")
    version = (theirs.get("info") or {}).get("version", "?")
    result = diff_documents(mine, theirs, mine_name=spec.name, theirs_name=f"{title} {version} ({location})")
    return explain(result, load_known(known if known is not None else spec.with_name(KNOWN_FILE)))
