"""Token buckets per API key and category, and the RateLimit-* headers they produce."""

from __future__ import annotations

import math
import re
import threading
import time
import typing as t
from dataclasses import dataclass

BULK_COST = 100


def category_of(path: str) -> str:
    """Novu's three buckets: trigger (events), configuration (subscribers, topics), global."""
    if path.startswith("/v1/events"):
        return "trigger"
    if path.startswith(("/v1/subscribers", "/v2/subscribers", "/v1/topics", "/v2/topics")):
        return "configuration"
    return "global"


# The spec's mark of an operation Novu charges as bulk (its @ThrottlerCost(BULK) decorator).
COST_EXTENSION = "x-rate-limit-cost"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _route(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "/?$")


def _literal_segments(path: str) -> int:
    return sum(1 for part in path.strip("/").split("/") if not part.startswith("{"))


class OperationCosts:
    """Which requests are bulk: those routed to an operation the spec marks ``x-rate-limit-cost:
    bulk``. By operation, never by the look of a path (a subscriber may well be called "bulk")."""

    def __init__(self, document: dict[str, t.Any] | None = None) -> None:
        # method -> [(route of a bulk operation, routes of the same method that take its URLs first)]
        self._bulk: dict[str, list[tuple[re.Pattern[str], list[re.Pattern[str]]]]] = {}
        paths = (document or {}).get("paths", {})
        for path, item in paths.items():
            for method, operation in item.items():
                if method not in _METHODS or operation.get(COST_EXTENSION) != "bulk":
                    continue
                # a route with more literal segments wins over a template (``/{id}`` vs ``/bulk``)
                rivals = [
                    _route(other)
                    for other, other_item in paths.items()
                    if other != path and method in other_item and _literal_segments(other) > _literal_segments(path)
                ]
                self._bulk.setdefault(method.upper(), []).append((_route(path), rivals))

    def is_bulk(self, method: str, path: str) -> bool:
        for route, rivals in self._bulk.get(method, ()):
            if route.match(path) and not any(rival.match(path) for rival in rivals):
                return True
        return False


@dataclass(slots=True)
class Decision:
    allowed: bool
    limit: int
    burst: int
    remaining: int
    reset_seconds: int
    retry_after: int
    category: str
    cost: int
    bulk: bool = False

    def headers(self) -> dict[str, str]:
        cost = "bulk" if self.bulk else "single"
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f'{self.limit};w=1;burst={self.burst};comment="token bucket";'
            f'category="{self.category}";cost="{cost}"',
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class _Bucket:
    __slots__ = ("tokens", "stamp")

    def __init__(self, capacity: float, stamp: float) -> None:
        self.tokens = capacity
        self.stamp = stamp


class RateLimiter:
    """``rate`` tokens per second per (key, category), holding at most ``burst`` (110 % of rate)."""

    def __init__(self, rate: int, *, costs: OperationCosts | None = None, clock=time.monotonic) -> None:
        self.rate = rate
        self.costs = costs or OperationCosts()
        self.burst = rate + (rate + 9) // 10  # 110 %, rounded up, in integers
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()
        # per-key rates set at run time (``/_mock/config``); other keys use ``rate``
        self._rates: dict[str, int] = {}

    @staticmethod
    def burst_of(rate: int) -> int:
        return rate + (rate + 9) // 10  # 110 %, rounded up, in integers

    def rate_for(self, key: str) -> int:
        return self._rates.get(key, self.rate)

    def set_rate(self, key: str, rate: int | None) -> None:
        """Change the rate of ``key``'s buckets now (None: back to the server's rate).

        The buckets keep their tokens, capped at the new burst, so a lower limit bites at once."""
        with self._lock:
            if rate is None or rate == self.rate:
                self._rates.pop(key, None)
            else:
                self._rates[key] = rate
            burst = self.burst_of(self.rate_for(key))
            for (bucket_key, _), bucket in self._buckets.items():
                if bucket_key == key:
                    bucket.tokens = min(bucket.tokens, burst)

    def take(self, key: str, path: str, method: str = "GET") -> Decision:
        """One request's tokens: 1, or ``BULK_COST`` for a bulk operation, but never more than the
        bucket holds: Novu's smallest bucket (20/s over its 5 s window, +10 %) holds 110 tokens,
        so a bulk request always fits there; a lower ``--rate-limit`` must not make it refused
        for ever, whatever Retry-After it was given."""
        category, bulk = category_of(path), self.costs.is_bulk(method, path)
        with self._lock:
            rate = self._rates.get(key, self.rate)
            burst = self.burst if rate == self.rate else self.burst_of(rate)
            cost = min(BULK_COST, burst) if bulk else 1
            now = self._clock()
            bucket = self._buckets.get((key, category))
            if bucket is None:
                bucket = self._buckets[(key, category)] = _Bucket(burst, now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            allowed = bucket.tokens >= cost
            if allowed:
                bucket.tokens -= cost
            missing = 0.0 if allowed else cost - bucket.tokens
            tokens = bucket.tokens
        return Decision(
            allowed=allowed,
            limit=rate,
            burst=burst,
            remaining=int(tokens),
            reset_seconds=math.ceil((burst - tokens) / rate),
            retry_after=max(1, math.ceil(missing / rate)),
            category=category,
            cost=cost,
            bulk=bulk,
        )
