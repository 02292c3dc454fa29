"""The serving process keeps the collector's full passes short by freezing what survives them."""

from __future__ import annotations

import gc

from mock_server import heap


def test_survivors_of_a_full_collection_are_frozen_and_garbage_is_not() -> None:
    try:
        heap.keep_pauses_short()
        frozen_at_start = gc.get_freeze_count()
        assert frozen_at_start > 0

        kept = [[index, [index]] for index in range(1000)]  # long-lived containers, like store records
        cycle: list = []
        cycle.append(cycle)  # garbage that only the collector can reclaim
        del cycle
        unreachable = gc.collect()

        assert unreachable >= 1  # the cycle was collected, not frozen
        assert gc.get_freeze_count() >= frozen_at_start + len(kept)
        assert heap._freeze_survivors in gc.callbacks
        heap.keep_pauses_short()
        assert gc.callbacks.count(heap._freeze_survivors) == 1
    finally:
        while heap._freeze_survivors in gc.callbacks:
            gc.callbacks.remove(heap._freeze_survivors)
        gc.unfreeze()
