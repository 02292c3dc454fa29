"""The mock's own checks of inbound-email domains: Novu's rules, the simulated DNS, the wire answers, state."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from mock_server.errors import BadRequest, Conflict, NotFound, ValidationFailed
from mock_server.store import Backend, Environment
from mock_server.store import dns_simulation as dns
from mock_server.store.cursor import CursorQuery


@pytest.fixture
def backend() -> Backend:
    return Backend(Environment("e" * 24, "Development", "o" * 24, "key"))


# -- the simulated DNS: one rule, verify / diagnose / auto-configure agree -------------------------


@pytest.mark.parametrize(
    ("name", "verified", "failing", "host"),
    [
        ("acme.dev", True, [], None),
        ("mail.cloudflare.acme.dev", True, [], "Cloudflare"),
        ("x.unverified.acme.dev", False, ["mx_missing"], None),
        ("nowhere.invalid", False, ["mx_missing"], None),
        ("in.wrong-mx.acme.dev", False, ["mx_wrong_target"], None),
        ("in.low-priority.acme.dev", True, ["mx_low_priority"], None),
        ("apex-cname.acme.dev", True, ["apex_cname_collision"], None),
        ("vercel.acme.dev", True, [], "Vercel"),
    ],
)
def test_verify_and_diagnose_read_the_same_simulated_dns(backend, name, verified, failing, host) -> None:
    created = backend.domains.create(name)
    assert (created.status, created.mx_record_configured, created.dns_provider) == ("pending", False, host)
    answer = backend.domains.verify(name)
    assert answer["status"] == ("verified" if verified else "pending")
    assert answer["mxRecordConfigured"] is verified
    diagnosis = backend.domains.diagnose(name)
    assert [c["code"] for c in diagnosis["checks"]] == [
        "mx_missing", "mx_wrong_target", "mx_low_priority", "apex_cname_collision", "dnsbl_listed"]  # fmt: skip
    assert [c["code"] for c in diagnosis["checks"] if c["status"] == "fail"] == failing
    assert [i["code"] for i in diagnosis["issues"]] == failing
    errors = [i for i in diagnosis["issues"] if i["severity"] == "error"]
    assert diagnosis["ok"] is not errors
    # a verified domain has an MX record to Novu's server, as diagnose sees it too
    assert ("mx_wrong_target" not in failing and "mx_missing" not in failing) is verified


def test_diagnose_skips_what_depends_on_a_missing_mx_record(backend) -> None:
    backend.domains.create("x.unverified.acme.dev")
    statuses = {c["code"]: c["status"] for c in backend.domains.diagnose("x.unverified.acme.dev")["checks"]}
    assert statuses == {"mx_missing": "fail", "mx_wrong_target": "skipped", "mx_low_priority": "skipped",
                        "apex_cname_collision": "pass", "dnsbl_listed": "skipped"}  # fmt: skip
    issue = backend.domains.diagnose("x.unverified.acme.dev")["issues"][0]
    assert issue["message"] == "No MX records were found for x.unverified.acme.dev."
    assert dns.MAIL_SERVER_DOMAIN in issue["fix"]


def test_low_priority_is_a_warning_and_leaves_the_diagnosis_ok(backend) -> None:
    backend.domains.create("in.low-priority.acme.dev")
    diagnosis = backend.domains.diagnose("in.low-priority.acme.dev")
    assert diagnosis["ok"] is True and diagnosis["issues"][0]["severity"] == "warn"


def test_verify_demotes_nothing_it_cannot_see_and_keeps_the_answer_time_of_the_read(backend) -> None:
    domain = backend.domains.create("acme.dev")
    before = domain.updated_at
    answer = backend.domains.verify("ACME.dev")
    assert answer["updatedAt"] == backend.domains.get("acme.dev").to_dto()["createdAt"]
    assert backend.domains.get("acme.dev").updated_at >= before
    again = backend.domains.verify("acme.dev")
    assert again["status"] == "verified" and again["updatedAt"] == backend.domains.get("acme.dev").to_dto()["updatedAt"]


# -- domains --------------------------------------------------------------------------------------


def test_names_are_stored_lower_case_and_unique(backend) -> None:
    created = backend.domains.create("Mail.ACME.dev", {"team": "support"})
    assert created.name == "mail.acme.dev"
    with pytest.raises(Conflict, match='A domain with name "mail.acme.dev" already exists.'):
        backend.domains.create("MAIL.acme.DEV")
    assert backend.domains.get("MAIL.ACME.DEV") is created
    with pytest.raises(NotFound, match='Domain "other.dev" not found.'):
        backend.domains.get("Other.dev")


@pytest.mark.parametrize(
    "data",
    [{f"k{i}": "v" for i in range(11)}, {"k": "v" * 500}, {"a" * 250: "b" * 251}],
)
def test_data_is_bounded_as_novu_bounds_it(backend, data) -> None:
    with pytest.raises(ValidationFailed) as refused:
        backend.domains.create("acme.dev", data)
    assert "at most 10 string keys" in refused.value.errors["data"]["messages"][0]
    assert backend.domains.all() == []
    backend.domains.create("acme.dev", {"a" * 250: "b" * 250})


def test_update_replaces_data_and_without_data_changes_nothing(backend) -> None:
    domain = backend.domains.create("acme.dev", {"a": "1", "b": "2"})
    stamp = domain.updated_at
    assert backend.domains.update("acme.dev").updated_at == stamp
    assert backend.domains.update("acme.dev", {"c": "3"}).data == {"c": "3"}
    assert backend.domains.update("acme.dev", None).to_dto()["data"] is None


def test_delete_takes_the_routes_with_it(backend) -> None:
    backend.domains.create("acme.dev")
    backend.domains.create_route("acme.dev", address="support", type="webhook")
    backend.domains.delete("acme.dev")
    backend.domains.create("acme.dev")
    assert backend.domains.routes("acme.dev", CursorQuery()).items == []


def test_list_filters_by_name_and_pages_by_cursor(backend) -> None:
    for name in ("a.acme.dev", "b.acme.dev", "c.other.dev"):
        backend.domains.create(name)
    assert [d.name for d in backend.domains.list(CursorQuery(order_by="_id", order_direction="ASC"), name="ACME").items] == [
        "a.acme.dev", "b.acme.dev"]  # fmt: skip
    first = backend.domains.list(CursorQuery(limit=2, order_by="_id", order_direction="DESC"))
    assert [d.name for d in first.items] == ["c.other.dev", "b.acme.dev"] and first.total_count == 3
    second = backend.domains.list(CursorQuery(limit=2, order_by="_id", after=first.next))
    assert [d.name for d in second.items] == ["a.acme.dev"] and second.next is None


# -- routes ---------------------------------------------------------------------------------------


def test_route_addresses_are_trimmed_lower_cased_and_unique_per_domain(backend) -> None:
    backend.domains.create("acme.dev")
    backend.domains.create("other.dev")
    route = backend.domains.create_route("acme.dev", address="  Support ", type="webhook")
    assert route.address == "support"
    with pytest.raises(Conflict, match='A route for "support@acme.dev" already exists.'):
        backend.domains.create_route("ACME.dev", address="SUPPORT", type="webhook")
    backend.domains.create_route("other.dev", address="support", type="webhook")  # another domain: fine


def test_agent_routes_need_an_agent_and_the_mock_keeps_none(backend) -> None:
    backend.domains.create("acme.dev")
    with pytest.raises(BadRequest, match="agentId is required for agent routes."):
        backend.domains.create_route("acme.dev", address="bot", type="agent")
    with pytest.raises(NotFound, match='Agent with identifier "helper" not found.'):
        backend.domains.create_route("acme.dev", address="bot", type="agent", agent_id="helper")
    backend.domains.create_route("acme.dev", address="hooks", type="webhook", agent_id="ignored")
    assert backend.domains.route("acme.dev", "hooks").destination is None
    with pytest.raises(BadRequest, match="agentId is required for agent routes."):
        backend.domains.update_route("acme.dev", "hooks", type="agent")
    with pytest.raises(NotFound, match="Agent with identifier"):
        backend.domains.routes("acme.dev", CursorQuery(), agent_id="helper")


def test_route_update_with_nothing_changes_nothing(backend) -> None:
    backend.domains.create("acme.dev")
    route = backend.domains.create_route("acme.dev", address="support", type="webhook", data={"q": "1"})
    stamp = route.updated_at
    assert backend.domains.update_route("acme.dev", "support").updated_at == stamp
    assert backend.domains.update_route("acme.dev", "support", data={"q": "2"}).data == {"q": "2"}
    with pytest.raises(NotFound, match='Route "nobody@acme.dev" not found.'):
        backend.domains.update_route("acme.dev", "nobody", data={})


def test_listing_routes_with_both_cursors_is_400(backend) -> None:
    backend.domains.create("acme.dev")
    with pytest.raises(BadRequest, match='Cannot specify both "before" and "after"'):
        backend.domains.routes("acme.dev", CursorQuery(after="a" * 24, before="b" * 24))


def test_route_test_prefers_the_address_then_the_wildcard(backend) -> None:
    backend.domains.create("acme.dev", {"team": "x"})
    sender = {"address": "ada@example.com", "name": "Ada"}
    missing = backend.domains.test_route("acme.dev", "sales", sender=sender, subject="Hi")
    assert missing == {"matched": False, "dryRun": False, "domainStatus": "pending", "mxRecordConfigured": False}
    backend.domains.create_route("acme.dev", address="*", type="webhook", data={"catch": "all"})
    dry = backend.domains.test_route("acme.dev", "sales", sender=sender, subject="Hi", text="Body", dry_run=True)
    assert dry["matched"] and dry["type"] == "webhook"
    payload = dry["payload"]
    assert payload["route"] == {"address": "*", "data": {"catch": "all"}}
    assert payload["domain"]["data"] == {"team": "x"}
    mail = payload["mail"]
    assert mail["to"] == [{"address": "*@acme.dev", "name": ""}] and mail["from"] == [sender]
    assert mail["text"] == "Body" and mail["html"] == "" and mail["messageId"].startswith("novu-test-")
    assert mail["headers"]["message-id"] == mail["messageId"] and len(mail["messageId"]) == len("novu-test-") + 12
    backend.domains.create_route("acme.dev", address="sales", type="webhook")
    sent = backend.domains.test_route("acme.dev", "sales", sender=sender, subject="Hi")
    assert sent["webhook"] == {"skipped": True, "latencyMs": 0} and "payload" not in sent


# -- Domain Connect ---------------------------------------------------------------------------------


def test_auto_configure_follows_the_dns_host(backend) -> None:
    for name in ("mail.cloudflare.acme.dev", "godaddy.acme.dev", "acme.dev"):
        backend.domains.create(name)
    available = backend.domains.auto_configure_status("mail.cloudflare.acme.dev")
    assert available["available"] is True and available["providerName"] == "Cloudflare"
    assert available["manualRecords"] == [
        {"type": "MX", "name": "mail.cloudflare.acme.dev", "content": dns.MAIL_SERVER_DOMAIN, "ttl": "Auto", "priority": 10}]  # fmt: skip
    assert backend.domains.auto_configure_status("godaddy.acme.dev")["reasonCode"] == "unsupported_provider"
    assert backend.domains.auto_configure_status("acme.dev")["reasonCode"] == "discovery_not_configured"
    with pytest.raises(BadRequest, match="not available for this DNS provider"):
        backend.domains.auto_configure_start("godaddy.acme.dev")


def test_auto_configure_start_builds_the_apply_url(backend) -> None:
    domain = backend.domains.create("mail.cloudflare.acme.dev")
    started = backend.domains.auto_configure_start("mail.cloudflare.acme.dev")
    assert started["providerName"] == "Cloudflare"
    assert started["redirectUri"] == (
        "https://dashboard.novu.co/domains/mail.cloudflare.acme.dev?domainConnect=submitted&domain=mail.cloudflare.acme.dev")
    url = urlsplit(started["applyUrl"])
    assert url.path.endswith("/v2/domainTemplates/providers/novu.co/services/inbound-email/apply")
    query = parse_qs(url.query)
    assert query["domain"] == ["acme.dev"] and query["host"] == ["mail.cloudflare"]
    assert query["mailServerDomain"] == [dns.MAIL_SERVER_DOMAIN] and query["key"] == ["_dck1"] and query["sig"]
    assert query["redirect_uri"] == [started["redirectUri"]]
    assert domain.id in __import__("base64").urlsafe_b64decode(query["state"][0] + "==").decode()
    asked = backend.domains.auto_configure_start("mail.cloudflare.acme.dev", "https://dashboard.novu.co/x?from={domainId}")
    assert asked["redirectUri"].startswith(f"https://dashboard.novu.co/x?from={domain.id}&domainConnect=submitted")
    with pytest.raises(BadRequest, match="Domain Connect redirect URI origin is not allowed."):
        backend.domains.auto_configure_start("mail.cloudflare.acme.dev", "http://localhost:3000/back")


# -- state --------------------------------------------------------------------------------------------


def test_snapshot_and_restore_keep_domains_and_routes(backend) -> None:
    backend.domains.create("acme.dev", {"a": "b"})
    backend.domains.verify("acme.dev")
    backend.domains.create_route("acme.dev", address="*", type="webhook")
    snapshot = backend.domains.snapshot()
    other = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    other.domains.restore(snapshot)
    assert other.domains.snapshot() == snapshot
    with pytest.raises(Conflict):
        other.domains.restore(snapshot + snapshot)
    assert other.domains.snapshot() == snapshot, "a refused document changes nothing"


# -- over HTTP ------------------------------------------------------------------------------------------


def test_http_answers_envelopes_and_statuses(client) -> None:
    created = client.post("/v1/domains", json={"name": "Inbound.Acme.dev", "data": {"team": "x"}})
    assert created.status_code == 201
    assert created.json()["data"]["expectedDnsRecords"][0]["content"] == dns.MAIL_SERVER_DOMAIN
    assert client.post("/v1/domains", json={"name": "inbound.acme.dev"}).status_code == 409
    page = client.get("/v1/domains", params={"name": "acme"}).json()
    assert set(page) == {"data", "next", "previous", "totalCount", "totalCountCapped"}  # not wrapped again
    assert [d["name"] for d in page["data"]] == ["inbound.acme.dev"] and "expectedDnsRecords" not in page["data"][0]
    verified = client.post("/v1/domains/inbound.acme.dev/verify")
    assert verified.status_code == 200 and verified.json()["data"]["status"] == "verified"
    assert client.post("/v1/domains/inbound.acme.dev/diagnose").status_code == 200
    route = client.post("/v1/domains/inbound.acme.dev/routes", json={"address": "Support", "type": "webhook"})
    assert route.status_code == 201 and route.json()["data"]["address"] == "support"
    tested = client.post("/v1/domains/inbound.acme.dev/routes/support/test",
                         json={"from": {"address": "ada@example.com"}, "subject": "Hi", "dryRun": True})  # fmt: skip
    assert tested.status_code == 200 and tested.json()["data"]["matched"] is True
    assert client.delete("/v1/domains/inbound.acme.dev/routes/support").status_code == 204
    assert client.get("/v1/domains/inbound.acme.dev/routes/support").status_code == 404
    assert client.delete("/v1/domains/inbound.acme.dev").status_code == 204


@pytest.mark.parametrize(
    "body",
    [{"name": "bad_name.com"}, {"name": "acme.dev."}, {"name": "localhost"}, {"name": "acme.123"},
     {"name": "-acme.dev"}, {"name": "*.acme.dev"}, {},
     # the names Novu's e2e (domains.e2e-ee.ts) refuses
     {"name": ""}, {"name": "https://novu.co"}, {"name": "novu.co/path"}, {"name": "novu-.co"}, {"name": "novu.c"}],
)
def test_names_novu_does_not_take_as_fqdn_are_422(client, body) -> None:
    """dtos/create-domain.dto.ts (IsFQDN), e2e/domains.e2e-ee.ts"""
    response = client.post("/v1/domains", json=body)
    assert response.status_code == 422, response.text
    assert "name" in response.json()["errors"]


@pytest.mark.parametrize(
    "address", ["a@b", "a" * 65, "two words", "dot.", "", ".hello", "hello..there", "support@acme.dev"]
)
def test_route_addresses_that_are_no_local_part_are_422(client, address) -> None:
    """validators/email-local-part.validator.ts, e2e/domain-routes.e2e-ee.ts"""
    client.post("/v1/domains", json={"name": "acme.dev"})
    response = client.post("/v1/domains/acme.dev/routes", json={"address": address, "type": "webhook"})
    assert response.status_code == 422, response.text


def test_domains_are_isolated_per_environment(client, other_client) -> None:
    assert client.post("/v1/domains", json={"name": "private.acme.dev"}).status_code == 201
    assert other_client.get("/v1/domains/private.acme.dev").status_code == 404
    assert "private.acme.dev" not in [d["name"] for d in other_client.get("/v1/domains").json()["data"]]


def test_fixtures_seed_a_verified_domain_with_a_route(client) -> None:
    domains = {d["name"]: d for d in client.get("/v1/domains", params={"limit": 100}).json()["data"]}
    verified = [d for d in domains.values() if d["status"] == "verified"]
    assert len(verified) == 1 and any(d["status"] == "pending" for d in domains.values())
    routes = client.get(f"/v1/domains/{verified[0]['name']}/routes").json()["data"]
    assert [r["address"] for r in routes] == ["support"]


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("  https://Dashboard.NOVU.co:443/a?q=1 ", ("https", "dashboard.novu.co", None)),
        ("https:\\\\dashboard.novu.co/x", ("https", "dashboard.novu.co", None)),
        ("http://LOCALHOST:3000/x", ("http", "localhost", 3000)),
        ("http://127.1/", ("http", "127.0.0.1", None)),
        ("http://0x7f.0.0.1:80/", ("http", "127.0.0.1", None)),
        ("https://bücher.de/", ("https", "xn--bcher-kva.de", None)),
        ("http://[::1]/", ("http", "[::1]", None)),
    ],
)
def test_urls_are_read_as_the_whatwg_parser_reads_them(value, origin) -> None:
    from mock_server.store.whatwg_url import parse_http_url

    assert parse_http_url(value).origin == origin


@pytest.mark.parametrize(
    "value", ["notaurl", "ftp://x/", "https://a<b/", "https://:80/", "https://h:99999/", "https://1.2.3.256/", "https://a.0x/"]
)
def test_what_the_whatwg_parser_refuses_is_no_url(value) -> None:
    from mock_server.store.whatwg_url import parse_http_url

    assert parse_http_url(value) is None


def test_domain_names_are_unique_across_environments_through_the_api_only() -> None:
    """Novu's findByName has no environment filter; fixtures of two environments may still share a name."""
    from mock_server.store import Backends

    backends = Backends({"key-dev": "Development", "key-prod": "Production"})
    first, second = backends.backend_for_key("key-dev"), backends.backend_for_key("key-prod")
    first.domains.create("shared.acme.dev", everywhere=True)
    with pytest.raises(Conflict, match='A domain with name "shared.acme.dev" already exists.'):
        second.domains.create("Shared.ACME.dev", everywhere=True)
    second.domains.create("shared.acme.dev")  # a fixture's name is not checked elsewhere
