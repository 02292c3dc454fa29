"""Schemathesis checks stated with Novu's real statuses, where a built-in check cannot be told them.

Schemathesis's ``unsupported_method`` check sends each documented path a method it does not
document and accepts only 405 with an ``Allow`` header (or 401/403 from an authenticating
framework, 429, or 404 on a generated resource id). Novu's API is a Nest app on Express, and
Express has no 405: a method no route takes falls through to Nest's not-found handler, which
throws ``NotFoundException(`Cannot ${method} ${url}`)`` before any guard runs, rendered by Novu's
exception filter as an ErrorDto (``statusCode`` 404, ``path`` the URL as sent, ``message``
``Cannot PATCH /v1/integrations``). A literal segment that another route of that method takes as
a parameter (``DELETE .../notifications/archive`` for ``.../notifications/{notificationId}``)
goes to that route instead, as Express routes it.

The option ``unsupported_method`` has no ``expected-statuses``, so the run leaves that built-in
out (``runner.REPLACED_CHECKS``) and runs ``novu_unsupported_method`` below in its place: the same
requests, held to Novu's answer. Every other check runs as Schemathesis ships it.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario

NOT_ROUTED = 404


def _spec():
    from pathlib import Path

    from mock_server.settings import default_spec_path
    from mock_server.spec import load_spec

    return load_spec(Path(default_spec_path()).resolve())


def _unspecified_method(case: Any) -> bool:
    meta = case.meta
    if meta is None or not isinstance(meta.phase.data, CoveragePhaseData):
        return False
    return meta.phase.data.scenario == CoverageScenario.UNSPECIFIED_HTTP_METHOD


def _path_of(url: str) -> tuple[str, str]:
    """The path and the ``path?query`` of a request URL (what Novu prints in ``path``)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path, parts.path + (f"?{parts.query}" if parts.query else "")


@schemathesis.check
def novu_unsupported_method(ctx: Any, response: Any, case: Any) -> bool | None:
    """An undocumented method on a documented path is Novu's routing 404 ``Cannot METHOD url``,
    unless another documented route of that method matches the path (Express hands it there)."""
    method = str(response.request.method).upper()
    if not _unspecified_method(case) or method == "OPTIONS":
        return None
    path, url = _path_of(str(response.request.url))
    if _spec().routes(method, path):
        return None  # another operation's request: the other checks judge its answer
    if response.status_code == 429:
        return None  # the rate limiter answered first (load, not routing)
    if response.status_code != NOT_ROUTED:
        raise AssertionError(
            f"{method} {path} is not a route of Novu's API: expected 404 `Cannot {method} {url}` "
            f"(Nest's not-found handler; Express has no 405), got {response.status_code}"
        )
    try:
        body = response.json()
    except Exception:
        body = None
    expected = f"Cannot {method} {url}"
    if not isinstance(body, dict) or body.get("statusCode") != NOT_ROUTED or body.get("message") != expected:
        raise AssertionError(f"{method} {path}: expected Novu's ErrorDto with message {expected!r}, got {body!r}")
    return None
