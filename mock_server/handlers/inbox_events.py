"""``POST /v1/inbox/events`` (``InboxEventsController_keylessEvents``): Novu's keyless demo
trigger, refused in every environment of the mock (none is keyless), with Novu's reasons in
Novu's order (apps/api/src/app/inbox/usecases/trigger-keyless-event)."""

from __future__ import annotations

from typing import Any

from mock_server.errors import Forbidden
from mock_server.handlers.inbox_subscriber import session_subscriber_id

KEYLESS_WORKFLOW = "hello-world"


def _is_self(to: Any, subscriber_id: str) -> bool:
    if isinstance(to, str):
        return to == subscriber_id
    return isinstance(to, dict) and to.get("subscriberId") == subscriber_id


async def keyless_events(body: dict[str, Any]) -> dict[str, Any]:
    if body.get("name") != KEYLESS_WORKFLOW:
        raise Forbidden(f'Inbox subscribers may only trigger the "{KEYLESS_WORKFLOW}" workflow.')
    if not _is_self(body.get("to"), session_subscriber_id()):
        raise Forbidden("Inbox subscribers may only trigger notifications for themselves.")
    raise Forbidden("Inbox events can only be triggered from a keyless environment.")
