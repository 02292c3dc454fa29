"""Records hand out copies: what a caller does to an answer never reaches the store."""

from __future__ import annotations

import pytest

from mock_server.store.values import clone


@pytest.mark.parametrize(
    "value",
    [
        {"invoice": "INV-1", "amount": 10.5, "paid": False, "note": None, "count": 3},  # flat
        ["a", 1, None, True],  # flat list
        {"order": {"lines": [{"sku": "A", "qty": 2}]}, "tags": ["x"]},  # nested
        [{"deep": [[1, 2], {"k": "v"}]}],
        {"huge": 2**80, "inner": {"huge": -(2**70)}},  # beyond 64 bits: copied in Python
        {"é": "ünïcödé ✓", "emoji": "🚀"},
        {},
        [],
    ],
)
def test_a_clone_is_equal_and_shares_no_container(value) -> None:
    copy = clone(value)
    assert copy == value and type(copy) is type(value)

    def containers(node, found):
        if isinstance(node, (dict, list)):
            found.append(id(node))
            for child in node.values() if isinstance(node, dict) else node:
                containers(child, found)
        return found

    assert not set(containers(copy, [])) & set(containers(value, []))


def test_changing_a_clone_leaves_the_original_alone() -> None:
    flat = {"a": "1"}
    nested = {"a": {"b": ["c"]}}
    flat_copy, nested_copy = clone(flat), clone(nested)
    flat_copy["a"] = "changed"
    nested_copy["a"]["b"].append("d")
    assert flat == {"a": "1"}
    assert nested == {"a": {"b": ["c"]}}


def test_scalars_are_shared() -> None:
    text = "shared"
    assert clone(text) is text
    assert clone(None) is None
