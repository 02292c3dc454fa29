"""Business rules of the Domains API (inbound email), checked black-box over HTTP against the target.

Each test names the Novu file (apps/api/src/app/domains/, 2026) whose behaviour it follows. Domain
names are random labels under ``.invalid`` (a name that never resolves, so a real Novu's DNS and the
mock's simulated DNS agree that it does not verify); every domain a test makes is deleted.
"""

from __future__ import annotations

import uuid

import pytest

from contract_tests.conftest import domain_name as _name


def test_create_answers_the_mx_record_and_stores_the_name_lower_case(client, domains) -> None:
    """usecases/create-domain/create-domain.usecase.ts, utils/dns-records.ts"""
    name = _name("Upper-")
    created = domains(name.upper(), data={"team": "support"})
    assert created["name"] == name.lower()
    assert (created["status"], created["mxRecordConfigured"]) == ("pending", False)
    assert created["data"] == {"team": "support"} and len(created["_id"]) == 24
    [record] = created["expectedDnsRecords"]
    assert (record["type"], record["name"], record["ttl"], record["priority"]) == ("MX", name.lower(), "Auto", 10)
    assert record["content"]
    fetched = client.get(f"/v1/domains/{name.upper()}").json()["data"]
    assert fetched["_id"] == created["_id"] and fetched["expectedDnsRecords"] == created["expectedDnsRecords"]


def test_a_name_taken_is_409_and_an_unknown_one_404(client, domains) -> None:
    """usecases/create-domain/create-domain.usecase.ts, usecases/domain-route.utils.ts"""
    created = domains()
    taken = client.post("/v1/domains", json={"name": created["name"]})
    assert taken.status_code == 409
    assert taken.json()["message"] == f'A domain with name "{created["name"]}" already exists.'
    missing = client.get(f"/v1/domains/{_name()}")
    assert missing.status_code == 404 and missing.json()["message"].endswith("not found.")


@pytest.mark.parametrize("name", ["under_score.example.com", "trailing.dot.com.", "nodot", "numeric.tld.123"])
def test_names_that_are_no_fqdn_are_refused(client, name) -> None:
    """dtos/create-domain.dto.ts (IsFQDN: require_tld, no underscores, no trailing dot, no numeric tld)"""
    response = client.post("/v1/domains", json={"name": name})
    assert response.status_code == 422, response.text


def test_update_replaces_data_and_list_filters_by_name(client, domains) -> None:
    """usecases/update-domain/update-domain.usecase.ts, usecases/get-domains/get-domains.usecase.ts"""
    created = domains(data={"a": "1", "b": "2"})
    updated = client.patch(f"/v1/domains/{created['name']}", json={"data": {"c": "3"}})
    assert updated.status_code == 200 and updated.json()["data"]["data"] == {"c": "3"}
    unchanged = client.patch(f"/v1/domains/{created['name']}", json={})
    assert unchanged.json()["data"]["data"] == {"c": "3"}
    page = client.get("/v1/domains", params={"name": created["name"], "limit": 10})
    assert page.status_code == 200
    body = page.json()
    assert {"data", "next", "previous", "totalCount", "totalCountCapped"} <= set(body)
    assert [d["name"] for d in body["data"]] == [created["name"]]


def test_data_over_the_bounds_is_422(client) -> None:
    """validators/bounded-record.validator.ts: 10 keys, 500 characters of keys and values"""
    too_many = client.post("/v1/domains", json={"name": _name(), "data": {f"k{i}": "v" for i in range(11)}})
    too_long = client.post("/v1/domains", json={"name": _name(), "data": {"k": "v" * 500}})
    assert (too_many.status_code, too_long.status_code) == (422, 422)


def test_a_domain_that_does_not_resolve_stays_pending_and_diagnose_says_why(client, domains) -> None:
    """usecases/verify-domain/verify-domain.usecase.ts, usecases/diagnose-domain/diagnose-domain.usecase.ts"""
    created = domains()
    verified = client.post(f"/v1/domains/{created['name']}/verify")
    assert verified.status_code == 200
    assert (verified.json()["data"]["status"], verified.json()["data"]["mxRecordConfigured"]) == ("pending", False)
    diagnosis = client.post(f"/v1/domains/{created['name']}/diagnose")
    assert diagnosis.status_code == 200
    report = diagnosis.json()["data"]
    assert report["ok"] is False
    statuses = {check["code"]: check["status"] for check in report["checks"]}
    assert statuses["mx_missing"] == "fail" and statuses["mx_wrong_target"] == "skipped"
    assert statuses["dnsbl_listed"] == "skipped"
    assert [issue["code"] for issue in report["issues"]] == ["mx_missing"]
    assert report["issues"][0]["message"] == f"No MX records were found for {created['name']}."


def test_auto_configure_always_lists_the_manual_records(client, domains) -> None:
    """usecases/get-domain-connect-status/get-domain-connect-status.usecase.ts"""
    created = domains()
    status = client.get(f"/v1/domains/{created['name']}/auto-configure")
    assert status.status_code == 200
    answer = status.json()["data"]
    assert answer["available"] is False and answer["reasonCode"]
    assert answer["manualRecords"] == created["expectedDnsRecords"]
    refused = client.post(f"/v1/domains/{created['name']}/auto-configure/start", json={})
    assert refused.status_code == 400


def test_routes_one_per_address_trimmed_and_lower_cased(client, domains) -> None:
    """dtos/domain-route.dto.ts, usecases/create-domain-route/create-domain-route.usecase.ts"""
    domain = domains()["name"]
    created = client.post(f"/v1/domains/{domain}/routes", json={"address": " Support ", "type": "webhook"})
    assert created.status_code == 201, created.text
    route = created.json()["data"]
    assert route["address"] == "support" and route["type"] == "webhook" and "agentId" not in route
    again = client.post(f"/v1/domains/{domain}/routes", json={"address": "SUPPORT", "type": "webhook"})
    assert again.status_code == 409
    assert again.json()["message"] == f'A route for "support@{domain}" already exists.'
    assert client.post(f"/v1/domains/{domain}/routes", json={"address": "a@b", "type": "webhook"}).status_code == 422
    listed = client.get(f"/v1/domains/{domain}/routes").json()
    assert [r["address"] for r in listed["data"]] == ["support"] and listed["totalCount"] == 1
    both = client.get(f"/v1/domains/{domain}/routes", params={"after": route["_id"], "before": route["_id"]})
    assert both.status_code == 400


def test_agent_routes_need_an_agent_id(client, domains) -> None:
    """usecases/domain-route.utils.ts (assertAgentDestination, resolveAgentIdentifier)"""
    domain = domains()["name"]
    bare = client.post(f"/v1/domains/{domain}/routes", json={"address": "bot", "type": "agent"})
    assert bare.status_code == 400 and bare.json()["message"] == "agentId is required for agent routes."
    unknown = client.post(f"/v1/domains/{domain}/routes",
                          json={"address": "bot", "type": "agent", "agentId": f"no-agent-{uuid.uuid4().hex[:8]}"})  # fmt: skip
    assert unknown.status_code == 404 and "not found" in unknown.json()["message"]


def test_route_update_delete_and_the_domain_takes_its_routes(client, domains) -> None:
    """usecases/update-domain-route, usecases/delete-domain-route, usecases/delete-domain"""
    domain = domains()["name"]
    client.post(f"/v1/domains/{domain}/routes", json={"address": "sales", "type": "webhook", "data": {"q": "1"}})
    updated = client.patch(f"/v1/domains/{domain}/routes/sales", json={"data": {"q": "2"}})
    assert updated.status_code == 200 and updated.json()["data"]["data"] == {"q": "2"}
    assert client.patch(f"/v1/domains/{domain}/routes/sales", json={"type": "agent"}).status_code == 400
    assert client.get(f"/v1/domains/{domain}/routes/nobody").status_code == 404
    assert client.delete(f"/v1/domains/{domain}/routes/sales").status_code == 204
    assert client.delete(f"/v1/domains/{domain}/routes/sales").status_code == 404
    client.post(f"/v1/domains/{domain}/routes", json={"address": "left", "type": "webhook"})
    assert client.delete(f"/v1/domains/{domain}").status_code == 204
    assert client.get(f"/v1/domains/{domain}/routes").status_code == 404


def test_route_test_matches_the_address_then_the_wildcard(client, domains) -> None:
    """usecases/test-domain-route/test-domain-route.usecase.ts"""
    domain = domains(data={"team": "x"})["name"]
    sender = {"address": "ada@example.com", "name": "Ada"}
    none = client.post(f"/v1/domains/{domain}/routes/sales/test", json={"from": sender, "subject": "Hi"})
    assert none.status_code == 200
    assert none.json()["data"] == {"matched": False, "dryRun": False, "domainStatus": "pending",
                                   "mxRecordConfigured": False}  # fmt: skip
    client.post(f"/v1/domains/{domain}/routes", json={"address": "*", "type": "webhook"})
    dry = client.post(f"/v1/domains/{domain}/routes/sales/test",
                      json={"from": sender, "subject": "Hi", "text": "Body", "dryRun": True}).json()["data"]  # fmt: skip
    assert dry["matched"] is True and dry["dryRun"] is True and dry["type"] == "webhook"
    payload = dry["payload"]
    assert payload["domain"]["name"] == domain and payload["domain"]["data"] == {"team": "x"}
    assert payload["route"]["address"] == "*"
    assert payload["mail"]["subject"] == "Hi" and payload["mail"]["from"] == [sender]
    assert payload["mail"]["messageId"].startswith("novu-test-")


def test_domains_are_not_visible_from_another_environment(client, other_client, domains) -> None:
    created = domains()
    assert other_client.get(f"/v1/domains/{created['name']}").status_code == 404
