"""Business rules of the Topics API, checked black-box over HTTP against the target.

Each test names the Novu file (apps/api/src/app/topics-v2/ unless said otherwise) whose behaviour
it follows. Keys start with ``contract-``; every topic and subscriber a test makes is deleted.
"""

from __future__ import annotations

import uuid

import pytest

PREFIX = "contract-topic-"


def _key() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:12]}"


@pytest.fixture
def topics(client):
    """``topics(key=None, name=None)`` creates a topic; every topic the test names is deleted after."""
    keys: list[str] = []

    def create(key: str | None = None, name: str | None = None) -> dict:
        key = key or _key()
        keys.append(key)
        body = {"key": key, **({"name": name} if name is not None else {})}
        response = client.post("/v2/topics", json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()["data"]

    create.forget = keys.append  # topics made another way (by subscribing) are deleted too
    yield create
    for key in keys:
        client.delete(f"/v2/topics/{key}")


@pytest.fixture
def subscribers(created_at):
    made = created_at("/v2/subscribers", "subscriberId")

    def create(**profile) -> str:
        return made.create({"subscriberId": f"{PREFIX}{uuid.uuid4().hex[:12]}", **profile})["subscriberId"]

    return create


def _delete(client, path: str, body: dict):
    return client.request("DELETE", path, json=body)


def test_upsert_creates_then_renames_and_fail_if_exists_is_409(client, topics) -> None:
    """usecases/upsert-topic/upsert-topic.usecase.ts, e2e/upsert-topic.e2e.ts"""
    created = topics(name="First name")
    key = created["key"]
    assert len(created["_id"]) == 24 and created["name"] == "First name"
    renamed = client.post("/v2/topics", json={"key": key, "name": "Second name"})
    assert renamed.status_code == 200
    assert renamed.json()["data"]["_id"] == created["_id"] and renamed.json()["data"]["name"] == "Second name"
    kept = client.post("/v2/topics", json={"key": key})
    assert kept.json()["data"]["name"] == "Second name", "no name: the name stays"
    conflict = client.post("/v2/topics", params={"failIfExists": "true"}, json={"key": key, "name": "Third"})
    assert conflict.status_code == 409
    assert conflict.json()["message"] == f'Topic with key "{key}" already exists'
    assert client.get(f"/v2/topics/{key}").json()["data"]["name"] == "Second name"


def test_a_new_key_must_be_plain_or_an_email_address(client, topics) -> None:
    """usecases/upsert-topic/upsert-topic.usecase.ts (isValidTopicKey, Novu's VALID_ID_REGEX)"""
    key = f"{_key()} with spaces"
    refused = client.post("/v2/topics", json={"key": key})
    assert refused.status_code == 400
    assert refused.json()["message"].startswith(f'Invalid topic key: "{key}". Topic keys must contain only')
    email_key = f"{_key()}@example.com"
    topics(key=email_key)
    assert client.get(f"/v2/topics/{email_key}").status_code == 200


def test_get_patch_delete_and_404s(client, topics) -> None:
    """usecases/get-topic, update-topic and delete-topic usecases; e2e/update-topic.e2e.ts, e2e/delete-topic.e2e.ts"""
    key = topics(name="Before")["key"]
    patched = client.patch(f"/v2/topics/{key}", json={"name": "After"})
    assert patched.status_code == 200 and patched.json()["data"]["name"] == "After"
    assert patched.json()["data"]["key"] == key
    assert client.delete(f"/v2/topics/{key}").json() == {"data": {"acknowledged": True}}
    for response in (client.get(f"/v2/topics/{key}"), client.patch(f"/v2/topics/{key}", json={"name": "x"}),
                     client.delete(f"/v2/topics/{key}")):  # fmt: skip
        assert response.status_code == 404
        assert response.json()["message"] == f"Topic with key {key} not found"


def test_list_filters_by_key_and_pages_with_cursors(client, topics) -> None:
    """usecases/list-topics/list-topics.usecase.ts, e2e/list-topics.e2e.ts"""
    keys = [topics(name=f"Contract list {index}")["key"] for index in range(3)]
    only = client.get("/v2/topics", params={"key": keys[1]}).json()
    assert [t["key"] for t in only["data"]] == [keys[1]]
    seen: list[str] = []
    page = client.get("/v2/topics", params={"limit": 2, "orderDirection": "DESC"}).json()
    assert set(page) >= {"data", "next", "previous"} and len(page["data"]) <= 2
    while True:
        seen += [t["key"] for t in page["data"]]
        if not page["next"] or all(key in seen for key in keys):
            break
        page = client.get("/v2/topics", params={"limit": 2, "after": page["next"]}).json()
    assert all(key in seen for key in keys)
    assert [key for key in seen if key in keys] == keys[::-1], "newest first"


def test_subscribing_creates_the_topic_is_idempotent_and_lists(client, topics, subscribers) -> None:
    """usecases/create-topic-subscriptions; e2e/create-topic-subscriptions.e2e.ts and list-topic-subscriptions.e2e.ts"""
    key = _key()
    topics.forget(key)
    first, second = subscribers(firstName="Ada"), subscribers()
    response = client.post(f"/v2/topics/{key}/subscriptions", json={"subscriberIds": [first, second]})
    assert response.status_code == 201
    body = response.json()
    assert body["meta"] == {"totalCount": 2, "successful": 2, "failed": 0}
    assert {s["subscriber"]["subscriberId"] for s in body["data"]} == {first, second}
    assert all(s["topic"]["key"] == key for s in body["data"])
    assert client.get(f"/v2/topics/{key}").status_code == 200, "the topic was created"
    again = client.post(f"/v2/topics/{key}/subscriptions", json={"subscriberIds": [first]}).json()
    assert again["meta"]["successful"] == 1
    assert again["data"][0]["_id"] == next(s["_id"] for s in body["data"] if s["subscriber"]["subscriberId"] == first)
    listed = client.get(f"/v2/topics/{key}/subscriptions").json()
    assert sorted(s["subscriber"]["subscriberId"] for s in listed["data"]) == sorted([first, second])
    assert len(listed["data"]) == 2, "subscribing again made no second subscription"
    filtered = client.get(f"/v2/topics/{key}/subscriptions", params={"subscriberId": second}).json()
    assert [s["subscriber"]["subscriberId"] for s in filtered["data"]] == [second]
    assert client.get(f"/v2/topics/{_key()}/subscriptions").status_code == 404


def test_unknown_subscribers_are_errors_and_all_failed_is_400(client, topics, subscribers) -> None:
    """usecases/create-topic-subscriptions (SUBSCRIBER_NOT_FOUND), topics.controller.ts (all failed -> 400)"""
    key = topics()["key"]
    known, ghost = subscribers(), f"{PREFIX}ghost-{uuid.uuid4().hex[:8]}"
    partial = client.post(f"/v2/topics/{key}/subscriptions", json={"subscriberIds": [known, ghost]})
    assert partial.status_code == 201
    assert partial.json()["meta"] == {"totalCount": 2, "successful": 1, "failed": 1}
    assert partial.json()["errors"] == [{"subscriberId": ghost, "code": "SUBSCRIBER_NOT_FOUND",
                                         "message": f"Subscriber with ID '{ghost}' could not be found."}]  # fmt: skip
    failed = client.post(f"/v2/topics/{key}/subscriptions", json={"subscriberIds": [ghost]})
    assert failed.status_code == 400
    assert failed.json()["statusCode"] == 400
    assert failed.json()["meta"] == {"totalCount": 1, "successful": 0, "failed": 1}
    assert failed.json()["errors"][0]["subscriberId"] == ghost


def test_unsubscribing_reports_missing_subscriptions(client, topics, subscribers) -> None:
    """usecases/delete-topic-subscriptions/delete-topic-subscriptions.usecase.ts;
    e2e/delete-topic-subscriptions.e2e.ts"""
    key = topics()["key"]
    member, outsider = subscribers(), subscribers()
    client.post(f"/v2/topics/{key}/subscriptions", json={"subscriberIds": [member]})
    removed = _delete(client, f"/v2/topics/{key}/subscriptions", {"subscriberIds": [member, outsider]})
    assert removed.status_code == 200
    body = removed.json()
    assert [s["subscriber"]["subscriberId"] for s in body["data"]] == [member]
    assert body["meta"] == {"totalCount": 2, "successful": 1, "failed": 1}
    assert body["errors"] == [{"subscriberId": outsider, "code": "SUBSCRIPTION_NOT_FOUND",
                               "message": f"Subscription for subscriber '{outsider}' not found."}]  # fmt: skip
    assert client.get(f"/v2/topics/{key}/subscriptions").json()["data"] == []
    nothing = _delete(client, f"/v2/topics/{key}/subscriptions", {"subscriberIds": [member]})
    assert nothing.status_code == 400 and nothing.json()["meta"]["successful"] == 0
    missing = _delete(client, f"/v2/topics/{_key()}/subscriptions", {"subscriberIds": [member]})
    assert missing.status_code == 404


def test_one_subscription_by_identifier_or_id_and_204_when_none(client, topics, subscribers) -> None:
    """e2e/get-topic-subscription.e2e.ts (commit e5e334d3), e2e/update-topic-subscription.e2e.ts (commit d4a353e2)"""
    key = topics()["key"]
    member = subscribers()
    made = client.post(f"/v2/topics/{key}/subscriptions", json={"subscriberIds": [member]}).json()["data"][0]
    identifier = made["identifier"]
    one = client.get(f"/v2/topics/{key}/subscriptions/{identifier}")
    assert one.status_code == 200 and one.json()["data"]["identifier"] == identifier
    by_id = client.get(f"/v2/topics/{key}/subscriptions/{made['_id']}")
    assert by_id.json()["data"]["id"] == made["_id"]
    none = client.get(f"/v2/topics/{key}/subscriptions/does-not-exist")
    assert none.status_code == 204 and none.content == b""
    named = client.patch(f"/v2/topics/{key}/subscriptions/{identifier}", json={"name": "Renamed subscription"})
    assert named.status_code == 200
    assert named.json()["data"]["identifier"] == identifier and named.json()["data"]["name"] == "Renamed subscription"
    unchanged = client.patch(f"/v2/topics/{key}/subscriptions/{identifier}", json={})
    assert unchanged.json()["data"]["identifier"] == identifier
    assert client.patch(f"/v2/topics/{key}/subscriptions/not-there", json={"name": "x"}).status_code == 404
    assert client.patch(f"/v2/topics/{_key()}/subscriptions/{identifier}", json={"name": "x"}).status_code == 404


def test_v1_topic_subscriber_and_a_subscribers_subscriptions(client, topics, subscribers) -> None:
    """apps/api/src/app/topics/use-cases/get-topic-subscriber; usecases/list-subscriber-subscriptions"""
    first, second = topics()["key"], topics()["key"]
    member, outsider = subscribers(), subscribers()
    for key in (first, second):
        client.post(f"/v2/topics/{key}/subscriptions", json={"subscriberIds": [member]})
    link = client.get(f"/v1/topics/{first}/subscribers/{member}")
    assert link.status_code == 200
    assert link.json()["data"]["topicKey"] == first and link.json()["data"]["externalSubscriberId"] == member
    absent = client.get(f"/v1/topics/{first}/subscribers/{outsider}")
    assert absent.status_code == 404
    assert absent.json()["message"].startswith(f"Subscriber {outsider} not found for topic {first} in the environment ")
    mine = client.get(f"/v2/subscribers/{member}/subscriptions").json()
    assert {s["topic"]["key"] for s in mine["data"]} == {first, second}
    narrowed = client.get(f"/v2/subscribers/{member}/subscriptions", params={"key": second}).json()
    assert [s["topic"]["key"] for s in narrowed["data"]] == [second]
    assert client.get(f"/v2/subscribers/{outsider}/subscriptions").json()["data"] == []
    unknown = client.get(f"/v2/subscribers/{PREFIX}nobody-{uuid.uuid4().hex[:6]}/subscriptions")
    assert unknown.status_code == 404


def test_deleting_a_subscriber_or_a_topic_removes_its_subscriptions(client, topics, subscribers) -> None:
    """usecases/delete-topic/delete-topic.usecase.ts (force: the subscriptions go with the topic); deleting a
    subscriber deletes its topic subscriptions (novu-py's subscribers.delete documents it)"""
    key = topics()["key"]
    leaving, staying = subscribers(), subscribers()
    client.post(f"/v2/topics/{key}/subscriptions", json={"subscriberIds": [leaving, staying]})
    assert client.delete(f"/v2/subscribers/{leaving}").status_code == 200
    listed = client.get(f"/v2/topics/{key}/subscriptions").json()["data"]
    assert [s["subscriber"]["subscriberId"] for s in listed] == [staying]
    client.delete(f"/v2/topics/{key}")
    assert client.get(f"/v2/subscribers/{staying}/subscriptions").json()["data"] == []
