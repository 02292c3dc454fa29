"""Search latency of GET /v2/subscribers over 100 and over 100,000 subscribers in one environment.

    python benchmarks/subscribers_search.py [--sizes 100 100000] [--repeat 200]

Requests go through the whole app (validation, envelope, response validation) in process, so
the figures are the mock's own work without network. Subscribers are put straight into the
store; each query is timed `--repeat` times and the median and 95th percentile are printed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings

KEY = "benchmark-key"
FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]


def populate(app, size: int, rng: random.Random) -> tuple[list[str], list[str]]:
    backend = next(iter(app.backends))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids, emails = [], []
    for number in range(size):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        subscriber, _ = backend.subscribers.create(
            subscriber_id=f"user-{number:06d}",
            profile={
                "firstName": first,
                "lastName": last,
                "email": f"{first.lower()}.{last.lower()}.{number}@example.com",
                "phone": f"+1415{number:07d}",
            },
            created_at=start + timedelta(seconds=number),
            rng=rng,
        )
        ids.append(subscriber.id)
        emails.append(subscriber.email)
    return ids, emails


def timed(client: TestClient, params: dict, repeat: int) -> tuple[float, float, int]:
    samples = []
    count = 0
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get("/v2/subscribers", params=params)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.text
        count = len(response.json()["data"])
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 100_000])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(f"{'subscribers':>11}  {'query':<44} {'median ms':>9} {'p95 ms':>7} {'items':>5}")
    for size in args.sizes:
        rng = random.Random(size)
        app = create_app(Settings(api_keys={KEY: "Benchmark"}, fixtures=False, rate_limit_per_second=1_000_000))
        began = time.perf_counter()
        ids, emails = populate(app, size, rng)
        load_seconds = time.perf_counter() - began
        middle = ids[len(ids) // 2]
        queries = {
            "first page (limit 10)": {"limit": 10},
            "page after a cursor in the middle": {"limit": 10, "after": middle},
            "page before a cursor, ASC, limit 50": {"limit": 50, "before": middle, "orderDirection": "ASC"},
            "email, whole address (one match)": {"email": emails[size // 3]},
            "subscriberId, exact (one match)": {"subscriberId": f"user-{size // 10:06d}"},
            "phone part + name (narrow)": {"phone": "4150000", "name": "ada"},
            "email part in every address": {"email": "example"},
            "orderBy updatedAt, after a cursor": {"orderBy": "updatedAt", "after": middle},
        }
        with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as client:
            for label, params in queries.items():
                median, p95, count = timed(client, params, args.repeat)
                print(f"{size:>11,}  {label:<44} {median:>9.2f} {p95:>7.2f} {count:>5}")
        print(f"{'':>11}  (loaded {size:,} subscribers in {load_seconds:.1f} s)")


if __name__ == "__main__":
    main()
