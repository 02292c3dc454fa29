"""State export / import covers every store service, not only integrations.

An exported environment imported into an emptied one gives back the same state, and the API
answers the same from it (search indexes, cursors, feeds rebuilt); a document that breaks a rule
of any service is refused whole.
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest

SERVICES = {"integrations", "workflows", "subscribers", "preferences", "contexts", "channel_connections",
            "channel_endpoints", "topics", "inbox", "domains", "delivery_events", "environment_variables"}  # fmt: skip


def _busiest_subscriber(state: dict[str, Any]) -> str:
    """The subscriber with the most in-app messages in an exported state."""
    counts = Counter(
        record["subscriberId"] for record in state["services"]["inbox"] for _ in record.get("messages") or []
    )
    return counts.most_common(1)[0][0]


def _views(client, state: dict[str, Any]) -> dict[str, Any]:
    """What a user sees through the API: searches, pages, cursors, feeds, counts, preferences."""
    subscriber = _busiest_subscriber(state)
    with_preferences = state["services"]["preferences"][0]["subscriberId"]
    email = next(s["email"] for s in state["services"]["subscribers"] if s.get("email"))
    views: dict[str, Any] = {}

    def get(view: str, path: str, **params: Any) -> dict[str, Any]:
        response = client.get(path, params=params)
        assert response.status_code == 200, (view, response.text)
        views[view] = response.json()
        return views[view]

    first = get("search", "/v2/subscribers", limit=5, orderBy="updatedAt", orderDirection="ASC")
    assert first["next"], "the seeded environment has more than one page"
    get("search-next", "/v2/subscribers", limit=5, orderBy="updatedAt", orderDirection="ASC", after=first["next"])
    get("search-email", "/v2/subscribers", email=email[:3])
    get("search-name", "/v2/subscribers", name=next(s["firstName"] for s in state["services"]["subscribers"] if s.get("firstName"))[:2])
    get("v1-page", "/v1/subscribers", page=1, limit=7)
    get("subscriber", f"/v2/subscribers/{subscriber}")
    get("preferences", f"/v2/subscribers/{with_preferences}/preferences")
    get("feed", f"/v1/subscribers/{subscriber}/notifications/feed", page=1, limit=3)
    get("unseen", f"/v1/subscribers/{subscriber}/notifications/unseen")
    inbox = get("inbox", f"/v2/subscribers/{subscriber}/notifications", limit=3)
    get("inbox-after", f"/v2/subscribers/{subscriber}/notifications", limit=3, after=inbox["data"][-1]["id"])
    get("messages", "/v1/messages", page=0, limit=10)
    get("activity", "/v1/notifications", page=0, limit=10)
    get("connections", "/v1/channel-connections", limit=100)
    get("endpoints", "/v1/channel-endpoints", limit=100)
    get("domains", "/v1/domains", limit=100)
    for domain in state["services"]["domains"]:
        get(f"routes-{domain['name']}", f"/v1/domains/{domain['name']}/routes", limit=100)
    notification = state["services"]["delivery_events"][0]["notificationId"]
    get("activity-with-delivery-event", f"/v1/notifications/{notification}")
    assert views["feed"]["data"] and views["inbox"]["data"] and views["preferences"]["data"]["workflows"]
    return views


def test_every_service_exports_its_records(client) -> None:
    services = client.get("/_mock/state").json()["services"]
    assert set(services) == SERVICES
    assert all(services.values()), {name: len(records) for name, records in services.items()}
    subscribers = services["subscribers"]
    assert any(s["channels"] and s["channels"][0]["credentials"] for s in subscribers), "credentials are exported"
    assert {s.get("isOnline") for s in subscribers} >= {True, False}, "online status is exported"
    messages = [m for record in services["inbox"] for m in record["messages"]]
    assert any(m["readAt"] for m in messages) and any(not m["seenAt"] for m in messages)
    assert any(w["inApp"] for w in services["workflows"]), "in-app templates are exported"


def test_round_trip_through_an_empty_environment_gives_the_same_state_and_answers(client) -> None:
    exported = client.get("/_mock/state").json()
    before = _views(client, exported)

    emptied = client.post("/_mock/reset", params={"empty": "true"}).json()["services"]
    assert set(emptied) == SERVICES and set(emptied.values()) == {0}
    assert client.get("/v2/subscribers").json()["data"] == []

    imported = client.put("/_mock/state", json=exported)
    assert imported.status_code == 200, imported.text
    assert imported.json()["services"] == {name: len(records) for name, records in exported["services"].items()}
    assert client.get("/_mock/state").json() == exported
    assert _views(client, exported) == before, "search, cursors, feeds and counts answer as before the import"


def test_the_imported_environment_keeps_working(client) -> None:
    """Indexes are live after an import: writes after it are seen by searches, feeds and counts."""
    exported = client.get("/_mock/state").json()
    client.post("/_mock/reset", params={"empty": "true"})
    assert client.put("/_mock/state", json=exported).status_code == 200
    subscriber = _busiest_subscriber(exported)

    created = client.post("/v2/subscribers", json={"subscriberId": "after-import", "email": "zz-after-import@example.com"})
    assert created.status_code == 201
    found = client.get("/v2/subscribers", params={"email": "zz-after"}).json()["data"]
    assert [s["subscriberId"] for s in found] == ["after-import"]

    unseen = client.get(f"/v1/subscribers/{subscriber}/notifications/unseen").json()["data"]["count"]
    feed = client.get(f"/v1/subscribers/{subscriber}/notifications/feed", params={"limit": 100}).json()["data"]
    unseen_ids = [m["_id"] for m in feed if not m["seen"]]
    assert len(unseen_ids) == unseen > 0
    marked = client.post(f"/v1/subscribers/{subscriber}/messages/mark-as", json={"messageId": unseen_ids[0], "markAs": "seen"})
    assert marked.status_code == 201, marked.text
    assert client.get(f"/v1/subscribers/{subscriber}/notifications/unseen").json()["data"]["count"] == unseen - 1

    assert client.delete(f"/v2/subscribers/{subscriber}").status_code == 200
    # Novu's feed use case answers 400 for a subscriber that is not there
    assert client.get(f"/v1/subscribers/{subscriber}/notifications/feed").status_code == 400
    left = client.get("/_mock/state").json()["services"]
    assert not [r for r in left["inbox"] if r["subscriberId"] == subscriber], "its notifications went with it"
    assert not [r for r in left["preferences"] if r["subscriberId"] == subscriber]


def _first_critical(state):
    return next(w for w in state["services"]["workflows"] if w["critical"])


def _twin(records: list[dict[str, Any]], **changes: Any) -> None:
    twin = copy.deepcopy(records[0])
    twin.update(changes)
    records.append(twin)


# each breaks one rule of one service; the words the 409 message must hold
BREAKS = {
    "workflow identifier used twice": (
        lambda s: _twin(s["workflows"], _id="f" * 24), lambda s: s["workflows"][0]["identifier"]),
    "subscriberId used twice": (
        lambda s: _twin(s["subscribers"], _id="f" * 24), lambda s: s["subscribers"][0]["subscriberId"]),
    # (credentials of a removed integration are kept, as Novu keeps them: see the test below)
    "credentials naming an integration of another provider": (
        lambda s: next(x for x in s["subscribers"] if x["channels"])["channels"][0].update(providerId="twilio"),
        lambda s: "twilio"),
    "preferences of an unknown subscriber": (
        lambda s: s["preferences"][0].update(subscriberId="nobody-at-all"), lambda s: "nobody-at-all"),
    "preferences for a critical workflow": (
        lambda s: s["preferences"][0].setdefault("workflows", []).append(
            {"workflowId": _first_critical({"services": s})["identifier"], "channels": {"email": False}}),
        lambda s: _first_critical({"services": s})["identifier"]),
    "connection of an unknown integration": (
        lambda s: s["channel_connections"][0].update(integrationIdentifier="no-such-integration"),
        lambda s: "no-such-integration"),
    "two connections for one owner": (
        lambda s: _twin(s["channel_connections"], identifier="twin-connection"), lambda s: "twin-connection"),
    "endpoint naming a missing connection": (
        lambda s: next(e for e in s["channel_endpoints"] if e["connectionIdentifier"]).update(connectionIdentifier="gone"),
        lambda s: "gone"),
    "notification of an unknown subscriber": (
        lambda s: s["inbox"][0].update(subscriberId="nobody-at-all"), lambda s: "nobody-at-all"),
    "message id used twice": (
        lambda s: next(r for r in s["inbox"][1:] if r["messages"])["messages"][0].update(
            _id=next(r for r in s["inbox"] if r["messages"])["messages"][0]["_id"]),
        lambda s: "used twice"),
    "inbox naming a workflow left out": (
        lambda s: s.update(workflows=[]), lambda s: "not among the workflows"),
    "domain name used twice": (
        lambda s: _twin(s["domains"], _id="f" * 24), lambda s: s["domains"][0]["name"]),
    "two routes for one address": (
        lambda s: s["domains"][0]["routes"].append(dict(s["domains"][0]["routes"][0], _id="f" * 24)),
        lambda s: s["domains"][0]["routes"][0]["address"]),
    "delivery event id used twice": (
        lambda s: _twin(s["delivery_events"]), lambda s: s["delivery_events"][0]["_id"]),
}  # fmt: skip


@pytest.mark.parametrize("rule", list(BREAKS))
def test_a_document_breaking_a_rule_of_any_service_is_409_and_changes_nothing(client, rule) -> None:
    # a change first, so "nothing changed" is not the same as "back to the seeded fixtures"
    assert client.post("/v2/subscribers", json={"subscriberId": "made-before"}).status_code == 201
    before = client.get("/_mock/state").json()
    document = copy.deepcopy(before)
    breaks, expected = BREAKS[rule]
    breaks(document["services"])
    response = client.put("/_mock/state", json=document)
    assert response.status_code == 409, response.text
    assert expected(before["services"]) in response.json()["message"]
    assert client.get("/_mock/state").json() == before


def test_records_breaking_the_schema_of_a_new_service_are_422_and_change_nothing(client) -> None:
    before = client.get("/_mock/state").json()
    document = copy.deepcopy(before)
    del document["services"]["inbox"][0]["subscriberId"]
    document["services"]["workflows"][0]["channels"] = ["carrier-pigeon"]
    document["services"]["preferences"][0]["global"]["channels"]["email"] = "maybe"
    document["services"]["subscribers"][0]["isOnline"] = "sometimes"
    response = client.put("/_mock/state", json=document)
    assert response.status_code == 422
    errors = response.json()["errors"]
    for field in ("services.inbox.0.subscriberId", "services.workflows.0.channels.0",
                  "services.preferences.0.global.channels.email", "services.subscribers.0.isOnline"):  # fmt: skip
        assert field in errors, (field, sorted(errors))
    assert client.get("/_mock/state").json() == before


def test_the_admin_document_types_every_service(client) -> None:
    document = client.get("/_mock/openapi.json").json()
    services = document["components"]["schemas"]["StateDocument"]["properties"]["services"]["properties"]
    assert set(services) == SERVICES
    for name, schema in services.items():
        assert schema["items"]["$ref"].removeprefix("#/components/schemas/") in document["components"]["schemas"], name


def test_credentials_of_a_removed_integration_survive_an_export_and_import(client) -> None:
    """Novu's remove-integration deletes the integration only: subscribers keep the credentials
    they hold for it, and a state export holding them imports again (a state file too)."""
    integration = next(i for i in client.get("/v1/integrations").json()["data"] if i["providerId"] == "slack")
    subscriber = client.get("/v2/subscribers", params={"limit": 1}).json()["data"][0]["subscriberId"]
    put = client.put(f"/v1/subscribers/{subscriber}/credentials",
                     json={"providerId": "slack", "credentials": {"webhookUrl": "https://hooks.slack.com/kept"}})  # fmt: skip
    assert put.status_code == 200, put.text
    assert client.delete(f"/v1/integrations/{integration['_id']}").status_code == 200
    state = client.get("/_mock/state").json()
    imported = client.put("/_mock/state", json=state)
    assert imported.status_code == 200, imported.text
    assert client.get("/_mock/state").json() == state
