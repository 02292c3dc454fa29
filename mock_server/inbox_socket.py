"""The live socket of the Inbox: the socket.io server @novu/js connects to at its ``socketUrl``.

Served by the same app and port as the API, under ``/socket.io/`` (so ``socketUrl`` is the mock's
URL), outside the API's layers: the compiled path, the journal, the wire and CORS never see its
traffic, and the REST path pays one prefix test per request.

What Novu's socket service does, and so the mock (apps/ws: ``ws.gateway.ts``, the use case
``external-services-route``; @novu/js 3.19 ``Socket``):

- **Handshake.** @novu/js connects with ``transports: ["websocket"]`` and the session token of
  ``POST /v1/inbox/session`` as the query parameter ``token`` (Novu also reads ``auth.token``).
  The connection is accepted first; a missing, forged, expired or foreign-audience token is then
  disconnected by the server (the client sees ``connect`` and then ``disconnect``, reason
  ``io server disconnect``, and socket.io does not reconnect after that). A good token joins the
  room of its subscriber's ``_id`` (here per environment too, so two environments holding the same
  ids never share a room).
- **Contexts.** A session's token carries its contexts (the ``contextKeys`` claim; none when it
  has no claim, as Novu's gateway reads it with ``?? []``), kept on each socket (Novu: ws.gateway.ts
  ``socket.data.contextKeys``). Two sockets of one subscriber with different contexts are two
  inboxes: each gets the counts of its own contexts, and a delivered message only reaches the
  sockets whose contexts are exactly the message's (store/context_match.py, the rule of the REST
  routes; Novu's gateway ``isExactMatch``).
- **Events** (sent to the sockets of the subscriber, never to another's):
  ``notification_received`` ``{"message": <the stored message entity>}`` (to the sockets of the
  message's contexts only) followed by ``unseen_count_changed`` and ``unread_count_changed`` (to
  every socket of the subscriber, each counted in its own contexts, as Novu's
  ``sendUnseenCountToAllConnections`` / ``sendUnreadCountToAllConnections`` do) when an in-app
  message is delivered; ``unread_count_changed`` alone after a change of the read state (read,
  unread, archive, unarchive, snooze, unsnooze, delete, the bulk read / archive / read-archive /
  delete); ``unseen_count_changed`` alone after marking seen. Payloads: ``{"unseenCount", "hasMore"}``
  and ``{"unreadCount", "counts": {"total", "severity": {"high", "medium", "low", "none"}},
  "hasMore"}``: counts of the socket's in-app messages not seen / not read, reported up to 100
  with ``hasMore`` beyond (``counts.total`` up to 101, as Novu counts with a limit of 101).
  After ``/_mock/reset`` or a state import the counts of every connected socket are sent.
- **Online status**: a connection sets the subscriber's ``isOnline``; a disconnection clears it
  (unless more than one other socket of the subscriber stays open, as Novu counts) and stamps
  ``lastOnlineAt`` (what ``GET /v2/subscribers/{id}`` shows).

The store tells what changed through its inbox listeners (``store.inbox.events``), from whatever
thread made the change; ``InboxSockets`` notes it for the event loop, which coalesces what
arrived together per subscriber, reads the counts under the store's lock (once per set of
contexts among the subscriber's sockets) and emits to each socket. The socket.io server is made
at the first ``/socket.io/`` request: python-socketio takes ~50 ms to import, which a mock that
no frontend talks to should not pay at start.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server import inbox_session
from mock_server.errors import NovuError
from mock_server.store import Backends
from mock_server.store.context_match import context_matches
from mock_server.store.inbox import InboxFilter
from mock_server.store.inbox.events import EVERYTHING, RECEIVED, UNREAD, UNSEEN, InboxChange

logger = logging.getLogger("novu_mock")

SOCKET_PATH = "/socket.io/"
SEVERITIES = ("high", "medium", "low", "none")
COUNT_LIMIT = 100  # Novu counts up to 101 and reports 100 with ``hasMore`` beyond

RoomKey = tuple[str, str]  # (environment id, subscriber _id)
Contexts = tuple[str, ...]  # a socket's context keys (``type:id``), sorted
Counts = tuple[int, int, dict[str, int]]


@dataclass(slots=True)
class _Member:
    environment_id: str
    subscriber_id: str  # the subscriber's own id (subscriberId)
    object_id: str  # its _id: Novu's room


@dataclass(slots=True)
class _Pending:
    """What changed for one room since the last flush."""

    kinds: set[str] = field(default_factory=set)
    received: list[str] = field(default_factory=list)


def _room(key: RoomKey) -> str:
    return f"{key[0]}/{key[1]}"


class InboxSockets:
    """The socket.io server and the publisher of the store's inbox changes."""

    def __init__(self, backends: Backends, *, origins: Iterable[str] = (), origin_regex: str | None = None) -> None:
        self.backends = backends
        self._allowed = frozenset(origins)
        self._pattern = re.compile(origin_regex) if origin_regex else None
        self.server: Any = None  # socketio.AsyncServer, made by ``asgi``
        self._asgi: ASGIApp | None = None
        self._members: dict[str, _Member] = {}  # sid -> who
        # the sockets of each room (sid -> the contexts of its session: what it counts and hears);
        # read from any thread (a dict lookup) to drop changes nobody listens to
        self._sockets: dict[RoomKey, dict[str, Contexts]] = {}
        self._online_environments: dict[str, int] = {}
        self._names: dict[RoomKey, str] = {}  # the subscriberId of each room's subscriber
        self._pending: dict[RoomKey, _Pending] = {}
        self._flushing: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _origin_allowed(self, origin: str | None, environ: Any = None) -> bool:
        # the REST API's CORS rule: the listed origins, else local frontends
        if origin is None or origin in self._allowed:
            return True
        return self._pattern is not None and self._pattern.fullmatch(origin) is not None

    @property
    def asgi(self) -> ASGIApp:
        """The socket.io ASGI app, made (and listening to the store) at the first use."""
        if self._asgi is None:
            import socketio

            server = socketio.AsyncServer(
                async_mode="asgi",
                cors_allowed_origins=self._origin_allowed,
                # accept, then judge the token: Novu's gateway disconnects a bad token after connecting
                always_connect=True,
                logger=False,
                engineio_logger=False,
            )
            server.on("connect", self._connect)
            server.on("disconnect", self._disconnect)
            self.server = server
            self._asgi = socketio.ASGIApp(server, socketio_path=SOCKET_PATH.strip("/"))
            self.backends.inbox_listeners.append(self._changed)
        return self._asgi

    # -- connections ------------------------------------------------------------------------

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        self._loop = asyncio.get_running_loop()
        token = auth.get("token") if isinstance(auth, dict) else None
        if not token:
            token = (parse_qs(environ.get("QUERY_STRING", "")).get("token") or [None])[0]
        session = inbox_session.verify(token, self.backends) if token and token != "null" else None
        if session is None:
            return False  # after the CONNECT (always_connect): the client is disconnected by the server
        # Novu's gateway: ``contextKeys ?? []``, a token without the claim is an inbox without contexts
        contexts = tuple(sorted(set(session.context_keys or ())))
        member = _Member(session.environment.id, session.subscriber_id, session.subscriber_object_id)
        key = (member.environment_id, member.object_id)
        self._members[sid] = member
        self._sockets.setdefault(key, {})[sid] = contexts
        self._names[key] = member.subscriber_id
        self._online_environments[member.environment_id] = self._online_environments.get(member.environment_id, 0) + 1
        await self.server.enter_room(sid, _room(key))
        self._set_online(member, True)
        return True

    def _set_online(self, member: _Member, connected: bool) -> None:
        """Novu's socket server keeps the subscriber's ``isOnline`` (SubscriberOnlineService): true
        at each connection; at a disconnection false, unless more than one other socket of the
        subscriber is still open (its own count, which the leaving socket is already out of), and
        ``lastOnlineAt`` stamped. A subscriber gone meanwhile is left alone (an update matching nothing)."""
        key = (member.environment_id, member.object_id)
        is_online = connected or len(self._sockets.get(key, ())) > 1
        backend = self.backends.get(member.environment_id)
        if backend is None:  # the environment was removed
            return
        subscribers = backend.subscribers
        try:
            if subscribers.get(member.subscriber_id).id == member.object_id:
                subscribers.set_online(member.subscriber_id, is_online, stamp=not connected)
        except NovuError:
            pass

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        member = self._members.pop(sid, None)
        if member is None:
            return
        key = (member.environment_id, member.object_id)
        room = self._sockets.get(key, {})
        room.pop(sid, None)
        if not room:
            self._sockets.pop(key, None)
            self._names.pop(key, None)
        left = self._online_environments.get(member.environment_id, 0) - 1
        if left > 0:
            self._online_environments[member.environment_id] = left
        else:
            self._online_environments.pop(member.environment_id, None)
        self._set_online(member, False)

    @property
    def connected(self) -> int:
        """Sockets that passed the token check and are still open."""
        return len(self._members)

    # -- changes: any thread ----------------------------------------------------------------

    def _changed(self, change: InboxChange) -> None:
        """An inbox listener: called under the store's lock, from any thread. Only notes it."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if change.subscriber is None:
            if change.environment_id not in self._online_environments:
                return
        elif (change.environment_id, change.subscriber) not in self._sockets:
            return
        try:
            loop.call_soon_threadsafe(self._note, change)
        except RuntimeError:  # the loop closed meanwhile (shutdown)
            pass

    # -- changes: the event loop ------------------------------------------------------------

    def _note(self, change: InboxChange) -> None:
        if change.subscriber is None:
            keys = [key for key in self._sockets if key[0] == change.environment_id]
        else:
            keys = [(change.environment_id, change.subscriber)]
        for key in keys:
            pending = self._pending.setdefault(key, _Pending())
            pending.kinds.add(change.kind)
            if change.kind == RECEIVED and change.message_id is not None:
                pending.received.append(change.message_id)
        if self._flushing is None and self._pending:
            self._flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            while self._pending:
                pending, self._pending = self._pending, {}
                for key, what in pending.items():
                    for sid, event, data in self._events(key, what):
                        await self.server.emit(event, data, to=sid)
        except Exception:  # never let one bad read stop the live events for good
            logger.exception("novu-mock: inbox socket events could not be sent")
        finally:
            self._flushing = None
            if self._pending:
                self._flushing = asyncio.get_running_loop().create_task(self._flush())

    def _events(self, key: RoomKey, what: _Pending) -> list[tuple[str, str, dict[str, Any]]]:
        """Novu's events for what changed, read from the store now: (socket, event, data), in the
        order each socket gets them. Counted once per set of contexts among the room's sockets."""
        subscriber_id = self._names.get(key)
        sockets = dict(self._sockets.get(key, {}))
        if subscriber_id is None or not sockets:  # every socket of the room left meanwhile
            return []
        environment_id, object_id = key
        backend = self.backends.get(environment_id)
        if backend is None:  # the environment was removed
            return []
        unseen = unread = bool(what.received) or EVERYTHING in what.kinds
        unseen = unseen or UNSEEN in what.kinds
        unread = unread or UNREAD in what.kinds
        received: list[tuple[list[str], dict[str, Any]]] = []  # (the message's contexts, its entity)
        counts: dict[Contexts, Counts] = {}
        with backend.lock:
            for message_id in what.received:
                try:
                    message = backend.inbox.message(subscriber_id, message_id)
                except NovuError:
                    continue  # deleted before it could be announced
                if message.subscriber.id == object_id:
                    received.append((list(message.context_keys), message.entity_dto()))
            for contexts in set(sockets.values()):
                counts[contexts] = self._counts(backend, subscriber_id, object_id, contexts)
        by_contexts: dict[Contexts, list[tuple[str, dict[str, Any]]]] = {}
        for contexts, (unseen_count, unread_count, by_severity) in counts.items():
            events = by_contexts[contexts] = [
                ("notification_received", {"message": entity})
                for message_contexts, entity in received
                if context_matches(message_contexts, contexts)
            ]
            if unseen:
                events.append(("unseen_count_changed", {"unseenCount": min(unseen_count, COUNT_LIMIT),
                                                        "hasMore": unseen_count > COUNT_LIMIT}))  # fmt: skip
            if unread:
                events.append(("unread_count_changed", {
                    "unreadCount": min(unread_count, COUNT_LIMIT),
                    "counts": {"total": min(unread_count, COUNT_LIMIT + 1), "severity": by_severity},
                    "hasMore": unread_count > COUNT_LIMIT,
                }))  # fmt: skip
        return [(sid, event, data) for sid, contexts in sockets.items() for event, data in by_contexts[contexts]]

    @staticmethod
    def _counts(backend, subscriber_id: str, object_id: str, contexts: Contexts) -> Counts:
        """(unseen, unread, unread per severity) of the subscriber's messages of exactly these
        contexts (none: those without a context); nothing at all when the subscriber is gone
        (deleted, reset) or another subscriber holds its id now: the token's subscriber has no messages."""
        try:
            if backend.subscribers.get(subscriber_id).id == object_id:
                filters = [InboxFilter(seen=False, context_keys=contexts)]
                filters += [InboxFilter(read=False, context_keys=contexts)]
                filters += [InboxFilter(read=False, severity=(s,), context_keys=contexts) for s in SEVERITIES]
                unseen, unread, *severities = backend.inbox.count(subscriber_id, filters)
                return unseen, unread, dict(zip(SEVERITIES, severities))
        except NovuError:
            pass
        return 0, 0, dict.fromkeys(SEVERITIES, 0)


class SocketMount:
    """ASGI layer (inside the Host guard, outside everything else): ``/socket.io/`` goes to the
    socket server, the rest to the API unchanged."""

    def __init__(self, app: ASGIApp, *, sockets: InboxSockets) -> None:
        self.app = app
        self.sockets = sockets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan" and scope["path"].startswith(SOCKET_PATH):
            await self.sockets.asgi(scope, receive, send)
            return
        await self.app(scope, receive, send)
