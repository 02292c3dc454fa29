"""A reference ASGI app: a fixed amount of CPU work per request, served as novu-mock is served.

    python benchmarks/reference_app.py --port 8100 --work-us 150

Each request is read whole, then the app spins until its thread has used ``--work-us``
microseconds of CPU time (so time the process spends preempted is not counted as work) and
answers 200 with a small JSON body. uvicorn runs it with the settings ``python -m mock_server
serve`` uses (its default event loop, httptools, no access log, no WebSocket). ``benchmarks/floor.py`` loads
it like a row of the benchmark against Prism: what latency this machine and this server stack give
an app whose own cost per answer is known, with none of novu-mock's work in it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable
from typing import Any

BODY = b'{"data":{"ok":true}}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]

ASGIApp = Callable[[dict[str, Any], Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def make_app(work_us: float) -> ASGIApp:
    work_ns = round(work_us * 1000)

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":  # served with lifespan="off": nothing else arrives
            return
        while (await receive()).get("more_body"):
            pass
        end = time.thread_time_ns() + work_ns
        while time.thread_time_ns() < end:
            pass
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": BODY})

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--work-us", type=float, default=0.0, help="CPU time spent per request, in microseconds")
    args = parser.parse_args(argv)
    if args.work_us < 0:
        parser.error("--work-us must be 0 or more")
    import uvicorn

    from mock_server.settings import DEFAULT_EVENT_LOOP

    uvicorn.run(
        make_app(args.work_us),
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        ws="none",
        loop=DEFAULT_EVENT_LOOP,
        lifespan="off",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
