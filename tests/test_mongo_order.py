"""MongoDB's ordering and comparison rules, as the subscriber list sorted by any field uses them."""

from __future__ import annotations

from datetime import datetime, timezone

from mock_server.store import mongo_order
from mock_server.store.mongo_order import ObjectId


def test_types_sort_in_mongos_order() -> None:
    moment = datetime(2024, 1, 1, tzinfo=timezone.utc)
    values = [moment, True, ObjectId("a" * 24), [1], {"a": 1}, "text", 3, None]
    ordered = sorted(values, key=mongo_order.key)
    assert ordered == [None, 3, "text", {"a": 1}, [1], ObjectId("a" * 24), True, moment]


def test_numbers_compare_across_int_and_float_and_strings_by_code_point() -> None:
    assert mongo_order.key(2) < mongo_order.key(2.5) < mongo_order.key(10)
    assert mongo_order.key("Z") < mongo_order.key("a") < mongo_order.key("é")


def test_objects_compare_pair_by_pair() -> None:
    assert mongo_order.key({"a": 1}) < mongo_order.key({"a": 2}) < mongo_order.key({"b": 0})
    assert mongo_order.key({"a": 1}) < mongo_order.key({"a": 1, "b": 0}), "the shorter object is less"
    assert mongo_order.key({"a": 5}) < mongo_order.key({"a": "x"}), "a number value sorts before a string value"


def test_arrays_sort_by_their_smallest_or_largest_element() -> None:
    assert mongo_order.sort_key([3, 1, 2], descending=False) == mongo_order.key(1)
    assert mongo_order.sort_key([3, 1, 2], descending=True) == mongo_order.key(3)
    assert mongo_order.sort_key([], descending=False) < mongo_order.sort_key(None, descending=False)


def test_comparisons_match_only_values_of_the_query_values_type() -> None:
    assert mongo_order.matches("a", "$lt", "b") and not mongo_order.matches(None, "$lt", "b")
    assert not mongo_order.matches(5, "$lt", "b"), "a number is not less than a string in a query"
    assert mongo_order.matches(None, "$eq", None) and not mongo_order.matches(None, "$lt", None)
    assert mongo_order.matches(None, "$lte", None) and not mongo_order.matches("x", "$gt", None)
    assert mongo_order.matches([1, 9], "$gt", 5), "an array matches when one element does"
    assert not mongo_order.matches([], "$eq", None)


def test_dotted_names_walk_into_objects_and_arrays() -> None:
    document = {"data": {"plan": "pro", "tags": [{"k": "a"}, {"k": "b"}]}, "channels": []}
    assert mongo_order.at_path(document, "data.plan") == "pro"
    assert mongo_order.at_path(document, "data.tags.k") == ["a", "b"]
    assert mongo_order.at_path(document, "data.tags.1.k") == "b"
    assert mongo_order.at_path(document, "data.none.deeper") is None
    assert mongo_order.at_path(document, "$where") is None and mongo_order.at_path(document, "data..plan") is None
