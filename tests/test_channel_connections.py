"""The mock's own checks of channel connections, endpoints and their fixtures."""

from __future__ import annotations

from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings
from mock_server.store.cursor import CursorQuery, paginate
from tests.conftest import KEY, OTHER_KEY


def _all(client, path: str) -> list[dict]:
    return client.get(path, params={"limit": 100}).json()["data"]


def test_fixtures_seed_workspaces_connections_and_every_endpoint_type(client) -> None:
    connections = _all(client, "/v1/channel-connections")
    endpoints = _all(client, "/v1/channel-endpoints")
    assert {c["providerId"] for c in connections} == {"slack", "msteams"}
    assert any(c["subscriberId"] is None and c["contextKeys"] for c in connections), "a shared tenant workspace"
    assert len({c["workspace"]["id"] for c in connections}) >= 3
    assert {e["type"] for e in endpoints} == {
        "slack_channel", "slack_user", "ms_teams_channel", "ms_teams_user", "webhook", "phone"}
    identifiers = {c["identifier"] for c in connections}
    assert {e["connectionIdentifier"] for e in endpoints} - {None} <= identifiers
    assert all(c["auth"] == {"hasAccessToken": True} for c in connections), "tokens are never given back"
    assert all(c["createdAt"] < "2026-11-01T09:00:00.000Z" for c in connections), "counted back from REFERENCE_TIME"


def test_same_seed_gives_the_same_chat_data_and_environments_differ() -> None:
    def snapshot(seed: int, key: str) -> tuple:
        settings = Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=seed)
        with TestClient(create_app(settings), headers={"Authorization": f"ApiKey {key}"}) as http:
            return _all(http, "/v1/channel-connections"), _all(http, "/v1/channel-endpoints")

    assert snapshot(7, KEY) == snapshot(7, KEY)
    assert snapshot(7, KEY) != snapshot(8, KEY)
    assert snapshot(7, KEY) != snapshot(7, OTHER_KEY)


def test_no_fixtures_means_no_connections() -> None:
    settings = Settings(api_keys={KEY: "Development"}, fixtures=False)
    with TestClient(create_app(settings), headers={"Authorization": f"ApiKey {KEY}"}) as http:
        assert _all(http, "/v1/channel-connections") == []
        assert _all(http, "/v1/channel-endpoints") == []


def test_paginate_between_two_cursors_and_backwards() -> None:
    items = list(range(10))
    page = lambda **q: paginate(items, CursorQuery(order_direction="ASC", **q), key=str, sort_value=lambda i, _: i, what="item")  # noqa: E731
    between = page(after="2", before="7", limit=10)
    assert between.items == [3, 4, 5, 6] and between.previous == "3" and between.next == "6"
    last = page(before="9", limit=3)
    assert last.items == [6, 7, 8] and last.next == "8" and last.previous == "6"
    first = page(limit=3)
    assert first.items == [0, 1, 2] and first.previous is None and first.next == "2"
    tail = page(after="7", limit=5)
    assert tail.items == [8, 9] and tail.next is None and tail.total_count == 10


def test_user_endpoints_share_a_shape_but_not_a_type(client) -> None:
    slack_user = next(e for e in _all(client, "/v1/channel-endpoints") if e["type"] == "slack_user")
    path = f"/v1/channel-endpoints/{slack_user['identifier']}"
    assert client.patch(path, json={"endpoint": {"userId": "U0NEW"}}).status_code == 200
    refused = client.patch(path, json={"endpoint": {"teamId": "t", "channelId": "c"}})
    assert refused.status_code == 400
    assert refused.json()["message"] == 'Endpoint must match the required format for type "slack_user"'
    assert client.get(path).json()["data"]["endpoint"] == {"userId": "U0NEW"}


def test_endpoint_body_failures_are_a_400_listing_them(client) -> None:
    response = client.post("/v1/channel-endpoints", json={
        "subscriberId": "s", "integrationIdentifier": "slack-prod", "type": "ms_teams_channel", "endpoint": {"teamId": ""}})
    assert response.status_code == 400
    body = response.json()
    assert body["className"] == "CreateChannelEndpointCommand" and "channelId" in body["message"]
    [failure] = body["constraintsViolated"].values()
    assert failure["messages"] == ["channelId should not be empty"]


def test_connection_mode_rule_is_a_400_with_novus_message(client) -> None:
    response = client.post("/v1/channel-connections", json={
        "integrationIdentifier": "slack-prod", "workspace": {"id": "T"}, "auth": {"accessToken": "x"}})
    assert response.status_code == 400
    assert response.json()["message"] == "Either subscriberId or context must be provided"


def test_a_snapshot_keeps_the_token_the_api_hides(client) -> None:
    state = client.get("/_mock/state").json()
    records = state["services"]["channel_connections"]
    assert records and all(record["auth"]["accessToken"].startswith(("xoxb-", "eyJ")) for record in records)
