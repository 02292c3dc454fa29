"""The mock's own checks of what a topic subscription's preferences do when a workflow is
triggered to the topic (Novu's worker, SubscriberJobBound: a subscription whose preference for
the workflow is off, or whose condition over the payload does not hold, does not reach its
subscriber; a subscriber left with no subscription is not notified at all)."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.store import Backend, Environment
from tests.reach import messaged as _messaged
from tests.reach import notified as _notified

HIGH_ONLY = {"==": [{"var": "payload.priority"}, "high"]}


@pytest.fixture
def backend() -> Backend:
    backend = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    for subscriber_id in ("ada", "bob", "cy"):
        backend.subscribers.create(subscriber_id=subscriber_id, profile={})
    backend.workflows.create(identifier="alert", name="Alert", channels=["in_app"], tags=["security"])
    backend.workflows.create(identifier="news", name="News", channels=["in_app"], tags=["marketing"])
    return backend


def _trigger(backend: Backend, workflow_id: str, to: Any, payload: dict[str, Any] | None = None, **extra) -> str:
    answer = backend.inbox.trigger_event(workflow_id=workflow_id, to=to, payload=payload or {}, **extra)
    assert answer["status"] == "processed"
    return answer["transactionId"]


def _team(backend: Backend, ada_preferences: list[Any]) -> None:
    """ada subscribes to "team" with the preferences given, bob and cy with none."""
    backend.topics.subscribe("team", ["ada"], preferences=ada_preferences)
    backend.topics.subscribe("team", ["bob", "cy"])


TEAM = {"type": "Topic", "topicKey": "team"}


def test_a_condition_over_the_payload_decides_whether_the_subscription_reaches_its_subscriber(backend) -> None:
    _team(backend, [{"workflowId": "alert", "condition": HIGH_ONLY}])
    low = _trigger(backend, "alert", TEAM, {"priority": "low"})
    assert _notified(backend, low) == ["bob", "cy"], "ada's condition does not hold for a low priority"
    assert _messaged(backend, low) == ["bob", "cy"]
    high = _trigger(backend, "alert", TEAM, {"priority": "high"})
    assert _notified(backend, high) == ["ada", "bob", "cy"]
    assert _messaged(backend, high) == ["ada", "bob", "cy"]


def test_a_preference_turned_off_by_tag_keeps_out_only_the_workflows_it_names(backend) -> None:
    _team(backend, [{"filter": {"tags": ["marketing"]}, "enabled": False}])
    assert _notified(backend, _trigger(backend, "news", TEAM)) == ["bob", "cy"]
    assert _notified(backend, _trigger(backend, "alert", TEAM)) == ["ada", "bob", "cy"], "alert is not tagged marketing"


def test_a_condition_decides_alone_whatever_enabled_says(backend) -> None:
    _team(backend, [{"workflowId": "alert", "enabled": False, "condition": HIGH_ONLY}])
    assert _notified(backend, _trigger(backend, "alert", TEAM, {"priority": "high"})) == ["ada", "bob", "cy"]
    assert _notified(backend, _trigger(backend, "alert", TEAM, {"priority": "low"})) == ["bob", "cy"]


@pytest.mark.parametrize(
    ("condition", "payload", "reaches"),
    [
        ({"var": "payload.urgent"}, {"urgent": True}, True),
        ({"var": "payload.urgent"}, {"urgent": "yes"}, False),  # truthy but not the boolean true
        ({"==": [{"var": "payload.count"}, "3"]}, {"count": 3}, True),  # JavaScript's loose equality
        ({"==": [{"var": "payload.missing"}, 0]}, {}, False),  # null is not 0
        ({"no-such-operation": [1]}, {}, False),  # a rule that cannot be evaluated
        ({"==": [{"var": "subscriber.subscriberId"}, "ada"]}, {}, False),  # only the payload is given
    ],
)
def test_only_a_boolean_true_from_the_condition_lets_the_trigger_through(backend, condition, payload, reaches) -> None:
    _team(backend, [{"workflowId": "alert", "condition": condition}])
    expected = ["ada", "bob", "cy"] if reaches else ["bob", "cy"]
    assert _notified(backend, _trigger(backend, "alert", TEAM, payload)) == expected


def test_a_subscriber_is_reached_when_any_of_its_subscriptions_lets_the_workflow_through(backend) -> None:
    backend.topics.subscribe("team", ["ada"], preferences=[{"workflowId": "alert", "enabled": False}])
    backend.topics.subscribe("ops", ["ada"])
    both = _trigger(backend, "alert", [TEAM, {"type": "Topic", "topicKey": "ops"}])
    assert _notified(backend, both) == ["ada"]
    notification = backend.inbox.notifications(page=0, limit=10, transaction_ids=[both]).items[0]
    assert notification.to_dto()["topics"] == [{"_topicId": backend.topics.get("ops").id, "topicKey": "ops"}]
    assert backend.inbox.notifications(page=0, limit=10, subscription_id="tk=team:si=ada").items == [], (
        "the subscription that turned the workflow down did not reach her"
    )
    assert _notified(backend, _trigger(backend, "alert", TEAM)) == [], "through team alone she is not reached"


def test_two_subscriptions_to_one_topic_are_weighed_each(backend) -> None:
    backend.topics.subscribe("team", [{"subscriberId": "ada", "identifier": "ada-quiet"}],
                             preferences=[{"workflowId": "alert", "enabled": False}])  # fmt: skip
    backend.topics.subscribe("team", [{"subscriberId": "ada", "identifier": "ada-urgent"}],
                             preferences=[{"workflowId": "alert", "condition": HIGH_ONLY}])  # fmt: skip
    assert _notified(backend, _trigger(backend, "alert", TEAM, {"priority": "low"})) == []
    high = _trigger(backend, "alert", TEAM, {"priority": "high"})
    assert _notified(backend, high) == ["ada"], "one notification, through the subscription that holds"
    assert [n.topics for n in backend.inbox.notifications(page=0, limit=10, transaction_ids=[high]).items] == [
        [{"_topicId": backend.topics.get("team").id, "topicKey": "team", "subscriptionIdentifier": "ada-urgent"}]
    ]


def test_direct_recipients_the_actor_and_exclusions_are_settled_before_preferences(backend) -> None:
    _team(backend, [{"workflowId": "alert", "enabled": False}])
    direct = _trigger(backend, "alert", ["ada", TEAM])
    assert _notified(backend, direct) == ["ada", "bob", "cy"], "named directly, ada's subscription is not asked"
    excluded = _trigger(backend, "alert", [{**TEAM, "exclude": ["bob"]}], actor="cy")
    assert _notified(backend, excluded) == [], "bob excluded, cy the actor, ada's subscription turns alert down"


def test_a_workflow_named_without_a_setting_takes_the_workflows_own_enabled(backend) -> None:
    backend.workflows.create(identifier="quiet", name="Quiet", channels=["in_app"],
                             preferences={"user": None, "workflow": {"all": {"enabled": False}}})  # fmt: skip
    result = backend.topics.subscribe("team", ["ada"], preferences=["quiet", "alert"])
    answered = {p["workflow"]["identifier"]: p["enabled"] for p in result["data"][0]["preferences"]}
    assert answered == {"quiet": False, "alert": True}
    backend.topics.subscribe("team", ["bob"])
    assert _notified(backend, _trigger(backend, "quiet", TEAM)) == ["bob"]
    assert _notified(backend, _trigger(backend, "alert", TEAM)) == ["ada", "bob"]


def test_a_preference_changed_through_the_inbox_applies_at_the_next_trigger(backend) -> None:
    _team(backend, [])
    subscription = backend.topics.find_subscription("team", "tk=team:si=ada")
    backend.topics.set_workflow_preference(subscription, backend.workflows.get("alert"), condition=HIGH_ONLY)
    assert _notified(backend, _trigger(backend, "alert", TEAM, {"priority": "low"})) == ["bob", "cy"]
    backend.topics.set_workflow_preference(subscription, backend.workflows.get("alert"), condition={"==": [1, 1]})
    assert _notified(backend, _trigger(backend, "alert", TEAM, {"priority": "low"})) == ["ada", "bob", "cy"]


# -- the wire ------------------------------------------------------------------------------------


def test_wire_a_subscription_condition_filters_the_topic_fan_out(client) -> None:
    members = [item["subscriberId"] for item in client.get("/v2/subscribers", params={"limit": 3}).json()["data"]]
    workflow = client.get("/v1/notifications", params={"limit": 1}).json()["data"][0]["template"]["triggers"][0]
    created = client.post("/v2/topics/wire-conditions/subscriptions", json={
        "subscriptions": members[:1],
        "preferences": [{"workflowId": workflow["identifier"], "condition": HIGH_ONLY}]})  # fmt: skip
    assert created.status_code == 201, created.text
    client.post("/v2/topics/wire-conditions/subscriptions", json={"subscriptions": members[1:]})
    sent = {}
    for priority in ("low", "high"):
        answer = client.post("/v1/events/trigger", json={
            "name": workflow["identifier"], "to": [{"type": "Topic", "topicKey": "wire-conditions"}],
            "payload": {"priority": priority}})  # fmt: skip
        assert answer.status_code == 201
        activity = client.get("/v1/notifications", params={"transactionId": answer.json()["data"]["transactionId"]})
        sent[priority] = sorted(item["subscriber"]["subscriberId"] for item in activity.json()["data"])
    assert sent == {"low": sorted(members[1:]), "high": sorted(members)}
