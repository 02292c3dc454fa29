"""The browser side of chat OAuth: the stand-in consent pages and the callback.

These are not part of Novu's documented API (the SDKs never call them; a browser does), so they
are plain routes next to the spec-driven app rather than operations in ``openapi.yaml``:

* ``GET /_mock/oauth/slack/oauth/v2/authorize`` and
  ``GET /_mock/oauth/msteams/{tenant}/adminconsent`` (and ``.../oauth2/v2.0/authorize``) take the
  query the real Slack / Microsoft page takes and redirect straight back to ``redirect_uri`` with
  a ``code`` (Microsoft admin consent also sends ``tenant`` and ``admin_consent``), as if the
  user had clicked "Allow". ``?error=access_denied`` on the stand-in simulates "Cancel".
* ``GET /v1/integrations/chat/oauth/callback`` verifies the signed ``state`` (tampered or older
  than the TTL: 400), exchanges the code (simulated, ``chat_oauth.exchange_code``) and creates the
  channel connection, or the user endpoint, that the state describes. It answers a small
  "Connected" page, or redirects to the integration's ``credentials.redirectUrl`` when it has one.
"""

from __future__ import annotations

import html
import re
import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from mock_server import chat_oauth
from mock_server.errors import BadRequest, NotFound
from mock_server.store import Backend, Backends
from mock_server.store.channel_endpoints import USER_ENDPOINT_TYPES

SCOPE_KEY = "novu_mock"


def _services(request: Request) -> dict[str, Any]:
    return request.scope["extensions"][SCOPE_KEY]


def _require(request: Request, *names: str) -> dict[str, str]:
    values = {name: request.query_params.get(name, "") for name in names}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise BadRequest(f"Missing query parameter(s): {', '.join(missing)}")
    return values


def _known_client(backends: Backends, provider_id: str, client_id: str) -> bool:
    return any(
        integration.provider_id == provider_id and integration.credentials.get("clientId") == client_id
        for backend in backends
        for integration in backend.integrations.list()
    )


_OWN_CALLBACKS = re.compile(
    "^(" + re.escape(chat_oauth.CALLBACK_PATH) + r"|/v1/subscribers/[^/]+/credentials/[^/]+/oauth/callback)$"
)


def _registered_redirect(request: Request, backends: Backends, provider_id: str, client_id: str, redirect_uri: str) -> bool:
    """Like a real provider, send the code only to a registered place: this mock's own callback
    (on the host the page was asked for, which passed the Host allow-list), or the
    ``credentials.redirectUrl`` of an integration of that client."""
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https"):
        return False
    if target.netloc.lower() == request.headers.get("host", "").lower() and _OWN_CALLBACKS.match(target.path):
        return True
    return any(
        (registered := urlsplit(str(integration.credentials.get("redirectUrl") or ""))).netloc
        and (registered.scheme, registered.netloc.lower(), registered.path) == (target.scheme, target.netloc.lower(), target.path)
        for backend in backends
        for integration in backend.integrations.list()
        if integration.provider_id == provider_id and integration.credentials.get("clientId") == client_id
    )


def _back_to_app(request: Request, provider_id: str, extra: dict[str, str] | None = None) -> RedirectResponse:
    """What the provider does after the user decides: redirect to ``redirect_uri`` with a code or an error."""
    query = _require(request, "client_id", "redirect_uri", "state")
    backends = _services(request)["backends"]
    if not _known_client(backends, provider_id, query["client_id"]):
        raise BadRequest(f"invalid_client_id: no {provider_id} integration has clientId {query['client_id']}")
    redirect_uri = query["redirect_uri"]
    if not _registered_redirect(request, backends, provider_id, query["client_id"], redirect_uri):
        # never an open redirect carrying a code: Slack and Microsoft refuse an unregistered one too
        raise BadRequest(
            f"bad_redirect_uri: {redirect_uri} is neither this mock's OAuth callback nor the redirectUrl of a "
            f"{provider_id} integration with this clientId"
        )
    error = request.query_params.get("error")
    if error:
        answer = {"error": error, "state": query["state"]}
    else:
        answer = {"code": f"mock-{provider_id}-{secrets.token_hex(12)}", **(extra or {}), "state": query["state"]}
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(answer), status_code=302)


async def slack_consent(request: Request) -> RedirectResponse:
    return _back_to_app(request, "slack")


async def msteams_admin_consent(request: Request) -> RedirectResponse:
    tenant = request.path_params["tenant"]
    if tenant in ("organizations", "common"):
        # The tenant of the admin who consented; stable per app so repeated runs agree.
        tenant = chat_oauth.stable_uuid("consenting-tenant", request.query_params.get("client_id", ""))
    return _back_to_app(request, "msteams", {"tenant": tenant, "admin_consent": "True"})


async def msteams_user_consent(request: Request) -> RedirectResponse:
    return _back_to_app(request, "msteams")


def _page(title: str, lines: list[str]) -> HTMLResponse:
    body = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}<p>You can close this window.</p></body></html>"
    )


def complete(backend: Backend, state: dict[str, Any], exchanged: dict[str, Any]) -> list[str]:
    """Create what the signed ``state`` asks for, atomically; returns lines describing what was made."""
    with backend.lock:
        integration = backend.channel_connections.oauth_integration(state["integrationIdentifier"])
        user_type = USER_ENDPOINT_TYPES[integration.provider_id]
        made = []
        connection_identifier = state.get("connectionIdentifier")
        if state.get("mode") == "connect":
            connection = backend.channel_connections.create(
                integration_identifier=integration.identifier,
                workspace=exchanged["workspace"],
                auth=exchanged["auth"],
                identifier=connection_identifier,
                subscriber_id=state.get("subscriberId"),
                context=state.get("context"),
                connection_mode=state.get("connectionMode"),
            )
            connection_identifier = connection.identifier
            workspace = connection.workspace.get("name") or connection.workspace["id"]
            made.append(f"Channel connection {connection.identifier} to {workspace} created.")
        if state.get("subscriberId") and (state.get("mode") == "link_user" or state.get("autoLinkUser")):
            if not connection_identifier:
                # A user linked without naming a workspace joins the subscriber's, else a shared one.
                found = backend.channel_connections.find_for(integration.identifier, state["subscriberId"], state.get("context"))
                connection_identifier = found.identifier if found else None
            endpoint = backend.channel_endpoints.create(
                subscriber_id=state["subscriberId"],
                integration_identifier=integration.identifier,
                endpoint_type=user_type,
                endpoint={"userId": exchanged["userId"]},
                connection_identifier=connection_identifier,
                context=state.get("context"),
            )
            made.append(f"Channel endpoint {endpoint.identifier} ({user_type}) for subscriber {state['subscriberId']} created.")
        return made


async def callback(request: Request) -> HTMLResponse:
    services = _services(request)
    signer: chat_oauth.StateSigner = services["state_signer"]
    state = signer.verify(_require(request, "state")["state"])
    error = request.query_params.get("error")
    if error:
        raise BadRequest(f"The authorisation was not granted: {error}; nothing was created")
    code = _require(request, "code")["code"]
    try:
        backend: Backend = services["backends"][state["environmentId"]]
    except KeyError:
        raise NotFound("The environment this OAuth state was issued for no longer exists") from None
    integration = backend.channel_connections.oauth_integration(state["integrationIdentifier"])
    exchanged = chat_oauth.exchange_code(integration.provider_id, code, tenant=request.query_params.get("tenant") or None)
    made = complete(backend, state, exchanged)
    # Like Novu, send the user on to the app's own page when the integration names one.
    redirect_url = integration.credentials.get("redirectUrl")
    if redirect_url and urlsplit(redirect_url).scheme in ("http", "https"):
        return RedirectResponse(redirect_url, status_code=302)
    return _page("Connected", made)


def register(app) -> None:
    prefix = chat_oauth.STANDIN_PREFIX
    app.add_url_rule(f"{prefix}/slack/oauth/v2/authorize", "standin_slack", slack_consent, methods=["GET"])
    app.add_url_rule(
        f"{prefix}/msteams/{{tenant}}/adminconsent", "standin_msteams_admin", msteams_admin_consent, methods=["GET"]
    )
    app.add_url_rule(
        f"{prefix}/msteams/{{tenant}}/oauth2/v2.0/authorize", "standin_msteams_user", msteams_user_consent, methods=["GET"]
    )
    app.add_url_rule(chat_oauth.CALLBACK_PATH, "chat_oauth_callback", callback, methods=["GET"])
