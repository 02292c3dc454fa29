"""Schemathesis checks stated with the target's real statuses, where a built-in check cannot be told them.

Schemathesis's ``unsupported_method`` check sends each documented path a method it does not
document and accepts only 405 with an ``Allow`` header (or 401/403 from an authenticating
framework, 429, or 404 on a generated resource id). Novu's API is a Nest app on Express, and
Express has no 405: a method no route takes falls through to Nest's not-found handler, which
throws ``NotFoundException(`Cannot ${method} ${url}`)`` before any guard runs, rendered by Novu's
exception filter as an ErrorDto (``statusCode`` 404, ``path`` the URL as sent, ``message``
``Cannot PATCH /v1/integrations``). A literal segment that another route of that method takes as
a parameter (``DELETE .../notifications/archive`` for ``.../notifications/{notificationId}``)
goes to that route instead, as Express routes it.

The option ``unsupported_method`` has no ``expected-statuses``, so the document under test says
how it answers an unrouted method, in a root extension (``openapi.yaml`` has it)::

    x-unrouted-method: {status: 404, message: "Cannot {method} {url}"}

The run leaves the built-in out (``runner.REPLACED_CHECKS``) and runs ``novu_unsupported_method``
on the same requests: held to the document's stated answer when it states one, and to the
built-in's own rules (405 and ``Allow``) when it does not, as for the mock's control surface.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import schemathesis
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario

EXTENSION = "x-unrouted-method"
_specs: dict[int, Any] = {}


def _spec_of(document: dict[str, Any]):
    """The document under test as the mock reads a spec (its routing rules among the rest)."""
    from mock_server.spec import Spec

    if id(document) not in _specs:
        _specs[id(document)] = Spec(document)
    return _specs[id(document)]


def _unspecified_method(case: Any) -> bool:
    meta = case.meta
    if meta is None or not isinstance(meta.phase.data, CoveragePhaseData):
        return False
    return meta.phase.data.scenario == CoverageScenario.UNSPECIFIED_HTTP_METHOD


def _relative(url: str, base_url: str | None) -> tuple[str, str]:
    """The request's path as the document names it (without the base URL's own path), and the
    ``path?query`` as sent (what Novu prints in ``path`` and in its message)."""
    parts = urlsplit(url)
    sent = parts.path + (f"?{parts.query}" if parts.query else "")
    prefix = urlsplit(base_url).path.rstrip("/") if base_url else ""
    path = parts.path[len(prefix):] if prefix and parts.path.startswith(prefix) else parts.path
    return path or "/", sent


@schemathesis.check
def novu_unsupported_method(ctx: Any, response: Any, case: Any) -> bool | None:
    """An undocumented method on a documented path gets the answer the document states for
    unrouted methods (Novu's: 404 ``Cannot METHOD url``), unless another documented route of that
    method matches the path; without a stated answer, Schemathesis's own rules (405, ``Allow``)."""
    method = str(response.request.method).upper()
    if not _unspecified_method(case) or method == "OPTIONS":
        return None
    schema = case.operation.schema
    document = schema.raw_schema
    stated = document.get(EXTENSION)
    if not isinstance(stated, dict):
        from schemathesis.specs.openapi.checks import unsupported_method

        return unsupported_method(ctx, response, case)
    path, sent = _relative(str(response.request.url), schema.get_base_url())
    if _spec_of(document).routes(method, path):
        return None  # another operation's request: the other checks judge its answer
    if response.status_code == 429:
        return None  # the rate limiter answered first (load, not routing)
    status = int(stated.get("status", 404))
    message = str(stated.get("message", "")).replace("{method}", method).replace("{url}", sent)
    if response.status_code != status:
        raise AssertionError(
            f"{method} {path} is not a route of this API: expected {status} `{message}` (the document's "
            f"{EXTENSION}), got {response.status_code}"
        )
    try:
        body = response.json()
    except Exception:
        body = None
    if message and (not isinstance(body, dict) or body.get("message") != message):
        raise AssertionError(f"{method} {path}: expected an error body with message {message!r}, got {body!r}")
    return None
