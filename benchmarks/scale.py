"""Load time, memory and latency of the real server with default and with large fixtures.

    python benchmarks/scale.py [--requests 2000] [--sizes default large]

For each fixture size the script starts ``novu-mock serve --fixtures-size SIZE`` as a subprocess
(one after the other), measures the time from spawn to the first answer and the resident memory
(VmRSS) once loaded. With both servers up, it sends sequential requests over one keep-alive HTTP
connection per server, the sizes taking turns in rounds, and reports p50 / p99 of:

- search subscribers by email (GET /v2/subscribers?email=...), a different address each time
- get subscriber (GET /v2/subscribers/{subscriberId})
- the v1 feed of the subscriber with the most messages (GET /v1/subscribers/{id}/notifications/feed)
- the v2 inbox count of that subscriber (GET /v2/subscribers/{id}/notifications/count)

The sizes are printed side by side with the ratio large / default. Exit status 1 when a latency
(p50 or p99) with large fixtures is more than twice the default one: latency must not grow with
the size of the store. Only loopback traffic; the servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

KEY = "nv-mock-development-secret-key"  # the first environment: the one large fixtures fill
HEADERS = {"Authorization": f"ApiKey {KEY}"}
COUNT_FILTERS = '[{"read": false}, {"archived": true}, {"snoozed": true}]'
MAX_RATIO = 2.0
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    size: str
    load_seconds: float = 0.0
    rss_mb: float = 0.0
    subscribers: int = 0
    heaviest: str = ""
    heaviest_messages: int = 0
    latencies: dict[str, tuple[float, float]] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Client:
    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str, params: dict | None = None) -> tuple[int, object]:
        target = path + ("?" + urlencode(params) if params else "")
        try:
            self.connection.request("GET", target, headers=HEADERS)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # the server closed the idle keep-alive connection (while the other size loaded)
            self.connection.close()
            self.connection.request("GET", target, headers=HEADERS)
            response = self.connection.getresponse()
        body = response.read()
        return response.status, (json.loads(body) if body else None)

    def ok(self, path: str, params: dict | None = None):
        status, body = self.get(path, params)
        if status != 200:
            raise SystemExit(f"scale benchmark: GET {path} {params or ''} answered {status}: {body}")
        return body


def wait_for_first_answer(port: int, process: subprocess.Popen, began: float, timeout: float) -> float:
    while time.perf_counter() - began < timeout:
        if process.poll() is not None:
            raise SystemExit(f"scale benchmark: the server exited with {process.returncode} before answering")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/v1/health-check", headers=HEADERS)
            if connection.getresponse().status == 200:
                return time.perf_counter() - began
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"scale benchmark: no answer within {timeout:.0f} s")


def heaviest_subscriber(client: Client) -> tuple[str, int]:
    """Among the recipients of the 500 newest notifications, the one with the most messages."""
    candidates: dict[str, None] = {}
    for page in range(10):
        body = client.ok("/v1/notifications", {"page": page, "limit": 50})  # Novu's largest activity page
        for notification in body["data"]:
            candidates[notification["subscriber"]["subscriberId"]] = None
        if not body.get("hasMore", True) or not body["data"]:
            break
    best, most = "", -1
    for subscriber_id in candidates:
        counts = client.ok(f"/v2/subscribers/{quote(subscriber_id, safe='')}/notifications/count",
                           {"filters": '[{"snoozed": false}, {"snoozed": true}]'})["data"]  # fmt: skip
        total = sum(item["count"] for item in counts)
        if total > most:
            best, most = subscriber_id, total
    return best, most


def sample_subscribers(client: Client, total: int, wanted: int = 100) -> list[dict]:
    """Subscribers spread over the whole store (v1 pages of 100 at even steps), with an email."""
    pages = max(1, total // 100)
    found = []
    for step in range(min(wanted // 10, pages)):
        page = step * pages // max(1, min(wanted // 10, pages))
        found += [s for s in client.ok("/v1/subscribers", {"page": page, "limit": 100})["data"] if s.get("email")][:10]
    return found


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def timed(client: Client, count: int, make, offset: int = 0) -> list[float]:
    """Milliseconds of ``count`` sequential requests ``make(n)`` -> (path, params)."""
    samples = []
    for number in range(offset, offset + count):
        path, params = make(number)
        began = time.perf_counter()
        status, body = client.get(path, params)
        samples.append((time.perf_counter() - began) * 1000)
        if status != 200:
            raise SystemExit(f"scale benchmark: GET {path} {params} answered {status}: {body}")
    return samples


@dataclass
class Server:
    run: Run
    process: subprocess.Popen
    client: Client | None = None
    requests: dict = field(default_factory=dict)  # row label -> make(n) -> (path, params)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(size: str, timeout: float, servers: list[Server]) -> Server:
    """Spawn the server, time its first answer, read its memory, find what the rows ask for."""
    run = Run(size)
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--fixtures-size", size,
               "--rate-limit", "1000000", "--log-level", "error"]  # fmt: skip
    began = time.perf_counter()
    server = Server(run, subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    servers.append(server)  # stopped by the caller, whatever happens next
    run.load_seconds = wait_for_first_answer(port, server.process, began, timeout)
    run.rss_mb = rss_mb(server.process.pid)
    client = server.client = Client(port)
    run.subscribers = client.ok("/v2/subscribers", {"limit": 1})["totalCount"]
    run.heaviest, run.heaviest_messages = heaviest_subscriber(client)
    people = sample_subscribers(client, run.subscribers)
    heaviest = quote(run.heaviest, safe="")
    server.requests = {
        "search by email": lambda n: ("/v2/subscribers", {"email": people[n % len(people)]["email"]}),
        "get subscriber": lambda n: (f"/v2/subscribers/{quote(people[n % len(people)]['subscriberId'], safe='')}", None),
        "feed, heaviest subscriber": lambda n: (f"/v1/subscribers/{heaviest}/notifications/feed", None),
        "v2 count, heaviest subscriber": lambda n: (
            f"/v2/subscribers/{heaviest}/notifications/count", {"filters": COUNT_FILTERS}
        ),
    }
    return server


def measure(servers: list[Server], requests: int, rounds: int = 10) -> None:
    """Every row on every server, in alternating rounds, so that both sizes meet the same
    background load of the machine: a side-by-side comparison, not two separate runs."""
    for label in servers[0].requests:
        samples: dict[str, list[float]] = {server.run.size: [] for server in servers}
        for server in servers:
            timed(server.client, min(200, requests), server.requests[label])  # warm-up, not counted
        per_round = max(1, requests // rounds)
        for number in range(rounds):
            for server in servers:
                samples[server.run.size] += timed(server.client, per_round, server.requests[label], number * per_round)
        for server in servers:
            server.run.latencies[label] = percentiles(samples[server.run.size])


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown cpu")  # fmt: skip
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)  # fmt: skip
    return f"{os.cpu_count()} cores ({cpu}), {memory} GiB, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def report(runs: list[Run], requests: int) -> list[str]:
    base, big = runs[0], runs[-1]
    print(f"novu-mock scale benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}")
    print(f"latency: {requests} sequential requests per row and size over one keep-alive connection each, after 200")
    print("         warm-up requests; the sizes take turns in 10 rounds, so both meet the same load of the machine")
    print()
    names = [run.size for run in runs]
    print(f"{'':<34}" + "".join(f"{name:>16}" for name in names) + (f"{'ratio':>10}" if len(runs) > 1 else ""))

    def row(label: str, values: list[float], unit: str, digits: int = 1) -> None:
        ratio = f"{values[-1] / values[0]:>9.2f}x" if len(values) > 1 and values[0] else ""
        print(f"{label:<34}" + "".join(f"{value:>13.{digits}f} {unit:<2}" for value in values) + ratio)

    row("subscribers in the environment", [float(r.subscribers) for r in runs], "", 0)
    row("messages of the heaviest subscriber", [float(r.heaviest_messages) for r in runs], "", 0)
    row("load (spawn to first answer)", [r.load_seconds for r in runs], "s", 2)
    row("RSS after load", [r.rss_mb for r in runs], "MB", 0)
    failures = []
    for label in base.latencies:
        for position, which in ((0, "p50"), (1, "p99")):
            values = [r.latencies[label][position] for r in runs]
            row(f"{label} {which}", values, "ms", 2)
            if len(runs) > 1 and values[-1] > MAX_RATIO * values[0]:
                failures.append(
                    f"{label} {which}: {values[-1]:.2f} ms with {big.size} fixtures is more than {MAX_RATIO:g}x "
                    f"the {values[0]:.2f} ms with {base.size} fixtures"
                )
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed requests per row (default 2000)")
    parser.add_argument("--sizes", nargs="+", default=["default", "large"], choices=["default", "large"])
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the first answer")
    args = parser.parse_args()
    servers: list[Server] = []
    try:
        for size in args.sizes:
            start(size, args.timeout, servers)
        measure(servers, args.requests)
    finally:
        for server in servers:
            server.stop()
    runs = [server.run for server in servers]
    failures = report(runs, args.requests)
    print()
    if failures:
        print("FAILED: latency grows with the store size")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print(f"OK: every latency with {runs[-1].size} fixtures is within {MAX_RATIO:g}x of {runs[0].size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
