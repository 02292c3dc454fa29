"""The errors the mock raises, and the one renderer to Novu's ErrorDto / ValidationErrorDto."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class NovuError(Exception):
    """A failure the real API answers with an ErrorDto of ``status``.

    Most of Novu's refusals are Nest exceptions thrown with a sentence (``new
    NotFoundException('...')``): Nest's body for those adds ``error``, the status's name
    (``"Not Found"``), and Novu's exception filter keeps it. ``nest_error`` is that name; it is
    left out where Novu throws an object (``extra``), a bare exception (``bare``: Nest's body is
    then only the status's name as ``message``), or where the refusal is none of Nest's (the
    wire's and the body parser's, whose classes have no ``nest_error``, and the mock's own
    refusals, raised ``bare``).
    """

    status = 500
    nest_error: str | None = None

    def __init__(
        self,
        message: Any,
        *,
        ctx: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        bare: bool = False,
    ) -> None:
        super().__init__(message if isinstance(message, str) else json.dumps(message))
        self.message = message
        self.bare = bare
        self.ctx = ctx
        self.headers = headers or {}
        # Top-level fields Novu adds beside ``message`` when it throws an object (e.g.
        # ``{"message": "Workflow cannot be found", "workflowId": ...}``).
        self.extra = extra or {}

    def body(self, path: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "statusCode": self.status,
            "timestamp": utc_now_iso(),
            "path": path,
            "message": self.message,
        }
        if self.nest_error and not (self.bare or self.extra or self.ctx) and isinstance(self.message, (str, list)):
            body["error"] = self.nest_error
        if self.ctx:
            body["ctx"] = self.ctx
        for key, value in self.extra.items():
            body.setdefault(key, value)
        return body


class BadRequest(NovuError):
    status = 400
    nest_error = "Bad Request"


class BadRequestResult(BadRequest):
    """A 400 whose message is an object (an operation's whole result, e.g. a batch where every
    item failed): Novu's exception filter spreads such an object into the body next to the
    ErrorDto fields, so its keys appear twice: under ``message`` and at the top level."""

    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result)

    def body(self, path: str) -> dict[str, Any]:
        return {**super().body(path), **self.message}


class CommandRefused(BadRequest):
    """400 of a use case's command (Novu's BaseCommand.create, class-validator): an object naming
    the command, a sentence of every failure and the failures by field, spread by Novu's
    exception filter beside the ErrorDto fields (no ``error``: the exception is thrown with an
    object). ``violations``: ``{"field": {"messages": [...], "value": ...}}``."""

    def __init__(self, command: str, violations: dict[str, dict[str, Any]]) -> None:
        said = "; ".join(f"{field}: {', '.join(entry['messages'])}" for field, entry in violations.items())
        super().__init__(
            f"Validation failed for {command}: {said}",
            extra={"className": command, "constraintsViolated": violations},
        )


class Unauthorized(NovuError):
    status = 401
    nest_error = "Unauthorized"


class PaymentRequired(NovuError):
    """402: the organization's plan does not allow it (e.g. a snooze longer than the plan's)."""

    status = 402


class Forbidden(NovuError):
    status = 403
    nest_error = "Forbidden"


class NotFound(NovuError):
    status = 404
    nest_error = "Not Found"


class MethodNotAllowed(NovuError):
    status = 405
    nest_error = "Method Not Allowed"


class Conflict(NovuError):
    status = 409
    nest_error = "Conflict"


class UnprocessableEntity(NovuError):
    """422 without field errors: a rule of the use case (Nest's UnprocessableEntityException)."""

    status = 422
    nest_error = "Unprocessable Entity"


class PayloadTooLarge(NovuError):
    status = 413


class UriTooLong(NovuError):
    status = 414


class UnsupportedMediaType(NovuError):
    status = 415


class TooManyRequests(NovuError):
    status = 429


class ServiceUnavailable(NovuError):
    status = 503


class ValidationFailed(NovuError):
    """422 with ``errors`` keyed by field: ``{"field": {"messages": [...], "value": ...}}``."""

    status = 422

    def __init__(self, errors: dict[str, dict[str, Any]], *, message: str = "Validation Error") -> None:
        super().__init__(message)
        self.errors = errors

    def body(self, path: str) -> dict[str, Any]:
        return {**super().body(path), "errors": self.errors}


class ParametersRefused(ValidationFailed):
    """422 of Novu's validation pipe for a query or path argument: unlike a body's failures, keyed
    by field, every sentence goes under the one key ``general`` (``{"messages": [...]}``)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__({"general": {"messages": messages}})


class InternalServerError(NovuError):
    status = 500

    def __init__(self) -> None:
        super().__init__("Internal server error, contact support and provide them with the errorId")
        self.error_id = secrets.token_hex(12)

    def body(self, path: str) -> dict[str, Any]:
        return {**super().body(path), "errorId": self.error_id}


def field_error(field: str, message: str, value: Any) -> dict[str, dict[str, Any]]:
    return {field: {"messages": [message], "value": value}}


def request_url(scope: dict[str, Any]) -> str:
    """The request's URL as Novu's exception filter prints it in ``path`` (Express's
    ``request.url``): the path as sent, still percent-encoded, with its query string."""
    raw = scope.get("raw_path") or scope["path"].encode("utf-8")
    url = raw.decode("latin-1")
    query = scope.get("query_string") or b""
    return f"{url}?{query.decode('latin-1')}" if query else url


def render(error: NovuError, scope: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
    """Status, JSON body and extra headers of the answer to ``error`` for the request of ``scope``."""
    document = error.body(request_url(scope))
    try:
        body = json.dumps(document, ensure_ascii=False, default=str).encode()
    except UnicodeEncodeError:  # a lone surrogate echoed from the request: escaped, as Node writes it
        body = json.dumps(document, default=str).encode()
    return error.status, body, dict(error.headers)
