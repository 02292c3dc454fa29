"""Run `wrk` on one request and read the figures its Lua ``done()`` hook prints as JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass

MARKER = "WRK_JSON "
# The line done() writes, a string.format template: figures in microseconds, errors split in two.
DONE_LINE = (
    f"\n{MARKER}"
    '{"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %.0f, "p99_us": %.0f, "socket_errors": %d, '
    '"status_errors": %d}\n'
)


class WrkError(RuntimeError):
    pass


@dataclass(frozen=True)
class Request:
    """One request of the mix. In ``path`` and ``body``, ``{n}`` becomes a counter that wrk increments
    per request and ``{run}`` a token unique to each wrk run, so created records never collide."""

    method: str
    path: str
    body: str | None = None

    def render(self, run: str, n: int | None = None) -> Request:
        """This request with ``{run}`` (and ``{n}`` when given) filled in."""

        def fill(text: str) -> str:
            text = text.replace("{run}", run)
            return text if n is None else text.replace("{n}", str(n))

        return Request(self.method, fill(self.path), None if self.body is None else fill(self.body))

    @property
    def varies(self) -> bool:
        return "{n}" in self.path + (self.body or "")


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors (connect, read, write, timeout) + answers with a status >= 400
    bytes_read: int = 0  # whole answers, headers included

    @property
    def bytes_per_answer(self) -> float:
        return self.bytes_read / self.requests if self.requests else 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def _lua_string(text: str) -> str:
    """A Lua string literal: printable ASCII as is, every other byte (and quote, backslash) as \\ddd."""
    return '"' + "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\{b:03d}" for b in text.encode()) + '"'


def lua_script(request: Request, headers: dict[str, str], run: str) -> str:
    request = request.render(run)
    lines = [f"wrk.method = {_lua_string(request.method)}"]
    lines += [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    if request.body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    lines += [f"local path = {_lua_string(request.path)}", f"local body = {_lua_string(request.body or '')}"]
    if request.varies:
        lines += [
            "local counter = 0",
            "request = function()",
            "  counter = counter + 1",
            "  local n = tostring(counter)",
            '  local b = body:gsub("{n}", n)',
            '  local p = path:gsub("{n}", n)',
            f"  return wrk.format(nil, p, nil, {'b' if request.body is not None else 'nil'})",
            "end",
        ]
    else:
        lines += ["wrk.path = path"] + (["wrk.body = body"] if request.body is not None else [])
    lines += [
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        f"  io.write(string.format({_lua_string(DONE_LINE)}, summary.requests, summary.duration, summary.bytes,",
        "    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))",
        "end",
    ]
    return "\n".join(lines) + "\n"


def parse_output(text: str) -> WrkResult:
    """The figures of the ``MARKER`` line that the script's ``done()`` writes after wrk's own report."""
    for line in reversed(text.splitlines()):
        if line.startswith(MARKER):
            figures = json.loads(line[len(MARKER) :])
            return WrkResult(
                requests=figures["requests"],
                duration_s=figures["duration_us"] / 1e6,
                p50_ms=figures["p50_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
                errors=figures["socket_errors"] + figures["status_errors"],
                bytes_read=figures["bytes"],
            )
    raise WrkError(f"wrk printed no figures:\n{text[-2000:]}")


def ensure_wrk() -> str:
    """The path of wrk, installed from Debian's packages when missing and we are root with apt-get."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk", flush=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
        if subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, **quiet).returncode != 0:
            subprocess.run(["apt-get", "update"], check=False, **quiet)
            subprocess.run(["apt-get", "install", "-y", "wrk"], check=False, **quiet)
        found = shutil.which("wrk")
        if found:
            return found
    raise WrkError("wrk is not installed and could not be installed here: run `apt-get install wrk` (Debian/Ubuntu)")


def run(
    wrk: str,
    base_url: str,
    request: Request,
    headers: dict[str, str],
    *,
    duration: float,
    connections: int,
    prefix: tuple[str, ...] = (),
) -> WrkResult:
    """One wrk run (one thread, ``connections`` connections) of ``request`` for ``duration`` seconds."""
    script = f"/tmp/novu-mock-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}.lua"
    with open(script, "w") as handle:
        handle.write(lua_script(request, headers, run=uuid.uuid4().hex[:10]))
    try:
        command = [*prefix, wrk, "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", "-s", script]
        done = subprocess.run([*command, base_url], check=False, capture_output=True, text=True, timeout=duration + 60)
    finally:
        os.unlink(script)
    if done.returncode != 0:
        raise WrkError(f"wrk exited {done.returncode}: {done.stderr.strip() or done.stdout.strip()}")
    return parse_output(done.stdout + done.stderr)
