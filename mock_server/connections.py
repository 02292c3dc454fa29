"""What a connection may hold: the HTTP protocol uvicorn runs, with three limits around it.

uvicorn on its own waits for ever for a request that never finishes its head (a "slowloris"
client sends a header byte now and then), takes a head of any size with httptools, and accepts
connections until the process runs out of file descriptors (then every ``accept`` logs a
traceback and nothing is served). Node, under Novu, bounds all three; so does this wrapper of
uvicorn's own protocol class (httptools when installed, else h11):

* **head timeout**: a request line and headers not complete ``header_timeout`` seconds after
  their first byte (or after the connection opened) are answered ``408`` and the connection is
  closed (an idle kept-alive connection is closed by uvicorn's keep-alive timeout, 5 s).
* **head size**: a request line and headers larger than ``max_header_bytes`` (16 KiB, Node's
  default ``--max-http-header-size``) are answered ``431 Request Header Fields Too Large`` and the
  connection is closed, as Node does.
* **connections**: at most ``max_connections`` open at once (default: what the process's file
  descriptor limit leaves after 64 for files and sockets and two bursts of the listen backlog,
  an eighth of the limit up to 2,048: 704 connections under ``ulimit -n 1024``). At the limit a new
  connection first takes the place of the connection that has waited longest without a request
  under way (an unfinished head, or kept alive and idle), so a flood of idle connections cannot
  keep a health check out; when every connection is mid-request the new one gets a ``503`` with
  ``Retry-After: 1`` and is closed at once. One warning line when the limit is first reached
  and one when it is left, never one per connection.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

logger = logging.getLogger("novu_mock")

DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_MAX_HEADER_BYTES = 16 * 1024
RESERVED_DESCRIPTORS = 64

_END_OF_HEAD = b"\r\n\r\n"


def _answer(status: str, extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: 0\r\n{extra}\r\n".encode("ascii")


TIMED_OUT = _answer("408 Request Timeout")
TOO_LARGE = _answer("431 Request Header Fields Too Large")
BUSY = _answer("503 Service Unavailable", "retry-after: 1\r\n")


def descriptor_budget() -> tuple[int, int]:
    """(connections, listen backlog) that fit the process's file descriptor limit.

    asyncio accepts up to ``backlog`` connections at once before any of them is looked at, and a
    connection closed to make room gives its descriptor back only a loop turn later: so the
    connections kept open leave room for two such bursts, plus a reserve for files and sockets.
    """
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft > 1_000_000:
        soft = 1_000_000
    backlog = min(2048, max(16, soft // 8))
    return max(16, soft - RESERVED_DESCRIPTORS - 2 * backlog), backlog


class _OutOfDescriptors(logging.Filter):
    """asyncio logs a traceback for every ``accept`` refused for want of descriptors (up to a
    backlog's worth per burst): keep one line a minute instead."""

    def __init__(self) -> None:
        super().__init__()
        self.last = 0.0
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if "out of system resource" not in str(record.msg):
            return True
        import time

        now = time.monotonic()
        if now - self.last < 60:
            self.dropped += 1
            return False
        self.last = now
        record.msg = "novu-mock: out of file descriptors, new connections wait (%d such errors in the last minute)"
        record.args = (self.dropped + 1,)
        record.exc_info = None
        record.exc_text = None
        self.dropped = 0
        return True


_out_of_descriptors = _OutOfDescriptors()


# A flood comes in waves (the kernel hands queued connections over as others close): one warning
# per this many seconds, whose "below the limit again" line sums the waves after it.
WARN_EVERY_SECONDS = 10.0


class _Limits:
    """The shared state of one server: its limits and the connections that wait without a request."""

    def __init__(self, header_timeout: float, max_header_bytes: int, max_connections: int) -> None:
        self.header_timeout = header_timeout
        self.max_header_bytes = max_header_bytes
        self.max_connections = max_connections
        self.open = 0
        # connections without a request under way, oldest first (dicts keep insertion order)
        self.waiting: dict[Any, None] = {}
        self.at_limit = False
        self.refused = 0
        self.replaced = 0
        self.warned_at: float | None = None  # when the last "at the limit" warning was logged
        self.episode_warned = False

    def reach(self, what: str) -> None:
        """The server is at its connection limit: say so, unless it said so moments ago."""
        self.at_limit = True
        now = time.monotonic()
        self.episode_warned = self.warned_at is None or now - self.warned_at >= WARN_EVERY_SECONDS
        if self.episode_warned:
            self.warned_at = now
            logger.warning("novu-mock: %d connections open, the limit (--max-connections): %s", self.open, what)

    def leave(self) -> None:
        """Below the limit again: say so after a wave that was announced, with what it cost."""
        self.at_limit = False
        if self.episode_warned:
            logger.warning("novu-mock: below the connection limit again (%d refused, %d idle closed meanwhile)",
                           self.refused, self.replaced)  # fmt: skip
            self.refused = self.replaced = 0


def guarded_protocol(
    *,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    max_connections: int | None = None,
    base: type[asyncio.Protocol] | None = None,
) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class (``base``, default its "auto" choice) with the limits above."""
    if base is None:
        from uvicorn.protocols.http.auto import AutoHTTPProtocol

        base = AutoHTTPProtocol
    limits = _Limits(header_timeout, max_header_bytes, max_connections or descriptor_budget()[0])

    class GuardedProtocol(base):  # type: ignore[misc, valid-type]
        _limits = limits

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._refused = False
            self._head_bytes = 0
            self._tail = b""
            self._in_head = True
            self._head_timer: asyncio.TimerHandle | None = None
            if limits.open >= limits.max_connections and not self._make_room():
                self._refused = True
                limits.refused += 1
                if not limits.at_limit:
                    limits.reach("new connections are refused with 503 until some close")
                transport.write(BUSY)
                transport.close()
                return
            if limits.at_limit and limits.open < limits.max_connections * 9 // 10:
                limits.leave()
            limits.open += 1
            super().connection_made(transport)
            self._wait_for_head()

        def _make_room(self) -> bool:
            """Close the connection that has waited longest without a request; False when none waits."""
            for oldest in limits.waiting:
                del limits.waiting[oldest]
                limits.replaced += 1
                if not limits.at_limit:
                    limits.reach("idle and unfinished ones are closed to make room")
                oldest._drop(None)
                return True
            return False

        def _wait_for_head(self) -> None:
            self._in_head = True
            self._head_bytes = 0
            self._tail = b""
            limits.waiting[self] = None
            self._head_timer = self.loop.call_later(limits.header_timeout, self._head_timed_out)

        def _head_done(self) -> None:
            self._in_head = False
            limits.waiting.pop(self, None)
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self._in_head:
                # a new connection that sent nothing is closed without an answer, as Node does
                self._drop(TIMED_OUT if self._head_bytes else None)

        def _drop(self, answer: bytes | None) -> None:
            self._head_done()
            transport = getattr(self, "transport", None)
            if transport is not None and not transport.is_closing():
                if answer:
                    transport.write(answer)
                transport.close()

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            if not self._in_head and self._head_timer is None and self._between_requests():
                self._wait_for_head()  # the first byte of the next request on a kept-alive connection
            if self._in_head:
                seen = self._tail + data
                end = seen.find(_END_OF_HEAD)
                self._head_bytes += len(data) if end < 0 else end + len(_END_OF_HEAD) - len(self._tail)
                if self._head_bytes > limits.max_header_bytes:
                    self._drop(TOO_LARGE)
                    return
                if end >= 0:
                    self._head_done()
                else:
                    self._tail = seen[-(len(_END_OF_HEAD) - 1) :]
            super().data_received(data)

        def _between_requests(self) -> bool:
            cycle = getattr(self, "cycle", None)
            return cycle is None or cycle.response_complete

        def on_response_complete(self) -> None:
            super().on_response_complete()
            transport = getattr(self, "transport", None)
            if transport is not None and not transport.is_closing():
                # kept alive: expendable when the limit is reached; uvicorn's keep-alive timeout closes it
                self._in_head = False
                limits.waiting[self] = None

        def handle_websocket_upgrade(self, *args: Any) -> None:
            """An upgraded connection (the Inbox's socket) belongs to uvicorn's websocket protocol
            from now on, and this one hears no more of it: it stays counted as open (it holds a
            descriptor) until that protocol loses it, and is never closed to make room (it is not
            idle: it waits for events)."""
            super().handle_websocket_upgrade(*args)
            self._head_done()
            transport = getattr(self, "transport", None)
            upgraded = transport.get_protocol() if transport is not None else self
            if upgraded is self:  # no websocket support configured: uvicorn answered itself
                return
            lost = upgraded.connection_lost

            def connection_lost(exc: Exception | None) -> None:
                limits.open -= 1
                lost(exc)

            upgraded.connection_lost = connection_lost

        def connection_lost(self, exc: Exception | None) -> None:
            if self._refused:
                return
            limits.open -= 1
            self._head_done()
            super().connection_lost(exc)

    GuardedProtocol.__name__ = GuardedProtocol.__qualname__ = f"Guarded{base.__name__}"
    return GuardedProtocol


def lazy_websocket_protocol(**options: Any) -> asyncio.Protocol:
    """uvicorn's websocket protocol (``websockets``, sans-I/O), imported at the first upgrade
    rather than at start: only the Inbox's socket (``/socket.io/``) upgrades."""
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    return WebSocketsSansIOProtocol(**options)


def server_config(settings: Any) -> dict[str, Any]:
    """The uvicorn ``Config`` arguments for ``settings``' limits (the CLI and serving.running share it)."""
    if _out_of_descriptors not in logging.getLogger("asyncio").filters:
        logging.getLogger("asyncio").addFilter(_out_of_descriptors)
    return {
        "backlog": descriptor_budget()[1],
        "http": guarded_protocol(
            header_timeout=settings.header_timeout_seconds,
            max_header_bytes=settings.max_header_bytes,
            max_connections=settings.max_connections,
        ),
        # h11 bounds a head itself too (the same size); httptools does not, the wrapper does
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "ws": lazy_websocket_protocol,
        # no websocket-level pings: Engine.IO has its own heartbeat (as Novu's socket.io server,
        # whose ws library sends none), and 1,000 idle sockets would be 50 more wake-ups a second
        "ws_ping_interval": None,
    }
