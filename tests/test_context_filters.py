"""Notifications sent with a ``context`` are told apart as Novu tells them apart.

- ``contextKeys`` on the secret-key lists (v1 messages, activity, a subscriber's v2 inbox) selects
  the records of exactly those contexts, and ``contextKeys=`` those without one (the base
  repository's ``buildContextExactMatchQuery``; message.repository.ts getMessages).
- An inbox session opened with a ``context`` carries its keys in the token (``contextKeys``
  claim); its inbox lists, counts and per-notification actions see only notifications of exactly
  those contexts, a session without one only those without a context; bulk actions take the
  session's keys as "any of them" and none as no filter (updateMessagesFromToStatus).
"""

from __future__ import annotations

from collections.abc import Iterator

import jwt
import pytest
from starlette.testclient import TestClient

from mock_server import inbox_session
from mock_server.store import application_identifier

from .conftest import KEY

WORKFLOW = "comment-mention"
PAYLOAD = {"author": "Grace", "document": "Plan", "snippet": "hi", "documentId": "d1"}


@pytest.fixture
def browser(app) -> Iterator[TestClient]:
    with TestClient(app) as http:
        yield http


def _trigger(client: TestClient, subscriber: str, context: dict | None = None) -> str:
    body = {"name": WORKFLOW, "to": subscriber, "payload": PAYLOAD, **({"context": context} if context else {})}
    response = client.post("/v1/events/trigger", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]["transactionId"]


@pytest.fixture
def sent(client) -> dict[str, str]:
    """One notification each without a context, in tenant acme, and in acme plus project p1."""
    client.post("/v2/subscribers", json={"subscriberId": "ctx-ada"})
    return {
        "none": _trigger(client, "ctx-ada"),
        "acme": _trigger(client, "ctx-ada", {"tenant": "acme"}),
        "acme+p1": _trigger(client, "ctx-ada", {"tenant": {"id": "acme", "data": {"plan": "pro"}}, "project": "p1"}),
    }


def _transactions(items: list[dict]) -> set[str]:
    return {item["transactionId"] for item in items}


@pytest.mark.parametrize(
    "keys, expected",
    [
        (None, {"none", "acme", "acme+p1"}),
        ([""], {"none"}),
        (["tenant:acme"], {"acme"}),
        (["project:p1", "tenant:acme"], {"acme+p1"}),
        (["tenant:other"], set()),
    ],
)
def test_secret_key_lists_select_exactly_the_contexts_asked_for(client, sent, keys, expected) -> None:
    want = {sent[name] for name in expected}
    params = {} if keys is None else {"contextKeys": keys}
    messages = client.get("/v1/messages", params={"subscriberId": "ctx-ada", "limit": 100, **params}).json()
    assert _transactions(messages["data"]) == want and messages["totalCount"] == len(want)
    activity = client.get("/v1/notifications", params={"subscriberIds": ["ctx-ada"], "limit": 50, **params}).json()
    assert _transactions(activity["data"]) == want
    inbox = client.get("/v2/subscribers/ctx-ada/notifications", params={"limit": 100, **params}).json()
    assert _transactions(inbox["data"]) == want


def test_a_notification_of_other_contexts_is_not_found_by_its_id(client, sent) -> None:
    inbox = client.get("/v2/subscribers/ctx-ada/notifications", params={"limit": 100}).json()["data"]
    acme = next(item["id"] for item in inbox if item["transactionId"] == sent["acme"])
    refused = client.patch(f"/v2/subscribers/ctx-ada/notifications/{acme}/read", params={"contextKeys": "tenant:other"})
    assert refused.status_code == 404
    done = client.patch(f"/v2/subscribers/ctx-ada/notifications/{acme}/read", params={"contextKeys": "tenant:acme"})
    assert done.status_code == 200 and done.json()["data"]["isRead"] is True


def _session(browser: TestClient, context: dict | None = None) -> dict:
    body = {"applicationIdentifier": application_identifier(KEY), "subscriber": {"subscriberId": "ctx-ada"}}
    response = browser.post("/v1/inbox/session", json={**body, **({"context": context} if context else {})})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def _bearer(session: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['token']}"}


@pytest.mark.parametrize(
    "context, expected",
    [(None, {"none"}), ({"tenant": "acme"}, {"acme"}), ({"project": "p1", "tenant": "acme"}, {"acme+p1"})],
)
def test_an_inbox_session_sees_only_the_notifications_of_its_contexts(browser, sent, context, expected) -> None:
    session = _session(browser, context)
    claims = jwt.decode(session["token"], options={"verify_signature": False})
    assert sorted(claims["contextKeys"]) == sorted(session["contextKeys"])
    assert session["totalUnreadCount"] == len(expected)
    listed = browser.get("/v1/inbox/notifications", params={"limit": 100}, headers=_bearer(session)).json()
    assert _transactions(listed["data"]) == {sent[name] for name in expected}
    counted = browser.get(
        "/v1/inbox/notifications/count", params={"filters": '[{"read": false}]'}, headers=_bearer(session)
    ).json()
    assert counted["data"][0]["count"] == len(expected)


def test_an_inbox_session_cannot_act_on_a_notification_of_other_contexts(browser, client, sent) -> None:
    inbox = client.get("/v2/subscribers/ctx-ada/notifications", params={"limit": 100}).json()["data"]
    acme = next(item["id"] for item in inbox if item["transactionId"] == sent["acme"])
    plain = _bearer(_session(browser))
    assert browser.patch(f"/v1/inbox/notifications/{acme}/read", headers=plain).status_code == 404
    tenant = _bearer(_session(browser, {"tenant": "acme"}))
    answer = browser.patch(f"/v1/inbox/notifications/{acme}/read", headers=tenant)
    assert answer.status_code == 200 and answer.json()["data"]["isRead"] is True


def test_bulk_actions_take_the_sessions_contexts_as_any_of_them(browser, client, sent) -> None:
    def unread() -> set[str]:
        items = client.get("/v2/subscribers/ctx-ada/notifications", params={"limit": 100, "read": "false"}).json()
        return _transactions(items["data"])

    tenant = _bearer(_session(browser, {"tenant": "acme"}))
    assert browser.post("/v1/inbox/notifications/read", json={}, headers=tenant).status_code == 204
    assert unread() == {sent["none"]}  # acme and acme+p1 both have tenant:acme
    plain = _bearer(_session(browser))
    assert browser.post("/v1/inbox/notifications/read", json={}, headers=plain).status_code == 204
    assert unread() == set()  # a session without contexts filters nothing in bulk


def test_a_token_without_the_claim_filters_nothing(app, browser, sent) -> None:
    """Novu's inbox filters by context only when the token names its contexts: a token signed
    before tokens carried them reads every notification."""
    claims = jwt.decode(_session(browser)["token"], options={"verify_signature": False})
    environment = app.backends.environment_for_id(claims["environmentId"])
    legacy = {key: value for key, value in claims.items() if key != "contextKeys"}
    token = jwt.encode(legacy, inbox_session._secret(environment), algorithm="HS256")
    listed = browser.get("/v1/inbox/notifications", params={"limit": 100}, headers={"Authorization": f"Bearer {token}"})
    assert _transactions(listed.json()["data"]) == set(sent.values())
