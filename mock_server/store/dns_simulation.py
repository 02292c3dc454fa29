"""The DNS the mock pretends to see, decided by a domain's name alone.

Novu answers verify, diagnose, auto-configure and the `dnsProvider` of a new domain from live
DNS lookups (MX, CNAME, NS, Domain Connect discovery). The mock reaches no DNS, so it reads the
answers off the name, the same for every call and every run:

===========================  =========================================================================
a name that ...              the mock's DNS answers
===========================  =========================================================================
ends with ``.invalid``       nothing at all (NXDOMAIN): no MX, no CNAME, no NS
has a label ``unverified``   no MX record (the domain stays ``pending``)
has a label ``wrong-mx``     one MX record, ``10 mx.<name>``, not Novu's mail server (stays ``pending``)
has a label ``low-priority`` Novu's MX at priority 20 and ``10 mx.<name>`` (verifies; diagnose warns)
has a label ``apex-cname``   a CNAME at the name besides Novu's MX (verifies; diagnose reports an error)
anything else                Novu's MX, ``10 <MAIL_SERVER_DOMAIN>`` (verifies)
===========================  =========================================================================

The name's DNS host (Novu's `dnsProvider`, found from NS records) is read off a label too: a label
``cloudflare`` is Cloudflare, ``vercel`` Vercel (both offer Domain Connect, so auto-configuration is
available), ``godaddy`` GoDaddy (Domain Connect, but not a host Novu supports), ``route53`` Amazon
Route 53 (no Domain Connect); any other name has no known host. Novu's mail server is listed on no
DNS blocklist.
"""

from __future__ import annotations

from dataclasses import dataclass

# Novu Cloud's inbound mail server (MAIL_SERVER_DOMAIN): the MX target domains must point to.
MAIL_SERVER_DOMAIN = "inbound-mail.novu.co"
MX_PRIORITY = 10


@dataclass(frozen=True, slots=True)
class MxRecord:
    priority: int
    exchange: str


@dataclass(frozen=True, slots=True)
class DnsHost:
    """A DNS host as the mock knows it: Novu's display name (None: not in Novu's NS list), its
    Domain Connect endpoint (None: it offers none) and the settings that endpoint publishes."""

    name: str | None
    domain_connect_host: str | None = None
    provider_id: str | None = None
    url_sync_ux: str | None = None


_HOSTS = {
    "cloudflare": DnsHost(
        "Cloudflare", "api.cloudflare.com", "cloudflare.com", "https://dash.cloudflare.com/domainconnect"
    ),
    "vercel": DnsHost("Vercel", "domainconnect.vercel.com", "vercel.com", "https://vercel.com/domain-connect"),
    "godaddy": DnsHost("GoDaddy", "domainconnect.godaddy.com", "godaddy.com", "https://dcc.godaddy.com/manage"),
    "route53": DnsHost("Amazon Route 53"),
}
# The Domain Connect hosts Novu accepts (its SUPPORTED_DOMAIN_CONNECT_HOSTS), with their names.
SUPPORTED_DOMAIN_CONNECT_HOSTS = {
    "api.cloudflare.com": "Cloudflare",
    "domainconnect.cloudflare.com": "Cloudflare",
    "domainconnect.vercel.com": "Vercel",
}


def _labels(name: str) -> list[str]:
    return name.lower().rstrip(".").split(".")


def resolves(name: str) -> bool:
    """Whether the name exists at all (``.invalid`` names never do)."""
    return _labels(name)[-1] != "invalid"


def mx_records(name: str) -> list[MxRecord]:
    """The MX records of ``name`` (empty: the lookup finds none)."""
    labels = _labels(name)
    if not resolves(name) or "unverified" in labels:
        return []
    if "wrong-mx" in labels:
        return [MxRecord(MX_PRIORITY, f"mx.{name}")]
    if "low-priority" in labels:
        return [MxRecord(MX_PRIORITY * 2, MAIL_SERVER_DOMAIN), MxRecord(MX_PRIORITY, f"mx.{name}")]
    return [MxRecord(MX_PRIORITY, MAIL_SERVER_DOMAIN)]


def mx_points_to_novu(name: str) -> bool:
    """What Novu's verify checks: one of the MX records targets Novu's mail server."""
    return any(record.exchange.lower() == MAIL_SERVER_DOMAIN for record in mx_records(name))


def has_apex_cname(name: str) -> bool:
    return resolves(name) and "apex-cname" in _labels(name)


def dns_host(name: str) -> DnsHost | None:
    """The host serving the name's NS records, when the mock knows one."""
    if not resolves(name):
        return None
    return next((host for label, host in _HOSTS.items() if label in _labels(name)), None)


def registrable_domain(name: str) -> str:
    """The zone Domain Connect is applied to: the last two labels (the mock keeps no public suffix list)."""
    return ".".join(_labels(name)[-2:])
