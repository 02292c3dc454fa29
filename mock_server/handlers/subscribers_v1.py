"""Subscribers v1: page listing, bulk create, credentials, online status, chat OAuth."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connexion.context import request

from mock_server import subscriber_oauth, wire
from mock_server.errors import NotFound
from mock_server.store import Backend


async def list_subscribers(backend: Backend, page: float = 0, limit: float = 10) -> dict[str, Any]:
    # Novu's v1 list: the stored documents, no total; "more" when the page came back full.
    subscribers, _, _ = backend.subscribers.page(page=int(page), limit=int(limit))
    return {
        "page": int(page),
        "hasMore": len(subscribers) == int(limit),
        "pageSize": int(limit),
        "data": [subscriber.to_entity() for subscriber in subscribers],
    }


async def bulk_create_subscribers(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.subscribers.bulk_create(body["subscribers"]).to_dto()


async def update_subscriber_channel(backend: Backend, subscriber_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.subscribers.set_credentials(
        subscriber_id,
        provider_id=body["providerId"],
        credentials=body["credentials"],
        integration_identifier=body.get("integrationIdentifier"),
        merge=False,
    ).to_entity()


async def modify_subscriber_channel(backend: Backend, subscriber_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.subscribers.set_credentials(
        subscriber_id,
        provider_id=body["providerId"],
        credentials=body["credentials"],
        integration_identifier=body.get("integrationIdentifier"),
        merge=True,
    ).to_entity()


async def delete_subscriber_credentials(backend: Backend, subscriber_id: str, provider_id: str) -> None:
    backend.subscribers.delete_credentials(subscriber_id, provider_id)


async def update_subscriber_online_flag(backend: Backend, subscriber_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.subscribers.set_online(subscriber_id, body["isOnline"]).to_entity()


# -- chat OAuth: opened in a browser, so no API key; the environment comes from the query --------


def _backend(environment_id: str) -> Backend:
    try:
        return wire.services()["backends"][environment_id]
    except KeyError:
        raise NotFound(f"Environment {environment_id} not found") from None


def _signer() -> subscriber_oauth.SubscriberStateSigner:
    settings = wire.services()["settings"]
    return subscriber_oauth.SubscriberStateSigner(settings.secret, settings.oauth_state_ttl_seconds)


async def chat_access_oauth(
    subscriber_id: str,
    provider_id: str,
    environment_id: str,
    hmac_hash: str,
    integration_identifier: str | None = None,
) -> wire.Answer:
    subscriber_oauth.check_provider(provider_id)
    backend = _backend(environment_id)
    subscriber_oauth.check_hmac(backend.environment.api_key, subscriber_id, hmac_hash)
    backend.subscribers.get(subscriber_id)
    integration = backend.subscribers.oauth_integration(provider_id, integration_identifier)
    state = _signer().sign(
        {
            "environmentId": environment_id,
            "subscriberId": subscriber_id,
            "providerId": provider_id,
            "integrationIdentifier": integration.identifier,
        }
    )
    base = str(request.base_url).rstrip("/")
    callback = f"{base}/v1/subscribers/{quote(subscriber_id, safe='')}/credentials/{provider_id}/oauth/callback"
    url = subscriber_oauth.authorize_url(
        credentials=integration.credentials,
        integration_identifier=integration.identifier,
        redirect_uri=callback,
        state=state,
    )
    return wire.Answer(302, headers={"Location": url})


async def chat_oauth_callback(subscriber_id: str, provider_id: str, code: str, state: str) -> wire.Answer:
    payload = _signer().verify(state, subscriber_id=subscriber_id, provider_id=provider_id)
    backend = _backend(payload["environmentId"])
    integration = backend.integrations.by_identifier(payload["integrationIdentifier"])
    backend.subscribers.store_oauth_webhook(
        subscriber_id, integration, subscriber_oauth.webhook_url_for(code, integration.id)
    )
    redirect = integration.credentials.get("redirectUrl")
    if redirect:
        return wire.Answer(302, headers={"Location": redirect})
    return wire.Answer(200, body=subscriber_oauth.CLOSE_WINDOW_PAGE, mimetype="text/html")


# The v1 in-app feed lives in its own module; re-exported for the resolver.
from mock_server.handlers.inbox_v1 import *  # noqa: E402,F401,F403
