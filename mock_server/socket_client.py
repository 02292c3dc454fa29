"""A small socket.io client that connects to the Inbox's live socket as @novu/js does.

For test suites and benchmarks: one websocket (``transports: ["websocket"]``, Engine.IO 4,
Socket.IO 5), the session token as the query parameter ``token``, events collected in order.
Built on ``websockets`` (installed with uvicorn) rather than python-socketio's client, which
needs aiohttp.

    async with InboxSocketClient(base_url, token) as socket:
        name, data = await socket.next_event()
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import websockets

# Engine.IO packet types (first character of a frame) and Socket.IO ones (the second)
_OPEN, _CLOSE, _PING, _PONG, _MESSAGE = "0", "1", "2", "3", "4"
_CONNECT, _DISCONNECT, _EVENT, _CONNECT_ERROR = "0", "1", "2", "4"


class InboxSocketClient:
    def __init__(self, base_url: str, token: str | None, *, path: str = "/socket.io/") -> None:
        parts = urlsplit(base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        query = {"EIO": "4", "transport": "websocket", **({"token": token} if token is not None else {})}
        self.url = f"{scheme}://{parts.netloc}{path}?{urlencode(query)}"
        self.events: asyncio.Queue[tuple[str, Any, float]] = asyncio.Queue()
        self.connected = False  # the server accepted the Socket.IO connection (CONNECT)
        self.disconnected = asyncio.Event()  # the server sent DISCONNECT or closed the socket
        self.disconnect_reason: str | None = None
        self._socket: Any = None
        self._reader: asyncio.Task | None = None

    async def __aenter__(self) -> InboxSocketClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self, timeout: float = 10.0) -> bool:
        """Open the websocket and the Socket.IO connection; True once CONNECT arrived (a bad token
        is then disconnected by the server, see ``disconnected``)."""
        # no websocket-level pings, as browsers send none: Engine.IO's heartbeat keeps it alive
        self._socket = await asyncio.wait_for(websockets.connect(self.url, max_size=None, ping_interval=None), timeout)
        opening = await asyncio.wait_for(self._socket.recv(), timeout)
        if not opening.startswith(_OPEN):
            raise ConnectionError(f"not an Engine.IO open packet: {opening[:80]!r}")
        await self._socket.send(_MESSAGE + _CONNECT)
        while True:
            frame = await asyncio.wait_for(self._socket.recv(), timeout)
            if frame == _PING:
                await self._socket.send(_PONG)
                continue
            if frame.startswith(_MESSAGE + _CONNECT):
                self.connected = True
                break
            if frame.startswith(_MESSAGE + _CONNECT_ERROR):
                self.disconnect_reason = "connect_error"
                self.disconnected.set()
                return False
            raise ConnectionError(f"unexpected frame during the handshake: {frame[:80]!r}")
        self._reader = asyncio.create_task(self._read())
        return True

    async def _read(self) -> None:
        try:
            async for frame in self._socket:
                if frame == _PING:
                    await self._socket.send(_PONG)
                elif frame.startswith(_MESSAGE + _EVENT):
                    name, *args = json.loads(frame[2:])
                    self.events.put_nowait((name, args[0] if len(args) == 1 else args, time.perf_counter()))
                elif frame.startswith(_MESSAGE + _DISCONNECT):
                    self.disconnect_reason = "io server disconnect"
                    break
                elif frame.startswith(_CLOSE):
                    break
        except websockets.ConnectionClosed:
            pass
        finally:
            self.connected = False
            self.disconnect_reason = self.disconnect_reason or "transport close"
            self.disconnected.set()

    async def next_event(self, timeout: float = 5.0) -> tuple[str, Any]:
        """The next event (name, data); TimeoutError when none comes in ``timeout`` seconds."""
        name, data, _ = await asyncio.wait_for(self.events.get(), timeout)
        return name, data

    async def next_timed_event(self, timeout: float = 5.0) -> tuple[str, Any, float]:
        """The next event with the ``time.perf_counter()`` at which its frame was read."""
        return await asyncio.wait_for(self.events.get(), timeout)

    async def close(self) -> None:
        if self._socket is not None:
            try:
                if self.connected:
                    await self._socket.send(_MESSAGE + _DISCONNECT)
                await self._socket.close()
            except websockets.ConnectionClosed:
                pass
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
