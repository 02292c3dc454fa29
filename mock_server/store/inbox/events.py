"""What the inbox tells its listeners when a subscriber's in-app notifications change.

The store knows nothing of sockets: each service keeps a list of listeners (callables taking an
``InboxChange``), called under the store's lock from whatever thread made the change, so a
listener must only note the change and return (the live socket, ``mock_server.inbox_socket``,
hands it to its event loop). The kinds follow what Novu's use cases queue for its socket
service: a delivered in-app message (``RECEIVED``), a change of the read state (``UNREAD``: read,
unread, archive, snooze, delete, ...), of the seen state (``UNSEEN``), and ``EVERYTHING`` when the
whole environment's inbox was replaced (a reset, a state import).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

RECEIVED = "received"
UNREAD = "unread"
UNSEEN = "unseen"
EVERYTHING = "everything"


@dataclass(frozen=True, slots=True)
class InboxChange:
    environment_id: str
    # the subscriber's record id (its ``_id``); None with EVERYTHING: every subscriber of the environment
    subscriber: str | None
    kind: str
    message_id: str | None = None  # the message delivered, with RECEIVED


InboxListener = Callable[[InboxChange], None]


def read_state_kind(mark: str) -> str:
    """The change a v1 mark (read, unread, seen, unseen) makes: Novu's socket event for it."""
    return UNREAD if mark in ("read", "unread") else UNSEEN
