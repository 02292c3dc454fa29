"""Schemathesis hooks that make generated requests behave like a well-mannered client.

An ``idempotency-key`` promises that the request it names is the same request each time it is
sent; the API answers 422 when a key comes back with another body. JSON Schema cannot say "unique",
so a generator left alone reuses short keys like ``"0"`` across different bodies, and the API
rightly refuses them. This hook keeps whatever value was generated (odd characters and all) and
appends a unique suffix, so each generated request is a new logical request, as the SDKs make it.
Keys longer than the documented 255 characters are left alone: they must still be refused.
Negative cases are left alone too: they are meant to be refused, and editing them would make
Schemathesis re-classify them.
"""

from __future__ import annotations

import uuid

import schemathesis

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255


def unique_key(value: str) -> str:
    suffix = uuid.uuid4().hex
    return f"{value[: MAX_KEY_LENGTH - len(suffix) - 1]}-{suffix}"


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == HEADER and len(str(headers[name])) <= MAX_KEY_LENGTH:
            headers[name] = unique_key(str(headers[name]))
