"""v1 messages of the environment (``MessagesController_*``)."""

from __future__ import annotations

from typing import Any

from mock_server.store import Backend


async def get_messages(
    backend: Backend,
    channel: str | None = None,
    subscriber_id: str | None = None,
    transaction_id: list[str] | None = None,
    page: float = 0,
    limit: float = 10,
) -> dict[str, Any]:
    found = backend.inbox.messages(
        page=int(page), limit=int(limit), channel=channel, subscriber_id=subscriber_id, transaction_ids=transaction_id
    )
    return {
        "page": int(page),
        "pageSize": int(limit),
        "totalCount": found.total,
        "hasMore": found.has_more,
        "data": [message.message_dto() for message in found.items],
    }


async def delete_message(backend: Backend, message_id: str) -> dict[str, Any]:
    backend.inbox.delete_message(message_id)
    return {"acknowledged": True, "status": "deleted"}


async def delete_messages_by_transaction_id(
    backend: Backend, transaction_id: str, channel: str | None = None
) -> None:
    backend.inbox.delete_transaction(transaction_id, channel)
