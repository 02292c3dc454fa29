from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft4Validator

from mock_server import wire
from mock_server.handlers.channel_connections import cursor_query
from mock_server.store.context_match import present_keys
from mock_server.spec import Spec
from mock_server.store import Backend


@functools.cache
def _shape_validators(spec: Spec) -> dict[str, Draft4Validator]:
    """Endpoint type -> validator of its ``endpoint`` shape, from the schemas marked ``x-endpoint-type``."""
    validators = {}
    for schema in spec.document["components"]["schemas"].values():
        endpoint_type = schema.get("x-endpoint-type")
        if endpoint_type:
            validators[endpoint_type] = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    return validators


def fits(endpoint_type: str, endpoint: Any) -> bool:
    """Whether ``endpoint`` has exactly the shape of ``endpoint_type`` (the spec schema marked
    with that ``x-endpoint-type``); a type without a schema here fits nothing."""
    validator = _shape_validators(wire.services()["spec"]).get(endpoint_type)
    return validator is not None and validator.is_valid(endpoint)


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
        context_keys=present_keys(context_keys),
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
        create_subscriber_if_missing=body.get("createSubscriberIfMissing", False),
    ).to_dto()


async def get_channel_endpoint(backend: Backend, identifier: str) -> dict[str, Any]:
    return backend.channel_endpoints.get(identifier).to_dto()


async def update_channel_endpoint(backend: Backend, identifier: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.channel_endpoints.update(identifier, endpoint=body["endpoint"], fits=fits).to_dto()


async def delete_channel_endpoint(backend: Backend, identifier: str) -> None:
    backend.channel_endpoints.delete(identifier)
