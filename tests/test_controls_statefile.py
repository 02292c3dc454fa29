"""--state-file: every acknowledged change in the log before its answer, loaded at start, folded into the snapshot."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.controls import durable, statefile
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


def test_without_a_state_file_nothing_is_written(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with _client(create_app(Settings(api_keys={KEY: "Development"}))) as http:
        http.post("/v1/integrations", json=NEW)
    assert list(tmp_path.iterdir()) == []


def _state(path: Path) -> dict:
    """The snapshot with the log applied, as the next start reads it."""
    return statefile.StateFile(path, None, check_services=lambda *a: None)._read()  # type: ignore[arg-type]


def _identifiers_in(path: Path) -> set[str]:
    return {
        record["identifier"]
        for environment in _state(path)["environments"].values()
        for record in environment["services"].get("integrations", [])
    }


def test_a_change_is_in_the_files_before_its_answer_and_loaded_at_the_next_start(tmp_path) -> None:
    path = tmp_path / "state.json"
    app = create_app(_settings(path))
    with _client(app) as http, _client(app, OTHER_KEY) as other:
        created = http.post("/v1/integrations", json=NEW).json()["data"]
        # no waiting: the answer came after the line reached the log
        assert "kept-across-restarts" in _identifiers_in(path)
        other.post("/_mock/reset", params={"empty": "true"})
        writes = app.controls.state_file.writes
        assert writes >= 2
        http.get("/v1/integrations")  # reads do not write
        assert http.post("/v1/integrations", json={**NEW, "identifier": "x"}).status_code == 201
        assert app.controls.state_file.writes == writes + 1
        refused = http.post("/v1/integrations", json={**NEW, "identifier": "x"})
        assert refused.status_code == 409
        assert app.controls.state_file.writes == writes + 1, "a refused change writes nothing"

    restarted = create_app(_settings(path))
    with _client(restarted) as http, _client(restarted, OTHER_KEY) as other:
        listed = http.get("/v1/integrations").json()["data"]
        # a list item is the created answer without the document's virtual `id`, with `credentials: {}`
        kept = {key: value for key, value in created.items() if key != "id"} | {"credentials": {}}
        assert kept in listed, "the same record, id and timestamps included"
        assert other.get("/v1/integrations").json()["data"] == [], "each environment keeps its own state"


def test_a_log_line_holds_only_the_services_that_changed(tmp_path) -> None:
    path = tmp_path / "state.json"
    app = create_app(_settings(path))
    with _client(app) as http:
        assert http.post("/v2/subscribers", json={"subscriberId": "only-this"}).status_code == 201
        lines = path.with_name("state.json.log").read_bytes().splitlines()
        assert len(lines) == 1
        entry = json.loads(lines[0])
        assert list(entry["services"]) == ["subscribers"]
        assert "only-this" in {s["subscriberId"] for s in entry["services"]["subscribers"]}


def test_the_log_is_folded_into_the_snapshot_at_shutdown_and_when_it_grows(tmp_path, monkeypatch) -> None:
    path = tmp_path / "state.json"
    log = path.with_name("state.json.log")
    monkeypatch.setattr(statefile, "COMPACT_MIN_BYTES", 0)
    monkeypatch.setattr(statefile, "COMPACT_RATIO", 0)  # every commit outgrows it
    app = create_app(_settings(path))
    with _client(app) as http:
        for index in range(5):
            http.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "identifier": f"grow-{index}"})
        assert app.controls.state_file.compactions >= 2, "folded at start and once the log outgrew the snapshot"
        assert "grow-4" in _identifiers_in(path)
    assert log.read_bytes() == b""
    assert "grow-4" in {r["identifier"] for e in json.loads(path.read_bytes())["environments"].values()
                        for r in e["services"]["integrations"]}  # fmt: skip


def test_what_a_removal_cascades_into_other_services_is_in_the_log_before_the_answer(tmp_path) -> None:
    path = tmp_path / "state.json"
    app = create_app(_settings(path))
    with _client(app) as http:
        state = http.get("/_mock/state").json()["services"]
        subscriber = next(r["subscriberId"] for r in state["inbox"] if r["messages"])
        assert http.delete(f"/v2/subscribers/{subscriber}").status_code == 200
        entry = json.loads(path.with_name("state.json.log").read_bytes().splitlines()[-1])
        assert {"subscribers", "inbox"} <= set(entry["services"]), "the inbox's removal listener ran"
        saved = next(e["services"] for e in _state(path)["environments"].values() if e["name"] == "Development")
        assert subscriber not in {r["subscriberId"] for r in saved["inbox"]}
        assert subscriber not in {s["subscriberId"] for s in saved["subscribers"]}


def test_a_change_made_behind_the_services_back_is_caught_by_the_next_whole_export(tmp_path, monkeypatch) -> None:
    path = tmp_path / "state.json"
    app = create_app(_settings(path))
    with _client(app) as http:
        backend = app.backends[app.backends.environments()[0].id]
        record = next(iter(vars(backend.workflows)["_by_id"].values()))  # no method of the service called
        record.name = "renamed out of sight"
        monkeypatch.setattr(statefile, "FULL_EXPORT_SECONDS", 0)
        assert http.post("/v2/subscribers", json={"subscriberId": "any-change"}).status_code == 201
        saved = next(e["services"] for e in _state(path)["environments"].values() if e["name"] == "Development")
        assert "renamed out of sight" in {w["name"] for w in saved["workflows"]}


def test_lines_already_in_the_snapshot_are_not_applied_twice_and_a_cut_last_line_is_dropped(tmp_path) -> None:
    path = tmp_path / "state.json"
    log = path.with_name("state.json.log")
    app = create_app(_settings(path))
    with _client(app) as http:
        http.post("/v1/integrations", json={**NEW, "identifier": "first"})
        old_line = log.read_bytes()
        http.post("/v1/integrations", json={**NEW, "identifier": "second"})
    # a crash after the fold, before the truncation: the old line is still there, and a torn one
    log.write_bytes(old_line + b'{"sequence": 99, "environment": "abc", "serv')
    restarted = create_app(_settings(path))
    with _client(restarted) as http:
        identifiers = {i["identifier"] for i in http.get("/v1/integrations").json()["data"]}
        assert {"first", "second"} <= identifiers


def test_a_value_orjson_refuses_is_written_escaped_and_later_writes_go_on(tmp_path, caplog) -> None:
    path = tmp_path / "state.json"
    app = create_app(_settings(path))
    with _client(app) as http:
        backend = app.backends[app.backends.environments()[0].id]
        backend.subscribers.create(subscriber_id="lone\ud800surrogate")
        assert http.post("/v2/subscribers", json={"subscriberId": "after-the-bad-one"}).status_code == 201
        assert "orjson cannot write" in caplog.text
        assert app.controls.state_file.failures == 0
    restarted = create_app(_settings(path))
    with _client(restarted) as http:
        assert http.get("/v2/subscribers/after-the-bad-one").status_code == 200
        assert restarted.backends[restarted.backends.environments()[0].id].subscribers.get("lone\ud800surrogate")


def test_a_failed_write_is_logged_loudly_and_the_next_commit_writes_it(tmp_path, monkeypatch, caplog) -> None:
    path = tmp_path / "state.json"
    app = create_app(_settings(path))
    real_write = durable.os.write
    with _client(app) as http:
        monkeypatch.setattr(
            durable.os, "write", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device"))
        )
        answer = http.post("/v1/integrations", json={**NEW, "identifier": "during-the-full-disk"})
        assert answer.status_code == 201
        assert "STATE NOT WRITTEN" in caplog.text and "No space left" in caplog.text
        assert app.controls.state_file.failures == 1
        monkeypatch.setattr(durable.os, "write", real_write)
        http.post("/v1/integrations", json={**NEW, "identifier": "after-the-full-disk"})
        assert {"during-the-full-disk", "after-the-full-disk"} <= _identifiers_in(path)


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"previous": true}')

    def crash(*args, **kwargs):
        raise OSError("disk full halfway through")

    monkeypatch.setattr(durable.os, "fsync", crash)
    with pytest.raises(OSError):
        durable.atomic_write(path, b'{"new": "content that never fully arrived"')
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
            [
                sys.executable,
                "-m",
                "mock_server",
                "serve",
                "--port",
                str(port),
                "--api-key",
                KEY,
                "--state-file",
                str(path),
                *extra,
            ],
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
def test_the_log_is_folded_into_the_snapshot_at_shutdown(tmp_path, stop) -> None:
    path = tmp_path / "state.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _serve(path, port)
    try:
        _wait_up(base, process)
        created = httpx.post(f"{base}/v1/integrations", json=NEW, headers={"Authorization": f"ApiKey {KEY}"})
        assert created.status_code == 201
        subscriber = httpx.post(f"{base}/v2/subscribers", json={"subscriberId": "kept-at-shutdown"},
                                headers={"Authorization": f"ApiKey {KEY}"})  # fmt: skip
        assert subscriber.status_code == 201
        assert path.with_name("state.json.log").stat().st_size > 0
        process.send_signal(stop)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert path.with_name("state.json.log").read_bytes() == b""
    services = next(iter(json.loads(path.read_text())["environments"].values()))["services"]
    assert "kept-across-restarts" in {i["identifier"] for i in services["integrations"]}
    assert "kept-at-shutdown" in {s["subscriberId"] for s in services["subscribers"]}
    assert services["inbox"], "the seeded inbox is written too"


def test_a_server_killed_during_concurrent_writes_keeps_every_acknowledged_one(tmp_path) -> None:
    """SIGKILL while 8 clients create subscribers: every create that got a 2xx is there after a restart."""
    path = tmp_path / "state.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _serve(path, port, "--state-fsync", "never")
    acknowledged: list[str] = []
    stop = threading.Event()

    def create(worker: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"ApiKey {KEY}"}, timeout=5) as http:
            for index in itertools.count():
                if stop.is_set():
                    return
                subscriber_id = f"w{worker}-{index}"
                try:
                    answer = http.post("/v2/subscribers", json={"subscriberId": subscriber_id})
                except httpx.TransportError:
                    return  # killed: no answer, no promise
                if answer.is_success:
                    acknowledged.append(subscriber_id)

    try:
        _wait_up(base, process)
        workers = [threading.Thread(target=create, args=(worker,)) for worker in range(8)]
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 300:
            assert time.monotonic() < deadline, "too few writes"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)  # no shutdown, writes in flight
        process.wait(timeout=10)
        stop.set()
        for worker in workers:
            worker.join(timeout=10)
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
    assert len(acknowledged) >= 300
    restarted = create_app(_settings(path))
    backend = restarted.backends[restarted.backends.environments()[0].id]
    kept = {record["subscriberId"] for record in backend.subscribers.snapshot()}
    lost = [subscriber_id for subscriber_id in acknowledged if subscriber_id not in kept]
    assert lost == [], f"{len(lost)} of {len(acknowledged)} acknowledged creates lost"
    assert {p.name for p in tmp_path.iterdir() if not p.name.endswith(".tmp")} == {
        "state.json",
        "state.json.log",
        "server.log",
    }


def test_subscribers_and_the_inbox_survive_a_restart(tmp_path) -> None:
    """Not only integrations: a new subscriber (with credentials and online status), changed
    preferences and a message read before the restart are all there after it."""
    path = tmp_path / "state.json"
    app = create_app(_settings(path))
    with _client(app) as http:
        state = http.get("/_mock/state").json()["services"]
        record = next(r for r in state["inbox"] if r["messages"] and not r["messages"][0]["readAt"])
        subscriber, message_id = record["subscriberId"], record["messages"][0]["_id"]
        assert (
            http.post(
                "/v2/subscribers", json={"subscriberId": "kept-subscriber", "email": "kept@example.com"}
            ).status_code
            == 201
        )
        slack = next(i for i in state["integrations"] if i["providerId"] == "slack" and i["active"])
        credentials = {"providerId": "slack", "integrationIdentifier": slack["identifier"],
                       "credentials": {"webhookUrl": "https://hooks.slack.com/kept"}}  # fmt: skip
        assert http.put("/v1/subscribers/kept-subscriber/credentials", json=credentials).status_code == 200
        assert http.patch("/v1/subscribers/kept-subscriber/online-status", json={"isOnline": True}).status_code == 200
        marked = http.post(
            f"/v1/subscribers/{subscriber}/messages/mark-as", json={"messageId": message_id, "markAs": "read"}
        )
        assert marked.status_code == 201
        workflow = next(w for w in state["workflows"] if not w["critical"] and "email" in w["channels"])
        changed = http.patch(f"/v2/subscribers/{subscriber}/preferences",
                             json={"workflowId": workflow["identifier"], "channels": {"email": False}})  # fmt: skip
        assert changed.status_code == 200, changed.text

        # in the files as soon as answered: no waiting
        saved = _state(path)["environments"]
        services = next(e["services"] for e in saved.values() if e["name"] == "Development")
        assert any(s["subscriberId"] == "kept-subscriber" and s["isOnline"] for s in services["subscribers"])
        assert any(m["_id"] == message_id and m["readAt"] for r in services["inbox"] for m in r["messages"])
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
