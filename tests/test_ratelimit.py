"""Token buckets and their RateLimit-* headers."""

from __future__ import annotations

from mock_server.ratelimit import OperationCosts, RateLimiter, category_of
from mock_server.settings import default_spec_path
from mock_server.spec import load_spec
from tests.fakes import Clock


def test_categories_and_costs() -> None:
    assert category_of("/v1/events/trigger") == "trigger"
    assert category_of("/v2/subscribers/abc") == "configuration"
    assert category_of("/v1/integrations") == "global"


def test_bucket_drains_refuses_and_refills() -> None:
    clock = Clock(100.0)
    limiter = RateLimiter(10, clock=clock)  # burst 11
    decisions = [limiter.take("key", "/v1/integrations") for _ in range(11)]
    assert all(d.allowed for d in decisions)
    assert [d.remaining for d in decisions][:3] == [10, 9, 8]
    refused = limiter.take("key", "/v1/integrations")
    assert not refused.allowed
    assert refused.headers()["Retry-After"] == "1"
    assert refused.headers()["RateLimit-Policy"] == '10;w=1;burst=11;comment="token bucket";category="global";cost="single"'
    clock.now += 0.5
    assert limiter.take("key", "/v1/integrations").allowed, "5 tokens came back in half a second"


def test_buckets_are_per_key_and_category() -> None:
    limiter = RateLimiter(1, clock=Clock())  # burst 2
    for _ in range(2):
        assert limiter.take("a", "/v1/integrations").allowed
    assert not limiter.take("a", "/v1/integrations").allowed
    assert limiter.take("b", "/v1/integrations").allowed
    assert limiter.take("a", "/v1/events/trigger").allowed


def test_bulk_costs_one_hundred() -> None:
    limiter = RateLimiter(100, costs=OperationCosts(load_spec(default_spec_path()).document), clock=Clock())  # burst 110
    first = limiter.take("a", "/v1/subscribers/bulk", "POST")
    assert first.allowed and first.remaining == 10
    assert first.headers()["RateLimit-Policy"].endswith('cost="bulk"')
    second = limiter.take("a", "/v1/subscribers/bulk", "POST")
    assert not second.allowed and second.headers()["Retry-After"] == "1"
