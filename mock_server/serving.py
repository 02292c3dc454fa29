"""Run the app with uvicorn, in the foreground (CLI) or on a background thread (tests, tools)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from mock_server.app import create_app
from mock_server.settings import Settings


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running(settings: Settings, *, timeout: float = 15.0) -> Iterator[str]:
    """Serve ``settings`` on a background thread; yields the base URL, stops the server on exit."""
    from mock_server.connections import server_config

    app = create_app(settings)
    with running_app(app, host=settings.host, port=settings.port, timeout=timeout, **server_config(settings)) as base_url:
        yield base_url


@contextlib.contextmanager
def running_app(app, *, host: str = "127.0.0.1", port: int = 0, timeout: float = 15.0, **config) -> Iterator[str]:
    """Serve any ASGI ``app`` on a background thread (the proxy, test doubles); yields the base URL."""
    port = port or free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="error", lifespan="on", **config))
    thread = threading.Thread(target=server.run, name="novu-mock-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"app did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
