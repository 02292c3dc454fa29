"""novu-py drives every Topics operation (and the subscriber's subscriptions list) by changing only
its server URL. Topic keys start with ``contract-``; what a test makes is deleted."""

from __future__ import annotations

import uuid

import novu_py
import pytest
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

NO_RETRIES = RetryConfig("backoff", BackoffStrategy(1, 1, 1.0, 1), False)
PREFIX = "contract-sdk-topic-"


@pytest.fixture
def novu(target):
    with Novu(secret_key=target.api_key, server_url=target.url, retry_config=NO_RETRIES) as sdk:
        yield sdk


@pytest.fixture
def made(novu):
    """Topic keys and subscriber ids the test makes, deleted afterwards."""
    things: dict[str, list[str]] = {"topics": [], "subscribers": []}
    yield things
    for key in things["topics"]:
        try:
            novu.topics.delete(topic_key=key)
        except novu_py.models.NovuError:
            pass  # the test deleted it itself
    for subscriber_id in things["subscribers"]:
        try:
            novu.subscribers.delete(subscriber_id=subscriber_id)
        except novu_py.models.NovuError:
            pass


def _subscriber(novu, made) -> str:
    subscriber_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    novu.subscribers.create(create_subscriber_request_dto={"subscriber_id": subscriber_id, "first_name": "Sdk"})
    made["subscribers"].append(subscriber_id)
    return subscriber_id


def test_sdk_topic_crud_and_list(novu, made) -> None:
    key = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    made["topics"].append(key)
    created = novu.topics.create(create_update_topic_request_dto={"key": key, "name": "Sdk topic"}).result
    assert created.key == key and created.name == "Sdk topic" and len(created.id) == 24

    with pytest.raises(novu_py.models.NovuError) as conflict:
        novu.topics.create(create_update_topic_request_dto={"key": key}, fail_if_exists=True)
    assert conflict.value.status_code == 409

    fetched = novu.topics.get(topic_key=key).result
    assert fetched.id == created.id and fetched.created_at is not None
    renamed = novu.topics.update(topic_key=key, update_topic_request_dto={"name": "Renamed"}).result
    assert renamed.name == "Renamed" and renamed.id == created.id

    page = novu.topics.list(request={"key": key, "limit": 10}).result
    assert [t.key for t in page.data] == [key] and page.next is None and page.total_count == 1

    assert novu.topics.delete(topic_key=key).result.acknowledged is True
    with pytest.raises(novu_py.models.NovuError) as gone:
        novu.topics.get(topic_key=key)
    assert gone.value.status_code == 404


def test_sdk_subscriptions_round_trip(novu, made) -> None:
    key = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    made["topics"].append(key)
    first, second = _subscriber(novu, made), _subscriber(novu, made)

    created = novu.topics.subscriptions.create(
        topic_key=key, create_topic_subscriptions_request_dto={"subscriptions": [first, second]}
    ).result
    assert created.meta.successful == 2 and created.meta.failed == 0 and not created.errors
    assert {s.subscriber.subscriber_id for s in created.data} == {first, second}
    identifier = next(s.identifier for s in created.data if s.subscriber.subscriber_id == first)
    assert identifier == f"tk={key}:si={first}"

    listed = novu.topics.subscriptions.list(request={"topic_key": key, "limit": 10}).result
    assert sorted(s.subscriber.subscriber_id for s in listed.data) == sorted([first, second])
    assert all(s.topic.key == key for s in listed.data) and listed.total_count == 2

    one = novu.topics.subscriptions.get_subscription(topic_key=key, identifier=identifier).result
    assert one.identifier == identifier and one.id == next(s.id for s in created.data if s.identifier == identifier)

    updated = novu.topics.subscriptions.update(
        topic_key=key, identifier=identifier, update_topic_subscription_request_dto={"name": "Primary"}
    ).result
    assert updated.identifier == identifier and updated.name == "Primary"

    link = novu.topics.subscribers.retrieve(topic_key=key, external_subscriber_id=first).result
    assert link.topic_key == key and link.external_subscriber_id == first

    mine = novu.subscribers.topics.list(request={"subscriber_id": first}).result
    assert [s.topic.key for s in mine.data] == [key]

    removed = novu.topics.subscriptions.delete(
        topic_key=key, delete_topic_subscriptions_request_dto={"subscriptions": [{"subscriber_id": first}]}
    ).result
    assert [s.subscriber.subscriber_id for s in removed.data] == [first] and removed.meta.successful == 1
    with pytest.raises(novu_py.models.NovuError) as absent:
        novu.topics.subscribers.retrieve(topic_key=key, external_subscriber_id=first)
    assert absent.value.status_code == 404


def test_sdk_all_failed_subscriptions_raise_400(novu, made) -> None:
    key = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    made["topics"].append(key)
    with pytest.raises(novu_py.models.NovuError) as refused:
        novu.topics.subscriptions.create(
            topic_key=key, create_topic_subscriptions_request_dto={"subscriber_ids": [f"{PREFIX}ghost"]}
        )
    assert refused.value.status_code == 400
