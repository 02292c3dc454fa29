"""Turns every failure, including Connexion's and Starlette's own, into a Novu error body.

Nothing leaves the app as problem+json: each exception is mapped to a ``NovuError`` and
rendered by ``errors.render``.
"""

from __future__ import annotations

import logging

from connexion import AsyncApp
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from mock_server import auth, errors
from mock_server.controls import CONTROL_PREFIX

logger = logging.getLogger("novu_mock")

_BY_STATUS: dict[int, type[errors.NovuError]] = {
    cls.status: cls
    for cls in (
        errors.BadRequest,
        errors.Unauthorized,
        errors.Forbidden,
        errors.NotFound,
        errors.MethodNotAllowed,
        errors.Conflict,
        errors.PayloadTooLarge,
        errors.UriTooLong,
        errors.UnsupportedMediaType,
        errors.TooManyRequests,
        errors.ServiceUnavailable,
    )
}

_MESSAGES = {
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Content-Type must be application/json",
}


# Novu's subscriberJwt guard (passport) refuses a missing, malformed, expired or forged inbox token
# with Nest's bare UnauthorizedException (its body: the status's name as ``message``, no ``error``)
_SESSION_REFUSAL = "Unauthorized"


def _operation_schemes(request: ConnexionRequest) -> tuple[str, ...]:
    extensions = request.scope.get("extensions", {})
    operation_id = extensions.get("connexion_routing", {}).get("operation_id")
    spec = extensions.get("novu_mock", {}).get("spec")
    facts = spec.operations.get(operation_id) if spec is not None and operation_id else None
    return facts.schemes if facts is not None else ()


def _respond(request: ConnexionRequest, error: errors.NovuError) -> ConnexionResponse:
    status, body, headers = errors.render(error, request.scope)
    return ConnexionResponse(status_code=status, body=body, mimetype="application/json", headers=headers)


def _from_status(status: int, detail: str | None, headers=None) -> errors.NovuError:
    cls = _BY_STATUS.get(status)
    if cls is None:
        return errors.InternalServerError()
    message = _MESSAGES.get(status) or detail or cls.__name__
    if status in (404, 405) and detail and detail not in ("Not Found", "Method Not Allowed"):
        message = detail
    return cls(message, headers=dict(headers or {}))


async def on_novu_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, errors.NovuError)
    return _respond(request, exc)


async def on_problem(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, ProblemException)
    if exc.status >= 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, exc.detail)
    error = _from_status(exc.status, exc.detail, exc.headers)
    if exc.status == 401:
        if auth.SESSION_SCHEME in _operation_schemes(request):
            error = errors.Unauthorized(_SESSION_REFUSAL, bare=True, headers=error.headers)
        else:
            error = auth.key_refusal(request.headers.get("authorization"))
    return _respond(request, error)


async def on_http_exception(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, HTTPException)
    error = _from_status(exc.status_code, exc.detail, exc.headers)
    unrouted = exc.detail in ("Not Found", "Method Not Allowed")
    if exc.status_code == 405 and unrouted and request.url.path.startswith(CONTROL_PREFIX):
        # the mock's own control surface: its methods, in an Allow header
        spec = request.scope["extensions"]["novu_mock"]["spec"]
        error.message = f"Cannot {request.method} {errors.request_url(request.scope)}"
        error.headers["Allow"] = ", ".join(spec.allowed_methods(request.url.path))
    elif exc.status_code in (404, 405) and unrouted:
        # No route takes this method and path. Express has no 405: Nest's not-found handler
        # answers 404 naming the method and the URL as sent, before any guard (no 401 either).
        error = errors.NotFound(f"Cannot {request.method} {errors.request_url(request.scope)}")
    return _respond(request, error)


async def on_unexpected(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    error = errors.InternalServerError()
    logger.error("errorId %s: %s %s", error.error_id, request.method, request.url.path, exc_info=exc)
    return _respond(request, error)


def register(app: AsyncApp) -> None:
    app.add_error_handler(errors.NovuError, on_novu_error)
    app.add_error_handler(ProblemException, on_problem)
    app.add_error_handler(HTTPException, on_http_exception)
    app.add_error_handler(Exception, on_unexpected)
