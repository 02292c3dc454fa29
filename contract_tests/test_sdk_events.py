"""novu-py drives the trigger family (trigger to a topic, bulk, broadcast, cancel) by changing only
its server URL. Subscribers and topics start with ``contract-``; what a test makes is deleted."""

from __future__ import annotations

import uuid
import warnings

import novu_py
import pytest
from novu_py import Novu

from contract_tests.test_parity_inbox import eventually
from contract_tests.test_sdk import NO_RETRIES
from contract_tests.test_trigger_family import WORKFLOW

PREFIX = "contract-sdk-evt-"


@pytest.fixture
def novu(target):
    with Novu(secret_key=target.api_key, server_url=target.url, retry_config=NO_RETRIES) as sdk:
        yield sdk


@pytest.fixture
def made(novu, client):
    things: dict[str, list[str]] = {"subscribers": [], "topics": [], "transactions": []}
    yield things
    for transaction_id in things["transactions"]:
        client.delete(f"/v1/messages/transaction/{transaction_id}")
    for key in things["topics"]:
        client.delete(f"/v2/topics/{key}")
    for subscriber_id in things["subscribers"]:
        client.delete(f"/v2/subscribers/{subscriber_id}")


def _subscriber(novu, made) -> str:
    subscriber_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    novu.subscribers.create(create_subscriber_request_dto={"subscriber_id": subscriber_id})
    made["subscribers"].append(subscriber_id)
    return subscriber_id


def test_sdk_trigger_to_a_topic_reaches_its_subscribers(novu, made, client) -> None:
    people = [_subscriber(novu, made) for _ in range(3)]
    key = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    made["topics"].append(key)
    novu.topics.subscriptions.create(topic_key=key, create_topic_subscriptions_request_dto={"subscriptions": people})
    sent = novu.trigger(trigger_event_request_dto={
        "workflow_id": WORKFLOW, "payload": {"author": "Ada", "snippet": "hi"},
        "to": [{"type": "Topic", "topic_key": key, "exclude": [people[2]]}], "actor": people[0]}).result  # fmt: skip
    made["transactions"].append(sent.transaction_id)
    assert sent.status == "processed" and sent.acknowledged

    def reached():
        answer = client.get("/v1/notifications", params={"transactionId": sent.transaction_id}).json()
        return sorted(item["subscriber"]["subscriberId"] for item in answer["data"])

    assert eventually(reached, lambda found: len(found) >= 1) == [people[1]], "actor and excluded left out"


def test_sdk_trigger_bulk_answers_each_event(novu, made) -> None:
    person = _subscriber(novu, made)
    answers = novu.trigger_bulk(bulk_trigger_event_dto={"events": [
        {"workflow_id": WORKFLOW, "to": person, "payload": {}},
        {"workflow_id": f"no-such-workflow-{uuid.uuid4().hex[:8]}", "to": person, "payload": {}},
    ]}).result  # fmt: skip
    made["transactions"].extend(answer.transaction_id for answer in answers if answer.transaction_id)
    assert [answer.status for answer in answers] == ["processed", "error"]
    assert answers[1].error == ["workflow_not_found"]


def test_sdk_broadcast_with_a_missing_tenant_is_no_tenant_found_and_cancel_says_false(novu, made) -> None:
    # A tenant nobody has: Novu's TriggerEventToAll (2025-26) answers what its parse said,
    # no_tenant_found, and nobody is reached.
    sent = novu.trigger_broadcast(trigger_event_to_all_request_dto={
        "name": WORKFLOW, "payload": {}, "tenant": f"no-tenant-{uuid.uuid4().hex}"}).result  # fmt: skip
    assert sent.status == "no_tenant_found" and sent.transaction_id
    assert novu.cancel(transaction_id=sent.transaction_id).result is False
    assert novu.cancel(transaction_id=f"unknown-{uuid.uuid4().hex}").result is False
    with pytest.raises(novu_py.models.NovuError) as refused:
        novu.trigger_broadcast(trigger_event_to_all_request_dto={"name": f"no-such-{uuid.uuid4().hex[:8]}", "payload": {}})
    assert refused.value.status_code == 422


def test_sdk_trigger_stores_channels_and_the_activity_names_the_topic(novu, made, integration) -> None:
    slack = integration("slack", "chat")
    member, newcomer = _subscriber(novu, made), f"{PREFIX}{uuid.uuid4().hex[:10]}"
    made["subscribers"].append(newcomer)
    key = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    made["topics"].append(key)
    novu.topics.subscriptions.create(topic_key=key, create_topic_subscriptions_request_dto={"subscriptions": [member]})
    channel = {"provider_id": "slack", "integration_identifier": slack["identifier"],
               "credentials": {"webhook_url": "https://hooks.example/sdk"}}  # fmt: skip
    sent = novu.trigger(trigger_event_request_dto={
        "workflow_id": WORKFLOW, "payload": {"author": "Ada", "snippet": "hi"},
        "to": [{"type": "Topic", "topic_key": key}, {"subscriber_id": newcomer, "channels": [channel]}],
    }).result  # fmt: skip
    made["transactions"].append(sent.transaction_id)

    def listed():
        with warnings.catch_warnings():  # novu-py reads its deprecated `search` field when sending any list request
            warnings.simplefilter("ignore", DeprecationWarning)
            request = {"transaction_id": sent.transaction_id, "topic_key": key}
            return novu.notifications.list(request=request).result.data

    found = eventually(listed, lambda items: len(items) >= 1)
    assert [(item.subscriber.subscriber_id, [t.topic_key for t in item.topics]) for item in found] == [(member, [key])]
    channels = novu.subscribers.retrieve(subscriber_id=newcomer).result.channels
    assert [(c.provider_id, c.integration_id, c.credentials.webhook_url) for c in channels] == [
        ("slack", slack["_id"], "https://hooks.example/sdk")]
