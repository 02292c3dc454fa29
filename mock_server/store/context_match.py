"""Novu's context-key filters: which records a ``contextKeys`` filter selects."""

from __future__ import annotations

from collections.abc import Sequence


def context_matches(record_keys: Sequence[str], wanted: Sequence[str] | None) -> bool:
    """Novu's exact context match (``buildContextExactMatchQuery`` of its base repository): no
    filter when ``wanted`` is None; an empty ``wanted`` selects records without a context; else
    records whose contexts are exactly these (all of them, and no others)."""
    if wanted is None:
        return True
    if not wanted:
        return not record_keys
    return len(record_keys) == len(wanted) and set(wanted) <= set(record_keys)


def present_keys(context_keys: list[str] | None) -> list[str] | None:
    """A ``contextKeys`` query parameter as the filters read it: empty values dropped (a bare
    ``contextKeys=`` asks for records without a context), None when it was not sent."""
    return None if context_keys is None else [key for key in context_keys if key != ""]
