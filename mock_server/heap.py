"""Short collector pauses while the store grows.

CPython's full (generation 2) collections walk every container object the cyclic collector
tracks. A mock holding hundreds of thousands of records would pause every answer for tens of
milliseconds each time. Records are long-lived by design, so what survives start-up, and then
what survives each full collection, is frozen (``gc.freeze``): later passes skip it, and each
full pass only walks what was made since the previous one. And full passes come after every
middle (generation 1) pass instead of every tenth, so each walks a tenth as much: the same work
in shorter pauses (measured on a run of subscriber creations: the longest pause went from
18.5 ms to 2.8 ms, the collector's total time did not grow).

Reference counting still frees a frozen object as soon as nothing refers to it, but reference
cycles among frozen objects are not reclaimed. A Backend's services refer to each other: what
drops a whole Backend (``/_mock/reset``) calls ``reclaim``. So do a connection's objects (asyncio's
transport refers to itself through its read callback; uvicorn's protocol and its request cycle
refer to each other): every connection open during a full pass is frozen with it, and was kept
for good once closed (measured on ``serve``: 2 MB more per 640 keep-alive connections, ~3 KB
each). ``reclaim_when_quiet`` runs beside the server and reclaims them once it is quiet and the
heap has grown by a twentieth.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from typing import Any


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def _freeze_now_and_after_each_full_pass() -> None:
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1)  # a full pass after each middle pass: short ones
    # CPython holds back a full pass until what is new is a quarter of what the last one kept; with
    # all of it frozen that bar should be zero: a pass over the (now empty) generations sets it so,
    # at no cost, instead of waiting for a quarter of a heap that no pass looks at any more.
    gc.collect()
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def keep_pauses_short() -> None:
    """For a serving process: freeze the start-up heap now and the survivors of each full pass."""
    gc.collect()
    _freeze_now_and_after_each_full_pass()


@contextlib.contextmanager
def starting_up() -> Iterator[None]:
    """For a serving process, around its start: no collection while the start-up heap is built
    (everything made then lives as long as the process, so those passes freed next to nothing and
    cost a fifth of the start), then that heap is frozen as it is and the policy of
    ``keep_pauses_short`` applies. No pass over that heap at the end: measured on the default
    fixtures, it found about 3,000 objects of start-up garbage in 125,000 (no change in RSS) and
    took 70 ms, so that garbage is frozen with the rest instead (the one pass that follows the
    freeze walks empty generations)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _freeze_now_and_after_each_full_pass()
        if was_enabled:
            gc.enable()


def reclaim() -> None:
    """Let the collector at everything again, once: frozen objects that became garbage (a reset
    environment, closed connections) are freed; what survives is frozen again. Under the serving
    policy, CPython's bar for the next full pass is reset too, as after the start-up freeze: a
    pass over the whole heap would otherwise hold full passes back until a quarter of that heap
    is new, and make the first one a long pause. In a process that freezes nothing (the mock on a
    test's thread, ``mock_server.testing``) there is nothing to reclaim, and no pass is forced.
    """
    serving = _freeze_survivors in gc.callbacks
    frozen = gc.get_freeze_count() > 0
    if not serving and not frozen:
        return  # nothing is hidden from the collector: it frees the cycles at its own pace
    gc.unfreeze()
    gc.collect()
    if serving:
        _freeze_now_and_after_each_full_pass()
    elif frozen:
        gc.freeze()


async def reclaim_when_quiet(activity: Callable[[], int], quiet_seconds: float = 2.0, growth: float = 0.05) -> None:
    """For a serving process, as a task beside the server: ``reclaim`` once no request came for
    ``quiet_seconds`` (``activity()``, a count of requests answered so far, did not move) and the
    heap grew by ``growth`` (a share) since the last reclaim. The pass walks the whole heap (46-72
    ms with the default fixtures, ~1 s with a million subscribers), so it waits for a quiet moment
    instead of pausing answers, and for the heap to have grown in proportion to its size, so that
    its cost stays a bounded share of the work that froze what it looks at: what it can free
    (closed connections) is a fraction of what was frozen meanwhile.

    The heap's size is the count of blocks Python's allocator holds (``sys.getallocatedblocks``:
    0.01 ms with the default fixtures, 0.4 ms with 9 million blocks), read only once it is quiet.
    Not ``gc.get_freeze_count()``: it walks the list of frozen objects, 11 ms with the default
    fixtures and 64 ms with 3 million objects; read every few seconds under load, it was a pause
    that queued every connection's next answer behind it (p99 of the benchmark's last rows, after
    the write rows grew the store: 5 -> 15-20 ms)."""
    size_after = sys.getallocatedblocks()
    seen = activity()
    while True:
        await asyncio.sleep(quiet_seconds)
        now = activity()
        quiet = now == seen and _freeze_survivors in gc.callbacks
        if quiet and sys.getallocatedblocks() - size_after > growth * size_after:  # measured when quiet only
            reclaim()
            size_after = sys.getallocatedblocks()
        seen = now
