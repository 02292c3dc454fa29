"""The Inbox's live socket (mock_server/inbox_socket.py) over a real server and real websockets:
the token check, Novu's events and payloads after triggers and changes, and that a socket hears
only its own subscriber of its own environment."""

from __future__ import annotations

import asyncio
from socket import create_connection
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from mock_server import inbox_session
from mock_server.app import create_app
from mock_server.connections import server_config
from mock_server.serving import running_app
from mock_server.settings import Settings
from mock_server.socket_client import InboxSocketClient

KEY = "socket-test-development"
OTHER_KEY = "socket-test-production"
WORKFLOW = "live-note"  # in-app only; its message says the payload's ``message``


class Mock:
    def __init__(self, app: Any, base_url: str, limits: Any) -> None:
        self.app = app
        self.base_url = base_url
        self.limits = limits

    def http(self, key: str = KEY) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, headers={"Authorization": f"ApiKey {key}"}, timeout=10)

    def environment(self, key: str = KEY):
        return self.app.backends.environment_for_key(key)

    def token(self, subscriber_id: str, key: str = KEY, **options: Any) -> str:
        """A session token for the subscriber (created when new), as POST /v1/inbox/session signs it."""
        environment = self.environment(key)
        backend = self.app.backends[environment.id]
        try:
            subscriber = backend.subscribers.get(subscriber_id)
        except Exception:
            subscriber = backend.subscribers.create(subscriber_id=subscriber_id, profile={"firstName": "Live"})[0]
        return inbox_session.issue(environment, subscriber.to_dto(), **options)


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    settings = Settings(port=0, api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=11)
    app = create_app(settings)
    for key in (KEY, OTHER_KEY):
        backend = app.backends[app.backends.environment_for_key(key).id]
        backend.workflows.create(identifier=WORKFLOW, name="Live note", channels=["in_app"])
    config = server_config(settings)
    with running_app(app, **config) as base_url:
        yield Mock(app, base_url, config["http"]._limits)


def run(coroutine):
    return asyncio.run(coroutine)


async def _trigger(http: httpx.AsyncClient, subscriber_id: str, message: str = "hello") -> str:
    body = {"name": WORKFLOW, "to": subscriber_id, "payload": {"message": message}}
    answer = await http.post("/v1/events/trigger", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["transactionId"]


async def _events(socket: InboxSocketClient, count: int, timeout: float = 5.0) -> list[tuple[str, Any]]:
    return [await socket.next_event(timeout) for _ in range(count)]


async def _nothing_more(socket: InboxSocketClient) -> None:
    await asyncio.sleep(0.3)
    assert socket.events.empty(), socket.events.get_nowait()


# -- the token -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [None, "null", "not-a-jwt", "expired", "forged"],
    ids=["missing", "the string null", "malformed", "expired", "signed by another environment"],
)
def test_a_socket_without_a_good_token_is_disconnected_by_the_server_and_hears_nothing(mock: Mock, token) -> None:
    if token == "expired":
        token = mock.token("socket-expired", now=time.time() - inbox_session.LIFETIME_SECONDS - 60)
    elif token == "forged":
        good = mock.token("socket-forged")
        other = mock.token("socket-forged", key=OTHER_KEY)
        # the claims of one environment with the signature of the other
        token = good.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1]

    async def scenario() -> None:
        async with mock.http() as http:
            async with InboxSocketClient(mock.base_url, token) as socket:
                # Novu's gateway accepts the connection, then disconnects it (no reconnection follows)
                await asyncio.wait_for(socket.disconnected.wait(), 5)
                assert socket.disconnect_reason == "io server disconnect"
                await _trigger(http, "socket-expired" if token else "socket-nobody")
                await _nothing_more(socket)

    run(scenario())


def test_a_good_token_is_also_read_from_the_handshake_auth(mock: Mock) -> None:
    token = mock.token("socket-auth")

    async def scenario() -> None:
        socket = InboxSocketClient(mock.base_url, None)
        socket_frames: list[str] = []
        async with websockets.connect(socket.url) as raw:
            assert (await raw.recv()).startswith("0")
            await raw.send('40{"token": "%s"}' % token)
            socket_frames.append(await raw.recv())
            async with mock.http() as http:
                await _trigger(http, "socket-auth")
            socket_frames.append(await asyncio.wait_for(raw.recv(), 5))
        assert socket_frames[0].startswith("40{")
        assert socket_frames[1].startswith('42["notification_received",')

    run(scenario())


# -- events and payloads ---------------------------------------------------------------------


def test_a_trigger_sends_the_message_then_both_counts_as_novu_does(mock: Mock) -> None:
    subscriber_id = "socket-trigger"
    token = mock.token(subscriber_id)

    async def scenario() -> None:
        async with mock.http() as http, InboxSocketClient(mock.base_url, token) as socket:
            transaction_id = await _trigger(http, subscriber_id, "first")
            events = await _events(socket, 3)
            assert [name for name, _ in events] == [
                "notification_received", "unseen_count_changed", "unread_count_changed"
            ]  # fmt: skip

            listed = (await http.get(f"/v2/subscribers/{subscriber_id}/notifications")).json()["data"]
            message = events[0][1]["message"]
            # the stored message, as @novu/js maps it: content, read, seen, cta, channel, ...
            assert message["_id"] == listed[0]["id"]
            assert message["transactionId"] == transaction_id
            assert message["content"] == listed[0]["body"]
            assert message["subject"] == listed[0]["subject"]
            subscribers = mock.app.backends[mock.environment().id].subscribers
            assert message["_subscriberId"] == subscribers.get(subscriber_id).id
            assert message["templateIdentifier"] == WORKFLOW
            state = (message["channel"], message["read"], message["seen"], message["archived"])
            assert state == ("in_app", False, False, False)
            assert message["cta"]["type"] == "redirect"
            assert "first" in message["content"]

            assert events[1][1] == {"unseenCount": 1, "hasMore": False}
            unread = events[2][1]
            assert (unread["unreadCount"], unread["hasMore"], unread["counts"]["total"]) == (1, False, 1)
            assert set(unread["counts"]["severity"]) == {"high", "medium", "low", "none"}
            assert sum(unread["counts"]["severity"].values()) == 1

            await _trigger(http, subscriber_id, "second")
            events = await _events(socket, 3)
            assert "second" in events[0][1]["message"]["content"]
            assert events[1][1]["unseenCount"] == 2
            assert events[2][1]["unreadCount"] == 2
            await _nothing_more(socket)

    run(scenario())


def test_reading_sends_the_unread_count_and_seeing_the_unseen_count(mock: Mock) -> None:
    subscriber_id = "socket-read"
    token = mock.token(subscriber_id)

    async def scenario() -> None:
        async with mock.http() as http, InboxSocketClient(mock.base_url, token) as socket:
            await _trigger(http, subscriber_id, "one")
            await _trigger(http, subscriber_id, "two")
            await _events(socket, 6)
            first, second = (await http.get(f"/v2/subscribers/{subscriber_id}/notifications")).json()["data"]

            # v2 read (Novu's MarkNotificationAs): unread_count_changed only
            answer = await http.patch(f"/v2/subscribers/{subscriber_id}/notifications/{first['id']}/read")
            assert answer.status_code == 200, answer.text
            name, data = await socket.next_event()
            assert name == "unread_count_changed"
            assert (data["unreadCount"], data["counts"]["total"], data["hasMore"]) == (1, 1, False)
            await _nothing_more(socket)

            # v1 mark-as seen (MarkMessageAsByMark): unseen_count_changed only; the read one was seen already
            answer = await http.post(
                f"/v1/subscribers/{subscriber_id}/messages/mark-as", json={"messageId": second["id"], "markAs": "seen"}
            )
            assert answer.status_code == 201, answer.text
            assert await socket.next_event() == ("unseen_count_changed", {"unseenCount": 0, "hasMore": False})
            await _nothing_more(socket)

            # archive, then delete: the read state's event each time
            await http.patch(f"/v2/subscribers/{subscriber_id}/notifications/{second['id']}/archive")
            name, data = await socket.next_event()
            assert (name, data["unreadCount"]) == ("unread_count_changed", 0)
            answer = await http.delete(f"/v2/subscribers/{subscriber_id}/notifications/{first['id']}")
            assert answer.status_code in (200, 204), answer.text
            name, data = await socket.next_event()
            assert (name, data["unreadCount"]) == ("unread_count_changed", 0)
            await _nothing_more(socket)

    run(scenario())


def test_every_socket_of_the_subscriber_hears_and_counts_stop_at_100_with_has_more(mock: Mock) -> None:
    subscriber_id = "socket-many"
    backend = mock.app.backends[mock.environment().id]
    token = mock.token(subscriber_id)
    for number in range(101):
        backend.inbox.trigger(workflow_id=WORKFLOW, recipients=[{"subscriberId": subscriber_id}], payload={"n": number})

    async def scenario() -> None:
        async with mock.http() as http:
            async with InboxSocketClient(mock.base_url, token) as one, InboxSocketClient(mock.base_url, token) as two:
                await _trigger(http, subscriber_id)
                for socket in (one, two):
                    names = [name for name, _ in await _events(socket, 3)]
                    assert names == ["notification_received", "unseen_count_changed", "unread_count_changed"]
                answer = await http.post(f"/v1/subscribers/{subscriber_id}/messages/mark-all", json={"markAs": "seen"})
                assert answer.status_code == 201, answer.text
                for socket in (one, two):
                    assert await socket.next_event() == ("unseen_count_changed", {"unseenCount": 0, "hasMore": False})
                mark_all = f"/v1/subscribers/{subscriber_id}/messages/mark-all"
                answer = await http.post(mark_all, json={"markAs": "unread"})
                assert answer.status_code == 201, answer.text
                name, data = await one.next_event()
                assert name == "unread_count_changed"
                assert (data["unreadCount"], data["hasMore"], data["counts"]["total"]) == (100, True, 101)

    run(scenario())


# -- isolation -------------------------------------------------------------------------------


def test_a_socket_never_hears_another_subscriber_nor_another_environment(mock: Mock) -> None:
    mine = mock.token("socket-alice")
    same_id_elsewhere = mock.token("socket-alice", key=OTHER_KEY)
    someone_else = mock.token("socket-bob")

    async def scenario() -> None:
        async with mock.http() as http, mock.http(OTHER_KEY) as other_http:
            async with (
                InboxSocketClient(mock.base_url, mine) as alice,
                InboxSocketClient(mock.base_url, same_id_elsewhere) as alice_in_production,
                InboxSocketClient(mock.base_url, someone_else) as bob,
            ):
                await _trigger(http, "socket-alice")
                assert [name for name, _ in await _events(alice, 3)][0] == "notification_received"
                # a change for bob after alice's: once bob hears it, alice's trigger has been sent too
                await _trigger(http, "socket-bob")
                await _events(bob, 3)
                await _trigger(other_http, "socket-alice")
                names = [name for name, _ in await _events(alice_in_production, 3)]
                assert names[0] == "notification_received"
                for socket in (alice, alice_in_production, bob):
                    await _nothing_more(socket)

    run(scenario())


def test_a_reset_sends_the_counts_of_every_connected_subscriber_of_that_environment_only(mock: Mock) -> None:
    token = mock.token("socket-reset", key=OTHER_KEY)
    untouched = mock.token("socket-reset")

    async def scenario() -> None:
        async with mock.http(OTHER_KEY) as http:
            async with (
                InboxSocketClient(mock.base_url, token) as socket,
                InboxSocketClient(mock.base_url, untouched) as other,
            ):
                await _trigger(http, "socket-reset")
                await _events(socket, 3)
                answer = await http.post("/_mock/reset", params={"empty": "true"})
                assert answer.status_code == 200, answer.text
                events = dict(await _events(socket, 2))
                assert events == {
                    "unseen_count_changed": {"unseenCount": 0, "hasMore": False},
                    "unread_count_changed": {
                        "unreadCount": 0, "hasMore": False,
                        "counts": {"total": 0, "severity": {"high": 0, "medium": 0, "low": 0, "none": 0}},
                    },
                }  # fmt: skip
                await _nothing_more(other)

    run(scenario())


# -- the transport ---------------------------------------------------------------------------


def test_a_websocket_naming_a_foreign_host_or_origin_is_refused(mock: Mock) -> None:
    token = mock.token("socket-origin")

    async def scenario() -> None:
        url = InboxSocketClient(mock.base_url, token).url
        host, port = mock.base_url.removeprefix("http://").rsplit(":", 1)
        # a page reaching the mock through a name it controls (DNS rebinding) sends that name as Host
        tcp = create_connection((host, int(port)))
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url.replace(host, "attacker.example"), sock=tcp)
        tcp.close()
        assert refused.value.response.status_code == 403
        with pytest.raises(websockets.InvalidStatus):
            await websockets.connect(url, origin="https://attacker.example")
        async with websockets.connect(url, origin="http://localhost:5173") as allowed:
            assert (await allowed.recv()).startswith("0")

    run(scenario())


def test_closed_sockets_give_their_connection_back(mock: Mock) -> None:
    token = mock.token("socket-count")

    async def scenario() -> None:
        before = mock.limits.open
        sockets = [InboxSocketClient(mock.base_url, token) for _ in range(20)]
        try:
            for socket in sockets:
                await socket.connect()
            assert mock.limits.open >= 20
            assert mock.app.sockets.connected >= 20
        finally:
            for socket in sockets:
                await socket.close()
        deadline = time.monotonic() + 5
        while (mock.limits.open > before or mock.app.sockets.connected) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert mock.limits.open <= before
        assert mock.app.sockets.connected == 0

    run(scenario())


def test_the_rest_api_is_unchanged_with_sockets_open(mock: Mock) -> None:
    token = mock.token("socket-rest")

    async def scenario() -> None:
        async with InboxSocketClient(mock.base_url, token), mock.http() as http:
            answer = await http.get("/v1/integrations")
            assert answer.status_code == 200
            assert isinstance(answer.json()["data"], list)
            paths = [entry["path"] for entry in (await http.get("/_mock/requests")).json()["requests"]]
            assert "/v1/integrations" in paths
            assert not [path for path in paths if "socket.io" in path]  # the journal never sees the socket

    run(scenario())


def test_a_socket_marks_its_subscriber_online_and_its_close_offline(mock: Mock) -> None:
    subscriber_id = "socket-online"
    token = mock.token(subscriber_id)

    async def subscriber(http: httpx.AsyncClient, online: bool) -> dict:
        deadline = time.monotonic() + 5
        while True:
            data = (await http.get(f"/v2/subscribers/{subscriber_id}")).json()["data"]
            if data["isOnline"] is online or time.monotonic() > deadline:
                return data
            await asyncio.sleep(0.05)

    async def scenario() -> None:
        async with mock.http() as http:
            assert (await http.get(f"/v2/subscribers/{subscriber_id}")).json()["data"]["isOnline"] is None
            async with InboxSocketClient(mock.base_url, token):
                online = await subscriber(http, True)
                assert online["isOnline"] is True and online["lastOnlineAt"] is None
            offline = await subscriber(http, False)
            assert offline["isOnline"] is False and offline["lastOnlineAt"]

    run(scenario())


def test_novu_mock_serve_answers_on_the_socket_with_a_session_from_the_inbox_api() -> None:
    """The command users run: the socket is on its port, a token from POST /v1/inbox/session opens it."""
    import subprocess
    import sys

    from mock_server.serving import free_port
    from mock_server.store import Backends

    port, key = free_port(), "socket-cli-key"
    base_url = f"http://127.0.0.1:{port}"
    identifier = Backends({key: "cli"}).environment_for_key(key).identifier
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--api-key", key, "--seed", "3"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    async def scenario() -> None:
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"ApiKey {key}"}) as http:
            deadline = time.monotonic() + 20
            while True:
                try:
                    await http.get("/v1/health-check")
                    break
                except httpx.TransportError:
                    assert process.poll() is None and time.monotonic() < deadline, "server did not start"
                    await asyncio.sleep(0.1)
            session = await http.post(
                "/v1/inbox/session", json={"applicationIdentifier": identifier, "subscriber": "cli-ada"}
            )
            assert session.status_code == 201, session.text
            async with InboxSocketClient(base_url, session.json()["data"]["token"]) as socket:
                assert socket.connected
                body = {"name": "welcome-onboarding", "to": "cli-ada", "payload": {}}
                assert (await http.post("/v1/events/trigger", json=body)).status_code == 201
                names = [name for name, _ in await _events(socket, 3)]
                assert names == ["notification_received", "unseen_count_changed", "unread_count_changed"]

    try:
        run(scenario())
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"apiUrl and socketUrl {base_url}" in output


# -- the store's hook ------------------------------------------------------------------------


def test_the_inbox_tells_its_listeners_what_changed_as_novu_queues_its_socket_events() -> None:
    from mock_server.store import Backends
    from mock_server.store.inbox import InboxFilter
    from mock_server.store.inbox.events import EVERYTHING, RECEIVED, UNREAD, UNSEEN, InboxChange

    backends = Backends({KEY: "Development"})
    environment = backends.environment_for_key(KEY)
    heard: list[InboxChange] = []
    backends.inbox_listeners.append(heard.append)
    backend = backends[environment.id]
    backend.workflows.create(identifier=WORKFLOW, name="Live note", channels=["in_app"])
    backend.workflows.create(identifier="email-only", name="Email only", channels=["email"])
    inbox = backend.inbox

    inbox.trigger(workflow_id=WORKFLOW, recipients=[{"subscriberId": "ada"}, {"subscriberId": "bob"}], payload={})
    inbox.trigger(workflow_id="email-only", recipients=[{"subscriberId": "ada"}])  # no in-app message: nothing
    ada, bob = backend.subscribers.get("ada").id, backend.subscribers.get("bob").id
    message = inbox.feed("ada", page=0, limit=1).items[0]
    assert [(c.environment_id, c.subscriber, c.kind, c.message_id) for c in heard] == [
        (environment.id, ada, RECEIVED, message.id),
        (environment.id, bob, RECEIVED, inbox.feed("bob", page=0, limit=1).items[0].id),
    ]

    def kinds_after(change) -> list[tuple[str | None, str]]:
        heard.clear()
        change()
        return [(c.subscriber, c.kind) for c in heard]

    assert kinds_after(lambda: inbox.mark_as("ada", [message.id], "seen")) == [(ada, UNSEEN)]
    assert kinds_after(lambda: inbox.mark_as("ada", [message.id], "read")) == [(ada, UNREAD)]
    assert kinds_after(lambda: inbox.mark_all("bob", "unseen")) == [(bob, UNSEEN)]
    assert kinds_after(lambda: inbox.update("ada", message.id, "archive")) == [(ada, UNREAD)]
    assert kinds_after(lambda: inbox.update("ada", message.id, "unarchive")) == [(ada, UNREAD)]
    assert kinds_after(lambda: inbox.bulk("bob", "seen", InboxFilter())) == [(bob, UNSEEN)]
    assert kinds_after(lambda: inbox.bulk("bob", "read", InboxFilter())) == [(bob, UNREAD)]
    assert kinds_after(lambda: inbox.delete_notification("ada", message.id)) == [(ada, UNREAD)]
    # what Novu's use cases queue no socket event for: v1 actions, the v1 messages API's deletes
    inbox.trigger(workflow_id=WORKFLOW, recipients=[{"subscriberId": "ada"}])
    other = inbox.feed("ada", page=0, limit=1).items[0]
    assert kinds_after(lambda: inbox.act("ada", other.id, "primary", "done", None)) == []
    assert kinds_after(lambda: inbox.delete_message(other.id)) == []
    # a state import replaces every inbox of the environment
    state = backend.export_state()
    assert kinds_after(lambda: backend.import_state(state)) == [(None, EVERYTHING)]


def test_fixtures_are_not_news_and_a_reset_is() -> None:
    from mock_server.store import Backends
    from mock_server.store.inbox.events import EVERYTHING

    backends = Backends({KEY: "Development", OTHER_KEY: "Production"})
    heard: list = []
    backends.inbox_listeners.append(heard.append)

    def fill(backend, index: int = 0) -> None:
        backend.workflows.create(identifier=WORKFLOW, name="Live note", channels=["in_app"])
        backend.inbox.trigger(workflow_id=WORKFLOW, recipients=[{"subscriberId": f"fixture-{index}"}])

    backends.fill(fill)  # the first environment now, the other at its first use
    production = backends.environment_for_key(OTHER_KEY).id
    assert len(backends[production].inbox) == 1
    assert heard == []
    renewed = backends.renew(production, fill)
    assert len(renewed.inbox) == 1
    assert [(c.environment_id, c.subscriber, c.kind) for c in heard] == [(production, None, EVERYTHING)]
    heard.clear()
    renewed.inbox.trigger(workflow_id=WORKFLOW, recipients=[{"subscriberId": "after-reset"}])
    assert [c.kind for c in heard] == ["received"]
