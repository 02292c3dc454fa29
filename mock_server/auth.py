"""API keys -> environments: the one place a key is checked."""

from __future__ import annotations

from typing import Any

from mock_server.store import Backends, Environment

_SCHEME = "apikey"


def environment_for(authorization: str | None, backends: Backends) -> Environment | None:
    """The environment an ``Authorization: ApiKey <key>`` header names, or None."""
    if not authorization:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != _SCHEME:
        return None
    return backends.environment_for_key(key.strip())


_SCOPE_KEY = "novu_mock_environment"


def environment_of(scope: Any, backends: Backends) -> Environment | None:
    """The environment of an ASGI request's key, worked out once per request and kept in its scope."""
    extensions = scope.setdefault("extensions", {})
    if _SCOPE_KEY not in extensions:
        authorization = next((value for name, value in scope["headers"] if name == b"authorization"), None)
        extensions[_SCOPE_KEY] = environment_for(authorization.decode("latin-1") if authorization else None, backends)
    return extensions[_SCOPE_KEY]


def api_key_info(authorization: str, request: Any = None) -> dict[str, Any] | None:
    """Connexion's ``x-apikeyInfoFunc``: token info for a known key, None (401) otherwise."""
    # WireMiddleware put the app's backends in the scope; no module-level state.
    environment = environment_for(authorization, request.scope["extensions"]["novu_mock"]["backends"])
    if environment is None:
        return None
    return {"sub": environment.id, "environment": environment}
