"""TextColumn: a text found anywhere in a field's values, as an unanchored regular expression finds it."""

from __future__ import annotations

import random

from mock_server.store.text_search import TextColumn


def _scan(values: dict[str, str], needle: str) -> list[str]:
    return sorted(record_id for record_id, value in values.items() if needle in value)


def test_find_is_the_plain_substring_test_under_any_change() -> None:
    rng = random.Random(3)
    column, mirror = TextColumn(), {}
    alphabet = "ab.+\0-"
    for step in range(600):
        record_id = f"r{rng.randrange(40)}"
        value = None if rng.random() < 0.2 else "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 7)))
        column.set(record_id, value)
        if value is None:
            mirror.pop(record_id, None)
        else:
            mirror[record_id] = value
        if step % 7 == 0:
            for needle in ("a", "ab", "b.", "+", "a\0", "-a", "ba+", "", "zz"):
                assert sorted(column.find(needle)) == _scan(mirror, needle), (step, needle)
    assert len(column) == len(mirror) and dict(column.items()) == mirror


def test_one_record_is_found_once_and_the_last_value_counts() -> None:
    column = TextColumn()
    column.update({"a": "xaxaxa", "b": "bbb", "c": "xa"})
    assert column.find("xa") == ["a", "c"], "several hits in one value name it once"
    assert column.find("a") == ["a", "c"]
    column.set("c", None)
    assert column.find("xa") == ["a"]
    column.set("b", "xa")
    assert sorted(column.find("xa")) == ["a", "b"]
    assert column.find("xa\0b") == [], "a text holding the separator is looked for value by value"
