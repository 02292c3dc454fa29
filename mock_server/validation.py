"""Validation against the spec: requests reported field by field the way Novu does (422), and answers.

Connexion's stock validators stop at the first error and answer 400 problem+json; these collect
all of them into a ValidationErrorDto keyed by field, and turn unreadable bodies into Novu 400s.

Speed: each schema is compiled once into a Rust validator (jsonschema_rs) that answers "valid?"
on every request; only an invalid document goes through the slower pure-Python validator, which
explains each failure. Both are built from the same spec schema; nothing is restated.
"""

from __future__ import annotations

import functools
import json
import math
import re
import typing as t

import jsonschema_rs
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import NonConformingResponseBody
from connexion.json_schema import Draft4RequestValidator, Draft4ResponseValidator
from connexion.utils import is_null, is_nullable
from connexion.validators import (
    VALIDATOR_MAP,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
)
from jsonschema import Draft4Validator, ValidationError
from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartParser
from starlette.types import Receive, Scope

from mock_server import jsoncodec
from mock_server.controls import CONTROL_PREFIX
from mock_server.errors import BadRequest, CommandRefused, ParametersRefused, ValidationFailed

# Keywords of OpenAPI 3.0 schema objects that are not JSON Schema (draft 4) validation keywords.
_OPENAPI_ONLY = frozenset({"nullable", "example", "discriminator", "xml", "externalDocs", "deprecated", "readOnly", "writeOnly"})
_MAPS_OF_SCHEMAS = frozenset({"properties", "patternProperties", "definitions"})
# On a request body schema, the name of the command that checks it: Novu checks this body in the
# use case's command, not in its validation pipe, so a body that fails the schema is the command's
# 400 (errors.CommandRefused) rather than a 422.
REFUSED_AS_BAD_REQUEST = "x-refused-as-bad-request"
# On a number query parameter, the name of the command that checks it: Novu's controller turns it
# into a number with JavaScript's Number() and its use case's command checks it (class-validator's
# IsNumber, Min, Max): a value out of the schema's bounds, or no number, is the command's 400
# rather than the pipe's 422. (An empty value, Novu's default, stays refused here: the mock cannot
# give the handler a default for a value that was sent.)
CHECKED_BY_COMMAND = "x-checked-by-command"
_JS_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Infinity")
_JS_RADIX = {"0x": 16, "0o": 8, "0b": 2}


def js_number(text: str) -> float:
    """JavaScript's ``Number(text)`` of a string: NaN when it is not a number."""
    stripped = text.strip()
    if not stripped:
        return 0.0
    if _JS_DECIMAL.fullmatch(stripped):
        return float(stripped.replace("Infinity", "inf"))
    radix = _JS_RADIX.get(stripped[:2].lower())
    if radix:
        try:
            return float(int(stripped[2:], radix))
        except ValueError:
            return math.nan
    return math.nan


def _number(value: t.Any) -> t.Any:
    """A number as JavaScript prints it (100, not 100.0)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def command_number_messages(name: str, value: float, schema: dict) -> list[str]:
    """What class-validator says of ``value`` under ``@IsNumber() @Min(minimum) @Max(maximum)``,
    in its order (the decorators are applied bottom up)."""
    messages = []
    if "maximum" in schema and not value <= schema["maximum"]:
        messages.append(f"{name} must not be greater than {_number(schema['maximum'])}")
    if "minimum" in schema and not value >= schema["minimum"]:
        messages.append(f"{name} must not be less than {_number(schema['minimum'])}")
    if not math.isfinite(value):
        messages.append(f"{name} must be a number conforming to the specified constraints")
    return messages


def to_json_schema(node: t.Any) -> t.Any:
    """An OpenAPI 3.0 schema as plain JSON Schema: ``nullable`` becomes a null alternative."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted: dict[str, t.Any] = {}
    for key, value in node.items():
        # "components" is not a JSON Schema keyword: Connexion adds it for $ref resolution, but its
        # schemas come dereferenced, and it adds it in place to shared (component) schema objects,
        # which makes the structure cyclic (a chosen 404 answer of a $ref'd response showed it).
        if key in _OPENAPI_ONLY or key.startswith("x-") or key == "components":
            continue
        if key in _MAPS_OF_SCHEMAS and isinstance(value, dict):
            converted[key] = {name: to_json_schema(schema) for name, schema in value.items()}
        else:
            converted[key] = to_json_schema(value)
    if node.get("nullable") is True:
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


class _Compiled:
    """Validators of one schema object, built on first use and kept for the life of the process."""

    _cache: dict[int, tuple[dict, _Compiled]] = {}
    # Connexion inlines each $ref, so equal schemas arrive as distinct objects: compiled once
    _by_content: dict[str, _Compiled] = {}

    def __init__(self, schema: dict, explaining_class: type) -> None:
        self.schema = schema
        self.explaining_class = explaining_class

    @functools.cached_property
    def fast(self) -> jsonschema_rs.Draft4Validator:
        """The compiled validator, built at its first use: building all of them at start took
        ~25 ms of it, for operations a run may never call."""
        return jsonschema_rs.Draft4Validator(to_json_schema(self.schema), validate_formats=True)

    @functools.cached_property
    def explaining(self) -> t.Any:
        """The jsonschema validator that explains what failed, built at its first use."""
        return self.explaining_class(self.schema, format_checker=Draft4Validator.FORMAT_CHECKER)

    @classmethod
    def of(cls, schema: dict, explaining_class: type) -> _Compiled:
        # Connexion hands the same (dereferenced) schema object to every request of an operation;
        # keeping the object itself in the entry makes a reused id() impossible to mistake.
        entry = cls._cache.get(id(schema))
        if entry is None or entry[0] is not schema:
            try:
                content = f"{explaining_class.__name__}:{json.dumps(schema, sort_keys=True, default=str)}"
            except ValueError:  # a structure Connexion made cyclic (see to_json_schema): not shared
                content = f"{explaining_class.__name__}:{id(schema)}"
            compiled = cls._by_content.get(content)
            if compiled is None:
                compiled = cls._by_content[content] = cls(schema, explaining_class)
            entry = cls._cache[id(schema)] = (schema, compiled)
        return entry[1]


# How class-validator words a failure of the decorator that each schema keyword stands for (Novu's
# DTOs are checked by class-validator, and its sentences are what the answers carry).
_TYPE_WORDS = {
    "string": "must be a string",
    "number": "must be a number conforming to the specified constraints",
    "integer": "must be an integer number",
    "boolean": "must be a boolean value",
    "array": "must be an array",
    "object": "must be an object",
}
_FORMAT_WORDS = {
    "date-time": "must be a valid ISO 8601 date string",
    "date": "must be a valid ISO 8601 date string",
    "email": "must be an email",
    "uri": "must be a URL address",
    "uuid": "must be a UUID",
}
_BOUND_WORDS = {
    "minimum": "must not be less than {}",
    "maximum": "must not be greater than {}",
    "minLength": "must be longer than or equal to {} characters",
    "maxLength": "must be shorter than or equal to {} characters",
    "minItems": "must contain at least {} elements",
    "maxItems": "must contain no more than {} elements",
}


def _message(error: ValidationError, field: str) -> str:
    options = [value for sub in error.schema.get("anyOf", []) for value in sub.get("enum", [])]
    if error.validator == "anyOf" and options:
        return f"{field} must be one of the following values: {', '.join(options)}"
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = [_TYPE_WORDS[kind] for kind in expected if kind in _TYPE_WORDS]
        return f"{field} {words[0]}" if words else f"{field} must be of type {' or '.join(expected)}"
    if error.validator == "format":
        words = _FORMAT_WORDS.get(error.validator_value, f"must be a valid {error.validator_value}")
        return f"{field} {words}"
    if error.validator == "pattern":
        own = error.schema.get("x-pattern-message") if isinstance(error.schema, dict) else None
        if own:  # the DTO's own message (class-validator's Matches), $property as class-validator fills it
            return own.replace("$property", field)
        return f"{field} must match /{error.validator_value}/ regular expression"
    if error.validator == "enum":
        return f"{field} must be one of the following values: {', '.join(map(str, error.validator_value))}"
    if error.validator in _BOUND_WORDS:
        return f"{field} {_BOUND_WORDS[error.validator].format(_number(error.validator_value))}"
    if error.validator == "multipleOf" and error.validator_value == 1:
        return f"{field} must be an integer number"
    return f"{field}: {error.message}" if field != "body" else error.message


def _enums_of(schema: dict, name: str) -> list[list]:
    """Every ``enum`` constraining property ``name`` in ``schema`` (refs already resolved), allOf included."""
    enums = []
    if "enum" in schema.get("properties", {}).get(name, {}):
        enums.append(schema["properties"][name]["enum"])
    for part in schema.get("allOf", []):
        enums += _enums_of(part, name)
    return enums


def _takes(schema: dict, name: str, value: t.Any) -> bool:
    enums = _enums_of(schema, name)
    return bool(enums) and all(value in enum for enum in enums)


def _alternatives(error: ValidationError) -> tuple[list[ValidationError] | None, str | None]:
    """For a failed oneOf/anyOf: the errors of the branch the body chose by its discriminator, or a
    message listing the branches' descriptions. (None, None) when neither applies."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    discriminator = schema.get("discriminator")
    if discriminator and isinstance(error.instance, dict):
        name = discriminator["propertyName"]
        mapping = discriminator.get("mapping", {})
        value = error.instance.get(name)
        chosen = mapping.get(value) if isinstance(value, str) else None
        if chosen is None:
            return None, f"{name} must be one of the following values: {', '.join(mapping)}"
        for index, branch in enumerate(error.validator_value):
            if branch.get("$ref") == chosen or _takes(branch, name, value):
                return [e for e in error.context or [] if e.schema_path and e.schema_path[0] == index], None
    descriptions = [branch.get("description") for branch in error.validator_value if isinstance(branch, dict)]
    if descriptions and all(descriptions):
        return None, "must match one of: " + " Or: ".join(descriptions)
    return None, None


def field_errors(errors: t.Iterable[ValidationError]) -> dict[str, dict[str, t.Any]]:
    """jsonschema errors -> ``{"field.path": {"messages": [...], "value": ...}}``. A field that
    was not sent has no ``value``: class-validator's is ``undefined``, which JSON leaves out."""
    collected = _field_errors(errors)
    for entry in collected.values():
        if entry.get("value", _MISSING) is _MISSING:
            entry.pop("value", None)
    return collected


_MISSING = object()


def _field_errors(errors: t.Iterable[ValidationError]) -> dict[str, dict[str, t.Any]]:
    collected: dict[str, dict[str, t.Any]] = {}
    for error in errors:
        if error.validator in ("oneOf", "anyOf"):
            branch_errors, summary = _alternatives(error)
            if branch_errors:
                for field, entry in _field_errors(branch_errors).items():
                    collected.setdefault(field, {"messages": [], "value": entry["value"]})["messages"] += entry["messages"]
                continue
            if summary:
                discriminator = (error.schema.get("discriminator") or {}).get("propertyName")
                path = [str(part) for part in error.absolute_path]
                value = error.instance
                if discriminator and summary.startswith(discriminator):
                    path.append(discriminator)
                    value = error.instance.get(discriminator)
                field = ".".join(path) or "body"
                collected.setdefault(field, {"messages": [], "value": value})["messages"].append(summary)
                continue
        path = [str(part) for part in error.absolute_path]
        value: t.Any = error.instance
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path.append(missing)
            value = _MISSING
            message = f"{missing} should not be empty"
        field = ".".join(path) or "body"
        if error.validator != "required":
            message = _message(error, field)
        entry = collected.setdefault(field, {"messages": [], "value": value})
        entry["messages"].append(message)
    return collected


class NovuBodyValidator(JSONRequestBodyValidator):
    """Reads a JSON body as Novu does (``jsoncodec.read_body``) and validates it field by field.

    The handler then gets the body as read (re-encoded into the request), not a second parse of
    the bytes sent: what Node's parser changes (lone surrogates, numbers past a double) stays changed.
    """

    @property
    def _validator(self):
        return _Compiled.of(self._schema, Draft4RequestValidator)

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        length = Headers(scope=scope).get("content-length", "")
        if not length.isdigit() or not int(length):
            # No body: body-parser hands Novu's ValidationPipe an empty object, so a required body
            # whose required fields are missing is refused field by field (422), as Novu does. One
            # an empty object would satisfy stays "required" (400): Novu would take it as {}, but
            # the spec says the body is required and the contract suite holds the mock to that.
            if not self._required:
                return await super().wrap_receive(receive, scope=scope)
            self._validate({})
            raise BadRequest("RequestBody is required")
        raw = await _read_all(receive)
        body = await self._parse(_once(raw), scope)
        if not (body is None and self._nullable):
            self._validate(body)
        return _with_body(receive, scope, raw if body is None else jsoncodec.canonical(body))

    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope) -> t.Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw.strip():
            return None
        if self._encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            try:
                raw = raw.decode(self._encoding).encode()
            except (UnicodeDecodeError, LookupError) as error:
                raise jsoncodec.UnreadableBody(f"Request body is not valid {self._encoding}: {error}") from None
        control = scope["path"].startswith(CONTROL_PREFIX)
        return jsoncodec.read_body(raw, jsoncodec.CONTROL_MAX_DEPTH if control else jsoncodec.MAX_DEPTH)

    def _validate(self, body: t.Any) -> dict | None:
        if body is None and not self._nullable:
            raise BadRequest("Request body must not be empty")
        compiled = self._validator
        if not compiled.fast.is_valid(body):
            errors = field_errors(compiled.explaining.iter_errors(body))
            if not errors:  # a format only the compiled validator checks (it is stricter on email)
                errors = _compiled_field_errors(compiled.fast.iter_errors(body))
            if isinstance(self._schema, dict) and self._schema.get(REFUSED_AS_BAD_REQUEST):
                # A body Novu does not validate in its pipe but in the use case's command
                # (BaseCommand.create): the command's 400.
                raise CommandRefused(self._schema[REFUSED_AS_BAD_REQUEST], errors)
            raise ValidationFailed(errors)
        return body


def _compiled_field_errors(errors: t.Iterable[t.Any]) -> dict[str, dict[str, t.Any]]:
    collected: dict[str, dict[str, t.Any]] = {}
    for error in errors:
        field = ".".join(str(part) for part in error.instance_path) or "body"
        entry = collected.setdefault(field, {"messages": [], "value": error.instance})
        entry["messages"].append(f"{field}: {error.message}")
    return collected or {"body": {"messages": ["body is not valid"], "value": None}}


async def _read_all(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


async def _once(raw: bytes) -> t.AsyncGenerator[bytes, None]:
    yield raw


def _with_body(receive: Receive, scope: Scope, body: bytes) -> tuple[Receive, Scope]:
    """``receive`` that first gives ``body`` whole, and ``scope`` with its Content-Length."""
    headers = [(name, value) for name, value in scope["headers"] if name != b"content-length"]
    scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
    sent = False

    async def replayed() -> t.MutableMapping[str, t.Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed, scope


def _is_file(schema: t.Any) -> bool:
    schema = schema if isinstance(schema, dict) else {}
    if schema.get("type") == "array":
        schema = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    return schema.get("type") == "string" and schema.get("format") == "binary"


def _boundary(content_type: str) -> bytes | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "boundary" and value.strip().strip('"'):
            return value.strip().strip('"').encode("latin-1", "replace")
    return None


# scope["extensions"][UPLOADS_KEY]: the files of a multipart body, (field, file name, bytes) in order
UPLOADS_KEY = "novu_mock_uploads"


class NovuMultipartValidator(MultiPartFormDataValidator):
    """multipart/form-data as Novu's upload routes take it (multer, then the ValidationPipe).

    The text fields are checked against the schema field by field (422, as the pipe does) and
    become the handler's ``body``; the files go to ``scope["extensions"][UPLOADS_KEY]`` for the
    handler, which answers Novu's 400s (none, too many, badly named). A
    body the multipart parser cannot read (no boundary, cut short, too many parts) is a 400:
    nothing that reaches the handler can fail to parse when Connexion reads it again.
    """

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        raw = await _read_all(receive)
        fields: dict[str, t.Any] = {}
        uploads: list[tuple[str, str, bytes]] = []
        # the handler reads the files from here (Connexion's request proxy would read the body again)
        scope.setdefault("extensions", {})[UPLOADS_KEY] = uploads
        if raw:
            headers = Headers(scope=scope)
            parser = MultiPartParser(headers, _once(raw))
            try:
                form = await parser.parse()
            except Exception as error:  # noqa: BLE001 - any unreadable body is the client's 400
                raise jsoncodec.UnreadableBody(f"Multipart body could not be read: {getattr(error, 'message', error)}") from None
            try:
                boundary = _boundary(headers.get("content-type", ""))
                if boundary is None or b"--" + boundary + b"--" not in raw:
                    raise jsoncodec.UnreadableBody("Multipart body could not be read: Unexpected end of form")
                for name, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        uploads.append((name, value.filename or "", await value.read()))
                    else:
                        fields[name] = value  # the last value of a repeated field, as multer keeps it
            finally:
                await form.close()
                for leftover in getattr(parser, "_files_to_close_on_error", ()):  # parts cut short
                    leftover.close()
        properties = self._schema.get("properties", {}) if isinstance(self._schema, dict) else {}
        text_schema: dict[str, t.Any] = {
            "type": "object",
            "properties": {name: schema for name, schema in properties.items() if not _is_file(schema)},
        }
        required = [name for name in self._schema.get("required", []) if not _is_file(properties.get(name))]
        if required:  # draft 4: "required" lists at least one name
            text_schema["required"] = required
        compiled = _Compiled.of(text_schema, Draft4RequestValidator)
        if not compiled.fast.is_valid(fields):
            raise ValidationFailed(field_errors(compiled.explaining.iter_errors(fields)))
        # Handed on as the JSON of its text fields: Connexion would parse the form again for the
        # handler's arguments, into temporary files it never closes.
        headers = [(name, value) for name, value in scope["headers"] if name != b"content-type"]
        scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        return _with_body(receive, scope, jsoncodec.canonical(fields))


class NovuResponseValidator(JSONResponseBodyValidator):
    """The mock checks its own answers; a non-conforming one is a bug, answered as a 500."""

    def _validate(self, body: t.Any) -> None:
        compiled = _Compiled.of(self._schema, Draft4ResponseValidator)
        if not compiled.fast.is_valid(body):
            error = next(iter(compiled.explaining.iter_errors(body)), None)
            where = "/".join(str(part) for part in error.absolute_path) if error else ""
            reason = error.message if error else "rejected by the compiled validator"
            raise NonConformingResponseBody(f"Response body does not conform to the spec at '{where}': {reason}")


def parameter_messages(param: dict, value: t.Any) -> list[str]:
    """What Novu's validation pipe says of one query, path or header argument (nothing when it
    passes), worded from the parameter's schema. A failure inside an array argument is said of
    "each value in" it, as class-validator's ``each: true`` decorators word it."""
    name = param["name"]
    if value is None:
        return [f"{name} should not be empty"] if param.get("required") else []
    schema = param.get("schema", param)
    if is_nullable(param) and is_null(value):
        return []
    messages: list[str] = []
    for error in _Compiled.of(schema, Draft4Validator).explaining.iter_errors(value):
        message = _message(error, name)
        messages.append(f"each value in {message}" if error.absolute_path else message)
    return messages


class NovuParameterValidator(ParameterValidator):
    """Path, query and header arguments as Novu's validation pipe refuses them: a 422 whose
    ``errors.general.messages`` lists every failure of the first argument that fails (the pipe
    validates each handler argument whole, the path's before the query's, and throws at the
    first refused). The mock's own control surface keys its failures by parameter instead."""

    def validate_request(self, request) -> None:
        getters = {
            "path": lambda name: request.path_params.get(name.replace("-", "_")),
            "query": lambda name: request.query_params.get(name),
            "header": lambda name: request.headers.get(name),
            "cookie": lambda name: request.cookies.get(name),
        }
        control = request.url.path.startswith(CONTROL_PREFIX)
        keyed: dict[str, dict[str, t.Any]] = {}
        command_refusals: dict[str, dict[str, t.Any]] = {}
        command = ""
        for location, get in getters.items():
            said = []
            # Connexion may list a path-level parameter more than once: each name is checked once
            for param in {param["name"]: param for param in self.parameters.get(location, [])}.values():
                value = get(param["name"])
                if param.get(CHECKED_BY_COMMAND) and value not in (None, ""):
                    # read by the controller and checked by Novu's command, after the DTO pipe
                    number = js_number(value) if isinstance(value, str) else float(value)
                    if refused := command_number_messages(param["name"], number, param.get("schema", {})):
                        command = param[CHECKED_BY_COMMAND]
                        # the command holds the number: NaN is JSON's null
                        held = _number(number) if math.isfinite(number) else None
                        command_refusals[param["name"]] = {"messages": refused, "value": held}
                        continue
                if messages := parameter_messages(param, value):
                    said += messages
                    keyed[param["name"]] = {"messages": messages, "value": value}
            if said and not control:
                raise ParametersRefused(said)
        if keyed:  # the mock's own control surface: every parameter keyed by name, as it documents
            raise ValidationFailed(keyed)
        if command_refusals:
            raise CommandRefused(command, command_refusals)


def validator_map() -> dict:
    body = MediaTypeDict(
        {**VALIDATOR_MAP["body"], "*/*json": NovuBodyValidator, "multipart/form-data": NovuMultipartValidator}
    )
    response = MediaTypeDict({**VALIDATOR_MAP["response"], "*/*json": NovuResponseValidator})
    return {**VALIDATOR_MAP, "parameter": NovuParameterValidator, "body": body, "response": response}
