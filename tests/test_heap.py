"""The serving process keeps the collector's full passes short by freezing what survives them."""

from __future__ import annotations

import asyncio
import gc
import sys
import weakref

import pytest

from mock_server import heap


@pytest.fixture(autouse=True)
def collector_as_it_was():
    """Each test changes the process's collector (callbacks, frozen objects, thresholds, on/off);
    it is put back as it was afterwards, whatever the test did or where it failed."""
    callbacks, threshold, enabled = list(gc.callbacks), gc.get_threshold(), gc.isenabled()
    yield
    gc.callbacks[:] = callbacks
    gc.unfreeze()
    gc.set_threshold(*threshold)
    if enabled:
        gc.enable()
    else:
        gc.disable()


def _passes_started(record) -> None:
    """Call ``record(info)`` at the start of each collector pass."""
    gc.callbacks.append(lambda phase, info: record(info) if phase == "start" else None)


def test_survivors_of_a_full_collection_are_frozen_and_garbage_is_not() -> None:
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


def test_reclaim_frees_frozen_garbage_cycles_such_as_a_reset_backend() -> None:
    import weakref

    class Service:
        pass

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


def test_start_up_runs_without_collections_then_freezes_what_it_built() -> None:
    passes: list[tuple[int, int]] = []  # (generation, objects frozen when the pass started)
    _passes_started(lambda info: passes.append((info["generation"], gc.get_freeze_count())))
    with heap.starting_up():
        assert not gc.isenabled()
        built = [{"record": index, "tags": [str(index)]} for index in range(50_000)]  # seeding
        assert passes == []  # tens of thousands of new containers, and not one pass
    assert gc.isenabled()
    # at the end the start-up heap is frozen as it is; the one pass that follows (it resets
    # CPython's bar for full passes) starts after that, so it cannot walk what start-up built
    assert all(frozen >= len(built) for _, frozen in passes) and len(passes) <= 1
    assert gc.get_freeze_count() >= len(built)
    assert heap._freeze_survivors in gc.callbacks


def test_start_up_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    with heap.starting_up():
        pass
    assert not gc.isenabled()


def test_full_passes_come_often_so_that_each_walks_little() -> None:
    passes: list[int] = []
    heap.keep_pauses_short()
    _passes_started(lambda info: passes.append(info["generation"]))
    kept = [{"record": index, "tags": [str(index)]} for index in range(100_000)]  # a store that grows
    middle, full = passes.count(1), passes.count(2)
    assert middle >= 5
    # CPython's default is one full pass per ten middle ones; here one per one or two middle
    # passes, within its rule of no full pass before a quarter of the last one's survivors is new
    assert full * 3 >= middle, (middle, full)
    assert gc.get_freeze_count() >= len(kept) // 2  # what the full passes found alive is frozen


class _Connection:
    """Like an asyncio transport: refers to itself through a bound method, so only the
    collector can free it."""

    def __init__(self) -> None:
        self.read_ready = self.on_data

    def on_data(self) -> None:
        pass


def _frozen_connection() -> weakref.ref:
    connection = _Connection()
    gc.freeze()  # it was open during a full pass
    return weakref.ref(connection)


def test_a_frozen_cycle_is_reclaimed_once_the_server_is_quiet_and_not_before() -> None:
    heap.keep_pauses_short()
    answered = 0
    closed = None

    async def serve_then_go_quiet() -> None:
        nonlocal answered, closed
        reclaimer = asyncio.create_task(heap.reclaim_when_quiet(lambda: answered, quiet_seconds=0.05, growth=0))
        await asyncio.sleep(0)  # the server runs...
        closed = _frozen_connection()  # ...a connection is frozen with a full pass, then closed
        gc.collect()
        assert closed() is not None  # frozen: a pass does not look at it
        for _ in range(20):  # requests keep coming, ten per quiet period: no reclaim
            answered += 1
            await asyncio.sleep(0.005)
            assert closed() is not None
        await asyncio.sleep(0.3)  # quiet for six periods
        reclaimer.cancel()

    asyncio.run(serve_then_go_quiet())
    assert closed() is None
    assert heap._freeze_survivors in gc.callbacks and gc.get_freeze_count() > 0  # the policy goes on


def test_a_quiet_server_whose_heap_does_not_grow_is_left_alone() -> None:
    heap.keep_pauses_short()
    passes: list[int] = []

    async def quiet() -> None:
        reclaimer = asyncio.create_task(heap.reclaim_when_quiet(lambda: 0, quiet_seconds=0.01, growth=0.01))
        await asyncio.sleep(0.1)
        _passes_started(lambda info: passes.append(info["generation"]))
        await asyncio.sleep(0.1)
        reclaimer.cancel()

    asyncio.run(quiet())
    assert 2 not in passes  # no full pass over the heap, again and again, while nothing happens


def test_a_quiet_reclaim_waits_for_the_heap_to_grow_by_its_share() -> None:
    heap.keep_pauses_short()
    closed = None

    async def quiet() -> None:
        nonlocal closed
        reclaimer = asyncio.create_task(heap.reclaim_when_quiet(lambda: 0, quiet_seconds=0.01, growth=0.5))
        await asyncio.sleep(0)
        closed = _frozen_connection()  # a few objects frozen, not half the heap: not worth a pass
        await asyncio.sleep(0.1)
        assert closed() is not None
        grown = [[index] for index in range(sys.getallocatedblocks())]  # the heap doubles, and is frozen
        gc.freeze()
        await asyncio.sleep(0.1)
        reclaimer.cancel()
        assert grown

    asyncio.run(quiet())
    assert closed() is None


def test_under_load_the_heap_is_not_measured(monkeypatch) -> None:
    # Measuring is for quiet moments only: gc.get_freeze_count() walks every frozen object (11 ms
    # with the default fixtures), and even the allocator's count is work no answer should wait for.
    heap.keep_pauses_short()
    measured: list[str] = []
    allocated = sys.getallocatedblocks

    def counted_blocks() -> int:
        measured.append("blocks")
        return allocated()

    monkeypatch.setattr(sys, "getallocatedblocks", counted_blocks)
    monkeypatch.setattr(gc, "get_freeze_count", lambda: measured.append("frozen") or 0)
    answered = 0

    async def busy() -> None:
        nonlocal answered
        reclaimer = asyncio.create_task(heap.reclaim_when_quiet(lambda: answered, quiet_seconds=0.01, growth=0))
        for _ in range(40):  # a request answered every 5 ms: never a quiet period of 10 ms
            answered += 1
            await asyncio.sleep(0.005)
        reclaimer.cancel()

    asyncio.run(busy())
    assert measured == ["blocks"]  # once, when the task started


def test_without_the_serving_policy_nothing_is_reclaimed() -> None:
    closed = _frozen_connection()  # frozen by someone else, on purpose

    async def quiet() -> None:
        reclaimer = asyncio.create_task(heap.reclaim_when_quiet(lambda: 0, quiet_seconds=0.01, growth=0))
        await asyncio.sleep(0.1)
        reclaimer.cancel()

    asyncio.run(quiet())
    assert closed() is not None


def test_after_a_reclaim_full_passes_still_come_often() -> None:
    heap.keep_pauses_short()
    store = [{"record": index, "tags": [str(index)]} for index in range(200_000)]  # a large heap
    heap.reclaim()  # everything goes back to the collector once, and is frozen again
    passes: list[int] = []
    _passes_started(lambda info: passes.append(info["generation"]))
    kept = [{"record": index, "tags": [str(index)]} for index in range(50_000)]  # the store grows
    middle, full = passes.count(1), passes.count(2)
    # CPython holds a full pass back until a quarter of what the last one kept is new: after a
    # pass over the whole heap that bar would be 100,000 objects, and the first full pass after
    # it a long pause; the reclaim resets it as the start-up freeze does
    assert middle >= 2 and full * 3 >= middle, (middle, full)
    assert store and kept


def test_where_nothing_is_frozen_a_reclaim_forces_no_pass() -> None:
    """The mock on a test's thread (the pytest plugin) resets before every test: a full pass over
    the test process's heap each time would be paid for nothing the collector cannot free itself."""
    passes: list[int] = []
    _passes_started(lambda info: passes.append(info["generation"]))
    heap.reclaim()
    assert 2 not in passes
