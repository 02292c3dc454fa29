"""Trigger fan-out to a topic of 1,000 subscribers, and the request rate of single triggers.

    python benchmarks/fanout.py [--subscribers 1000] [--repeat 10] [--seconds 3] [--threads 1 4]

Starts ``novu-mock serve`` (compiled path on, the default) in a child process without fixtures,
creates ``--subscribers`` subscribers and a topic holding them all through the API, then:

1. triggers an in-app workflow to the topic once and checks, feed by feed, that every
   subscriber has exactly one inbox message from that transaction (it fails otherwise);
2. triggers it ``--repeat`` more times and prints the median and worst time of one fan-out
   request (client-side, localhost HTTP: the whole request, the fan-out included);
3. sends single triggers (one subscriber each) for ``--seconds`` from 1 and more client
   threads and prints requests per second.

The mock needs a workflow with an in-app step: the benchmark adds one through the admin state
API, the way a test suite would seed one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from mock_server.serving import free_port

KEY = "fanout-benchmark-key"
WORKFLOW = "fanout-bench"
TOPIC = "fanout-everyone"


def _start(port: int) -> subprocess.Popen:
    executable = shutil.which("novu-mock") or str(Path(sys.executable).with_name("novu-mock"))
    process = subprocess.Popen(
        [executable, "serve", "--port", str(port), "--no-fixtures", "--api-key", KEY, "--rate-limit", "1000000",
         "--log-level", "error"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health-check", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the mock did not start")


def _seed(client: httpx.Client, subscribers: int) -> list[str]:
    state = client.get("/_mock/state").json()
    state["services"]["workflows"] = [{
        "_id": "6a0000000000000000000001", "identifier": WORKFLOW, "name": "Fan-out bench", "channels": ["in_app"],
        "createdAt": "2026-01-01T00:00:00.000Z",
        "inApp": {"subject": "Hello {{subscriber.subscriberId}}", "body": "{{payload.message}}"},
    }]  # fmt: skip
    answer = client.put("/_mock/state", json=state)
    assert answer.status_code == 200, answer.text
    ids = [f"fan-{number:05d}" for number in range(subscribers)]
    for start in range(0, subscribers, 500):
        batch = [{"subscriberId": subscriber_id, "firstName": f"Sub {subscriber_id}"} for subscriber_id in ids[start:start + 500]]
        answer = client.post("/v1/subscribers/bulk", json={"subscribers": batch})
        assert answer.status_code == 201, answer.text
    for start in range(0, subscribers, 100):
        answer = client.post(f"/v2/topics/{TOPIC}/subscriptions", json={"subscriptions": ids[start:start + 100]})
        assert answer.status_code in (200, 201), answer.text
    return ids


def _fan_out(client: httpx.Client, number: int) -> tuple[float, str]:
    began = time.perf_counter()
    answer = client.post("/v1/events/trigger", json={
        "name": WORKFLOW, "to": [{"type": "Topic", "topicKey": TOPIC}], "payload": {"message": f"fan-out {number}"}})  # fmt: skip
    elapsed = (time.perf_counter() - began) * 1000
    assert answer.status_code == 201, answer.text
    return elapsed, answer.json()["data"]["transactionId"]


def _check_one_message_each(client: httpx.Client, ids: list[str], transaction_id: str) -> None:
    for subscriber_id in ids:
        feed = client.get(f"/v1/subscribers/{subscriber_id}/notifications/feed", params={"limit": 100}).json()
        mine = [item for item in feed["data"] if item["transactionId"] == transaction_id]
        assert len(mine) == 1, f"{subscriber_id} has {len(mine)} messages of {transaction_id}"
        assert mine[0]["content"] == "fan-out 0"


def _rate(base_url: str, seconds: float, threads: int, subscriber_id: str) -> float:
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def work(slot: int) -> None:
        with httpx.Client(base_url=base_url, headers={"Authorization": f"ApiKey {KEY}"}) as client:
            while time.perf_counter() < stop:
                answer = client.post("/v1/events/trigger", json={"name": WORKFLOW, "to": subscriber_id,
                                                                 "payload": {"message": "one"}})  # fmt: skip
                assert answer.status_code == 201, answer.text
                done[slot] += 1

    began = time.perf_counter()
    workers = [threading.Thread(target=work, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(done) / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args()
    port = free_port()
    process = _start(port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, headers={"Authorization": f"ApiKey {KEY}"}, timeout=60) as client:
            began = time.perf_counter()
            ids = _seed(client, args.subscribers)
            print(f"seeded {len(ids):,} subscribers in topic {TOPIC} in {time.perf_counter() - began:.1f} s")
            first, transaction_id = _fan_out(client, 0)
            _check_one_message_each(client, ids, transaction_id)
            print(f"first fan-out: {first:.1f} ms; checked: each of {len(ids):,} feeds has exactly one message of it")
            samples = [_fan_out(client, number)[0] for number in range(1, args.repeat + 1)]
            if os.environ.get("FANOUT_VERBOSE"):
                print("  each:", " ".join(f"{sample:.0f}" for sample in samples))
            print(f"fan-out to {len(ids):,} subscribers, {args.repeat} triggers: median {statistics.median(samples):.1f} ms,"
                  f" worst {max(samples):.1f} ms (goal < 200 ms)")  # fmt: skip
        for threads in args.threads:
            rate = _rate(base_url, args.seconds, threads, ids[0])
            print(f"single triggers, {threads} client thread(s): {rate:,.0f} requests/s")
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
