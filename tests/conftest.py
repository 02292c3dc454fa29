"""Fixtures for the mock's own tests: an app built by the factory and an in-process client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings

KEY = "test-key-development"
OTHER_KEY = "test-key-production"


@pytest.fixture
def settings() -> Settings:
    return Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=7)


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as http:
        yield http


@pytest.fixture
def other_client(app) -> Iterator[TestClient]:
    with TestClient(app, headers={"Authorization": f"ApiKey {OTHER_KEY}"}) as http:
        yield http
