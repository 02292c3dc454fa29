"""The inbox's preferences, topic subscriptions and chat channel routes, black-box over HTTP, as
@novu/js 3.19 calls them: a session from ``POST /v1/inbox/session`` with the environment's
``applicationIdentifier``, then ``Authorization: Bearer <token>``.

Runs against any Novu: ``--application-identifier`` (NOVU_APPLICATION_IDENTIFIER) names the
``--api-key`` environment's identifier, read from ``GET /v1/environments/me`` when not given. The environment needs at least one critical and one non-critical
workflow (the mock's fixtures have them). Each test names the Novu file whose behaviour it checks
(apps/api/src/app/inbox/ unless said otherwise), and checks that what the inbox changes is what
the secret-key API reads, and the other way round.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from contract_tests.chat_fixtures import connections, integration  # noqa: F401  (fixtures)

PREFIX = "contract-inbox-more-"


@pytest.fixture(scope="session")
def application_identifier(target, pytestconfig) -> str:
    """--application-identifier (NOVU_APPLICATION_IDENTIFIER), else the local mock's, else the
    environment's ``identifier`` from ``GET /v1/environments/me``."""
    given = pytestconfig.getoption("--application-identifier")
    if given:
        return given
    if target.is_local_mock:
        from mock_server.store import application_identifier

        return application_identifier(target.api_key)
    me = httpx.get(f"{target.url}/v1/environments/me", headers=target.headers(), timeout=30)
    assert me.status_code == 200, "give --application-identifier: the target has no GET /v1/environments/me"
    return me.json()["data"]["identifier"]


@pytest.fixture
def inbox(target, application_identifier, subscribers) -> Iterator:
    """``inbox()`` makes a subscriber and answers ``(subscriberId, client)`` where the client
    speaks with that subscriber's session token (no secret key)."""
    clients: list[httpx.Client] = []

    def open_session() -> tuple[str, httpx.Client]:
        subscriber_id = subscribers(f"{PREFIX}{uuid.uuid4().hex[:12]}")["subscriberId"]
        with httpx.Client(base_url=target.url, timeout=30) as anonymous:
            session = anonymous.post("/v1/inbox/session", json={"applicationIdentifier": application_identifier,
                                                                 "subscriber": {"subscriberId": subscriber_id}})  # fmt: skip
        assert session.status_code == 201, session.text
        http = httpx.Client(base_url=target.url, timeout=30,
                            headers={"Authorization": f"Bearer {session.json()['data']['token']}"})  # fmt: skip
        clients.append(http)
        return subscriber_id, http

    yield open_session
    for http in clients:
        http.close()


def _data(response: httpx.Response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def _workflows(http: httpx.Client, **query) -> list[dict]:
    return [p for p in _data(http.get("/v1/inbox/preferences", params=query)) if p["level"] == "template"]


@pytest.fixture
def topic_keys(client) -> Iterator[list[str]]:
    keys: list[str] = []
    yield keys
    for key in keys:
        client.delete(f"/v2/topics/{key}")


# -- preferences ---------------------------------------------------------------------------------


def test_list_is_the_global_preference_then_the_workflows_of_the_v2_preferences(client, inbox) -> None:
    """usecases/get-inbox-preferences/get-inbox-preferences.usecase.ts"""
    subscriber_id, http = inbox()
    listed = _data(http.get("/v1/inbox/preferences"))
    assert listed[0]["level"] == "global" and listed[0]["enabled"] is True
    assert set(listed[0]["channels"]) >= {"email", "sms", "in_app", "chat", "push"}
    workflows = [p for p in listed[1:]]
    assert workflows and all(p["level"] == "template" for p in workflows)
    for preference in workflows:
        assert set(preference["workflow"]) >= {"id", "identifier", "name", "critical", "tags", "severity"}
        assert preference["workflow"]["critical"] is False, "critical workflows only when asked for"
    v2 = _data(client.get(f"/v2/subscribers/{subscriber_id}/preferences"))
    assert sorted(p["workflow"]["identifier"] for p in workflows) == sorted(w["workflow"]["identifier"] for w in v2["workflows"])


def test_filters_by_criticality_tags_and_severity(inbox) -> None:
    """dtos/get-preferences-request.dto.ts; subscribers/usecases/get-subscriber-preference"""
    _, http = inbox()
    critical = _workflows(http, criticality="critical")
    assert critical and all(p["workflow"]["critical"] for p in critical)
    every = _workflows(http, criticality="all")
    assert len(every) == len(critical) + len(_workflows(http))
    tagged = next(p for p in every if p["workflow"]["tags"] and not p["workflow"]["critical"])
    tag = tagged["workflow"]["tags"][0]
    by_tag = _workflows(http, **{"tags[]": [tag]})
    assert by_tag and all(tag in p["workflow"]["tags"] for p in by_tag)
    assert tagged["workflow"]["id"] in [p["workflow"]["id"] for p in by_tag]
    level = tagged["workflow"]["severity"]
    for query in ({"severity": level}, {"severity[]": [level]}):
        by_severity = _workflows(http, **query)
        assert by_severity and all(p["workflow"]["severity"] == level for p in by_severity)


def test_a_global_change_is_one_change_for_both_apis(client, inbox) -> None:
    """usecases/update-preferences/update-preferences.usecase.ts (global level)"""
    subscriber_id, http = inbox()
    changed = _data(http.patch("/v1/inbox/preferences", json={"email": False}))
    assert changed["level"] == "global" and changed["channels"]["email"] is False and changed["channels"]["sms"] is True
    v2 = _data(client.get(f"/v2/subscribers/{subscriber_id}/preferences"))
    assert v2["global"]["channels"]["email"] is False
    _data(client.patch(f"/v2/subscribers/{subscriber_id}/preferences", json={"channels": {"sms": False}}))
    seen = _data(http.get("/v1/inbox/preferences/global"))
    assert seen["level"] == "global" and seen["channels"]["email"] is False and seen["channels"]["sms"] is False


def test_a_workflow_change_is_one_change_for_both_apis(client, inbox) -> None:
    """usecases/update-preferences/update-preferences.usecase.ts (template level)"""
    subscriber_id, http = inbox()
    workflow = _workflows(http)[0]
    identifier, channel = workflow["workflow"]["identifier"], next(iter(workflow["channels"]))
    changed = _data(http.patch(f"/v1/inbox/preferences/{identifier}", json={channel: False}))
    assert changed["level"] == "template" and changed["channels"][channel] is False
    assert changed["workflow"]["identifier"] == identifier
    v2 = _data(client.get(f"/v2/subscribers/{subscriber_id}/preferences"))
    entry = next(w for w in v2["workflows"] if w["workflow"]["identifier"] == identifier)
    assert entry["channels"][channel] is False
    _data(client.patch(f"/v2/subscribers/{subscriber_id}/preferences",
                       json={"workflowId": identifier, "channels": {channel: True}}))  # fmt: skip
    again = next(p for p in _workflows(http) if p["workflow"]["identifier"] == identifier)
    assert again["channels"][channel] is True


def test_workflow_change_refusals(inbox) -> None:
    """usecases/update-preferences/update-preferences.usecase.ts: 404 unknown, 400 critical"""
    _, http = inbox()
    missing = http.patch(f"/v1/inbox/preferences/{PREFIX}no-such-workflow", json={"email": False})
    assert missing.status_code == 404, missing.text
    critical = _workflows(http, criticality="critical")[0]["workflow"]["identifier"]
    refused = http.patch(f"/v1/inbox/preferences/{critical}", json={"email": False})
    assert refused.status_code == 400
    assert refused.json()["message"] == f"Critical workflow with id: {critical} can not be updated"


def test_bulk_changes_each_workflow_once_and_checks_everything_first(client, inbox) -> None:
    """usecases/bulk-update-preferences/bulk-update-preferences.usecase.ts"""
    subscriber_id, http = inbox()
    first, second = _workflows(http)[:2]
    one, two = next(iter(first["channels"])), next(iter(second["channels"]))
    body = {"preferences": [{"workflowId": first["workflow"]["identifier"], one: False},
                            {"workflowId": second["workflow"]["id"], two: False},
                            {"workflowId": first["workflow"]["id"], one: True}]}  # fmt: skip
    answers = _data(http.patch("/v1/inbox/preferences/bulk", json=body))
    assert [a["workflow"]["id"] for a in answers] == [first["workflow"]["id"], second["workflow"]["id"]]
    assert answers[0]["channels"][one] is True and answers[1]["channels"][two] is False
    v2 = {w["workflow"]["identifier"]: w for w in _data(client.get(f"/v2/subscribers/{subscriber_id}/preferences"))["workflows"]}
    assert v2[second["workflow"]["identifier"]]["channels"][two] is False

    empty = http.patch("/v1/inbox/preferences/bulk", json={"preferences": []})
    assert empty.status_code == 400 and empty.json()["message"] == "No preferences provided for bulk update"
    unknown = http.patch("/v1/inbox/preferences/bulk", json={"preferences": [
        {"workflowId": f"{PREFIX}nope", "email": False}, {"workflowId": first["workflow"]["identifier"], one: False}]})
    assert unknown.status_code == 404 and unknown.json()["message"] == f"Workflows with ids: {PREFIX}nope not found"
    after = next(p for p in _workflows(http) if p["workflow"]["id"] == first["workflow"]["id"])
    assert after["channels"][one] is True, "a refused bulk update changes nothing"


# -- topic subscriptions ---------------------------------------------------------------------------


def test_subscribe_read_rename_and_unsubscribe_through_the_inbox(client, inbox, topic_keys) -> None:
    """inbox.topic.controller.ts; e2e/create-topic-subscription.e2e.ts"""
    subscriber_id, http = inbox()
    key, identifier = f"{PREFIX}{uuid.uuid4().hex[:10]}", f"{PREFIX}sub-{uuid.uuid4().hex[:8]}"
    topic_keys.append(key)
    made = _data(http.post(f"/v1/inbox/topics/{key}/subscriptions",
                           json={"identifier": identifier, "name": "Deals", "topic": {"name": "Deals topic"}}), 201)  # fmt: skip
    assert made["identifier"] == identifier and made["name"] == "Deals" and "preferences" not in made
    assert _data(client.get(f"/v2/topics/{key}"))["name"] == "Deals topic"
    listed = client.get(f"/v2/topics/{key}/subscriptions").json()["data"]
    assert [(s["identifier"], s["subscriber"]["subscriberId"]) for s in listed] == [(identifier, subscriber_id)]

    assert [s["identifier"] for s in _data(http.get(f"/v1/inbox/topics/{key}/subscriptions"))] == [identifier]
    assert _data(http.get(f"/v1/inbox/topics/{key}/subscriptions/{identifier}"))["id"] == made["id"]
    renamed = _data(http.patch(f"/v1/inbox/topics/{key}/subscriptions/{identifier}", json={"name": "Hot deals"}))
    assert renamed["name"] == "Hot deals"
    assert _data(client.get(f"/v2/topics/{key}/subscriptions/{identifier}"))["name"] == "Hot deals"

    assert _data(http.delete(f"/v1/inbox/topics/{key}/subscriptions/{identifier}")) == {"success": True}
    assert client.get(f"/v2/topics/{key}/subscriptions").json()["data"] == []
    gone = http.delete(f"/v1/inbox/topics/{key}/subscriptions/{identifier}")
    assert gone.status_code == 404 and gone.json()["message"] == f"Subscription with identifier {identifier} not found"


def test_another_subscribers_subscription_cannot_be_read_or_changed(inbox, topic_keys) -> None:
    """e2e/topic-subscription-ownership.e2e.ts"""
    _, owner = inbox()
    _, other = inbox()
    key, identifier = f"{PREFIX}{uuid.uuid4().hex[:10]}", f"{PREFIX}own-{uuid.uuid4().hex[:8]}"
    topic_keys.append(key)
    _data(owner.post(f"/v1/inbox/topics/{key}/subscriptions", json={"identifier": identifier, "name": "Mine"}), 201)
    path = f"/v1/inbox/topics/{key}/subscriptions/{identifier}"
    read = other.get(path)
    assert read.status_code == 204 and read.content == b""
    assert other.patch(path, json={"name": "Stolen"}).status_code in (403, 404)
    assert other.delete(path).status_code in (403, 404)
    assert other.get(f"/v1/inbox/topics/{key}/subscriptions").json()["data"] == []
    assert _data(owner.get(path))["name"] == "Mine"


def test_a_subscriptions_workflow_preference_shows_in_the_topics_api(client, inbox, topic_keys) -> None:
    """inbox.controller.ts updateSubscriptionWorkflowPreference; update-preferences (subscription)"""
    _, http = inbox()
    workflow = _workflows(http)[0]["workflow"]
    key, identifier = f"{PREFIX}{uuid.uuid4().hex[:10]}", f"{PREFIX}pref-{uuid.uuid4().hex[:8]}"
    topic_keys.append(key)
    _data(http.post(f"/v1/inbox/topics/{key}/subscriptions",
                    json={"identifier": identifier, "preferences": [workflow["identifier"]]}), 201)  # fmt: skip
    condition = {"==": [{"var": "payload.tier"}, "gold"]}
    changed = _data(http.patch(f"/v1/inbox/subscriptions/{identifier}/preferences/{workflow['identifier']}",
                               json={"enabled": False, "condition": condition}))  # fmt: skip
    assert changed["level"] == "template" and changed["enabled"] is False and changed["condition"] == condition
    assert changed["subscriptionId"] == identifier and changed["workflow"]["id"] == workflow["id"]
    held = _data(client.get(f"/v2/topics/{key}/subscriptions/{identifier}"))["preferences"]
    assert [(p["workflow"]["id"], p["enabled"]) for p in held] == [(workflow["id"], False)]
    seen = _data(http.get(f"/v1/inbox/topics/{key}/subscriptions/{identifier}", params={"workflowIds": [workflow["id"]]}))
    assert [(p["workflow"]["id"], p["enabled"]) for p in seen["preferences"]] == [(workflow["id"], False)]


# -- channel connections and endpoints -------------------------------------------------------------


def test_connections_and_endpoints_are_the_subscribers_own_without_secrets(client, inbox, integration, connections) -> None:
    """inbox.controller.ts (channel routes), dtos/inbox-dto.mapper.ts"""
    subscriber_id, http = inbox()
    other_id, other = inbox()
    slack = integration("slack", "chat")
    mine = connections(integrationIdentifier=slack["identifier"], subscriberId=subscriber_id,
                       workspace={"id": "T1", "name": "Acme"}, auth={"accessToken": "xoxb-secret"})  # fmt: skip
    connections(integrationIdentifier=slack["identifier"], subscriberId=other_id,
                workspace={"id": "T2"}, auth={"accessToken": "xoxb-other"})  # fmt: skip
    endpoint = client.post("/v1/channel-endpoints", json={
        "subscriberId": subscriber_id, "integrationIdentifier": slack["identifier"],
        "connectionIdentifier": mine["identifier"], "type": "slack_user", "endpoint": {"userId": "U123"}})
    assert endpoint.status_code == 201, endpoint.text
    endpoint_id = endpoint.json()["data"]["identifier"]

    page = http.get("/v1/inbox/channel-connections")
    assert page.status_code == 200 and set(page.json()) == {"data", "next", "previous"}
    assert [c["identifier"] for c in page.json()["data"]] == [mine["identifier"]]
    assert page.json()["data"][0]["workspace"] == {"id": "T1", "name": "Acme"} and "auth" not in page.json()["data"][0]
    one = _data(http.get(f"/v1/inbox/channel-connections/{mine['identifier']}"))
    assert one["identifier"] == mine["identifier"] and "xoxb" not in str(one)
    hidden = other.get(f"/v1/inbox/channel-connections/{mine['identifier']}")
    assert hidden.status_code == 404 and hidden.json()["message"] == f"Channel connection not found: {mine['identifier']}"
    assert http.get("/v1/inbox/channel-endpoints").json()["data"] == [{"identifier": endpoint_id, "type": "slack_user"}]
    assert other.get("/v1/inbox/channel-endpoints").json()["data"] == []

    refused = other.delete(f"/v1/inbox/channel-endpoints/{endpoint_id}")
    assert refused.status_code == 404 and refused.json()["message"] == f"Channel endpoint not found: {endpoint_id}"
    assert http.delete(f"/v1/inbox/channel-endpoints/{endpoint_id}").status_code == 204
    assert client.get(f"/v1/channel-endpoints/{endpoint_id}").status_code == 404
    assert other.delete(f"/v1/inbox/channel-connections/{mine['identifier']}").status_code == 404
    assert http.delete(f"/v1/inbox/channel-connections/{mine['identifier']}").status_code == 204
    assert client.get(f"/v1/channel-connections/{mine['identifier']}").status_code == 404


def test_oauth_urls_are_for_the_sessions_subscriber(inbox, integration) -> None:
    """inbox.controller.ts generateConnectOAuthUrl / generateLinkUserOAuthUrl"""
    _, http = inbox()
    slack = integration("slack", "chat", clientId="contract-client", secretKey="contract-secret")
    connect = _data(http.post("/v1/inbox/channel-connections/oauth", json={"integrationIdentifier": slack["identifier"]}), 201)
    assert "slack.com/oauth/v2/authorize" in connect["url"] or "/_mock/oauth/" in connect["url"]
    link = _data(http.post("/v1/inbox/channel-endpoints/oauth",
                           json={"integrationIdentifier": slack["identifier"], "subscriberId": "ignored"}), 201)  # fmt: skip
    assert link["url"] != connect["url"]
    unknown = http.post("/v1/inbox/channel-endpoints/link", json={"integrationIdentifier": f"{PREFIX}nope"})
    assert unknown.status_code == 404 and unknown.json()["message"] == f"Integration {PREFIX}nope not found"


def test_keyless_events_are_refused_outside_keyless_environments(inbox) -> None:
    """usecases/trigger-keyless-event/trigger-keyless-event.usecase.ts"""
    subscriber_id, http = inbox()
    other = http.post("/v1/inbox/events", json={"name": "order-shipped", "to": {"subscriberId": subscriber_id}})
    assert other.status_code == 403 and other.json()["message"] == 'Inbox subscribers may only trigger the "hello-world" workflow.'
    someone = http.post("/v1/inbox/events", json={"name": "hello-world", "to": {"subscriberId": f"{PREFIX}else"}})
    assert someone.status_code == 403 and someone.json()["message"] == "Inbox subscribers may only trigger notifications for themselves."
    own = http.post("/v1/inbox/events", json={"name": "hello-world", "to": {"subscriberId": subscriber_id}})
    assert own.status_code == 403 and own.json()["message"] == "Inbox events can only be triggered from a keyless environment."


def test_the_routes_need_a_session(target) -> None:
    """shared/framework: AuthGuard('subscriberJwt') on every route"""
    with httpx.Client(base_url=target.url, headers=target.headers(), timeout=30) as with_secret_key:
        for method, path in [("GET", "/v1/inbox/preferences"), ("PATCH", "/v1/inbox/preferences/bulk"),
                             ("GET", "/v1/inbox/topics/x/subscriptions"), ("GET", "/v1/inbox/channel-connections")]:  # fmt: skip
            assert with_secret_key.request(method, path, json={} if method == "PATCH" else None).status_code == 401
