"""Feed and count latency for one subscriber with 10,000 in-app messages, alone and among others.

    python benchmarks/inbox_feed.py [--others 0 100000] [--repeat 50]

One subscriber gets 10,000 messages (a third of them read, two thirds seen); the environment
then holds ``--others`` more messages spread over 1,000 other subscribers. Requests go through
the whole app in process (validation, envelope, response validation), so the figures are the
mock's own work without network. Each query runs ``--repeat`` times; median and 95th percentile
are printed. If reads scanned other subscribers' messages, the figures would grow with
``--others``; they grow only with the subscriber's own 10,000.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings

KEY = "benchmark-key"
TARGET = "inbox-heavy"
OWN = 10_000
OTHER_SUBSCRIBERS = 1_000


def populate(app, others: int, rng: random.Random) -> float:
    began = time.perf_counter()
    backend = next(iter(app.backends))
    backend.workflows.create(identifier="bench-inbox", name="Bench inbox", channels=["in_app"], tags=["bench"])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for number in range(OWN):
        backend.inbox.trigger(
            workflow_id="bench-inbox",
            recipients=[{"subscriberId": TARGET}],
            payload={"message": f"note {number}", "n": number % 7},
            at=start + timedelta(minutes=number),
            rng=rng,
        )
    ids = [m.id for m in backend.inbox.feed(TARGET, page=0, limit=OWN).items]
    backend.inbox.mark_as(TARGET, [i for i in ids if rng.random() < 0.66], "seen")
    backend.inbox.mark_as(TARGET, [i for i in ids if rng.random() < 0.33], "read")
    recipients = [{"subscriberId": f"other-{number:04d}"} for number in range(OTHER_SUBSCRIBERS)]
    for round_ in range(others // OTHER_SUBSCRIBERS):
        backend.inbox.trigger(
            workflow_id="bench-inbox",
            recipients=recipients,
            payload={"message": f"broadcast {round_}"},
            at=start + timedelta(minutes=round_ * 3 + 1),
            rng=rng,
        )
    return time.perf_counter() - began


def timed(client: TestClient, path: str, params: dict, repeat: int) -> tuple[float, float, str]:
    samples = []
    answer = ""
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(path, params=params)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text
        body = response.json()
        data = body.get("data")
        if isinstance(data, dict):
            answer = f"count {data['count']}"
        elif data and isinstance(data[0], dict) and "count" in data[0]:
            answer = "counts " + ",".join(str(item["count"]) for item in data)
        else:
            answer = f"{len(data)} items" + (f" of {body['totalCount']}" if "totalCount" in body else "")
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)], answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--others", type=int, nargs="+", default=[0, 100_000])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    feed = f"/v1/subscribers/{TARGET}/notifications/feed"
    inbox = f"/v2/subscribers/{TARGET}/notifications"
    print(f"{'others':>8}  {'query':<44} {'median ms':>9} {'p95 ms':>7}  answer")
    for others in args.others:
        app = create_app(Settings(api_keys={KEY: "Benchmark"}, fixtures=False, rate_limit_per_second=1_000_000))
        seconds = populate(app, others, random.Random(1))
        with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as client:
            middle = client.get(inbox, params={"limit": 100, "offset": 5000}).json()["data"][0]["id"]
            queries = [
                ("v1 feed, first page (limit 10)", feed, {"limit": 10}),
                ("v1 feed, page 500 (limit 10)", feed, {"limit": 10, "page": 500}),
                ("v1 feed, unread only, first page", feed, {"limit": 10, "read": "false"}),
                ("v1 unseen count", f"/v1/subscribers/{TARGET}/notifications/unseen", {}),
                ("v2 inbox, first page (limit 10)", inbox, {"limit": 10}),
                ("v2 inbox, after a cursor in the middle", inbox, {"limit": 10, "after": middle}),
                ("v2 count, 3 filters", f"{inbox}/count", {"filters": json.dumps([{"read": False}, {"seen": False}, {"archived": True}])}),
            ]
            for label, path, params in queries:
                median, p95, answer = timed(client, path, params, args.repeat)
                print(f"{others:>8,}  {label:<44} {median:>9.2f} {p95:>7.2f}  {answer}")
        print(f"{'':>8}  (loaded {OWN:,} own + {others:,} other messages in {seconds:.1f} s)")


if __name__ == "__main__":
    main()
