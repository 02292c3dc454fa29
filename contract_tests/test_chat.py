"""Channel connections, channel endpoints and the chat OAuth round trip, black-box over HTTP."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

PREFIX = "contract-"


def _id(stem: str = "") -> str:
    return f"{PREFIX}{stem}{uuid.uuid4().hex[:10]}"


@pytest.fixture
def integration(created_at):
    """Creates integrations for a test, removed afterwards (with whatever hangs off them)."""
    integrations = created_at("/v1/integrations", "_id")

    def create(provider_id: str, channel: str, **credentials) -> dict:
        body = {"providerId": provider_id, "channel": channel, "identifier": _id(provider_id + "-"), "active": True}
        if credentials:
            body["credentials"] = credentials
        return integrations.create(body)

    return create


@pytest.fixture
def connections(created_at):
    """Channel connections made by a test, deleted afterwards."""
    made = created_at("/v1/channel-connections", "identifier")

    def create(**body) -> dict:
        body.setdefault("workspace", {"id": "T" + uuid.uuid4().hex[:8].upper(), "name": "Contract HQ"})
        body.setdefault("auth", {"accessToken": "xoxb-contract"})
        return made.create(body)

    return create


def _page(client, path: str, **query) -> dict:
    response = client.get(path, params=query)
    assert response.status_code == 200, response.text
    return response.json()["data"]


# -- channel connections -----------------------------------------------------------------


def test_connection_crud_in_the_seed_shape(client, integration, connections) -> None:
    slack = integration("slack", "chat")
    subscriber = _id("sub-")
    created = connections(
        integrationIdentifier=slack["identifier"],
        subscriberId=subscriber,
        context={"tenant": "org-123", "region": {"id": "us-east-1", "data": {"zone": "a"}}},
        workspace={"id": "T123456", "name": "Acme HQ"},
        auth={"accessToken": "Workspace access token"},
    )
    assert set(created) >= {"identifier", "channel", "providerId", "integrationIdentifier", "subscriberId",
                            "contextKeys", "workspace", "auth", "createdAt", "updatedAt"}
    assert created["identifier"].startswith(slack["identifier"])
    assert (created["channel"], created["providerId"]) == ("chat", "slack")
    assert created["subscriberId"] == subscriber
    assert sorted(created["contextKeys"]) == ["region:us-east-1", "tenant:org-123"]
    assert created["workspace"] == {"id": "T123456", "name": "Acme HQ"}
    assert created["auth"] == {"accessToken": "Workspace access token"}

    path = f"/v1/channel-connections/{created['identifier']}"
    assert client.get(path).json()["data"] == created
    updated = client.patch(path, json={"workspace": {"id": "T123456", "name": "Acme"}, "auth": {"accessToken": "rotated"}})
    assert updated.status_code == 200
    assert updated.json()["data"]["workspace"]["name"] == "Acme"
    assert updated.json()["data"]["auth"]["accessToken"] == "rotated"
    assert client.get(path).json()["data"]["auth"]["accessToken"] == "rotated"

    deleted = client.delete(path)
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get(path).status_code == 404
    assert client.delete(path).status_code == 404


def test_connection_rules(client, integration, connections) -> None:
    slack = integration("slack", "chat")
    subscriber = _id("sub-")
    first = connections(integrationIdentifier=slack["identifier"], subscriberId=subscriber, identifier=_id("conn-"))

    same_resource = client.post("/v1/channel-connections", json={
        "integrationIdentifier": slack["identifier"], "subscriberId": subscriber,
        "workspace": {"id": "T2"}, "auth": {"accessToken": "x"}})
    assert same_resource.status_code == 409
    assert first["identifier"] in same_resource.json()["message"]

    taken = client.post("/v1/channel-connections", json={
        "identifier": first["identifier"], "integrationIdentifier": slack["identifier"], "subscriberId": _id("other-"),
        "workspace": {"id": "T2"}, "auth": {"accessToken": "x"}})
    assert taken.status_code == 409

    email = integration("sendgrid", "email")
    not_chat = client.post("/v1/channel-connections", json={
        "integrationIdentifier": email["identifier"], "subscriberId": subscriber,
        "workspace": {"id": "T2"}, "auth": {"accessToken": "x"}})
    assert not_chat.status_code == 409
    assert "chat" in not_chat.json()["message"]

    unknown = client.post("/v1/channel-connections", json={
        "integrationIdentifier": _id("nope-"), "subscriberId": subscriber, "workspace": {"id": "T2"}, "auth": {"accessToken": "x"}})
    assert unknown.status_code == 404

    no_owner = client.post("/v1/channel-connections", json={
        "integrationIdentifier": slack["identifier"], "workspace": {"id": "T2"}, "auth": {"accessToken": "x"}})
    assert no_owner.status_code == 422
    shared_without_context = client.post("/v1/channel-connections", json={
        "integrationIdentifier": slack["identifier"], "connectionMode": "shared", "subscriberId": subscriber,
        "workspace": {"id": "T2"}, "auth": {"accessToken": "x"}})
    assert shared_without_context.status_code == 422

    shared = connections(integrationIdentifier=slack["identifier"], connectionMode="shared",
                         subscriberId=subscriber, context={"tenant": _id()})
    assert shared["subscriberId"] is None, "shared connections do not store the subscriber"


def test_connection_list_filters_and_cursor_pages(client, integration, connections) -> None:
    slack = integration("slack", "chat")
    teams = integration("msteams", "chat")
    made = [connections(integrationIdentifier=slack["identifier"], subscriberId=_id("page-")) for _ in range(5)]
    other = connections(integrationIdentifier=teams["identifier"], subscriberId=made[0]["subscriberId"])

    listed = _page(client, "/v1/channel-connections", integrationIdentifier=slack["identifier"], limit=100)
    assert listed["totalCount"] == 5 and listed["totalCountCapped"] is False
    assert {c["identifier"] for c in listed["data"]} == {c["identifier"] for c in made}
    by_subscriber = _page(client, "/v1/channel-connections", subscriberId=made[0]["subscriberId"])
    assert {c["identifier"] for c in by_subscriber["data"]} == {made[0]["identifier"], other["identifier"]}
    by_provider = _page(client, "/v1/channel-connections", providerId="msteams", subscriberId=made[0]["subscriberId"])
    assert [c["identifier"] for c in by_provider["data"]] == [other["identifier"]]

    # Walk forward two at a time, oldest first, then back again.
    seen, after, pages = [], None, 0
    while True:
        query = {"integrationIdentifier": slack["identifier"], "limit": 2, "orderDirection": "ASC"}
        if after:
            query["after"] = after
        page = _page(client, "/v1/channel-connections", **query)
        seen += [c["identifier"] for c in page["data"]]
        pages += 1
        if page["next"] is None:
            break
        after = page["next"]
    assert pages == 3 and seen == [c["identifier"] for c in made]
    back = _page(client, "/v1/channel-connections", integrationIdentifier=slack["identifier"], limit=2,
                 orderDirection="ASC", before=seen[4])
    assert [c["identifier"] for c in back["data"]] == seen[2:4]
    assert back["previous"] == seen[2] and back["next"] == seen[3]
    inclusive = _page(client, "/v1/channel-connections", integrationIdentifier=slack["identifier"], limit=2,
                      orderDirection="ASC", after=seen[1], includeCursor="true")
    assert [c["identifier"] for c in inclusive["data"]] == seen[1:3]
    newest_first = _page(client, "/v1/channel-connections", integrationIdentifier=slack["identifier"], limit=100)
    assert [c["identifier"] for c in newest_first["data"]] == seen[::-1]

    assert client.get("/v1/channel-connections", params={"after": _id("no-such-")}).status_code == 404
    assert client.get("/v1/channel-connections", params={"limit": 101}).status_code == 422
    assert client.get("/v1/channel-connections", params={"orderDirection": "UP"}).status_code == 422


def test_connection_context_keys_filter_is_exact_and_unordered(client, integration, connections) -> None:
    slack = integration("slack", "chat")
    tenant = _id()
    both = connections(integrationIdentifier=slack["identifier"], connectionMode="shared",
                       context={"tenant": tenant, "region": "eu"})
    connections(integrationIdentifier=slack["identifier"], connectionMode="shared", context={"tenant": tenant})
    found = _page(client, "/v1/channel-connections", contextKeys=["region:eu", f"tenant:{tenant}"])
    assert [c["identifier"] for c in found["data"]] == [both["identifier"]]


def test_connections_are_private_to_their_environment(client, other_client, integration, connections) -> None:
    slack = integration("slack", "chat")
    created = connections(integrationIdentifier=slack["identifier"], subscriberId=_id("iso-"))
    path = f"/v1/channel-connections/{created['identifier']}"
    assert other_client.get(path).status_code == 404
    assert other_client.patch(path, json={"workspace": {"id": "T"}, "auth": {"accessToken": "x"}}).status_code == 404
    assert other_client.delete(path).status_code == 404
    assert created["identifier"] not in {
        c["identifier"] for c in _page(other_client, "/v1/channel-connections", limit=100)["data"]}
    assert client.get(path).status_code == 200


# -- channel endpoints -------------------------------------------------------------------


def test_endpoints_of_every_type(client, integration, connections) -> None:
    slack = integration("slack", "chat")
    teams = integration("msteams", "chat")
    hook = integration("chat-webhook", "chat")
    sms = integration("twilio", "sms")
    subscriber = _id("ep-")
    slack_connection = connections(integrationIdentifier=slack["identifier"], subscriberId=subscriber)
    teams_connection = connections(integrationIdentifier=teams["identifier"], subscriberId=subscriber)

    cases = [
        (slack, "slack_channel", {"channelId": "C0123"}, slack_connection["identifier"]),
        (slack, "slack_user", {"userId": "U0123"}, slack_connection["identifier"]),
        (teams, "ms_teams_channel", {"teamId": "team-1", "channelId": "19:abc@thread.tacv2"}, teams_connection["identifier"]),
        (teams, "ms_teams_user", {"userId": "aad-user-1"}, teams_connection["identifier"]),
        (hook, "webhook", {"url": "https://hooks.example.com/x", "channel": "#alerts"}, None),
        (sms, "phone", {"phoneNumber": "+15551234567"}, None),
    ]
    for owner, endpoint_type, data, connection in cases:
        response = client.post("/v1/channel-endpoints", json={
            "subscriberId": subscriber, "integrationIdentifier": owner["identifier"], "type": endpoint_type, "endpoint": data})
        assert response.status_code == 201, (endpoint_type, response.text)
        endpoint = response.json()["data"]
        assert endpoint["type"] == endpoint_type and endpoint["endpoint"] == data
        assert endpoint["connectionIdentifier"] == connection, "found from the subscriber when not named"
        assert endpoint["providerId"] == owner["providerId"] and endpoint["subscriberId"] == subscriber
        assert client.get(f"/v1/channel-endpoints/{endpoint['identifier']}").json()["data"] == endpoint

    listed = _page(client, "/v1/channel-endpoints", subscriberId=subscriber, limit=100)
    assert sorted(e["type"] for e in listed["data"]) == sorted(case[1] for case in cases)
    on_slack = _page(client, "/v1/channel-endpoints", connectionIdentifier=slack_connection["identifier"])
    assert {e["type"] for e in on_slack["data"]} == {"slack_channel", "slack_user"}

    # deleting the connection takes the endpoints that use it along
    assert client.delete(f"/v1/channel-connections/{slack_connection['identifier']}").status_code == 204
    assert _page(client, "/v1/channel-endpoints", connectionIdentifier=slack_connection["identifier"])["data"] == []


@pytest.mark.parametrize(
    ("endpoint_type", "data", "field"),
    [
        ("slack_channel", {"userId": "U1"}, "endpoint.channelId"),
        ("ms_teams_channel", {"teamId": "t"}, "endpoint.channelId"),
        ("webhook", {"url": "ftp://example.com"}, "endpoint.url"),
        ("phone", {"phoneNumber": "555-1234"}, "endpoint.phoneNumber"),
        ("fax", {"number": "1"}, "type"),
    ],
)
def test_endpoint_shape_is_validated_by_type(client, endpoint_type, data, field) -> None:
    response = client.post("/v1/channel-endpoints", json={
        "subscriberId": "s", "integrationIdentifier": "i", "type": endpoint_type, "endpoint": data})
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_endpoint_rules(client, integration, connections) -> None:
    slack = integration("slack", "chat")
    teams = integration("msteams", "chat")
    sms = integration("twilio", "sms")
    subscriber = _id("rules-")

    def post(**body):
        return client.post("/v1/channel-endpoints", json={"subscriberId": subscriber, **body})

    no_connection = post(integrationIdentifier=slack["identifier"], type="slack_channel", endpoint={"channelId": "C1"})
    assert no_connection.status_code == 409 and "channel connection" in no_connection.json()["message"]
    wrong_provider = post(integrationIdentifier=sms["identifier"], type="slack_user", endpoint={"userId": "U1"})
    assert wrong_provider.status_code == 409
    wrong_channel = post(integrationIdentifier=teams["identifier"], type="phone", endpoint={"phoneNumber": "+15550001111"})
    assert wrong_channel.status_code == 409
    unknown_connection = post(integrationIdentifier=slack["identifier"], type="slack_user", endpoint={"userId": "U1"},
                              connectionIdentifier=_id("none-"))
    assert unknown_connection.status_code == 404
    teams_connection = connections(integrationIdentifier=teams["identifier"], subscriberId=subscriber)
    foreign_connection = post(integrationIdentifier=slack["identifier"], type="slack_user", endpoint={"userId": "U1"},
                              connectionIdentifier=teams_connection["identifier"])
    assert foreign_connection.status_code == 409

    phone = post(integrationIdentifier=sms["identifier"], type="phone", endpoint={"phoneNumber": "+15550001111"})
    assert phone.status_code == 201
    path = f"/v1/channel-endpoints/{phone.json()['data']['identifier']}"
    changed = client.patch(path, json={"endpoint": {"phoneNumber": "+4930123456"}})
    assert changed.status_code == 200 and changed.json()["data"]["endpoint"] == {"phoneNumber": "+4930123456"}
    other_shape = client.patch(path, json={"endpoint": {"channelId": "C1"}})
    assert other_shape.status_code == 409 and "phone" in other_shape.json()["message"]
    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404


def test_endpoints_are_private_to_their_environment(client, other_client, integration) -> None:
    sms = integration("twilio", "sms")
    response = client.post("/v1/channel-endpoints", json={
        "subscriberId": _id(), "integrationIdentifier": sms["identifier"], "type": "phone",
        "endpoint": {"phoneNumber": "+15550002222"}})
    path = f"/v1/channel-endpoints/{response.json()['data']['identifier']}"
    assert other_client.get(path).status_code == 404
    assert other_client.patch(path, json={"endpoint": {"phoneNumber": "+15550003333"}}).status_code == 404
    assert other_client.delete(path).status_code == 404
    assert client.get(path).status_code == 200
    client.delete(path)


# -- the OAuth round trip ----------------------------------------------------------------


def _browser_walk(target, url: str) -> httpx.Response:
    """Follow the URL like a browser: no API key, every redirect followed."""
    if urlsplit(url).netloc != urlsplit(target.url).netloc:
        pytest.skip("the target sends users to the real provider; the round trip needs its stand-in pages")
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        return browser.get(url)


@pytest.mark.parametrize(
    ("provider_id", "credentials", "consent_path"),
    [
        ("slack", {"clientId": "1234.5678"}, "/_mock/oauth/slack/oauth/v2/authorize"),
        ("msteams", {"clientId": "app-1", "tenantId": "tenant-contract"}, "/_mock/oauth/msteams/tenant-contract/adminconsent"),
    ],
)
def test_oauth_round_trip(client, target, integration, provider_id, credentials, consent_path) -> None:
    chat = integration(provider_id, "chat", **credentials)
    subscriber = _id("oauth-")
    connection_id = _id("oauth-conn-")
    response = client.post("/v1/integrations/channel-connections/oauth", json={
        "integrationIdentifier": chat["identifier"], "subscriberId": subscriber, "connectionIdentifier": connection_id})
    assert response.status_code == 201, response.text
    url = response.json()["data"]["url"]

    page = _browser_walk(target, url)
    assert page.status_code == 200, page.text
    assert [urlsplit(str(r.url)).path for r in page.history] == [consent_path]
    assert urlsplit(str(page.url)).path == "/v1/integrations/chat/oauth/callback"
    assert "code" in parse_qs(urlsplit(str(page.url)).query)

    connection = client.get(f"/v1/channel-connections/{connection_id}")
    assert connection.status_code == 200
    data = connection.json()["data"]
    assert data["subscriberId"] == subscriber and data["providerId"] == provider_id
    assert data["workspace"]["id"] and data["auth"]["accessToken"]
    if provider_id == "msteams":
        assert data["workspace"]["id"] == "tenant-contract"
    listed = _page(client, "/v1/channel-connections", subscriberId=subscriber)
    assert [c["identifier"] for c in listed["data"]] == [connection_id]
    linked = _page(client, "/v1/channel-endpoints", subscriberId=subscriber)
    assert [(e["type"], e["connectionIdentifier"]) for e in linked["data"]] == [
        ("slack_user" if provider_id == "slack" else "ms_teams_user", connection_id)]
    client.delete(f"/v1/channel-connections/{connection_id}")


def test_oauth_callback_refuses_an_altered_state_and_creates_nothing(client, target, integration) -> None:
    slack = integration("slack", "chat", clientId="999.1")
    subscriber = _id("tamper-")
    url = client.post("/v1/integrations/chat/oauth", json={
        "integrationIdentifier": slack["identifier"], "subscriberId": subscriber}).json()["data"]["url"]
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    state = query["state"]
    altered = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
    callback = f"{query['redirect_uri']}?{urlencode({'code': 'any-code', 'state': altered})}"
    if urlsplit(callback).netloc != urlsplit(target.url).netloc:
        pytest.skip("the callback is not on the target")
    response = httpx.get(callback, timeout=30)
    assert 400 <= response.status_code < 500
    assert "state" in response.json()["message"]
    assert _page(client, "/v1/channel-connections", subscriberId=subscriber)["data"] == []
    assert _page(client, "/v1/channel-endpoints", subscriberId=subscriber)["data"] == []
