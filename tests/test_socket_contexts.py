"""The Inbox's live socket per context: two sockets of one subscriber opened by sessions of
different contexts are two inboxes, as in Novu's ws gateway (each socket keeps its session's
``contextKeys``; a delivered message reaches only the sockets of exactly its contexts; the
counts each socket gets are those of its own contexts)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from mock_server.socket_client import InboxSocketClient
from tests.test_socket import WORKFLOW, Mock, _events, _nothing_more, mock, run  # noqa: F401 (the fixture)

SUBSCRIBER = "socket-ctx-ada"


async def _session(mock: Mock, subscriber_id: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """``POST /v1/inbox/session`` as <Inbox /> opens it, with ``context`` when given."""
    body: dict[str, Any] = {"applicationIdentifier": mock.environment().identifier, "subscriber": subscriber_id}
    if context:
        body["context"] = context
    async with httpx.AsyncClient(base_url=mock.base_url, timeout=10) as client:
        answer = await client.post("/v1/inbox/session", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def _inbox(mock: Mock, session: dict[str, Any]) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=mock.base_url, headers={"Authorization": f"Bearer {session['token']}"}, timeout=10
    )


async def _trigger(http: httpx.AsyncClient, subscriber_id: str, context: dict[str, Any] | None = None) -> None:
    body: dict[str, Any] = {"name": WORKFLOW, "to": subscriber_id, "payload": {"message": "hi"}}
    if context:
        body["context"] = context
    answer = await http.post("/v1/events/trigger", json=body)
    assert answer.status_code == 201, answer.text


def _counts(events: list[tuple[str, Any]]) -> tuple[int, int]:
    """(unseen, unread) of a socket's count events."""
    found = dict(events)
    unread = found["unread_count_changed"]
    assert unread["counts"]["total"] == unread["unreadCount"]
    return found["unseen_count_changed"]["unseenCount"], unread["unreadCount"]


def test_each_context_socket_hears_only_its_messages_and_counts_only_its_own(mock: Mock) -> None:
    async def scenario() -> None:
        acme = await _session(mock, SUBSCRIBER, {"tenant": "acme"})
        globex = await _session(mock, SUBSCRIBER, {"tenant": "globex"})
        plain = await _session(mock, SUBSCRIBER)
        async with (
            mock.http() as http,
            InboxSocketClient(mock.base_url, acme["token"]) as acme_socket,
            InboxSocketClient(mock.base_url, globex["token"]) as globex_socket,
            InboxSocketClient(mock.base_url, plain["token"]) as plain_socket,
        ):
            # a message of acme: acme's socket hears it, every socket gets the counts of its own contexts
            await _trigger(http, SUBSCRIBER, {"tenant": "acme"})
            received = await _events(acme_socket, 3)
            assert [name for name, _ in received][0] == "notification_received"
            assert received[0][1]["message"]["contextKeys"] == ["tenant:acme"]
            assert _counts(received[1:]) == (1, 1)
            for socket in (globex_socket, plain_socket):
                assert _counts(await _events(socket, 2)) == (0, 0)

            # a message without a context: only the socket without one hears it
            await _trigger(http, SUBSCRIBER)
            received = await _events(plain_socket, 3)
            assert received[0][0] == "notification_received"
            assert "contextKeys" not in received[0][1]["message"]  # Novu's message of a trigger without a context
            assert _counts(received[1:]) == (1, 1)
            assert _counts(await _events(acme_socket, 2)) == (1, 1)
            assert _counts(await _events(globex_socket, 2)) == (0, 0)
            for socket in (acme_socket, globex_socket, plain_socket):
                await _nothing_more(socket)

    run(scenario())


def test_a_change_through_one_context_recounts_every_socket_in_its_own_contexts(mock: Mock) -> None:
    subscriber_id = "socket-ctx-bea"

    async def scenario() -> None:
        acme = await _session(mock, subscriber_id, {"tenant": "acme"})
        plain = await _session(mock, subscriber_id)
        async with mock.http() as http:
            for context in ({"tenant": "acme"}, {"tenant": "acme"}, None):
                await _trigger(http, subscriber_id, context)
        async with (
            _inbox(mock, acme) as acme_inbox,
            InboxSocketClient(mock.base_url, acme["token"]) as acme_socket,
            InboxSocketClient(mock.base_url, plain["token"]) as plain_socket,
        ):
            listed = (await acme_inbox.get("/v1/inbox/notifications", params={"limit": 10})).json()["data"]
            assert len(listed) == 2
            answer = await acme_inbox.patch(f"/v1/inbox/notifications/{listed[0]['id']}/read")
            assert answer.status_code == 200, answer.text
            name, data = await acme_socket.next_event()
            assert name == "unread_count_changed" and data["unreadCount"] == 1
            # what the socket says is what the session's REST count says
            unread = {"filters": json.dumps([{"read": False}])}
            counted = await acme_inbox.get("/v1/inbox/notifications/count", params=unread)
            assert counted.json()["data"][0]["count"] == data["counts"]["total"] == 1
            name, data = await plain_socket.next_event()
            assert (name, data["unreadCount"], data["counts"]["total"]) == ("unread_count_changed", 1, 1)

            # the bulk read of acme's session: acme's count drops to 0, the other inbox keeps its one
            assert (await acme_inbox.post("/v1/inbox/notifications/read", json={})).status_code == 204
            name, data = await acme_socket.next_event()
            assert (name, data["unreadCount"]) == ("unread_count_changed", 0)
            name, data = await plain_socket.next_event()
            assert (name, data["unreadCount"]) == ("unread_count_changed", 1)
            for socket in (acme_socket, plain_socket):
                await _nothing_more(socket)

    run(scenario())


def test_a_socket_of_several_contexts_hears_only_messages_of_exactly_those(mock: Mock) -> None:
    subscriber_id = "socket-ctx-cyd"

    async def scenario() -> None:
        both = await _session(mock, subscriber_id, {"tenant": "acme", "region": "eu"})
        async with mock.http() as http, InboxSocketClient(mock.base_url, both["token"]) as socket:
            await _trigger(http, subscriber_id, {"tenant": "acme"})  # one of its contexts only: not its inbox
            assert _counts(await _events(socket, 2)) == (0, 0)
            await _trigger(http, subscriber_id, {"region": "eu", "tenant": "acme"})  # the same two, in another order
            received = await _events(socket, 3)
            assert received[0][0] == "notification_received"
            assert sorted(received[0][1]["message"]["contextKeys"]) == ["region:eu", "tenant:acme"]
            assert _counts(received[1:]) == (1, 1)
            await _nothing_more(socket)

    run(scenario())
