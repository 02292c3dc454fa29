"""The whole chat OAuth round trip, offline: URL -> stand-in consent page -> callback -> connection."""

from __future__ import annotations

import functools
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.chat_oauth import StateSigner
from mock_server.settings import Settings
from tests.conftest import KEY, OTHER_KEY
from tests.fakes import Clock


def _connections(client, **query) -> list[dict]:
    response = client.get("/v1/channel-connections", params={"limit": 100, **query})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _endpoints(client, **query) -> list[dict]:
    response = client.get("/v1/channel-endpoints", params={"limit": 100, **query})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _oauth_url(client, path: str, body: dict) -> str:
    if body.get("subscriberId"):  # Novu refuses a URL for a subscriber that does not exist (404)
        client.post("/v2/subscribers", json={"subscriberId": body["subscriberId"]})
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]["url"]


def test_slack_round_trip_creates_the_connection_and_links_the_user(client) -> None:
    url = _oauth_url(
        client,
        "/v1/integrations/channel-connections/oauth",
        {"integrationIdentifier": "slack-prod", "subscriberId": "flow-sub-1", "connectionIdentifier": "flow-slack-1"},
    )
    parts = urlsplit(url)
    assert parts.path == "/_mock/oauth/slack/oauth/v2/authorize", "keeps Slack's own path on the stand-in"
    query = parse_qs(parts.query)
    assert query["redirect_uri"] == ["http://testserver/v1/integrations/chat/oauth/callback"]

    visited: list[str] = []
    page = client.get(url, follow_redirects=True)
    visited = [str(r.url) for r in page.history]
    assert page.status_code == 200, page.text
    assert "flow-slack-1" in page.text
    # consent page -> callback, and the callback got a code and the state back
    assert urlsplit(visited[0]).path == "/_mock/oauth/slack/oauth/v2/authorize"
    callback_query = parse_qs(urlsplit(str(page.url)).query)
    assert urlsplit(str(page.url)).path == "/v1/integrations/chat/oauth/callback"
    assert callback_query["code"][0].startswith("mock-slack-")
    assert callback_query["state"] == query["state"]

    [connection] = _connections(client, subscriberId="flow-sub-1")
    assert connection["identifier"] == "flow-slack-1"
    assert connection["providerId"] == "slack" and connection["channel"] == "chat"
    assert connection["integrationIdentifier"] == "slack-prod"
    assert connection["workspace"]["id"].startswith("T") and connection["workspace"]["name"]
    assert connection["auth"] == {"hasAccessToken": True}, "the exchanged token is kept, never shown"
    # autoLinkUser defaults to true for subscriber connections: the user who clicked is linked
    [endpoint] = _endpoints(client, subscriberId="flow-sub-1")
    assert endpoint["type"] == "slack_user"
    assert endpoint["connectionIdentifier"] == "flow-slack-1"
    assert endpoint["endpoint"]["userId"].startswith("U")

    # an endpoint uses the connection only when it names it (Novu looks up no default)
    body = {"subscriberId": "flow-sub-1", "integrationIdentifier": "slack-prod", "type": "slack_channel",
            "endpoint": {"channelId": "C0FLOW"}}
    unnamed = client.post("/v1/channel-endpoints", json=body)
    assert unnamed.status_code == 201, unnamed.text
    assert unnamed.json()["data"]["connectionIdentifier"] is None
    named = client.post("/v1/channel-endpoints", json={**body, "connectionIdentifier": "flow-slack-1"})
    assert named.json()["data"]["connectionIdentifier"] == "flow-slack-1"


def test_msteams_round_trip_with_a_shared_context_connection(client) -> None:
    url = _oauth_url(
        client,
        "/v1/integrations/channel-connections/oauth",
        {"integrationIdentifier": "msteams-prod", "connectionMode": "shared", "context": {"tenant": "acme"}},
    )
    parts = urlsplit(url)
    assert parts.path.startswith("/_mock/oauth/msteams/") and parts.path.endswith("/adminconsent")
    tenant = parts.path.split("/")[4]

    page = client.get(url, follow_redirects=True)
    assert page.status_code == 200, page.text
    callback_query = parse_qs(urlsplit(str(page.url)).query)
    assert callback_query["admin_consent"] == ["True"] and callback_query["tenant"] == [tenant]

    [connection] = _connections(client, integrationIdentifier="msteams-prod", contextKeys=["tenant:acme"])
    assert connection["providerId"] == "msteams"
    assert connection["subscriberId"] is None, "shared connections store no subscriber"
    assert connection["contextKeys"] == ["tenant:acme"]
    assert connection["workspace"]["id"] == tenant, "the tenant that consented"
    assert connection["identifier"] in page.text
    assert _endpoints(client, connectionIdentifier=connection["identifier"]) == [], "no user to link in shared mode"

    # then a subscriber of that tenant links their own Teams user through the second flow
    link = _oauth_url(
        client,
        "/v1/integrations/channel-endpoints/oauth",
        {"integrationIdentifier": "msteams-prod", "subscriberId": "teams-user-1", "context": {"tenant": "acme"}},
    )
    assert urlsplit(link).path.endswith("/oauth2/v2.0/authorize")
    assert parse_qs(urlsplit(link).query)["scope"] == ["openid profile User.Read"]
    assert client.get(link, follow_redirects=True).status_code == 200
    [endpoint] = _endpoints(client, subscriberId="teams-user-1")
    assert endpoint["type"] == "ms_teams_user"
    assert endpoint["connectionIdentifier"] == connection["identifier"]
    assert endpoint["contextKeys"] == ["tenant:acme"]


def test_link_user_needs_no_connection_up_front(client) -> None:
    link = _oauth_url(
        client,
        "/v1/integrations/channel-endpoints/oauth",
        {"integrationIdentifier": "slack-prod", "subscriberId": "nobody-connected"},
    )
    assert client.get(link, follow_redirects=True).status_code == 200
    [endpoint] = _endpoints(client, subscriberId="nobody-connected")
    assert endpoint["type"] == "slack_user" and endpoint["connectionIdentifier"] is None


def _state_swapped(url: str, state: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    return f"{query['redirect_uri']}?{urlencode({'code': 'mock-slack-abc', 'state': state})}"


def test_altered_state_is_refused_and_nothing_is_created(client) -> None:
    before = _connections(client)
    url = _oauth_url(client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "slack-prod", "subscriberId": "x-1"})
    state = parse_qs(urlsplit(url).query)["state"][0]
    payload, _, signature = state.rpartition(".")
    altered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    for bad in (altered, state[:-3] + "xyz", "not-a-state"):
        response = client.get(_state_swapped(url, bad))
        assert response.status_code == 400
        assert "tampered" in response.json()["message"]
    assert _connections(client) == before


def test_expired_state_is_refused_and_nothing_is_created(settings, monkeypatch) -> None:
    clock = Clock(time.time())
    monkeypatch.setattr("mock_server.app.StateSigner", functools.partial(StateSigner, clock=clock))
    with TestClient(create_app(settings), headers={"Authorization": f"ApiKey {KEY}"}) as client:
        before = _connections(client)
        url = _oauth_url(client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "slack-prod", "subscriberId": "late"})
        clock.now += 301  # the user comes back 5 minutes and 1 second later...
        response = client.get(url, follow_redirects=True)
        # ...and the callback refuses with a 400 that says why.
        assert response.status_code == 400
        assert "expired" in response.json()["message"]
        assert _connections(client) == before
        assert _endpoints(client, subscriberId="late") == []
        # within the 5 minutes the same walk succeeds
        fresh = _oauth_url(client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "slack-prod", "subscriberId": "late"})
        clock.now += 299
        assert client.get(fresh, follow_redirects=True).status_code == 200
        assert len(_connections(client, subscriberId="late")) == 1


def test_denied_consent_creates_nothing(client) -> None:
    url = _oauth_url(client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "slack-prod", "subscriberId": "deny"})
    response = client.get(url + "&error=access_denied", follow_redirects=True)
    assert response.status_code == 400
    assert "access_denied" in response.json()["message"]
    assert _connections(client, subscriberId="deny") == []


def test_state_is_bound_to_its_environment(client, other_client) -> None:
    url = _oauth_url(client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "slack-prod", "subscriberId": "env-1"})
    assert client.get(url, follow_redirects=True).status_code == 200
    assert len(_connections(client, subscriberId="env-1")) == 1
    assert _connections(other_client, subscriberId="env-1") == []


def test_a_connected_subscriber_still_gets_a_url_and_the_callback_refuses_the_second(client) -> None:
    body = {"integrationIdentifier": "slack-prod", "subscriberId": "twice"}
    url = _oauth_url(client, "/v1/integrations/channel-connections/oauth", body)
    assert client.get(url, follow_redirects=True).status_code == 200
    again = client.post("/v1/integrations/channel-connections/oauth", json=body)
    assert again.status_code == 201, "Novu does not look for an existing connection here"
    second = client.get(again.json()["data"]["url"], follow_redirects=True)
    assert second.status_code == 409
    assert "already exists" in second.json()["message"]
    assert len(_connections(client, subscriberId="twice")) == 1


def test_standin_refuses_an_unknown_client(client) -> None:
    url = _oauth_url(client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "slack-prod", "context": {"tenant": "t"}})
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    response = client.get(parts.path, params={**query, "client_id": "123.not-ours"}, follow_redirects=False)
    assert response.status_code == 400
    assert "invalid_client_id" in response.json()["message"]


def _standin_query(client) -> tuple[str, dict[str, str]]:
    url = _oauth_url(client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "slack-prod", "subscriberId": "std-1"})
    parts = urlsplit(url)
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://attacker.example/collect",
        "http://attacker.example/v1/integrations/chat/oauth/callback",  # the right path on another host
        "http://testserver/_mock/state",  # this host, not a callback
        "javascript:alert(1)",
    ],
)
def test_standin_sends_the_code_only_to_a_registered_place(client, redirect_uri) -> None:
    path, query = _standin_query(client)
    response = client.get(path, params={**query, "redirect_uri": redirect_uri}, follow_redirects=False)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "bad_redirect_uri" in response.json()["message"]


def test_standin_redirects_to_the_integrations_registered_redirect_url(client) -> None:
    integration = next(i for i in client.get("/v1/integrations").json()["data"] if i["identifier"] == "slack-prod")
    registered = "https://app.example.com/after-slack"
    # API-key answers never show credentials (Novu's): an update gives them whole
    credentials = {"clientId": "registered-client", "secretKey": "registered-secret", "redirectUrl": registered}
    changed = client.put(f"/v1/integrations/{integration['_id']}", json={"credentials": credentials})
    assert changed.status_code == 200, changed.text
    path, query = _standin_query(client)
    response = client.get(path, params={**query, "redirect_uri": registered}, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].startswith(registered + "?code=mock-slack-")


@pytest.fixture
def provider_client():
    settings = Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=7, oauth_consent="provider")
    with TestClient(create_app(settings), headers={"Authorization": f"ApiKey {KEY}"}) as http:
        yield http


def test_provider_setting_points_urls_at_the_real_pages(provider_client) -> None:
    slack = _oauth_url(provider_client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "slack-prod", "context": {"tenant": "t"}})
    assert slack.startswith("https://slack.com/oauth/v2/authorize?")
    teams = _oauth_url(provider_client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "msteams-prod", "context": {"tenant": "t"}})
    assert urlsplit(teams).netloc == "login.microsoftonline.com" and urlsplit(teams).path.endswith("/adminconsent")
    # the redirect still comes back to the mock, whose callback simulates the code exchange
    assert parse_qs(urlsplit(slack).query)["redirect_uri"] == ["http://testserver/v1/integrations/chat/oauth/callback"]


def test_cli_flag_sets_the_consent_target() -> None:
    from mock_server.cli import build_parser, settings_from

    assert settings_from(build_parser().parse_args(["serve"])).oauth_consent == "mock"
    assert settings_from(build_parser().parse_args(["serve", "--oauth-consent", "provider"])).oauth_consent == "provider"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--oauth-consent", "elsewhere"])
    with pytest.raises(ValueError, match="oauth_consent"):
        Settings(oauth_consent="elsewhere")


def test_callback_sends_the_user_on_to_the_integrations_redirect_url(client) -> None:
    slack = client.post("/v1/integrations", json={
        "providerId": "slack", "channel": "chat", "identifier": "slack-with-return",
        "credentials": {"clientId": "42.42", "redirectUrl": "https://app.example.com/settings/slack"}})
    assert slack.status_code == 201
    url = _oauth_url(client, "/v1/integrations/chat/oauth", {"integrationIdentifier": "slack-with-return", "subscriberId": "ret"})
    consent = client.get(url, follow_redirects=False)
    assert consent.status_code == 302
    finished = client.get(consent.headers["location"], follow_redirects=False)
    assert finished.status_code == 302
    assert finished.headers["location"] == "https://app.example.com/settings/slack"
    assert len(_connections(client, subscriberId="ret")) == 1
