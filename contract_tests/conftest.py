"""Where the contract suite points: any base URL and key, or (by default) a mock it starts itself.

    pytest contract_tests --target-url https://staging.example --api-key SECRET [--other-api-key SECRET2]

or the environment variables NOVU_TARGET_URL, NOVU_API_KEY and NOVU_OTHER_API_KEY.
Without a target URL the suite starts novu-mock on a free port with two fresh environments.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

MOCK_KEY = "contract-suite-key"
MOCK_OTHER_KEY = "contract-suite-other-key"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("novu contract")
    group.addoption("--target-url", default=os.environ.get("NOVU_TARGET_URL"), help="base URL of the server under test")
    group.addoption("--api-key", default=os.environ.get("NOVU_API_KEY"), help="secret key of an environment there")
    group.addoption(
        "--application-identifier",
        default=os.environ.get("NOVU_APPLICATION_IDENTIFIER"),
        help="the applicationIdentifier of the --api-key environment (for the Inbox API suite); "
        "read from GET /v1/environments/me when not given",
    )
    group.addoption(
        "--other-api-key",
        default=os.environ.get("NOVU_OTHER_API_KEY"),
        help="secret key of a second environment (for isolation tests)",
    )


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    api_key: str
    other_api_key: str | None
    is_local_mock: bool

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"ApiKey {key or self.api_key}"}


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Iterator[Target]:
    url = pytestconfig.getoption("--target-url")
    if url:
        key = pytestconfig.getoption("--api-key")
        if not key:
            pytest.exit("--target-url needs --api-key (or NOVU_API_KEY)", returncode=4)
        yield Target(url.rstrip("/"), key, pytestconfig.getoption("--other-api-key"), is_local_mock=False)
        return
    from mock_server.serving import running
    from mock_server.settings import Settings

    settings = Settings(port=0, api_keys={MOCK_KEY: "Development", MOCK_OTHER_KEY: "Production"})
    with running(settings) as base_url:
        yield Target(base_url, MOCK_KEY, MOCK_OTHER_KEY, is_local_mock=True)


@pytest.fixture
def client(target: Target) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=target.url, headers=target.headers(), timeout=30) as http:
        yield http


@pytest.fixture
def other_client(target: Target) -> Iterator[httpx.Client]:
    if not target.other_api_key:
        pytest.skip("needs --other-api-key: a second environment to check isolation against")
    with httpx.Client(base_url=target.url, headers=target.headers(target.other_api_key), timeout=30) as http:
        yield http


class Created:
    """Records a test creates through the API at ``path``, remembered by ``key`` of their data."""

    def __init__(self, client: httpx.Client, path: str, key: str) -> None:
        self.client, self.path, self.key = client, path, key
        self.made: list[str] = []

    def create(self, body: dict) -> dict:
        response = self.client.post(self.path, json=body)
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        self.made.append(data[self.key])
        return data

    def delete_all(self) -> None:
        for made in self.made:
            self.client.delete(f"{self.path}/{made}")


@pytest.fixture
def created_at(client: httpx.Client) -> Iterator:
    """``created_at(path, key)``: a ``Created`` whose records are deleted when the test ends."""
    kinds: list[Created] = []

    def make(path: str, key: str) -> Created:
        kinds.append(Created(client, path, key))
        return kinds[-1]

    yield make
    for kind in reversed(kinds):
        kind.delete_all()


# Labels what the subscriber suites create (a real Novu keeps what a failed clean-up leaves).
SUBSCRIBER_PREFIX = "contract-sub-"


@pytest.fixture
def subscribers(created_at):
    """Creates subscribers for a test and deletes them afterwards."""
    made = created_at("/v2/subscribers", "subscriberId")

    def create(subscriber_id: str | None = None, **profile):
        return made.create({"subscriberId": subscriber_id or f"{SUBSCRIBER_PREFIX}{uuid.uuid4().hex[:12]}", **profile})

    return create


def domain_name(label: str = "") -> str:
    """A domain name of the domain suites: under `.invalid`, which never resolves, so a real
    Novu's DNS and the mock's simulated DNS agree."""
    return f"contract-{label}{uuid.uuid4().hex[:10]}.invalid"


@pytest.fixture
def domains(created_at):
    """``domains(name=None, **body)`` creates a domain and answers it; all are deleted after."""
    made = created_at("/v1/domains", "name")

    def create(name: str | None = None, **body) -> dict:
        return made.create({"name": name or domain_name(), **body})

    return create


@pytest.fixture
def integration(created_at):
    """Creates an active integration of a provider for a test and deletes it afterwards."""
    integrations = created_at("/v1/integrations", "_id")

    def create(provider_id: str, channel: str, **extra):
        body = {"providerId": provider_id, "channel": channel, "active": True, "identifier": f"{SUBSCRIBER_PREFIX}{provider_id}-{uuid.uuid4().hex[:6]}", **extra}
        return integrations.create(body)

    return create
