"""JSON as the mock writes it: compact, the way Node's ``JSON.stringify`` (and so Novu) writes it.

orjson does the work. It refuses a few things Python's json module accepts and a client can
send inside free-form payloads (integers beyond 64 bits, lone surrogates); such documents are
written by the json module instead, with the same separators.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from connexion.jsonifier import Jsonifier


def encode(data: Any) -> bytes:
    """``data`` as a JSON document ending in a newline, as Connexion ends its documents."""
    try:
        return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(data, separators=(",", ":")) + "\n").encode()


class _Codec:
    """The json-module interface Connexion's Jsonifier expects (it appends the newline itself)."""

    @staticmethod
    def dumps(data: Any, **_options: Any) -> str:
        return encode(data)[:-1].decode()

    loads = staticmethod(json.loads)


# Connexion's answers (the general path) are written by the same codec as the compiled path's.
JSONIFIER = Jsonifier(_Codec)
