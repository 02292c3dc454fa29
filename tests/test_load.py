"""10,000 requests from 8 concurrent clients: no write lost in the state, the journal or the state file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import httpx

from mock_server.serving import free_port

KEY = "load-test-key"
CLIENTS = 8
REQUESTS_PER_CLIENT = 1250  # 10,000 in all


def _client_run(base: str, number: int, expected: dict[str, str], seen: Counter, errors: list[str]) -> None:
    mine: list[str] = []  # ids this client created
    headers = {"Authorization": f"ApiKey {KEY}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        for index in range(REQUESTS_PER_CLIENT):
            kind = index % 10
            if kind < 7 or not mine:
                identifier = f"load-{number}-{index}"
                response = http.post(
                    "/v1/integrations",
                    json={"providerId": "sendgrid", "channel": "email", "identifier": identifier, "name": identifier},
                )
                if response.status_code == 201:
                    mine.append(response.json()["data"]["_id"])
                    expected[identifier] = identifier
            elif kind < 9:
                target = mine[index % len(mine)]
                name = f"renamed-{number}-{index}"
                response = http.put(f"/v1/integrations/{target}", json={"name": name})
                if response.status_code == 200:
                    expected[response.json()["data"]["identifier"]] = name
            else:
                response = http.put("/v1/integrations/" + "0" * 24, json={"name": "nobody"})
            seen[(response.request.method, response.status_code)] += 1
            if response.status_code >= 500 or response.status_code == 429:
                errors.append(f"{response.request.method} {response.request.url.path}: {response.status_code}")


def test_ten_thousand_requests_from_eight_clients_lose_nothing(tmp_path) -> None:
    state_path = tmp_path / "state.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--api-key", KEY, "--no-fixtures",
             "--rate-limit", "1000000/s", "--journal-size", "20000", "--state-file", str(state_path),
             "--state-write-delay", "0.2"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/v1/health-check", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)

        headers = {"Authorization": f"ApiKey {KEY}"}
        assert httpx.delete(f"{base}/_mock/requests", headers=headers).status_code == 204  # forget the start-up probes

        expected: dict[str, str] = {}  # identifier -> name, as the clients left them
        seen: Counter = Counter()
        errors: list[str] = []
        lock = threading.Lock()
        per_client = [({}, Counter()) for _ in range(CLIENTS)]
        threads = [
            threading.Thread(target=_client_run, args=(base, number, per_client[number][0], per_client[number][1], errors))
            for number in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with lock:
            for client_expected, client_seen in per_client:
                expected.update(client_expected)
                seen.update(client_seen)
        assert not errors, errors[:10]
        assert sum(seen.values()) == CLIENTS * REQUESTS_PER_CLIENT

        state = httpx.get(f"{base}/_mock/state", headers=headers, timeout=60).json()
        held = {record["identifier"]: record["name"] for record in state["services"]["integrations"]}
        assert held == expected, "exactly the records the clients created, as they last changed them"
        assert len(held) == seen[("POST", 201)]

        journal = httpx.get(f"{base}/_mock/requests", headers=headers, timeout=60).json()
        assert journal["total"] == CLIENTS * REQUESTS_PER_CLIENT and journal["dropped"] == 0
        entries = journal["requests"]
        assert len(entries) == journal["total"]
        assert len({entry["id"] for entry in entries}) == len(entries)
        assert Counter((entry["method"], entry["status"]) for entry in entries) == seen

        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        saved = json.loads(state_path.read_text())
        (environment,) = saved["environments"].values()
        assert environment["services"] == state["services"], "the state file holds the same state"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
