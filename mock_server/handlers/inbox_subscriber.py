"""Who an inbox request speaks for: the subscriber of its session token (no operations here)."""

from __future__ import annotations

from connexion.context import context

from mock_server import wire


def session_subscriber_id() -> str:
    """The ``subscriberId`` of the request's session (the bearer scheme put it in token_info)."""
    return context["token_info"]["session"].subscriber_id


def session_context_keys() -> list[str]:
    """The context keys of the request's session (none for a token without them)."""
    return list(getattr(context["token_info"]["session"], "context_keys", None) or [])


def channel_types() -> list[str]:
    """Every channel type the API knows (the spec's ChannelTypeEnum): the global preference lists
    them all, as the secret-key API's preferences do."""
    return wire.services()["spec"].enum("ChannelTypeEnum")
