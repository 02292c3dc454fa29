"""``POST /v1/inbox/session``: what a frontend SDK (@novu/js, <Inbox />) calls first, with the
environment's ``applicationIdentifier`` instead of a secret key (Novu's InboxController)."""

from __future__ import annotations

from typing import Any

from mock_server import inbox_session, wire


async def session_initialize(body: dict[str, Any]) -> dict[str, Any]:
    services = wire.services()
    return inbox_session.open_session(services["backends"], body, require_hmac=services["settings"].inbox_hmac)
