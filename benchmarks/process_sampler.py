"""Start a server, time its first answer, and read its resident memory (with its children's) from /proc."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self


class StartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = {pid}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def rss_bytes(pid: int, members: set[int] | None = None) -> int:
    """Resident memory of ``pid`` and all its descendants (or of ``members``): the sum of their VmRSS."""
    total = 0
    for member in _descendants(pid) if members is None else members:
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by ``pid`` and its live descendants."""
    ticks = 0
    for member in _descendants(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)
    return ticks / os.sysconf("SC_CLK_TCK")


class PeakRss:
    """Samples the RSS of ``pid`` and its descendants every ``interval`` seconds in a thread while the
    ``with`` block runs. The process tree is read again every tenth sample only: walking all of
    /proc takes ~2 ms of CPU, which every sample would take from the CPU the load generator runs
    on; a sample of the known members takes a few hundredths of that."""

    TREE_EVERY = 10

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0
        self._members: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        for count in itertools.count(1):
            self.peak = max(self.peak, rss_bytes(self.pid, self._members))
            if self._stop.wait(self.interval):
                return
            if count % self.TREE_EVERY == 0:
                self._members = _descendants(self.pid)

    def __enter__(self) -> Self:
        self._members = _descendants(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class Server:
    """A spawned server process: its pid, the moment it was spawned, and where its output goes."""

    def __init__(self, name: str, command: list[str], log: Path) -> None:
        self.name, self.command, self.log = name, command, log
        self.spawned = time.perf_counter()
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )

    def log_tail(self, chars: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def wait_first_answer(self, url: str, headers: dict[str, str], timeout: float = 60.0) -> float:
        """Seconds from spawn to the first 2xx answer of GET ``url``, polling every ~5 ms."""
        deadline = self.spawned + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise StartError(
                    f"{self.name} exited with {self.process.returncode} before answering:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=1) as answer:
                    if 200 <= answer.status < 300:
                        return time.perf_counter() - self.spawned
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.005)
        raise StartError(f"{self.name} gave no 2xx answer to GET {url} within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to the server's own process group, SIGKILL after 5 s."""
        if self.process.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


@contextmanager
def running(name: str, command: list[str], log: Path) -> Iterator[Server]:
    server = Server(name, command, log)
    try:
        yield server
    finally:
        server.stop()
