"""Copies of the JSON-shaped values records hold (payloads, data, credentials...)."""

from __future__ import annotations

from typing import Any


def clone(value: Any) -> Any:
    """A deep copy of dicts and lists of JSON values; scalars are immutable and shared.

    Records hand out copies so that no caller can change the store through an answer, and keep
    copies of what they are given. ``copy.deepcopy`` does the same for any object, several times
    slower: answers make many of these copies.
    """
    if type(value) is dict:
        return {key: clone(item) for key, item in value.items()}
    if type(value) is list:
        return [clone(item) for item in value]
    if isinstance(value, (dict, list, tuple, set)):  # anything unusual: the general copy
        import copy

        return clone(value)
    return value
