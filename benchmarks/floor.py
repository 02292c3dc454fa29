"""The latency this machine gives an app of known cost, under the load of the benchmark against Prism.

    python benchmarks/floor.py [--work-us 0,50,100,150,200] [--duration 10] [--warmup 2] [--connections 16]

Runs benchmarks/reference_app.py (uvicorn as ``mock_server serve`` runs it, an app that only spends
a fixed CPU time per request) at each cost of ``--work-us``, with the load and pinning of a row of
benchmarks/vs_prism.py: wrk -t1 with 16 connections, the server on one CPU and wrk on the other.
Prints, per cost: the CPU time the server process really used per answer (the app's work plus
uvicorn's, the event loop's and the kernel's), requests/s, p50 and p99 latency.

Why: at 16 connections on one core, latency is about 16 answers' worth of CPU time, and how far
p99 lies above p50 depends on the machine as much as on the app. Set a row's "CPU us/answer"
(printed by vs_prism.py) against the line of the same cost here to see what p99 any app of that
cost gets on this machine with this server stack. Exit code 0, or 2 when the benchmark cannot run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

if __name__ == "__main__" and not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import vs_prism, wrk_runner
from benchmarks.process_sampler import StartError, free_port, running
from benchmarks.wrk_runner import Request, WrkError, WrkResult

REFERENCE_APP = Path(__file__).resolve().parent / "reference_app.py"
DEFAULT_COSTS = (0.0, 50.0, 100.0, 150.0, 200.0)


def measure_cost(rig: vs_prism.Rig, python: str, work_us: float) -> tuple[WrkResult, float]:
    """One cost: the reference app started, loaded like a row; (wrk result, server CPU us per answer)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [*rig.server_cpu, python, str(REFERENCE_APP), "--port", str(port), "--work-us", f"{work_us:g}"]
    with running("reference app", command, rig.logs / f"reference-{work_us:g}us.log") as server:
        server.wait_first_answer(base + "/", {})
        result, _, cpu_us = vs_prism.load(rig, base, Request("GET", "/"), server.process.pid)
    return result, cpu_us


def render_line(work_us: float, cpu_us: float, result: WrkResult) -> str:
    within = "yes" if result.p99_ms <= vs_prism.MAX_P99_MS else "no"
    return (
        f"{work_us:14.0f} {cpu_us:16.0f} {result.rps:9.0f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} "
        f"{result.p99_ms / result.p50_ms if result.p50_ms else 0:9.2f}  {within}"
    )


HEADER = (
    f"{'app work (us)':>14} {'server CPU (us)':>16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>9}  "
    f"p99 <= {vs_prism.MAX_P99_MS:g} ms"
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--work-us",
        default=",".join(f"{cost:g}" for cost in DEFAULT_COSTS),
        help="comma-separated CPU times per request for the reference app, in microseconds",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per cost (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    args = parser.parse_args(argv)
    try:
        args.costs = [float(cost) for cost in args.work_us.split(",") if cost.strip()]
    except ValueError:
        parser.error(f"--work-us: not a list of numbers: {args.work_us!r}")
    if not args.costs or any(cost < 0 for cost in args.costs):
        parser.error("--work-us: give one cost at least, none negative")
    if args.duration < 1 or args.connections < 1 or args.warmup < 0:
        parser.error("--duration must be at least 1, --connections at least 1, --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    vs_prism.stop_servers_on_signals()
    try:
        wrk = wrk_runner.ensure_wrk()
        python = vs_prism.ensure_mock()  # the mock's own install: the same uvicorn, httptools and Python
        server_cpu, wrk_cpu, pinning = vs_prism.cpu_plan()
        logs = Path(tempfile.mkdtemp(prefix="novu-mock-floor-"))
        rig = vs_prism.Rig(wrk, server_cpu, wrk_cpu, logs, args.duration, args.warmup, args.connections, False)
        host = vs_prism.machine()
        print(f"machine: {host['cpu']}, {host['cores']} cores, {host['ram']} RAM")
        print(
            f"load: wrk -t1 -c{args.connections}, {args.duration:g} s per cost after {args.warmup:g} s of warm-up; "
            f"{pinning}; server output in {logs}\n"
        )
        print(HEADER, flush=True)
        for work_us in args.costs:
            result, cpu_us = measure_cost(rig, python, work_us)
            print(render_line(work_us, cpu_us, result), flush=True)
    except (vs_prism.BenchError, WrkError, StartError) as error:
        print(f"\nfloor: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nfloor: interrupted; server stopped", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
