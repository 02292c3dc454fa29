"""Inbound-email domains and their routes (``DomainsController_*``). Verification, diagnosis and
auto-configuration read the mock's simulated DNS (``store/dns_simulation.py``)."""

from __future__ import annotations

from typing import Any

from mock_server.handlers.channel_connections import cursor_query
from mock_server.store import Backend
from mock_server.store.domains import UNSET


async def list_domains(
    backend: Backend,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    query = cursor_query(after, before, limit, order_by, order_direction, include_cursor)
    return backend.domains.list(query, name=name).to_dto(lambda domain: domain.to_dto(records=False))


async def create_domain(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    return backend.domains.create(body["name"], body.get("data", UNSET), everywhere=True).to_dto()


async def get_domain(backend: Backend, domain: str) -> dict[str, Any]:
    return backend.domains.get(domain).to_dto()


async def update_domain(backend: Backend, domain: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.domains.update(domain, body.get("data", UNSET)).to_dto()


async def delete_domain(backend: Backend, domain: str) -> None:
    backend.domains.delete(domain)


async def verify_domain(backend: Backend, domain: str) -> dict[str, Any]:
    return backend.domains.verify(domain)


async def diagnose_domain(backend: Backend, domain: str) -> dict[str, Any]:
    return backend.domains.diagnose(domain)


async def get_domain_auto_configure(backend: Backend, domain: str) -> dict[str, Any]:
    return backend.domains.auto_configure_status(domain)


async def start_domain_auto_configure(
    backend: Backend, domain: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    return backend.domains.auto_configure_start(domain, (body or {}).get("redirectUri"))


async def list_domain_routes(
    backend: Backend,
    domain: str,
    limit: float,
    order_direction: str,
    order_by: str,
    include_cursor: bool,
    after: str | None = None,
    before: str | None = None,
    agent_id: str | None = None,
) -> dict[str, Any]:
    query = cursor_query(after, before, limit, order_by, order_direction, include_cursor)
    return backend.domains.routes(domain, query, agent_id=agent_id).to_dto(lambda route: route.to_dto())


async def create_domain_route(backend: Backend, domain: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.domains.create_route(
        domain, address=body["address"], type=body["type"], agent_id=body.get("agentId"), data=body.get("data", UNSET)
    ).to_dto()


async def get_domain_route(backend: Backend, domain: str, address: str) -> dict[str, Any]:
    return backend.domains.route(domain, address).to_dto()


async def update_domain_route(backend: Backend, domain: str, address: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.domains.update_route(
        domain,
        address,
        type=body.get("type"),
        agent_id=body.get("agentId", UNSET),
        data=body.get("data", UNSET),
    ).to_dto()


async def delete_domain_route(backend: Backend, domain: str, address: str) -> None:
    backend.domains.delete_route(domain, address)


async def test_domain_route(backend: Backend, domain: str, address: str, body: dict[str, Any]) -> dict[str, Any]:
    return backend.domains.test_route(
        domain,
        address,
        sender=body["from"],
        subject=body["subject"],
        text=body.get("text"),
        html=body.get("html"),
        dry_run=body.get("dryRun"),
    )
