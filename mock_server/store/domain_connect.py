"""Domain Connect (a domain's DNS auto-configuration), with the rules of Novu's use cases
GetDomainConnectStatus and CreateDomainConnectApplyUrl (apps/api/src/app/domains, 2026), Domain
Connect turned on and configured. The DNS host a domain has is read off its name
(``dns_simulation``); split from ``domains.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from mock_server.errors import BadRequest, ValidationFailed, field_error
from mock_server.store import dns_simulation as dns
from mock_server.store.ids import now
from mock_server.store.whatwg_url import parse_http_url

# Where Novu's dashboard takes the user back after a Domain Connect flow (DASHBOARD_URL/domains/{domain}).
DASHBOARD_URL = "https://dashboard.novu.co"
DOMAIN_CONNECT_PROVIDER_ID = "novu.co"
DOMAIN_CONNECT_SERVICE_ID = "inbound-email"
DOMAIN_CONNECT_KEY_HOST = "_dck1"
# The mock cannot sign with Novu's private key; its `sig` is an HMAC-SHA256 with this key instead.
_SIGNING_KEY = b"novu-mock-domain-connect"


def expected_dns_records(name: str) -> list[dict[str, Any]]:
    """The records a domain needs: an MX record to Novu's inbound mail server."""
    return [{"type": "MX", "name": name, "content": dns.MAIL_SERVER_DOMAIN, "ttl": "Auto", "priority": dns.MX_PRIORITY}]


def check_redirect_uri(value: str | None) -> None:
    """Novu's IsDomainConnectRedirectUrl: `new URL(value)` parses, as https, or as http on the
    host localhost or 127.0.0.1 (null and absent pass: IsOptional)."""
    if value is None:
        return
    url = parse_http_url(value)
    if url is None or (url.scheme == "http" and url.host not in ("localhost", "127.0.0.1")):
        message = "redirectUri must be an HTTPS URL, or HTTP only for localhost/127.0.0.1."
        raise ValidationFailed(field_error("redirectUri", message, value))


def status(name: str) -> dict[str, Any]:
    """Novu's GetDomainConnectStatus for the domain ``name``."""
    answer: dict[str, Any] = {"available": False, "manualRecords": expected_dns_records(name)}
    host = dns.dns_host(name)
    if host is None or host.domain_connect_host is None:
        return answer | {
            "reason": "Domain Connect discovery is not configured for this DNS provider.",
            "reasonCode": "discovery_not_configured",
        }
    supported = dns.SUPPORTED_DOMAIN_CONNECT_HOSTS.get(host.domain_connect_host)
    if supported is None:
        return answer | {
            "reason": "Domain Connect auto-configuration currently supports Cloudflare and Vercel.",
            "reasonCode": "unsupported_provider",
        }
    return {"available": True, "providerName": host.name, "providerId": host.provider_id,
            "manualRecords": answer["manualRecords"]}  # fmt: skip


def apply_url(name: str, domain_id: str, environment_id: str, organization_id: str,
              redirect_uri: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Novu's CreateDomainConnectApplyUrl: the provider's apply URL for Novu's template."""
    host = dns.dns_host(name)
    if host is None or host.domain_connect_host not in dns.SUPPORTED_DOMAIN_CONNECT_HOSTS:
        raise BadRequest("Domain Connect auto-configuration is not available for this DNS provider.")
    ids = {"{domain}": name, "{domainId}": domain_id, "{environmentId}": environment_id,
           "{organizationId}": organization_id}  # fmt: skip
    redirect = _redirect_uri(name, ids, redirect_uri)
    zone = dns.registrable_domain(name)
    params = [("domain", zone)]
    if name != zone and name.endswith(f".{zone}"):
        params.append(("host", name[: -len(zone) - 1]))
    state = json.dumps({"domainId": domain_id, "environmentId": environment_id, "organizationId": organization_id,
                        "timestamp": int(now().timestamp() * 1000)}, separators=(",", ":"))  # fmt: skip
    params += [("mailServerDomain", dns.MAIL_SERVER_DOMAIN), ("redirect_uri", redirect),
               ("state", base64.urlsafe_b64encode(state.encode()).decode().rstrip("="))]  # fmt: skip
    signature = base64.b64encode(hmac.new(_SIGNING_KEY, _form(params).encode(), hashlib.sha256).digest()).decode()
    key = ("key", DOMAIN_CONNECT_KEY_HOST)
    params += [key, ("sig", signature)] if host.name == "Cloudflare" else [("sig", signature), key]
    base = (f"{host.url_sync_ux}/v2/domainTemplates/providers/{DOMAIN_CONNECT_PROVIDER_ID}"
            f"/services/{DOMAIN_CONNECT_SERVICE_ID}/apply")  # fmt: skip
    return {"applyUrl": f"{base}?{_form(params)}", "providerName": host.name, "redirectUri": redirect}


def _redirect_uri(name: str, ids: dict[str, str], requested: str | None) -> str:
    """Novu's buildRedirectUri: the dashboard's page of the domain, or the requested URL when it
    has the dashboard's origin (read as `new URL` reads it), with
    `domainConnect=submitted&domain=<name>` set."""

    def placeholders(value: str) -> str:
        for token, replacement in ids.items():
            value = value.replace(token, replacement)
        return value

    configured = parse_http_url(placeholders(f"{DASHBOARD_URL}/domains/{{domain}}"))
    wanted = parse_http_url(placeholders(requested)) if requested else configured
    if wanted is None or configured is None:
        raise BadRequest("Invalid URL")  # what `new URL` throws
    if wanted.origin != configured.origin:
        raise BadRequest("Domain Connect redirect URI origin is not allowed.")
    split = urlsplit(wanted.href())
    kept = parse_qsl(split.query, keep_blank_values=True)
    query = [(k, v) for k, v in kept if k not in ("domainConnect", "domain")]
    query += [("domainConnect", "submitted"), ("domain", name)]
    return urlunsplit((split.scheme, split.netloc, split.path or "/", _form(query), split.fragment))


def _form(params: list[tuple[str, str]]) -> str:
    """Form encoding as the WHATWG URLSearchParams writes it (only `*-._` and alphanumerics stay)."""

    def encode(value: str, safe: str, encoding: str | None, errors: str | None) -> str:
        return quote(value, safe="*").replace("%20", "+").replace("~", "%7E")

    return urlencode(params, quote_via=encode)
