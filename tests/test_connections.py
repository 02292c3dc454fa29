"""Connections: unfinished heads time out, over-large heads are refused, floods degrade gracefully."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mock_server.serving import free_port, running
from mock_server.settings import Settings
from tests.conftest import KEY


def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    connection = socket.create_connection((host, int(port)), timeout=5)
    return connection


def _read_all(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


@pytest.fixture(scope="module")
def server():
    settings = Settings(api_keys={KEY: "Development"}, fixtures=False, header_timeout_seconds=0.6, port=free_port())
    with running(settings) as base:
        yield base


def test_a_head_that_trickles_in_is_answered_408_and_closed_after_the_timeout(server) -> None:
    with _connect(server) as connection:
        started = time.monotonic()
        connection.sendall(b"GET /v1/health-check HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        closed, answer = False, b""
        while time.monotonic() - started < 5:
            try:
                connection.sendall(b"X")  # one more header byte now and then
                connection.settimeout(0.1)
                answer = connection.recv(65536)
                closed = True
                break
            except TimeoutError:
                pass
            except OSError:
                closed = True
                break
        elapsed = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert closed, "the slow head held its connection"
    assert 0.5 <= elapsed < 2.5


def test_a_connection_that_sends_nothing_is_closed_after_the_timeout(server) -> None:
    with _connect(server) as connection:
        started = time.monotonic()
        assert _read_all(connection) == b""
    assert 0.5 <= time.monotonic() - started < 2.5


def test_a_complete_request_is_not_cut_by_the_timeout(server) -> None:
    with httpx.Client(base_url=server) as http:
        for _ in range(3):  # kept alive across the timeout
            assert http.get("/v1/health-check").status_code == 200
            time.sleep(0.4)


def test_an_over_large_head_is_refused_431_and_closed(server) -> None:
    with _connect(server) as connection:
        connection.sendall(
            b"GET /v1/health-check HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (20 * 1024) + b"\r\n\r\n"
        )
        answer = _read_all(connection)
    assert answer.startswith(b"HTTP/1.1 431 ")
    # a head just under the limit is served
    assert httpx.get(f"{server}/v1/health-check", headers={"X-Big": "a" * (15 * 1024)}).status_code == 200


def test_a_flood_of_idle_connections_leaves_room_for_a_health_check(tmp_path: Path) -> None:
    """1,000 idle connections against a process allowed 256 file descriptors: the health check
    still answers, and the log holds a line or two, not a traceback per connection."""
    port = free_port()
    log = tmp_path / "server.log"

    with open(log, "wb") as output:
        process = subprocess.Popen(
            # a process allowed 256 file descriptors
            ["sh", "-c", 'ulimit -n 256 && exec "$0" "$@"', sys.executable, "-m", "mock_server", "serve",
             "--port", str(port), "--no-fixtures", "--api-key", KEY],
            stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    idle: list[socket.socket] = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/v1/health-check", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        for _ in range(1000):  # opened without waiting: the kernel completes them as the server accepts
            connection = socket.socket()
            connection.setblocking(False)
            connection.connect_ex(("127.0.0.1", port))
            idle.append(connection)
        time.sleep(1)
        started = time.monotonic()
        answer = httpx.get(f"{base}/v1/health-check", timeout=8)
        assert answer.status_code == 200
        # a full listen queue makes the client's TCP retry its handshake after a second, maybe twice
        assert time.monotonic() - started < 4
        assert process.poll() is None
    finally:
        for connection in idle:
            connection.close()
        process.terminate()
        process.wait(timeout=20)
    text = log.read_text()
    assert "Traceback" not in text and "Too many open files" not in text, text[-3000:]
    assert 1 <= text.count("connections open") <= 3, text[-3000:]


def test_waves_of_a_flood_are_announced_once_in_a_while(monkeypatch, caplog) -> None:
    """A flood reaches the limit in waves: the first is announced with its end, the next ones
    within WARN_EVERY_SECONDS are counted into the next announced end, not logged each."""
    from mock_server import connections

    clock = [1000.0]
    monkeypatch.setattr(connections.time, "monotonic", lambda: clock[0])
    limits = connections._Limits(10, 16384, 128)
    with caplog.at_level("WARNING", logger="novu_mock"):
        for _ in range(3):
            limits.reach("idle and unfinished ones are closed to make room")
            limits.replaced += 5
            limits.leave()
            clock[0] += 1
        clock[0] += connections.WARN_EVERY_SECONDS
        limits.reach("idle and unfinished ones are closed to make room")
        limits.replaced += 5
        limits.leave()
    lines = [record.getMessage() for record in caplog.records]
    assert sum("connections open" in line for line in lines) == 2
    assert [line for line in lines if "below" in line] == [
        "novu-mock: below the connection limit again (0 refused, 5 idle closed meanwhile)",
        "novu-mock: below the connection limit again (0 refused, 15 idle closed meanwhile)",
    ]
