from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft4Validator

from mock_server import wire
from mock_server.handlers.channel_connections import cursor_query
from mock_server.spec import Spec
from mock_server.store import Backend
from mock_server.validation import field_errors


@functools.cache
def _shape_validators(spec: Spec) -> dict[str, Draft4Validator]:
    """Endpoint type -> validator of its ``endpoint`` shape, from the schemas marked ``x-endpoint-type``."""
    validators = {}
    for schema in spec.document["components"]["schemas"].values():
        endpoint_type = schema.get("x-endpoint-type")
        if endpoint_type:
            validators[endpoint_type] = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    return validators


def shape_problem(endpoint_type: str, endpoint: dict[str, Any]) -> str | None:
    """Why ``endpoint`` does not have the shape of ``endpoint_type``, or None when it does."""
    validator = _shape_validators(wire.services()["spec"])[endpoint_type]
    errors = field_errors(validator.iter_errors(endpoint))
    if not errors:
        return None
    return "; ".join(f"endpoint.{field}: {' '.join(entry['messages'])}" for field, entry in errors.items())


async def list_channel_endpoints(
    backend: Backend,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    subscriber_id: str | None = None,
    context_keys: list[str] | None = None,
    channel: str | None = None,
    provider_id: str | None = None,
    integration_identifier: str | None = None,
    connection_identifier: str | None = None,
) -> dict[str, Any]:
    page = backend.channel_endpoints.list(
        cursor_query(after, before, limit, order_by, order_direction, include_cursor),
        subscriber_id=subscriber_id,
        context_keys=context_keys,
        channel=channel,
        provider_id=provider_id,
        integration_identifier=integration_identifier,
        connection_identifier=connection_identifier,
    )
    return page.to_dto(lambda endpoint: endpoint.to_dto())


async def create_channel_endpoint(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.channel_endpoints.create(
        subscriber_id=body["subscriberId"],
        integration_identifier=body["integrationIdentifier"],
        endpoint_type=body["type"],
        endpoint=body["endpoint"],
        identifier=body.get("identifier"),
        connection_identifier=body.get("connectionIdentifier"),
        context=body.get("context"),
    ).to_dto()


async def get_channel_endpoint(backend: Backend, identifier: str) -> dict[str, Any]:
    return backend.channel_endpoints.get(identifier).to_dto()


async def update_channel_endpoint(backend: Backend, identifier: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.channel_endpoints.update(identifier, endpoint=body["endpoint"], shape_problem=shape_problem).to_dto()


async def delete_channel_endpoint(backend: Backend, identifier: str) -> None:
    backend.channel_endpoints.delete(identifier)
