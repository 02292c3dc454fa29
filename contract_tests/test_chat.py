"""Channel connections, channel endpoints and the chat OAuth round trip, black-box over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from contract_tests.chat_fixtures import _id, connections, integration, subscriber  # noqa: F401  (fixtures)
from contract_tests.oauth_urls import provider_form


def _page(client, path: str, **query) -> dict:
    response = client.get(path, params=query)
    assert response.status_code == 200, response.text
    return response.json()


# -- channel connections -----------------------------------------------------------------


def test_connection_crud_in_the_seed_shape(client, integration, subscriber, connections) -> None:
    slack = integration("slack", "chat")
    subscriber = subscriber()
    created = connections(
        integrationIdentifier=slack["identifier"],
        subscriberId=subscriber,
        context={"tenant": "org-123", "region": {"id": "us-east-1", "data": {"zone": "a"}}},
        workspace={"id": "T123456", "name": "Acme HQ"},
        auth={"accessToken": "Workspace access token"},
    )
    assert set(created) >= {"identifier", "channel", "providerId", "integrationIdentifier", "subscriberId",
                            "contextKeys", "workspace", "auth", "createdAt", "updatedAt"}
    assert created["identifier"].startswith("chconn_")
    assert (created["channel"], created["providerId"]) == ("chat", "slack")
    assert created["subscriberId"] == subscriber
    assert sorted(created["contextKeys"]) == ["region:us-east-1", "tenant:org-123"]
    assert created["workspace"] == {"id": "T123456", "name": "Acme HQ"}
    assert created["auth"] == {"hasAccessToken": True}

    path = f"/v1/channel-connections/{created['identifier']}"
    assert client.get(path).json()["data"] == created
    updated = client.patch(path, json={"workspace": {"id": "T123456", "name": "Acme"}, "auth": {"accessToken": "rotated"}})
    assert updated.status_code == 200
    assert updated.json()["data"]["workspace"]["name"] == "Acme"
    assert updated.json()["data"]["auth"] == {"hasAccessToken": True}
    assert client.get(path).json()["data"]["workspace"]["name"] == "Acme"

    deleted = client.delete(path)
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get(path).status_code == 404
    assert client.delete(path).status_code == 404


def test_connection_list_filters_and_cursor_pages(client, integration, subscriber, connections) -> None:
    slack = integration("slack", "chat")
    teams = integration("msteams", "chat")
    made = [connections(integrationIdentifier=slack["identifier"], subscriberId=subscriber("page-")) for _ in range(5)]
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
    created = connections(integrationIdentifier=slack["identifier"], connectionMode="shared", context={"tenant": _id("iso-")})
    path = f"/v1/channel-connections/{created['identifier']}"
    assert other_client.get(path).status_code == 404
    assert other_client.patch(path, json={"workspace": {"id": "T"}, "auth": {"accessToken": "x"}}).status_code == 404
    assert other_client.delete(path).status_code == 404
    assert created["identifier"] not in {
        c["identifier"] for c in _page(other_client, "/v1/channel-connections", limit=100)["data"]}
    assert client.get(path).status_code == 200


# -- channel endpoints -------------------------------------------------------------------


def test_endpoints_of_every_type(client, integration, subscriber, connections) -> None:
    slack = integration("slack", "chat")
    teams = integration("msteams", "chat")
    hook = integration("chat-webhook", "chat")
    sms = integration("twilio", "sms")
    subscriber = subscriber("ep-")
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
    made = []
    for owner, endpoint_type, data, connection in cases:
        body = {"subscriberId": subscriber, "integrationIdentifier": owner["identifier"], "type": endpoint_type, "endpoint": data}
        if connection:
            body["connectionIdentifier"] = connection
        response = client.post("/v1/channel-endpoints", json=body)
        assert response.status_code == 201, (endpoint_type, response.text)
        endpoint = response.json()["data"]
        made.append(endpoint["identifier"])
        assert endpoint["type"] == endpoint_type and endpoint["endpoint"] == data
        assert endpoint["connectionIdentifier"] == connection
        assert endpoint["providerId"] == owner["providerId"] and endpoint["subscriberId"] == subscriber
        assert client.get(f"/v1/channel-endpoints/{endpoint['identifier']}").json()["data"] == endpoint

    listed = _page(client, "/v1/channel-endpoints", subscriberId=subscriber, limit=100)
    assert sorted(e["type"] for e in listed["data"]) == sorted(case[1] for case in cases)
    on_slack = _page(client, "/v1/channel-endpoints", connectionIdentifier=slack_connection["identifier"])
    assert {e["type"] for e in on_slack["data"]} == {"slack_channel", "slack_user"}

    for identifier in made:
        assert client.delete(f"/v1/channel-endpoints/{identifier}").status_code == 204


def test_endpoints_are_private_to_their_environment(client, other_client, integration, subscriber) -> None:
    sms = integration("twilio", "sms")
    response = client.post("/v1/channel-endpoints", json={
        "subscriberId": subscriber(), "integrationIdentifier": sms["identifier"], "type": "phone",
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
def test_oauth_round_trip(client, target, integration, subscriber, provider_id, credentials, consent_path) -> None:
    chat = integration(provider_id, "chat", **credentials)
    subscriber = subscriber("oauth-")
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
    assert data["workspace"]["id"] and data["auth"] == {"hasAccessToken": True}
    if provider_id == "msteams":
        assert data["workspace"]["id"] == "tenant-contract"
    listed = _page(client, "/v1/channel-connections", subscriberId=subscriber)
    assert [c["identifier"] for c in listed["data"]] == [connection_id]
    linked = _page(client, "/v1/channel-endpoints", subscriberId=subscriber)
    assert [(e["type"], e["connectionIdentifier"]) for e in linked["data"]] == [
        ("slack_user" if provider_id == "slack" else "ms_teams_user", connection_id)]
    for endpoint in linked["data"]:
        client.delete(f"/v1/channel-endpoints/{endpoint['identifier']}")
    client.delete(f"/v1/channel-connections/{connection_id}")


def test_oauth_callback_refuses_an_altered_state_and_creates_nothing(client, target, integration, subscriber) -> None:
    slack = integration("slack", "chat", clientId="999.1")
    subscriber = subscriber("tamper-")
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


# -- the OAuth URLs ----------------------------------------------------------------------


def test_slack_oauth_url_has_the_real_form(client, integration, subscriber) -> None:
    slack = integration("slack", "chat", clientId="123.456")
    response = client.post("/v1/integrations/chat/oauth", json={
        "integrationIdentifier": slack["identifier"], "subscriberId": subscriber()})
    assert response.status_code == 201, response.text
    url = provider_form(response.json()["data"]["url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://slack.com/oauth/v2/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == ["123.456"]
    assert query["scope"] == ["chat:write,chat:write.public,channels:read,groups:read,users:read,users:read.email"]
    assert query["redirect_uri"][0].startswith("http")
    assert query["state"][0]

    custom = client.post("/v1/integrations/chat/oauth", json={
        "integrationIdentifier": slack["identifier"], "context": {"tenant": _id()}, "scope": ["chat:write", "im:write"]})
    assert parse_qs(urlsplit(custom.json()["data"]["url"]).query)["scope"] == ["chat:write,im:write"]


def test_msteams_oauth_url_is_admin_consent(client, integration) -> None:
    teams = integration("msteams", "chat", clientId="app-id", tenantId="tenant-42")
    response = client.post("/v1/integrations/chat/oauth", json={
        "integrationIdentifier": teams["identifier"], "context": {"tenant": _id()}})
    assert response.status_code == 201, response.text
    url = provider_form(response.json()["data"]["url"])
    assert url.netloc == "login.microsoftonline.com"
    assert url.path.endswith("/adminconsent")
    assert {"client_id", "redirect_uri", "state"} <= set(parse_qs(url.query))
