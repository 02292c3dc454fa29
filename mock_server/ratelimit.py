"""Token buckets per API key and category, and the RateLimit-* headers they produce."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

BULK_COST = 100


def category_of(path: str) -> str:
    """Novu's three buckets: trigger (events), configuration (subscribers, topics), global."""
    if path.startswith("/v1/events"):
        return "trigger"
    if path.startswith(("/v1/subscribers", "/v2/subscribers", "/v1/topics", "/v2/topics")):
        return "configuration"
    return "global"


def cost_of(path: str) -> int:
    return BULK_COST if path.rstrip("/").endswith("/bulk") else 1


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

    def headers(self) -> dict[str, str]:
        cost = "bulk" if self.cost > 1 else "single"
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

    def __init__(self, rate: int, *, clock=time.monotonic) -> None:
        self.rate = rate
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

    def take(self, key: str, path: str) -> Decision:
        category, cost = category_of(path), cost_of(path)
        with self._lock:
            rate = self._rates.get(key, self.rate)
            burst = self.burst if rate == self.rate else self.burst_of(rate)
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
        )
