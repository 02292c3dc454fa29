"""The inbox: trigger, v1 feed and v2 notifications are one set of messages."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest

from fixtures.factories import REFERENCE_TIME
from tests.conftest import KEY


def backend_of(app, key: str = KEY):
    return app.backends[app.backends.environment_for_key(key).id]


def trigger(client, to, workflow="comment-mention", **extra) -> str:
    body = {"name": workflow, "to": to, "payload": {"author": "Grace", "document": "Plan", "snippet": "hi", "documentId": "d1"}}
    response = client.post("/v1/events/trigger", json={**body, **extra})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["acknowledged"] is True and data["status"] == "processed"
    return data["transactionId"]


def feed_all(client, subscriber_id, **params) -> list[dict]:
    items, page = [], 0
    while True:
        body = client.get(f"/v1/subscribers/{subscriber_id}/notifications/feed", params={"page": page, "limit": 100, **params}).json()
        items += body["data"]
        if not body["hasMore"]:
            assert body["totalCount"] == len(items)
            return items
        page += 1


def inbox_all(client, subscriber_id, **params) -> list[dict]:
    items, after = [], None
    while True:
        query = {"limit": 100, **params, **({"after": after} if after else {})}
        body = client.get(f"/v2/subscribers/{subscriber_id}/notifications", params=query).json()
        items += body["data"]
        if not body["hasMore"]:
            return items
        after = body["data"][-1]["id"]


def seeded_ids(client) -> list[str]:
    return [s["subscriberId"] for s in client.get("/v1/subscribers", params={"limit": 100}).json()["data"]]


def test_trigger_delivers_to_every_recipient_and_creates_unknown_subscribers(client) -> None:
    tx = trigger(client, ["inbox-new-1", {"subscriberId": "inbox-new-2", "firstName": "Bea"}])
    assert client.get("/v2/subscribers/inbox-new-2").json()["data"]["firstName"] == "Bea"
    for subscriber_id in ("inbox-new-1", "inbox-new-2"):
        feed = feed_all(client, subscriber_id)
        assert [item["transactionId"] for item in feed] == [tx]
        assert feed[0]["subject"] == "Grace mentioned you"
        assert 'mentioned you in "Plan": hi' in feed[0]["content"]
        assert feed[0]["read"] is False and feed[0]["seen"] is False
    messages = client.get("/v1/messages", params={"transactionId": tx}).json()
    assert messages["totalCount"] == 2
    activity = client.get("/v1/notifications", params={"transactionId": tx}).json()
    assert sorted(n["subscriber"]["subscriberId"] for n in activity["data"]) == ["inbox-new-1", "inbox-new-2"]
    one = client.get(f"/v1/notifications/{activity['data'][0]['_id']}").json()["data"]
    assert one["transactionId"] == tx and one["template"]["triggers"][0]["identifier"] == "comment-mention"
    in_app = next(job for job in one["jobs"] if job["type"] == "in_app")
    assert in_app["status"] == "completed" and in_app["providerId"] == "novu"
    assert [d["detail"] for d in in_app["executionDetails"]] == ["Step queued", "Message created", "Message sent"]
    # the feed item names the job that sent it and its step's template, as the activity does
    (item,) = feed_all(client, one["subscriber"]["subscriberId"])
    assert (item["_jobId"], item["_messageTemplateId"]) == (in_app["_id"], in_app["step"]["_templateId"])


def test_unknown_workflow_is_refused_and_a_reused_transaction_ignored(client) -> None:
    response = client.post("/v1/events/trigger", json={"name": "no-such-workflow", "to": "inbox-x"})
    assert response.status_code == 422 and response.json()["message"] == "workflow_not_found"
    tx = trigger(client, "inbox-x", transactionId="order-77")
    assert tx == "order-77"
    again = client.post("/v1/events/trigger", json={"name": "comment-mention", "to": "inbox-x", "transactionId": "order-77"})
    assert again.status_code == 201
    assert again.json()["data"]["status"] == "processed" and again.json()["data"]["transactionId"] == "order-77"
    assert len(feed_all(client, "inbox-x")) == 1


def test_a_tenant_is_not_found_and_nothing_is_delivered(client) -> None:
    response = client.post("/v1/events/trigger", json={"name": "comment-mention", "to": "inbox-tenant", "tenant": "acme"})
    data = response.json()["data"]
    assert response.status_code == 201 and data["status"] == "no_tenant_found" and data["transactionId"].startswith("txn_")
    assert "activityFeedLink" not in data
    assert client.get("/v2/subscribers/inbox-tenant").status_code == 404


def test_topics_reach_nobody_and_an_actor_object_is_stored(client) -> None:
    body = {"name": "comment-mention", "to": [{"type": "Topic", "topicKey": "nobody"}, "inbox-topic"],
            "actor": {"subscriberId": "inbox-actor", "firstName": "Act"}}  # fmt: skip
    data = client.post("/v1/events/trigger", json=body).json()["data"]
    assert data["status"] == "processed" and "/activity/requests?selectedLogId=" in data["activityFeedLink"]
    assert len(feed_all(client, "inbox-topic")) == 1
    assert client.get("/v2/subscribers/inbox-actor").json()["data"]["firstName"] == "Act"


def test_v1_and_v2_are_one_inbox(client) -> None:
    trigger(client, "inbox-one")
    trigger(client, "inbox-one")
    first, second = inbox_all(client, "inbox-one")
    assert {first["id"], second["id"]} == {item["_id"] for item in feed_all(client, "inbox-one")}

    # read through v2, seen by v1
    assert client.patch(f"/v2/subscribers/inbox-one/notifications/{first['id']}/read").json()["data"]["isRead"] is True
    by_id = {item["_id"]: item for item in feed_all(client, "inbox-one")}
    assert by_id[first["id"]]["read"] is True and by_id[first["id"]]["seen"] is True
    assert client.get("/v1/subscribers/inbox-one/notifications/unseen").json()["data"]["count"] == 1

    # marked through v1, seen by v2
    marked = client.post("/v1/subscribers/inbox-one/messages/mark-as", json={"messageId": [second["id"]], "markAs": "seen"})
    assert marked.status_code == 201 and marked.json()["data"][0]["seen"] is True
    states = {n["id"]: (n["isRead"], n["isSeen"]) for n in inbox_all(client, "inbox-one")}
    assert states == {first["id"]: (True, True), second["id"]: (False, True)}

    # an action done in v1 is completed in v2, and reverted in v2 it is pending in v1
    done = client.post(f"/v1/subscribers/inbox-one/messages/{second['id']}/actions/primary", json={"status": "done", "payload": {"reply": "ok"}})
    assert done.status_code == 201
    assert done.json()["data"]["cta"]["action"]["result"] == {"type": "primary", "payload": {"reply": "ok"}}
    assert [n["primaryAction"]["isCompleted"] for n in inbox_all(client, "inbox-one") if n["id"] == second["id"]] == [True]
    client.patch(f"/v2/subscribers/inbox-one/notifications/{second['id']}/actions/primary/revert")
    assert {i["_id"]: i["cta"]["action"]["status"] for i in feed_all(client, "inbox-one")}[second["id"]] == "pending"

    # deleted through v2, gone from v1
    assert client.delete(f"/v2/subscribers/inbox-one/notifications/{first['id']}").status_code == 204
    assert [item["_id"] for item in feed_all(client, "inbox-one")] == [second["id"]]


def test_unseen_equals_the_unseen_messages_the_feed_lists(client) -> None:
    for subscriber_id in seeded_ids(client):
        feed = feed_all(client, subscriber_id)
        unseen = client.get(f"/v1/subscribers/{subscriber_id}/notifications/unseen").json()["data"]["count"]
        assert unseen == sum(not item["seen"] for item in feed) == len(feed_all(client, subscriber_id, seen="false"))
        seen = client.get(f"/v1/subscribers/{subscriber_id}/notifications/unseen", params={"seen": "true"}).json()["data"]["count"]
        assert seen == len(feed) - unseen


def test_mark_all_answers_the_number_changed(client) -> None:
    subscriber_id = seeded_ids(client)[3]
    unseen = client.get(f"/v1/subscribers/{subscriber_id}/notifications/unseen").json()["data"]["count"]
    changed = client.post(f"/v1/subscribers/{subscriber_id}/messages/mark-all", json={"markAs": "seen"})
    assert changed.status_code == 201 and changed.json() == {"data": unseen}
    assert client.get(f"/v1/subscribers/{subscriber_id}/notifications/unseen").json()["data"]["count"] == 0
    assert client.post(f"/v1/subscribers/{subscriber_id}/messages/mark-all", json={"markAs": "seen"}).json() == {"data": 0}


FILTER_VALUES = [None, True, False]


@pytest.mark.parametrize("position", [1, 6])
def test_counts_match_lists_for_every_filter(client, position) -> None:
    subscriber_id = seeded_ids(client)[position]
    filters = []
    for read, seen, archived, snoozed in itertools.product(FILTER_VALUES, repeat=4):
        wanted = {k: v for k, v in (("read", read), ("seen", seen), ("archived", archived), ("snoozed", snoozed)) if v is not None}
        if read is False and archived is True:
            continue  # Novu refuses this combination (below)
        filters.append(wanted)
    filters += [{"severity": ["high"]}, {"severity": ["low", "medium"]}, {"tags": ["billing"]}, {"tags": ["collaboration"], "read": False}]
    for chunk in range(0, len(filters), 30):
        part = filters[chunk : chunk + 30]
        counts = client.get(f"/v2/subscribers/{subscriber_id}/notifications/count", params={"filters": json.dumps(part)})
        assert counts.status_code == 200, counts.text
        for wanted, answer in zip(part, counts.json()["data"]):
            query = {k: (json.dumps(v).lower() if isinstance(v, bool) else v) for k, v in wanted.items() if k != "tags"}
            listed = inbox_all(client, subscriber_id, **query)
            if "tags" in wanted:
                listed = [n for n in listed if set(n["tags"]) & set(wanted["tags"])]
            assert answer["count"] == len(listed), wanted
            assert answer["filter"] == wanted
    refused = client.get(f"/v2/subscribers/{subscriber_id}/notifications/count",
                         params={"filters": json.dumps([{"read": False, "archived": True}])})  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["message"] == "Filtering for unread and archived notifications is not supported."
    # the v1 feed: totalCount equals what the pages list, for each filter
    for read, seen in itertools.product(FILTER_VALUES, repeat=2):
        params = {k: json.dumps(v) for k, v in (("read", read), ("seen", seen)) if v is not None}
        feed = feed_all(client, subscriber_id, **params)
        assert all(read is None or item["read"] == read for item in feed)
        assert all(seen is None or item["seen"] == seen for item in feed)


def test_feed_payload_filter(client) -> None:
    trigger(client, "inbox-pay", payload={"orderId": "A1", "author": "x"})
    trigger(client, "inbox-pay", payload={"orderId": "B2", "author": "x"})
    wanted = base64.b64encode(json.dumps({"orderId": "B2"}).encode()).decode()
    feed = feed_all(client, "inbox-pay", payload=wanted)
    assert [item["payload"]["orderId"] for item in feed] == ["B2"]
    not_json = base64.b64encode(b"not json").decode()
    refused = client.get("/v1/subscribers/inbox-pay/notifications/feed", params={"payload": not_json})
    assert refused.status_code == 400
    assert refused.json()["message"] == "Invalid payload, the JSON object should be encoded to base64 string."


def test_deleting_a_subscriber_deletes_its_messages(client) -> None:
    tx = trigger(client, ["inbox-gone", "inbox-stays"])
    assert client.get("/v1/messages", params={"subscriberId": "inbox-gone"}).json()["totalCount"] == 1
    assert client.delete("/v2/subscribers/inbox-gone").status_code == 200
    assert client.get("/v1/messages", params={"subscriberId": "inbox-gone"}).status_code == 404
    left = client.get("/v1/messages", params={"transactionId": tx}).json()["data"]
    assert [m["subscriber"]["subscriberId"] for m in left] == ["inbox-stays"]
    assert client.get("/v1/subscribers/inbox-gone/notifications/feed").status_code == 400
    # created again, the subscriber starts with an empty inbox
    client.post("/v2/subscribers", json={"subscriberId": "inbox-gone"})
    assert feed_all(client, "inbox-gone") == []


def all_messages(client) -> list[str]:
    ids, page = [], 0
    while True:
        body = client.get("/v1/messages", params={"page": page, "limit": 100}).json()
        ids += [m["_id"] for m in body["data"]]
        if not body["hasMore"]:
            return ids
        page += 1


def test_deleting_a_transaction_deletes_its_messages_and_nothing_else(client) -> None:
    tx = trigger(client, ["inbox-tx-1", "inbox-tx-2"])
    other = trigger(client, ["inbox-tx-1"])
    before = all_messages(client)
    doomed = {m["_id"] for m in client.get("/v1/messages", params={"transactionId": tx}).json()["data"]}
    assert len(doomed) == 2
    notifications_before = client.get("/v1/notifications", params={"limit": 50}).json()["data"]
    assert client.delete(f"/v1/messages/transaction/{tx}").status_code == 204
    assert all_messages(client) == [m for m in before if m not in doomed]
    assert [i["transactionId"] for i in feed_all(client, "inbox-tx-1")] == [other]
    assert client.get("/v1/notifications", params={"limit": 50}).json()["data"] == notifications_before
    assert client.delete(f"/v1/messages/transaction/{tx}").status_code == 404


def test_delete_one_message(client) -> None:
    trigger(client, "inbox-del")
    (message,) = feed_all(client, "inbox-del")
    answer = client.delete(f"/v1/messages/{message['_id']}")
    assert answer.status_code == 200 and answer.json()["data"] == {"acknowledged": True, "status": "deleted"}
    assert inbox_all(client, "inbox-del") == []
    assert client.delete(f"/v1/messages/{message['_id']}").status_code == 404


def test_messages_carry_the_contexts_of_their_trigger_and_only_the_channel_fields_of_in_app(client) -> None:
    """Novu's in-app step stores the job's contextKeys on the message (none when the trigger had
    no context) and no delivery-channel fields (email, phone, deviceTokens, overrides, errors)."""
    trigger(client, "inbox-ctx-msg", context={"tenant": "acme", "app": "jira"})
    trigger(client, "inbox-ctx-msg")
    listed = client.get("/v1/messages", params={"subscriberId": "inbox-ctx-msg"}).json()["data"]
    assert [m.get("contextKeys") for m in listed] == [None, ["app:jira", "tenant:acme"]]
    for message in listed:
        assert isinstance(message["content"], str) and message["channel"] == "in_app"
        assert not {"email", "phone", "deviceTokens", "overrides", "errorId", "errorText", "title"} & message.keys()
    with_context = listed[1]["_id"]
    marked = client.post("/v1/subscribers/inbox-ctx-msg/messages/mark-as", json={"messageId": with_context, "markAs": "read"})
    assert marked.status_code == 201 and marked.json()["data"][0]["contextKeys"] == ["app:jira", "tenant:acme"]


def test_disabled_in_app_preference_means_no_in_app_message(client) -> None:
    client.post("/v2/subscribers", json={"subscriberId": "inbox-quiet"})
    off = client.patch(
        "/v2/subscribers/inbox-quiet/preferences", json={"workflowId": "comment-mention", "channels": {"in_app": False}}
    )
    assert off.status_code == 200, off.text
    tx = trigger(client, "inbox-quiet")
    assert feed_all(client, "inbox-quiet") == []
    assert client.get("/v1/messages", params={"transactionId": tx}).json()["totalCount"] == 0
    # the trigger still reached the subscriber: its notification is in the activity
    (activity,) = client.get("/v1/notifications", params={"transactionId": tx}).json()["data"]
    in_app = next(job for job in activity["jobs"] if job["type"] == "in_app")
    assert in_app["status"] == "canceled"
    assert [d["detail"] for d in in_app["executionDetails"]][-1] == "Step filtered by subscriber preferences"
    # other workflows still deliver, and a critical one delivers whatever the global choice
    trigger(client, "inbox-quiet", workflow="invoice-ready")
    client.patch("/v2/subscribers/inbox-quiet/preferences", json={"channels": {"in_app": False}})
    trigger(client, "inbox-quiet", workflow="security-alert")
    assert sorted(i["templateIdentifier"] for i in feed_all(client, "inbox-quiet")) == ["invoice-ready", "security-alert"]


def test_snooze_hides_until_the_time(app, client) -> None:
    backend = backend_of(app)
    moment = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    backend.inbox.clock = lambda: moment
    trigger(client, "inbox-snooze")
    trigger(client, "inbox-snooze")
    first, second = inbox_all(client, "inbox-snooze")
    until = moment + timedelta(hours=1)
    snoozed = client.patch(
        f"/v2/subscribers/inbox-snooze/notifications/{first['id']}/snooze", json={"snoozeUntil": until.isoformat()}
    )
    assert snoozed.status_code == 200 and snoozed.json()["data"]["isSnoozed"] is True
    assert [n["id"] for n in inbox_all(client, "inbox-snooze")] == [second["id"]]
    assert [n["id"] for n in inbox_all(client, "inbox-snooze", snoozed="true")] == [first["id"]]
    assert [i["_id"] for i in feed_all(client, "inbox-snooze")] == [second["id"]]
    assert client.get("/v1/subscribers/inbox-snooze/notifications/unseen").json()["data"]["count"] == 1

    moment = until + timedelta(seconds=1)
    assert {n["id"] for n in inbox_all(client, "inbox-snooze")} == {first["id"], second["id"]}
    assert client.get("/v1/subscribers/inbox-snooze/notifications/unseen").json()["data"]["count"] == 2

    url = f"/v2/subscribers/inbox-snooze/notifications/{first['id']}/snooze"
    past = client.patch(url, json={"snoozeUntil": "2029-12-31T00:00:00Z"})
    assert past.status_code == 422
    assert past.json()["errors"]["snoozeUntil"]["messages"] == ["Snooze time must be at least 60 seconds in the future"]
    too_long = client.patch(url, json={"snoozeUntil": "2030-01-03T00:00:00Z"})
    assert too_long.status_code == 402 and too_long.json()["message"] == "Snooze Duration Limit Exceeded"
    assert client.patch(url, json={"snoozeUntil": (moment + timedelta(hours=23)).isoformat()}).status_code == 200
    assert client.patch(f"/v2/subscribers/inbox-snooze/notifications/{first['id']}/unsnooze").json()["data"]["isSnoozed"] is False
    assert len(inbox_all(client, "inbox-snooze")) == 2


def test_archive_and_bulk_operations(client) -> None:
    for _ in range(3):
        trigger(client, "inbox-bulk")
    trigger(client, "inbox-bulk", workflow="invoice-ready", payload={"invoiceNumber": "INV-1"})
    items = inbox_all(client, "inbox-bulk")
    archived = client.patch(f"/v2/subscribers/inbox-bulk/notifications/{items[0]['id']}/archive").json()["data"]
    assert archived["isArchived"] is True and archived["isRead"] is True
    assert [n["id"] for n in inbox_all(client, "inbox-bulk", archived="true")] == [items[0]["id"]]
    assert client.patch(f"/v2/subscribers/inbox-bulk/notifications/{items[0]['id']}/unarchive").json()["data"]["isArchived"] is False

    assert client.post("/v2/subscribers/inbox-bulk/notifications/seen", json={"notificationIds": [items[1]["id"]]}).status_code == 204
    assert [n["isSeen"] for n in inbox_all(client, "inbox-bulk")] == [True, True, False, False]
    # read only what is tagged billing (the invoice), then archive what is read
    assert items[0]["workflow"]["identifier"] == "invoice-ready"
    client.patch(f"/v2/subscribers/inbox-bulk/notifications/{items[0]['id']}/unread")
    assert client.post("/v2/subscribers/inbox-bulk/notifications/read", json={"tags": ["billing"]}).status_code == 204
    assert [n["id"] for n in inbox_all(client, "inbox-bulk", read="true")] == [items[0]["id"]]
    assert client.post("/v2/subscribers/inbox-bulk/notifications/read-archive").status_code == 204
    assert [n["id"] for n in inbox_all(client, "inbox-bulk", archived="true")] == [items[0]["id"]]
    assert client.post("/v2/subscribers/inbox-bulk/notifications/archive").status_code == 204
    assert inbox_all(client, "inbox-bulk", archived="false") == []
    assert client.post("/v2/subscribers/inbox-bulk/notifications/delete").status_code == 204
    assert inbox_all(client, "inbox-bulk") == [] and feed_all(client, "inbox-bulk") == []


def test_context_keys_select_only_notifications_of_those_contexts(client) -> None:
    """Novu's ContextKeysQueryDto and the bulk bodies' contextKeys: a notification outside those
    contexts is not found (one action) or left alone (bulk). The mock's notifications have no
    context, so only an empty list (or none) reaches them."""
    trigger(client, "inbox-ctx")
    trigger(client, "inbox-ctx", workflow="invoice-ready", payload={"invoiceNumber": "INV-7"})
    first, second = inbox_all(client, "inbox-ctx")
    base = f"/v2/subscribers/inbox-ctx/notifications/{first['id']}"
    for method, path in [("patch", "/read"), ("patch", "/archive"), ("patch", "/actions/primary/complete"), ("delete", "")]:
        missing = client.request(method.upper(), base + path, params={"contextKeys": ["tenant:acme"]})
        assert missing.status_code == 404, (path, missing.text)
        assert missing.json()["message"] == f"Notification with id: {first['id']} is not found."
    assert client.patch(f"{base}/read", params={"contextKeys": ""}).json()["data"]["isRead"] is True
    assert [n["id"] for n in inbox_all(client, "inbox-ctx") if n["isRead"]] == [first["id"]], "only the unfiltered read"

    body = {"contextKeys": ["tenant:acme", "team:blue"]}
    assert client.post("/v2/subscribers/inbox-ctx/notifications/read", json=body).status_code == 204
    assert client.post("/v2/subscribers/inbox-ctx/notifications/delete", json=body).status_code == 204
    assert [n["isRead"] for n in inbox_all(client, "inbox-ctx")] == [True, False], "nothing of another context changed"
    assert client.post("/v2/subscribers/inbox-ctx/notifications/read", json={"contextKeys": []}).status_code == 204
    assert [n["isRead"] for n in inbox_all(client, "inbox-ctx")] == [True, True]
    assert second["id"] != first["id"]


def test_actions_without_that_button_are_refused(client) -> None:
    trigger(client, "inbox-act", workflow="invoice-ready", payload={"invoiceNumber": "INV-9"})
    (item,) = inbox_all(client, "inbox-act")
    assert "secondaryAction" not in item
    missing = client.patch(f"/v2/subscribers/inbox-act/notifications/{item['id']}/actions/secondary/complete")
    assert missing.status_code == 400
    assert missing.json()["message"] == "Could not perform action on the secondary button because it does not exist."
    done = client.patch(f"/v2/subscribers/inbox-act/notifications/{item['id']}/actions/primary/complete").json()["data"]
    assert done["primaryAction"] == {"label": "View invoice", "isCompleted": True}


def test_messages_of_one_subscriber_are_not_anyone_elses(client, other_client) -> None:
    trigger(client, ["inbox-a", "inbox-b"])
    (mine,) = feed_all(client, "inbox-a")
    # v1 mark-as finds messages by id alone (and lists them) but changes only the subscriber's own
    wrong = client.post("/v1/subscribers/inbox-b/messages/mark-as", json={"messageId": mine["_id"], "markAs": "read"})
    assert wrong.status_code == 201 and [m["read"] for m in wrong.json()["data"]] == [False]
    assert client.patch(f"/v2/subscribers/inbox-b/notifications/{mine['_id']}/read").status_code == 404
    # another environment sees none of it
    assert other_client.delete(f"/v1/messages/{mine['_id']}").status_code == 404
    assert other_client.get("/v1/subscribers/inbox-a/notifications/feed").status_code == 400
    assert other_client.get(f"/v1/notifications/{mine['_notificationId']}").status_code == 404
    assert feed_all(client, "inbox-a")[0]["read"] is False


def test_seeded_inboxes_are_believable(client) -> None:
    reference_ms = REFERENCE_TIME.timestamp() * 1000
    for subscriber_id in seeded_ids(client):
        items = inbox_all(client, subscriber_id) + inbox_all(client, subscriber_id, snoozed="true")
        # every seeded subscriber has mail from more than one workflow, none after the reference
        assert len(items) >= 4 and len({n["workflow"]["identifier"] for n in items}) >= 2, subscriber_id
        created = [datetime.fromisoformat(n["createdAt"].replace("Z", "+00:00")).timestamp() * 1000 for n in items]
        assert max(created) <= reference_ms
    everything = [n for s in seeded_ids(client) for n in inbox_all(client, s)]
    assert {n["isRead"] for n in everything} == {True, False}
    assert {n["isSeen"] for n in everything} == {True, False}
    assert {n["isArchived"] for n in everything} == {True, False}
    assert any(n.get("primaryAction", {}).get("isCompleted") for n in everything)
    assert len({n["workflow"]["identifier"] for n in everything}) >= 4
    spread = [datetime.fromisoformat(n["createdAt"].replace("Z", "+00:00")) for n in everything]
    assert max(spread) - min(spread) > timedelta(weeks=4)
    busiest = max(seeded_ids(client), key=lambda s: len(inbox_all(client, s)))
    assert len({n["workflow"]["identifier"] for n in inbox_all(client, busiest)}) >= 3


def test_same_seed_same_inboxes(settings) -> None:
    from starlette.testclient import TestClient

    from mock_server.app import create_app

    feeds = []
    for _ in range(2):
        with TestClient(create_app(settings), headers={"Authorization": f"ApiKey {KEY}"}) as http:
            first = seeded_ids(http)[0]
            feeds.append((first, feed_all(http, first)))
    assert feeds[0] == feeds[1] and feeds[0][1]


def test_a_polled_feed_shows_every_change_made_between_polls(client) -> None:
    """The feed keeps the DTOs of the messages it listed; each kind of change shows at the next poll."""
    trigger(client, "inbox-poll", workflow="invoice-ready", payload={"invoiceNumber": "INV-7"})
    trigger(client, "inbox-poll")
    trigger(client, "inbox-poll")
    url = "/v1/subscribers/inbox-poll/notifications/feed"
    first = client.get(url).json()["data"]
    assert client.get(url).json()["data"] == first  # polled again, unchanged
    newest, middle, invoice = first

    client.post("/v1/subscribers/inbox-poll/messages/mark-as", json={"messageId": newest["_id"], "markAs": "read"})
    assert [(m["read"], m["seen"]) for m in client.get(url).json()["data"]] == [(True, True), (False, False), (False, False)]

    client.patch(f"/v2/subscribers/inbox-poll/notifications/{middle['_id']}/archive")
    assert [m["archived"] for m in client.get(url).json()["data"]] == [False, True, False]

    done = client.post(f"/v1/subscribers/inbox-poll/messages/{invoice['_id']}/actions/primary", json={"status": "done"})
    assert done.status_code == 201, done.text
    assert client.get(url).json()["data"][2]["cta"]["action"]["status"] == "done"

    assert client.patch("/v2/subscribers/inbox-poll", json={"firstName": "Renamed"}).status_code == 200
    assert {m["subscriber"]["firstName"] for m in client.get(url).json()["data"]} == {"Renamed"}

    until = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    client.patch(f"/v2/subscribers/inbox-poll/notifications/{newest['_id']}/snooze", json={"snoozeUntil": until})
    client.delete(f"/v2/subscribers/inbox-poll/notifications/{middle['_id']}")
    assert [m["_id"] for m in client.get(url).json()["data"]] == [invoice["_id"]]


def test_the_feed_answers_are_built_from_the_current_records(app, client) -> None:
    """Whatever the feed keeps, each item it answers is what its message shows now."""
    for _ in range(4):
        trigger(client, "inbox-fresh")
    url = "/v1/subscribers/inbox-fresh/notifications/feed"
    client.get(url)
    items = client.get(url, params={"limit": 2, "page": 1}).json()["data"]
    client.post("/v1/subscribers/inbox-fresh/messages/mark-all", json={"markAs": "seen"})
    after = client.get(url).json()["data"]
    inbox = backend_of(app).inbox
    assert after == [inbox.message("inbox-fresh", item["_id"]).feed_dto() for item in after]
    assert [m["seen"] for m in after] == [True] * 4 and len(items) == 2


def test_the_feed_keeps_a_bounded_number_of_answers(monkeypatch) -> None:
    from mock_server.store import Backends
    from mock_server.store.inbox import queries as inbox

    monkeypatch.setattr(inbox, "FEED_DTOS_KEPT", 5)
    backend = next(iter(Backends({"k": "Dev"})))
    backend.workflows.create(identifier="w", name="W", channels=["in_app"])
    for _ in range(12):
        backend.inbox.trigger(workflow_id="w", recipients=[{"subscriberId": "many"}])
    for page in range(3):
        listed = backend.inbox.feed("many", page=page, limit=4).items
        assert backend.inbox.feed_dtos(listed) == [message.feed_dto() for message in listed]
    assert len(backend.inbox._feed_dtos) == 5
