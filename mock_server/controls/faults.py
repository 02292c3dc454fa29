"""Faults for the whole server: latency, an error rate, and the rate limit, per environment.

The server starts every environment with the command line's faults (``--latency 50-300``,
``--error-rate 0.05``, ``--rate-limit 100/s``); ``/_mock/config`` changes them for the key's
environment while the mock runs. Faults touch the Novu API only, never ``/_mock/`` or the docs.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass, replace
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server import auth
from mock_server.controls.routing import Router, is_api_path
from mock_server.errors import InternalServerError, NovuError, ServiceUnavailable
from mock_server.wire import send_error
from mock_server.ratelimit import RateLimiter

# The statuses an injected failure may take, when the operation documents them.
FAULT_ERRORS: dict[int, type[NovuError]] = {500: InternalServerError, 503: ServiceUnavailable}


@dataclass(frozen=True, slots=True)
class FaultConfig:
    latency_ms: tuple[int, int] = (0, 0)
    error_rate: float = 0.0

    @property
    def active(self) -> bool:
        """Whether requests are delayed or failed at all."""
        return self.latency_ms[1] > 0 or self.error_rate > 0

    def to_dto(self, rate_limit: int) -> dict[str, Any]:
        low, high = self.latency_ms
        return {"latencyMs": {"min": low, "max": high}, "errorRate": self.error_rate, "rateLimit": rate_limit}


def parse_latency(text: str) -> tuple[int, int]:
    """``"50-300"`` -> (50, 300); ``"100"`` -> (100, 100)."""
    low, _, high = text.partition("-")
    try:
        values = int(low), int(high or low)
    except ValueError:
        raise ValueError(f"latency must be MS or MIN-MAX in milliseconds, like 50-300, not {text!r}") from None
    if min(values) < 0:
        raise ValueError(f"latency must not be negative: {text!r}")
    return min(values), max(values)


class Faults:
    def __init__(self, default: FaultConfig, limiter: RateLimiter, *, rng: random.Random | None = None) -> None:
        self.default = default
        self.limiter = limiter
        self._by_environment: dict[str, FaultConfig] = {}
        self._lock = threading.Lock()
        self._rng = rng or random.Random()

    def config_for(self, environment_id: str | None) -> FaultConfig:
        return self._by_environment.get(environment_id, self.default) if environment_id else self.default

    def describe(self, environment_id: str) -> dict[str, Any]:
        return self.config_for(environment_id).to_dto(self.limiter.rate_for(environment_id))

    def update(self, environment_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            config = self.config_for(environment_id)
            if "latencyMs" in changes:
                low, high = changes["latencyMs"]["min"], changes["latencyMs"]["max"]
                config = replace(config, latency_ms=(min(low, high), max(low, high)))
            if "errorRate" in changes:
                config = replace(config, error_rate=float(changes["errorRate"]))
            self._by_environment[environment_id] = config
            if "rateLimit" in changes:
                self.limiter.set_rate(environment_id, changes["rateLimit"])
        return self.describe(environment_id)

    def reset(self, environment_id: str) -> dict[str, Any]:
        with self._lock:
            self._by_environment.pop(environment_id, None)
            self.limiter.set_rate(environment_id, None)
        return self.describe(environment_id)

    def delay_seconds(self, config: FaultConfig) -> float:
        low, high = config.latency_ms
        return self._rng.uniform(low, high) / 1000 if high else 0.0

    def failure(self, config: FaultConfig, documented: tuple[int, ...]) -> NovuError | None:
        if config.error_rate <= 0 or self._rng.random() >= config.error_rate:
            return None
        statuses = [status for status in FAULT_ERRORS if status in documented] or [500]
        status = self._rng.choice(statuses)
        if status == 503:
            return ServiceUnavailable("Service Unavailable (a fault injected by novu-mock --error-rate)")
        return InternalServerError()


class FaultsMiddleware:
    """Delays and fails Novu API requests as configured. Sits inside ``WireMiddleware``, so fault
    answers carry the RateLimit-* headers like any other answer."""

    def __init__(self, app: ASGIApp, *, faults: Faults, router: Router, backends) -> None:
        self.app = app
        self.faults = faults
        self.router = router
        self.backends = backends

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        environment = auth.environment_of(scope, self.backends)
        config = self.faults.config_for(environment.id if environment else None)
        delay = self.faults.delay_seconds(config)
        if delay:
            await asyncio.sleep(delay)
        facts = self.router.match_scope(scope)
        documented = self.router.documented_statuses(facts) if facts else (500, 503)
        error = self.faults.failure(config, documented)
        if error is None:
            await self.app(scope, receive, send)
            return
        await send_error(error, scope, send)
