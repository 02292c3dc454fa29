"""Connexion's start-up check of an OpenAPI document, done with a compiled validator.

Connexion checks each document it is given against the OpenAPI meta-schema, and each ``default``
against the schema it sits in, with pure-Python jsonschema: about a quarter of a second for
openapi.yaml, a third of the mock's start-up. The same meta-schema compiled with jsonschema_rs
answers "valid?" in milliseconds. Only a document that is not plainly valid goes through
Connexion's own check, which then explains what is wrong exactly as before (the pattern of
``validation.py``: the fast validator decides, the slow one explains).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
from connexion.spec import Specification

from mock_server.validation import to_json_schema


@functools.cache
def _meta_validator(specification_class: type) -> Any:
    return jsonschema_rs.validator_for(specification_class.openapi_schema)


def _defaults_plainly_valid(spec: dict) -> bool:
    """Every ``default`` valid against the schema object holding it (its ``$ref``s resolved in ``spec``)."""
    components = {"schemas": {name: to_json_schema(schema) for name, schema in spec.get("components", {}).get("schemas", {}).items()}}

    def valid(node: Any) -> bool:
        if isinstance(node, list):
            return all(valid(item) for item in node)
        if not isinstance(node, dict):
            return True
        if "default" in node and any(key in node for key in ("type", "enum", "format", "properties", "items")):
            schema = {**to_json_schema(node), "components": components}
            if not jsonschema_rs.Draft4Validator(schema).is_valid(node["default"]):
                return False
        return all(valid(value) for key, value in node.items() if key != "default")

    return valid(spec)


@contextlib.contextmanager
def compiled_spec_check() -> Iterator[None]:
    """While open, Connexion's ``Specification`` checks documents the fast way first."""
    original = Specification.__dict__["_validate_spec"]

    def check(cls: type, spec: dict) -> None:
        if _meta_validator(cls).is_valid(spec) and _defaults_plainly_valid(spec):
            return
        original.__func__(cls, spec)  # Connexion's own check, with its own error

    Specification._validate_spec = classmethod(check)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Specification._validate_spec = original  # type: ignore[method-assign]
