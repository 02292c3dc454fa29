"""One contract run over several Schemathesis processes, and their results put back together.

Schemathesis spends most of a run generating cases (Hypothesis), on one core: its workers are
threads. A run over the whole spec therefore uses one core of a CI runner's two or four. The
runner splits the selected operations into ``jobs`` groups of about equal cost, each tested by its
own ``st run`` with the examples, coverage and fuzzing phases, while one more process runs the
stateful phase over the whole selection (its scenarios follow links between operations, which a
split would cut). Every operation still gets every phase and every check; only the processes
differ. Their NDJSON streams are merged into one report, and their progress into one display.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from contract_tests.report import CheckOutcome, OperationResult, ProgressEvent, RunReport

UNIT_PHASES = ("examples", "coverage", "fuzzing")


@dataclass(frozen=True, slots=True)
class Shard:
    """One ``st run`` of a split run: these operationIds (None: the run's own selection), these phases."""

    operations: tuple[str, ...] | None
    phases: str


def operation_cost(document: dict[str, Any], path: str, method: str, resolve: Callable[[Any], Any]) -> int:
    """A rough cost of testing one operation: Schemathesis generates a value per parameter and per
    body property, in every phase, so an operation costs about one unit per input it takes."""
    item = document.get("paths", {}).get(path, {})
    operation = item.get(method.lower(), {})
    parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
    body = resolve(operation.get("requestBody", {}))
    properties = 0
    for media in body.get("content", {}).values():
        schema = resolve(media.get("schema", {}))
        properties = max(properties, len(schema.get("properties", {})) if isinstance(schema, dict) else 0)
    return 2 + len(parameters) + properties


def split(costs: dict[str, int], jobs: int) -> list[tuple[str, ...]]:
    """``jobs`` groups of operationIds with sums of cost as equal as the greedy rule makes them
    (longest first, each to the lightest group), each group in the spec's order; empty groups dropped."""
    order = {operation: index for index, operation in enumerate(costs)}
    groups: list[list[str]] = [[] for _ in range(max(1, jobs))]
    loads = [0] * len(groups)
    for operation in sorted(costs, key=lambda name: (-costs[name], order[name])):
        lightest = loads.index(min(loads))
        groups[lightest].append(operation)
        loads[lightest] += costs[operation]
    return [tuple(sorted(group, key=order.__getitem__)) for group in groups if group]


# Groups per process slot. One: each Schemathesis process pays a start (loading and analysing the
# whole spec) of several seconds of CPU, so more, smaller groups cost more than they balance
# (measured: three groups per slot took the default run from 138 s to 204 s; benchmarks/README.md).
GROUPS_PER_JOB = 1


def plan(costs: dict[str, int], jobs: int, *, phases: Sequence[str]) -> list[Shard]:
    """The processes of a run, in the order they start (``jobs`` at a time): one for the stateful
    phase (when the run has it) over the whole selection, then the groups of operations for the
    unit phases, costliest first. One process when ``jobs`` is 1 or the selection has a single
    operation."""
    if jobs <= 1 or len(costs) <= 1:
        return [Shard(None, ",".join(phases))]
    unit = [phase for phase in phases if phase in UNIT_PHASES]
    shards = [Shard(None, "stateful")] if "stateful" in phases else []
    if unit:
        groups = split(costs, min(len(costs), jobs * GROUPS_PER_JOB))
        groups.sort(key=lambda group: -sum(costs[operation] for operation in group))
        shards += [Shard(group, ",".join(unit)) for group in groups]
    return shards


def _merge_check(into: CheckOutcome, other: CheckOutcome) -> None:
    into.runs += other.runs
    into.failures += other.failures
    for title, message in other.titles.items():
        into.titles.setdefault(title, message)
    into.first_curl = into.first_curl or other.first_curl


def _merge_operation(into: OperationResult, other: OperationResult) -> None:
    into.requests += other.requests
    for name, outcome in other.checks.items():
        _merge_check(into.check(name), outcome)
    into.errors.extend(other.errors)
    into.first_failing_curl = into.first_failing_curl or other.first_failing_curl


_WORST = ("error", "failure", "interrupted", "skip", "success")


def merge(reports: Iterable[RunReport]) -> RunReport:
    """One report of a split run: operations, checks and errors added up; a phase's status is the
    worst any process gave it; the running time is the longest process's."""
    merged = RunReport()
    for report in reports:
        for label, operation in report.operations.items():
            _merge_operation(merged.operation(label), operation)
        merged.fatal_errors.extend(report.fatal_errors)
        merged.seed = merged.seed if merged.seed is not None else report.seed
        if report.running_time is not None:
            merged.running_time = max(merged.running_time or 0.0, report.running_time)
        for phase, status in report.phases.items():
            known = merged.phases.get(phase)
            rank = _WORST.index(status) if status in _WORST else 0
            if known is None or rank < (_WORST.index(known) if known in _WORST else 0):
                merged.phases[phase] = status
    return merged


class ProgressMerger:
    """The progress of several processes as one run's: "start" once with every operation counted,
    a phase started when the first process starts it and finished when the last one running it
    finishes (with the worst status), every scenario as it finishes."""

    def __init__(self, callback: Callable[[ProgressEvent], None], shards: Sequence[Shard], operations: int) -> None:
        self._callback = callback
        self._operations = operations
        self._lock = threading.Lock()
        self._started = False
        self._running: dict[str, int] = {}
        self._finished: dict[str, int] = {}
        self._status: dict[str, str] = {}
        self._expected = {phase: sum(phase in shard.phases.split(",") for shard in shards) for phase in (*UNIT_PHASES, "stateful")}

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            forwarded = self._translate(event)
        for item in forwarded:
            self._callback(item)

    def _translate(self, event: ProgressEvent) -> list[ProgressEvent]:
        if event.kind == "start":
            if self._started:
                return []
            self._started = True
            return [ProgressEvent("start", operations=self._operations)]
        phase = event.phase or ""
        if event.kind == "phase-started":
            self._running[phase] = self._running.get(phase, 0) + 1
            return [event] if self._running[phase] == 1 else []
        if event.kind == "phase-finished":
            self._finished[phase] = self._finished.get(phase, 0) + 1
            status = event.status or "success"
            known = self._status.get(phase)
            if known is None or (status in _WORST and (known not in _WORST or _WORST.index(status) < _WORST.index(known))):
                self._status[phase] = status
            if self._finished[phase] < self._expected.get(phase, 1):
                return []
            return [ProgressEvent("phase-finished", phase, status=self._status[phase])]
        return [event]
