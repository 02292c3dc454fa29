"""Inbox session tokens: what ``POST /v1/inbox/session`` answers and every later inbox call sends.

Novu signs a JWT for the subscriber (``_id``, names, email, organization, environment,
``subscriberId``), issuer ``novu_api``, audience ``widget_user``, valid 15 days
(libs/application-generic/src/services/auth/community.auth.service.ts, getSubscriberWidgetToken),
and its subscriber guard refuses any other audience. The mock signs with a secret derived from the
environment's API key, so a token dies with its environment and never opens another one.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

import jwt

from mock_server.store import Backends, Environment

AUDIENCE = "widget_user"
ISSUER = "novu_api"
LIFETIME_SECONDS = 15 * 24 * 3600
_ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Session:
    """Who an inbox token speaks for."""

    environment: Environment
    subscriber_id: str  # the subscriber's own id (``subscriberId``), not its Mongo ``_id``
    subscriber_object_id: str


def _secret(environment: Environment) -> bytes:
    return hashlib.sha256(f"inbox-session:{environment.api_key}".encode()).digest()


def issue(environment: Environment, subscriber: dict[str, Any], *, now: float | None = None) -> str:
    """A session token for ``subscriber`` (a subscriber DTO: ``_id``, ``subscriberId``, names, email)."""
    issued = int(time.time() if now is None else now)
    claims = {
        "_id": subscriber["_id"],
        "firstName": subscriber.get("firstName"),
        "lastName": subscriber.get("lastName"),
        "email": subscriber.get("email"),
        "organizationId": environment.organization_id,
        "environmentId": environment.id,
        "subscriberId": subscriber["subscriberId"],
        "iat": issued,
        "exp": issued + LIFETIME_SECONDS,
        "aud": AUDIENCE,
        "iss": ISSUER,
    }
    return jwt.encode(claims, _secret(environment), algorithm=_ALGORITHM)


def verify(token: str, backends: Backends) -> Session | None:
    """The session a token stands for, or None when it is malformed, forged, expired, for another
    audience, or names an environment the mock no longer has (Novu answers 401 to all of these)."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
        environment = backends.environment_for_id(str(unverified.get("environmentId", "")))
        if environment is None:
            return None
        claims = jwt.decode(token, _secret(environment), algorithms=[_ALGORITHM], audience=AUDIENCE, issuer=ISSUER)
    except (jwt.PyJWTError, TypeError, ValueError):
        return None
    subscriber_id, object_id = claims.get("subscriberId"), claims.get("_id")
    if not isinstance(subscriber_id, str) or not isinstance(object_id, str):
        return None
    return Session(environment, subscriber_id, object_id)


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
