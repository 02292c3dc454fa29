"""Parity with Novu's server code for the chat area: one rule of Novu per test.

Each docstring names the file of novuhq/novu that shows the rule (its use case, DTO or e2e test).
Runnable against a real Novu: everything created is named `contract-...` and deleted afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from contract_tests.chat_fixtures import _id, connections, integration, subscriber  # noqa: F401  (fixtures)

CONNECTIONS = "/v1/channel-connections"
ENDPOINTS = "/v1/channel-endpoints"
CONNECT_OAUTH = "/v1/integrations/channel-connections/oauth"
LINK_USER_OAUTH = "/v1/integrations/channel-endpoints/oauth"
CHAT_OAUTH = "/v1/integrations/chat/oauth"


def _connection_body(integration_identifier: str, **fields) -> dict:
    return {"integrationIdentifier": integration_identifier, "workspace": {"id": "T0PARITY"},
            "auth": {"accessToken": "xoxb-parity-secret"}, **fields}  # fmt: skip


@pytest.fixture
def slack(integration) -> dict:
    return integration("slack", "chat", clientId="123.456", secretKey="shh")


@pytest.fixture
def endpoints(client):
    """Endpoint identifiers a test made, deleted afterwards."""
    made: list[str] = []
    yield made
    for identifier in made:
        client.delete(f"{ENDPOINTS}/{identifier}")


def _create_endpoint(client, endpoints: list[str], **body) -> dict:
    response = client.post(ENDPOINTS, json=body)
    assert response.status_code == 201, response.text
    endpoints.append(response.json()["data"]["identifier"])
    return response.json()["data"]


# -- envelopes ---------------------------------------------------------------------------


def test_connection_list_is_the_page_itself(client) -> None:
    """apps/api/src/app/channel-connections/channel-connections.controller.ts: the list returns
    {data, next, previous, totalCount, totalCountCapped}; the response interceptor leaves an
    object with a truthy `data` unwrapped."""
    body = client.get(CONNECTIONS, params={"limit": 1}).json()
    assert set(body) == {"data", "next", "previous", "totalCount", "totalCountCapped"}
    assert isinstance(body["data"], list)


def test_endpoint_list_is_the_page_itself(client) -> None:
    """apps/api/src/app/channel-endpoints/channel-endpoints.controller.ts (listChannelEndpoints)."""
    body = client.get(ENDPOINTS, params={"limit": 1}).json()
    assert set(body) == {"data", "next", "previous", "totalCount", "totalCountCapped"}


def test_a_single_connection_is_enveloped(client, slack, subscriber, connections) -> None:
    """apps/api/src/app/channel-connections/channel-connections.controller.ts: one DTO, wrapped in `data`."""
    created = connections(**_connection_body(slack["identifier"], subscriberId=subscriber()))
    body = client.get(f"{CONNECTIONS}/{created['identifier']}").json()
    assert set(body) == {"data"} and body["data"]["identifier"] == created["identifier"]


# -- channel connections -----------------------------------------------------------------


def test_connection_needs_a_subscriber_or_a_context(client, slack) -> None:
    """apps/api/src/app/channel-connections/usecases/channel-connection.utils.ts (validateConnectionMode)."""
    response = client.post(CONNECTIONS, json=_connection_body(slack["identifier"]))
    assert response.status_code == 400
    assert response.json()["message"] == "Either subscriberId or context must be provided"


def test_shared_connection_needs_a_context(client, slack, subscriber) -> None:
    """apps/api/src/app/channel-connections/usecases/channel-connection.utils.ts (validateConnectionMode)."""
    response = client.post(CONNECTIONS, json=_connection_body(
        slack["identifier"], connectionMode="shared", subscriberId=subscriber()))
    assert response.status_code == 400
    assert response.json()["message"] == 'context is required when connectionMode is "shared"'


def test_subscriber_connection_needs_a_subscriber(client, slack) -> None:
    """apps/api/src/app/channel-connections/usecases/channel-connection.utils.ts (validateConnectionMode)."""
    response = client.post(CONNECTIONS, json=_connection_body(
        slack["identifier"], connectionMode="subscriber", context={"tenant": _id()}))
    assert response.status_code == 400
    assert response.json()["message"] == 'subscriberId is required when connectionMode is "subscriber"'


def test_connection_of_an_unknown_subscriber_is_404(client, slack) -> None:
    """apps/api/src/app/channel-connections/usecases/create-channel-connection/create-channel-connection.usecase.ts
    (assertSubscriberExists)."""
    missing = _id("ghost-")
    response = client.post(CONNECTIONS, json=_connection_body(slack["identifier"], subscriberId=missing))
    assert response.status_code == 404
    assert response.json()["message"] == f"Subscriber not found: {missing}"


def test_connection_of_an_unknown_integration_is_404(client, subscriber) -> None:
    """apps/api/src/app/channel-connections/usecases/create-channel-connection/create-channel-connection.usecase.ts
    (findIntegration)."""
    missing = _id("no-integration-")
    response = client.post(CONNECTIONS, json=_connection_body(missing, subscriberId=subscriber()))
    assert response.status_code == 404
    assert response.json()["message"] == f"Integration not found: {missing}"


def test_connection_does_not_check_the_integrations_channel(integration, subscriber, connections) -> None:
    """apps/api/src/app/channel-connections/usecases/create-channel-connection/create-channel-connection.usecase.ts:
    the integration is found by identifier only; its channel and provider are copied."""
    email = integration("sendgrid", "email")
    created = connections(**_connection_body(email["identifier"], subscriberId=subscriber()))
    assert (created["channel"], created["providerId"]) == ("email", "sendgrid")


def test_one_connection_per_integration_subscriber_and_context(client, slack, subscriber, connections) -> None:
    """apps/api/src/app/channel-connections/usecases/create-channel-connection/create-channel-connection.usecase.ts
    (ensureUniqueConnectionForResourceAndContext)."""
    owner = subscriber()
    first = connections(**_connection_body(slack["identifier"], subscriberId=owner))
    again = client.post(CONNECTIONS, json=_connection_body(slack["identifier"], subscriberId=owner))
    assert again.status_code == 409
    assert again.json()["message"] == (
        f'A channel connection already exists for integration "{slack["identifier"]}" with subscriberId '
        f'"{owner}" and no context. Connection ID: {first["identifier"]}'
    )
    other_context = connections(**_connection_body(slack["identifier"], subscriberId=owner, context={"tenant": _id()}))
    assert other_context["identifier"] != first["identifier"], "another context is another connection"


def test_connection_identifier_taken_is_409(client, slack, subscriber, connections) -> None:
    """apps/api/src/app/channel-connections/usecases/create-channel-connection/create-channel-connection.usecase.ts."""
    first = connections(**_connection_body(slack["identifier"], subscriberId=subscriber(), identifier=_id("conn-")))
    response = client.post(CONNECTIONS, json=_connection_body(
        slack["identifier"], subscriberId=subscriber(), identifier=first["identifier"]))
    assert response.status_code == 409
    assert response.json()["message"].startswith(
        f'Channel connection with identifier "{first["identifier"]}" already exists in environment "')


def test_generated_connection_identifier(slack, subscriber, connections) -> None:
    """apps/api/src/app/channel-connections/usecases/create-channel-connection/create-channel-connection.usecase.ts
    (generateIdentifier: `chconn_` and a short id)."""
    created = connections(**_connection_body(slack["identifier"], subscriberId=subscriber()))
    assert created["identifier"].startswith("chconn_")


def test_shared_connection_stores_no_subscriber(slack, subscriber, connections) -> None:
    """apps/api/src/app/channel-connections/usecases/create-channel-connection/create-channel-connection.usecase.ts
    (createChannelConnection drops subscriberId in shared mode)."""
    tenant = _id()
    created = connections(**_connection_body(
        slack["identifier"], connectionMode="shared", subscriberId=subscriber(), context={"tenant": tenant}))
    assert created["subscriberId"] is None and created["contextKeys"] == [f"tenant:{tenant}"]


def test_connection_answers_never_hold_the_token(client, slack, subscriber, connections) -> None:
    """apps/api/src/app/channel-connections/e2e/channel-connection-auth-security.e2e.ts (advisory
    GHSA-cg43-fcgr-x9m8): create, retrieve, list and update answer `auth: {hasAccessToken: true}`."""
    owner = subscriber()
    created = connections(**_connection_body(slack["identifier"], subscriberId=owner))
    path = f"{CONNECTIONS}/{created['identifier']}"
    updated = client.patch(path, json={"workspace": {"id": "T0NEW"}, "auth": {"accessToken": "xoxb-parity-rotated"}})
    listed = client.get(CONNECTIONS, params={"subscriberId": owner})
    answers = [created, client.get(path).json()["data"], updated.json()["data"], *listed.json()["data"]]
    for answer in answers:
        assert answer["auth"] == {"hasAccessToken": True}
    assert "xoxb-parity" not in str(answers)


def test_refresh_token_needs_a_rotating_provider(client, integration, subscriber) -> None:
    """apps/api/src/app/channel-connections/e2e/create-channel-connection-token-rotation.e2e.ts
    (a refreshToken for a provider that does not support rotation is 400)."""
    discord = integration("discord", "chat")
    response = client.post(CONNECTIONS, json=_connection_body(
        discord["identifier"], subscriberId=subscriber(),
        auth={"accessToken": "xoxb-parity", "refreshToken": "xoxe-1-parity"}))
    assert response.status_code == 400
    assert response.json()["message"] == (
        'Token rotation is not supported for provider "discord". Remove refreshToken from the connection auth.')


def test_refresh_token_needs_the_integrations_oauth_client(client, integration, subscriber) -> None:
    """apps/api/src/app/channel-connections/e2e/create-channel-connection-token-rotation.e2e.ts
    (rejects a refreshToken when the integration has no OAuth credentials)."""
    bare = integration("slack", "chat")
    response = client.post(CONNECTIONS, json=_connection_body(
        bare["identifier"], subscriberId=subscriber(),
        auth={"accessToken": "xoxb-parity", "refreshToken": "xoxe-1-parity"}))
    assert response.status_code == 400
    assert "must have clientId and secretKey" in response.json()["message"]


def test_unknown_connection_is_404_on_every_verb(client) -> None:
    """apps/api/src/app/channel-connections/usecases/{get,update,delete}-channel-connection/*.usecase.ts."""
    missing = _id("none-")
    path = f"{CONNECTIONS}/{missing}"
    got = client.get(path)
    assert got.status_code == 404
    assert got.json()["message"] == f"Channel connection with identifier '{missing}' not found"
    patched = client.patch(path, json={"workspace": {"id": "T"}, "auth": {"accessToken": "x"}})
    assert patched.status_code == 404
    assert patched.json()["message"] == f'Channel connection with identifier "{missing}" not found'
    assert client.delete(path).status_code == 404


def test_deleting_a_connection_leaves_its_endpoints(client, slack, subscriber, endpoints) -> None:
    """apps/api/src/app/channel-connections/usecases/delete-channel-connection/delete-channel-connection.usecase.ts
    deletes the connection alone."""
    owner = subscriber()
    created = client.post(CONNECTIONS, json=_connection_body(slack["identifier"], subscriberId=owner)).json()["data"]
    endpoint = _create_endpoint(client, endpoints, subscriberId=owner, integrationIdentifier=slack["identifier"],
                                connectionIdentifier=created["identifier"], type="slack_channel",
                                endpoint={"channelId": "C0PARITY"})
    assert client.delete(f"{CONNECTIONS}/{created['identifier']}").status_code == 204
    kept = client.get(f"{ENDPOINTS}/{endpoint['identifier']}")
    assert kept.status_code == 200 and kept.json()["data"]["connectionIdentifier"] == created["identifier"]


def test_both_cursors_at_once_is_400(client) -> None:
    """apps/api/src/app/channel-connections/usecases/list-channel-connections/list-channel-connections.usecase.ts."""
    response = client.get(CONNECTIONS, params={"after": "a", "before": "b"})
    assert response.status_code == 400
    assert response.json()["message"] == 'Cannot specify both "before" and "after" cursors at the same time.'


def test_unknown_cursor_gives_an_empty_page(client) -> None:
    """apps/api/src/app/channel-connections/usecases/list-channel-connections/list-channel-connections.usecase.ts
    (a cursor that names no connection: an empty page, not an error)."""
    response = client.get(CONNECTIONS, params={"after": "0123456789abcdef01234567"})
    assert response.status_code == 200
    assert response.json() == {"data": [], "next": None, "previous": None, "totalCount": 0, "totalCountCapped": False}


def test_context_keys_filter_is_exact_and_an_empty_one_means_no_context(client, slack, subscriber, connections) -> None:
    """apps/api/src/app/channel-connections/dtos/list-channel-connections-query.dto.ts (contextKeys
    transform: '' is [], the match is exact and order-insensitive)."""
    owner = subscriber()
    tenant = _id()
    plain = connections(**_connection_body(slack["identifier"], subscriberId=owner))
    both = connections(**_connection_body(slack["identifier"], subscriberId=owner,
                                          context={"tenant": tenant, "region": "eu"}))
    connections(**_connection_body(slack["identifier"], subscriberId=owner, context={"tenant": tenant}))
    exact = client.get(CONNECTIONS, params={"subscriberId": owner, "contextKeys": ["region:eu", f"tenant:{tenant}"]})
    assert [c["identifier"] for c in exact.json()["data"]] == [both["identifier"]]
    none = client.get(CONNECTIONS, params={"subscriberId": owner, "contextKeys": ""})
    assert [c["identifier"] for c in none.json()["data"]] == [plain["identifier"]]


# -- channel endpoints -------------------------------------------------------------------


def test_endpoint_body_is_checked_by_the_command_with_a_400(client) -> None:
    """apps/api/src/app/channel-endpoints/dtos/create-channel-endpoint-request.dto.ts is a union type
    (no pipe validation); CreateChannelEndpointCommand (BaseCommand.create) refuses with 400 naming
    itself and each failure (libs/application-generic/src/commands/base.command.spec.ts, 2026)."""
    response = client.post(ENDPOINTS, json={"integrationIdentifier": "x", "type": "slack_channel", "endpoint": {"channelId": "C"}})
    assert response.status_code == 400
    body = response.json()
    assert body["className"] == "CreateChannelEndpointCommand"
    assert body["message"].startswith("Validation failed for CreateChannelEndpointCommand: ")
    assert body["constraintsViolated"] and all(entry["messages"] for entry in body["constraintsViolated"].values())


def test_endpoint_shape_is_exact(client, slack, subscriber) -> None:
    """libs/application-generic channel endpoint schemas (validateEndpointForTypeFromSchema): a slack_channel
    endpoint is exactly {channelId}."""
    response = client.post(ENDPOINTS, json={"subscriberId": subscriber(), "integrationIdentifier": slack["identifier"],
                                            "type": "slack_channel", "endpoint": {"channelId": "C1", "extra": "x"}})
    assert response.status_code == 400


def test_webhook_url_and_phone_number_are_plain_strings(client, integration, subscriber, endpoints) -> None:
    """libs/application-generic channel endpoint schemas: `url` and `phoneNumber` are only typed as strings."""
    owner = subscriber()
    hook = integration("chat-webhook", "chat")
    sms = integration("twilio", "sms")
    webhook = _create_endpoint(client, endpoints, subscriberId=owner, integrationIdentifier=hook["identifier"],
                               type="webhook", endpoint={"url": "ftp://example.com/x"})
    phone = _create_endpoint(client, endpoints, subscriberId=owner, integrationIdentifier=sms["identifier"],
                             type="phone", endpoint={"phoneNumber": "555-1234"})
    assert webhook["endpoint"]["url"] == "ftp://example.com/x" and phone["endpoint"]["phoneNumber"] == "555-1234"


def test_endpoint_of_an_unknown_subscriber_is_404(client, slack) -> None:
    """apps/api/src/app/channel-endpoints/usecases/create-channel-endpoint/create-channel-endpoint.usecase.ts
    (assertSubscriberExists)."""
    missing = _id("ghost-")
    response = client.post(ENDPOINTS, json={"subscriberId": missing, "integrationIdentifier": slack["identifier"],
                                            "type": "slack_user", "endpoint": {"userId": "U1"}})
    assert response.status_code == 404
    assert response.json()["message"].startswith(f"Subscriber not found: {missing}.")


def test_create_subscriber_if_missing(client, slack, endpoints) -> None:
    """apps/api/src/app/channel-endpoints/usecases/create-channel-endpoint/create-channel-endpoint.usecase.ts
    (createSubscriberIfMissing creates the subscriber)."""
    fresh = _id("made-")
    try:
        _create_endpoint(client, endpoints, subscriberId=fresh, integrationIdentifier=slack["identifier"],
                         type="slack_user", endpoint={"userId": "U1"}, createSubscriberIfMissing=True)
        assert client.get(f"/v2/subscribers/{fresh}").status_code == 200
    finally:
        for identifier in list(endpoints):
            client.delete(f"{ENDPOINTS}/{identifier}")
        endpoints.clear()
        client.delete(f"/v2/subscribers/{fresh}")


def test_endpoint_of_an_unknown_integration_is_404(client, subscriber) -> None:
    """apps/api/src/app/channel-endpoints/usecases/create-channel-endpoint/create-channel-endpoint.usecase.ts."""
    missing = _id("no-integration-")
    response = client.post(ENDPOINTS, json={"subscriberId": subscriber(), "integrationIdentifier": missing,
                                            "type": "slack_user", "endpoint": {"userId": "U1"}})
    assert response.status_code == 404
    assert response.json()["message"] == f"Integration not found: {missing}"


def test_named_connection_must_be_one_of_the_integrations(client, slack, integration, subscriber, connections) -> None:
    """apps/api/src/app/channel-endpoints/usecases/create-channel-endpoint/create-channel-endpoint.usecase.ts
    (findChannelConnection looks by identifier and integration)."""
    owner = subscriber()
    teams = integration("msteams", "chat")
    foreign = connections(**_connection_body(teams["identifier"], subscriberId=owner))
    response = client.post(ENDPOINTS, json={"subscriberId": owner, "integrationIdentifier": slack["identifier"],
                                            "connectionIdentifier": foreign["identifier"], "type": "slack_user",
                                            "endpoint": {"userId": "U1"}})
    assert response.status_code == 404
    assert response.json()["message"] == f"Channel connection not found: {foreign['identifier']}"


def test_endpoint_without_a_named_connection_has_none(client, slack, subscriber, connections, endpoints) -> None:
    """apps/api/src/app/channel-endpoints/usecases/create-channel-endpoint/create-channel-endpoint.usecase.ts:
    a connection is looked up only when `connectionIdentifier` is given."""
    owner = subscriber()
    connections(**_connection_body(slack["identifier"], subscriberId=owner))
    endpoint = _create_endpoint(client, endpoints, subscriberId=owner, integrationIdentifier=slack["identifier"],
                                type="slack_channel", endpoint={"channelId": "C1"})
    assert endpoint["connectionIdentifier"] is None


def test_endpoint_type_is_not_matched_to_the_integration(client, integration, subscriber, endpoints) -> None:
    """apps/api/src/app/channel-endpoints/usecases/create-channel-endpoint/create-channel-endpoint.usecase.ts:
    only Webex and tool types check their integration's provider."""
    sms = integration("twilio", "sms")
    endpoint = _create_endpoint(client, endpoints, subscriberId=subscriber(), integrationIdentifier=sms["identifier"],
                                type="slack_user", endpoint={"userId": "U1"})
    assert (endpoint["type"], endpoint["providerId"]) == ("slack_user", "twilio")


def test_generated_endpoint_identifier_and_a_taken_one(client, slack, subscriber, endpoints) -> None:
    """apps/api/src/app/channel-endpoints/usecases/create-channel-endpoint/create-channel-endpoint.usecase.ts
    (`chendp_` identifiers; a taken identifier is 409)."""
    owner = subscriber()
    first = _create_endpoint(client, endpoints, subscriberId=owner, integrationIdentifier=slack["identifier"],
                             type="slack_user", endpoint={"userId": "U1"})
    assert first["identifier"].startswith("chendp_")
    again = client.post(ENDPOINTS, json={"identifier": first["identifier"], "subscriberId": owner,
                                         "integrationIdentifier": slack["identifier"], "type": "slack_user",
                                         "endpoint": {"userId": "U2"}})
    assert again.status_code == 409
    assert again.json()["message"].startswith(f'Channel endpoint with identifier "{first["identifier"]}" already exists')


def test_endpoint_update_must_keep_the_shape_of_its_type(client, slack, subscriber, endpoints) -> None:
    """apps/api/src/app/channel-endpoints/usecases/update-channel-endpoint/update-channel-endpoint.usecase.ts
    (validateEndpointForType against the stored type: 400)."""
    endpoint = _create_endpoint(client, endpoints, subscriberId=subscriber(), integrationIdentifier=slack["identifier"],
                                type="slack_user", endpoint={"userId": "U1"})
    response = client.patch(f"{ENDPOINTS}/{endpoint['identifier']}", json={"endpoint": {"channelId": "C1"}})
    assert response.status_code == 400
    assert response.json()["message"] == 'Endpoint must match the required format for type "slack_user"'


def test_unknown_endpoint_is_404(client) -> None:
    """apps/api/src/app/channel-endpoints/usecases/{get,update,delete}-channel-endpoint/*.usecase.ts."""
    missing = _id("none-")
    response = client.patch(f"{ENDPOINTS}/{missing}", json={"endpoint": {"userId": "U1"}})
    assert response.status_code == 404
    assert response.json()["message"].startswith(f'Channel endpoint with identifier "{missing}" not found in environment "')
    got = client.get(f"{ENDPOINTS}/{missing}")
    assert got.status_code == 404
    assert got.json()["message"] == f"Channel endpoint with identifier '{missing}' not found"
    assert client.delete(f"{ENDPOINTS}/{missing}").status_code == 404


def test_endpoint_list_refuses_both_cursors(client) -> None:
    """apps/api/src/app/channel-endpoints/usecases/list-channel-endpoints/list-channel-endpoints.usecase.ts."""
    response = client.get(ENDPOINTS, params={"after": "a", "before": "b"})
    assert response.status_code == 400
    assert response.json()["message"] == 'Cannot specify both "before" and "after" cursors at the same time.'


# -- chat OAuth URLs ---------------------------------------------------------------------


@pytest.mark.parametrize("path", [CHAT_OAUTH, CONNECT_OAUTH])
def test_a_connected_subscriber_still_gets_a_url(client, slack, subscriber, connections, path) -> None:
    """apps/api/src/app/integrations/usecases/generate-chat-oath-url/generate-slack-oath-url/generate-slack-oauth-url.usecase.ts
    looks for no existing connection (a 409 here would make SDKs retry)."""
    owner = subscriber()
    connections(**_connection_body(slack["identifier"], subscriberId=owner))
    response = client.post(path, json={"integrationIdentifier": slack["identifier"], "subscriberId": owner})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["url"]


@pytest.mark.parametrize("path", [CHAT_OAUTH, CONNECT_OAUTH, LINK_USER_OAUTH])
def test_oauth_url_without_client_id_is_404(client, integration, subscriber, path) -> None:
    """apps/api/src/app/integrations/usecases/generate-chat-oath-url/generate-slack-oath-url/generate-slack-oauth-url.usecase.ts
    (getIntegrationCredentials)."""
    bare = integration("slack", "chat", apiKey="not-an-oauth-client")
    response = client.post(path, json={"integrationIdentifier": bare["identifier"], "subscriberId": subscriber()})
    assert response.status_code == 404
    assert response.json()["message"] == "Slack integration missing required OAuth credentials (clientId) "


@pytest.mark.parametrize("path", [CHAT_OAUTH, CONNECT_OAUTH, LINK_USER_OAUTH])
def test_oauth_url_for_a_provider_without_chat_oauth_is_404(client, integration, subscriber, path) -> None:
    """apps/api/src/app/integrations/usecases/generate-chat-oath-url/generate-chat-oauth-url.usecase.ts
    (getIntegration looks only among Slack, Novu Slack and MS Teams chat integrations)."""
    hook = integration("chat-webhook", "chat")
    response = client.post(path, json={"integrationIdentifier": hook["identifier"], "subscriberId": subscriber()})
    assert response.status_code == 404
    assert response.json()["message"].startswith(f"Integration not found: {hook['identifier']} in environment ")


@pytest.mark.parametrize("path", [CHAT_OAUTH, CONNECT_OAUTH])
def test_oauth_url_needs_a_subscriber_or_a_context(client, slack, path) -> None:
    """apps/api/src/app/channel-connections/usecases/channel-connection.utils.ts, called by
    generate-slack-oauth-url.usecase.ts (validateSubscriberIdOrContext)."""
    response = client.post(path, json={"integrationIdentifier": slack["identifier"]})
    assert response.status_code == 400
    assert response.json()["message"] == "Either subscriberId or context must be provided"


def test_incoming_webhook_scope_needs_a_subscriber(client, slack) -> None:
    """apps/api/src/app/integrations/usecases/generate-chat-oath-url/generate-slack-oath-url/generate-slack-oauth-url.usecase.ts."""
    response = client.post(CONNECT_OAUTH, json={"integrationIdentifier": slack["identifier"], "context": {"tenant": _id()},
                                                "scope": ["incoming-webhook"]})
    assert response.status_code == 400
    assert response.json()["message"] == "subscriberId is required for incoming webhook"


@pytest.mark.parametrize("path", [CHAT_OAUTH, CONNECT_OAUTH, LINK_USER_OAUTH])
def test_oauth_url_of_an_unknown_subscriber_is_404(client, slack, path) -> None:
    """apps/api/src/app/integrations/usecases/generate-chat-oath-url/generate-slack-oath-url/generate-slack-oauth-url.usecase.ts
    (assertResourceExists)."""
    missing = _id("ghost-")
    response = client.post(path, json={"integrationIdentifier": slack["identifier"], "subscriberId": missing})
    assert response.status_code == 404
    assert response.json()["message"] == f"Subscriber not found: {missing}"


@pytest.mark.parametrize("path", [CHAT_OAUTH, CONNECT_OAUTH, LINK_USER_OAUTH])
def test_empty_integration_identifier_is_422(client, path) -> None:
    """apps/api/src/app/integrations/dtos/generate-*-oauth-url-request.dto.ts (@IsNotEmpty on integrationIdentifier)."""
    response = client.post(path, json={"integrationIdentifier": "", "subscriberId": "s"})
    assert response.status_code == 422


def test_link_user_url_needs_no_connection_up_front(client, slack, subscriber) -> None:
    """apps/api/src/app/integrations/usecases/generate-chat-oath-url/generate-link-user-oauth-url.usecase.ts
    hands over to the Slack generator, which looks up no connection."""
    response = client.post(LINK_USER_OAUTH, json={"integrationIdentifier": slack["identifier"], "subscriberId": subscriber()})
    assert response.status_code == 201, response.text


def test_link_user_url_needs_a_subscriber(client, slack) -> None:
    """apps/api/src/app/integrations/dtos/generate-link-user-oauth-url-request.dto.ts (subscriberId @IsNotEmpty)."""
    assert client.post(LINK_USER_OAUTH, json={"integrationIdentifier": slack["identifier"]}).status_code == 422
    assert client.post(LINK_USER_OAUTH, json={"integrationIdentifier": slack["identifier"], "subscriberId": ""}).status_code == 422


# -- the subscriber's own (legacy) chat OAuth --------------------------------------------


def _subscriber_oauth_query(target, subscriber_id: str, environment_id: str, **extra) -> dict:
    digest = hmac.new(target.api_key.encode(), subscriber_id.encode(), hashlib.sha256).hexdigest()
    return {"environmentId": environment_id, "hmacHash": digest, **extra}


def test_subscriber_oauth_with_a_wrong_hmac_is_400(client, target, slack, subscriber) -> None:
    """apps/api/src/app/subscribers/usecases/chat-oauth/chat-oauth.usecase.ts (validateEncryption)."""
    owner = subscriber()
    environment_id = client.get(f"/v2/subscribers/{owner}").json()["data"]["_environmentId"]
    query = _subscriber_oauth_query(target, owner, environment_id, integrationIdentifier=slack["identifier"], hmacHash="0" * 64)
    with httpx.Client(base_url=target.url, timeout=30) as browser:  # a browser opens it: no API key
        response = browser.get(f"/v1/subscribers/{owner}/credentials/slack/oauth", params=query)
    assert response.status_code == 400
    assert response.json()["message"] == "Hmac is enabled on the integration, please provide a valid HMAC hash"


def test_subscriber_oauth_without_an_oauth_client_is_the_one_404(client, target, integration, subscriber) -> None:
    """apps/api/src/app/subscribers/usecases/chat-oauth/chat-oauth.usecase.ts (CHAT_INTEGRATION_NOT_FOUND_MESSAGE)."""
    bare = integration("slack", "chat", apiKey="not-an-oauth-client")
    owner = subscriber()
    environment_id = client.get(f"/v2/subscribers/{owner}").json()["data"]["_environmentId"]
    query = _subscriber_oauth_query(target, owner, environment_id, integrationIdentifier=bare["identifier"])
    with httpx.Client(base_url=target.url, timeout=30) as browser:
        response = browser.get(f"/v1/subscribers/{owner}/credentials/slack/oauth", params=query)
    assert response.status_code == 404
    assert response.json()["message"] == "Chat integration not found"


def test_subscriber_oauth_redirects_to_slack_for_an_incoming_webhook(client, target, slack, subscriber) -> None:
    """apps/api/src/app/subscribers/usecases/chat-oauth/chat-oauth.usecase.ts (getOAuthUrl: scope
    incoming-webhook, an empty user_scope, a state)."""
    owner = subscriber()
    environment_id = client.get(f"/v2/subscribers/{owner}").json()["data"]["_environmentId"]
    query = _subscriber_oauth_query(target, owner, environment_id, integrationIdentifier=slack["identifier"])
    with httpx.Client(base_url=target.url, timeout=30) as browser:
        response = browser.get(f"/v1/subscribers/{owner}/credentials/slack/oauth", params=query)
    assert response.status_code == 302
    sent = parse_qs(urlsplit(response.headers["Location"]).query, keep_blank_values=True)
    assert sent["scope"] == ["incoming-webhook"] and sent["user_scope"] == [""] and sent["state"][0]
    assert sent["client_id"] == ["123.456"]
