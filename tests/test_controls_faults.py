"""Faults for the whole server: latency, error rate, rate limit; from the command line and /_mock/config."""

from __future__ import annotations

import random
import time

import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.cli import build_parser, settings_from
from mock_server.controls.faults import FaultConfig, Faults, parse_latency
from mock_server.ratelimit import RateLimiter
from mock_server.settings import Settings
from tests.conftest import KEY, OTHER_KEY


def _client(app, key=KEY) -> TestClient:
    return TestClient(app, headers={"Authorization": f"ApiKey {key}"})


def test_command_line_faults_are_parsed() -> None:
    args = build_parser().parse_args(["serve", "--latency", "50-300", "--error-rate", "0.05", "--rate-limit", "20/s"])
    settings = settings_from(args)
    assert settings.latency_ms == (50, 300)
    assert settings.error_rate == 0.05
    assert settings.rate_limit_per_second == 20
    assert settings_from(build_parser().parse_args(["serve", "--rate-limit", "7"])).rate_limit_per_second == 7
    assert parse_latency("120") == (120, 120)
    for bad in (["--latency", "fast"], ["--error-rate", "1.5"], ["--rate-limit", "0/s"], ["--rate-limit", "ten"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["serve", *bad])


def test_error_rate_one_fails_every_novu_request_but_not_the_control_surface() -> None:
    app = create_app(Settings(api_keys={KEY: "Development"}, error_rate=1.0))
    with _client(app) as http:
        responses = [http.get("/v1/integrations") for _ in range(30)]
        assert {r.status_code for r in responses} == {500, 503}, "both injected statuses occur"
        for response in responses:
            body = response.json()
            assert body["statusCode"] == response.status_code and body["path"] == "/v1/integrations"
            assert "RateLimit-Remaining" in response.headers
            if response.status_code == 500:
                assert body["errorId"]
        # the health check documents 503 but not 500: only documented statuses are injected
        assert {http.get("/v1/health-check").status_code for _ in range(20)} == {503}
        assert http.get("/_mock/state").status_code == 200
        assert http.patch("/_mock/config", json={"errorRate": 0}).status_code == 200
        assert http.get("/v1/integrations").status_code == 200


def test_error_rate_is_a_share_of_requests() -> None:
    faults = Faults(FaultConfig(error_rate=0.05), RateLimiter(10), rng=random.Random(1))
    failures = sum(faults.failure(faults.default, [200, 500, 503]) is not None for _ in range(10_000))
    assert 400 <= failures <= 600  # 5 % of 10,000, give or take sampling noise
    assert Faults(FaultConfig(), RateLimiter(10)).failure(FaultConfig(), [500]) is None


def test_latency_delays_novu_answers_within_the_range() -> None:
    app = create_app(Settings(api_keys={KEY: "Development"}, latency_ms=(150, 250), fixtures=False))
    with _client(app) as http:
        for _ in range(3):
            started = time.perf_counter()
            assert http.get("/v1/integrations").status_code == 200
            assert 0.15 <= time.perf_counter() - started < 1.0
        started = time.perf_counter()
        http.get("/_mock/config")
        assert time.perf_counter() - started < 0.15, "the control surface is not delayed"


def test_config_changes_faults_at_run_time_for_the_keys_environment_only() -> None:
    app = create_app(Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, fixtures=False))
    with _client(app) as mine, _client(app, OTHER_KEY) as theirs:
        assert mine.get("/_mock/config").json() == {"latencyMs": {"min": 0, "max": 0}, "errorRate": 0.0, "rateLimit": 1000}
        changed = mine.patch("/_mock/config", json={"latencyMs": {"min": 200, "max": 200}, "errorRate": 0.5})
        assert changed.json() == {"latencyMs": {"min": 200, "max": 200}, "errorRate": 0.5, "rateLimit": 1000}
        started = time.perf_counter()
        [mine.get("/v1/integrations/active") for _ in range(2)]
        assert time.perf_counter() - started >= 0.4
        assert theirs.get("/_mock/config").json()["errorRate"] == 0.0
        assert all(theirs.get("/v1/integrations").status_code == 200 for _ in range(20))
        assert mine.delete("/_mock/config").json()["errorRate"] == 0.0
        assert all(mine.get("/v1/integrations").status_code == 200 for _ in range(20))


def test_config_is_validated(client) -> None:
    for body in ({"errorRate": 2}, {"latencyMs": {"min": -1, "max": 5}}, {"rateLimit": 0}, {"speed": "fast"}):
        response = client.patch("/_mock/config", json=body)
        assert response.status_code == 422, body
        assert response.json()["statusCode"] == 422
    assert client.get("/_mock/config").json()["errorRate"] == 0.0


def test_rate_limit_set_at_run_time_gives_real_token_bucket_headers(client) -> None:
    assert client.patch("/_mock/config", json={"rateLimit": 3}).json()["rateLimit"] == 3
    responses = [client.get("/v1/integrations/active") for _ in range(6)]
    statuses = [r.status_code for r in responses]
    assert statuses[:4] == [200] * 4 and statuses[4] == 429  # burst of 4 (3 + 10 %, rounded up)
    assert responses[0].headers["RateLimit-Limit"] == "3"
    assert responses[0].headers["RateLimit-Policy"].startswith("3;w=1;burst=4;")
    assert [r.headers["RateLimit-Remaining"] for r in responses[:4]] == ["3", "2", "1", "0"]
    assert int(responses[4].headers["Retry-After"]) >= 1
    time.sleep(0.7)  # two tokens come back
    assert client.get("/v1/integrations/active").status_code == 200
