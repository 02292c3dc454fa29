"""Values generated from the spec's schemas (OpenAPI 3.0 subset the spec uses).

Static mode (no ``rng``) gives one readable, stable value per schema: the schema's example or
default, the first enum value or alternative, every declared property, one array item.
Dynamic mode (an ``random.Random``) gives a random value that still satisfies the schema; the
same seed gives the same value.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from mock_server.spec import Spec

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_SYLLABLES = ["no", "vu", "ma", "il", "sen", "da", "ta", "ko", "re", "li", "pu", "sh", "ex", "on"]


def _is_id(name: str) -> bool:
    return name == "_id" or (name.startswith("_") and name.endswith("Id"))


class Generator:
    def __init__(self, spec: Spec, rng: random.Random | None = None) -> None:
        self.spec = spec
        self.rng = rng

    def value(self, schema: dict[str, Any], depth: int = 0) -> Any:
        schema = self.spec.resolve(schema)
        rng = self.rng
        if rng is None:
            for key in ("example", "default"):
                if key in schema:
                    return schema[key]
        if "enum" in schema:
            return rng.choice(schema["enum"]) if rng else schema["enum"][0]
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                part_value = self.value(part, depth + 1)
                if isinstance(part_value, dict):
                    merged.update(part_value)
            return merged
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = schema[key]
                return self.value(rng.choice(options) if rng else options[0], depth + 1)
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        match kind:
            case "object":
                return self._object(schema, depth)
            case "array":
                return self._array(schema, depth)
            case "string":
                return self._string(schema)
            case "integer":
                return int(self._number(schema, integer=True))
            case "number":
                return self._number(schema, integer=False)
            case "boolean":
                return rng.random() < 0.5 if rng else True
            case _:
                # an untyped schema ({}): any JSON value will do
                return self._string({}) if rng else "value"

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        rng = self.rng
        required = set(schema.get("required", []))
        result: dict[str, Any] = {}
        for name, sub in schema.get("properties", {}).items():
            resolved = self.spec.resolve(sub)
            if name not in required and rng is None:
                continue  # static answers hold what the schema requires, nothing more
            if name not in required:
                # keep readable answers finite: optional nested structures stop at some depth
                if depth > 3 and resolved.get("type") in ("object", "array"):
                    continue
                if rng is not None and rng.random() < 0.3:
                    continue
            if rng is not None and resolved.get("type") == "string" and _is_id(name) and "enum" not in resolved:
                result[name] = f"{rng.getrandbits(96):024x}"  # ids look like the API's (24 hex)
            else:
                result[name] = self.value(sub, depth + 1)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and rng is not None and depth < 4:
            for _ in range(rng.randint(0, 2)):
                result.setdefault(self._word(), self.value(extra, depth + 1))
        return result

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", max(low, 3))
        if self.rng is None:
            count = max(low, 1 if depth < 4 else 0)
        else:
            top = max(low, min(high, 3))
            # a top-level list shows at least one item when the schema allows it
            count = self.rng.randint(min(max(low, 1 if depth <= 1 else 0), top), top)
        return [self.value(schema.get("items", {}), depth + 1) for _ in range(count)]

    def _string(self, schema: dict[str, Any]) -> str:
        rng = self.rng
        fmt = schema.get("format")
        if fmt == "date-time":
            moment = _EPOCH + (timedelta(seconds=rng.randint(0, 300 * 86400)) if rng else timedelta(0))
            return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if fmt == "date":
            return (_EPOCH + timedelta(days=rng.randint(0, 300) if rng else 0)).date().isoformat()
        if fmt == "uri":
            return f"https://example.com/{self._word()}"
        if fmt == "email":
            return f"{self._word()}@example.com"
        text = self._word() if rng else "string"
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        while len(text) < low:
            text += self._word() if rng else "x"
        return text[:high] if high is not None else text

    def _number(self, schema: dict[str, Any], *, integer: bool) -> float:
        low = schema.get("minimum", 0)
        high = schema.get("maximum", max(low, 1000))
        if self.rng is None:
            return low
        return self.rng.randint(int(low), int(high)) if integer else round(self.rng.uniform(low, high), 3)

    def _word(self) -> str:
        rng = self.rng or random.Random(0)
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        return word if rng.random() < 0.8 else word + rng.choice(string.digits)
