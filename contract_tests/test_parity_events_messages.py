"""Parity with Novu's server code for the bulk and broadcast triggers, the v1 messages and the
activity (``/v1/notifications``): what each answers, how it refuses, and which inputs it takes.
One rule of Novu per test, black-box over HTTP against the target.

Each docstring names the file of ``novuhq/novu`` that shows the rule: ``apps/api/src/app/...``
files as of 2025-2026 (search index; the ``libs/dal`` getFeed with delivery lifecycle events, the
process-bulk-trigger with context and batches of five, the activities DTO with contextKeys), or
the October 2024 snapshot where no newer version differs. The single trigger's rules are in
test_parity_trigger.py and test_trigger_family.py and are not repeated here. Delivery is
asynchronous on a real Novu, so reads after a trigger poll for a while. Needs a workflow with an
in-app step (the mock's fixtures have ``comment-mention``; override with NOVU_INBOX_WORKFLOW).
Everything a test makes starts with ``contract-`` and is deleted when it ends.
"""

from __future__ import annotations

import uuid

import pytest

from contract_tests.test_parity_inbox import eventually
from contract_tests.test_trigger_family import WORKFLOW

PREFIX = "contract-pem-"
UNKNOWN_ID = "64f0a0a0a0a0a0a0a0a0a0a0"


@pytest.fixture
def world(client, created_at):
    """Subscribers, triggers to them, reads of their activity and messages, and cleanup."""
    subscribers = created_at("/v2/subscribers", "subscriberId")
    transactions: list[str] = []

    class World:
        def subscriber(self, **profile) -> str:
            subscriber_id = f"{PREFIX}{uuid.uuid4().hex[:12]}"
            return subscribers.create({"subscriberId": subscriber_id, **profile})["subscriberId"]

        def trigger(self, to, **extra) -> str:
            body = {"name": WORKFLOW, "to": to, "payload": {"author": "Ada", "snippet": "hi"}, **extra}
            response = client.post("/v1/events/trigger", json=body)
            assert response.status_code == 201, response.text
            transactions.append(response.json()["data"]["transactionId"])
            return transactions[-1]

        def forget(self, transaction_id: str) -> str:
            transactions.append(transaction_id)
            return transaction_id

        def activity(self, expected: int, **params) -> dict:
            """The activity page for ``params`` once it holds ``expected`` notifications."""

            def read():
                answer = client.get("/v1/notifications", params=params)
                assert answer.status_code == 200, answer.text
                return answer.json()

            return eventually(read, lambda body: len(body["data"]) >= expected)

        def messages(self, expected: int, **params) -> list[dict]:
            def read():
                answer = client.get("/v1/messages", params=params)
                assert answer.status_code == 200, answer.text
                return answer.json()["data"]

            return eventually(read, lambda found: len(found) >= expected)

    yield World()
    for transaction_id in transactions:
        client.delete(f"/v1/messages/transaction/{transaction_id}")


def _refusal(response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["statusCode"] == status and response.json()["message"] == message


# -- bulk trigger ------------------------------------------------------------------------------------


def test_a_refused_bulk_event_echoes_its_own_transaction_id(client) -> None:
    """apps/api/src/app/events/usecases/process-bulk-trigger/process-bulk-trigger.usecase.ts
    (2025-26): the error item of an event is {acknowledged, status: error, error,
    transactionId: event.transactionId}."""
    transaction_id = f"{PREFIX}{uuid.uuid4().hex}"
    event = {"name": f"no-such-workflow-{uuid.uuid4().hex[:8]}", "to": "anyone", "payload": {},
             "transactionId": transaction_id}  # fmt: skip
    response = client.post("/v1/events/trigger/bulk", json={"events": [event]})
    assert response.status_code == 201, response.text
    assert response.json() == {"data": [{"acknowledged": True, "status": "error", "error": ["workflow_not_found"],
                                         "transactionId": transaction_id}]}  # fmt: skip


def test_each_bulk_event_keeps_the_transaction_id_it_names(client, world) -> None:
    """process-bulk-trigger.usecase.ts passes each event's transactionId to ParseEventRequest,
    which answers it; events without one get their own generated id."""
    person = world.subscriber()
    named = world.forget(f"{PREFIX}{uuid.uuid4().hex}")
    events = [{"name": WORKFLOW, "to": person, "payload": {}, "transactionId": named},
              {"name": WORKFLOW, "to": person, "payload": {}}]  # fmt: skip
    response = client.post("/v1/events/trigger/bulk", json={"events": events})
    assert response.status_code == 201, response.text
    first, second = response.json()["data"]
    world.forget(second["transactionId"])
    assert first["status"] == second["status"] == "processed"
    assert first["transactionId"] == named
    assert second["transactionId"] and second["transactionId"] != named
    assert len(world.activity(1, transactionId=named)["data"]) == 1


def test_bulk_events_must_be_a_list(client) -> None:
    """apps/api/src/app/events/usecases/process-bulk-trigger/process-bulk-trigger.command.ts:
    IsArray (the events are checked before any is triggered)."""
    response = client.post("/v1/events/trigger/bulk", json={"events": {"name": WORKFLOW, "to": "anyone"}})
    assert response.status_code in (400, 422), response.text


# -- broadcast -------------------------------------------------------------------------------------


def test_a_broadcast_answers_as_its_parse_with_the_transaction_id_it_names(client, world) -> None:
    """apps/api/src/app/events/usecases/trigger-event-to-all/trigger-event-to-all.usecase.ts
    (2025-26, with context): {acknowledged, status, transactionId, activityFeedLink} of the
    ParseEventRequest result, as the single trigger answers."""
    transaction_id = world.forget(f"{PREFIX}{uuid.uuid4().hex}")
    body = {"name": WORKFLOW, "payload": {}, "transactionId": transaction_id}
    response = client.post("/v1/events/trigger/broadcast", json=body)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(data) == {"acknowledged", "status", "transactionId", "activityFeedLink"}
    assert data["acknowledged"] is True and data["status"] == "processed" and data["transactionId"] == transaction_id
    assert data["activityFeedLink"].startswith("https://")


def test_a_broadcast_without_a_transaction_id_gets_a_new_one_each_time(client, world) -> None:
    """apps/api/src/app/events/events.controller.ts: body.transactionId || a generated id."""
    answers = [client.post("/v1/events/trigger/broadcast", json={"name": WORKFLOW, "payload": {}}) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [201, 201]
    ids = [world.forget(answer.json()["data"]["transactionId"]) for answer in answers]
    assert all(ids) and ids[0] != ids[1]


def test_a_broadcast_reaches_a_subscriber_of_the_environment(client, world) -> None:
    """trigger-event-to-all.usecase.ts hands ParseEventRequest a BROADCAST addressing; the worker's
    trigger-broadcast sends to every subscriber of the environment."""
    person = world.subscriber()
    transaction_id = world.forget(f"{PREFIX}{uuid.uuid4().hex}")
    body = {"name": WORKFLOW, "payload": {"author": "Ada"}, "transactionId": transaction_id}
    assert client.post("/v1/events/trigger/broadcast", json=body).status_code == 201
    found = world.activity(1, transactionId=transaction_id, subscriberIds=person)
    assert [item["subscriber"]["subscriberId"] for item in found["data"]] == [person]


def test_a_broadcasts_payload_must_be_an_object(client) -> None:
    """apps/api/src/app/events/dtos/trigger-event-to-all-request.dto.ts: payload @IsObject()."""
    response = client.post("/v1/events/trigger/broadcast", json={"name": WORKFLOW, "payload": "text"})
    assert response.status_code == 422 and "payload" in response.json()["errors"]


def test_a_broadcast_needs_a_workflow_name(client) -> None:
    """trigger-event-to-all-request.dto.ts: name @IsString() @IsDefined()."""
    response = client.post("/v1/events/trigger/broadcast", json={"payload": {}})
    assert response.status_code == 422 and "name" in response.json()["errors"]
    response = client.post("/v1/events/trigger/broadcast", json={"name": 7, "payload": {}})
    assert response.status_code == 422 and "name" in response.json()["errors"]


def test_a_broadcasts_transaction_id_must_be_text(client) -> None:
    """trigger-event-to-all-request.dto.ts: transactionId @IsString() @IsOptional()."""
    response = client.post("/v1/events/trigger/broadcast", json={"name": WORKFLOW, "payload": {}, "transactionId": 5})
    assert response.status_code == 422 and "transactionId" in response.json()["errors"]


# -- cancel ----------------------------------------------------------------------------------------


def test_canceling_twice_answers_false_the_second_time(client, world) -> None:
    """apps/api/src/app/events/usecases/cancel-delayed/cancel-delayed.usecase.ts: only delayed or
    merged jobs are canceled, so nothing is left the second time (false)."""
    transaction_id = world.trigger(world.subscriber())
    world.activity(1, transactionId=transaction_id)
    client.delete(f"/v1/events/trigger/{transaction_id}")
    again = client.delete(f"/v1/events/trigger/{transaction_id}")
    assert again.status_code == 200 and again.json() == {"data": False}


def test_cancel_sees_only_the_transactions_of_its_environment(client, other_client, world) -> None:
    """cancel-delayed.usecase.ts finds the jobs by _environmentId and transactionId."""
    transaction_id = world.trigger(world.subscriber())
    world.activity(1, transactionId=transaction_id)
    response = other_client.delete(f"/v1/events/trigger/{transaction_id}")
    assert response.status_code == 200 and response.json() == {"data": False}


# -- messages --------------------------------------------------------------------------------------


def test_the_messages_page_starts_at_page_0_of_10(client) -> None:
    """apps/api/src/app/messages/dtos/get-messages-requests.dto.ts: page defaults to 0, limit to 10;
    get-messages.usecase.ts answers page, pageSize, hasMore and data (not wrapped again)."""
    body = client.get("/v1/messages").json()
    assert {"page", "pageSize", "hasMore", "data"} <= set(body)
    assert body["page"] == 0 and body["pageSize"] == 10 and len(body["data"]) <= 10


def test_the_messages_channel_filter_takes_any_text(client) -> None:
    """get-messages-requests.dto.ts: channel has no validator (only the swagger enum), so a channel
    Novu does not know selects no message instead of a 422."""
    response = client.get("/v1/messages", params={"channel": f"pigeon-{uuid.uuid4().hex[:6]}"})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []


def test_the_messages_page_and_limit_must_be_numbers(client) -> None:
    """get-messages-requests.dto.ts: page and limit @IsNumber() after Number(value)."""
    assert client.get("/v1/messages", params={"page": "first"}).status_code == 422
    assert client.get("/v1/messages", params={"limit": "many"}).status_code == 422


def test_messages_filter_by_several_transactions(client, world) -> None:
    """get-messages-requests.dto.ts transactionId (one or a list); get-messages.usecase.ts matches
    any of them."""
    person = world.subscriber()
    first, second, third = (world.trigger(person) for _ in range(3))
    found = world.messages(2, transactionId=[first, second])
    assert sorted(message["transactionId"] for message in found) == sorted([first, second])
    assert third not in [message["transactionId"] for message in found]


def test_messages_filter_by_channel_and_subscriber(client, world) -> None:
    """get-messages.usecase.ts: channel and the subscriber's _id narrow the query."""
    person, other = world.subscriber(), world.subscriber()
    transaction_id = world.trigger([person, other])
    mine = world.messages(1, subscriberId=person, channel="in_app")
    assert [message["transactionId"] for message in mine] == [transaction_id]
    assert mine[0]["subscriber"]["subscriberId"] == person and mine[0]["channel"] == "in_app"
    assert world.messages(0, subscriberId=person, channel="email") == []


def test_deleting_a_message_answers_acknowledged_deleted(client, world) -> None:
    """apps/api/src/app/messages/usecases/remove-message/remove-message.usecase.ts returns
    {acknowledged: true, status: 'deleted'} (DeleteMessageResponseDto); the message is gone."""
    transaction_id = world.trigger(world.subscriber())
    message = world.messages(1, transactionId=transaction_id)[0]
    response = client.delete(f"/v1/messages/{message['_id']}")
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"acknowledged": True, "status": "deleted"}}
    assert client.get("/v1/messages", params={"transactionId": transaction_id}).json()["data"] == []
    _refusal(client.delete(f"/v1/messages/{message['_id']}"), 404, f"Message with id {message['_id']} not found")


def test_a_message_id_must_be_an_object_id(client) -> None:
    """apps/api/src/app/messages/params/delete-message.param.ts: messageId @IsMongoId()."""
    assert client.delete("/v1/messages/not-an-id").status_code == 422


def test_deleting_a_transactions_messages_is_204_and_then_404(client, world) -> None:
    """apps/api/src/app/messages/messages.controller.ts (HttpCode NO_CONTENT);
    remove-messages-by-transactionId.usecase.ts finds the messages first: none left is 404."""
    transaction_id = world.trigger(world.subscriber())
    world.messages(1, transactionId=transaction_id)
    response = client.delete(f"/v1/messages/transaction/{transaction_id}")
    assert response.status_code == 204 and response.content == b""
    _refusal(client.delete(f"/v1/messages/transaction/{transaction_id}"), 404, "Invalid transactionId or channel")


def test_deleting_a_transactions_messages_of_another_channel_is_404(client, world) -> None:
    """remove-messages-by-transactionId.usecase.ts: the channel joins the lookup, so a channel the
    transaction sent nothing on finds nothing; the in-app messages stay."""
    transaction_id = world.trigger(world.subscriber())
    world.messages(1, transactionId=transaction_id)
    response = client.delete(f"/v1/messages/transaction/{transaction_id}", params={"channel": "email"})
    _refusal(response, 404, "Invalid transactionId or channel")
    assert len(world.messages(1, transactionId=transaction_id)) == 1


def test_deleting_a_transactions_messages_takes_only_known_channels(client) -> None:
    """apps/api/src/app/messages/dtos/remove-messages-by-transactionId-request.dto.ts: channel
    @IsEnum(ChannelTypeEnum)."""
    response = client.delete(f"/v1/messages/transaction/{uuid.uuid4().hex}", params={"channel": "pigeon"})
    assert response.status_code == 422
    [message] = response.json()["errors"]["general"]["messages"]
    assert message.startswith("channel must be one of the following values: ")


# -- activity --------------------------------------------------------------------------------------


def test_an_unknown_notification_is_404_notification_not_found(client) -> None:
    """apps/api/src/app/notifications/usecases/get-activity/get-activity.usecase.ts (2025-26):
    NotFoundException('Notification not found', {cause: ...}): the id stays out of the message."""
    _refusal(client.get(f"/v1/notifications/{UNKNOWN_ID}"), 404, "Notification not found")


def test_one_notification_is_the_item_the_list_shows(client, world) -> None:
    """get-activity.usecase.ts and get-activity-feed.usecase.ts both answer mapFeedItemToDto of
    the same feed item (wrapped in data for the one)."""
    transaction_id = world.trigger(world.subscriber())
    listed = world.activity(1, transactionId=transaction_id)["data"][0]
    one = client.get(f"/v1/notifications/{listed['_id']}")
    assert one.status_code == 200 and set(one.json()) == {"data"}
    assert one.json()["data"]["_id"] == listed["_id"]
    assert one.json()["data"]["transactionId"] == transaction_id


def test_an_after_that_is_no_date_is_400(client) -> None:
    """apps/api/src/app/notifications/usecases/get-activity-feed/get-activity-feed.usecase.ts
    parseAndValidateDate (the DTO takes any text)."""
    message = "Invalid date format for parameter '{}': yesterday. Please provide a valid ISO 8601 date string."
    _refusal(client.get("/v1/notifications", params={"after": "yesterday"}), 400, message.format("after"))
    _refusal(client.get("/v1/notifications", params={"before": "yesterday"}), 400, message.format("before"))


def test_an_after_later_than_before_is_400(client) -> None:
    """get-activity-feed.usecase.ts validateDateRange / the self-hosted branch."""
    params = {"after": "2026-02-02T00:00:00Z", "before": "2026-02-01T00:00:00Z"}
    _refusal(client.get("/v1/notifications", params=params), 400,
             "Invalid date range: start date (after) must be earlier than end date (before)")  # fmt: skip


def test_after_and_before_take_a_date_and_narrow_by_creation(client, world) -> None:
    """get-activity-feed.usecase.ts reads them with new Date() (a plain date is midnight UTC);
    libs/dal/src/repositories/notification/notification.repository.ts getFeed: createdAt $gte
    after and $lte before."""
    transaction_id = world.trigger(world.subscriber())
    created = world.activity(1, transactionId=transaction_id)["data"][0]["createdAt"]
    day = created[:10]
    assert client.get("/v1/notifications", params={"after": day}).status_code == 200
    around = {"transactionId": transaction_id, "after": created, "before": created}
    assert len(client.get("/v1/notifications", params=around).json()["data"]) == 1
    later = {"transactionId": transaction_id, "after": "2999-01-01", "before": "2999-01-02"}
    assert client.get("/v1/notifications", params=later).json()["data"] == []


def test_recipient_filters_that_name_nobody_answer_page_0(client) -> None:
    """get-activity-feed.usecase.ts: when subscriberIds, emails or search find no subscriber the
    answer is {page: 0, hasMore: false, pageSize, data: []} whatever page was asked."""
    nobody = f"{PREFIX}nobody-{uuid.uuid4().hex}"
    for params in ({"subscriberIds": nobody}, {"emails": f"{nobody}@example.com"}, {"search": nobody}):
        response = client.get("/v1/notifications", params={**params, "page": 3, "limit": 7})
        assert response.status_code == 200, response.text
        assert response.json() == {"page": 0, "hasMore": False, "pageSize": 7, "data": []}, params


def test_subscriber_ids_and_emails_name_recipients_together(client, world) -> None:
    """libs/dal/src/repositories/subscriber/subscriber.repository.ts searchSubscribers: $or of
    email $in emails and subscriberId $in subscriberIds."""
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    by_id, by_email, left_out = world.subscriber(), world.subscriber(email=email), world.subscriber()
    transaction_id = world.trigger([by_id, by_email, left_out])
    world.activity(3, transactionId=transaction_id)
    found = client.get("/v1/notifications", params={"transactionId": transaction_id, "subscriberIds": by_id,
                                                    "emails": email}).json()["data"]  # fmt: skip
    assert sorted(item["subscriber"]["subscriberId"] for item in found) == sorted([by_id, by_email])


def test_search_matches_part_of_an_email_in_any_case_but_only_a_whole_subscriber_id(client, world) -> None:
    """searchSubscribers: email $regex (escaped, case-insensitive) or subscriberId $eq search."""
    tag = uuid.uuid4().hex[:10]
    person = world.subscriber(email=f"{tag}@example.com")
    transaction_id = world.trigger(person)
    world.activity(1, transactionId=transaction_id)

    def reached(search: str) -> list[str]:
        body = client.get("/v1/notifications", params={"transactionId": transaction_id, "search": search}).json()
        return [item["subscriber"]["subscriberId"] for item in body["data"]]

    assert reached(tag.upper()) == [person]
    assert reached(person) == [person]
    assert reached(person[:-2]) == []


def test_has_more_says_whether_the_page_came_back_full(client, world) -> None:
    """get-activity-feed.usecase.ts: hasMore is notifications.length === limit."""
    transaction_id = world.trigger([world.subscriber(), world.subscriber()])
    world.activity(2, transactionId=transaction_id)
    full = client.get("/v1/notifications", params={"transactionId": transaction_id, "limit": 2}).json()
    assert len(full["data"]) == 2 and full["hasMore"] is True
    short = client.get("/v1/notifications", params={"transactionId": transaction_id, "limit": 3}).json()
    assert len(short["data"]) == 2 and short["hasMore"] is False


def test_the_activity_filters_by_several_transactions(client, world) -> None:
    """activities-request.dto.ts transactionId (one or a list); getFeed: transactionId $in."""
    person = world.subscriber()
    first, second, third = (world.trigger(person) for _ in range(3))
    world.activity(1, transactionId=third)
    found = world.activity(2, transactionId=[first, second])["data"]
    assert sorted(item["transactionId"] for item in found) == sorted([first, second])


def test_the_activity_filters_by_workflow_id(client, world) -> None:
    """notification.repository.ts getFeed: templates match _templateId $in."""
    transaction_id = world.trigger(world.subscriber())
    item = world.activity(1, transactionId=transaction_id)["data"][0]
    params = {"transactionId": transaction_id, "templates": item["_templateId"]}
    assert [found["_id"] for found in client.get("/v1/notifications", params=params).json()["data"]] == [item["_id"]]
    params["templates"] = UNKNOWN_ID
    assert client.get("/v1/notifications", params=params).json()["data"] == []


def test_the_activitys_channel_filter_takes_any_text(client, world) -> None:
    """activities-request.dto.ts: channels has no validator (the swagger enum only); getFeed keeps
    notifications whose channels are $in the list, so an unknown one keeps none."""
    transaction_id = world.trigger(world.subscriber())
    world.activity(1, transactionId=transaction_id)
    for channels, expected in (("pigeon", 0), ("in_app", 1), (["pigeon", "in_app"], 1)):
        response = client.get("/v1/notifications", params={"transactionId": transaction_id, "channels": channels})
        assert response.status_code == 200 and len(response.json()["data"]) == expected, channels


def test_the_activity_page_is_a_whole_number_from_0(client) -> None:
    """activities-request.dto.ts: page @Type(Number) @IsInt() @Min(0); limit @IsInt() @Min(1)."""
    assert client.get("/v1/notifications", params={"page": -1}).status_code == 422
    assert client.get("/v1/notifications", params={"page": 1.5}).status_code == 422
    assert client.get("/v1/notifications", params={"limit": 0}).status_code == 422
    assert client.get("/v1/notifications", params={"page": 2, "limit": 1}).json()["page"] == 2


def test_the_activitys_list_filters_have_no_size_limits(client) -> None:
    """activities-request.dto.ts: templates, emails and subscriberIds are only @IsOptional(), with
    no ArrayMaxSize or length rule: 25 long subscriberIds are one query."""
    many = [f"{PREFIX}{'x' * 80}-{n}" for n in range(25)]
    response = client.get("/v1/notifications", params={"subscriberIds": many, "templates": [UNKNOWN_ID] * 25})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []


def test_an_empty_list_filter_of_the_activity_is_no_filter(client, world) -> None:
    """apps/api/src/app/notifications/notification.controller.ts maps each list filter only when
    the query value is truthy, so `subscriberIds=` (an empty text) filters nothing."""
    transaction_id = world.trigger(world.subscriber())
    world.activity(1, transactionId=transaction_id)
    for name in ("subscriberIds", "emails", "templates", "channels", "search"):
        response = client.get("/v1/notifications", params={"transactionId": transaction_id, name: ""})
        assert response.status_code == 200 and len(response.json()["data"]) == 1, name
