"""`novu-mock proxy`: exchanges pass unchanged; where they break the spec, the journal says how."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx
import novu_py
import pytest
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

from contract_tests.runner import ContractOptions, run_contract
from mock_server.proxy import VIOLATION_HEADER, create_proxy
from mock_server.serving import free_port, running_app
from tests import faulty

NO_RETRIES = RetryConfig("backoff", BackoffStrategy(1, 1, 1.0, 1), False)
AUTH = {"Authorization": f"ApiKey {faulty.KEY}"}
# Added by the upstream's HTTP server itself, not by its app: the tap below cannot see them.
SERVER_HEADERS = {"date", "server"}


@dataclass
class Tap:
    """Remembers each answer exactly as the upstream app sent it."""

    app: object
    answers: list[tuple[int, list[tuple[str, str]], bytes]] = field(default_factory=list)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer: dict = {"body": b""}

        async def watch(message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = [(k.decode().lower(), v.decode()) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
                if not message.get("more_body"):
                    self.answers.append((answer["status"], answer["headers"], answer["body"]))
            await send(message)

        await self.app(scope, receive, watch)


@pytest.fixture
def through_proxy():
    """(tap on the upstream, the proxy app, the proxy URL) for an upstream app."""

    def start(upstream_app, **options):
        tap = Tap(upstream_app)
        stack = running_app(tap)
        upstream = stack.__enter__()
        proxy = create_proxy(upstream, **options)
        proxy_stack = running_app(proxy, server_header=False, date_header=False)
        started.append((stack, proxy_stack))
        return tap, proxy, proxy_stack.__enter__()

    started: list = []
    yield start
    for stack, proxy_stack in started:
        proxy_stack.__exit__(None, None, None)
        stack.__exit__(None, None, None)


def test_a_novu_py_session_passes_unchanged_and_clean(through_proxy) -> None:
    tap, proxy, url = through_proxy(faulty.mock_app())
    received: list[tuple[int, list[tuple[str, str]], bytes]] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        headers = [(k.decode().lower(), v.decode()) for k, v in response.headers.raw]
        received.append((response.status_code, headers, response.content))

    # novu-py leaves a client it was given open: the test closes its own.
    with (
        httpx.Client(event_hooks={"response": [keep]}) as http,
        Novu(secret_key=faulty.KEY, server_url=url, retry_config=NO_RETRIES, client=http) as novu,
    ):
        created = novu.integrations.create(
            create_integration_request_dto={
                "provider_id": "mailgun", "channel": novu_py.CreateIntegrationRequestDtoChannel.EMAIL,
                "identifier": "proxy-mail", "name": "Proxy mail", "active": True,
                "credentials": {"api_key": "key-123", "domain": "mg.example.com"},
            }
        ).result  # fmt: skip
        assert created.identifier == "proxy-mail"
        novu.integrations.list()
        novu.integrations.update(integration_id=created.id, update_integration_request_dto={"name": "Renamed"})
        # Novu's set-primary answers 201; novu-py (made from a document that says 200) calls it unexpected.
        with pytest.raises(novu_py.models.APIError):
            novu.integrations.set_as_primary(integration_id=created.id)
        novu.integrations.list_active()
        slack = novu.integrations.create(
            create_integration_request_dto={
                "provider_id": "slack", "channel": novu_py.CreateIntegrationRequestDtoChannel.CHAT,
                "identifier": "proxy-slack", "credentials": {"client_id": "999.111"},
            }
        ).result  # fmt: skip
        with pytest.warns(DeprecationWarning):  # novu-py marks this endpoint deprecated
            novu.integrations.generate_chat_o_auth_url(
                generate_chat_oauth_url_request_dto={"integration_identifier": "proxy-slack", "context": {"tenant": "proxy"}}
            )
        novu.integrations.delete(integration_id=slack.id)
        novu.integrations.delete(integration_id=created.id)
        with pytest.raises(novu_py.models.NovuError):
            novu.integrations.update(integration_id="0" * 24, update_integration_request_dto={"name": "x"})
        # (A schema-invalid request is journalled, rightly: see the request-violation test below.)

    assert len(received) == len(tap.answers) == 10
    for (status, headers, body), (up_status, up_headers, up_body) in zip(received, tap.answers, strict=True):
        assert (status, body) == (up_status, up_body)
        assert [h for h in headers if h[0] not in SERVER_HEADERS] == up_headers
    assert proxy.state.journal.entries == []


FAULTS = [
    (faulty.drops_required_field, "/v1/integrations", "response body data/0: '_id' is a required property"),
    (faulty.mistypes_field, "/v1/integrations", "response body data/0/active: 'yes' is not of type 'boolean'"),
    (faulty.wrong_status, "/v1/integrations/active", "status 202 is not documented"),
]


@pytest.mark.parametrize(("make_app", "path", "message"), FAULTS, ids=[fault[0].__name__ for fault in FAULTS])
def test_a_wrong_upstream_is_journalled_and_passed_through(through_proxy, tmp_path, make_app, path, message) -> None:
    journal = tmp_path / "journal.jsonl"
    tap, proxy, url = through_proxy(make_app(), journal_path=journal, violation_header=True)
    answer = httpx.get(url + path, headers=AUTH)
    status, _, body = tap.answers[-1]
    assert (answer.status_code, answer.content) == (status, body)  # still unchanged
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert any(line["message"].startswith(message) for line in lines), lines
    assert all(line["location"] == "response" and line["path"] == path for line in lines)
    assert answer.headers[VIOLATION_HEADER].startswith(f"{len(lines)}; response: ")


def test_request_violations_and_ignored_auth_are_journalled(through_proxy) -> None:
    _, proxy, url = through_proxy(faulty.ignores_auth(), violation_header=True)
    httpx.get(url + "/v1/integrations")  # no key, and the upstream answers anyway
    httpx.post(url + "/v1/integrations", headers=AUTH, json={"providerId": "sendgrid", "channel": "pigeon"})
    httpx.get(url + "/v1/not-in-the-spec", headers=AUTH)
    clean = httpx.get(url + "/v1/integrations/active", headers=AUTH)
    messages = [(entry.location, entry.path, entry.message) for entry in proxy.state.journal.entries]
    assert ("request", "/v1/integrations", "no credentials for the required security scheme (ApiKey)") in messages
    assert ("response", "/v1/integrations", "answered 200 to a request without credentials") in messages
    assert any(location == "request" and "channel: 'pigeon' is not one of" in text for location, _, text in messages)
    assert ("request", "/v1/not-in-the-spec", "/v1/not-in-the-spec is not a path of the spec") in messages
    # A valid exchange gets no header and no journal line.
    assert VIOLATION_HEADER not in clean.headers
    assert not [m for m in messages if m[1] == "/v1/integrations/active"]


def test_the_contract_suite_passes_through_the_proxy(through_proxy) -> None:
    # Schemathesis, with every check, cannot tell the proxy from the server behind it.
    _, proxy, url = through_proxy(faulty.mock_app())
    result = run_contract(ContractOptions(url, faulty.KEY, include_tags=("Integrations",), max_examples=5, seed=7))
    assert result.passed, result.reason
    entries = proxy.state.journal.entries
    # Its invalid requests are journalled as such; no answer of the mock breaks the spec.
    assert [entry for entry in entries if entry.location != "request"] == []
    assert any(entry.location == "request" for entry in entries)


def test_proxy_command_serves(tmp_path) -> None:
    with running_app(faulty.mock_app()) as upstream:
        port = free_port()
        journal = tmp_path / "journal.jsonl"
        command = [sys.executable, "-m", "mock_server", "proxy", "--upstream", upstream, "--port", str(port),
                   "--journal", str(journal), "--violation-header"]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/v1/integrations", headers=AUTH)
                    break
                except httpx.ConnectError:
                    assert time.monotonic() < deadline and process.poll() is None, process.stdout.read()
                    time.sleep(0.1)
            assert answer.status_code == 200 and VIOLATION_HEADER not in answer.headers
            httpx.get(f"http://127.0.0.1:{port}/v1/integrations")
            assert "no credentials" in journal.read_text()
        finally:
            process.terminate()
            process.communicate(timeout=10)  # also closes the output pipe


def test_escaped_control_characters_are_forwarded_not_crashed_on(through_proxy) -> None:
    # Schemathesis sends ids like "a%01b": the proxy must forward the target as it came, escapes intact.
    tap, proxy, url = through_proxy(faulty.mock_app())
    answer = httpx.post(url + "/v1/integrations/a%01b%20c/auto-configure?x=%1B", headers=AUTH)
    status, _, body = tap.answers[-1]
    assert (answer.status_code, answer.content) == (status, body) and status == 404
    assert not [entry for entry in proxy.state.journal.entries if entry.location == "upstream"]
