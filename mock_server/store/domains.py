"""Inbound-email domains of an environment and their routes, with the rules of Novu's use cases
(apps/api/src/app/domains, 2026). What Novu reads from live DNS the mock reads from the name
(``dns_simulation``), so verify, diagnose and auto-configure answer the same every time.
Auto-configuration (Domain Connect) lives in ``domain_connect``.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from mock_server.errors import BadRequest, CommandRefused, Conflict, NotFound, ValidationFailed, field_error
from mock_server.store import dns_simulation as dns
from mock_server.store import domain_connect
from mock_server.store.cursor import CursorQuery, Page, paginate
from mock_server.store.domain_connect import expected_dns_records
from mock_server.store.ids import iso, now, object_id, parse_time
from mock_server.store.values import clone

DATA_MAX_KEYS = 10
DATA_MAX_TOTAL_CHARS = 500
ROUTE_TYPES = ("agent", "webhook")
_NANOID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
# What JavaScript's String.prototype.trim removes (Novu trims a route's address with it).
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


class _Unset:
    """``data`` that was not sent (Novu keeps the field out of the record); ``None`` is a sent null."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def js_trim_lower(text: str) -> str:
    """``value.trim().toLowerCase()`` as JavaScript computes it."""
    return text.strip(_JS_SPACE).lower()


def js_text(value: Any) -> str:
    """A value as a JavaScript template literal writes it (``null`` for None)."""
    return "null" if value is None else str(value)


def check_data(data: Any, field: str = "data") -> None:
    """Novu's IsBoundedRecord: at most 10 string keys, keys and values 500 characters together
    (the schema checks the types and the key count; the total is checked here, 422 as Novu's pipe)."""
    if data is None or data is UNSET:
        return
    total = sum(len(key) + len(value) for key, value in data.items())
    if len(data) > DATA_MAX_KEYS or total > DATA_MAX_TOTAL_CHARS:
        message = (
            f"{field} must be an object with at most {DATA_MAX_KEYS} string keys and string values, "
            f"with combined key+value length at most {DATA_MAX_TOTAL_CHARS} characters."
        )
        raise ValidationFailed(field_error(field, message, data))


@dataclass(slots=True)
class Domain:
    id: str
    name: str
    status: str
    mx_record_configured: bool
    dns_provider: str | None
    data: dict[str, str] | None  # or UNSET: never set
    environment_id: str
    organization_id: str
    created_at: datetime
    updated_at: datetime

    def to_dto(self, *, records: bool = True) -> dict[str, Any]:
        dto: dict[str, Any] = {
            "_id": self.id,
            "name": self.name,
            "status": self.status,
            "mxRecordConfigured": self.mx_record_configured,
            "_environmentId": self.environment_id,
            "_organizationId": self.organization_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }
        if self.dns_provider is not None:
            dto["dnsProvider"] = self.dns_provider
        if self.data is not UNSET:
            dto["data"] = clone(self.data)
        if records:
            dto["expectedDnsRecords"] = expected_dns_records(self.name)
        return dto


@dataclass(slots=True)
class Route:
    id: str
    domain_id: str
    address: str
    type: str
    destination: str | None
    data: dict[str, str] | None  # or UNSET: never set
    environment_id: str
    organization_id: str
    created_at: datetime
    updated_at: datetime

    def to_dto(self) -> dict[str, Any]:
        dto: dict[str, Any] = {
            "_id": self.id,
            "_domainId": self.domain_id,
            "address": self.address,
            "type": self.type,
            "_environmentId": self.environment_id,
            "_organizationId": self.organization_id,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }
        if self.destination is not None:
            dto["agentId"] = self.destination
        if self.data is not UNSET:
            dto["data"] = clone(self.data)
        return dto


def _sort_value(record: Domain | Route, order_by: str) -> Any:
    # Mongo sorts a field the records lack as equal for all, leaving the _id order
    value = {"_id": record.id, "createdAt": record.created_at, "updatedAt": record.updated_at}.get(order_by)
    if value is None:
        value = getattr(record, {"name": "name", "address": "address", "type": "type"}.get(order_by, "_"), None)
    return (value is not None, value if value is not None else 0)


class DomainsBackend:
    # The spec schema each snapshot record is checked against on import: a domain with its routes.
    RECORD_SCHEMA = "DomainStateRecord"

    def __init__(self, environment_id: str, organization_id: str, lock: threading.RLock) -> None:
        self.environment_id = environment_id
        self.organization_id = organization_id
        self._lock = lock
        self._by_name: dict[str, Domain] = {}
        # domain id -> address -> route
        self._routes: dict[str, dict[str, Route]] = {}
        # Whether another environment holds a name (set by Backends; a lone backend knows none).
        self.taken_elsewhere: Callable[[str], bool] = lambda name: False

    # -- domains ------------------------------------------------------------------------------

    def get(self, name: str) -> Domain:
        """Novu's resolveDomainName: the name lower-cased, in this environment, else 404."""
        key = name.lower()
        with self._lock:
            domain = self._by_name.get(key)
        if domain is None:
            raise NotFound(f'Domain "{key}" not found.')
        return domain

    def has(self, name: str) -> bool:
        return name in self._by_name

    def all(self) -> list[Domain]:
        with self._lock:
            return list(self._by_name.values())

    def list(self, query: CursorQuery, *, name: str | None = None) -> Page[Domain]:
        """Novu's listDomains: `name` found in any case (escaped, so plain text). Both cursors
        make Novu's repository throw a plain Error (a 500 there); the mock answers the 400 its
        route list gives for the same mistake."""
        if query.before and query.after:
            raise BadRequest('Cannot specify both "before" and "after" cursors at the same time.')
        with self._lock:
            found = [d for d in self._by_name.values() if not name or name.lower() in d.name]
        return _cursor_page(found, query, "domain")

    def create(
        self,
        name: str,
        data: dict[str, str] | None = UNSET,
        *,
        at: datetime | None = None,
        rng: random.Random | None = None,
        everywhere: bool = False,
    ) -> Domain:
        """A new domain, its name lower-cased. With ``everywhere`` (the API's create) a name
        another environment holds is taken too: Novu looks names up in its whole database."""
        check_data(data)
        key = name.lower()
        with self._lock:
            if key in self._by_name or (everywhere and self.taken_elsewhere(key)):
                raise Conflict(f'A domain with name "{key}" already exists.')
            host = dns.dns_host(key)
            moment = at or now()
            domain = Domain(
                id=object_id(moment, rng),
                name=key,
                status="pending",
                mx_record_configured=False,
                dns_provider=host.name if host else None,
                data=_kept(data),
                environment_id=self.environment_id,
                organization_id=self.organization_id,
                created_at=moment,
                updated_at=moment,
            )
            self._by_name[key] = domain
            self._routes[domain.id] = {}
            return domain

    def update(self, name: str, data: dict[str, str] | None = UNSET) -> Domain:
        """`data` replaces the metadata (a null too: Novu sets it null); without it nothing changes."""
        check_data(data)
        with self._lock:
            domain = self.get(name)
            if data is not UNSET:
                domain.data = _kept(data)
                domain.updated_at = now()
            return domain

    def delete(self, name: str) -> None:
        """The domain and every route of it."""
        with self._lock:
            domain = self.get(name)
            del self._by_name[domain.name]
            self._routes.pop(domain.id, None)

    def verify(self, name: str, *, at: datetime | None = None) -> dict[str, Any]:
        """Novu's VerifyDomain: the MX lookup decides `mxRecordConfigured` and the status. The
        answer is the record as read before the write, with the new status (its `updatedAt` is
        the old one, as Novu's is; a later read shows the write)."""
        with self._lock:
            domain = self.get(name)
            configured = dns.mx_points_to_novu(domain.name)
            answer_updated_at = domain.updated_at
            if configured != domain.mx_record_configured or (configured and domain.status != "verified"):
                domain.mx_record_configured = configured
                domain.status = "verified" if configured else "pending"
                domain.updated_at = at or now()
            dto = domain.to_dto()
            dto["updatedAt"] = iso(answer_updated_at)
            return dto

    def diagnose(self, name: str) -> dict[str, Any]:
        """Novu's DiagnoseDomain over the mock's DNS: MX (missing, wrong target, priority), CNAME
        at the apex, Novu's mail server on blocklists (never)."""
        domain = self.get(name)
        expected = dns.MAIL_SERVER_DOMAIN
        checks: list[dict[str, Any]] = []
        issues: list[dict[str, Any]] = []

        def check(code: str, status: str) -> None:
            checks.append({"code": code, "status": status, "latencyMs": 0})

        def issue(code: str, severity: str, message: str, fix: str) -> None:
            issues.append({"code": code, "severity": severity, "message": message, "fix": fix})

        records = dns.mx_records(domain.name)
        if not records:
            check("mx_missing", "fail")
            issue("mx_missing", "error", f"No MX records were found for {domain.name}.",
                  f"Add an MX record pointing to {expected} (priority 10 is typical). "
                  "See Novu inbound email documentation.")  # fmt: skip
            check("mx_wrong_target", "skipped")
            check("mx_low_priority", "skipped")
        else:
            check("mx_missing", "pass")
            to_novu = [record for record in records if record.exchange.lower() == expected]
            if not to_novu:
                check("mx_wrong_target", "fail")
                issue("mx_wrong_target", "error", f"MX exists but none point to Novu's mail server ({expected}).",
                      f"Set an MX record for {domain.name} with target {expected} and an appropriate priority.")  # fmt: skip
                check("mx_low_priority", "skipped")
            else:
                check("mx_wrong_target", "pass")
                if min(r.priority for r in records) < min(r.priority for r in to_novu):
                    check("mx_low_priority", "fail")
                    issue("mx_low_priority", "warn",
                          "Another MX record has a better (lower) priority than the Novu MX record.",
                          "Either remove higher-priority MX hosts that should not receive mail for this domain, "
                          f"or give {expected} the lowest MX priority value.")  # fmt: skip
                else:
                    check("mx_low_priority", "pass")
        if dns.has_apex_cname(domain.name):
            check("apex_cname_collision", "fail")
            issue("apex_cname_collision", "error",
                  f"The apex name {domain.name} has a CNAME record. CNAME cannot coexist with MX at the zone apex.",
                  "Remove the CNAME at the apex or use a subdomain for the CNAME target; "
                  "MX must be authoritative for the mail domain.")  # fmt: skip
        else:
            check("apex_cname_collision", "pass")
        # Novu checks the blocklists only when an MX lookup answered; its mail server is on none
        check("dnsbl_listed", "pass" if records else "skipped")
        ok = not any(entry["severity"] == "error" for entry in issues)
        return {"ok": ok, "runAt": iso(now()), "checks": checks, "issues": issues}

    # -- Domain Connect (auto-configure) --------------------------------------------------------

    def auto_configure_status(self, name: str) -> dict[str, Any]:
        return domain_connect.status(self.get(name).name)

    def auto_configure_start(self, name: str, redirect_uri: str | None = None) -> dict[str, Any]:
        """`redirectUri` is checked first (Novu's DTO, 422), then the domain is looked up."""
        domain_connect.check_redirect_uri(redirect_uri)
        domain = self.get(name)
        return domain_connect.apply_url(
            domain.name, domain.id, domain.environment_id, domain.organization_id, redirect_uri
        )

    # -- routes -------------------------------------------------------------------------------

    def _route(self, domain: Domain, address: str) -> Route:
        route = self._routes.get(domain.id, {}).get(address)
        if route is None:
            raise NotFound(f'Route "{address}@{domain.name}" not found.')
        return route

    @staticmethod
    def _agent(identifier: str) -> str:
        """Novu's resolveAgentIdentifier. The mock keeps no agents, so every identifier is unknown."""
        raise NotFound(f'Agent with identifier "{js_text(identifier)}" not found.')

    def routes(self, name: str, query: CursorQuery, *, agent_id: str | None = None) -> Page[Route]:
        if query.before and query.after:
            raise BadRequest('Cannot specify both "before" and "after" cursors at the same time.')
        with self._lock:
            domain = self.get(name)
            if agent_id:
                self._agent(agent_id)
            found = list(self._routes.get(domain.id, {}).values())
        return _cursor_page(found, query, "route")

    def route(self, name: str, address: str) -> Route:
        with self._lock:
            return self._route(self.get(name), address)

    def create_route(
        self,
        name: str,
        *,
        address: str,
        type: str,
        agent_id: str | None = None,
        data: dict[str, str] | None = UNSET,
        at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> Route:
        """A route for `<address>@<domain>`; the address is trimmed and lower-cased first (Novu's DTO)."""
        check_data(data)
        address = js_trim_lower(address)
        with self._lock:
            domain = self.get(name)
            if type == "agent":
                if agent_id:
                    self._agent(agent_id)
                raise BadRequest("agentId is required for agent routes.")
            if address in self._routes[domain.id]:
                raise Conflict(f'A route for "{address}@{domain.name}" already exists.')
            moment = at or now()
            route = Route(
                id=object_id(moment, rng),
                domain_id=domain.id,
                address=address,
                type=type,
                destination=None,
                data=_kept(data),
                environment_id=self.environment_id,
                organization_id=self.organization_id,
                created_at=moment,
                updated_at=moment,
            )
            self._routes[domain.id][address] = route
            return route

    def update_route(
        self,
        name: str,
        address: str,
        *,
        type: str | None = None,
        agent_id: Any = UNSET,
        data: dict[str, str] | None = UNSET,
    ) -> Route:
        """Novu's UpdateDomainRoute: a sent agentId (even null) is looked up, an agent route needs
        one, a webhook route drops it; nothing given changes nothing; a null `data` is stored."""
        check_data(data)
        with self._lock:
            domain = self.get(name)
            route = self._route(domain, address)
            next_type = type or route.type
            if agent_id is not UNSET:
                self._agent(agent_id)
            if next_type == "agent" and not route.destination:
                raise BadRequest("agentId is required for agent routes.")
            if type is None and data is UNSET:
                return route
            if type is not None:
                route.type = type
            if next_type == "webhook":
                route.destination = None
            if data is not UNSET:
                route.data = _kept(data)
            route.updated_at = now()
            return route

    def delete_route(self, name: str, address: str) -> None:
        with self._lock:
            domain = self.get(name)
            self._route(domain, address)
            del self._routes[domain.id][address]

    def test_route(
        self,
        name: str,
        address: str,
        *,
        sender: dict[str, Any],
        subject: str,
        text: str | None = None,
        html: str | None = None,
        dry_run: bool | None = None,
    ) -> dict[str, Any]:
        """Novu's TestDomainRoute: the route of the address, else the wildcard `*`; a dry run shows
        what would be delivered, a real one delivers it (webhook routes go to the environment's
        outbound webhooks, which the mock has none of: `skipped`). An empty subject fails Novu's
        command (IsNotEmpty) before the domain is looked up: 400 with the list of failures."""
        if subject == "":
            raise CommandRefused("TestDomainRouteCommand", {"subject": {"messages": ["subject should not be empty"], "value": ""}})
        with self._lock:
            domain = self.get(name)
            routes = self._routes.get(domain.id, {})
            route = routes.get(address) or routes.get("*")
            answer: dict[str, Any] = {
                "matched": route is not None,
                "dryRun": dry_run is True,
                "domainStatus": domain.status,
                "mxRecordConfigured": domain.mx_record_configured,
            }
            if route is None:
                return answer
            answer["type"] = route.type
            if dry_run is True:
                answer["wouldDeliverTo"] = "configured outbound webhooks for this environment"
                answer["payload"] = {
                    "domain": {"id": domain.id, "name": domain.name, "data": _metadata(domain.data)},
                    "route": {"address": route.address, "data": _metadata(route.data)},
                    "mail": _test_mail(sender, subject, text, html, f"{route.address}@{domain.name}"),
                }
            else:
                answer["webhook"] = {"skipped": True, "latencyMs": 0}
            return answer

    # -- state export / import ------------------------------------------------------------------

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                domain.to_dto(records=False) | {"routes": [route.to_dto() for route in self._routes[domain.id].values()]}
                for domain in self._by_name.values()
            ]

    def restore(self, records: list[dict[str, Any]] | None) -> None:
        """Replace every domain by ``records`` (a ``snapshot()``; None empties the service), checking
        what create checks: unique names (lower-case) and one route per address of a domain."""
        by_name: dict[str, Domain] = {}
        routes: dict[str, dict[str, Route]] = {}
        for index, record in enumerate(records or []):
            where = f"domains.{index}"
            name = record["name"]
            if name != name.lower():
                raise Conflict(f"Domain name {name} must be lower-case, as Novu stores it")
            if name in by_name:
                raise Conflict(f"Domain name {name} is used twice; names must be unique")
            if record["_id"] in routes:
                raise Conflict(f"_id {record['_id']} is used by two domains; ids must be unique")
            check_data(record.get("data"), f"{where}.data")
            created_at = parse_time(record["createdAt"], f"{where}.createdAt")
            domain = Domain(
                id=record["_id"],
                name=name,
                status=record["status"],
                mx_record_configured=record["mxRecordConfigured"],
                dns_provider=record.get("dnsProvider"),
                data=_kept(record["data"]) if "data" in record else UNSET,
                environment_id=self.environment_id,
                organization_id=self.organization_id,
                created_at=created_at,
                updated_at=parse_time(record["updatedAt"], f"{where}.updatedAt"),
            )
            by_name[name] = domain
            routes[domain.id] = {}
            for position, item in enumerate(record.get("routes") or []):
                spot = f"{where}.routes.{position}"
                if item["address"] in routes[domain.id]:
                    raise Conflict(f"{spot}: the address {item['address']} has two routes on {name}")
                if item["type"] == "agent":
                    raise Conflict(f"{spot}: an agent route names an agent, and the mock keeps no agents")
                check_data(item.get("data"), f"{spot}.data")
                routes[domain.id][item["address"]] = Route(
                    id=item["_id"],
                    domain_id=domain.id,
                    address=item["address"],
                    type=item["type"],
                    destination=None,
                    data=_kept(item["data"]) if "data" in item else UNSET,
                    environment_id=self.environment_id,
                    organization_id=self.organization_id,
                    created_at=parse_time(item["createdAt"], f"{spot}.createdAt"),
                    updated_at=parse_time(item["updatedAt"], f"{spot}.updatedAt"),
                )
        with self._lock:
            self._by_name = by_name
            self._routes = routes


def _cursor_page(found: list[Any], query: CursorQuery, what: str) -> Page[Any]:
    """A page of Novu's domain and route lists: a cursor naming none of the listed records (in
    the environment, under the filters) answers an empty page counted 0, not an error."""
    cursor = query.before or query.after
    if cursor and not any(record.id == cursor for record in found):
        return Page(items=[], next=None, previous=None, total_count=0)
    return paginate(found, query, key=lambda record: record.id, sort_value=_sort_value, what=what)


def _kept(data: Any) -> Any:
    """A copy of sent ``data`` to keep (UNSET stays UNSET)."""
    return data if data is UNSET else clone(data)


def _metadata(data: Any) -> dict[str, str]:
    """Stored ``data`` as the webhook payload carries it (none or null: an empty object)."""
    return {} if data is UNSET or data is None else clone(data)


def _test_mail(sender: dict[str, Any], subject: str, text: str | None, html: str | None, to: str) -> dict[str, Any]:
    """The synthetic email Novu's route test builds (message id `novu-test-` and 12 nanoid characters)."""
    moment = now()
    message_id = "novu-test-" + "".join(secrets.choice(_NANOID_ALPHABET) for _ in range(12))
    return {
        "from": [{"address": sender["address"], "name": sender.get("name") or ""}],
        "to": [{"address": to, "name": ""}],
        "subject": subject,
        "html": html or "",
        "text": text or "",
        "headers": {
            "content-type": "text/plain; charset=utf-8",
            "from": sender["address"],
            "to": to,
            "subject": subject,
            "message-id": message_id,
            "date": format_datetime(moment, usegmt=True),
            "mime-version": "1.0",
        },
        "messageId": message_id,
        "date": iso(moment),
        "cc": [],
    }
