"""Inbox session tokens: what ``POST /v1/inbox/session`` answers and every later inbox call sends.

Novu signs a JWT for the subscriber (``_id``, names, email, organization, environment,
``subscriberId``), issuer ``novu_api``, audience ``widget_user``, valid 15 days
(libs/application-generic/src/services/auth/community.auth.service.ts, getSubscriberWidgetToken),
and its subscriber guard refuses any other audience. The mock signs with a secret derived from the
environment's API key, so a token dies with its environment and never opens another one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt

from mock_server.errors import BadRequest, NotFound, UnprocessableEntity
from mock_server.store import Backends, Environment
from mock_server.store.inbox import InboxFilter

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
    # the session's contexts (``type:id``): its inbox shows only notifications of exactly these
    # contexts, none when empty; None for a token without the claim (no context filter)
    context_keys: tuple[str, ...] | None = None


def _secret(environment: Environment) -> bytes:
    return hashlib.sha256(f"inbox-session:{environment.api_key}".encode()).digest()


def issue(
    environment: Environment,
    subscriber: dict[str, Any],
    *,
    context_keys: list[str] | None = None,
    now: float | None = None,
) -> str:
    """A session token for ``subscriber`` (a subscriber DTO: ``_id``, ``subscriberId``, names,
    email) in the contexts ``context_keys`` (Novu's ``contextKeys`` claim)."""
    issued = int(time.time() if now is None else now)
    claims = {
        "_id": subscriber["_id"],
        "firstName": subscriber.get("firstName"),
        "lastName": subscriber.get("lastName"),
        "email": subscriber.get("email"),
        "organizationId": environment.organization_id,
        "environmentId": environment.id,
        "subscriberId": subscriber["subscriberId"],
        "contextKeys": list(context_keys or []),
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
    keys = claims.get("contextKeys")
    if keys is not None and not (isinstance(keys, list) and all(isinstance(key, str) for key in keys)):
        return None
    return Session(environment, subscriber_id, object_id, tuple(keys) if keys is not None else None)


def bearer(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# -- POST /v1/inbox/session -------------------------------------------------------------------
# Novu's Session use case (apps/api/src/app/inbox/usecases/session/session.usecase.ts): the
# environment by its identifier, its active Novu in-app integration, secure mode when that
# integration's credentials say ``hmac``, the subscriber created (or, with a valid hash, updated),
# the unread counts, a token.

SEVERITIES = ("high", "medium", "low", "none")
# the profile fields the session use case hands to CreateOrUpdateSubscriber (no locale)
SESSION_PROFILE_FIELDS = ("firstName", "lastName", "phone", "email", "avatar", "data", "timezone")
# PLATFORM_MAX_SNOOZE_DURATION of the free plan, which the mock's environments have
MAX_SNOOZE_DURATION_HOURS = 24


def subscriber_hash(api_key: str, value: str) -> str:
    """Novu's secure-mode hash: the hex HMAC-SHA256 of ``value`` keyed with the secret key."""
    return hmac.new(api_key.encode(), value.encode(), hashlib.sha256).hexdigest()


def context_hash(api_key: str, context: dict[str, Any]) -> str:
    """The hash of a context: HMAC-SHA256 of its canonical JSON (keys sorted, no spaces), as
    Novu's createContextHash canonicalizes it."""
    canonical = json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return subscriber_hash(api_key, canonical)


def _same_digest(expected: str, given: Any) -> bool:
    """Novu compares the hex digests as bytes, in constant time (so letter case does not matter)."""
    if not isinstance(given, str) or not given or len(given) != len(expected):
        return False
    try:
        return hmac.compare_digest(bytes.fromhex(expected), bytes.fromhex(given))
    except ValueError:
        return False


def _subscriber_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The subscriber a session is for: ``subscriber`` (a subscriberId or an object with one),
    else the older top-level ``subscriberId``."""
    given = body.get("subscriber")
    if isinstance(given, str) and given:
        return {"subscriberId": given}
    if isinstance(given, dict) and given.get("subscriberId"):
        return given
    if body.get("subscriberId"):
        return {"subscriberId": body["subscriberId"]}
    return None


def _context_keys(context: dict[str, Any] | None) -> list[str]:
    keys = []
    for kind, value in (context or {}).items():
        identifier = value.get("id") if isinstance(value, dict) else value
        keys.append(f"{kind}:{identifier}")
    return keys


def open_session(backends: Backends, body: dict[str, Any], *, require_hmac: bool = False) -> dict[str, Any]:
    """The answer to ``POST /v1/inbox/session`` (Novu's SubscriberSessionResponseDto), or the
    NovuError Novu's use case raises. ``require_hmac``: secure mode in every environment."""
    identifier = body.get("applicationIdentifier")
    wanted = _subscriber_of(body)
    if not identifier:
        if wanted is not None:
            raise UnprocessableEntity("A valid application identifier is required when providing subscriber information")
        # no identifier at all: Novu Cloud makes a throw-away "keyless" environment; the mock,
        # like the community edition, has none
        raise BadRequest("Keyless is not supported in community edition")
    if wanted is None:
        raise UnprocessableEntity("Subscriber ID is required")
    environment = backends.environment_for_identifier(identifier)
    backend = backends.get(environment.id) if environment is not None else None
    if backend is None:
        raise BadRequest("Please provide a valid application identifier")
    in_app = next(
        (i for i in backend.integrations.active() if i.channel == "in_app" and i.provider_id == "novu"), None
    )
    if in_app is None:
        raise NotFound("The active in-app integration could not be found")
    subscriber_id = str(wanted["subscriberId"])
    hash_valid = _same_digest(subscriber_hash(environment.api_key, subscriber_id), body.get("subscriberHash"))
    context = body.get("context") or None
    if require_hmac or in_app.credentials.get("hmac"):
        if not hash_valid:
            raise BadRequest("Please provide a valid HMAC hash")
        if context and not _same_digest(context_hash(environment.api_key, context), body.get("contextHash")):
            raise BadRequest("Please provide a valid context HMAC hash")
    with backend.lock:
        subscriber = backend.subscribers.find(subscriber_id)
        if subscriber is None or hash_valid:  # Novu updates an existing subscriber only with a valid hash
            profile = {name: wanted[name] for name in SESSION_PROFILE_FIELDS if wanted.get(name) is not None}
            if not isinstance(profile.get("data", {}), dict):
                del profile["data"]  # the subscriber's data is an object
            subscriber, _ = backend.subscribers.create(subscriber_id=subscriber_id, profile=profile)
        keys = _context_keys(context)
        unread = InboxFilter(read=False, snoozed=False, context_keys=tuple(keys))
        counts = backend.inbox.count(
            subscriber_id,
            [unread] + [InboxFilter(read=False, snoozed=False, severity=(s,), context_keys=tuple(keys)) for s in SEVERITIES],
        )
    return {
        "applicationIdentifier": environment.identifier,
        "token": issue(environment, subscriber.to_dto(), context_keys=keys),
        "totalUnreadCount": counts[0],
        "unreadCount": {"total": counts[0], "severity": dict(zip(SEVERITIES, counts[1:]))},
        "removeNovuBranding": False,
        "maxSnoozeDurationHours": MAX_SNOOZE_DURATION_HOURS,
        "isDevelopmentMode": environment.name.lower() != "production",
        "contextKeys": keys,
    }
