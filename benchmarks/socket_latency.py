"""The Inbox's live socket: time from a REST trigger to its event, and REST throughput with idle sockets.

    python benchmarks/socket_latency.py [--triggers 200] [--sockets 1000] [--rounds 3] [--duration 5]

Starts ``novu-mock serve`` (this checkout, this Python) on a free port, pinned to one CPU when
``taskset`` and two CPUs are there (this script and wrk on the other). Then:

1. **Trigger to event.** A subscriber opens a session (``POST /v1/inbox/session``) and its socket as
   @novu/js does (socket.io over a websocket, the token as query parameter); ``--triggers``
   times, one after the other, ``POST /v1/events/trigger`` (keep-alive) is sent and the time until
   the socket reads ``notification_received`` is taken (also the trigger's own answer time, for
   comparison). Median, 95th percentile and maximum are printed, alone and with the idle sockets
   of step 2 open.
2. **REST throughput with idle sockets.** wrk (one thread, ``--connections`` keep-alive
   connections, the tool of vs_prism.py and floor.py) loads ``GET /v1/integrations`` for
   ``--duration`` seconds after ``--warmup``, with no socket open and with ``--sockets`` idle
   sockets open (each its own subscriber and session, answering the server's pings), in turns for
   ``--rounds`` rounds. The median requests per second of each case and their ratio are printed,
   with the server's CPU time per answer (which other load on the machine does not change), and
   the server's CPU use over 30 s with the sockets open and no request.

Goals (issue 23): trigger to event under 50 ms; throughput with 1,000 idle sockets within 10 % of
none. The exit code is 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks import vs_prism, wrk_runner
from benchmarks.process_sampler import StartError, cpu_seconds, free_port, running
from benchmarks.wrk_runner import Request, WrkError
from mock_server.socket_client import InboxSocketClient
from mock_server.store import Backends

KEY = "nv-mock-development-secret-key"
HEADERS = {"Authorization": f"ApiKey {KEY}"}
WORKFLOW = "welcome-onboarding"  # a seeded workflow with an in-app step
LATENCY_GOAL_MS = 50.0
THROUGHPUT_GOAL = 0.90
IDLE_SECONDS = 30.0  # longer than Engine.IO's ping interval (25 s): every socket's heartbeat is in


def application_identifier(key: str) -> str:
    """The environment's applicationIdentifier: stable per key, as the banner prints it."""
    return Backends({key: "benchmark"}).environment_for_key(key).identifier


async def open_session(http: httpx.AsyncClient, subscriber_id: str) -> str:
    answer = await http.post(
        "/v1/inbox/session", json={"applicationIdentifier": application_identifier(KEY), "subscriber": subscriber_id}
    )
    if answer.status_code != 201:
        raise RuntimeError(f"POST /v1/inbox/session answered {answer.status_code}: {answer.text[:500]}")
    return answer.json()["data"]["token"]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def trigger_to_event(base: str, triggers: int, subscriber_id: str) -> tuple[list[float], list[float]]:
    """(trigger -> notification_received ms, trigger answer ms), ``triggers`` times."""
    async with httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=30) as http:
        token = await open_session(http, subscriber_id)
        to_event, answers = [], []
        async with InboxSocketClient(base, token) as socket:
            for number in range(triggers):
                body = {"name": WORKFLOW, "to": subscriber_id, "payload": {"n": number}}
                began = time.perf_counter()
                answer = await http.post("/v1/events/trigger", json=body)
                answered = time.perf_counter()
                if answer.status_code != 201:
                    raise RuntimeError(f"trigger answered {answer.status_code}: {answer.text[:500]}")
                while True:
                    name, _, at = await socket.next_timed_event(10)
                    if name == "notification_received":
                        break
                to_event.append((at - began) * 1000)
                answers.append((answered - began) * 1000)
                # the two count events that follow, so the next trigger starts from a quiet socket
                for _ in range(2):
                    await socket.next_timed_event(10)
        return to_event, answers


async def idle_sockets(base: str, count: int) -> list[InboxSocketClient]:
    async with httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=30) as http:
        tokens = []
        for start in range(0, count, 50):
            batch = [open_session(http, f"idle-{number:05d}") for number in range(start, min(count, start + 50))]
            tokens += await asyncio.gather(*batch)
    sockets = [InboxSocketClient(base, token) for token in tokens]
    for start in range(0, count, 100):
        await asyncio.gather(*(socket.connect(30) for socket in sockets[start : start + 100]))
    if not all(socket.connected for socket in sockets):
        raise RuntimeError("some idle sockets were not accepted")
    return sockets


def row(label: str, samples: list[float]) -> str:
    return (
        f"  {label:<44} median {statistics.median(samples):7.2f} ms   p95 {percentile(samples, 0.95):7.2f} ms"
        f"   max {max(samples):7.2f} ms"
    )


async def measure(args: argparse.Namespace, base: str, wrk: str, wrk_cpu: tuple[str, ...], pid: int) -> bool:
    met = True
    request = Request("GET", "/v1/integrations")

    def load(duration: float) -> wrk_runner.WrkResult:
        options = {"duration": duration, "connections": args.connections, "prefix": wrk_cpu}
        return wrk_runner.run(wrk, base, request, HEADERS, **options)

    def measured_load(duration: float) -> tuple[wrk_runner.WrkResult, float]:
        """A wrk run and the server's CPU time per answer (us): what the server spent, whatever else
        ran on the machine meanwhile."""
        used = cpu_seconds(pid)
        result = load(duration)
        return result, 1e6 * (cpu_seconds(pid) - used) / max(1, result.requests)

    print(f"1. trigger -> notification_received, {args.triggers} triggers one after the other (keep-alive)")
    to_event, answers = await trigger_to_event(base, args.triggers, "latency-alone")
    print(row("trigger answered (REST round trip alone)", answers))
    print(row("notification_received at the socket", to_event))
    p95_alone = percentile(to_event, 0.95)

    print(f"\n2. GET /v1/integrations, wrk -t1 -c{args.connections}, {args.duration:g} s after"
          f" {args.warmup:g} s warm-up, {args.rounds} rounds")  # fmt: skip
    rps: dict[int, list[float]] = {0: [], args.sockets: []}
    cpu: dict[int, list[float]] = {0: [], args.sockets: []}
    errors = 0
    for number in range(args.rounds):
        order = [0, args.sockets] if number % 2 == 0 else [args.sockets, 0]
        for sockets_open in order:
            opened = await idle_sockets(base, sockets_open) if sockets_open else []
            try:
                if args.warmup:
                    await asyncio.to_thread(load, args.warmup)
                result, cpu_us = await asyncio.to_thread(measured_load, args.duration)
            finally:
                await asyncio.gather(*(socket.close() for socket in opened))
            errors += result.errors
            rps[sockets_open].append(result.rps)
            cpu[sockets_open].append(cpu_us)
            print(f"  round {number + 1}: {sockets_open:>5} idle sockets   {result.rps:7.0f} req/s"
                  f"   p50 {result.p50_ms:6.2f} ms   p99 {result.p99_ms:6.2f} ms"
                  f"   server CPU {cpu_us:5.0f} us/answer")  # fmt: skip
    none, many = statistics.median(rps[0]), statistics.median(rps[args.sockets])
    ratio = many / none if none else 0.0
    cpu_none, cpu_many = statistics.median(cpu[0]), statistics.median(cpu[args.sockets])
    print(f"  median: {none:,.0f} req/s with none, {many:,.0f} req/s with {args.sockets:,} idle sockets: {ratio:.1%}"
          f" (goal: at least {THROUGHPUT_GOAL:.0%}); {errors} errors")  # fmt: skip
    print(f"  server CPU per answer: {cpu_none:.0f} us with none, {cpu_many:.0f} us with {args.sockets:,} idle sockets"
          f" ({cpu_many / cpu_none - 1:+.1%})")  # fmt: skip
    opened = await idle_sockets(base, args.sockets)
    try:
        await asyncio.sleep(3)  # past the collector's pass when the API goes quiet (heap.reclaim_when_quiet)
        used = cpu_seconds(pid)
        await asyncio.sleep(IDLE_SECONDS)
        idle_cpu = (cpu_seconds(pid) - used) / IDLE_SECONDS
    finally:
        await asyncio.gather(*(socket.close() for socket in opened))
    print(f"  server CPU with {args.sockets:,} idle sockets and no request: {idle_cpu:.1%} of a core")

    print(f"\n3. trigger -> notification_received with {args.sockets:,} other sockets open")
    opened = await idle_sockets(base, args.sockets)
    try:
        to_event_busy, _ = await trigger_to_event(base, args.triggers, "latency-among-many")
    finally:
        await asyncio.gather(*(socket.close() for socket in opened))
    print(row("notification_received at the socket", to_event_busy))

    if max(p95_alone, percentile(to_event_busy, 0.95)) >= LATENCY_GOAL_MS:
        print(f"\nmissed: trigger -> event p95 at or over {LATENCY_GOAL_MS:g} ms")
        met = False
    if ratio < THROUGHPUT_GOAL or errors:
        print(f"\nmissed: throughput with idle sockets {ratio:.1%} of none ({errors} errors)")
        met = False
    return met


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=200, help="triggers timed one after the other (default 200)")
    parser.add_argument("--sockets", type=int, default=1000, help="idle sockets opened for step 2 and 3 (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of step 2, cases in turns (default 3)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of measured wrk load (default 5)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load before each (default 2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    args = parser.parse_args(argv)
    if args.triggers < 1 or args.sockets < 1 or args.rounds < 1 or args.duration < 1 or args.connections < 1:
        parser.error("--triggers, --sockets, --rounds, --connections and --duration must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    vs_prism.stop_servers_on_signals()
    try:
        wrk = wrk_runner.ensure_wrk()
        server_cpu, wrk_cpu, pinning = vs_prism.cpu_plan()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(tempfile.mkdtemp(prefix="novu-mock-socket-")) / "server.log"
        command = [*server_cpu, sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--api-key", KEY,
                   "--rate-limit", str(vs_prism.RATE_LIMIT)]  # fmt: skip
        host = vs_prism.machine()
        print(f"machine: {host['cpu']}, {host['cores']} cores, {host['ram']} RAM; {pinning}; server output in {log}\n")
        with running("novu-mock", command, log) as server:
            server.wait_first_answer(base + "/v1/integrations", HEADERS)
            met = asyncio.run(measure(args, base, wrk, wrk_cpu, server.process.pid))
    except (vs_prism.BenchError, WrkError, StartError, RuntimeError) as error:
        print(f"\nsocket_latency: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsocket_latency: interrupted; server stopped", file=sys.stderr)
        return 130
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
