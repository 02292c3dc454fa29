"""Parity with Novu's server code for the Topics operations: one rule of Novu per test, black-box
over HTTP, so it runs against the mock and against a real Novu alike (rules already pinned by
``test_topics.py`` are not repeated here).

Each docstring names the file of ``novuhq/novu`` that shows the rule (read in 2025-2026 versions
from the search index, commit given where it matters; ``apps/api/src/app/...``). Everything a test
creates has a key or id starting with ``contract-`` and is deleted when the test ends.
"""

from __future__ import annotations

import uuid

import pytest

from contract_tests.test_parity_inbox import eventually
from contract_tests.test_topics import subscribers, topics  # noqa: F401 - the fixtures, shared

PREFIX = "contract-ptopic-"
IN_APP = {"name": "Bell", "type": "in_app", "controlValues": {"body": "Hello"}}


def _key() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:12]}"


@pytest.fixture
def workflows(client):
    """``workflows(tags=[...])`` creates an active in-app workflow and answers its identifier."""
    made: list[str] = []

    def create(tags: list[str] | None = None) -> str:
        identifier = f"{PREFIX}wf-{uuid.uuid4().hex[:10]}"
        body = {"name": "Contract topic workflow", "workflowId": identifier, "steps": [IN_APP], "tags": tags or []}
        response = client.post("/v2/workflows", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json()["data"]["_id"])
        return identifier

    yield create
    for workflow_id in made:
        client.delete(f"/v2/workflows/{workflow_id}")


def _subscribe(client, key: str, body: dict):
    return client.post(f"/v2/topics/{key}/subscriptions", json=body)


def _unsubscribe(client, key: str, body: dict):
    return client.request("DELETE", f"/v2/topics/{key}/subscriptions", json=body)


# -- topics ------------------------------------------------------------------------------------


def test_upsert_answers_200_for_a_new_topic_too(client, topics) -> None:
    """topics-v2/usecases/upsert-topic/upsert-topic.usecase.ts: `created: !topic` is computed after
    `topic` was assigned the new record, so the controller's 201 branch never runs."""
    key = _key()
    topics.forget(key)
    response = client.post("/v2/topics", json={"key": key})
    assert response.status_code == 200 and response.json()["data"]["key"] == key


def test_fail_if_exists_creates_a_new_key(client, topics) -> None:
    """topics-v2/usecases/upsert-topic/upsert-topic.usecase.ts: failIfExists refuses only a key
    that is already stored."""
    key = _key()
    topics.forget(key)
    response = client.post("/v2/topics", params={"failIfExists": "true"}, json={"key": key, "name": "New"})
    assert response.status_code == 200 and response.json()["data"]["name"] == "New"


def test_fail_if_exists_is_only_the_text_true(client, topics) -> None:
    """topics-v2/topics.controller.ts (@Query('failIfExists') failIfExists?: boolean) under the
    global ValidationPipe({transform: true}) of apps/api/src/bootstrap.ts: Nest turns a boolean
    query argument into `value === 'true'`, refusing nothing."""
    key = topics(name="Kept")["key"]
    for value in ("false", "1", "True", "yes"):
        response = client.post("/v2/topics", params={"failIfExists": value}, json={"key": key, "name": value})
        assert response.status_code == 200, (value, response.text)
    assert client.post("/v2/topics", params={"failIfExists": "true"}, json={"key": key}).status_code == 409


def test_an_empty_name_keeps_the_topic_name(client, topics) -> None:
    """topics-v2/usecases/upsert-topic/upsert-topic.usecase.ts: an existing topic is renamed only
    `if (command.name)`, so an empty name changes nothing."""
    key = topics(name="Kept")["key"]
    assert client.post("/v2/topics", json={"key": key, "name": ""}).json()["data"]["name"] == "Kept"


def test_key_and_name_are_at_most_100_characters(client) -> None:
    """topics-v2/dtos/create-update-topic.dto.ts: key @Length(1, 100), name @Length(0, 100); the
    validation pipe answers 422."""
    assert client.post("/v2/topics", json={"key": "k" * 101}).status_code == 422
    assert client.post("/v2/topics", json={"key": _key(), "name": "n" * 101}).status_code == 422
    assert client.post("/v2/topics", json={"key": ""}).status_code == 422


def test_rename_refuses_an_empty_name(client, topics) -> None:
    """topics-v2/dtos/update-topic.dto.ts: name @IsString() @IsNotEmpty()."""
    key = topics(name="Kept")["key"]
    assert client.patch(f"/v2/topics/{key}", json={"name": ""}).status_code == 422
    assert client.patch(f"/v2/topics/{key}", json={}).status_code == 422
    assert client.get(f"/v2/topics/{key}").json()["data"]["name"] == "Kept"


def test_topic_fields_and_no_name_when_none_was_given(client, topics) -> None:
    """topics-v2/usecases/list-topics/map-topic-entity-to.dto.ts (mapTopicEntityToDto: _id, name,
    key, createdAt, updatedAt; an unset name stays undefined); e2e/list-topics.e2e.ts."""
    named = topics(name="Has a name")
    assert set(named) == {"_id", "key", "name", "createdAt", "updatedAt"}
    unnamed = client.get(f"/v2/topics/{topics()['key']}").json()["data"]
    assert set(unnamed) == {"_id", "key", "createdAt", "updatedAt"}


def test_list_orders_by_key_ascending(client, topics) -> None:
    """e2e/list-topics.e2e.ts ('should order topics by specified field'); the list use case
    passes orderBy and orderDirection to the repository."""
    token = uuid.uuid4().hex[:8]
    for letter in "cab":
        topics(key=f"{PREFIX}{token}-{letter}", name=f"order {token}")
    listed = client.get("/v2/topics", params={"name": token, "orderBy": "key", "orderDirection": "ASC"}).json()
    assert [t["key"][-1] for t in listed["data"]] == ["a", "b", "c"]


def test_list_cursors_previous_null_first_next_null_last(client, topics) -> None:
    """e2e/list-topics.e2e.ts: first page `previous` null and `next` a string; the page after it
    has `next` null and `previous` a string."""
    token = uuid.uuid4().hex[:8]
    for index in range(3):
        topics(name=f"cursor {token} {index}")
    first = client.get("/v2/topics", params={"name": token, "limit": 2}).json()
    assert len(first["data"]) == 2 and first["previous"] is None and isinstance(first["next"], str)
    second = client.get("/v2/topics", params={"name": token, "limit": 2, "after": first["next"]}).json()
    assert len(second["data"]) == 1 and second["next"] is None and isinstance(second["previous"], str)


# -- listing subscriptions ---------------------------------------------------------------------


def test_subscriptions_list_pages_with_cursors(client, topics, subscribers) -> None:
    """e2e/list-topic-subscriptions.e2e.ts ('should list topic subscriptions with pagination')."""
    key = topics()["key"]
    _subscribe(client, key, {"subscriberIds": [subscribers(), subscribers(), subscribers()]})
    first = client.get(f"/v2/topics/{key}/subscriptions", params={"limit": 2}).json()
    assert len(first["data"]) == 2 and isinstance(first["next"], str) and first["previous"] is None
    second = client.get(f"/v2/topics/{key}/subscriptions", params={"limit": 2, "after": first["next"]}).json()
    assert len(second["data"]) == 1 and second["next"] is None and isinstance(second["previous"], str)


def test_subscriptions_list_of_an_empty_topic(client, topics) -> None:
    """e2e/list-topic-subscriptions.e2e.ts ('should return empty array for topic with no subscriptions')."""
    page = client.get(f"/v2/topics/{topics()['key']}/subscriptions").json()
    assert page["data"] == [] and page["next"] is None and page["previous"] is None


def test_subscriptions_list_items_carry_the_whole_topic_and_a_short_subscriber(client, topics, subscribers) -> None:
    """topics-v2/usecases/list-topics/map-topic-entity-to.dto.ts (mapTopicSubscriptionsToDto): the
    topic as a topic answer, the subscriber as _id, subscriberId, firstName, lastName, email and
    avatar only (fields it never had left out, no dates)."""
    topic = topics(name="Listed")
    sid = subscribers(firstName="Ada")
    made = _subscribe(client, topic["key"], {"subscriberIds": [sid]}).json()["data"][0]
    item = client.get(f"/v2/topics/{topic['key']}/subscriptions").json()["data"][0]
    assert item["topic"]["_id"] == topic["_id"] and item["topic"]["name"] == "Listed"
    assert {"createdAt", "updatedAt"} <= set(item["topic"])
    assert item["subscriber"] == {"_id": item["subscriber"]["_id"], "subscriberId": sid, "firstName": "Ada"}
    assert (item["_id"], item["identifier"], item["createdAt"]) == (made["_id"], made["identifier"], made["createdAt"])


def test_subscription_lists_ignore_order_by(client, topics, subscribers) -> None:
    """topics-v2/usecases/list-topic-subscriptions/list-topic-subscriptions.usecase.ts and
    list-subscriber-subscriptions.usecase.ts: the repository gets the direction but not `orderBy`,
    so a subscription renamed last still sorts by `_id`."""
    key = topics()["key"]
    made = sorted(_subscribe(client, key, {"subscriberIds": [subscribers(), subscribers()]}).json()["data"],
                  key=lambda subscription: subscription["_id"])  # fmt: skip
    ids = [s["_id"] for s in made]
    for subscription in reversed(made):  # the newer one is touched first: updatedAt order is the reverse
        client.patch(f"/v2/topics/{key}/subscriptions/{subscription['identifier']}", json={"name": "touched"})
    for order_by in ("updatedAt", "createdAt", "identifier"):
        params = {"orderBy": order_by, "orderDirection": "ASC"}
        listed = client.get(f"/v2/topics/{key}/subscriptions", params=params).json()["data"]
        assert [s["_id"] for s in listed] == ids, order_by
        params["orderDirection"] = "DESC"
        listed = client.get(f"/v2/topics/{key}/subscriptions", params=params).json()["data"]
        assert [s["_id"] for s in listed] == ids[::-1], order_by


def test_subscriptions_of_an_unknown_subscriber_404_message(client) -> None:
    """topics-v2/usecases/list-subscriber-subscriptions/list-subscriber-subscriptions.usecase.ts:
    NotFoundException('Subscriber not found')."""
    response = client.get(f"/v2/subscribers/{PREFIX}nobody-{uuid.uuid4().hex[:6]}/subscriptions")
    assert response.status_code == 404 and response.json()["message"] == "Subscriber not found"


# -- subscribing -------------------------------------------------------------------------------


def test_subscriptions_win_over_subscriber_ids(client, topics, subscribers) -> None:
    """topics-v2/topics.controller.ts (commit d4a353e2): `body.subscriptions || body.subscriberIds`:
    when both are sent only `subscriptions` is read."""
    key = topics()["key"]
    ignored, kept = subscribers(), subscribers()
    chosen = {"identifier": f"{PREFIX}{uuid.uuid4().hex[:8]}", "subscriberId": kept}
    body = _subscribe(client, key, {"subscriberIds": [ignored], "subscriptions": [chosen]}).json()
    assert [s["subscriber"]["subscriberId"] for s in body["data"]] == [kept]
    assert body["meta"] == {"totalCount": 1, "successful": 1, "failed": 0}


def test_subscribing_nobody_is_201_with_zero_counts_and_makes_the_topic(client, topics) -> None:
    """topics-v2/topics.controller.ts (no list: `[]`), create-subscriptions.usecase.ts (the topic
    upsert comes first; no subscriber found: data [], errors []); the controller's 400 needs a failure."""
    key = _key()
    topics.forget(key)
    response = _subscribe(client, key, {})
    assert response.status_code == 201
    assert response.json() == {"data": [], "meta": {"totalCount": 0, "successful": 0, "failed": 0}, "errors": []}
    assert client.get(f"/v2/topics/{key}").status_code == 200


def test_unsubscribing_nobody_is_200_with_zero_counts(client, topics) -> None:
    """topics-v2/usecases/delete-topic-subscriptions/delete-topic-subscriptions.usecase.ts: an empty
    list answers zero counts (commit 0bb6dd8a)."""
    response = _unsubscribe(client, topics()["key"], {})
    assert response.status_code == 200
    assert response.json() == {"data": [], "meta": {"totalCount": 0, "successful": 0, "failed": 0}}


def test_subscribing_to_a_new_key_checks_the_key_rule(client, subscribers) -> None:
    """subscriptions/usecases/create-subscriptions/create-subscriptions.usecase.ts (validateTopicKey
    before creating the topic): 400 with the upsert's message."""
    key = f"{_key()} spaced"
    response = _subscribe(client, key, {"subscriberIds": [subscribers()]})
    assert response.status_code == 400
    assert response.json()["message"].startswith(f'Invalid topic key: "{key}".')


def test_subscribing_with_a_name_renames_the_topic(client, topics, subscribers) -> None:
    """subscriptions/usecases/create-subscriptions/create-subscriptions.usecase.ts (upsertTopic: an
    existing topic gets `name` when one is given)."""
    key = topics(name="Old name")["key"]
    made = _subscribe(client, key, {"subscriberIds": [subscribers()], "name": "New name"}).json()["data"][0]
    assert made["topic"]["name"] == "New name"
    assert client.get(f"/v2/topics/{key}").json()["data"]["name"] == "New name"


def test_a_subscriber_named_twice_counts_once_with_its_first_item(client, topics, subscribers) -> None:
    """subscriptions/usecases/create-subscriptions/create-subscriptions.usecase.ts: each found
    subscriber takes the identifier and name of the first item naming it; totalCount counts items."""
    key, sid = topics()["key"], subscribers()
    items = [{"identifier": f"{PREFIX}first", "subscriberId": sid, "name": "First"},
             {"identifier": f"{PREFIX}second", "subscriberId": sid, "name": "Second"}]  # fmt: skip
    body = _subscribe(client, key, {"subscriptions": items}).json()
    assert [(s["identifier"], s["name"]) for s in body["data"]] == [(f"{PREFIX}first", "First")]
    assert body["meta"] == {"totalCount": 2, "successful": 1, "failed": 0}
    assert client.get(f"/v2/topics/{key}/subscriptions/{PREFIX}second").status_code == 204


def test_existing_subscriptions_are_answered_before_new_ones(client, topics, subscribers) -> None:
    """subscriptions/usecases/create-subscriptions/create-subscriptions.usecase.ts: the data lists
    the subscriptions found by identifier first, then those it created."""
    key = topics()["key"]
    old, new = subscribers(), subscribers()
    _subscribe(client, key, {"subscriberIds": [old]})
    body = _subscribe(client, key, {"subscriberIds": [new, old]}).json()
    assert [s["subscriber"]["subscriberId"] for s in body["data"]] == [old, new]


def test_an_eleventh_subscription_of_a_subscriber_is_refused(client, topics, subscribers) -> None:
    """subscriptions/usecases/create-subscriptions/create-subscriptions.usecase.ts
    (validateSubscriptionLimit: MAX_SUBSCRIPTIONS_PER_SUBSCRIBER = 10 per topic)."""
    key, sid = topics()["key"], subscribers()
    for index in range(10):
        made = _subscribe(client, key, {"subscriptions": [{"identifier": f"{PREFIX}n{index}", "subscriberId": sid}]})
        assert made.status_code == 201, made.text
    refused = _subscribe(client, key, {"subscriptions": [{"identifier": f"{PREFIX}n10", "subscriberId": sid}]})
    assert refused.status_code == 400
    message = f'Subscriber {sid} has reached the maximum allowed of 10 subscriptions for topic "{key}"'
    expected = {"subscriberId": sid, "code": "SUBSCRIPTION_LIMIT_EXCEEDED", "message": message}
    assert refused.json()["errors"] == [expected]
    again = _subscribe(client, key, {"subscriptions": [{"identifier": f"{PREFIX}n3", "subscriberId": sid}]})
    assert again.status_code == 201, "an identifier it already holds is answered, not counted"


def test_create_answers_carry_the_subscriber_dates(client, topics, subscribers) -> None:
    """subscriptions/usecases/create-subscriptions/create-subscriptions.usecase.ts and
    topics-v2/usecases/delete-topic-subscriptions (commit 0bb6dd8a): the subscriber summary
    copies the subscriber's createdAt and updatedAt; fields it never had are left out."""
    key, sid = topics()["key"], subscribers(lastName="Lovelace")
    stored = client.get(f"/v2/subscribers/{sid}").json()["data"]
    made = _subscribe(client, key, {"subscriberIds": [sid]}).json()["data"][0]["subscriber"]
    assert made == {"_id": stored["_id"], "subscriberId": sid, "lastName": "Lovelace",
                    "createdAt": stored["createdAt"], "updatedAt": stored["updatedAt"]}  # fmt: skip
    removed = _unsubscribe(client, key, {"subscriberIds": [sid]}).json()["data"][0]["subscriber"]
    assert (removed["createdAt"], removed["updatedAt"]) == (stored["createdAt"], stored["updatedAt"])


def test_answers_leave_preferences_out_when_none_were_named(client, topics, subscribers) -> None:
    """create-subscriptions.usecase.ts (preferences undefined without request preferences),
    update-subscription.usecase.ts (none without workflows), subscriptions/utils/subscriptions.ts
    (mapTopicSubscriptionToDto: an empty list becomes undefined)."""
    key = topics()["key"]
    made = _subscribe(client, key, {"subscriberIds": [subscribers()]}).json()["data"][0]
    assert "preferences" not in made
    identifier = made["identifier"]
    assert "preferences" not in client.get(f"/v2/topics/{key}/subscriptions/{identifier}").json()["data"]
    renamed = client.patch(f"/v2/topics/{key}/subscriptions/{identifier}", json={"name": "Renamed"}).json()["data"]
    assert renamed["name"] == "Renamed" and "preferences" not in renamed


def test_a_subscription_of_an_unknown_topic_is_204(client) -> None:
    """subscriptions/usecases/get-subscription/get-subscription.usecase.ts: the subscription is looked
    up by topic key and identifier alone (no topic lookup); none found: the controller answers 204."""
    response = client.get(f"/v2/topics/{_key()}/subscriptions/{PREFIX}nothing")
    assert response.status_code == 204 and response.content == b""


def test_update_404_messages(client, topics) -> None:
    """subscriptions/usecases/update-subscription/update-subscription.usecase.ts: an unknown topic,
    then an unknown identifier in it, are NotFoundExceptions with these messages."""
    missing_topic = _key()
    response = client.patch(f"/v2/topics/{missing_topic}/subscriptions/x", json={"name": "n"})
    assert response.status_code == 404 and response.json()["message"] == f"Topic with key {missing_topic} not found"
    key = topics()["key"]
    response = client.patch(f"/v2/topics/{key}/subscriptions/{PREFIX}none", json={"name": "n"})
    assert response.status_code == 404
    assert response.json()["message"] == f"Subscription with identifier {PREFIX}none not found for topic {key}"


# -- subscription preferences ------------------------------------------------------------------


def test_preferences_are_answered_and_named_by_identifier(client, topics, subscribers, workflows) -> None:
    """e2e/get-topic-subscription.e2e.ts (commit e5e334d3: a filter with enabled false is read back
    disabled); create-subscription-preferences.usecase.ts and subscriptions/utils/subscriptions.ts
    name the subscription of a preference by its identifier."""
    key, workflow = topics()["key"], workflows()
    body = {"subscriberIds": [subscribers()], "preferences": [{"filter": {"workflowIds": [workflow]}, "enabled": False}]}
    made = _subscribe(client, key, body).json()["data"][0]
    assert [(p["workflow"]["identifier"], p["enabled"]) for p in made["preferences"]] == [(workflow, False)]
    assert made["preferences"][0]["subscriptionId"] == made["identifier"]
    read = client.get(f"/v2/topics/{key}/subscriptions/{made['identifier']}").json()["data"]
    assert [(p["workflow"]["identifier"], p["enabled"], p["subscriptionId"]) for p in read["preferences"]] == [
        (workflow, False, made["identifier"])]


def test_update_replaces_preferences_and_answers_the_named_ones(client, topics, subscribers, workflows) -> None:
    """subscriptions/usecases/update-subscription/update-subscription.usecase.ts (commit f1899355):
    the stored preferences are deleted, the new ones created; the answer lists the named workflows;
    e2e/update-topic-subscription.e2e.ts (condition kept)."""
    key, first, second = topics()["key"], workflows(), workflows()
    made = _subscribe(client, key, {"subscriberIds": [subscribers()], "preferences": [first]}).json()["data"][0]
    condition = {"==": [{"var": "payload.priority"}, "high"]}
    replacement = {"preferences": [{"filter": {"workflowIds": [second]}, "condition": condition}]}
    changed = client.patch(f"/v2/topics/{key}/subscriptions/{made['identifier']}", json=replacement)
    assert changed.status_code == 200
    answered = changed.json()["data"]["preferences"]
    assert [(p["workflow"]["identifier"], p["condition"]) for p in answered] == [(second, condition)]
    read = client.get(f"/v2/topics/{key}/subscriptions/{made['identifier']}").json()["data"]["preferences"]
    assert [p["workflow"]["identifier"] for p in read] == [second], "the first workflow's preference is gone"


def test_a_workflow_id_object_keeps_the_workflow_enabled(client, topics, subscribers, workflows) -> None:
    """topics-v2/topics.controller.ts (commit d4a353e2, convertPreferencesToGroupFilters): a
    `{workflowId, enabled, condition}` item becomes a filter with its condition only, so its
    `enabled` is not applied."""
    key, workflow = topics()["key"], workflows()
    body = {"subscriberIds": [subscribers()], "preferences": [{"workflowId": workflow, "enabled": False}]}
    made = _subscribe(client, key, body).json()["data"][0]
    assert [(p["workflow"]["identifier"], p["enabled"]) for p in made["preferences"]] == [(workflow, True)]


def test_the_first_item_defining_a_workflow_wins(client, topics, subscribers, workflows) -> None:
    """subscriptions/usecases/create-subscription-preferences (findPreferenceFilterDefinition: the
    first matching item; a filter with tags matches by its tags only)."""
    key, tag = topics()["key"], f"{PREFIX}{uuid.uuid4().hex[:6]}"
    tagged, plain = workflows(tags=[tag]), workflows()
    preferences = [
        {"filter": {"workflowIds": [plain], "tags": [tag]}, "enabled": False},
        {"filter": {"workflowIds": [tagged]}, "enabled": True},
    ]
    made = _subscribe(client, key, {"subscriberIds": [subscribers()], "preferences": preferences}).json()["data"][0]
    enabled = {p["workflow"]["identifier"]: p["enabled"] for p in made["preferences"]}
    assert enabled == {tagged: False, plain: True}, "tagged: first item; plain: named but defined by none"


# -- subscription preferences at trigger time ---------------------------------------------------


def _reached(client, key: str, workflow: str, payload: dict, expected: int) -> set[str]:
    """The subscriberIds a trigger of ``workflow`` to the topic notified (once ``expected`` are)."""
    answer = client.post("/v1/events/trigger", json={"name": workflow, "to": [{"type": "Topic", "topicKey": key}],
                                                     "payload": payload})  # fmt: skip
    assert answer.status_code == 201, answer.text
    transaction_id = answer.json()["data"]["transactionId"]

    def read() -> set[str]:
        activity = client.get("/v1/notifications", params={"transactionId": transaction_id})
        assert activity.status_code == 200, activity.text
        return {item["subscriber"]["subscriberId"] for item in activity.json()["data"]}

    return eventually(read, lambda found: len(found) >= expected)


def test_a_subscription_condition_over_the_payload_filters_the_topic_fan_out(client, topics, subscribers,
                                                                             workflows) -> None:  # fmt: skip
    """trigger-multicast.usecase.ts (libs/application-generic: every subscription of the topics
    with its identifier) and apps/worker/.../subscriber-job-bound/subscriber-job-bound.usecase.ts
    (evaluateTopicPreferences: the subscription's preference for the workflow; its condition is
    jsonLogic.apply over {payload}, only the boolean true passing; a subscriber left with no
    subscription gets no jobs); e2e/update-topic-subscription.e2e.ts (the condition's form)."""
    key, workflow = topics()["key"], workflows()
    picky, plain = subscribers(), subscribers()
    condition = {"==": [{"var": "payload.priority"}, "high"]}
    body = {"subscriptions": [picky], "preferences": [{"workflowId": workflow, "condition": condition}]}
    assert _subscribe(client, key, body).status_code == 201
    assert _subscribe(client, key, {"subscriptions": [plain]}).status_code == 201
    assert _reached(client, key, workflow, {"priority": "low"}, 1) == {plain}
    assert _reached(client, key, workflow, {"priority": "high"}, 2) == {picky, plain}


def test_a_tag_filter_turned_off_keeps_out_only_tagged_workflows(client, topics, subscribers, workflows) -> None:
    """subscriber-job-bound.usecase.ts (evaluatePreferenceCondition: without a condition, the
    stored `enabled` decides) and create-subscription-preferences.usecase.ts (a filter with tags
    defines the workflows carrying one of them; a preference is stored only for those named)."""
    key, tag = topics()["key"], f"{PREFIX}{uuid.uuid4().hex[:6]}"
    tagged, other = workflows(tags=[tag]), workflows()
    quiet, plain = subscribers(), subscribers()
    body = {"subscriptions": [quiet], "preferences": [{"filter": {"tags": [tag]}, "enabled": False}]}
    assert _subscribe(client, key, body).status_code == 201
    assert _subscribe(client, key, {"subscriptions": [plain]}).status_code == 201
    assert _reached(client, key, tagged, {}, 1) == {plain}
    assert _reached(client, key, other, {}, 2) == {quiet, plain}


# -- v1 -----------------------------------------------------------------------------------------


def test_v1_topic_subscriber_is_the_stored_subscription(client, topics, subscribers) -> None:
    """topics/e2e/get-topic-subscriber.e2e.ts and its use case (mapFromEntity spreads the stored
    record): `_id`, the ids of environment, organization, subscriber and topic, key and subscriberId."""
    topic, sid = topics(), subscribers()
    made = _subscribe(client, topic["key"], {"subscriberIds": [sid]}).json()["data"][0]
    link = client.get(f"/v1/topics/{topic['key']}/subscribers/{sid}").json()["data"]
    assert link["_id"] == made["_id"] and link["_topicId"] == topic["_id"]
    assert link["_subscriberId"] == made["subscriber"]["_id"] and link["externalSubscriberId"] == sid
    assert {"_environmentId", "_organizationId", "topicKey"} <= set(link)
