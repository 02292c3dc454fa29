from __future__ import annotations

from typing import Any

from connexion.context import request

from mock_server import chat_oauth, wire
from mock_server.store import Backend


def _dtos(integrations) -> list[dict[str, Any]]:
    return [integration.to_dto() for integration in integrations]


async def list_integrations(backend: Backend) -> list[dict[str, Any]]:
    return _dtos(backend.integrations.list())


async def get_active_integrations(backend: Backend) -> list[dict[str, Any]]:
    return _dtos(backend.integrations.active())


async def create_integration(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.integrations.create(
        provider_id=body["providerId"],
        channel=body["channel"],
        name=body.get("name"),
        identifier=body.get("identifier"),
        credentials=body.get("credentials"),
        active=body.get("active", False),
        conditions=body.get("conditions"),
        configurations=body.get("configurations"),
    ).to_dto()


async def update_integration_by_id(backend: Backend, integration_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.integrations.update(integration_id, body).to_dto()


async def remove_integration(backend: Backend, integration_id: str) -> list[dict[str, Any]]:
    return _dtos(backend.integrations.remove(integration_id))


async def set_integration_as_primary(backend: Backend, integration_id: str) -> dict[str, Any]:
    return backend.integrations.set_primary(integration_id).to_dto()


async def auto_configure_integration(backend: Backend, integration_id: str) -> dict[str, Any]:
    return backend.integrations.auto_configure(integration_id)


async def get_chat_oauth_url(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    integration = backend.integrations.chat_oauth_target(body["integrationIdentifier"])
    signer: chat_oauth.StateSigner = wire.services()["state_signer"]
    state = signer.sign(
        {
            "environmentId": backend.environment.id,
            "integrationIdentifier": integration.identifier,
            "subscriberId": body.get("subscriberId"),
            "connectionIdentifier": body.get("connectionIdentifier"),
            "context": body.get("context"),
            "mode": body.get("mode", "connect"),
            "connectionMode": body.get("connectionMode", "subscriber"),
        }
    )
    base = str(request.base_url).rstrip("/")
    url = chat_oauth.authorize_url(
        provider_id=integration.provider_id,
        credentials=integration.credentials,
        integration_identifier=integration.identifier,
        state=state,
        redirect_uri=base + chat_oauth.CALLBACK_PATH,
        scope=body.get("scope"),
        user_scope=body.get("userScope"),
        link_user=body.get("mode") == "link_user",
    )
    return {"url": url}
