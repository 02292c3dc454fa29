"""Time a full `novu-mock contract` run at the default settings against a freshly started mock.

    python benchmarks/contract_run.py [--runs N]

Prints one line per run (wall-clock seconds, requests sent, verdict) and the median. Target: a run
over every operation of the spec finishes within 5 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import time

from contract_tests.runner import ContractOptions, run_contract
from mock_server.serving import running
from mock_server.settings import Settings

KEY = "benchmark-key"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    durations = []
    for run in range(1, args.runs + 1):
        with running(Settings(port=0, api_keys={KEY: "Benchmark"})) as url:
            started = time.perf_counter()
            result = run_contract(ContractOptions(url, KEY))
            elapsed = time.perf_counter() - started
        durations.append(elapsed)
        report = result.report
        requests = report.requests if report else 0
        operations = len(report.operations) if report else 0
        verdict = "passed" if result.passed else f"FAILED: {result.reason}"
        print(f"run {run}: {elapsed:6.1f} s wall clock, {operations} operations, {requests} requests, {verdict}")
    print(f"median: {statistics.median(durations):.1f} s over {len(durations)} run(s) (target: < 300 s)")


if __name__ == "__main__":
    main()
