"""Black-box inbox rules: trigger -> feed -> mark-as, one inbox for v1 and v2, counts, deletes.

Needs a workflow with an in-app step on the target; the mock's fixtures have ``comment-mention``
(override with NOVU_INBOX_WORKFLOW).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import pytest

WORKFLOW = os.environ.get("NOVU_INBOX_WORKFLOW", "comment-mention")
_made: list[str] = []


@pytest.fixture(autouse=True)
def _delete_what_the_test_made(client) -> Iterator[None]:
    """The subscribers a test made are deleted when it ends (and their messages with them)."""
    yield
    while _made:
        client.delete(f"/v2/subscribers/{_made.pop()}")


def fresh(prefix: str = "ct-inbox") -> str:
    _made.append(f"{prefix}-{uuid.uuid4().hex[:10]}")
    return _made[-1]


def trigger(client, to, **extra) -> str:
    response = client.post(
        "/v1/events/trigger", json={"name": WORKFLOW, "to": to, "payload": {"author": "Ada", "snippet": "ping"}, **extra}
    )
    if response.status_code == 422 and "workflow_not_found" in response.text:
        pytest.skip(f"the target has no workflow {WORKFLOW!r} (set NOVU_INBOX_WORKFLOW)")
    assert response.status_code == 201, response.text
    return response.json()["data"]["transactionId"]


def feed(client, subscriber_id, **params) -> dict:
    response = client.get(f"/v1/subscribers/{subscriber_id}/notifications/feed", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()


def inbox(client, subscriber_id, **params) -> list[dict]:
    response = client.get(f"/v2/subscribers/{subscriber_id}/notifications", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_trigger_then_feed_then_mark_as(client) -> None:
    subscriber_id = fresh()
    tx = trigger(client, {"subscriberId": subscriber_id, "firstName": "Ada"})
    page = feed(client, subscriber_id)
    assert page["totalCount"] == 1 and page["data"][0]["transactionId"] == tx
    message_id = page["data"][0]["_id"]
    assert client.get(f"/v1/subscribers/{subscriber_id}/notifications/unseen").json()["data"]["count"] == 1
    marked = client.post(f"/v1/subscribers/{subscriber_id}/messages/mark-as", json={"messageId": message_id, "markAs": "read"})
    assert marked.status_code == 201
    assert marked.json()["data"][0]["read"] is True and marked.json()["data"][0]["seen"] is True
    (notification,) = inbox(client, subscriber_id)
    assert notification["id"] == message_id and notification["isRead"] is True
    assert client.get(f"/v1/subscribers/{subscriber_id}/notifications/unseen").json()["data"]["count"] == 0


def test_v2_changes_show_in_v1_and_counts_match(client) -> None:
    subscriber_id = fresh()
    for _ in range(4):
        trigger(client, subscriber_id)
    items = inbox(client, subscriber_id)
    client.patch(f"/v2/subscribers/{subscriber_id}/notifications/{items[0]['id']}/read")
    client.patch(f"/v2/subscribers/{subscriber_id}/notifications/{items[1]['id']}/archive")
    client.post(f"/v2/subscribers/{subscriber_id}/notifications/seen", json={"notificationIds": [items[2]["id"]]})
    v1 = {item["_id"]: item for item in feed(client, subscriber_id)["data"]}
    assert v1[items[0]["id"]]["read"] and v1[items[1]["id"]]["archived"] and v1[items[2]["id"]]["seen"]
    assert not v1[items[3]["id"]]["seen"]
    unseen = client.get(f"/v1/subscribers/{subscriber_id}/notifications/unseen").json()["data"]["count"]
    assert unseen == sum(not item["seen"] for item in v1.values()) == feed(client, subscriber_id, seen="false")["totalCount"]
    filters = [{}, {"read": False}, {"read": True}, {"seen": False}, {"archived": True}, {"archived": False, "read": False}]
    counts = client.get(f"/v2/subscribers/{subscriber_id}/notifications/count", params={"filters": json.dumps(filters)})
    assert counts.status_code == 200, counts.text
    for wanted, answer in zip(filters, counts.json()["data"]):
        listed = inbox(client, subscriber_id, **{k: str(v).lower() for k, v in wanted.items()})
        assert answer["count"] == len(listed), wanted


def test_deleting_a_transaction_leaves_other_messages(client) -> None:
    subscriber_id = fresh()
    keep = trigger(client, subscriber_id)
    doomed = trigger(client, subscriber_id)
    assert client.delete(f"/v1/messages/transaction/{doomed}").status_code == 204
    assert [item["transactionId"] for item in feed(client, subscriber_id)["data"]] == [keep]
    assert client.get("/v1/messages", params={"transactionId": doomed}).json()["data"] == []
    assert client.get("/v1/notifications", params={"transactionId": doomed}).json()["data"], "the activity stays"


def test_deleting_a_subscriber_deletes_its_messages(client) -> None:
    subscriber_id = fresh()
    trigger(client, subscriber_id)
    assert client.get("/v1/messages", params={"subscriberId": subscriber_id}).json()["data"]
    assert client.delete(f"/v2/subscribers/{subscriber_id}").status_code == 200
    assert client.get("/v1/messages", params={"subscriberId": subscriber_id}).status_code == 404
    assert client.get(f"/v1/subscribers/{subscriber_id}/notifications/feed").status_code == 400


def test_an_inbox_is_invisible_to_another_environment(client, other_client) -> None:
    subscriber_id = fresh()
    trigger(client, subscriber_id)
    (message,) = feed(client, subscriber_id)["data"]
    assert other_client.get(f"/v1/subscribers/{subscriber_id}/notifications/feed").status_code == 400
    assert other_client.delete(f"/v1/messages/{message['_id']}").status_code == 404
    assert other_client.get(f"/v1/notifications/{message['_notificationId']}").status_code == 404
    assert feed(client, subscriber_id)["totalCount"] == 1


def test_bad_inbox_input_is_422(client) -> None:
    subscriber_id = fresh()
    trigger(client, subscriber_id)
    bad = [
        client.post(f"/v1/subscribers/{subscriber_id}/messages/mark-as", json={"messageId": "x", "markAs": "read"}),
        client.post(f"/v1/subscribers/{subscriber_id}/messages/mark-as", json={"messageId": "0" * 24, "markAs": "gone"}),
        client.get(f"/v2/subscribers/{subscriber_id}/notifications/count", params={"filters": "{not json"}),
        client.get(f"/v2/subscribers/{subscriber_id}/notifications", params={"limit": 101}),
        client.post("/v1/events/trigger", json={"name": WORKFLOW}),
    ]
    assert [response.status_code for response in bad] == [422] * len(bad)
    assert all("errors" in response.json() for response in bad)
