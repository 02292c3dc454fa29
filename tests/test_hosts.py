"""Host allow-list (DNS rebinding) and Express's tolerance of one trailing slash."""

from __future__ import annotations

import httpx
import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.hosts import allowed_hosts
from mock_server.serving import free_port, running
from mock_server.settings import Settings
from tests.conftest import KEY

HEADERS = {"Authorization": f"ApiKey {KEY}"}


@pytest.fixture(scope="module", params=[True, False], ids=["compiled", "connexion"])
def server(request):
    settings = Settings(api_keys={KEY: "Development"}, port=free_port(), fast_path=request.param,
                        allowed_hosts=("novu-mock",))  # fmt: skip
    with running(settings) as base:
        yield base, settings.port


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:4010", "127.0.0.1.nip.io", "testserver"])
@pytest.mark.parametrize("path", ["/v1/integrations", "/_mock/state", "/openapi.json"])
def test_a_request_naming_another_host_is_refused_with_an_error_dto(server, host, path) -> None:
    base, _ = server
    answer = httpx.get(base + path, headers={**HEADERS, "Host": host})
    assert answer.status_code == 400
    body = answer.json()
    assert body["statusCode"] == 400 and body["path"] == path and "--allowed-host" in body["message"]
    assert set(body) == {"statusCode", "timestamp", "path", "message"}


def test_a_rebound_name_cannot_reset_the_state(server) -> None:
    base, port = server
    before = httpx.get(f"{base}/v1/integrations", headers=HEADERS).json()
    refused = httpx.post(
        f"{base}/_mock/reset", params={"empty": "true"}, headers={**HEADERS, "Host": f"attacker.example:{port}"}
    )
    assert refused.status_code == 400
    assert httpx.get(f"{base}/v1/integrations", headers=HEADERS).json() == before


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "app.localhost", "novu-mock", "LOCALHOST."])
def test_the_machine_itself_and_added_hosts_are_answered_on_any_port(server, host) -> None:
    base, port = server
    for named in (host, f"{host}:{port}", f"{host}:1"):
        assert httpx.get(f"{base}/v1/health-check", headers={"Host": named}).status_code == 200, named


def test_bound_to_every_address_the_machines_names_are_allowed_too() -> None:
    import socket

    everywhere = allowed_hosts("0.0.0.0")
    assert {"localhost", "127.0.0.1", "[::1]", socket.gethostname().lower()} <= everywhere
    assert "attacker.example" not in everywhere
    assert allowed_hosts("192.168.1.20") == {"localhost", "127.0.0.1", "[::1]", "192.168.1.20"}
    assert "[fe80::1]" in allowed_hosts("fe80::1")


def test_star_allows_any_host() -> None:
    with TestClient(create_app(Settings(api_keys={KEY: "Development"}, fixtures=False, allowed_hosts=("*",)))) as http:
        assert http.get("/v1/health-check", headers={"Host": "anything.example"}).status_code == 200


def test_the_in_process_test_client_is_let_through_but_not_another_name() -> None:
    with TestClient(create_app(Settings(api_keys={KEY: "Development"}, fixtures=False)), headers=HEADERS) as http:
        assert http.get("/v1/integrations").status_code == 200  # Host: testserver, client: testclient
        assert http.get("/v1/integrations", headers={"Host": "attacker.example"}).status_code == 400


@pytest.mark.parametrize("path", ["/v1/integrations", "/v2/subscribers", "/v1/integrations/active"])
def test_one_trailing_slash_routes_as_without_it_with_no_redirect(server, path) -> None:
    base, _ = server
    plain = httpx.get(base + path, headers=HEADERS)
    slashed = httpx.get(base + path + "/", headers={**HEADERS, "Host": "localhost"}, follow_redirects=False)
    assert plain.status_code == slashed.status_code == 200
    assert "location" not in slashed.headers
    assert slashed.json() == plain.json()


def test_a_trailing_slash_on_a_write_is_routed_too(server) -> None:
    base, _ = server
    created = httpx.post(f"{base}/v2/subscribers/", json={"subscriberId": "with-a-slash"}, headers=HEADERS)
    assert created.status_code == 201
    assert (
        httpx.get(f"{base}/v2/subscribers/with-a-slash/", headers=HEADERS).json()["data"]["subscriberId"]
        == "with-a-slash"
    )
