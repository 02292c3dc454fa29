"""Black-box: the Inbox API a frontend SDK (@novu/js, <Inbox />) calls, with a session token
instead of a secret key, over the same notifications the secret-key API shows.

Against a real Novu: ``--application-identifier`` (or NOVU_APPLICATION_IDENTIFIER) names the
``--api-key`` environment's identifier (read from ``GET /v1/environments/me`` otherwise), and the
target needs a workflow with an in-app step (``comment-mention`` in the mock's fixtures; set
NOVU_INBOX_WORKFLOW). What a test makes it deletes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

WORKFLOW = os.environ.get("NOVU_INBOX_WORKFLOW", "comment-mention")


@pytest.fixture(scope="module")
def app_id(target, pytestconfig) -> str:
    given = pytestconfig.getoption("--application-identifier")
    if given:
        return given
    if target.is_local_mock:
        from mock_server.store import application_identifier

        return application_identifier(target.api_key)
    me = httpx.get(f"{target.url}/v1/environments/me", headers=target.headers(), timeout=30)
    if me.status_code != 200 or not me.json().get("data", {}).get("identifier"):
        pytest.skip("needs --application-identifier (the environment's identifier)")
    return me.json()["data"]["identifier"]


@pytest.fixture
def browser(target) -> Iterator[httpx.Client]:
    """What a page runs: no secret key, @novu/js's own headers."""
    headers = {"Novu-API-Version": "2024-06-26", "Novu-Client-Version": "@novu/js@3.19.0"}
    with httpx.Client(base_url=target.url, headers=headers, timeout=30) as http:
        yield http


@pytest.fixture
def made(client) -> Iterator[list[str]]:
    """Subscribers a test made, deleted when it ends (their notifications with them)."""
    subscribers: list[str] = []
    yield subscribers
    for subscriber_id in subscribers:
        client.delete(f"/v2/subscribers/{subscriber_id}")


def fresh(made: list[str]) -> str:
    made.append(f"ct-frontend-{uuid.uuid4().hex[:10]}")
    return made[-1]


def session(browser: httpx.Client, app_id: str, subscriber, **extra) -> dict:
    response = browser.post("/v1/inbox/session", json={"applicationIdentifier": app_id, "subscriber": subscriber, **extra})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def trigger(client: httpx.Client, subscriber_id: str, count: int = 1) -> None:
    for _ in range(count):
        response = client.post("/v1/events/trigger", json={"name": WORKFLOW, "to": subscriber_id, "payload": {"author": "Ada"}})
        if response.status_code == 422 and "workflow_not_found" in response.text:
            pytest.skip(f"the target has no workflow {WORKFLOW!r} (set NOVU_INBOX_WORKFLOW)")
        assert response.status_code == 201, response.text


class Inbox:
    """The inbox of one subscriber, through its session token."""

    def __init__(self, browser: httpx.Client, token: str) -> None:
        self.http, self.auth = browser, bearer(token)

    def list(self, **params) -> list[dict]:
        response = self.http.get("/v1/inbox/notifications", params={"limit": 100, **params}, headers=self.auth)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def patch(self, notification_id: str, action: str, body: dict | None = None) -> httpx.Response:
        return self.http.patch(f"/v1/inbox/notifications/{notification_id}/{action}", json=body, headers=self.auth)

    def post(self, action: str, body: dict | None = None) -> httpx.Response:
        return self.http.post(f"/v1/inbox/notifications/{action}", json=body or {}, headers=self.auth)

    def count(self, filters: list[dict]) -> list[int]:
        response = self.http.get("/v1/inbox/notifications/count", params={"filters": json.dumps(filters)}, headers=self.auth)
        assert response.status_code == 200, response.text
        return [item["count"] for item in response.json()["data"]]


@pytest.fixture
def inbox_of(browser, client, app_id, made):
    """``inbox_of(n)``: a fresh subscriber with ``n`` notifications, and its Inbox."""

    def make(notifications: int = 0) -> tuple[str, Inbox]:
        subscriber_id = fresh(made)
        data = session(browser, app_id, {"subscriberId": subscriber_id})
        trigger(client, subscriber_id, notifications)
        return subscriber_id, Inbox(browser, data["token"])

    return make


def v2(client: httpx.Client, subscriber_id: str) -> dict[str, dict]:
    response = client.get(f"/v2/subscribers/{subscriber_id}/notifications", params={"limit": 100})
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["data"]}


# -- the session --------------------------------------------------------------------------------


def test_a_session_creates_the_subscriber_and_counts_its_unread(browser, client, app_id, made) -> None:
    subscriber_id = fresh(made)
    first = session(browser, app_id, {"subscriberId": subscriber_id, "firstName": "Ada", "lastName": "Lovelace"})
    assert first["token"] and first["totalUnreadCount"] == 0 and first["unreadCount"]["total"] == 0
    assert set(first["unreadCount"]["severity"]) == {"high", "medium", "low", "none"}
    assert isinstance(first["removeNovuBranding"], bool) and isinstance(first["isDevelopmentMode"], bool)
    assert first["maxSnoozeDurationHours"] >= 0
    stored = client.get(f"/v2/subscribers/{subscriber_id}")
    assert stored.status_code == 200 and stored.json()["data"]["firstName"] == "Ada"
    trigger(client, subscriber_id, 2)
    again = session(browser, app_id, subscriber_id)
    assert again["totalUnreadCount"] == again["unreadCount"]["total"] == 2
    assert sum(again["unreadCount"]["severity"].values()) == 2


def test_an_unknown_application_identifier_is_refused(browser, made) -> None:
    response = browser.post("/v1/inbox/session", json={"applicationIdentifier": f"no-app-{uuid.uuid4().hex[:8]}", "subscriber": fresh(made)})
    assert response.status_code == 400
    body = response.json()
    assert (body["statusCode"], body["message"], body["path"]) == (400, "Please provide a valid application identifier", "/v1/inbox/session")


def test_a_session_without_a_subscriber_is_refused(browser, app_id) -> None:
    response = browser.post("/v1/inbox/session", json={"applicationIdentifier": app_id})
    assert (response.status_code, response.json()["message"]) == (422, "Subscriber ID is required")


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not.a.token", "ApiKey-in-place"])
def test_the_inbox_needs_a_session_token(browser, target, authorization) -> None:
    if authorization == "ApiKey-in-place":
        authorization = f"ApiKey {target.api_key}"  # a secret key does not open the inbox either
    headers = {"Authorization": authorization} if authorization else {}
    response = browser.get("/v1/inbox/notifications", headers=headers)
    assert response.status_code == 401
    assert (response.json()["statusCode"], response.json()["message"]) == (401, "Unauthorized")


def test_a_session_token_is_not_a_secret_key(browser, app_id, made) -> None:
    token = session(browser, app_id, fresh(made))["token"]
    assert browser.get("/v1/integrations", headers=bearer(token)).status_code == 401


def test_a_token_dies_with_its_subscriber(browser, client, app_id, made) -> None:
    subscriber_id = fresh(made)
    token = session(browser, app_id, subscriber_id)["token"]
    assert client.delete(f"/v2/subscribers/{subscriber_id}").status_code == 200
    assert browser.get("/v1/inbox/notifications", headers=bearer(token)).status_code == 401


@pytest.fixture
def secure_mode(client) -> Iterator[None]:
    """The in-app integration asks for the hash (its credentials say ``hmac``); put back after."""
    in_app = next(i for i in client.get("/v1/integrations").json()["data"] if i["channel"] == "in_app" and i["providerId"] == "novu")
    assert client.put(f"/v1/integrations/{in_app['_id']}", json={"credentials": {"hmac": True}}).status_code == 200
    yield
    client.put(f"/v1/integrations/{in_app['_id']}", json={"credentials": {"hmac": False}})


def test_secure_mode_needs_the_subscriber_hash(browser, target, app_id, made, secure_mode) -> None:
    subscriber_id = fresh(made)
    for wrong in (None, "0" * 64):
        body = {"applicationIdentifier": app_id, "subscriber": subscriber_id, **({"subscriberHash": wrong} if wrong else {})}
        refused = browser.post("/v1/inbox/session", json=body)
        assert (refused.status_code, refused.json()["message"]) == (400, "Please provide a valid HMAC hash")
    good = hmac.new(target.api_key.encode(), subscriber_id.encode(), hashlib.sha256).hexdigest()
    assert session(browser, app_id, subscriber_id, subscriberHash=good)["token"]


# -- one inbox for both APIs --------------------------------------------------------------------


def test_a_notification_read_in_the_inbox_is_read_in_v2_and_back(client, inbox_of) -> None:
    subscriber_id, inbox = inbox_of(2)
    first, second = inbox.list()
    read = inbox.patch(first["id"], "read")
    assert read.status_code == 200 and read.json()["data"]["isRead"] is True and read.json()["data"]["isSeen"] is True
    assert v2(client, subscriber_id)[first["id"]]["isRead"] is True
    assert client.patch(f"/v2/subscribers/{subscriber_id}/notifications/{second['id']}/archive").status_code == 200
    seen_by_inbox = {item["id"]: item for item in inbox.list(archived="true")}
    assert seen_by_inbox[second["id"]]["isArchived"] is True and seen_by_inbox[second["id"]]["isRead"] is True


def test_the_list_and_v2_hold_the_same_notifications(client, inbox_of) -> None:
    subscriber_id, inbox = inbox_of(3)
    listed = inbox.list()
    assert [item["id"] for item in listed] == list(v2(client, subscriber_id))
    assert all(item["to"]["subscriberId"] == subscriber_id for item in listed)
    page = inbox.list(limit=2)
    assert len(page) == 2
    rest = inbox.list(after=page[-1]["id"])
    assert [item["id"] for item in page + rest] == [item["id"] for item in listed]


def test_counts_match_the_lists(inbox_of) -> None:
    _, inbox = inbox_of(4)
    items = inbox.list()
    inbox.patch(items[0]["id"], "read")
    inbox.patch(items[1]["id"], "archive")
    assert inbox.post("seen", {"notificationIds": [items[2]["id"]]}).status_code == 204
    filters = [{}, {"read": False}, {"read": True}, {"seen": False}, {"archived": True}, {"read": False, "archived": False, "snoozed": False}]
    for wanted, count in zip(filters, inbox.count(filters)):
        assert count == len(inbox.list(**{key: str(value).lower() for key, value in wanted.items()})), wanted
    refused = inbox.http.get(
        "/v1/inbox/notifications/count", params={"filters": json.dumps([{"read": False, "archived": True}])}, headers=inbox.auth
    )
    assert refused.status_code == 400


def test_unread_archive_unarchive(inbox_of) -> None:
    _, inbox = inbox_of(1)
    (item,) = inbox.list()
    assert inbox.patch(item["id"], "read").json()["data"]["isRead"] is True
    assert inbox.patch(item["id"], "unread").json()["data"]["isRead"] is False
    archived = inbox.patch(item["id"], "archive").json()["data"]
    assert archived["isArchived"] is True and archived["archivedAt"]
    assert inbox.list(archived="false") == []
    assert inbox.patch(item["id"], "unarchive").json()["data"]["isArchived"] is False


def test_snooze_limits_and_unsnooze(inbox_of) -> None:
    _, inbox = inbox_of(1)
    (item,) = inbox.list()
    soon = datetime.now(UTC) + timedelta(seconds=10)
    early = inbox.patch(item["id"], "snooze", {"snoozeUntil": soon.isoformat().replace("+00:00", "Z")})
    assert early.status_code == 422
    far = datetime.now(UTC) + timedelta(days=200)
    assert inbox.patch(item["id"], "snooze", {"snoozeUntil": far.isoformat().replace("+00:00", "Z")}).status_code == 402
    later = datetime.now(UTC) + timedelta(hours=2)
    snoozed = inbox.patch(item["id"], "snooze", {"snoozeUntil": later.isoformat().replace("+00:00", "Z")})
    assert snoozed.status_code == 200 and snoozed.json()["data"]["isSnoozed"] is True
    assert inbox.list() == [] and [i["id"] for i in inbox.list(snoozed="true")] == [item["id"]]
    assert inbox.patch(item["id"], "unsnooze").json()["data"]["isSnoozed"] is False
    assert [i["id"] for i in inbox.list()] == [item["id"]]


def test_complete_and_revert_an_action(inbox_of) -> None:
    _, inbox = inbox_of(1)
    (item,) = inbox.list()
    for kind in ("primary", "secondary"):
        if kind not in ("primary" if item.get("primaryAction") else "", "secondary" if item.get("secondaryAction") else ""):
            missing = inbox.patch(item["id"], "complete", {"actionType": kind})
            assert missing.status_code == 400 and "does not exist" in missing.json()["message"]
            continue
        done = inbox.patch(item["id"], "complete", {"actionType": kind}).json()["data"]
        assert done[f"{kind}Action"]["isCompleted"] is True
        assert inbox.patch(item["id"], "revert", {"actionType": kind}).json()["data"][f"{kind}Action"]["isCompleted"] is False


def test_bulk_read_archive_and_delete(client, inbox_of) -> None:
    subscriber_id, inbox = inbox_of(3)
    assert inbox.post("read").status_code == 204
    assert all(item["isRead"] for item in v2(client, subscriber_id).values())
    one = inbox.list()[0]["id"]
    inbox.patch(one, "unread")
    assert inbox.post("read-archive").status_code == 204
    assert [item["id"] for item in inbox.list(archived="false")] == [one]
    assert inbox.post("archive").status_code == 204
    assert inbox.list(archived="false") == []
    deleted = inbox.http.delete(f"/v1/inbox/notifications/{one}/delete", headers=inbox.auth)
    assert deleted.status_code == 204 and one not in v2(client, subscriber_id)
    assert inbox.post("delete").status_code == 204
    assert v2(client, subscriber_id) == {} and inbox.list() == []


def test_another_subscribers_notification_is_not_found(inbox_of) -> None:
    _, mine = inbox_of(0)
    _, theirs = inbox_of(1)
    (item,) = theirs.list()
    response = mine.patch(item["id"], "read")
    assert response.status_code == 404 and item["id"] in response.json()["message"]
    assert theirs.list()[0]["isRead"] is False
