"""v1 messages of the environment (``MessagesController_*``)."""

from __future__ import annotations

from typing import Any

from mock_server.errors import BadRequest
from mock_server.store import Backend
from mock_server.store.context_match import present_keys

MAX_LIMIT = 1000  # Novu's GetMessages refuses a larger page


async def get_messages(
    backend: Backend,
    channel: str | None = None,
    subscriber_id: str | None = None,
    transaction_id: list[str] | None = None,
    context_keys: list[str] | None = None,
    page: float = 0,
    limit: float = 10,
) -> dict[str, Any]:
    if limit > MAX_LIMIT:
        raise BadRequest("Limit can not be larger then 1000")
    found = backend.inbox.messages(
        page=int(page),
        limit=int(limit),
        channel=channel,
        subscriber_id=subscriber_id,
        transaction_ids=transaction_id,
        context_keys=present_keys(context_keys),
    )
    return {
        "page": int(page),
        "pageSize": int(limit),
        "totalCount": found.total,
        "hasMore": found.has_more,
        "data": [message.message_dto(with_subscriber=True) for message in found.items],
    }


async def delete_message(backend: Backend, message_id: str) -> dict[str, Any]:
    backend.inbox.delete_message(message_id)
    return {"acknowledged": True, "status": "deleted"}


async def delete_messages_by_transaction_id(
    backend: Backend, transaction_id: str, channel: str | None = None
) -> None:
    backend.inbox.delete_transaction(transaction_id, channel)
