from __future__ import annotations

from typing import Any

from connexion.context import request

from mock_server import chat_oauth, wire
from mock_server.store import Backend


async def list_integrations(backend: Backend) -> list[dict[str, Any]]:
    return [integration.to_list_dto() for integration in backend.integrations.list()]


async def get_active_integrations(backend: Backend) -> list[dict[str, Any]]:
    return [integration.to_list_dto() for integration in backend.integrations.active()]


async def create_integration(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.integrations.create(
        provider_id=body["providerId"],
        channel=body.get("channel"),
        name=body.get("name"),
        identifier=body.get("identifier"),
        credentials=body.get("credentials"),
        active=body.get("active", False),
        conditions=body.get("conditions"),
        configurations=body.get("configurations"),
        environment_id=body.get("_environmentId"),
        kind=body.get("kind"),
        rules=body.get("rules"),
    ).to_dto()


async def update_integration_by_id(backend: Backend, integration_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.integrations.update(integration_id, body).to_dto()


async def remove_integration(backend: Backend, integration_id: str) -> list[dict[str, Any]]:
    return [integration.to_stored_dto() for integration in backend.integrations.remove(integration_id)]


async def set_integration_as_primary(backend: Backend, integration_id: str) -> dict[str, Any]:
    return backend.integrations.set_primary(integration_id).to_dto()


async def auto_configure_integration(backend: Backend, integration_id: str) -> dict[str, Any]:
    return backend.integrations.auto_configure(integration_id)


def _oauth_url(backend: Backend, integration, body: dict[str, Any], *, mode: str, state: dict[str, Any]) -> dict[str, Any]:
    """Sign what the callback needs and build the provider's (or the stand-in's) authorisation URL."""
    services = wire.services()
    signer: chat_oauth.StateSigner = services["state_signer"]
    signed = signer.sign(
        {
            "environmentId": backend.environment.id,
            "integrationIdentifier": integration.identifier,
            "subscriberId": body.get("subscriberId"),
            "connectionIdentifier": body.get("connectionIdentifier"),
            "context": body.get("context"),
            "mode": mode,
            "connectionMode": body.get("connectionMode"),
            **state,
        }
    )
    base = str(request.base_url).rstrip("/")
    standin = services["settings"].oauth_consent == chat_oauth.CONSENT_MOCK
    url = chat_oauth.authorize_url(
        provider_id=integration.provider_id,
        credentials=integration.credentials,
        integration_identifier=integration.identifier,
        state=signed,
        redirect_uri=base + chat_oauth.CALLBACK_PATH,
        scope=body.get("scope"),
        user_scope=body.get("userScope"),
        link_user=mode == "link_user",
        standin_base=base if standin else None,
    )
    return {"url": url}


def _checked_target(backend: Backend, body: dict[str, Any]):
    """The integration of a chat OAuth URL, after Novu's checks (404 / 400 / 404 for the subscriber)."""
    integration = backend.channel_connections.oauth_integration(body["integrationIdentifier"])
    backend.channel_connections.check_oauth_request(
        integration,
        subscriber_id=body.get("subscriberId"),
        context=body.get("context"),
        connection_mode=body.get("connectionMode"),
        scope=body.get("scope"),
    )
    return integration


async def get_chat_oauth_url(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    mode = body.get("mode") or "connect"
    integration = _checked_target(backend, body)
    return _oauth_url(backend, integration, body, mode=mode, state={"autoLinkUser": body.get("autoLinkUser", False)})


async def generate_connect_oauth_url(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    integration = _checked_target(backend, body)
    # Linking the user who clicked is the default for subscriber-owned connections.
    auto_link = body.get("autoLinkUser", body.get("connectionMode", "subscriber") == "subscriber")
    return _oauth_url(backend, integration, body, mode="connect", state={"autoLinkUser": auto_link})


async def generate_link_user_oauth_url(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    # This operation takes neither a connection mode nor bot scopes (Novu passes none on).
    integration = _checked_target(backend, {k: v for k, v in body.items() if k not in ("connectionMode", "scope")})
    return _oauth_url(backend, integration, body, mode="link_user", state={})
