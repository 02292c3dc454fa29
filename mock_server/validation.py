"""Request validation against the spec, reporting every failing field the way Novu does (422).

Connexion's stock validators stop at the first error and answer 400 problem+json; these collect
all of them into a ValidationErrorDto keyed by field, and turn unreadable bodies into Novu 400s.
"""

from __future__ import annotations

import json
import typing as t

from connexion.datastructures import MediaTypeDict
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator, ValidationError

from mock_server.errors import BadRequest, MethodNotAllowed, ValidationFailed

_compiled: dict[int, Draft4RequestValidator] = {}


def _compile(schema: dict) -> Draft4RequestValidator:
    # One validator per schema object for the life of the process, not one per request.
    validator = _compiled.get(id(schema))
    if validator is None:
        validator = _compiled[id(schema)] = Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    return validator


def _message(error: ValidationError, field: str) -> str:
    options = [value for sub in error.schema.get("anyOf", []) for value in sub.get("enum", [])]
    if error.validator == "anyOf" and options:
        return f"{field} must be one of the following values: {', '.join(options)}"
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return f"{field} must be of type {' or '.join(expected)}"
    if error.validator == "format":
        return f"{field} must be a valid {error.validator_value}"
    if error.validator == "enum":
        return f"{field} must be one of the following values: {', '.join(map(str, error.validator_value))}"
    return f"{field}: {error.message}" if field != "body" else error.message


def field_errors(errors: t.Iterable[ValidationError]) -> dict[str, dict[str, t.Any]]:
    """jsonschema errors -> ``{"field.path": {"messages": [...], "value": ...}}``."""
    collected: dict[str, dict[str, t.Any]] = {}
    for error in errors:
        path = [str(part) for part in error.absolute_path]
        value: t.Any = error.instance
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path.append(missing)
            value = None
            message = f"{missing} should not be empty"
        field = ".".join(path) or "body"
        if error.validator != "required":
            message = _message(error, field)
        entry = collected.setdefault(field, {"messages": [], "value": value})
        entry["messages"].append(message)
    return collected


class NovuBodyValidator(JSONRequestBodyValidator):
    @property
    def _validator(self):
        return _compile(self._schema)

    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope) -> t.Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw.strip():
            return None
        try:
            return json.loads(raw.decode(self._encoding))
        except UnicodeDecodeError as error:
            raise BadRequest(f"Request body is not valid {self._encoding}: {error.reason}") from None
        except json.JSONDecodeError as error:
            raise BadRequest(f"Request body is not valid JSON: {error.msg} at position {error.pos}") from None

    def _validate(self, body: t.Any) -> dict | None:
        if body is None and not self._nullable:
            raise BadRequest("Request body must not be empty")
        errors = list(self._validator.iter_errors(body))
        if errors:
            raise ValidationFailed(field_errors(errors))
        return body


class NovuParameterValidator(ParameterValidator):
    def validate_request(self, request) -> None:
        getters = {
            "query": lambda name: request.query_params.get(name),
            "path": lambda name: request.path_params.get(name.replace("-", "_")),
            "header": lambda name: request.headers.get(name),
            "cookie": lambda name: request.cookies.get(name),
        }
        errors: dict[str, dict[str, t.Any]] = {}
        for location, get in getters.items():
            for param in self.parameters.get(location, []):
                message = self.validate_parameter(location, get(param["name"]), param)
                if message:
                    errors[param["name"]] = {"messages": [message], "value": get(param["name"])}
        if errors:
            _refuse_if_other_path(request)
            raise ValidationFailed(errors)


def _refuse_if_other_path(request) -> None:
    """A path matched only through a template slot (``DELETE .../notifications/archive`` taken
    for ``.../notifications/{notificationId}``) belongs to the more specific path: 405 there."""
    services = request.scope.get("extensions", {}).get("novu_mock")
    if not services:
        return
    allowed = services["spec"].allowed_methods(request.url.path)
    if allowed and request.method not in allowed:
        raise MethodNotAllowed(
            f"Cannot {request.method} {request.url.path}", headers={"Allow": ", ".join(allowed)}
        )


def validator_map() -> dict:
    body = MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": NovuBodyValidator})
    return {**VALIDATOR_MAP, "parameter": NovuParameterValidator, "body": body}
