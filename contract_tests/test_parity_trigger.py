"""Parity with Novu's server code for what a trigger records besides its messages: the chat and
push credentials a recipient or the actor carries (``channels``), and the topics each activity
notification was sent through. One rule of Novu per test, black-box over HTTP.

Each docstring names the file of ``novuhq/novu`` that shows the rule (2025-2026 versions from
the search index; ``libs/...`` paths are the shared use cases the worker runs). Delivery is
asynchronous on a real Novu, so reads after a trigger poll for a while. Needs a workflow with an
in-app step (the mock's fixtures have ``comment-mention``; override with NOVU_INBOX_WORKFLOW).
Everything a test makes starts with ``contract-`` and is deleted when it ends.
"""

from __future__ import annotations

import uuid

import pytest

from contract_tests.test_parity_inbox import eventually
from contract_tests.test_trigger_family import WORKFLOW

PREFIX = "contract-ptrig-"


@pytest.fixture
def world(client, created_at, integration):
    """Subscribers (made here or by a trigger), topics, a chat integration, and cleanup."""
    subscribers = created_at("/v2/subscribers", "subscriberId")
    topics: list[str] = []
    transactions: list[str] = []

    class World:
        pigeon = f"{PREFIX}pigeon"  # a provider no integration of the environment has

        def __init__(self) -> None:
            self.slack = integration("slack", "chat")

        def subscriber(self, **profile) -> str:
            return subscribers.create({"subscriberId": self.new_id(), **profile})["subscriberId"]

        def new_id(self) -> str:
            subscribers.made.append(f"{PREFIX}{uuid.uuid4().hex[:12]}")  # deleted at the end
            return subscribers.made[-1]

        def topic(self, members: list[str]) -> dict:
            key = f"{PREFIX}{uuid.uuid4().hex[:12]}"
            topics.append(key)
            response = client.post(f"/v2/topics/{key}/subscriptions", json={"subscriptions": members})
            assert response.status_code in (200, 201), response.text
            return client.get(f"/v2/topics/{key}").json()["data"]

        def trigger(self, to, **extra) -> str:
            response = client.post("/v1/events/trigger", json={"name": WORKFLOW, "to": to, "payload": {}, **extra})
            assert response.status_code == 201, response.text
            assert response.json()["data"]["status"] == "processed"
            transactions.append(response.json()["data"]["transactionId"])
            return transactions[-1]

        def activity(self, transaction_id: str, expected: int, **params) -> dict[str, dict]:
            """The activity notifications of the transaction by subscriberId (once ``expected`` are there)."""

            def read():
                answer = client.get("/v1/notifications", params={"transactionId": transaction_id, **params})
                assert answer.status_code == 200, answer.text
                return {item["subscriber"]["subscriberId"]: item for item in answer.json()["data"]}

            return eventually(read, lambda found: len(found) >= expected)

        def channels(self, subscriber_id: str, expected: int = 1) -> list[dict]:
            def read():
                answer = client.get(f"/v2/subscribers/{subscriber_id}")
                return answer.json()["data"].get("channels", []) if answer.status_code == 200 else []

            return eventually(read, lambda found: len(found) >= expected)

    yield World()
    for transaction_id in transactions:
        client.delete(f"/v1/messages/transaction/{transaction_id}")
    for key in topics:
        client.delete(f"/v2/topics/{key}", params={"force": "true"})


def _slack_channel(world, **credentials) -> dict:
    return {"providerId": "slack", "integrationIdentifier": world.slack["identifier"], "credentials": credentials}


# -- channels --------------------------------------------------------------------------------------


def test_a_new_recipients_channels_are_stored_as_the_credentials_route_stores_them(client, world) -> None:
    """libs/application-generic/src/usecases/create-or-update-subscriber/create-or-update-subscriber.usecase.ts:
    a new subscriber is created, then each channel goes through update-subscriber-channel (as
    PUT /v1/subscribers/{id}/credentials does); apps/api/src/app/events/e2e/trigger-event.e2e.ts
    'should set a new subscriber with channels array'."""
    credentials = {"webhookUrl": "https://hooks.example/contract", "deviceTokens": ["t1", "t2", "t1"]}
    sid = world.new_id()
    world.activity(world.trigger({"subscriberId": sid, "channels": [_slack_channel(world, **credentials)]}), 1)
    by_route = world.subscriber()
    put = client.put(f"/v1/subscribers/{by_route}/credentials", json=_slack_channel(world, **credentials))
    assert put.status_code == 200, put.text
    assert world.channels(sid) == world.channels(by_route) == [
        {"credentials": {"webhookUrl": "https://hooks.example/contract", "deviceTokens": ["t1", "t2"]},
         "_integrationId": world.slack["_id"], "providerId": "slack"}
    ]  # fmt: skip


def test_device_tokens_given_with_a_trigger_are_added_to_the_ones_stored(client, world) -> None:
    """create-or-update-subscriber.usecase.ts calls update-subscriber-channel with
    isIdempotentOperation false: unionDeviceTokens(existing, given), where the credentials PUT
    replaces them."""
    sid = world.subscriber()
    assert client.put(f"/v1/subscribers/{sid}/credentials",
                      json=_slack_channel(world, deviceTokens=["a", "b"])).status_code == 200  # fmt: skip
    given = _slack_channel(world, deviceTokens=["b", "c"])
    world.activity(world.trigger({"subscriberId": sid, "channels": [given]}), 1)
    tokens = eventually(lambda: world.channels(sid)[0]["credentials"]["deviceTokens"], lambda found: len(found) == 3)
    assert tokens == ["a", "b", "c"]


def test_a_recipient_whose_channel_is_refused_gets_no_notification_and_keeps_its_profile(client, world) -> None:
    """libs/application-generic/src/usecases/subscribers/update-subscriber-channel/update-subscriber-channel.usecase.ts
    throws 'do not have active <provider> integration'; apps/worker/.../subscriber-job-bound.usecase.ts
    fails that subscriber's job only;
    libs/application-generic/src/usecases/update-subscriber/update-subscriber.usecase.ts stores
    the channels before the profile fields."""
    reached, refused = world.subscriber(), world.subscriber(firstName="Ada")
    transaction_id = world.trigger([reached, {"subscriberId": refused, "firstName": "Changed", "channels": [
        _slack_channel(world, webhookUrl="https://hooks.example/kept"),
        {"providerId": world.pigeon, "credentials": {"webhookUrl": "https://hooks.example/refused"}}]}])  # fmt: skip
    assert list(world.activity(transaction_id, 1)) == [reached]
    stored = client.get(f"/v2/subscribers/{refused}").json()["data"]
    assert stored["firstName"] == "Ada"
    assert [channel["credentials"] for channel in stored["channels"]] == [{"webhookUrl": "https://hooks.example/kept"}]


def test_an_actor_whose_channel_is_refused_stops_the_trigger_and_its_transaction_stays_unused(client, world) -> None:
    """libs/application-generic/src/usecases/trigger-event/trigger-event.usecase.ts processes the
    actor before the fan-out and rethrows its error: no job is made, so the transactionId is
    still free (validateTransactionIdProperty looks for jobs)."""
    people = [world.subscriber(), world.subscriber()]
    actor = {"subscriberId": world.new_id(), "channels": [{"providerId": world.pigeon, "credentials": {}}]}
    transaction_id = f"{PREFIX}{uuid.uuid4().hex}"
    world.trigger(people, actor=actor, transactionId=transaction_id)
    assert eventually(lambda: world.activity(transaction_id, 0), bool, seconds=5) == {}
    world.trigger(people, transactionId=transaction_id)
    assert sorted(world.activity(transaction_id, 2)) == sorted(people)


# -- topics of the activity ---------------------------------------------------------------------------


def test_a_notification_names_the_topics_its_subscriber_was_reached_through(client, world) -> None:
    """libs/application-generic/src/usecases/trigger-multicast/trigger-multicast.usecase.ts: per
    subscription of the topics named, the subscriber's topics {_topicId, topicKey}, each once;
    create-notification-jobs.usecase.ts stores them ([] for a subscriber named directly);
    apps/api/src/app/notifications/usecases/get-activity-feed/map-feed-item-to.dto.ts answers them."""
    direct, only_first, both = world.subscriber(), world.subscriber(), world.subscriber()
    first, second = world.topic([only_first, both]), world.topic([both])
    transaction_id = world.trigger([direct, {"type": "Topic", "topicKey": first["key"]},
                                    {"type": "Topic", "topicKey": second["key"]}])  # fmt: skip
    found = world.activity(transaction_id, 3)
    assert found[direct]["topics"] == []
    assert found[only_first]["topics"] == [{"_topicId": first["_id"], "topicKey": first["key"]}]
    assert sorted(found[both]["topics"], key=lambda topic: topic["topicKey"] != first["key"]) == [
        {"_topicId": first["_id"], "topicKey": first["key"]}, {"_topicId": second["_id"], "topicKey": second["key"]}]
    one = client.get(f"/v1/notifications/{found[only_first]['_id']}").json()["data"]
    assert one["topics"] == found[only_first]["topics"]


def test_the_activity_filters_by_topic_key_and_by_subscription(client, world) -> None:
    """libs/dal/src/repositories/notification/notification.repository.ts getFeed: topicKey matches
    'topics.topicKey', subscriptionId the identifier of the subscription that reached the
    subscriber ('topics.preferenceEvaluation.subscriptionIdentifier')."""
    direct, member, other = world.subscriber(), world.subscriber(), world.subscriber()
    topic = world.topic([member, other])
    transaction_id = world.trigger([direct, {"type": "Topic", "topicKey": topic["key"]}])
    world.activity(transaction_id, 3)
    assert sorted(world.activity(transaction_id, 2, topicKey=topic["key"])) == sorted([member, other])
    subscription = client.get(f"/v2/topics/{topic['key']}/subscriptions", params={"subscriberId": member}).json()
    identifier = subscription["data"][0]["identifier"]
    assert list(world.activity(transaction_id, 1, subscriptionId=identifier)) == [member]


# -- the severity filter ------------------------------------------------------------------------------


def test_the_activitys_severity_filter_takes_only_the_four_levels(client) -> None:
    """apps/api/src/app/notifications/dtos/activities-request.dto.ts: @IsEnumOrArray(SeverityLevelEnum)
    on severity (one level or a list); the document's `type: String` decorator shows any string."""
    assert client.get("/v1/notifications", params={"severity": "high"}).status_code == 200
    assert client.get("/v1/notifications", params=[("severity", "low"), ("severity", "none")]).status_code == 200
    assert client.get("/v1/notifications", params={"severity": "urgent"}).status_code == 422
