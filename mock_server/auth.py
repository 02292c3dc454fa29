"""The one place credentials are checked.

Two kinds, as in Novu: a secret key (``Authorization: ApiKey <key>``, the server API) names an
environment; an inbox session token (``Authorization: Bearer <token>``, what ``POST
/v1/inbox/session`` hands a frontend, checked by Novu's ``subscriberJwt`` guard) names an
environment and one of its subscribers. Neither ever opens a route of the other kind.
"""

from __future__ import annotations

from typing import Any

from mock_server import inbox_session
from mock_server.errors import Unauthorized
from mock_server.inbox_session import Session
from mock_server.store import Backend, Backends, Environment

_SCHEME = "ApiKey"
_PREFIX = _SCHEME + " "
# the security schemes of openapi.yaml
API_KEY_SCHEME = "ApiKey"
SESSION_SCHEME = "SubscriberSession"


def backend_for(authorization: str | None, backends: Backends) -> Backend | None:
    """The Backend of the environment an ``Authorization: ApiKey <key>`` header names, or None.
    The scheme is case-sensitive and the key is what follows ``ApiKey `` (Novu's guard and its
    passport-headerapikey prefix)."""
    if not authorization or not authorization.startswith(_PREFIX):
        return None
    return backends.backend_for_key(authorization[len(_PREFIX) :])


def key_refusal(authorization: str | None) -> Unauthorized:
    """Novu's 401 for a secret-key route the ``Authorization`` header does not open: its guard
    reads the scheme (the first word, case-sensitive), then passport checks the key."""
    header = authorization or ""
    scheme = header.split(" ")[0]
    if not scheme:
        return Unauthorized("Missing authorization header")
    if scheme == "Bearer":  # Novu's dashboard-user JWT strategy, which no token of the mock passes
        return Unauthorized("Unauthorized", bare=True)
    if scheme != _SCHEME:
        return Unauthorized(f'Invalid authentication scheme: "{scheme}"')
    if not header.startswith(_PREFIX) or header == _PREFIX:
        return Unauthorized("Unauthorized", bare=True)  # passport finds no key after the prefix
    return Unauthorized("API Key not found")


def environment_for(authorization: str | None, backends: Backends) -> Environment | None:
    """The environment an ``Authorization: ApiKey <key>`` header names, or None."""
    backend = backend_for(authorization, backends)
    return backend.environment if backend is not None else None


def session_for(authorization: str | None, backends: Backends) -> Session | None:
    """The inbox session an ``Authorization: Bearer <token>`` header stands for, or None: a token
    that is malformed, forged, expired, for another audience, of an environment the mock no longer
    has, or of a subscriber that no longer exists (Novu's guard looks the subscriber up: 401)."""
    token = inbox_session.bearer(authorization)
    if token is None:
        return None
    session = inbox_session.verify(token, backends)
    if session is None:
        return None
    backend = backends.get(session.environment.id)
    subscriber = backend.subscribers.find(session.subscriber_id) if backend is not None else None
    if subscriber is None or subscriber.id != session.subscriber_object_id:
        return None
    return session


_KEY_SCOPE = "novu_mock_environment"
_SESSION_SCOPE = "novu_mock_session"


def _authorization(scope: Any) -> str | None:
    value = next((value for name, value in scope["headers"] if name == b"authorization"), None)
    return value.decode("latin-1") if value else None


def key_backend_of(scope: Any, backends: Backends) -> Backend | None:
    """The Backend of an ASGI request's secret key, worked out once per request and kept in its
    scope, so the request holds it to its end even if the environment is removed meanwhile."""
    extensions = scope.setdefault("extensions", {})
    if _KEY_SCOPE not in extensions:
        extensions[_KEY_SCOPE] = backend_for(_authorization(scope), backends)
    return extensions[_KEY_SCOPE]


def key_environment_of(scope: Any, backends: Backends) -> Environment | None:
    """The environment of an ASGI request's secret key. Only this opens a route secured by the
    secret key."""
    backend = key_backend_of(scope, backends)
    return backend.environment if backend is not None else None


def session_of(scope: Any, backends: Backends) -> Session | None:
    """The inbox session of an ASGI request's bearer token, worked out once and kept in its scope."""
    extensions = scope.setdefault("extensions", {})
    if _SESSION_SCOPE not in extensions:
        extensions[_SESSION_SCOPE] = session_for(_authorization(scope), backends)
    return extensions[_SESSION_SCOPE]


def environment_of(scope: Any, backends: Backends) -> Environment | None:
    """The environment a request's credentials name, whichever kind they are: what the journal,
    the rate limits, the faults and the state file attribute the request to."""
    environment = key_environment_of(scope, backends)
    if environment is not None:
        return environment
    session = session_of(scope, backends)
    return session.environment if session is not None else None


def _backends_of(request: Any) -> Backends:
    # WireMiddleware put the app's backends in the scope; no module-level state.
    return request.scope["extensions"]["novu_mock"]["backends"]


def api_key_info(authorization: str, request: Any = None) -> dict[str, Any] | None:
    """Connexion's ``x-apikeyInfoFunc``: token info for a known key, None (401) otherwise."""
    backend = key_backend_of(request.scope, _backends_of(request))
    if backend is None:
        return None
    return {"sub": backend.environment.id, "environment": backend.environment, "backend": backend}


def session_info(token: str, request: Any = None) -> dict[str, Any] | None:
    """Connexion's ``x-bearerInfoFunc``: token info (with the ``session``) for a valid inbox
    session token, None (401) otherwise."""
    backends = _backends_of(request)
    session = session_of(request.scope, backends)
    backend = backends.get(session.environment.id) if session is not None else None
    if session is None or backend is None:
        return None
    return {"sub": session.environment.id, "environment": session.environment, "session": session, "backend": backend}
