"""JSON as the mock reads and writes it: request bodies read the way Novu's body parser reads them,
answers written compact, the way Node's ``JSON.stringify`` (and so Novu) writes them.

Reading (``read_body``): Novu parses bodies with body-parser's JSON parser (strict mode) and Node's
``JSON.parse``, then stores them in MongoDB. What that means for inputs Python's json module would
read differently, each answered here before any handler sees the body:

- ``NaN``, ``Infinity`` and other non-JSON tokens: ``JSON.parse`` refuses them, 400 (RFC 8259).
- A body whose top level is not an object or array (``"text"``, ``42``, ``null``): body-parser's
  strict mode refuses it, 400.
- Numbers: every JSON number is a double in Node. Integers up to 64 bits are kept exactly; a longer
  one is read as the nearest double, and one beyond a double's range (``1e400``, or an integer of
  hundreds of digits) is Infinity in Node, which JSON cannot carry: Node writes it back as ``null``,
  so it is read as ``null`` here (never Python's int-string limit, never ``Infinity`` in an answer).
- A lone UTF-16 surrogate escape (``"\\ud800"``): valid JSON, but Node encodes strings to UTF-8
  (for MongoDB's BSON) with U+FFFD in its place, so it is read as U+FFFD.
- Nesting: MongoDB refuses documents nested more than 100 levels, so Novu fails on a deeper body
  when it stores it; here a body nested more than ``MAX_DEPTH`` levels is refused with 400 before
  anything is stored (nothing kept can then break a later answer or the state file).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from mock_server.errors import BadRequest

# Objects and arrays, the body itself included: MongoDB's limit for a BSON document.
MAX_DEPTH = 100
# The mock's own control documents (a state export to import again) hold those bodies a few
# levels down; orjson writes up to 254 levels, so both limits leave every answer writable.
CONTROL_MAX_DEPTH = 2 * MAX_DEPTH
_BOM = b"\xef\xbb\xbf"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def encode(data: Any) -> bytes:
    """``data`` as a JSON document ending in a newline, as Connexion ends its documents."""
    try:
        return orjson.dumps(data, option=orjson.OPT_APPEND_NEWLINE)
    except TypeError:
        return (json.dumps(data, separators=(",", ":")) + "\n").encode()


def canonical(data: Any) -> bytes:
    """``data`` as ``JSON.stringify`` writes it (compact, keys in their order): what Novu hashes."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode()


class UnreadableBody(BadRequest):
    """A request body Novu's body parser refuses (400), before any of Nest's exceptions."""

    nest_error = None


def read_body(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """A UTF-8 request body as Novu reads it (see the module's text); ``UnreadableBody`` if it can't.

    ``raw`` is not empty or blank (the callers decide what an empty body means). A leading
    byte-order mark is tolerated, as body-parser tolerates it.
    """
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    slowly = False
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value, slowly = _read_slowly(raw, max_depth), True  # what orjson refuses but Node reads, or a message
    if not isinstance(value, dict | list):
        raise UnreadableBody("Request body is not valid JSON: a JSON object or array is expected at position 0")
    # A body of at most MAX_DEPTH brackets cannot be nested deeper: the walk is for the rare rest.
    if raw.count(b"{") + raw.count(b"[") > max_depth and _depth(value, max_depth) > max_depth:
        raise UnreadableBody(f"Request body is nested more than {max_depth} levels deep")
    if slowly and _SURROGATE_ESCAPE.search(raw):  # orjson refuses lone surrogates: only here
        value = _without_lone_surrogates(value)
    return value


def _number(text: str) -> Any:
    """A JSON integer as Node keeps it: exact within 64 bits, else a double (Infinity -> null)."""
    if len(text) <= 20:
        number = int(text)
        if -(2**63) <= number < 2**64:
            return number
    return _double(text)


def _double(text: str) -> Any:
    number = float(text)
    return None if number in (float("inf"), float("-inf")) else number


def _refuse(token: str) -> Any:
    raise ValueError(token)


def _read_slowly(raw: bytes, max_depth: int) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableBody(f"Request body is not valid utf-8: {error.reason}") from None
    try:
        value = json.loads(text, parse_int=_number, parse_float=_double, parse_constant=_refuse)
    except json.JSONDecodeError as error:
        raise UnreadableBody(f"Request body is not valid JSON: {error.msg} at position {error.pos}") from None
    except ValueError as error:  # NaN, Infinity, -Infinity
        raise UnreadableBody(f"Request body is not valid JSON: unexpected token {error}") from None
    except RecursionError:
        raise UnreadableBody(f"Request body is nested more than {max_depth} levels deep") from None
    return value


def _without_lone_surrogates(value: Any) -> Any:
    """``value`` with each lone surrogate replaced by U+FFFD (json.loads pairs the valid ones)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(key): _without_lone_surrogates(item) for key, item in value.items()}
    return value


def _depth(value: Any, limit: int) -> int:
    """How many objects and arrays deep ``value`` is (iterative: no recursion limit)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


class JsonModule:
    """The json-module interface Connexion's Jsonifier expects (it appends the newline itself)."""

    @staticmethod
    def dumps(data: Any, **_options: Any) -> str:
        return encode(data)[:-1].decode()

    loads = staticmethod(json.loads)

