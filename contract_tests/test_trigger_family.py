"""Business rules of the trigger family (``/v1/events/trigger`` to topics, bulk, broadcast, cancel),
checked black-box over HTTP against the target. Each test names the Novu file whose behaviour it
follows. Delivery is asynchronous on a real Novu, so reads after a trigger poll for a while.

Needs a workflow with an in-app step on the target (the mock's fixtures have ``comment-mention``;
override with NOVU_INBOX_WORKFLOW). Subscribers and topics start with ``contract-``; each one a
test makes is deleted, with the messages of its transactions.
"""

from __future__ import annotations

import os
import uuid

import pytest

from contract_tests.test_parity_inbox import eventually

WORKFLOW = os.environ.get("NOVU_INBOX_WORKFLOW", "comment-mention")
PREFIX = "contract-trig-"


@pytest.fixture
def world(client, created_at):
    """Subscribers, a topic of them, and cleanup of the transactions a test triggers."""
    subscribers = created_at("/v2/subscribers", "subscriberId")
    topics: list[str] = []
    transactions: list[str] = []

    class World:
        def subscriber(self) -> str:
            return subscribers.create({"subscriberId": f"{PREFIX}{uuid.uuid4().hex[:12]}"})["subscriberId"]

        def topic(self, members: list[str]) -> str:
            key = f"{PREFIX}{uuid.uuid4().hex[:12]}"
            topics.append(key)
            response = client.post(f"/v2/topics/{key}/subscriptions", json={"subscriptions": members})
            assert response.status_code in (200, 201), response.text
            return key

        def trigger(self, to, **extra) -> dict:
            response = client.post("/v1/events/trigger", json={"name": WORKFLOW, "to": to,
                                                               "payload": {"author": "Ada", "snippet": "hi"}, **extra})
            assert response.status_code == 201, response.text
            transactions.append(response.json()["data"]["transactionId"])
            return response.json()["data"]

        def reached(self, transaction_id: str, expected: int) -> list[str]:
            def read():
                answer = client.get("/v1/notifications", params={"transactionId": transaction_id}).json()
                return sorted(item["subscriber"]["subscriberId"] for item in answer["data"])

            return eventually(read, lambda found: len(found) >= expected)

    yield World()
    for transaction_id in transactions:
        client.delete(f"/v1/messages/transaction/{transaction_id}")
    for key in topics:
        client.delete(f"/v2/topics/{key}")


def test_a_topic_reaches_each_subscriber_once_but_not_the_actor(world) -> None:
    """libs/application-generic/src/usecases/trigger-multicast/trigger-multicast.usecase.ts:
    distinct topic subscribers, the actor left out"""
    people = [world.subscriber() for _ in range(4)]
    first = world.topic(people[:3])
    second = world.topic(people[1:])
    data = world.trigger([{"type": "Topic", "topicKey": first}, {"type": "Topic", "topicKey": second}],
                         actor=people[0])  # fmt: skip
    assert data["status"] == "processed"
    assert world.reached(data["transactionId"], 3) == sorted(people[1:])


def test_direct_recipients_are_not_reached_again_through_a_topic_and_exclude_leaves_out(world) -> None:
    """trigger-multicast.usecase.ts: excludeSubscribers = direct recipients + every topic's exclude"""
    people = [world.subscriber() for _ in range(3)]
    key = world.topic(people)
    data = world.trigger([people[0], {"type": "Topic", "topicKey": key, "exclude": [people[2]]}])
    assert world.reached(data["transactionId"], 2) == sorted(people[:2])


def test_bulk_answers_one_item_per_event_in_order(client, world) -> None:
    """apps/api/src/app/events/usecases/process-bulk-trigger/process-bulk-trigger.usecase.ts"""
    person = world.subscriber()
    response = client.post("/v1/events/trigger/bulk", json={"events": [
        {"name": WORKFLOW, "to": person}, {"name": f"no-such-workflow-{uuid.uuid4().hex[:8]}", "to": person}]})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert [item["status"] for item in data] == ["processed", "error"]
    assert data[1] == {"acknowledged": True, "status": "error", "error": ["workflow_not_found"]}
    client.delete(f"/v1/messages/transaction/{data[0]['transactionId']}")


def test_bulk_takes_1_to_100_events(client, world) -> None:
    """apps/api/src/app/events/dtos/trigger-event-request.dto.ts: ArrayNotEmpty, ArrayMaxSize(100)"""
    person = world.subscriber()
    assert client.post("/v1/events/trigger/bulk", json={"events": []}).status_code in (400, 422)
    too_many = [{"name": WORKFLOW, "to": person}] * 101
    assert client.post("/v1/events/trigger/bulk", json={"events": too_many}).status_code in (400, 422)


def test_broadcast_of_an_unknown_workflow_is_422(client) -> None:
    """apps/api/src/app/events/usecases/parse-event-request: workflow_not_found"""
    name = f"no-such-workflow-{uuid.uuid4().hex[:8]}"
    response = client.post("/v1/events/trigger/broadcast", json={"name": name, "payload": {}})
    assert response.status_code == 422 and response.json()["message"] == "workflow_not_found"


def test_broadcast_without_a_payload_is_422(client) -> None:
    """apps/api/src/app/events/dtos/trigger-event-to-all-request.dto.ts: payload is IsObject
    without IsOptional, so the validation pipe refuses a broadcast that leaves it out."""
    response = client.post("/v1/events/trigger/broadcast", json={"name": WORKFLOW})
    assert response.status_code == 422 and "payload" in response.json()["errors"]


def test_cancel_answers_false_without_pending_work(client, world) -> None:
    """apps/api/src/app/events/usecases/cancel-delayed/cancel-delayed.usecase.ts: no delayed or
    merged job of the transaction -> false"""
    unknown = client.delete(f"/v1/events/trigger/unknown-{uuid.uuid4().hex}")
    assert unknown.status_code == 200 and unknown.json() == {"data": False}
    person = world.subscriber()
    data = world.trigger(person)
    world.reached(data["transactionId"], 1)
    done = client.delete(f"/v1/events/trigger/{data['transactionId']}")
    assert done.status_code == 200 and done.json() == {"data": False}, "an in-app-only workflow has nothing delayed"
