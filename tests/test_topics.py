"""The mock's own checks of topics and subscriptions: the store's rules, the wire answers, fixtures, state."""

from __future__ import annotations

import threading

import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.errors import BadRequest, BadRequestResult, Conflict, NotFound
from mock_server.settings import Settings
from mock_server.store import Backend, Environment
from mock_server.store.cursor import CursorQuery
from mock_server.store.topics import valid_topic_key
from tests.conftest import KEY, OTHER_KEY


@pytest.fixture
def backend() -> Backend:
    backend = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    for subscriber_id in ("ada", "bob", "cy"):
        backend.subscribers.create(subscriber_id=subscriber_id, profile={"firstName": subscriber_id.title()})
    backend.workflows.create(identifier="digest", name="Digest", channels=["email"], tags=["marketing"])
    backend.workflows.create(identifier="alert", name="Alert", channels=["sms"], tags=["security"])
    return backend


def _sids(backend: Backend, key: str) -> list[str]:
    return backend.topics.subscriber_ids(key)


# -- the store -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "valid"),
    [("product-updates", True), ("task:12345", True), ("a.b_c-d", True), ("ops@example.com", True),
     ("has space", False), ("slash/key", False), ("emoji-🚀", False), ("trailing\n", False), ("a@b", False),
     ("ünï@example.com", True)],
)  # fmt: skip
def test_new_keys_follow_either_alternative_of_novus_rule(key, valid) -> None:
    assert valid_topic_key(key) is valid


def test_upsert_creates_renames_and_refuses_with_fail_if_exists(backend) -> None:
    topic, created = backend.topics.upsert("news", "News")
    assert created and topic.name == "News"
    again, created = backend.topics.upsert("news")
    assert not created and again is topic and again.name == "News", "no name: the name stays"
    backend.topics.upsert("news", "")
    assert topic.name == "News", "an empty name changes nothing"
    backend.topics.upsert("news", "Newsroom")
    assert topic.name == "Newsroom"
    with pytest.raises(Conflict, match='Topic with key "news" already exists'):
        backend.topics.upsert("news", fail_if_exists=True)
    with pytest.raises(BadRequest, match='Invalid topic key: "bad key"'):
        backend.topics.upsert("bad key")
    with pytest.raises(NotFound, match="Topic with key missing not found"):
        backend.topics.rename("missing", "x")


def test_subscribe_creates_the_topic_is_idempotent_and_reports_unknown_subscribers(backend) -> None:
    result = backend.topics.subscribe("team", ["ada", "ghost", {"identifier": "bob-main", "subscriberId": "bob"}])
    assert backend.topics.get("team").name is None
    assert result["meta"] == {"totalCount": 3, "successful": 2, "failed": 1}
    assert result["errors"] == [{"subscriberId": "ghost", "code": "SUBSCRIBER_NOT_FOUND",
                                 "message": "Subscriber with ID 'ghost' could not be found."}]  # fmt: skip
    assert [s["identifier"] for s in result["data"]] == ["tk=team:si=ada", "bob-main"]
    backend.topics.subscribe("named", ["ada"], name="Named topic")
    assert backend.topics.get("named").name == "Named topic", "the body's name is the topic's"
    again = backend.topics.subscribe("team", ["ada"])
    assert again["data"][0]["_id"] == result["data"][0]["_id"] and "errors" not in again
    assert _sids(backend, "team") == ["ada", "bob"]


def test_all_failed_is_a_400_carrying_the_result_twice(backend) -> None:
    with pytest.raises(BadRequestResult) as refused:
        backend.topics.subscribe("team", ["ghost"])
    body = refused.value.body("/v2/topics/team/subscriptions")
    assert body["statusCode"] == 400 and body["message"]["meta"] == body["meta"] == {
        "totalCount": 1, "successful": 0, "failed": 1}
    assert body["data"] == [] and body["errors"][0]["code"] == "SUBSCRIBER_NOT_FOUND"


def test_unsubscribe_by_subscriber_or_identifier_with_per_item_errors(backend) -> None:
    backend.topics.subscribe("team", ["ada", "bob", {"identifier": "cy-1", "subscriberId": "cy"}])
    result = backend.topics.unsubscribe("team", ["ada", {"identifier": "cy-1"}, "ghost", {"subscriberId": "ada"}])
    assert [s["subscriber"]["subscriberId"] for s in result["data"]] == ["ada", "cy"]
    assert [(e["subscriberId"], e["code"]) for e in result["errors"]] == [
        ("ghost", "SUBSCRIBER_NOT_FOUND"), ("ada", "SUBSCRIPTION_NOT_FOUND")]
    assert result["errors"][1]["message"] == "Subscription for subscriber 'ada' not found."
    assert _sids(backend, "team") == ["bob"]
    with pytest.raises(NotFound, match="Topic with key nope not found"):
        backend.topics.unsubscribe("nope", ["bob"])


def test_deleting_a_topic_or_a_subscriber_takes_their_subscriptions(backend) -> None:
    backend.topics.subscribe("a", ["ada", "bob"])
    backend.topics.subscribe("b", ["ada"])
    backend.subscribers.remove("ada")
    assert _sids(backend, "a") == ["bob"] and _sids(backend, "b") == []
    backend.topics.delete("a")
    assert _sids(backend, "a") == []
    with pytest.raises(NotFound):
        backend.topics.get("a")
    backend.subscribers.create(subscriber_id="ada")
    assert backend.topics.subscribe("a", ["ada"])["meta"]["successful"] == 1, "a new topic, a new subscription"


def test_preferences_are_answered_per_workflow_they_name(backend) -> None:
    result = backend.topics.subscribe(
        "team", ["ada"],
        preferences=["alert", {"filter": {"tags": ["marketing"]}, "enabled": False, "condition": {"==": [1, 1]}},
                     {"workflowId": "unknown-workflow"}],
    )  # fmt: skip
    preferences = result["data"][0]["preferences"]
    assert [(p["workflow"]["identifier"], p["enabled"]) for p in preferences] == [("alert", True), ("digest", False)]
    assert preferences[1]["condition"] == {"==": [1, 1]} and "condition" not in preferences[0]
    assert {p["subscriptionId"] for p in preferences} == {result["data"][0]["identifier"]}, "named by identifier"


def test_lists_filter_and_page(backend) -> None:
    for key in ("t1", "t2", "t3"):
        backend.topics.upsert(key, f"Name {key}")
        backend.topics.subscribe(key, ["ada", "bob"])
    first = backend.topics.list(CursorQuery(limit=2, order_by="_id"))
    assert [t.key for t in first.items] == ["t3", "t2"] and first.total_count == 3
    second = backend.topics.list(CursorQuery(limit=2, order_by="_id", after=first.next))
    assert [t.key for t in second.items] == ["t1"] and second.next is None
    assert [t.key for t in backend.topics.list(CursorQuery(), name="NAME T2").items] == ["t2"]
    assert [t.key for t in backend.topics.list(CursorQuery(), key="t1").items] == ["t1"]
    mine = backend.topics.subscriber_subscriptions("ada", CursorQuery(limit=10, order_by="_id"), key="t2")
    assert [s.topic_key for s in mine.items] == ["t2"]
    with pytest.raises(NotFound, match="^Subscriber not found$"):
        backend.topics.subscriber_subscriptions("ghost", CursorQuery())
    page = backend.topics.subscriptions("t1", CursorQuery(order_by="_id"), subscriber_id="bob")
    assert [s.subscriber_id for s in page.items] == ["bob"]


def test_order_by_takes_any_field_name_as_novus_cursor_query_does(backend, client) -> None:
    """topics-v2 CursorPaginationQueryDto checks orderBy with IsString only and the repository
    sorts by that field, then by _id: a field the records lack leaves creation order."""
    for key, name in (("o-b", "Zed"), ("o-a", "Amy")):
        backend.topics.upsert(key, name)
    backend.topics.subscribe("o-b", [{"identifier": "z-sub", "subscriberId": "ada"},
                                     {"identifier": "a-sub", "subscriberId": "bob"}])  # fmt: skip
    ascending = {"order_direction": "ASC"}
    assert [t.key for t in backend.topics.list(CursorQuery(order_by="name", **ascending)).items] == ["o-a", "o-b"]
    unknown = backend.topics.list(CursorQuery(order_by="noSuchField", **ascending))
    assert [t.key for t in unknown.items] == ["o-b", "o-a"]
    by_nothing = backend.topics.subscriptions("o-b", CursorQuery(order_by="noSuchField", **ascending))
    assert [s.identifier for s in by_nothing.items] == ["z-sub", "a-sub"]
    for path in ("/v2/topics", "/v2/topics/any-topic/subscriptions", "/v2/subscribers/any/subscriptions"):
        assert client.get(path, params={"orderBy": "noSuchField"}).status_code != 422, path


def test_lists_leave_out_a_subscription_whose_subscriber_is_gone(backend) -> None:
    """topics-v2 list-topic-subscriptions.usecase.ts: subscriptions are joined to the subscriber
    records found, and one without its record is filtered out (never a null subscriber)."""
    backend.topics.subscribe("gone", ["ada", "bob"])
    backend.subscribers.removal_listeners.remove(backend.topics._forget_subscriber)  # as if the cascade lagged
    backend.subscribers.remove("bob")
    page = backend.topics.subscriptions("gone", CursorQuery())
    assert [s.subscriber_id for s in page.items] == ["ada"] and page.total_count == 1
    assert [item["subscriber"]["subscriberId"] for item in page.to_dto(backend.topics.list_dto)["data"]] == ["ada"]


def test_state_round_trip_and_restore_checks_like_create(backend) -> None:
    backend.topics.subscribe("team", ["ada", {"identifier": "b1", "subscriberId": "bob", "name": "Bob's"}],
                             context={"tenant": "acme"}, preferences=["digest"])  # fmt: skip
    state = backend.export_state()
    fresh = Backend(backend.environment)
    fresh.import_state(state)
    assert fresh.export_state()["topics"] == state["topics"]
    assert fresh.topics.subscriber_ids("team") == ["ada", "bob"]
    assert state["topics"][0]["subscriptions"][1]["name"] == "Bob's"

    broken = {**state, "topics": [{**state["topics"][0], "key": "not valid!"}]}
    with pytest.raises(Conflict, match="not a valid topic key"):
        fresh.import_state(broken)
    ghost = [{**state["topics"][0], "subscriptions": [{"_id": "f" * 24, "subscriberId": "ghost"}]}]
    with pytest.raises(Conflict, match="ghost is not among the subscribers"):
        fresh.import_state({**state, "topics": ghost})
    assert fresh.export_state() == state, "a refused import changes nothing"


def test_concurrent_subscribes_make_one_subscription(backend) -> None:
    threads = [threading.Thread(target=backend.topics.subscribe, args=("race", ["ada"])) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert backend.topics.subscriptions("race", CursorQuery()).total_count == 1


# -- over HTTP -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fast_path", [True, False])
def test_the_wire_answers_envelopes_and_statuses(fast_path) -> None:
    settings = Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, fast_path=fast_path)
    with TestClient(create_app(settings), headers={"Authorization": f"ApiKey {KEY}"}) as http:
        sid = http.get("/v2/subscribers", params={"limit": 1}).json()["data"][0]["subscriberId"]
        created = http.post("/v2/topics", json={"key": "wire-topic", "name": "Wire"})
        assert created.status_code == 200, "Novu never sets 201 here"
        assert set(created.json()) == {"data"} and created.json()["data"]["key"] == "wire-topic"
        added = http.post("/v2/topics/wire-topic/subscriptions", json={"subscriptions": [sid]})
        assert added.status_code == 201 and set(added.json()) == {"data", "meta"}
        identifier = added.json()["data"][0]["identifier"]
        assert identifier == f"tk=wire-topic:si={sid}"
        one = http.get(f"/v2/topics/wire-topic/subscriptions/{identifier}")
        assert one.status_code == 200 and one.json()["data"]["id"] == added.json()["data"][0]["_id"]
        by_id = http.get(f"/v2/topics/wire-topic/subscriptions/{one.json()['data']['id']}")
        assert by_id.json()["data"]["identifier"] == identifier
        missing = http.get("/v2/topics/wire-topic/subscriptions/nothing-here")
        assert missing.status_code == 204 and missing.content == b""
        unknown_topic = http.get("/v2/topics/no-such-topic/subscriptions/nothing-here")
        assert unknown_topic.status_code == 204, "Novu's GetSubscription does not look the topic up"
        page = http.get("/v2/topics/wire-topic/subscriptions").json()
        assert set(page) == {"data", "next", "previous", "totalCount", "totalCountCapped"}, "not wrapped again"
        failed = http.post("/v2/topics/wire-topic/subscriptions", json={"subscriberIds": ["ghost-1"]})
        assert failed.status_code == 400
        body = failed.json()
        assert body["message"]["meta"] == body["meta"] == {"totalCount": 1, "successful": 0, "failed": 1}
        link = http.get(f"/v1/topics/wire-topic/subscribers/{sid}").json()["data"]
        assert link["externalSubscriberId"] == sid and link["topicKey"] == "wire-topic"
        absent = http.get("/v1/topics/wire-topic/subscribers/ghost-1")
        assert absent.status_code == 404 and absent.json()["message"].startswith(
            "Subscriber ghost-1 not found for topic wire-topic in the environment ")
        assert http.delete("/v2/topics/wire-topic").json() == {"data": {"acknowledged": True}}
        assert http.get("/v2/topics/wire-topic").status_code == 404
        bad = http.post("/v2/topics", json={"key": "no spaces please"})
        assert bad.status_code == 400 and "Invalid topic key" in bad.json()["message"]


def test_environments_do_not_share_topics(client, other_client) -> None:
    assert client.post("/v2/topics", json={"key": "private-topic"}).status_code == 200
    assert other_client.get("/v2/topics/private-topic").status_code == 404
    assert other_client.get("/v2/topics", params={"key": "private-topic"}).json()["data"] == []


def test_fixtures_seed_topics_of_seeded_subscribers(client) -> None:
    topics = client.get("/v2/topics", params={"limit": 100}).json()["data"]
    assert {"product-updates", "security-team", "project:apollo", "billing-admins"} <= {t["key"] for t in topics}
    members = client.get("/v2/topics/security-team/subscriptions").json()["data"]
    assert len(members) == 3
    for member in members:
        assert client.get(f"/v2/subscribers/{member['subscriber']['subscriberId']}").status_code == 200
    detail = client.get(f"/v2/topics/security-team/subscriptions/{members[0]['identifier']}").json()["data"]
    assert {(p["workflow"]["identifier"], p["enabled"]) for p in detail["preferences"]} == {
        ("security-alert", True), ("password-reset", False)}
