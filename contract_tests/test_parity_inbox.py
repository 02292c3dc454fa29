"""Parity of events, messages, activity and the inbox with Novu's server code: one rule per test,
each naming the Novu file (apps/api/src/app/..., libs/...) that shows it. Runnable against a real
Novu (``--target-url``, ``--api-key``); delivery there is asynchronous, so reads after a trigger
poll for a while (the mock answers at once).

Needs a workflow with an in-app step on the target (the mock's fixtures have ``comment-mention``;
override with NOVU_INBOX_WORKFLOW) and one whose in-app step has a primary button and no
secondary one (``invoice-ready``; NOVU_INBOX_ONE_BUTTON_WORKFLOW). The snooze
limit test assumes Novu's free plan (24 hours), which the mock's environments have.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

WORKFLOW = os.environ.get("NOVU_INBOX_WORKFLOW", "comment-mention")
# a workflow whose in-app step has a primary button and no secondary one
ONE_BUTTON_WORKFLOW = os.environ.get("NOVU_INBOX_ONE_BUTTON_WORKFLOW", "invoice-ready")
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
UNKNOWN_ID = "0" * 24


def eventually(read: Callable[[], Any], ready: Callable[[Any], bool], seconds: float = 15) -> Any:
    """``read()`` until ``ready`` says yes (Novu's worker delivers after the trigger answered)."""
    deadline = time.monotonic() + seconds
    value = read()
    while not ready(value) and time.monotonic() < deadline:
        time.sleep(0.5)
        value = read()
    return value


class Made:
    """Subscribers and transactions a test makes, deleted when it ends (messages first)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.subscribers: list[str] = []
        self.transactions: list[str] = []

    def subscriber(self) -> str:
        self.subscribers.append(f"parity-inbox-{uuid.uuid4().hex[:12]}")
        return self.subscribers[-1]

    def trigger(self, to: Any, **extra: Any) -> dict[str, Any]:
        body = {"name": WORKFLOW, "to": to, "payload": {"author": "Ada", "snippet": "ping"}, **extra}
        response = self.client.post("/v1/events/trigger", json=body)
        assert response.status_code == 201, response.text
        data = response.json()["data"]
        if data.get("transactionId"):
            self.transactions.append(data["transactionId"])
        return data

    def delivered(self, to: str, **extra: Any) -> list[dict[str, Any]]:
        """Trigger for ``to`` and wait for its v1 feed to show the message."""
        self.trigger(to, **extra)
        return eventually(lambda: feed(self.client, to), lambda items: bool(items))

    def clean(self) -> None:
        for transaction_id in self.transactions:
            self.client.delete(f"/v1/messages/transaction/{transaction_id}")
        for subscriber_id in self.subscribers:
            self.client.delete(f"/v2/subscribers/{subscriber_id}")


@pytest.fixture
def made(client: httpx.Client) -> Iterator[Made]:
    made = Made(client)
    workflows = client.post("/v1/events/trigger", json={"name": WORKFLOW, "to": made.subscriber(), "payload": {}})
    if workflows.status_code == 422 and "workflow_not_found" in workflows.text:
        pytest.skip(f"the target has no workflow {WORKFLOW!r} (set NOVU_INBOX_WORKFLOW)")
    made.transactions.append(workflows.json()["data"]["transactionId"])
    yield made
    made.clean()


def feed(client: httpx.Client, subscriber_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/subscribers/{subscriber_id}/notifications/feed", params={"limit": 100})
    return response.json()["data"] if response.status_code == 200 else []


# -- trigger -----------------------------------------------------------------------------------


def test_an_unknown_workflow_is_422_workflow_not_found(client) -> None:
    """apps/api/src/app/events/usecases/parse-event-request/parse-event-request.usecase.ts:
    no template for the identifier -> UnprocessableEntityException('workflow_not_found')."""
    response = client.post("/v1/events/trigger", json={"name": f"no-such-{uuid.uuid4().hex}", "to": "anyone"})
    assert response.status_code == 422
    assert response.json()["message"] == "workflow_not_found"


def test_a_processed_trigger_answers_status_transaction_and_activity_link(made) -> None:
    """parse-event-request.usecase.ts (dispatchEventToWorkflowQueue): acknowledged, status
    processed, the transactionId and an activityFeedLink to the dashboard's request log; jobData
    only for bulk triggers."""
    data = made.trigger(made.subscriber())
    assert data["acknowledged"] is True and data["status"] == "processed"
    assert re.search(r"/env/[^/]+/activity/requests\?selectedLogId=.+$", data["activityFeedLink"])
    assert "jobData" not in data


def test_a_generated_transaction_id_is_txn_and_an_object_id(made) -> None:
    """apps/api/src/app/shared/helpers/generate-transaction-id.ts: `txn_` + generateObjectId()."""
    assert re.fullmatch(r"txn_[0-9a-f]{24}", made.trigger(made.subscriber())["transactionId"])


def test_a_reused_transaction_id_is_acknowledged_and_ignored(client, made) -> None:
    """libs/application-generic/src/usecases/trigger-event/trigger-event.usecase.ts
    (validateTransactionIdProperty): the worker drops a trigger whose transactionId has jobs, after
    the API acknowledged it."""
    subscriber_id = made.subscriber()
    transaction_id = f"parity-tx-{uuid.uuid4().hex}"
    assert len(made.delivered(subscriber_id, transactionId=transaction_id)) == 1
    again = made.trigger(subscriber_id, transactionId=transaction_id)
    assert again["status"] == "processed" and again["transactionId"] == transaction_id
    time.sleep(0 if client.base_url.host in ("127.0.0.1", "localhost", "testserver") else 5)
    assert len(feed(client, subscriber_id)) == 1


def test_a_tenant_that_does_not_exist_is_no_tenant_found(client, made) -> None:
    """parse-event-request.usecase.ts: the tenant is looked up first; none -> acknowledged with
    status no_tenant_found (and the transactionId), nothing queued."""
    subscriber_id = made.subscriber()
    data = made.trigger(subscriber_id, tenant=f"no-tenant-{uuid.uuid4().hex}")
    assert data["status"] == "no_tenant_found" and data["transactionId"]
    assert client.get(f"/v2/subscribers/{subscriber_id}").status_code == 404


def test_a_topic_that_does_not_exist_reaches_nobody_and_the_rest_still_get_it(made) -> None:
    """libs/application-generic/src/usecases/trigger-multicast/trigger-multicast.usecase.ts: a
    topic's subscribers are looked up by key; an unknown key adds nobody."""
    subscriber_id = made.subscriber()
    data = made.trigger([{"type": "Topic", "topicKey": f"no-topic-{uuid.uuid4().hex}"}, subscriber_id])
    assert data["status"] == "processed"
    assert len(eventually(lambda: feed(made.client, subscriber_id), bool)) == 1


# -- messages ----------------------------------------------------------------------------------


def test_a_messages_page_over_1000_is_400(client) -> None:
    """apps/api/src/app/messages/usecases/get-messages/get-messages.usecase.ts."""
    response = client.get("/v1/messages", params={"limit": 1001})
    assert response.status_code == 400 and response.json()["message"] == "Limit can not be larger then 1000"
    assert client.get("/v1/messages", params={"limit": 1000}).status_code == 200


def test_messages_of_a_subscriber_that_does_not_exist_are_404(client) -> None:
    """get-messages.usecase.ts looks the subscriber up through subscribers/usecases/get-subscriber,
    which throws NotFoundException(`Subscriber not found for id ...`)."""
    response = client.get("/v1/messages", params={"subscriberId": f"nobody-{uuid.uuid4().hex}"})
    assert response.status_code == 404


def test_deleting_the_messages_of_an_unknown_transaction_is_404(client) -> None:
    """apps/api/src/app/messages/usecases/remove-messages-by-transactionId/...usecase.ts."""
    response = client.delete(f"/v1/messages/transaction/unknown-{uuid.uuid4().hex}")
    assert response.status_code == 404 and response.json()["message"] == "Invalid transactionId or channel"


def test_deleting_an_unknown_message_is_404(client) -> None:
    """apps/api/src/app/messages/usecases/remove-message/remove-message.usecase.ts."""
    response = client.delete(f"/v1/messages/{UNKNOWN_ID}")
    assert response.status_code == 404 and response.json()["message"] == f"Message with id {UNKNOWN_ID} not found"


# -- activity ----------------------------------------------------------------------------------


def test_an_activity_page_holds_at_most_50(client) -> None:
    """apps/api/src/app/notifications/dtos/activities-request.dto.ts: limit @Min(1) @Max(50)."""
    assert client.get("/v1/notifications", params={"limit": 50}).status_code == 200
    assert client.get("/v1/notifications", params={"limit": 51}).status_code == 422


def test_an_activity_page_is_page_page_size_has_more_and_data(client) -> None:
    """notifications/usecases/get-activity-feed/get-activity-feed.usecase.ts: no totalCount."""
    body = client.get("/v1/notifications", params={"limit": 2}).json()
    assert set(body) == {"page", "pageSize", "hasMore", "data"} and body["pageSize"] == 2


def test_an_activity_item_lists_a_job_per_step_with_its_execution_details(client, made) -> None:
    """notifications/usecases/get-activity-feed/map-feed-item-to.dto.ts (mapJobToDto,
    convertExecutionDetail)."""
    subscriber_id = made.subscriber()
    transaction_id = made.trigger(subscriber_id)["transactionId"]
    items = eventually(
        lambda: client.get("/v1/notifications", params={"transactionId": transaction_id}).json()["data"],
        lambda found: bool(found) and all(job["executionDetails"] for job in found[0].get("jobs", [])),
    )
    jobs = items[0]["jobs"]
    assert "in_app" in [job["type"] for job in jobs]
    for job in jobs:
        assert OBJECT_ID.match(job["_id"]) and job["status"] and job["providerId"]
        assert {"_id", "active", "filters", "_templateId"} <= set(job["step"])
        for detail in job["executionDetails"]:
            assert {"_id", "status", "detail", "isRetry", "isTest", "source"} <= set(detail)


def test_topic_subscription_and_context_filters_narrow_the_activity(client, made) -> None:
    """activities-request.dto.ts: topicKey, subscriptionId and contextKeys filter the activity; a
    trigger sent to a subscriber directly, without context, is under none of them."""
    transaction_id = made.trigger(made.subscriber())["transactionId"]
    base = {"transactionId": transaction_id}
    assert eventually(lambda: client.get("/v1/notifications", params=base).json()["data"], bool)
    for extra in ({"topicKey": "no-such-topic"}, {"subscriptionId": UNKNOWN_ID}, {"contextKeys": "tenant:acme"}):
        assert client.get("/v1/notifications", params={**base, **extra}).json()["data"] == [], extra


def test_context_keys_select_messages_and_activity_of_exactly_those_contexts(client, made) -> None:
    """libs/dal/src/repositories/base-repository.ts (buildContextExactMatchQuery) as
    message.repository.ts getMessages and notification.repository.ts apply it: the records whose
    contexts are all of the keys and no others; an empty value selects records without one."""
    subscriber_id = made.subscriber()
    plain = made.trigger(subscriber_id)["transactionId"]
    tenant = made.trigger(subscriber_id, context={"tenant": "acme"})["transactionId"]
    both = made.trigger(subscriber_id, context={"tenant": "acme", "project": "p1"})["transactionId"]
    base = {"subscriberId": subscriber_id, "limit": 100}
    eventually(lambda: client.get("/v1/messages", params=base).json()["data"], lambda items: len(items) == 3)
    for keys, expected in (([""], {plain}), (["tenant:acme"], {tenant}), (["project:p1", "tenant:acme"], {both})):
        messages = client.get("/v1/messages", params={**base, "contextKeys": keys}).json()["data"]
        assert {m["transactionId"] for m in messages} == expected, keys
        activity = client.get("/v1/notifications", params={"subscriberIds": subscriber_id, "contextKeys": keys})
        assert {n["transactionId"] for n in activity.json()["data"]} == expected, keys


def test_the_message_list_populates_ten_subscriber_fields_and_mark_as_none(client, made) -> None:
    """libs/dal/src/repositories/message/message.repository.ts: getMessages populates `_id
    firstName lastName avatar subscriberId createdAt updatedAt _organizationId _environmentId
    deleted`; changeMessagesStatus reads the messages back without populating the subscriber."""
    subscriber_id = made.subscriber()
    made.client.post("/v2/subscribers", json={"subscriberId": subscriber_id, "firstName": "Ada", "email": "a@example.com"})
    made.delivered(subscriber_id)
    messages = client.get("/v1/messages", params={"subscriberId": subscriber_id}).json()["data"]
    populated = messages[0]["subscriber"]
    assert {"_id", "subscriberId", "firstName", "createdAt", "updatedAt", "_organizationId", "_environmentId", "deleted"} <= set(populated)
    assert not {"email", "phone", "channels", "data", "locale"} & set(populated)
    marked = client.post(
        f"/v1/subscribers/{subscriber_id}/messages/mark-as", json={"messageId": messages[0]["_id"], "markAs": "read"}
    )
    assert marked.status_code == 201 and "subscriber" not in marked.json()["data"][0]


# -- v1 inbox ----------------------------------------------------------------------------------


def test_the_feed_of_a_subscriber_that_does_not_exist_is_400(client) -> None:
    """apps/api/src/app/widgets/usecases/get-notifications-feed/get-notifications-feed.usecase.ts."""
    subscriber_id = f"nobody-{uuid.uuid4().hex}"
    response = client.get(f"/v1/subscribers/{subscriber_id}/notifications/feed")
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Subscriber not found for this environment with the id: {subscriber_id}. "
        "Make sure to create a subscriber before fetching the feed."
    )


def test_a_feed_payload_that_is_not_base64_json_is_400(client, made) -> None:
    """get-notifications-feed.usecase.ts: JSON.parse of the base64-decoded payload fails -> 400."""
    subscriber_id = made.subscriber()
    made.delivered(subscriber_id)
    payload = base64.b64encode(b"not json").decode()
    response = client.get(f"/v1/subscribers/{subscriber_id}/notifications/feed", params={"payload": payload})
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid payload, the JSON object should be encoded to base64 string."


def test_the_unseen_count_of_a_subscriber_that_does_not_exist_is_400(client) -> None:
    """apps/api/src/app/widgets/usecases/get-feed-count/get-feed-count.usecase.ts."""
    response = client.get(f"/v1/subscribers/nobody-{uuid.uuid4().hex}/notifications/unseen")
    assert response.status_code == 400 and "please provide a valid subscriber identifier" in response.json()["message"]


def test_mark_as_for_a_subscriber_that_does_not_exist_is_404(client) -> None:
    """apps/api/src/app/widgets/usecases/mark-message-as/mark-message-as.usecase.ts."""
    subscriber_id = f"nobody-{uuid.uuid4().hex}"
    response = client.post(
        f"/v1/subscribers/{subscriber_id}/messages/mark-as", json={"messageId": UNKNOWN_ID, "markAs": "read"}
    )
    assert response.status_code == 404 and response.json()["message"] == f"Subscriber {subscriber_id} not found"


def test_mark_as_answers_the_messages_found_and_leaves_unknown_ids_out(client, made) -> None:
    """mark-message-as.usecase.ts: the status changes where ids match, then the messages are found
    by id ($in): an id of no message is simply not listed."""
    subscriber_id = made.subscriber()
    (message,) = made.delivered(subscriber_id)
    response = client.post(
        f"/v1/subscribers/{subscriber_id}/messages/mark-as",
        json={"messageId": [message["_id"], UNKNOWN_ID], "markAs": "read"},
    )
    assert response.status_code == 201
    assert [(item["_id"], item["read"]) for item in response.json()["data"]] == [(message["_id"], True)]


def test_mark_all_for_a_subscriber_that_does_not_exist_is_404(client) -> None:
    """apps/api/src/app/widgets/usecases/mark-all-messages-as/mark-all-messages-as.usecase.ts."""
    response = client.post(f"/v1/subscribers/nobody-{uuid.uuid4().hex}/messages/mark-all", json={"markAs": "read"})
    assert response.status_code == 404 and "please provide a valid subscriber identifier" in response.json()["message"]


def test_mark_all_answers_the_number_changed_in_an_envelope(client, made) -> None:
    """apps/api/src/app/shared/framework/response.interceptor.ts: a number is wrapped in
    `{"data": ...}`; widgets/usecases/mark-all-messages-as answers how many messages changed."""
    subscriber_id = made.subscriber()
    made.delivered(subscriber_id)
    response = client.post(f"/v1/subscribers/{subscriber_id}/messages/mark-all", json={"markAs": "read"})
    assert response.status_code == 201 and response.json() == {"data": 1}


def test_an_action_on_an_unknown_message_is_404(client, made) -> None:
    """apps/api/src/app/widgets/usecases/mark-action-as-done/update-message-actions.usecase.ts."""
    subscriber_id = made.subscriber()
    made.delivered(subscriber_id)
    response = client.post(
        f"/v1/subscribers/{subscriber_id}/messages/{UNKNOWN_ID}/actions/primary", json={"status": "done"}
    )
    assert response.status_code == 404 and response.json()["message"] == f"Message {UNKNOWN_ID} not found"


def test_feed_subscribers_carry_no_null_names(made) -> None:
    """novu-py SubscriberFeedResponseDto: firstName, lastName, avatar are optional strings."""
    subscriber_id = made.subscriber()
    (item,) = made.delivered(subscriber_id)
    assert None not in item["subscriber"].values()


# -- v2 inbox ----------------------------------------------------------------------------------


def test_an_unknown_notification_is_404(client, made) -> None:
    """apps/api/src/app/inbox/usecases/mark-notification-as/mark-notification-as.usecase.ts."""
    subscriber_id = made.subscriber()
    made.delivered(subscriber_id)
    response = client.patch(f"/v2/subscribers/{subscriber_id}/notifications/{UNKNOWN_ID}/read")
    assert response.status_code == 404
    assert response.json()["message"] == f"Notification with id: {UNKNOWN_ID} is not found."


def test_the_inbox_of_a_subscriber_that_does_not_exist_is_404(client) -> None:
    """inbox/usecases/get-notifications/get-notifications.usecase.ts calls
    subscribers/usecases/get-subscriber, which throws NotFoundException first."""
    subscriber_id = f"nobody-{uuid.uuid4().hex}"
    response = client.get(f"/v2/subscribers/{subscriber_id}/notifications")
    assert response.status_code == 404 and response.json()["message"] == f"Subscriber not found for id {subscriber_id}"


def test_counting_for_a_subscriber_that_does_not_exist_is_400(client) -> None:
    """apps/api/src/app/inbox/usecases/notifications-count/notifications-count.usecase.ts."""
    subscriber_id = f"nobody-{uuid.uuid4().hex}"
    response = client.get(f"/v2/subscribers/{subscriber_id}/notifications/count", params={"filters": "[{}]"})
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"Subscriber {subscriber_id} doesn't exist")


def test_unread_and_archived_together_is_400(client, made) -> None:
    """get-notifications.usecase.ts and notifications-count.usecase.ts refuse the combination."""
    subscriber_id = made.subscriber()
    made.delivered(subscriber_id)
    listed = client.get(f"/v2/subscribers/{subscriber_id}/notifications", params={"read": "false", "archived": "true"})
    counted = client.get(
        f"/v2/subscribers/{subscriber_id}/notifications/count",
        params={"filters": json.dumps([{"read": False, "archived": True}])},
    )
    for response in (listed, counted):
        assert response.status_code == 400
        assert response.json()["message"] == "Filtering for unread and archived notifications is not supported."


def test_completing_a_button_the_notification_lacks_is_400(client, made) -> None:
    """inbox/usecases/update-notification-action/update-notification-action.usecase.ts."""
    subscriber_id = made.subscriber()
    (message,) = made.delivered(subscriber_id, name=ONE_BUTTON_WORKFLOW)
    response = client.patch(
        f"/v2/subscribers/{subscriber_id}/notifications/{message['_id']}/actions/secondary/complete"
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Could not perform action on the secondary button because it does not exist."


def test_a_snooze_less_than_a_minute_ahead_is_422(client, made) -> None:
    """inbox/dtos/snooze-notification-request.dto.ts: IsFutureDate, at least 60 s ahead."""
    subscriber_id = made.subscriber()
    (message,) = made.delivered(subscriber_id)
    soon = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
    response = client.patch(
        f"/v2/subscribers/{subscriber_id}/notifications/{message['_id']}/snooze", json={"snoozeUntil": soon}
    )
    assert response.status_code == 422
    assert "Snooze time must be at least 60 seconds in the future" in json.dumps(response.json())


def test_a_snooze_beyond_the_plan_is_402(client, made) -> None:
    """inbox/usecases/snooze-notification/snooze-notification.usecase.ts (validateSnoozeDuration):
    longer than PLATFORM_MAX_SNOOZE_DURATION (24 hours on the free plan) -> 402."""
    subscriber_id = made.subscriber()
    (message,) = made.delivered(subscriber_id)
    later = (datetime.now(UTC) + timedelta(hours=25)).isoformat()
    response = client.patch(
        f"/v2/subscribers/{subscriber_id}/notifications/{message['_id']}/snooze", json={"snoozeUntil": later}
    )
    assert response.status_code == 402 and response.json()["message"] == "Snooze Duration Limit Exceeded"


def test_a_changed_notification_comes_back_in_an_envelope(client, made) -> None:
    """apps/api/src/app/shared/framework/response.interceptor.ts: a result with a truthy `id` is
    always wrapped in `{"data": ...}`, though an inbox notification has a `data` of its own."""
    subscriber_id = made.subscriber()
    (message,) = made.delivered(subscriber_id)
    body = client.patch(f"/v2/subscribers/{subscriber_id}/notifications/{message['_id']}/read").json()
    assert set(body) == {"data"} and body["data"]["id"] == message["_id"] and body["data"]["isRead"] is True


def test_inbox_recipients_carry_no_null_names(client, made) -> None:
    """subscribers-v2/dtos/inbox-notification.dto.ts (novu-py InboxSubscriberResponseDto):
    firstName, lastName and avatar of `to` are optional strings, never null."""
    subscriber_id = made.subscriber()
    made.delivered(subscriber_id)
    (notification,) = client.get(f"/v2/subscribers/{subscriber_id}/notifications").json()["data"]
    assert None not in notification["to"].values()
