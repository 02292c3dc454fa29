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


def _has_ref(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_has_ref(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_ref(item) for item in node)
    return False


def _defaults_plainly_valid(node: Any) -> bool:
    """Every ``default`` valid against the schema object holding it; False when unsure ($ref)."""
    if isinstance(node, list):
        return all(_defaults_plainly_valid(item) for item in node)
    if not isinstance(node, dict):
        return True
    if "default" in node and any(key in node for key in ("type", "enum", "format", "properties", "items")):
        if _has_ref(node) or not jsonschema_rs.Draft4Validator(to_json_schema(node)).is_valid(node["default"]):
            return False
    return all(_defaults_plainly_valid(value) for key, value in node.items() if key != "default")


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
