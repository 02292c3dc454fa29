"""/v1/inbox/notifications*: the filters as @novu/js writes them, over the same records as /v2."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mock_server.store import application_identifier

from .conftest import KEY


@pytest.fixture
def seeded(client) -> str:
    """A fixture subscriber with notifications of several workflows."""
    for subscriber in client.get("/v2/subscribers", params={"limit": 100}).json()["data"]:
        listed = client.get(f"/v2/subscribers/{subscriber['subscriberId']}/notifications", params={"limit": 100}).json()
        if len({n["workflow"]["identifier"] for n in listed["data"]}) >= 2:
            return subscriber["subscriberId"]
    raise AssertionError("the fixtures have no subscriber with notifications of two workflows")


@pytest.fixture
def inbox(app, seeded) -> Iterator[TestClient]:
    with TestClient(app) as browser:
        made = browser.post("/v1/inbox/session", json={"applicationIdentifier": application_identifier(KEY), "subscriber": seeded})
        browser.headers["Authorization"] = f"Bearer {made.json()['data']['token']}"
        yield browser


def _all(client, seeded: str, **params) -> list[dict]:
    return client.get(f"/v2/subscribers/{seeded}/notifications", params={"limit": 100, **params}).json()["data"]


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_tags_any_of_and_groups(client, inbox, seeded) -> None:
    everything = _all(client, seeded)
    tags = sorted({tag for n in everything for tag in n["tags"]})
    assert len(tags) >= 2
    one, other = tags[0], tags[1]
    listed = _ids(inbox.get(f"/v1/inbox/notifications?limit=100&tags[]={one}&tags[]={other}"))
    assert listed == [n["id"] for n in everything if one in n["tags"] or other in n["tags"]]
    both = _ids(inbox.get(f"/v1/inbox/notifications?limit=100&tags[0][]={one}&tags[1][]={other}"))
    assert both == [n["id"] for n in everything if one in n["tags"] and other in n["tags"]]
    echoed = inbox.get(f"/v1/inbox/notifications?tags[0][]={one}&tags[1][]={other}").json()["filter"]
    assert echoed["tags"] == {"and": [{"or": [one]}, {"or": [other]}]}


def test_severity_as_a_list_or_one_value(client, inbox, seeded) -> None:
    everything = _all(client, seeded)
    severities = sorted({n["severity"] for n in everything})
    single = _ids(inbox.get("/v1/inbox/notifications", params={"limit": 100, "severity": severities[0]}))
    assert single == [n["id"] for n in everything if n["severity"] == severities[0]]
    several = _ids(inbox.get("/v1/inbox/notifications", params=[("limit", 100)] + [("severity[]", s) for s in severities]))
    assert several == [n["id"] for n in everything]


def test_count_reads_data_objects_and_a_single_severity(client, inbox, seeded) -> None:
    everything = _all(client, seeded)
    severity = everything[0]["severity"]
    data_key, data_value = next(((k, v) for n in everything for k, v in n["data"].items() if isinstance(v, str)), ("none", "x"))
    filters = [{"read": False, "archived": False, "snoozed": False}, {"severity": severity}, {"data": {data_key: data_value}}, {"seen": True, "tags": []}]
    answer = inbox.get("/v1/inbox/notifications/count", params={"filters": json.dumps(filters)})
    assert answer.status_code == 200, answer.text
    counts = [item["count"] for item in answer.json()["data"]]
    assert counts[0] == len(_all(client, seeded, read="false", archived="false"))
    assert counts[1] == sum(1 for n in everything if n["severity"] == severity)
    assert counts[2] == sum(1 for n in everything if n["data"].get(data_key) == data_value)
    assert counts[3] == len(_all(client, seeded, seen="true"))


def test_a_change_through_the_inbox_is_one_change_of_the_store(client, inbox, seeded) -> None:
    first = _all(client, seeded, read="false")[0]
    assert inbox.patch(f"/v1/inbox/notifications/{first['id']}/read").json()["data"]["isRead"] is True
    feed = client.get(f"/v1/subscribers/{seeded}/notifications/feed", params={"limit": 100}).json()["data"]
    assert next(item for item in feed if item["_id"] == first["id"])["read"] is True
    assert inbox.delete(f"/v1/inbox/notifications/{first['id']}/delete").status_code == 204
    assert first["id"] not in {n["id"] for n in _all(client, seeded)}


def test_bulk_calls_take_the_body_as_novu_js_sends_it(client, inbox, seeded) -> None:
    everything = _all(client, seeded)
    tag = everything[0]["tags"][0]
    data = json.dumps({"none-such-key": "x"})
    before = {n["id"]: n["isRead"] for n in everything}
    assert inbox.post("/v1/inbox/notifications/read", json={"tags": [tag], "data": data}).status_code == 204
    assert {n["id"]: n["isRead"] for n in _all(client, seeded)} == before  # no notification has that data
    assert any(not read for read in before.values())
    assert inbox.post("/v1/inbox/notifications/read", json={"tags": [tag]}).status_code == 204
    after = _all(client, seeded)
    assert all(n["isRead"] for n in after if tag in n["tags"])
