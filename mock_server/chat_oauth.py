"""Chat OAuth: signed, expiring ``state`` values, the provider authorisation URLs, the simulated code exchange."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from mock_server.errors import BadRequest, NotFound

SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
MSTEAMS_ADMIN_CONSENT_URL = "https://login.microsoftonline.com/{tenant}/adminconsent"
SLACK_DEFAULT_SCOPES = (
    "chat:write",
    "chat:write.public",
    "channels:read",
    "groups:read",
    "users:read",
    "users:read.email",
)
SLACK_DEFAULT_USER_SCOPES = ("identity.basic",)
MSTEAMS_USER_AUTHORIZE_URL = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize"
MSTEAMS_USER_SCOPES = ("openid", "profile", "User.Read")
CALLBACK_PATH = "/v1/integrations/chat/oauth/callback"
# The mock's stand-in consent pages mirror each provider's own paths under this prefix:
# https://slack.com/oauth/v2/authorize -> <mock>/_mock/oauth/slack/oauth/v2/authorize
STANDIN_PREFIX = "/_mock/oauth"
STANDIN_PROVIDERS = {"slack": SLACK_AUTHORIZE_URL, "msteams": MSTEAMS_ADMIN_CONSENT_URL}
SLACK_PROVIDERS = frozenset({"slack", "novu-slack"})
NOVU_MANAGED_SLACK = "novu-slack"
# Stands for the OAuth client of Novu's own Slack app (its integrations carry no credentials).
NOVU_MANAGED_SLACK_CLIENT_ID = "novu-managed-slack-app"
# Settings.oauth_consent values: the mock's stand-in pages, or the real provider's.
CONSENT_MOCK = "mock"
CONSENT_PROVIDER = "provider"


class StateSigner:
    """Signs what the callback needs to know; a state older than ``ttl_seconds`` is refused."""

    def __init__(self, secret: str, ttl_seconds: int, *, clock: Callable[[], float] = time.time) -> None:
        # itsdangerous reads the time through get_timestamp; a clock makes expiry testable.
        signer = type("ClockedSigner", (TimestampSigner,), {"get_timestamp": lambda _self: int(clock())})
        self._serializer = URLSafeTimedSerializer(secret, salt="novu-mock-chat-oauth", signer=signer)
        self.ttl_seconds = ttl_seconds

    def sign(self, payload: dict[str, Any]) -> str:
        return self._serializer.dumps(payload)

    def verify(self, state: str) -> dict[str, Any]:
        try:
            return self._serializer.loads(state, max_age=self.ttl_seconds)
        except SignatureExpired:
            raise BadRequest(f"OAuth state has expired; it is valid for {self.ttl_seconds // 60} minutes") from None
        except BadSignature:
            raise BadRequest("OAuth state is invalid or has been tampered with") from None


def authorize_url(
    *,
    provider_id: str,
    credentials: dict[str, Any],
    integration_identifier: str,
    state: str,
    redirect_uri: str,
    scope: list[str] | None = None,
    user_scope: list[str] | None = None,
    link_user: bool = False,
    standin_base: str | None = None,
) -> str:
    """The provider's authorisation URL; with ``standin_base`` the same URL on the mock's stand-in page."""
    url = _provider_url(
        provider_id=provider_id,
        credentials=credentials,
        integration_identifier=integration_identifier,
        state=state,
        redirect_uri=redirect_uri,
        scope=scope,
        user_scope=user_scope,
        link_user=link_user,
    )
    if standin_base is None:
        return url
    parts = urlsplit(url)
    page = "slack" if provider_id in SLACK_PROVIDERS else provider_id
    return f"{standin_base.rstrip('/')}{STANDIN_PREFIX}/{page}{parts.path}?{parts.query}"


def _provider_url(
    *,
    provider_id: str,
    credentials: dict[str, Any],
    integration_identifier: str,
    state: str,
    redirect_uri: str,
    scope: list[str] | None,
    user_scope: list[str] | None,
    link_user: bool,
) -> str:
    client_id = oauth_client_id(provider_id, credentials)
    if provider_id in SLACK_PROVIDERS:
        query = {"client_id": client_id}
        if link_user:
            query["user_scope"] = ",".join(user_scope or SLACK_DEFAULT_USER_SCOPES)
        else:
            query["scope"] = ",".join(scope or SLACK_DEFAULT_SCOPES)
        query |= {"redirect_uri": redirect_uri, "state": state}
        return f"{SLACK_AUTHORIZE_URL}?{urlencode(query)}"
    tenant = credentials.get("tenantId") or "organizations"
    if link_user:
        query = {
            "client_id": client_id,
            "response_type": "code",
            "response_mode": "query",
            "scope": " ".join(MSTEAMS_USER_SCOPES),
            "redirect_uri": redirect_uri,
            "state": state,
        }
        return f"{MSTEAMS_USER_AUTHORIZE_URL.format(tenant=tenant)}?{urlencode(query)}"
    query = {"client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    return f"{MSTEAMS_ADMIN_CONSENT_URL.format(tenant=tenant)}?{urlencode(query)}"


def oauth_client_id(provider_id: str, credentials: dict[str, Any]) -> str:
    """The OAuth client of an integration, refused as Novu refuses it: 404, with the provider's
    name (the message ends with a space in Novu). Novu's own Slack app has its client built in."""
    client_id = credentials.get("clientId")
    if client_id:
        return client_id
    if provider_id == NOVU_MANAGED_SLACK:
        return NOVU_MANAGED_SLACK_CLIENT_ID
    name = "MS Teams" if provider_id == "msteams" else "Slack"
    if not credentials:
        raise NotFound(f"{name} integration missing credentials ")
    raise NotFound(f"{name} integration missing required OAuth credentials (clientId) ")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def stable_uuid(*parts: str) -> str:
    """A UUID-shaped id that is the same every time for the same ``parts``."""
    digest = _digest(*parts)
    return "-".join((digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32]))


def exchange_code(provider_id: str, code: str, *, tenant: str | None = None) -> dict[str, Any]:
    """What the provider's token endpoint would answer for ``code`` (simulated, offline).

    The same code always gives the same workspace, so a test can predict it; nothing here is a
    real credential. Slack answers a team, a bot token and the user who clicked; Microsoft
    answers the tenant that consented and the signed-in user.
    """
    digest = _digest(provider_id, code)
    if provider_id == "slack":
        team = "T" + digest[:10].upper()
        return {
            "workspace": {"id": team, "name": f"Mock Workspace {team[-4:]}", "botUserId": "U" + digest[10:20].upper()},
            "auth": {"accessToken": f"xoxb-mock-{digest[20:32]}-{digest[32:56]}"},
            "userId": "U" + digest[56:64].upper(),
        }
    tenant_id = tenant or stable_uuid("tenant", code)
    return {
        "workspace": {"id": tenant_id, "name": f"Mock Tenant {tenant_id[:4]}"},
        "auth": {"accessToken": f"mock-msteams-{digest[32:64]}"},
        "userId": stable_uuid("user", code),
    }
