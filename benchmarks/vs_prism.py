"""novu-mock against Stoplight Prism on the same openapi.yaml, the same requests and the same load.

    python benchmarks/vs_prism.py [--rounds 3] [--duration 5] [--warmup 2] [--connections 16]
                                  [--rows get,trigger] [--json figures.json] [--keep-going]

Runs novu-mock and Prism (installed by this script into benchmarks/.prism) in turns: each round
starts each server once (novu-mock first in odd rounds, Prism first in even ones) and measures
the time from spawn to the first answer, the idle RSS, one wrk run per row of the request mix
(req/s, p50/p99, errors) and the peak RSS under that load. A row's figures are over all rounds:
requests/s over all their measured seconds, the median of the rounds' p50 and p99. Prints the
table with the ratios, then each target of issue 8 that is missed. Exit code: 0 all targets met,
1 a target missed, 2 the benchmark could not run (tools, start, a request not answered 2xx).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

if __name__ == "__main__" and not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import wrk_runner
from benchmarks.process_sampler import PeakRss, StartError, cpu_seconds, free_port, rss_bytes, running
from benchmarks.wrk_runner import Request, WrkError, WrkResult

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
PRISM_DIR = ROOT / "benchmarks" / ".prism"
# novu-mock as the README's first command installs it (no test extras), next to Prism's install
MOCK_VENV = ROOT / "benchmarks" / ".venv-mock"
PRISM_PACKAGE = "@stoplight/prism-cli@5"
API_KEY = "nv-mock-development-secret-key"
HEADERS = {"Authorization": f"ApiKey {API_KEY}"}
RATE_LIMIT = 1_000_000_000  # tokens per second: the limiter stays in the path but never refuses
MOCK, PRISM = "novu-mock", "Prism"

ROWS = {
    "integrations": "list integrations",
    "create": "create subscriber",
    "get": "get subscriber",
    "search": "search by email",
    "patch": "patch subscriber",
    "feed": "subscriber feed",
    "trigger": "trigger",
}

# Targets of issue 8
MIN_THROUGHPUT_RATIO = 3.0
MAX_P99_MS = 5.0
MAX_FIRST_ANSWER_S = 1.0
MAX_IDLE_RSS_MB = 100.0
# above this share of stolen CPU time, the run says its figures reflect the host's load
STEAL_WARNING_PERCENT = 5.0


class BenchError(RuntimeError):
    pass


@dataclass
class Round:
    """One start of one server: its first answer, idle RSS, and per row a wrk result or why it failed."""

    first_answer_s: float = 0.0
    idle_rss: int = 0
    peak_rss: int = 0
    rows: dict[str, WrkResult | str] = field(default_factory=dict)
    # per row, the share of the machine's CPU time the hypervisor gave to other guests (%)
    steal: dict[str, float] = field(default_factory=dict)
    # per row, the server's CPU time (user and system, its children's included) per answer (us)
    cpu_us: dict[str, float] = field(default_factory=dict)


@dataclass
class Figures:
    """What one server did over all rounds (see ``summarize``), and each round as measured."""

    first_answer_s: float = 0.0  # the median of the rounds' starts
    first_answers_s: list[float] = field(default_factory=list)
    idle_rss: int = 0  # the highest of the rounds'
    peak_rss: int = 0  # the highest of the rounds'
    rows: dict[str, WrkResult | str] = field(default_factory=dict)
    steal: dict[str, float] = field(default_factory=dict)  # per row, the highest of the rounds'
    cpu_us: dict[str, float] = field(default_factory=dict)  # per row, the median of the rounds'
    rounds: list[Round] = field(default_factory=list)


def combined(results: list[WrkResult]) -> WrkResult:
    """The rounds of one row as one result: requests, seconds, bytes and errors added up (so
    requests/s is over all measured seconds), p50 and p99 the median of the rounds'. One round can
    fall in a minute when the VM runs slow (its speed drifts by 20-30 % within the hour, with no
    steal reported); the median keeps such a round from deciding the row on its own."""
    return WrkResult(
        requests=sum(result.requests for result in results),
        duration_s=sum(result.duration_s for result in results),
        p50_ms=statistics.median(result.p50_ms for result in results),
        p99_ms=statistics.median(result.p99_ms for result in results),
        errors=sum(result.errors for result in results),
        bytes_read=sum(result.bytes_read for result in results),
    )


def summarize(figures: Figures, rows: list[str]) -> Figures:
    """Fill the over-all-rounds figures from ``figures.rounds``: a row that failed in any round failed."""
    rounds = figures.rounds
    figures.first_answers_s = [each.first_answer_s for each in rounds]
    figures.first_answer_s = statistics.median(figures.first_answers_s) if rounds else 0.0
    figures.idle_rss = max((each.idle_rss for each in rounds), default=0)
    figures.peak_rss = max((each.peak_rss for each in rounds), default=0)
    for row in rows:
        runs = [each.rows[row] for each in rounds if row in each.rows]
        failures = [run for run in runs if not isinstance(run, WrkResult)]
        if failures or not runs:
            figures.rows[row] = failures[0] if failures else "not run"
            continue
        figures.rows[row] = combined(runs)
        figures.steal[row] = max(each.steal[row] for each in rounds if row in each.steal)
        figures.cpu_us[row] = statistics.median(each.cpu_us[row] for each in rounds if row in each.cpu_us)
    return figures


def mb(size: int) -> float:
    return size / 1_000_000


# -- the request mix ----------------------------------------------------------------------------


def _get_json(base: str, path: str) -> dict:
    with urllib.request.urlopen(urllib.request.Request(base + path, headers=HEADERS), timeout=30) as answer:
        return json.load(answer)


def build_mix(base: str) -> dict[str, Request]:
    """The requests of every row, on records that exist in the running mock's fixtures."""
    page = _get_json(base, "/v2/subscribers?limit=100")["data"]
    subscriber = next((s for s in page if s.get("email")), None)
    if subscriber is None:
        raise BenchError("the mock's fixtures have no subscriber with an email")
    state = _get_json(base, "/_mock/state")["services"]
    known = {s["subscriberId"] for s in state["subscribers"]}
    feeds = Counter(n["subscriberId"] for n in state["inbox"] if n["subscriberId"] in known)
    feed_owner = feeds.most_common(1)[0][0] if feeds else subscriber["subscriberId"]
    in_app = [w for w in state["workflows"] if "in_app" in w["channels"]] or state["workflows"]
    if not in_app:
        raise BenchError("the mock's fixtures have no workflow to trigger")
    workflow = in_app[0]["identifier"]
    payload = next((n["payload"] for n in state["inbox"] if n["workflowId"] == workflow), {})
    sid, quote = subscriber["subscriberId"], urllib.parse.quote
    return {
        "integrations": Request("GET", "/v1/integrations"),
        "create": Request(
            "POST",
            "/v2/subscribers",
            '{"subscriberId": "bench-{run}-{n}", "email": "bench-{run}-{n}@example.com", "firstName": "Bench"}',
        ),
        "get": Request("GET", f"/v2/subscribers/{quote(sid, safe='')}"),
        "search": Request("GET", f"/v2/subscribers?email={quote(subscriber['email'], safe='')}"),
        "patch": Request(
            "PATCH", f"/v2/subscribers/{quote(sid, safe='')}", '{"firstName": "Bench", "lastName": "Mark"}'
        ),
        "feed": Request("GET", f"/v1/subscribers/{quote(feed_owner, safe='')}/notifications/feed"),
        "trigger": Request("POST", "/v1/events/trigger", json.dumps({"name": workflow, "to": sid, "payload": payload})),
    }


def send_once(base: str, request: Request) -> tuple[int, str]:
    """Send ``request`` once: its status (0 when no answer came) and the start of the answer's body."""
    request = request.render(run=f"check-{uuid.uuid4().hex[:8]}", n=0)
    headers = HEADERS | ({"Content-Type": "application/json"} if request.body is not None else {})
    data = request.body.encode() if request.body is not None else None
    sent = urllib.request.Request(base + request.path, data=data, headers=headers, method=request.method)
    try:
        with urllib.request.urlopen(sent, timeout=30) as answer:
            return answer.status, answer.read(300).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(300).decode(errors="replace")
    except OSError as error:
        return 0, str(error)


# A body without the required subscriberId: refused (4xx) only by a server that validates requests.
INVALID = Request("POST", "/v2/subscribers", "{}")


def check_requests(name: str, base: str, mix: dict[str, Request], rows: list[str], keep_going: bool) -> dict[str, str]:
    """Each row's request once: request validation must be on and every request answered 2xx.
    Returns the rows that failed (with why) under --keep-going; raises BenchError otherwise."""
    status, body = send_once(base, INVALID)
    if not 400 <= status < 500:
        raise BenchError(f"{name} does not validate requests: POST /v2/subscribers {{}} answered {status}: {body}")
    failed = {}
    for row in rows:
        status, body = send_once(base, mix[row])
        if not 200 <= status < 300:
            failed[row] = f"{mix[row].method} {mix[row].path} " + (
                f"answered {status}: {body}" if status else f"failed: {body}"
            )
            if not keep_going:
                raise BenchError(f"{name}: {ROWS[row]}: {failed[row]}")
            print(f"  {ROWS[row]:<18} {failed[row]}", flush=True)
    return failed


# -- measuring one server -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rig:
    """How servers are run and loaded: wrk, the taskset prefixes, the options, where server output goes."""

    wrk: str
    server_cpu: tuple[str, ...]
    wrk_cpu: tuple[str, ...]
    logs: Path
    duration: float
    warmup: float
    connections: int
    keep_going: bool
    rounds: int = 3  # starts of each server, each loading every row


def cpu_steal_jiffies() -> tuple[int, int]:
    """(stolen, total) CPU time so far, from /proc/stat: time the hypervisor gave to others."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields)


def load(rig: Rig, base: str, request: Request, pid: int) -> tuple[WrkResult, float, float]:
    """One row: warm-up, then the measured run; with the share of CPU time stolen during it (%) and
    the CPU time the server (process ``pid``) spent per answer (us)."""
    options = {"headers": HEADERS, "connections": rig.connections, "prefix": rig.wrk_cpu}
    if rig.warmup > 0:
        wrk_runner.run(rig.wrk, base, request, duration=rig.warmup, **options)
    stolen, total = cpu_steal_jiffies()
    used = cpu_seconds(pid)
    result = wrk_runner.run(rig.wrk, base, request, duration=rig.duration, **options)
    used = cpu_seconds(pid) - used
    stolen_after, total_after = cpu_steal_jiffies()
    return result, 100 * (stolen_after - stolen) / max(1, total_after - total), 1e6 * used / max(1, result.requests)


def measure(
    rig: Rig,
    name: str,
    command: list[str],
    port: int,
    rows: list[str],
    mix: dict[str, Request] | None = None,
    number: int = 1,
) -> tuple[Round, dict[str, Request]]:
    """Round ``number`` of one server: start it, time its first answer, read its idle RSS, build the
    mix from it when none is given (novu-mock), check the requests, load every row and watch the
    peak RSS. Returns (the round, the mix)."""
    base, measured = f"http://127.0.0.1:{port}", Round()
    print(f"\n{name}, round {number} of {rig.rounds}: {' '.join(command)}", flush=True)
    log = rig.logs / f"{name.lower()}-round{number}.log"
    with running(name, [*rig.server_cpu, *command], log) as server:
        measured.first_answer_s = server.wait_first_answer(base + "/v1/integrations", HEADERS)
        time.sleep(1.0)
        measured.idle_rss = rss_bytes(server.process.pid)
        print(
            f"  first answer after {measured.first_answer_s:.3f} s, idle RSS {mb(measured.idle_rss):.1f} MB", flush=True
        )
        mix = mix or build_mix(base)
        measured.rows.update(check_requests(name, base, mix, rows, rig.keep_going))
        with PeakRss(server.process.pid) as peak:
            for row in (row for row in rows if row not in measured.rows):
                try:
                    result, measured.steal[row], measured.cpu_us[row] = load(rig, base, mix[row], server.process.pid)
                    measured.rows[row] = result
                except WrkError as error:
                    if not rig.keep_going:
                        raise
                    measured.rows[row] = str(error)
                    print(f"  {ROWS[row]:<18} failed: {error}", flush=True)
                    continue
                print(
                    f"  {ROWS[row]:<18} {result.rps:9.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
                    f"p99 {result.p99_ms:7.2f} ms  errors {result.errors}  {result.bytes_per_answer:7.0f} bytes/answer  "
                    f"CPU {measured.cpu_us[row]:4.0f} us/answer  CPU stolen {measured.steal[row]:4.1f} %",
                    flush=True,
                )
        measured.peak_rss = peak.peak
    return measured, mix


def measure_in_rounds(
    rig: Rig, servers: dict[str, Callable[[int], list[str]]], rows: list[str], mix: dict[str, Request] | None = None
) -> tuple[dict[str, Figures], dict[str, Request]]:
    """``servers`` (name -> its command for a port; the first one builds the mix) in turns, for
    ``rig.rounds`` rounds: the first server starts first in odd rounds and last in even ones, so
    that neither always runs in the same part of the VM's drifts. Returns each server's figures
    and the mix."""
    figures = {name: Figures() for name in servers}
    names = list(servers)
    for number in range(1, rig.rounds + 1):
        for name in names if number % 2 else names[::-1]:
            port = free_port()
            measured, mix = measure(rig, name, servers[name](port), port, rows, mix, number)
            figures[name].rounds.append(measured)
    return {name: summarize(each, rows) for name, each in figures.items()}, mix


# -- the report ---------------------------------------------------------------------------------


def _ratio(a: WrkResult | str | None, b: WrkResult | str | None, attr: str) -> str:
    both = isinstance(a, WrkResult) and isinstance(b, WrkResult)
    return f"{getattr(a, attr) / getattr(b, attr):.2f}x" if both and getattr(b, attr) else "-"


def _cell(result: WrkResult | str | None, attr: str, spec: str, width: int) -> str:
    return (format(getattr(result, attr), spec) if isinstance(result, WrkResult) else "failed").rjust(width)


def _resource(label: str, mock: float, prism: float, spec: str) -> str:
    ratio = f"{prism / mock:.2f}x" if mock else "-"
    return f"{label:<26} {mock:10{spec}} {prism:10{spec}} {ratio:>8}"


def render_table(mock: Figures, prism: Figures, rows: list[str]) -> str:
    """One line per row (req/s, p50, p99, errors of both, and the ratios), then start and memory."""
    groups = f"{'':<18} | {'req/s':^28} | {'p50 ms':^26} | {'p99 ms':^26} | {'errors':^15}"
    columns = (
        f"{'request':<18} | {MOCK:>9} {PRISM:>8} {'mock/P':>9} | {MOCK:>9} {PRISM:>7} {'P/mock':>8} | "
        f"{MOCK:>9} {PRISM:>7} {'P/mock':>8} | {MOCK:>9} {PRISM:>5}"
    )
    lines = [groups, columns, "-" * len(columns)]
    for row in rows:
        m, p = mock.rows.get(row), prism.rows.get(row)
        lines.append(
            f"{ROWS[row]:<18} | {_cell(m, 'rps', '.0f', 9)} {_cell(p, 'rps', '.0f', 8)} {_ratio(m, p, 'rps'):>9} | "
            f"{_cell(m, 'p50_ms', '.2f', 9)} {_cell(p, 'p50_ms', '.2f', 7)} {_ratio(p, m, 'p50_ms'):>8} | "
            f"{_cell(m, 'p99_ms', '.2f', 9)} {_cell(p, 'p99_ms', '.2f', 7)} {_ratio(p, m, 'p99_ms'):>8} | "
            f"{_cell(m, 'errors', 'd', 9)} {_cell(p, 'errors', 'd', 5)}"
        )
    return "\n".join([
        *lines,
        "",
        f"{'':<26} {MOCK:>10} {PRISM:>10} {'P/mock':>8}",
        _resource("time to first answer (s)", mock.first_answer_s, prism.first_answer_s, ".3f"),
        _resource("idle RSS (MB)", mb(mock.idle_rss), mb(prism.idle_rss), ".1f"),
        _resource("peak RSS under load (MB)", mb(mock.peak_rss), mb(prism.peak_rss), ".1f"),
    ])  # fmt: skip


def missed_targets(mock: Figures, prism: Figures, rows: list[str]) -> list[str]:
    """Every target of issue 8 that these figures miss, with the figure; empty when all are met."""
    missed = []
    for row in rows:
        m, p = mock.rows.get(row), prism.rows.get(row)
        label = ROWS[row]
        if not isinstance(m, WrkResult):
            missed.append(f"{label}: no novu-mock figures ({m or 'not run'})")
            continue
        if m.errors:
            missed.append(f"{label}: novu-mock answered {m.errors} of {m.requests} requests with an error")
        if not isinstance(p, WrkResult):
            missed.append(f"{label}: no Prism figures to compare throughput with ({p or 'not run'})")
        elif p.rps and m.rps < MIN_THROUGHPUT_RATIO * p.rps:
            missed.append(
                f"{label}: throughput {m.rps:.0f} req/s is {m.rps / p.rps:.2f}x Prism's {p.rps:.0f} "
                f"(target >= {MIN_THROUGHPUT_RATIO:g}x)"
            )
        if m.p99_ms > MAX_P99_MS:
            missed.append(f"{label}: p99 {m.p99_ms:.2f} ms (target <= {MAX_P99_MS:g} ms)")
    if mock.first_answer_s > MAX_FIRST_ANSWER_S:
        missed.append(f"first answer after {mock.first_answer_s:.3f} s (target <= {MAX_FIRST_ANSWER_S:g} s)")
    if mb(mock.idle_rss) > MAX_IDLE_RSS_MB:
        missed.append(f"idle RSS {mb(mock.idle_rss):.1f} MB (target <= {MAX_IDLE_RSS_MB:g} MB)")
    return missed


def _rows_json(rows: dict[str, WrkResult | str]) -> dict:
    return {
        row: {**asdict(result), "rps": result.rps, "bytes_per_answer": result.bytes_per_answer}
        if isinstance(result, WrkResult)
        else {"failed": result}
        for row, result in rows.items()
    }


def as_json(figures: Figures) -> dict:
    rounds = [{**asdict(each), "rows": _rows_json(each.rows)} for each in figures.rounds]
    return {**asdict(figures), "rows": _rows_json(figures.rows), "rounds": rounds}


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=60)
    except OSError:
        return "not found"
    return ((done.stdout or done.stderr).strip().splitlines() or ["?"])[0]


def machine() -> dict[str, str]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    ram_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    return {"cpu": model, "cores": str(os.cpu_count()), "ram": f"{ram_kb / 1024 / 1024:.1f} GiB"}


# -- setup --------------------------------------------------------------------------------------


def ensure_prism() -> str:
    binary = PRISM_DIR / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        npm = shutil.which("npm")
        if not npm:
            raise BenchError("Prism needs Node.js and npm: apt-get install nodejs npm")
        print(f"installing Prism: npm install --prefix {PRISM_DIR.relative_to(ROOT)} {PRISM_PACKAGE}", flush=True)
        command = [npm, "install", "--prefix", str(PRISM_DIR), "--no-audit", "--no-fund", PRISM_PACKAGE]
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        if done.returncode != 0 or not binary.exists():
            raise BenchError(f"npm install of {PRISM_PACKAGE} failed:\n{done.stderr[-2000:]}")
    return str(binary)


def ensure_mock() -> str:
    """A Python with novu-mock installed as users install it (``pip install -e .``), made once, and
    the project's modules byte-compiled.

    The test extras (Schemathesis, Playwright...) pull in packages that libraries the mock uses
    import when present (httpx loads rich and pygments, for one): measuring the mock from the
    test environment would count them. The install is redone when pyproject.toml changes."""
    python = MOCK_VENV / "bin" / "python"
    stamp = MOCK_VENV / "installed-from"
    wanted = (ROOT / "pyproject.toml").read_text()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print(f"installing novu-mock for the benchmark: {MOCK_VENV.relative_to(ROOT)} (pip install -e .)", flush=True)
        for command in (
            [sys.executable, "-m", "venv", "--clear", str(MOCK_VENV)],
            [str(python), "-m", "pip", "install", "-q", "-e", str(ROOT)],
        ):
            done = subprocess.run(command, check=False, capture_output=True, text=True)
            if done.returncode != 0:
                raise BenchError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
        stamp.write_text(wanted)
    # Byte-compile the project's own modules, as a regular `pip install .` does and as Python does
    # itself at a first start. An editable install does neither when PYTHONDONTWRITEBYTECODE is
    # set (it is on this project's machine): every start would compile ~60 modules from source.
    compiled = subprocess.run(
        [str(python), "-m", "compileall", "-q", str(ROOT / "mock_server"), str(ROOT / "fixtures")],
        check=False,
        capture_output=True,
        text=True,
    )
    if compiled.returncode != 0:
        raise BenchError(f"compileall failed:\n{compiled.stdout[-2000:]}{compiled.stderr[-2000:]}")
    return str(python)


def cpu_plan() -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """taskset prefixes for the servers and wrk, and how they were chosen. This script joins wrk's CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    taskset = shutil.which("taskset")
    if not taskset or len(cpus) < 2:
        return (), (), "not pinned (needs taskset and at least 2 CPUs)"
    os.sched_setaffinity(0, {cpus[1]})
    return (
        (taskset, "-c", str(cpus[0])),
        (taskset, "-c", str(cpus[1])),
        (f"servers on CPU {cpus[0]}, wrk and this script on CPU {cpus[1]} (taskset)"),
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="starts of each server, in turns, each loading every row; a row's p50 and p99 are the median "
        "of its rounds', the time to the first answer the median of the starts (default 3)",
    )
    parser.add_argument(
        "--duration", type=float, default=5.0, help="seconds of measured load per row and round (default 5)"
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of unmeasured load before each row (default 2; 0: none)"
    )
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of: {','.join(ROWS)}")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures to PATH")
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="a row that fails is reported (as a missed target) instead of stopping",
    )
    args = parser.parse_args(argv)
    args.rows = [row.strip() for row in args.rows.split(",") if row.strip()]
    unknown = [row for row in args.rows if row not in ROWS]
    if unknown or not args.rows:
        parser.error(f"--rows: unknown {', '.join(unknown) or '(none given)'}; choose from {','.join(ROWS)}")
    if args.duration < 1 or args.connections < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--duration must be at least 1, --connections and --rounds at least 1, --warmup at least 0")
    return args


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def stop_servers_on_signals() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt, so the servers' ``with`` blocks stop them (each
    runs in its own process group, which a signal to this script does not reach)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop_servers_on_signals()
    try:
        return run(args)
    except (BenchError, WrkError, StartError) as error:
        print(f"\nvs_prism: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nvs_prism: interrupted; servers stopped", file=sys.stderr)
        return 130


def run(args: argparse.Namespace) -> int:
    from mock_server import __version__

    wrk = wrk_runner.ensure_wrk()
    prism = ensure_prism()
    mock_python = ensure_mock()
    server_cpu, wrk_cpu, pinning = cpu_plan()
    logs = Path(tempfile.mkdtemp(prefix="novu-mock-bench-"))
    rig = Rig(
        wrk, server_cpu, wrk_cpu, logs, args.duration, args.warmup, args.connections, args.keep_going, args.rounds
    )
    host = machine()
    versions = {
        "python": platform.python_version(),
        "node": _version(["node", "--version"]),
        "prism": _version([prism, "--version"]),
        "wrk": _version([wrk, "-v"]).split(" Copyright")[0].removeprefix("wrk "),
        "novu-mock": __version__,
    }
    mock_command = [mock_python, "-m", "mock_server", "serve", "--log-level", "warning"]
    mock_command += ["--rate-limit", str(RATE_LIMIT)]
    prism_command = [prism, "mock", "-h", "127.0.0.1", "-v", "fatal"]
    started = datetime.now(UTC)
    print(f"novu-mock vs Stoplight Prism, {started:%Y-%m-%d %H:%M} UTC")
    print(f"machine: {host['cpu']}, {host['cores']} cores, {host['ram']} RAM")
    print("versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()))
    print(
        f"novu-mock: installed as `pip install -e .` in {MOCK_VENV.relative_to(ROOT)}, its modules "
        f"byte-compiled; request and response validation on; the rate limiter stays in the path, its limit raised to {RATE_LIMIT}/s\nPrism: static responses, request validation on, log level fatal (its default, info, "
        f"logs every request)\nload: {args.rounds} round(s), each starting each server once (in turns); wrk -t1 "
        f"-c{args.connections}, {args.duration:g} s per row and round after {args.warmup:g} s of warm-up; {pinning}; "
        f"server output in {logs}",
        flush=True,
    )
    servers = {
        MOCK: lambda port: [*mock_command, "--port", str(port)],
        PRISM: lambda port: [*prism_command, "-p", str(port), str(SPEC)],
    }
    measured, mix = measure_in_rounds(rig, servers, args.rows)
    mock, prism_figures = measured[MOCK], measured[PRISM]

    print(
        f"\nOver {args.rounds} round(s): requests/s over all measured seconds, p50 and p99 the median of the "
        "rounds', time to first answer the median of the starts, RSS the highest of the rounds'."
    )
    print(render_table(mock, prism_figures, args.rows))
    missed = missed_targets(mock, prism_figures, args.rows)
    print()
    for line in missed:
        print(f"MISSED {line}")
    print("all targets of issue 8 met" if not missed else f"{len(missed)} target(s) missed")
    stolen = max([*mock.steal.values(), *prism_figures.steal.values()], default=0.0)
    if stolen > STEAL_WARNING_PERCENT:
        print(
            f"WARNING: up to {stolen:.0f} % of the CPU time was stolen by the hypervisor during the runs "
            "(/proc/stat steal): latencies and throughput reflect the host's load, not only the servers."
        )
    if args.json:
        figures = {
            "date": started.isoformat(timespec="seconds"),
            "machine": host,
            "versions": versions,
            "load": {
                "connections": args.connections,
                "rounds": args.rounds,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "pinning": pinning,
            },
            "requests": {row: asdict(mix[row]) for row in args.rows},
            "servers": {MOCK: as_json(mock), PRISM: as_json(prism_figures)},
            "missed": missed,
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"figures written to {args.json}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
