"""--reload: a change to the spec or the fixtures restarts the server; a state file keeps the state."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from mock_server.serving import free_port
from mock_server.settings import default_spec_path

KEY = "reload-key"
HEADERS = {"Authorization": f"ApiKey {KEY}"}


def _title(base: str) -> str | None:
    try:
        return httpx.get(f"{base}/openapi.json", timeout=1).json()["info"]["title"]
    except (httpx.TransportError, ValueError):
        return None


def _wait(predicate, process: subprocess.Popen, log: Path, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "timed out; server log:\n" + log.read_text()
        time.sleep(0.1)


def test_a_spec_change_restarts_the_server_and_keeps_the_state(tmp_path) -> None:
    spec = tmp_path / "openapi.yaml"
    shutil.copy(default_spec_path(), spec)
    state = tmp_path / "state.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--reload", "--port", str(port), "--api-key", KEY,
             "--spec", str(spec), "--state-file", str(state)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait(lambda: _title(base) == "Novu API (novu-mock contract)", process, log)
        created = httpx.post(
            f"{base}/v1/integrations",
            json={"providerId": "postmark", "channel": "email", "identifier": "survives-reload"},
            headers=HEADERS,
        )
        assert created.status_code == 201

        spec.write_text(spec.read_text().replace("title: Novu API (novu-mock contract)", "title: Edited while serving", 1))
        _wait(lambda: _title(base) == "Edited while serving", process, log)

        listed = httpx.get(f"{base}/v1/integrations", headers=HEADERS).json()["data"]
        # a list item is the created answer without the virtual `id`, with `credentials: {}`
        kept = {key: value for key, value in created.json()["data"].items() if key != "id"} | {"credentials": {}}
        assert kept in listed, "the state came back from the state file"
        assert "restarting" in log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert process.returncode == 0
    # the supervisor stopped its child too: nothing answers any more
    try:
        httpx.get(f"{base}/v1/health-check", timeout=1)
        raise AssertionError("the server is still running")
    except httpx.TransportError:
        pass


def test_the_fixtures_are_watched_too() -> None:
    from mock_server.controls.reload import watched_files
    from mock_server.settings import Settings

    names = {path.name for path in watched_files(Settings())}
    assert {"openapi.yaml", "factories.py", "__init__.py"} <= names
