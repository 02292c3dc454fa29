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


def test_reclaim_frees_frozen_garbage_cycles_such_as_a_reset_backend() -> None:
    import weakref

    class Service:
        pass

    try:
        one, two = Service(), Service()
        one.peer, two.peer = two, one  # services of a Backend refer to each other
        alive = weakref.ref(one)
        heap.keep_pauses_short()  # frozen while still in use
        del one, two  # the Backend is dropped (reset)
        gc.collect()
        assert alive() is not None  # frozen: the collector does not look at it
        heap.reclaim()
        assert alive() is None
        assert gc.get_freeze_count() > 0  # what survived is frozen again
    finally:
        while heap._freeze_survivors in gc.callbacks:
            gc.callbacks.remove(heap._freeze_survivors)
        gc.unfreeze()


def test_start_up_runs_without_collections_then_freezes_what_it_built() -> None:
    passes: list[int] = []

    def count(phase: str, info: dict) -> None:
        if phase == "start":
            passes.append(info["generation"])

    gc.callbacks.append(count)
    try:
        with heap.starting_up():
            assert not gc.isenabled()
            built = [{"record": index, "tags": [str(index)]} for index in range(50_000)]  # seeding
            assert passes == []  # tens of thousands of new containers, and not one pass
        assert gc.isenabled()
        assert passes == []  # not even at the end: the start-up heap is frozen as it is
        assert gc.get_freeze_count() >= len(built)
        assert heap._freeze_survivors in gc.callbacks
    finally:
        gc.callbacks.remove(count)
        while heap._freeze_survivors in gc.callbacks:
            gc.callbacks.remove(heap._freeze_survivors)
        gc.unfreeze()
        gc.enable()


def test_start_up_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with heap.starting_up():
            pass
        assert not gc.isenabled()
    finally:
        while heap._freeze_survivors in gc.callbacks:
            gc.callbacks.remove(heap._freeze_survivors)
        gc.unfreeze()
        gc.enable()
