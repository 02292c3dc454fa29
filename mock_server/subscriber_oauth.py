"""Subscriber chat OAuth (Slack incoming webhooks): the link's HMAC, the signed state, the code.

The link a subscriber opens carries no API key: ``hmacHash`` is the hex HMAC-SHA256 of the
subscriberId keyed with the environment's secret key, as in the real API, and a wrong one is
refused as Novu refuses it (400). Novu's legacy use case (apps/api/src/app/subscribers/usecases/
chat-oauth/chat-oauth.usecase.ts) answers every integration it cannot use with the same 404,
"Chat integration not found". The ``state`` sent to the provider is signed and expires; a bad
one is refused with 403 (the request is well formed, it just may not do this).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from mock_server.errors import BadRequest, Forbidden, NotFound

# Subscribers link their own Slack workspace through an incoming webhook; no other provider does.
OAUTH_PROVIDERS = frozenset({"slack"})
SLACK_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"
SLACK_WEBHOOK_SCOPE = "incoming-webhook"
CLOSE_WINDOW_PAGE = "<!DOCTYPE html><html><body><script>window.close();</script></body></html>"
# Novu's one answer for an environment, provider or integration it cannot use (it tells nothing
# to an unauthenticated caller about which one is missing).
CHAT_INTEGRATION_NOT_FOUND = "Chat integration not found"


def hmac_hash(api_key: str, subscriber_id: str) -> str:
    return hmac.new(api_key.encode(), subscriber_id.encode(), hashlib.sha256).hexdigest()


def check_hmac(api_key: str, subscriber_id: str, given: str) -> None:
    if not hmac.compare_digest(hmac_hash(api_key, subscriber_id).encode(), given.encode()):
        raise BadRequest("Hmac is enabled on the integration, please provide a valid HMAC hash")


class SubscriberStateSigner:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="novu-mock-subscriber-chat-oauth")
        self.ttl_seconds = ttl_seconds

    def sign(self, payload: dict[str, Any]) -> str:
        return self._serializer.dumps(payload)

    def verify(self, state: str, *, subscriber_id: str, provider_id: str) -> dict[str, Any]:
        try:
            payload = self._serializer.loads(state, max_age=self.ttl_seconds)
        except SignatureExpired:
            raise Forbidden(f"OAuth state has expired; it is valid for {self.ttl_seconds // 60} minutes") from None
        except BadSignature:
            raise Forbidden("OAuth state is invalid or has been tampered with") from None
        if payload.get("subscriberId") != subscriber_id or payload.get("providerId") != provider_id:
            raise Forbidden("OAuth state was issued for another subscriber or provider")
        return payload


def check_provider(provider_id: str) -> None:
    if provider_id not in OAUTH_PROVIDERS:
        raise NotFound(CHAT_INTEGRATION_NOT_FOUND)


def authorize_url(*, credentials: dict[str, Any], integration_identifier: str, redirect_uri: str, state: str) -> str:
    client_id = credentials.get("clientId")
    if not client_id:
        raise NotFound(CHAT_INTEGRATION_NOT_FOUND)
    query = {"client_id": client_id, "scope": SLACK_WEBHOOK_SCOPE, "user_scope": "", "redirect_uri": redirect_uri,
             "state": state}  # fmt: skip
    return f"{SLACK_AUTHORIZE_URL}?{urlencode(query)}"


def webhook_url_for(code: str, integration_id: str) -> str:
    """What exchanging ``code`` with Slack would give: a stable incoming-webhook URL per code."""
    digest = hashlib.sha256(f"{integration_id}:{code}".encode()).hexdigest().upper()
    return f"https://hooks.slack.com/services/T{digest[:8]}/B{digest[8:18]}/{digest[18:42].lower()}"
