"""The mock's own checks of the trigger family: fan-out to topics (Novu's TriggerMulticast rules),
bulk (ProcessBulkTrigger), broadcast (TriggerEventToAll), cancel (CancelDelayed), and the effects
a user sees in the inbox, messages, activity, preferences and the journal."""

from __future__ import annotations

import pytest

from mock_server.errors import UnprocessableEntity
from mock_server.store import Backend, Environment
from tests.reach import messaged as _messages
from tests.reach import notified as _reached


@pytest.fixture
def backend() -> Backend:
    backend = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    for subscriber_id in ("ada", "bob", "cy", "dee", "eve"):
        backend.subscribers.create(subscriber_id=subscriber_id, profile={})
    backend.workflows.create(identifier="alert", name="Alert", channels=["in_app"])
    backend.workflows.create(identifier="later", name="Later", channels=["delay", "in_app"])
    backend.topics.subscribe("team", ["ada", "bob", "cy"])
    backend.topics.subscribe("ops", ["cy", "dee"])
    return backend


# -- fan-out -------------------------------------------------------------------------------------


def test_topics_fan_out_once_per_subscriber_without_the_actor_or_excluded(backend) -> None:
    answer = backend.inbox.trigger_event(
        workflow_id="alert",
        to=[{"type": "Topic", "topicKey": "team"}, {"type": "Topic", "topicKey": "ops", "exclude": ["dee"]}],
        actor="ada",
    )
    assert answer["status"] == "processed"
    assert _reached(backend, answer["transactionId"]) == ["bob", "cy"], "cy once; ada is the actor; dee excluded"
    assert _messages(backend, answer["transactionId"]) == ["bob", "cy"]


def test_direct_recipients_are_not_reached_twice_and_the_actor_only_leaves_topics(backend) -> None:
    answer = backend.inbox.trigger_event(
        workflow_id="alert",
        to=["ada", {"subscriberId": "bob", "firstName": "Bob"}, {"type": "Topic", "topicKey": "team"}],
        actor="ada",
    )
    assert _reached(backend, answer["transactionId"]) == ["ada", "bob", "cy"], "a direct mention reaches the actor"
    assert backend.subscribers.get("bob").first_name == "Bob"


def test_exclusions_of_one_topic_apply_to_every_topic_as_novu_flattens_them(backend) -> None:
    answer = backend.inbox.trigger_event(
        workflow_id="alert",
        to=[{"type": "Topic", "topicKey": "team", "exclude": ["cy"]}, {"type": "Topic", "topicKey": "ops"}],
    )
    assert _reached(backend, answer["transactionId"]) == ["ada", "bob", "dee"]


def test_an_unknown_topic_reaches_nobody_and_the_others_still_deliver(backend) -> None:
    answer = backend.inbox.trigger_event(
        workflow_id="alert", to=[{"type": "Topic", "topicKey": "ghost"}, {"type": "Topic", "topicKey": "ops"}]
    )
    assert answer["status"] == "processed" and _reached(backend, answer["transactionId"]) == ["cy", "dee"]


def test_a_recipient_without_subscriber_id_drops_the_whole_trigger(backend) -> None:
    answer = backend.inbox.trigger_event(workflow_id="alert", to=["ada", {"type": "Subscriber"}])
    assert answer["status"] == "processed" and _reached(backend, answer["transactionId"]) == []


def test_a_used_transaction_id_is_acknowledged_and_ignored(backend) -> None:
    first = backend.inbox.trigger_event(workflow_id="alert", to="ada", transaction_id="tx-1")
    again = backend.inbox.trigger_event(workflow_id="alert", to="bob", transaction_id="tx-1")
    assert first == again == {"acknowledged": True, "status": "processed", "transactionId": "tx-1"}
    assert _reached(backend, "tx-1") == ["ada"]


def test_disabled_in_app_preference_makes_no_message(backend) -> None:
    backend.preferences.update("eve", channels=["in_app"], choices={"in_app": False}, workflow_id="alert")
    answer = backend.inbox.trigger_event(workflow_id="alert", to=["eve", "dee"])
    assert _reached(backend, answer["transactionId"]) == ["dee", "eve"]
    assert _messages(backend, answer["transactionId"]) == ["dee"]


# -- bulk, broadcast, cancel ---------------------------------------------------------------------


def test_bulk_answers_each_event_in_order_with_its_own_status(backend) -> None:
    answers = backend.inbox.trigger_bulk([
        {"name": "alert", "to": "ada"},
        {"name": "missing", "to": "ada"},
        {"name": "alert", "to": "bob", "tenant": "acme"},
        {"name": "alert", "to": [{"type": "Topic", "topicKey": "ops"}], "transactionId": "bulk-3"},
    ])  # fmt: skip
    assert [answer["status"] for answer in answers] == ["processed", "error", "no_tenant_found", "processed"]
    assert answers[1] == {"acknowledged": True, "status": "error", "error": ["workflow_not_found"]}
    assert _reached(backend, answers[0]["transactionId"]) == ["ada"]
    assert _reached(backend, "bulk-3") == ["cy", "dee"]


def test_broadcast_reaches_every_subscriber_and_refuses_unknown_workflows(backend) -> None:
    answer = backend.inbox.broadcast(workflow_id="alert", actor="ada", transaction_id="all-1")
    assert answer == {"acknowledged": True, "status": "processed", "transactionId": "all-1"}
    assert _reached(backend, "all-1") == ["ada", "bob", "cy", "dee", "eve"], "the actor too"
    with pytest.raises(UnprocessableEntity, match="workflow_not_found"):
        backend.inbox.broadcast(workflow_id="missing")
    tenant = backend.inbox.broadcast(workflow_id="alert", tenant="acme", transaction_id="all-2")
    assert tenant["status"] == "no_tenant_found" and _reached(backend, "all-2") == [], "as the parse answered"


def test_cancel_answers_false_for_work_that_ran_and_cancels_held_work_once(backend) -> None:
    ran = backend.inbox.trigger_event(workflow_id="alert", to="ada")["transactionId"]
    assert backend.inbox.cancel(ran) is False, "nothing delayed: Novu's CancelDelayed answers false"
    assert backend.inbox.cancel("never-used") is False
    held = backend.inbox.trigger_event(workflow_id="later", to=["ada", "bob"])["transactionId"]
    assert _reached(backend, held) == ["ada", "bob"] and _messages(backend, held) == [], "the delay holds in-app"
    jobs = backend.inbox.notifications(page=0, limit=1, transaction_ids=[held]).items[0].jobs()
    assert [(job["type"], job["status"]) for job in jobs] == [("delay", "delayed"), ("in_app", "pending")]
    assert backend.inbox.cancel(held) is True
    jobs = backend.inbox.notifications(page=0, limit=1, transaction_ids=[held]).items[0].jobs()
    assert [job["status"] for job in jobs] == ["canceled", "canceled"]
    assert backend.inbox.cancel(held) is False, "nothing left to cancel"
    assert _messages(backend, ran) == ["ada"], "delivered messages stay"


def test_held_and_canceled_work_survives_export_and_import(backend) -> None:
    held = backend.inbox.trigger_event(workflow_id="later", to="ada", context={"tenant": "acme"})["transactionId"]
    backend.inbox.cancel(held)
    copy = Backend(Environment("f" * 24, "Other", "o" * 24, "other"))
    copy.import_state(backend.export_state())
    notification = copy.inbox.notifications(page=0, limit=1, transaction_ids=[held]).items[0]
    assert notification.held and notification.canceled and notification.context_keys == ["tenant:acme"]
    assert copy.inbox.cancel(held) is False


# -- the wire ------------------------------------------------------------------------------------


def _subscribers(client, count: int) -> list[str]:
    return [item["subscriberId"] for item in client.get("/v2/subscribers", params={"limit": count}).json()["data"]]


def _workflow(client) -> str:
    return client.get("/v1/notifications", params={"limit": 1}).json()["data"][0]["template"]["triggers"][0]["identifier"]


def test_wire_trigger_to_a_topic_shows_everywhere(client) -> None:
    members = _subscribers(client, 3)
    client.post("/v2/topics/wire-team/subscriptions", json={"subscriptions": members})
    workflow = _workflow(client)
    answer = client.post("/v1/events/trigger", json={
        "name": workflow, "to": [{"type": "Topic", "topicKey": "wire-team"}], "actor": members[0],
        "payload": {"message": "hi"}})  # fmt: skip
    assert answer.status_code == 201
    data = answer.json()["data"]
    assert data["status"] == "processed" and data["activityFeedLink"].startswith("https://dashboard.novu.co/env/")
    activity = client.get("/v1/notifications", params={"transactionId": data["transactionId"]}).json()
    assert sorted(item["subscriber"]["subscriberId"] for item in activity["data"]) == sorted(members[1:])
    messages = client.get("/v1/messages", params={"transactionId": data["transactionId"]}).json()
    assert sorted(item["subscriber"]["subscriberId"] for item in messages["data"]) == sorted(members[1:])
    feed = client.get(f"/v1/subscribers/{members[1]}/notifications/feed").json()["data"]
    assert feed[0]["transactionId"] == data["transactionId"]
    journal = client.get("/_mock/requests", params={"path": "/v1/events/trigger"})
    assert journal.status_code == 200 and data["transactionId"] in journal.text


def test_wire_bulk_limit_and_answers(client) -> None:
    subscriber = _subscribers(client, 1)[0]
    workflow = _workflow(client)
    answer = client.post("/v1/events/trigger/bulk", json={"events": [
        {"name": workflow, "to": subscriber}, {"name": "no-such-workflow", "to": subscriber}]})  # fmt: skip
    assert answer.status_code == 201
    data = answer.json()["data"]
    assert [item["status"] for item in data] == ["processed", "error"]
    assert data[1]["error"] == ["workflow_not_found"]
    too_many = client.post("/v1/events/trigger/bulk", json={"events": [{"name": workflow, "to": subscriber}] * 101})
    assert too_many.status_code == 422
    assert client.post("/v1/events/trigger/bulk", json={"events": []}).status_code == 422


def test_wire_broadcast_and_cancel(client) -> None:
    workflow = _workflow(client)
    total = client.get("/v2/subscribers", params={"limit": 1}).json()["totalCount"]
    answer = client.post("/v1/events/trigger/broadcast", json={"name": workflow, "payload": {}, "transactionId": "wire-all"})
    assert answer.status_code == 201 and answer.json()["data"]["transactionId"] == "wire-all"
    reached, page = [], 0
    while True:
        activity = client.get("/v1/notifications", params={"transactionId": "wire-all", "page": page}).json()
        reached += [item["subscriber"]["subscriberId"] for item in activity["data"]]
        if not activity["hasMore"]:
            break
        page += 1
    assert len(reached) == len(set(reached)) == total, "every subscriber once"
    refused = client.post("/v1/events/trigger/broadcast", json={"name": "no-such-workflow", "payload": {}})
    assert refused.status_code == 422 and refused.json()["message"] == "workflow_not_found"
    no_payload = client.post("/v1/events/trigger/broadcast", json={"name": workflow})
    assert no_payload.status_code == 422 and "payload" in no_payload.json()["errors"], "IsObject, not optional"
    cancel = client.delete("/v1/events/trigger/wire-all")
    assert cancel.status_code == 200 and cancel.json() == {"data": False}
    assert client.delete("/v1/events/trigger/unknown-tx").json() == {"data": False}


def test_the_fanout_benchmark_runs_and_checks_every_feed() -> None:
    """benchmarks/fanout.py end to end on a small topic: it seeds, fans out, checks each feed."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "fanout.py"
    done = subprocess.run(
        [sys.executable, str(script), "--subscribers", "30", "--repeat", "2", "--seconds", "0.3", "--threads", "1"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "each of 30 feeds has exactly one message" in done.stdout
    assert "requests/s" in done.stdout


def test_wire_activity_shows_the_steps_and_the_timing_of_held_work(client) -> None:
    """Novu's activity: `channels` are the workflow's step types (delay and digest too), the
    template its origin, each job's step its name, and the job the worker reached (the digest the
    work waits on) its timing from the step's controls; later jobs carry no `digest` yet."""
    steps = [
        {"name": "Gather", "type": "digest",
         "controlValues": {"amount": 5, "unit": "minutes", "digestKey": "payload.thread",
                           "lookBackWindow": {"amount": 30, "unit": "seconds"}}},
        {"name": "Wait", "type": "delay", "controlValues": {"type": "regular", "amount": 1, "unit": "hours"}},
        {"name": "Tell", "type": "in_app", "controlValues": {"body": "{{payload.thread}}"}},
    ]  # fmt: skip
    made = client.post("/v2/workflows", json={"name": "Gathered", "workflowId": "wire-gathered", "steps": steps})
    assert made.status_code == 201, made.text
    tx = client.post("/v1/events/trigger", json={"name": "wire-gathered", "to": "wire-digest", "payload": {"thread": "t1"}}).json()["data"]["transactionId"]
    (item,) = client.get("/v1/notifications", params={"transactionId": tx}).json()["data"]
    assert item["channels"] == ["digest", "delay", "in_app"]
    assert item["template"]["origin"] == "novu-cloud"
    assert [job["step"].get("name") for job in item["jobs"]] == ["Gather", "Wait", "Tell"]
    assert item["jobs"][0]["status"] == "delayed" and item["jobs"][0]["digest"] == {
        "type": "backoff", "amount": 5, "unit": "minutes", "backoff": True, "backoffAmount": 30,
        "backoffUnit": "seconds", "digestKey": "payload.thread", "events": []}  # fmt: skip
    assert [("digest" in job) for job in item["jobs"][1:]] == [False, False]
    assert client.get(f"/v1/notifications/{item['_id']}").json()["data"]["jobs"][0]["digest"]["type"] == "backoff"


# -- channels given with a recipient or the actor ------------------------------------------------


def _slack(backend: Backend, identifier: str = "slack-main"):
    return backend.integrations.create(provider_id="slack", channel="chat", identifier=identifier, active=True)


def test_a_recipients_channels_are_stored_as_the_credentials_route_stores_them(backend) -> None:
    slack = _slack(backend)
    credentials = {"webhookUrl": "https://hooks.example/1", "deviceTokens": ["a", "a"], "title": "dropped"}
    channel = {"providerId": "slack", "credentials": credentials}
    answer = backend.inbox.trigger_event(workflow_id="alert", to={"subscriberId": "new-one", "channels": [channel]})
    backend.subscribers.set_credentials("ada", provider_id="slack", credentials=channel["credentials"])
    through_trigger = backend.subscribers.get("new-one").to_dto()["channels"]
    assert through_trigger == backend.subscribers.get("ada").to_dto()["channels"]
    assert through_trigger == [{"credentials": {"webhookUrl": "https://hooks.example/1", "deviceTokens": ["a"]},
                                "_integrationId": slack.id, "providerId": "slack"}]  # fmt: skip
    assert _reached(backend, answer["transactionId"]) == ["new-one"]


def test_device_tokens_given_with_a_trigger_are_added_to_the_channels_ones(backend) -> None:
    _slack(backend)
    backend.subscribers.set_credentials("ada", provider_id="slack", credentials={"deviceTokens": ["a", "b"]})
    backend.inbox.trigger_event(workflow_id="alert", to={"subscriberId": "ada", "channels": [
        {"providerId": "slack", "credentials": {"deviceTokens": ["b", "c"]}}]})  # fmt: skip
    assert backend.subscribers.get("ada").to_dto()["channels"][0]["credentials"]["deviceTokens"] == ["a", "b", "c"]


def test_the_newest_active_integration_is_used_unless_one_is_named(backend) -> None:
    older, newer = _slack(backend, "slack-old"), _slack(backend, "slack-new")
    backend.inbox.trigger_event(workflow_id="alert", to=[
        {"subscriberId": "ada", "channels": [{"providerId": "slack", "credentials": {"webhookUrl": "https://h/1"}}]},
        {"subscriberId": "bob", "channels": [{"providerId": "slack", "integrationIdentifier": "slack-old",
                                              "credentials": {"webhookUrl": "https://h/2"}}]},
    ])  # fmt: skip
    assert backend.subscribers.get("ada").to_dto()["channels"][0]["_integrationId"] == newer.id
    assert backend.subscribers.get("bob").to_dto()["channels"][0]["_integrationId"] == older.id


def test_a_refused_channel_leaves_that_recipient_without_a_notification_and_its_profile_as_it_was(backend) -> None:
    _slack(backend)
    backend.subscribers.patch("ada", {"firstName": "Ada"})
    answer = backend.inbox.trigger_event(workflow_id="alert", to=[
        "bob",
        {"subscriberId": "ada", "firstName": "Changed", "channels": [
            {"providerId": "slack", "credentials": {"webhookUrl": "https://h/kept"}},
            {"providerId": "pigeon", "credentials": {"webhookUrl": "https://h/refused"}}]},
        {"subscriberId": "newcomer", "channels": [{"providerId": "pigeon", "credentials": {}}]},
    ])  # fmt: skip
    assert answer["status"] == "processed"
    assert _reached(backend, answer["transactionId"]) == ["bob"]
    ada = backend.subscribers.get("ada").to_dto()
    assert ada["firstName"] == "Ada"  # update-subscriber stores the channels first
    assert [c["credentials"] for c in ada["channels"]] == [{"webhookUrl": "https://h/kept"}]
    assert backend.subscribers.get("newcomer").to_dto()["channels"] == []  # created, then refused


def test_an_actor_with_a_refused_channel_stops_the_trigger_and_leaves_its_transaction_unused(backend) -> None:
    actor = {"subscriberId": "eve", "channels": [{"providerId": "pigeon", "credentials": {}}]}
    answer = backend.inbox.trigger_event(workflow_id="alert", to=["ada", "bob"], actor=actor, transaction_id="tx-actor")
    assert answer["status"] == "processed"
    assert _reached(backend, "tx-actor") == []
    again = backend.inbox.trigger_event(workflow_id="alert", to=["ada", "bob"], actor="eve", transaction_id="tx-actor")
    assert _reached(backend, again["transactionId"]) == ["ada", "bob"]


# -- the topics a notification was sent through ------------------------------------------------------


def _topics_of(backend: Backend, transaction_id: str) -> dict[str, list[str]]:
    page = backend.inbox.notifications(page=0, limit=100, transaction_ids=[transaction_id])
    return {n.subscriber.subscriber_id: [t["topicKey"] for t in n.to_dto()["topics"]] for n in page.items}


def test_each_notification_names_the_topics_its_subscriber_was_reached_through(backend) -> None:
    answer = backend.inbox.trigger_event(
        workflow_id="alert", to=["eve", {"type": "Topic", "topicKey": "team"}, {"type": "Topic", "topicKey": "ops"}]
    )
    assert _topics_of(backend, answer["transactionId"]) == {
        "eve": [], "ada": ["team"], "bob": ["team"], "cy": ["team", "ops"], "dee": ["ops"],
    }  # fmt: skip
    dto = next(n for n in backend.inbox._notifications.values() if n.subscriber.subscriber_id == "cy").to_dto()
    assert dto["topics"][0] == {"_topicId": backend.topics.get("team").id, "topicKey": "team"}


def test_a_broadcast_and_direct_recipients_have_no_topics(backend) -> None:
    answer = backend.inbox.broadcast(workflow_id="alert", payload={})
    assert set(map(tuple, _topics_of(backend, answer["transactionId"]).values())) == {()}


def test_the_activity_filters_by_topic_key_and_subscription_identifier(backend) -> None:
    answer = backend.inbox.trigger_event(workflow_id="alert", to=[{"type": "Topic", "topicKey": "team"},
                                                                  {"type": "Topic", "topicKey": "ops"}])  # fmt: skip
    by_topic = backend.inbox.notifications(page=0, limit=100, topic_key="ops")
    assert sorted(n.subscriber.subscriber_id for n in by_topic.items) == ["cy", "dee"]
    identifier = backend.topics.find_subscription("ops", "tk=ops:si=dee").identifier
    by_subscription = backend.inbox.notifications(page=0, limit=100, subscription_id=identifier)
    assert [n.subscriber.subscriber_id for n in by_subscription.items] == ["dee"]
    transaction_ids = [answer["transactionId"]]
    nobody = backend.inbox.notifications(page=0, limit=100, topic_key="nobody", transaction_ids=transaction_ids)
    assert nobody.items == []


def test_the_topics_of_notifications_survive_an_export_and_import(backend) -> None:
    answer = backend.inbox.trigger_event(workflow_id="alert", to={"type": "Topic", "topicKey": "ops"})
    state = backend.export_state()
    other = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    other.import_state(state)
    assert _topics_of(other, answer["transactionId"]) == {"cy": ["ops"], "dee": ["ops"]}
    assert len(other.inbox.notifications(page=0, limit=10, subscription_id="tk=ops:si=cy").items) == 1
