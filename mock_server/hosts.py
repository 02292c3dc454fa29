"""The outermost layer: which ``Host`` the mock answers, and Express's tolerance of a trailing slash.

**Host allow-list.** A page on any web site can make a browser send requests to
``http://127.0.0.1:4010`` through a name it controls (DNS rebinding): the browser then treats
the answers as the site's own and lets its scripts read them and call ``/_mock/reset`` or
``/_mock/state``. Such requests carry the attacker's name in ``Host``. So every request must name
an allowed host: ``localhost`` (and names under ``.localhost``, which browsers resolve to the
machine itself), ``127.0.0.1``, ``[::1]``, the address the server is bound to, with any port;
bound to every address (``0.0.0.0`` / ``::``), also the machine's name and its addresses; and
each ``--allowed-host`` (``*`` allows any). Anything else is answered ``400`` with an ErrorDto,
as a server answers a ``Host`` it does not serve (RFC 9110 section 7.2 and 15.5.1; Starlette's
TrustedHostMiddleware and Django do the same); ``403`` would say the client lacks a permission,
which no key can give. Requests that did not come through a socket (Starlette's in-process
``TestClient``, whose client is ``testclient``) name ``testserver`` and are let through: no
browser can send one.

**Trailing slash.** Novu's API runs on Express without strict routing, where
``/v1/integrations/`` is the route ``/v1/integrations`` (Novu's ``apps/api/src/bootstrap.ts``
enables no ``strict routing``). Starlette would answer a 307 whose ``Location`` is built from the
``Host`` header; the mock drops one trailing slash before routing instead, so both spellings
get the same answer (Swagger UI's pages under ``/docs/`` keep theirs).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.errors import BadRequest, render

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_BINDS = ("0.0.0.0", "::", "")
TEST_CLIENT = "testclient"


def _name(host: str) -> str:
    """A host as the Host header writes it, without port, lower case: ``[::1]``, ``example.com``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    elif host.count(":") > 1:  # a bare IPv6 address (as --host or --allowed-host write it)
        return f"[{host}]"
    return host.rstrip(".")


def machine_names() -> set[str]:
    """The machine's name and the addresses it resolves to (for a server bound to every address)."""
    names: set[str] = set()
    for name in {socket.gethostname(), socket.getfqdn()}:
        if not name:
            continue
        names.add(_name(name))
        try:
            for *_, address in socket.getaddrinfo(name, None):
                names.add(_name(address[0]))
        except OSError:
            pass
    return names


def allowed_hosts(bound: str, extra: Iterable[str] = ()) -> frozenset[str]:
    hosts = {*LOOPBACK_HOSTS, *(_name(host) for host in extra)}
    if bound.strip() in WILDCARD_BINDS:
        hosts |= machine_names()
    else:
        hosts.add(_name(bound))
    return frozenset(hosts)


def is_loopback(bound: str) -> bool:
    if bound in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(bound.strip("[]")).is_loopback
    except ValueError:
        return False


class HostGuard:
    def __init__(
        self, app: ASGIApp, *, hosts: frozenset[str], keep_slash_under: str | tuple[str, ...] = "/docs"
    ) -> None:
        self.app = app
        self.hosts = hosts
        # Swagger UI's own pages live under a folder that needs its slash (so do socket.io's)
        self.keep_slash_under = keep_slash_under
        self.any = "*" in hosts

    def allows(self, scope: Scope) -> bool:
        if self.any:
            return True
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        if host is None:
            return False
        name = _name(host.decode("latin-1"))
        if name in self.hosts or name.endswith(".localhost"):
            return True
        client = scope.get("client")
        return name == "testserver" and client is not None and client[0] == TEST_CLIENT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and not self.allows(scope):
            await send({"type": "websocket.close", "code": 1008})  # before the handshake: a 403
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.allows(scope):
            host = next((value for name, value in scope["headers"] if name == b"host"), b"").decode("latin-1")
            error = BadRequest(
                f"Host {host!r} is not served here: start novu-mock with --allowed-host {_name(host) or 'HOST'} "
                "to answer requests that name it",
                bare=True,  # the mock's own refusal, not one of Nest's
            )
            status, body, headers = render(error, scope)
            raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
            raw += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": raw})
            await send({"type": "http.response.body", "body": body})
            return
        path = scope["path"]
        if len(path) > 1 and path.endswith("/") and not path.startswith(self.keep_slash_under):
            scope = dict(scope)
            scope["path"] = path[:-1]
            raw_path = scope.get("raw_path")
            if raw_path and raw_path.endswith(b"/"):
                scope["raw_path"] = raw_path[:-1]
        await self.app(scope, receive, send)
