"""--state-file: loaded at start, written atomically after changes and at SIGTERM / SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.controls import statefile
from mock_server.controls.statefile import StateFileError
from mock_server.serving import free_port
from mock_server.settings import Settings
from tests.conftest import KEY, OTHER_KEY

NEW = {"providerId": "mailgun", "channel": "email", "identifier": "kept-across-restarts", "name": "Kept"}


def _settings(path: Path, **extra) -> Settings:
    return Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, state_file=path, **extra)


def _client(app, key=KEY) -> TestClient:
    return TestClient(app, headers={"Authorization": f"ApiKey {key}"})


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _identifiers_in(path: Path) -> set[str]:
    document = json.loads(path.read_text())
    return {
        record["identifier"]
        for environment in document["environments"].values()
        for record in environment["services"]["integrations"]
    }


def test_without_a_state_file_nothing_is_written(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with _client(create_app(Settings(api_keys={KEY: "Development"}))) as http:
        http.post("/v1/integrations", json=NEW)
    assert list(tmp_path.iterdir()) == []


def test_changes_are_written_after_a_quiet_moment_and_loaded_at_the_next_start(tmp_path) -> None:
    path = tmp_path / "state.json"
    app = create_app(_settings(path, state_write_delay=0.2))
    with _client(app) as http, _client(app, OTHER_KEY) as other:
        created = http.post("/v1/integrations", json=NEW).json()["data"]
        other.post("/_mock/reset", params={"empty": "true"})
        _wait_for(lambda: path.exists() and "kept-across-restarts" in _identifiers_in(path))
        time.sleep(0.6)  # let a write already under way finish
        writes = app.controls.state_file.writes
        assert writes >= 1
        http.get("/v1/integrations")  # reads do not write
        time.sleep(0.6)
        assert app.controls.state_file.writes == writes

    restarted = create_app(_settings(path))
    with _client(restarted) as http, _client(restarted, OTHER_KEY) as other:
        listed = http.get("/v1/integrations").json()["data"]
        # a list item is the created answer without the document's virtual `id`, with `credentials: {}`
        kept = {key: value for key, value in created.items() if key != "id"} | {"credentials": {}}
        assert kept in listed, "the same record, id and timestamps included"
        assert other.get("/v1/integrations").json()["data"] == [], "each environment keeps its own state"


def test_writes_are_debounced_under_a_burst(tmp_path) -> None:
    path = tmp_path / "state.json"
    app = create_app(_settings(path, state_write_delay=0.3))
    with _client(app) as http:
        for index in range(30):
            http.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "identifier": f"burst-{index}"})
        _wait_for(lambda: path.exists() and "burst-29" in _identifiers_in(path))
        assert app.controls.state_file.writes <= 3, "a burst of changes is written once or a few times, not 30"


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"previous": true}')

    def crash(*args, **kwargs):
        raise OSError("disk full halfway through")

    monkeypatch.setattr(statefile.os, "fsync", crash)
    with pytest.raises(OSError):
        statefile.atomic_write(path, b'{"new": "content that never fully arrived"')
    assert path.read_text() == '{"previous": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"], "no temporary file left behind"


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"format": "something else"}', '{"format": "novu-mock state", "version": 1, "environments": []}'],
)
def test_a_broken_state_file_stops_the_start_and_is_left_untouched(tmp_path, content) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(StateFileError, match="state.json"):
        create_app(_settings(path))
    assert path.read_text() == content


def test_a_state_file_with_invalid_records_stops_the_start(tmp_path) -> None:
    path = tmp_path / "state.json"
    with _client(create_app(_settings(path))) as http:
        http.get("/v1/integrations")
    document = json.loads(path.read_text())
    environment = next(iter(document["environments"].values()))
    environment["services"]["integrations"][0]["active"] = "maybe"
    path.write_text(json.dumps(document))
    with pytest.raises(StateFileError, match="active"):
        create_app(_settings(path))


def _serve(path: Path, port: int, *extra: str) -> subprocess.Popen:
    log = path.with_name("server.log")
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--api-key", KEY, "--state-file", str(path), *extra],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    process.log = log  # type: ignore[attr-defined]
    return process


def _wait_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/v1/health-check", timeout=1)
            return
        except httpx.TransportError:
            assert process.poll() is None, process.log.read_text()
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_state_is_written_at_shutdown(tmp_path, stop) -> None:
    path = tmp_path / "state.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # a write delay far longer than the test: only the shutdown write can put the record there
    process = _serve(path, port, "--state-write-delay", "600")
    try:
        _wait_up(base, process)
        created = httpx.post(f"{base}/v1/integrations", json=NEW, headers={"Authorization": f"ApiKey {KEY}"})
        assert created.status_code == 201
        subscriber = httpx.post(f"{base}/v2/subscribers", json={"subscriberId": "kept-at-shutdown"},
                                headers={"Authorization": f"ApiKey {KEY}"})  # fmt: skip
        assert subscriber.status_code == 201
        assert not path.exists()
        process.send_signal(stop)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert "kept-across-restarts" in _identifiers_in(path)
    services = next(iter(json.loads(path.read_text())["environments"].values()))["services"]
    assert "kept-at-shutdown" in {s["subscriberId"] for s in services["subscribers"]}
    assert services["inbox"], "the seeded inbox is written too"


def test_a_killed_server_never_leaves_a_corrupt_file(tmp_path) -> None:
    path = tmp_path / "state.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _serve(path, port, "--state-write-delay", "0.01")
    try:
        _wait_up(base, process)
        headers = {"Authorization": f"ApiKey {KEY}"}
        with httpx.Client(base_url=base, headers=headers) as http:
            for index in range(150):
                http.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "identifier": f"k-{index}"})
                if index == 99:  # the writer has written at least once (it may be slower than 100 requests)
                    deadline = time.monotonic() + 30
                    while not path.exists():
                        assert time.monotonic() < deadline, "the state file was never written"
                        time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)  # no shutdown, possibly mid-write: the last 50 keep it writing
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert "k-0" in _identifiers_in(path), "the file is complete JSON with the early records"
    assert {p.name for p in tmp_path.iterdir() if not p.name.endswith(".tmp")} == {"state.json", "server.log"}


def test_subscribers_and_the_inbox_survive_a_restart(tmp_path) -> None:
    """Not only integrations: a new subscriber (with credentials and online status), changed
    preferences and a message read before the restart are all there after it."""
    path = tmp_path / "state.json"
    app = create_app(_settings(path, state_write_delay=0.2))
    with _client(app) as http:
        state = http.get("/_mock/state").json()["services"]
        record = next(r for r in state["inbox"] if r["messages"] and not r["messages"][0]["readAt"])
        subscriber, message_id = record["subscriberId"], record["messages"][0]["_id"]
        assert http.post("/v2/subscribers", json={"subscriberId": "kept-subscriber", "email": "kept@example.com"}).status_code == 201
        slack = next(i for i in state["integrations"] if i["providerId"] == "slack" and i["active"])
        credentials = {"providerId": "slack", "integrationIdentifier": slack["identifier"],
                       "credentials": {"webhookUrl": "https://hooks.slack.com/kept"}}  # fmt: skip
        assert http.put("/v1/subscribers/kept-subscriber/credentials", json=credentials).status_code == 200
        assert http.patch("/v1/subscribers/kept-subscriber/online-status", json={"isOnline": True}).status_code == 200
        marked = http.post(f"/v1/subscribers/{subscriber}/messages/mark-as", json={"messageId": message_id, "markAs": "read"})
        assert marked.status_code == 201
        workflow = next(w for w in state["workflows"] if not w["critical"] and "email" in w["channels"])
        changed = http.patch(f"/v2/subscribers/{subscriber}/preferences",
                             json={"workflowId": workflow["identifier"], "channels": {"email": False}})  # fmt: skip
        assert changed.status_code == 200, changed.text

        def written() -> bool:
            if not path.exists():
                return False
            saved = json.loads(path.read_text())["environments"]
            services = next(e["services"] for e in saved.values() if e["name"] == "Development")
            return any(s["subscriberId"] == "kept-subscriber" and s["isOnline"] for s in services["subscribers"]) and any(
                m["_id"] == message_id and m["readAt"] for r in services["inbox"] for m in r["messages"]
            )

        _wait_for(written)
        time.sleep(0.6)  # let a write already under way finish
        exported = http.get("/_mock/state").json()

    restarted = create_app(_settings(path))
    with _client(restarted) as http:
        assert http.get("/_mock/state").json() == exported, "every service, exactly"
        kept = http.get("/v2/subscribers/kept-subscriber").json()["data"]
        assert kept["isOnline"] is True
        assert kept["channels"][0]["credentials"]["webhookUrl"] == "https://hooks.slack.com/kept"
        assert [s["subscriberId"] for s in http.get("/v2/subscribers", params={"email": "kept@"}).json()["data"]] == [
            "kept-subscriber"
        ], "the search index is rebuilt from the file"
        feed = http.get(f"/v1/subscribers/{subscriber}/notifications/feed", params={"limit": 100}).json()["data"]
        assert next(m for m in feed if m["_id"] == message_id)["read"] is True
        preferences = http.get(f"/v2/subscribers/{subscriber}/preferences").json()["data"]
        chosen = next(w for w in preferences["workflows"] if w["workflow"]["identifier"] == workflow["identifier"])
        assert chosen["channels"]["email"] is False
