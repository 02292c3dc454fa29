"""How MongoDB orders and compares values, for lists Novu sorts by a field the caller names.

Novu's cursor pages (the DAL's findWithCursorBasedPagination) sort ``{field: dir, _id: dir}``
and turn a cursor into ``field < v OR (field == v AND _id < id)`` (the comparisons flipped for
the other direction or for ``before``, inclusive with ``includeCursor``). Any field name is
taken, so the answer depends on MongoDB's rules, which this module restates:

- values of different types are ordered by type: null (and a missing field) < numbers < strings
  < objects < arrays < ObjectIds < booleans < dates;
- a sort reads an array field through its smallest element ascending, its largest descending;
  an empty array sorts before null;
- a query comparison (``$lt``, ``$gt``, ``$eq`` and the inclusive ones) only matches a value of
  the query value's own type (null matching null and missing), and an array field matches when
  one of its elements does;
- a dotted name walks into objects (and arrays, element by element); names MongoDB itself
  refuses (``$...``, empty segments) are read as a field no document has.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

# Type brackets, in MongoDB's order.
_EMPTY_ARRAY, _NULL, _NUMBER, _STRING, _OBJECT, _ARRAY, _OBJECT_ID, _BOOLEAN, _DATE = (0, 1, 2, 3, 4, 5, 7, 8, 9)


class ObjectId(str):
    """A 24-hex id stored as a Mongo ObjectId (ordered after strings, by its bytes)."""

    __slots__ = ()


MISSING = None  # a field a document does not have compares and sorts as null


def key(value: Any) -> tuple:
    """A sort key putting values in MongoDB's order (an array taken as a whole)."""
    if value is None:
        return (_NULL,)
    if isinstance(value, bool):
        return (_BOOLEAN, value)
    if isinstance(value, (int, float)):
        return (_NUMBER, value)
    if isinstance(value, ObjectId):
        return (_OBJECT_ID, value.lower())
    if isinstance(value, str):
        return (_STRING, value)
    if isinstance(value, datetime):
        return (_DATE, value)
    if isinstance(value, dict):
        # pair by pair, in document order: the value's type, then the name, then the value
        return (_OBJECT, tuple((key(item)[0], name, key(item)) for name, item in value.items()))
    if isinstance(value, (list, tuple)):
        return (_ARRAY, tuple(key(item) for item in value))
    return (_STRING, str(value))


def sort_key(value: Any, descending: bool) -> tuple:
    """The key a sort in the given direction reads for ``value`` (arrays by an element)."""
    if isinstance(value, (list, tuple)):
        if not value:
            return (_EMPTY_ARRAY,)
        keys = [key(item) for item in value]
        return max(keys) if descending else min(keys)
    return key(value)


def valid_path(name: str) -> bool:
    return bool(name) and all(part and not part.startswith("$") for part in name.split("."))


def at_path(document: dict[str, Any], name: str) -> Any:
    """The value of the (dotted) field ``name``; ``MISSING`` when the document has none. Through
    an array, the values of its elements (a list), or the element a numeric part names."""
    if not valid_path(name):
        return MISSING
    current: Any = document
    for part in name.split("."):
        if isinstance(current, dict):
            current = current.get(part, MISSING)
        elif isinstance(current, list):
            if part.isdigit():
                index = int(part)
                current = current[index] if index < len(current) else MISSING
            else:
                found = [item.get(part, MISSING) for item in current if isinstance(item, dict)]
                current = [item for item in found if item is not MISSING] or MISSING
        else:
            return MISSING
    return current


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt,
    "$lte": operator.le,
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$eq": operator.eq,
}


def matches(value: Any, op: str, query_value: Any) -> bool:
    """Whether a document whose field holds ``value`` matches ``{field: {op: query_value}}``."""
    compare = _OPERATORS[op]
    if isinstance(value, list) and not isinstance(query_value, list):
        return any(matches(item, op, query_value) for item in value)
    mine, theirs = key(value), key(query_value)
    if mine[0] != theirs[0]:
        return False
    return compare(mine, theirs)
