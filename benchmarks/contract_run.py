"""Time a full `novu-mock contract` run at the default settings against a freshly started mock.

    python benchmarks/contract_run.py [--runs N] [--seed S] [--thorough]

Prints one line per run: wall-clock seconds, CPU seconds (user+sys: the mock, served from this
process, plus the Schemathesis child), the peak resident memory of the whole process tree
(sampled from /proc every 0.2 s), requests sent, seed and verdict; then the medians. Targets: the
default run within 120 s on a 2-core machine and within 1 GB. On a shared machine wall-clock time
is noisy; CPU time is not.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import threading
import time

from benchmarks.process_sampler import rss_bytes
from contract_tests.runner import ContractOptions, run_contract
from mock_server.serving import running
from mock_server.settings import Settings

KEY = "benchmark-key"
WALL_TARGET = 120
RSS_TARGET = 1 << 30


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=None, help="default: a new seed per run")
    parser.add_argument("--thorough", action="store_true")
    args = parser.parse_args()
    walls, cpus, peaks = [], [], []
    for run in range(1, args.runs + 1):
        peak = [0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], rss_bytes(os.getpid()))
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        with running(Settings(port=0, api_keys={KEY: "Benchmark"})) as url:
            sampler.start()
            cpu, started = _cpu(), time.perf_counter()
            result = run_contract(ContractOptions(url, KEY, seed=args.seed, thorough=args.thorough))
            elapsed, used = time.perf_counter() - started, _cpu() - cpu
            stop.set()
            sampler.join()
        walls.append(elapsed)
        cpus.append(used)
        peaks.append(peak[0])
        report = result.report
        requests = report.requests if report else 0
        operations = len(report.operations) if report else 0
        verdict = "passed" if result.passed else f"FAILED: {result.reason}"
        print(
            f"run {run}: {elapsed:6.1f} s wall clock, {used:6.1f} s CPU, peak RSS {peak[0] / 2**20:.0f} MiB, "
            f"{operations} operations, {requests} requests, seed {result.seed}, {verdict}"
        )
    print(
        f"median: {statistics.median(walls):.1f} s wall clock (target < {WALL_TARGET} s), "
        f"{statistics.median(cpus):.1f} s CPU, peak RSS {statistics.median(peaks) / 2**20:.0f} MiB "
        f"(target < {RSS_TARGET >> 20} MiB) over {len(walls)} run(s)"
    )


if __name__ == "__main__":
    main()
