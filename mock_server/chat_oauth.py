"""Chat OAuth: signed, expiring ``state`` values and the provider authorisation URLs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from mock_server.errors import BadRequest, Conflict

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
CALLBACK_PATH = "/v1/integrations/chat/oauth/callback"


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
) -> str:
    client_id = credentials.get("clientId")
    if not client_id:
        raise Conflict(
            f"Integration {integration_identifier} has no clientId in its credentials; "
            "set credentials.clientId with PUT /v1/integrations/{integrationId} first"
        )
    if provider_id == "slack":
        query = {"client_id": client_id}
        if link_user:
            query["user_scope"] = ",".join(user_scope or SLACK_DEFAULT_USER_SCOPES)
        else:
            query["scope"] = ",".join(scope or SLACK_DEFAULT_SCOPES)
        query |= {"redirect_uri": redirect_uri, "state": state}
        return f"{SLACK_AUTHORIZE_URL}?{urlencode(query)}"
    tenant = credentials.get("tenantId") or "organizations"
    query = {"client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    return f"{MSTEAMS_ADMIN_CONSENT_URL.format(tenant=tenant)}?{urlencode(query)}"
