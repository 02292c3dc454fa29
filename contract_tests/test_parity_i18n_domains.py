"""Parity with Novu's server code for the Translations (v2) and Domains (inbound email) operations:
one rule of Novu per test, black-box over HTTP, so it runs against the mock and against a real
Novu alike. Rules already pinned by ``test_translations.py`` and ``test_domains.py`` are not
repeated here.

Each docstring names the file of ``novuhq/novu`` that shows the rule, read in its newest stored
version (2026; ``apps/api/src/app/domains/...`` at the commit given, or the end-to-end tests of
``apps/api/src/app/translations/e2e/v2/`` where the translation code lives in Novu's enterprise
package). Domain names are random labels under ``.invalid``, which never resolves, so a real
Novu's DNS and the mock's simulated DNS agree; everything a test makes starts with ``contract-``
and is deleted when the test ends.
"""

from __future__ import annotations

import json
import uuid

import pytest

from contract_tests.conftest import domain_name as _name

PREFIX = "contract-pi18n-"
SENDER = {"address": "ada@example.com"}
DOMAIN_FIELDS = {"_id", "name", "status", "mxRecordConfigured", "_environmentId", "_organizationId", "createdAt", "updatedAt"}
ROUTE_FIELDS = {"_id", "_domainId", "address", "type", "_environmentId", "_organizationId", "createdAt", "updatedAt"}
REDIRECT_REFUSAL = "redirectUri must be an HTTPS URL, or HTTP only for localhost/127.0.0.1."


def _tag() -> str:
    return uuid.uuid4().hex[:10]


def _route(client, domain: str, body: dict):
    return client.post(f"/v1/domains/{domain}/routes", json=body)


def _test(client, domain: str, address: str, body: dict):
    return client.post(f"/v1/domains/{domain}/routes/{address}/test", json=body)


# -- domains: input rules ----------------------------------------------------------------------


def test_a_null_data_is_stored_and_answered_as_null(client, domains) -> None:
    """dtos/create-domain.dto.ts (data @IsOptional: null passes) and
    usecases/create-domain/create-domain.usecase.ts (@b26edd1c: `data` is written whenever it is
    not undefined), mappers/domain-response.mapper.ts (copies it)."""
    created = domains(data=None)
    assert "data" in created and created["data"] is None
    assert client.get(f"/v1/domains/{created['name']}").json()["data"]["data"] is None


def test_an_update_with_a_null_data_clears_it(client, domains) -> None:
    """usecases/update-domain/update-domain.usecase.ts (@b9c733bd): `command.data === undefined`
    alone leaves the domain as it is; null is $set."""
    name = domains(data={"team": "a"})["name"]
    cleared = client.patch(f"/v1/domains/{name}", json={"data": None})
    assert cleared.status_code == 200 and cleared.json()["data"]["data"] is None


def test_a_domain_made_without_data_or_known_host_has_no_such_fields(client, domains) -> None:
    """mappers/domain-response.mapper.ts (@f47508b1): `dnsProvider` and `data` are copied as they
    are, so undefined ones are left out; only create, read, update and verify add
    `expectedDnsRecords`."""
    created = domains()
    assert set(created) == DOMAIN_FIELDS | {"expectedDnsRecords"}
    listed = client.get("/v1/domains", params={"name": created["name"]}).json()["data"]
    assert [set(item) for item in listed] == [DOMAIN_FIELDS]


@pytest.mark.parametrize("label", ["b\u00fccher-", "\u4f8b\u3048-", "\u00c9t\u00e9-"])
def test_names_in_any_script_are_fqdns_and_lower_cased(client, domains, label) -> None:
    """dtos/create-domain.dto.ts (@176db923: IsFQDN; validator.js takes letters of any script,
    `[a-z\\u00a1-\\uffff0-9-]`, in a label) and create-domain.usecase.ts (`toLowerCase`)."""
    name = _name(label)
    created = domains(name.upper() if label.isascii() else name)
    assert created["name"] == name.lower()


def test_an_upper_case_punycode_tld_is_taken(client, domains) -> None:
    """dtos/create-domain.dto.ts: validator.js's IsFQDN tests the TLD against
    `/^([a-z...]{2,}|xn[a-z0-9-]{2,})$/i`, case-free."""
    name = f"contract-{_tag()}.XN--P1AI"
    assert domains(name)["name"] == name.lower()


@pytest.mark.parametrize(
    "name",
    [
        f"contract-\uff41{uuid.uuid4().hex[:6]}.invalid",  # full-width ASCII
        f"contract-{'x' * 60}.invalid",  # a label of 69 characters
        f"-contract-{uuid.uuid4().hex[:6]}.invalid",  # a label starting with a hyphen
        f"contract-{uuid.uuid4().hex[:6]}-.invalid",  # ... or ending with one
        "contract.c0m",  # a TLD with a digit
        "contract.i",  # a TLD of one letter
        "contract.b-c",  # a TLD with a hyphen
        "contract.example.com\u00a0",  # a space (U+00A0) in the TLD
        "",
    ],
)
def test_names_that_break_an_isfqdn_rule_are_422(client, name) -> None:
    """dtos/create-domain.dto.ts (@176db923: IsNotEmpty, IsFQDN with require_tld, no numeric
    TLD; validator.js: labels at most 63, no full-width characters, no hyphen at either end)."""
    response = client.post("/v1/domains", json={"name": name})
    assert response.status_code == 422, (name, response.text)


@pytest.mark.parametrize("data", [["a"], {"k": 1}, {"k": None}, "text"])
def test_data_must_be_an_object_of_strings(client, data) -> None:
    """validators/bounded-record.validator.ts (@97f83d2a: an object, not an array, every value a
    string)."""
    assert client.post("/v1/domains", json={"name": _name(), "data": data}).status_code == 422


def test_data_of_ten_keys_and_500_characters_is_taken(client, domains) -> None:
    """validators/bounded-record.validator.ts: at most 10 keys and at most 500 characters of keys
    and values together (both bounds included)."""
    data = {f"k{i}": "v" * 48 for i in range(10)}  # 10 keys, 20 + 480 = 500 characters
    assert domains(data=data)["data"] == data


def test_a_second_delete_of_a_domain_is_404(client, domains) -> None:
    """usecases/delete-domain/delete-domain.usecase.ts and domain-route.utils.ts (resolveDomainName:
    `Domain "<name>" not found.`, the name lower-cased)."""
    name = domains()["name"]
    assert client.delete(f"/v1/domains/{name.upper()}").status_code == 204
    again = client.delete(f"/v1/domains/{name.upper()}")
    assert again.status_code == 404 and again.json()["message"] == f'Domain "{name}" not found.'


def test_a_domain_name_is_unique_across_environments(client, other_client, domains) -> None:
    """usecases/create-domain/create-domain.usecase.ts (@b26edd1c) with
    libs/dal/src/repositories/domain/domain.repository.ts (@6e53d6af, findByName: no environment
    filter) and domain.schema.ts (a unique index on `name`): another environment's name is 409."""
    name = domains()["name"]
    taken = other_client.post("/v1/domains", json={"name": name.upper()})
    assert taken.status_code == 409 and taken.json()["message"] == f'A domain with name "{name}" already exists.'
    assert other_client.get(f"/v1/domains/{name}").status_code == 404


def test_a_cursor_naming_no_domain_answers_an_empty_page(client, domains) -> None:
    """libs/dal/src/repositories/domain/domain.repository.ts (@6e53d6af, listDomains): the cursor
    is looked up under the filters first; none is `data: []`, totalCount 0, not an error."""
    made = domains()
    for params in ({"after": "507f1f77bcf86cd799439011"}, {"before": "507f1f77bcf86cd799439011"},
                   {"after": made["_id"], "name": f"contract-none-{_tag()}"}):  # fmt: skip
        page = client.get("/v1/domains", params=params)
        assert page.status_code == 200, (params, page.text)
        assert page.json() == {"data": [], "next": None, "previous": None, "totalCount": 0, "totalCountCapped": False}


def test_verify_answers_200_with_the_dns_records(client, domains) -> None:
    """domains.controller.ts (@44d25c8d: verify is @HttpCode(OK)) and
    usecases/verify-domain/verify-domain.usecase.ts (a name with no MX stays pending; the answer
    carries `expectedDnsRecords`)."""
    created = domains()
    verified = client.post(f"/v1/domains/{created['name']}/verify")
    assert verified.status_code == 200
    answer = verified.json()["data"]
    assert answer["status"] == "pending" and answer["expectedDnsRecords"] == created["expectedDnsRecords"]
    assert answer["updatedAt"] == created["updatedAt"]


# -- routes: input rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "stored"),
    [("\u00a0Help\u3000", "help"), ("\ufeffsales\u2028", "sales"), ("\u212aing", "king"), (" * ", "*")],
)
def test_addresses_are_trimmed_and_lower_cased_as_javascript_does(client, domains, sent, stored) -> None:
    """dtos/domain-route.dto.ts (@97f83d2a: @Transform `value.trim().toLowerCase()`; JavaScript's
    trim takes every Unicode space, and the Kelvin sign lower-cases to `k`), then
    validators/email-local-part.validator.ts."""
    domain = domains()["name"]
    created = _route(client, domain, {"address": sent, "type": "webhook"})
    assert created.status_code == 201, created.text
    assert created.json()["data"]["address"] == stored


@pytest.mark.parametrize(
    ("address", "status"),
    [("a" * 64, 201), ("a" * 65, 422), ("a..b", 422), (".a", 422), ("a.", 422), ('"quoted"', 422),
     ("a b", 422), ("sales+vip.x", 201), ("!#$%&'*+/=?^_`{|}~-", 201), ("\u00e9t\u00e9", 422)],
)  # fmt: skip
def test_the_local_part_rules(client, domains, address, status) -> None:
    """validators/email-local-part.validator.ts (@0e6954db: `*`, or 1 to 64 characters of
    `[a-z0-9!#$%&'*+/=?^_\\`{|}~-]` in dot-separated runs, no `@`)."""
    domain = domains()["name"]
    assert _route(client, domain, {"address": address, "type": "webhook"}).status_code == status, address


def test_a_webhook_route_ignores_an_agent_id(client, domains) -> None:
    """usecases/create-domain-route/create-domain-route.usecase.ts (@3d9b6cf7): the agent is
    looked up and stored only for `type: agent`."""
    domain = domains()["name"]
    created = _route(client, domain, {"address": "hooks", "type": "webhook", "agentId": f"contract-nobody-{_tag()}"})
    assert created.status_code == 201 and set(created.json()["data"]) == ROUTE_FIELDS


def test_null_optional_route_fields_are_taken(client, domains) -> None:
    """dtos/domain-route.dto.ts (agentId and data @IsOptional) and create-domain-route.usecase.ts
    (`data` written whenever it is not undefined; a null agentId on a webhook route is unused)."""
    domain = domains()["name"]
    created = _route(client, domain, {"address": "nulls", "type": "webhook", "agentId": None, "data": None})
    assert created.status_code == 201, created.text
    assert created.json()["data"]["data"] is None and "agentId" not in created.json()["data"]


def test_an_agent_route_without_agent_is_400_before_the_duplicate_409(client, domains) -> None:
    """usecases/create-domain-route/create-domain-route.usecase.ts: assertAgentDestination runs
    before the existing route is looked for."""
    domain = domains()["name"]
    assert _route(client, domain, {"address": "*", "type": "webhook"}).status_code == 201
    refused = _route(client, domain, {"address": "*", "type": "agent"})
    assert refused.status_code == 400 and refused.json()["message"] == "agentId is required for agent routes."
    nulled = _route(client, domain, {"address": "fresh", "type": "agent", "agentId": None})
    assert nulled.status_code == 400 and nulled.json()["message"] == "agentId is required for agent routes."


def test_an_unknown_agent_is_404_by_its_identifier(client, domains) -> None:
    """usecases/domain-route.utils.ts (@bdb6f402, resolveAgentIdentifier):
    `Agent with identifier "<id>" not found.`"""
    domain = domains()["name"]
    agent = f"contract-nobody-{_tag()}"
    refused = _route(client, domain, {"address": "bot", "type": "agent", "agentId": agent})
    assert refused.status_code == 404 and refused.json()["message"] == f'Agent with identifier "{agent}" not found.'


def test_an_update_looks_any_sent_agent_up_even_on_a_webhook_route(client, domains) -> None:
    """usecases/update-domain-route/update-domain-route.usecase.ts (@44d25c8d): the agent is
    resolved whenever `agentId !== undefined`, whatever the type; null is looked up as "null"."""
    domain = domains()["name"]
    _route(client, domain, {"address": "hooks", "type": "webhook"})
    agent = f"contract-nobody-{_tag()}"
    unknown = client.patch(f"/v1/domains/{domain}/routes/hooks", json={"agentId": agent})
    assert unknown.status_code == 404 and unknown.json()["message"] == f'Agent with identifier "{agent}" not found.'
    nulled = client.patch(f"/v1/domains/{domain}/routes/hooks", json={"agentId": None})
    assert nulled.status_code == 404 and nulled.json()["message"] == 'Agent with identifier "null" not found.'


def test_an_update_without_changes_answers_the_route_untouched(client, domains) -> None:
    """usecases/update-domain-route/update-domain-route.usecase.ts: no type, agentId or data means
    no write (the same `updatedAt`)."""
    domain = domains()["name"]
    created = _route(client, domain, {"address": "same", "type": "webhook", "data": {"q": "1"}}).json()["data"]
    unchanged = client.patch(f"/v1/domains/{domain}/routes/same", json={})
    assert unchanged.status_code == 200 and unchanged.json()["data"] == created


def test_an_update_with_a_null_data_clears_the_route_data(client, domains) -> None:
    """usecases/update-domain-route/update-domain-route.usecase.ts: `data` is $set whenever it is
    not undefined."""
    domain = domains()["name"]
    _route(client, domain, {"address": "meta", "type": "webhook", "data": {"q": "1"}})
    cleared = client.patch(f"/v1/domains/{domain}/routes/meta", json={"data": None})
    assert cleared.status_code == 200 and cleared.json()["data"]["data"] is None


def test_making_a_webhook_route_an_agent_route_needs_an_agent(client, domains) -> None:
    """usecases/update-domain-route/update-domain-route.usecase.ts and domain-route.utils.ts
    (assertAgentDestination on the next type and destination)."""
    domain = domains()["name"]
    _route(client, domain, {"address": "hooks", "type": "webhook"})
    refused = client.patch(f"/v1/domains/{domain}/routes/hooks", json={"type": "agent"})
    assert refused.status_code == 400 and refused.json()["message"] == "agentId is required for agent routes."


def test_route_addresses_in_the_path_are_taken_as_given(client, domains) -> None:
    """usecases/get-domain-route, update-domain-route, delete-domain-route (@176db923, @44d25c8d,
    @2309b885): the path's address is looked up as sent (not trimmed or lower-cased):
    `Route "<address>@<domain>" not found.`"""
    domain = domains()["name"]
    _route(client, domain, {"address": "support", "type": "webhook"})
    for response in (client.get(f"/v1/domains/{domain}/routes/SUPPORT"),
                     client.patch(f"/v1/domains/{domain}/routes/SUPPORT", json={}),
                     client.delete(f"/v1/domains/{domain}/routes/SUPPORT")):  # fmt: skip
        assert response.status_code == 404 and response.json()["message"] == f'Route "SUPPORT@{domain}" not found.'
    assert client.get(f"/v1/domains/{domain}/routes/support").status_code == 200


def test_the_wildcard_route_is_read_by_its_address(client, domains) -> None:
    """domains.controller.ts (@44d25c8d: `*` names the wildcard route)."""
    domain = domains()["name"]
    made = _route(client, domain, {"address": "*", "type": "webhook"}).json()["data"]
    assert client.get(f"/v1/domains/{domain}/routes/*").json()["data"]["_id"] == made["_id"]


def test_route_lists_refuse_both_cursors_before_reading_the_domain(client) -> None:
    """usecases/list-domain-routes/list-domain-routes.usecase.ts (@0e6954db): the cursor rule is
    checked first, so even an unknown domain answers 400."""
    response = client.get(f"/v1/domains/{_name()}/routes", params={"after": "a", "before": "b"})
    assert response.status_code == 400
    assert response.json()["message"] == 'Cannot specify both "before" and "after" cursors at the same time.'


def test_route_lists_of_an_unknown_domain_or_agent_are_404(client, domains) -> None:
    """usecases/list-domain-routes/list-domain-routes.usecase.ts: resolveDomainName, then
    resolveAgentIdentifier for `agentId`."""
    missing = _name()
    unknown = client.get(f"/v1/domains/{missing.upper()}/routes")
    assert unknown.status_code == 404 and unknown.json()["message"] == f'Domain "{missing}" not found.'
    domain = domains()["name"]
    agent = f"contract-nobody-{_tag()}"
    by_agent = client.get(f"/v1/domains/{domain}/routes", params={"agentId": agent})
    assert by_agent.status_code == 404 and by_agent.json()["message"] == f'Agent with identifier "{agent}" not found.'


def test_a_cursor_naming_no_route_of_the_domain_answers_an_empty_page(client, domains) -> None:
    """libs/dal/src/repositories/domain-route/domain-route.repository.ts (@0e6954db, listRoutes):
    the cursor is looked up among the domain's routes; none is an empty page counted 0."""
    first, second = domains()["name"], domains()["name"]
    elsewhere = _route(client, second, {"address": "other", "type": "webhook"}).json()["data"]
    _route(client, first, {"address": "mine", "type": "webhook"})
    page = client.get(f"/v1/domains/{first}/routes", params={"after": elsewhere["_id"]})
    assert page.status_code == 200
    assert page.json() == {"data": [], "next": None, "previous": None, "totalCount": 0, "totalCountCapped": False}


def test_route_list_items_are_the_route_answer(client, domains) -> None:
    """mappers/domain-route-response.mapper.ts (@73fe9624) for each item of
    list-domain-routes.usecase.ts; the page carries next, previous, totalCount, totalCountCapped."""
    domain = domains()["name"]
    made = _route(client, domain, {"address": "one", "type": "webhook", "data": {"a": "b"}}).json()["data"]
    page = client.get(f"/v1/domains/{domain}/routes").json()
    assert page["data"] == [made] and set(made) == ROUTE_FIELDS | {"data"}
    assert (page["next"], page["previous"], page["totalCount"], page["totalCountCapped"]) == (None, None, 1, False)


# -- routes: test ------------------------------------------------------------------------------


def test_an_empty_test_subject_is_the_command_400_before_the_domain(client) -> None:
    """usecases/test-domain-route/test-domain-route.command.ts (@76233433: subject @IsNotEmpty;
    BaseCommand.create answers 400 before the use case runs, with {className, message,
    constraintsViolated}: libs/application-generic/src/commands/base.command.spec.ts, 2026)."""
    response = _test(client, _name(), "sales", {"from": SENDER, "subject": ""})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Validation failed for TestDomainRouteCommand: subject: subject should not be empty"
    assert body["constraintsViolated"] == {"subject": {"messages": ["subject should not be empty"], "value": ""}}


def test_the_test_body_rules(client, domains) -> None:
    """dtos/test-domain-route.dto.ts (@3d9b6cf7): from is an object with an e-mail address,
    subject a string."""
    domain = domains()["name"]
    for body in ({"subject": "Hi"}, {"from": "ada@example.com", "subject": "Hi"},
                 {"from": {"address": "not-an-email"}, "subject": "Hi"}, {"from": SENDER},
                 {"from": SENDER, "subject": 5}, {"from": SENDER, "subject": "Hi", "dryRun": "yes"}):  # fmt: skip
        assert _test(client, domain, "sales", body).status_code == 422, body


def test_null_optional_test_fields_read_as_absent(client, domains) -> None:
    """dtos/test-domain-route.dto.ts (text, html, dryRun, from.name @IsOptional) and
    test-domain-route.usecase.ts (@b26edd1c: `dryRun === true`, `?? ''` for the rest)."""
    domain = domains()["name"]
    _route(client, domain, {"address": "sales", "type": "webhook"})
    body = {"from": {"address": "ada@example.com", "name": None}, "subject": "Hi", "text": None, "html": None, "dryRun": None}
    answer = _test(client, domain, "sales", body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["dryRun"] is False and "payload" not in answer.json()["data"]


def test_the_address_own_route_wins_over_the_wildcard(client, domains) -> None:
    """usecases/test-domain-route/test-domain-route.usecase.ts: the route of the address, else `*`."""
    domain = domains()["name"]
    _route(client, domain, {"address": "*", "type": "webhook"})
    _route(client, domain, {"address": "sales", "type": "webhook", "data": {"own": "yes"}})
    dry = _test(client, domain, "sales", {"from": SENDER, "subject": "Hi", "dryRun": True}).json()["data"]
    assert dry["payload"]["route"]["address"] == "sales"


def test_a_dry_run_builds_the_synthetic_mail(client, domains) -> None:
    """usecases/test-domain-route/test-domain-route.usecase.ts (buildMail): to `<route>@<domain>`
    with an empty name, the sender's name '' when absent, text and html '' when absent, no cc,
    a `novu-test-` message id repeated in the headers."""
    domain = domains()["name"]
    _route(client, domain, {"address": "*", "type": "webhook"})
    dry = _test(client, domain, "anyone", {"from": SENDER, "subject": "Hi", "dryRun": True}).json()["data"]
    assert dry["wouldDeliverTo"] == "configured outbound webhooks for this environment"
    mail = dry["payload"]["mail"]
    assert mail["to"] == [{"address": f"*@{domain}", "name": ""}]
    assert mail["from"] == [{"address": SENDER["address"], "name": ""}]
    assert (mail["text"], mail["html"], mail["cc"], mail["subject"]) == ("", "", [], "Hi")
    headers = mail["headers"]
    assert headers["message-id"] == mail["messageId"] and headers["to"] == f"*@{domain}"
    assert (headers["from"], headers["subject"], headers["mime-version"]) == (SENDER["address"], "Hi", "1.0")
    assert headers["content-type"] == "text/plain; charset=utf-8"


def test_a_real_test_of_a_webhook_route_reports_the_delivery(client, domains) -> None:
    """usecases/test-domain-route/test-domain-route.usecase.ts: no dry run on a webhook route
    answers `webhook: {skipped, latencyMs}` and no payload."""
    domain = domains()["name"]
    _route(client, domain, {"address": "sales", "type": "webhook"})
    answer = _test(client, domain, "sales", {"from": SENDER, "subject": "Hi"}).json()["data"]
    assert answer["matched"] is True and answer["type"] == "webhook" and answer["dryRun"] is False
    assert set(answer["webhook"]) == {"skipped", "latencyMs"} and "payload" not in answer


# -- auto-configure ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "redirect",
    ["http://example.com/x", "ftp://dashboard.novu.co/", "not a url", "https://a<b/", "https://:443/",
     "https://host:99999/", "http://[::1]/"],
)  # fmt: skip
def test_redirect_uris_new_url_refuses_are_422_before_the_domain(client, redirect) -> None:
    """validators/domain-connect-redirect-url.validator.ts (@73fe9624: `new URL(value)` with
    protocol https:, or http: with hostname localhost or 127.0.0.1); the pipe runs before the use
    case, so an unknown domain still answers 422."""
    response = client.post(f"/v1/domains/{_name()}/auto-configure/start", json={"redirectUri": redirect})
    assert response.status_code == 422, (redirect, response.text)
    assert response.json()["errors"]["redirectUri"]["messages"] == [REDIRECT_REFUSAL]


@pytest.mark.parametrize(
    "redirect",
    ["http://LOCALHOST:3000/x", "http://127.1/", "http://0x7f.0.0.1/", " https://dashboard.novu.co/x ",
     "https:dashboard.novu.co/x", None],
)  # fmt: skip
def test_redirect_uris_new_url_takes_pass_the_pipe(client, redirect) -> None:
    """validators/domain-connect-redirect-url.validator.ts: WHATWG URL parsing lower-cases hosts,
    reads `127.1` and `0x7f.0.0.1` as 127.0.0.1, drops surrounding spaces and takes `https:` with
    no slashes; dtos/domain-connect-apply-url.dto.ts (@004a8559: @IsOptional, so null passes).
    The use case then looks the domain up: 404."""
    missing = _name()
    response = client.post(f"/v1/domains/{missing}/auto-configure/start", json={"redirectUri": redirect})
    assert response.status_code == 404 and response.json()["message"] == f'Domain "{missing}" not found.'


def test_auto_configure_of_an_unknown_domain_is_404(client) -> None:
    """usecases/get-domain-connect-status/get-domain-connect-status.usecase.ts (@176db923):
    resolveDomainName first."""
    missing = _name()
    response = client.get(f"/v1/domains/{missing}/auto-configure")
    assert response.status_code == 404 and response.json()["message"] == f'Domain "{missing}" not found.'


# -- translations ------------------------------------------------------------------------------


@pytest.fixture
def workflow(client):
    """``workflow(enabled=True)`` creates an in-app workflow and answers it; deleted (with its
    translations) after the test."""
    made: list[dict] = []

    def create(enabled: bool = True, name: str = "Contract i18n workflow") -> dict:
        body = {"name": name, "workflowId": f"{PREFIX}wf-{_tag()}", "isTranslationEnabled": enabled,
                "steps": [{"name": "Bell", "type": "in_app", "controlValues": {"body": "Hello"}}]}  # fmt: skip
        response = client.post("/v2/workflows", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json()["data"])
        return made[-1]

    yield create
    for item in made:
        client.delete(f"/v2/translations/workflow/{item['workflowId']}")
        client.delete(f"/v2/workflows/{item['_id']}")


def _put(client, workflow_id: str, locale: str, content: dict):
    return client.post("/v2/translations", json={"resourceId": workflow_id, "resourceType": "workflow", "locale": locale, "content": content})


def test_a_translation_answer_carries_what_was_stored(client, workflow) -> None:
    """e2e/v2/create-translation.e2e-ee.ts (@e74160b1) and get-translation.e2e-ee.ts (@3d56066b):
    200, locale, resourceId, resourceType, content, createdAt and updatedAt strings."""
    workflow_id = workflow()["workflowId"]
    content = {"welcome.title": "Welcome", "welcome.message": "Hello there!"}
    created = _put(client, workflow_id, "en_US", content)
    assert created.status_code == 200, created.text
    for data in (created.json()["data"], client.get(f"/v2/translations/workflow/{workflow_id}/en_US").json()["data"]):
        assert (data["locale"], data["resourceId"], data["resourceType"], data["content"]) == ("en_US", workflow_id, "workflow", content)
        assert isinstance(data["createdAt"], str) and isinstance(data["updatedAt"], str)


def test_an_unknown_workflow_or_locale_is_404_and_a_bad_locale_400(client, workflow) -> None:
    """e2e/v2/get-translation.e2e-ee.ts and delete-translation.e2e-ee.ts (@3d56066b)."""
    workflow_id = workflow()["workflowId"]
    fake = "507f1f77bcf86cd799439011"
    assert client.get(f"/v2/translations/workflow/{fake}/en_US").status_code == 404
    assert client.delete(f"/v2/translations/workflow/{fake}/en_US").status_code == 404
    assert client.get(f"/v2/translations/workflow/{workflow_id}/fr_FR").status_code == 404
    assert client.delete(f"/v2/translations/workflow/{workflow_id}/fr_FR").status_code == 404
    assert client.get(f"/v2/translations/workflow/{workflow_id}/invalid-locale-123").status_code == 400
    assert client.delete(f"/v2/translations/workflow/{workflow_id}/invalid-locale-123").status_code == 400


def test_deleting_one_locale_keeps_the_others_and_complex_locales_work(client, workflow) -> None:
    """e2e/v2/delete-translation.e2e-ee.ts ('should delete only the specified locale', 'should
    work with complex locale codes')."""
    workflow_id = workflow()["workflowId"]
    for locale in ("en_US", "fr_FR", "zh_Hans_CN"):
        assert _put(client, workflow_id, locale, {"k": locale}).status_code == 200
    assert client.delete(f"/v2/translations/workflow/{workflow_id}/en_US").status_code == 204
    assert client.delete(f"/v2/translations/workflow/{workflow_id}/zh_Hans_CN").status_code == 204
    assert client.get(f"/v2/translations/workflow/{workflow_id}/zh_Hans_CN").status_code == 404
    assert client.get(f"/v2/translations/workflow/{workflow_id}/fr_FR").json()["data"]["content"] == {"k": "fr_FR"}


def test_a_group_names_the_workflow_and_its_locales(client, workflow) -> None:
    """e2e/v2/get-translation-group.e2e-ee.ts (@11e9cede): resourceId, resourceType, resourceName
    (the workflow's name), locales, createdAt, updatedAt."""
    made = workflow(name="Contract group workflow")
    for locale in ("en_US", "es_ES", "fr_FR"):
        _put(client, made["workflowId"], locale, {"t": locale})
    group = client.get(f"/v2/translations/group/workflow/{made['workflowId']}")
    assert group.status_code == 200
    data = group.json()["data"]
    assert (data["resourceId"], data["resourceType"], data["resourceName"]) == (made["workflowId"], "workflow", "Contract group workflow")
    assert sorted(data["locales"]) == ["en_US", "es_ES", "fr_FR"]
    assert isinstance(data["createdAt"], str) and isinstance(data["updatedAt"], str)


def test_a_workflow_without_translations_has_no_group(client, workflow) -> None:
    """e2e/v2/get-translation-group.e2e-ee.ts and delete-translation-group.e2e-ee.ts
    (@10a028f7): a workflow with translations disabled has no group to read or delete (404)."""
    workflow_id = workflow(enabled=False)["workflowId"]
    assert client.get(f"/v2/translations/group/workflow/{workflow_id}").status_code == 404
    assert client.delete(f"/v2/translations/workflow/{workflow_id}").status_code == 404


def test_deleting_a_group_deletes_every_locale(client, workflow) -> None:
    """e2e/v2/delete-translation-group.e2e-ee.ts: 204, then every locale is 404."""
    workflow_id = workflow()["workflowId"]
    for locale in ("en_US", "es_ES"):
        _put(client, workflow_id, locale, {"t": locale})
    assert client.delete(f"/v2/translations/workflow/{workflow_id}").status_code == 204
    for locale in ("en_US", "es_ES"):
        assert client.get(f"/v2/translations/workflow/{workflow_id}/{locale}").status_code == 404


def test_import_takes_workflows_with_translations_disabled(client, workflow) -> None:
    """e2e/v2/import-master-json.e2e-ee.ts (@561c2186: both workflows imported, `failed` absent)."""
    enabled, disabled = workflow()["workflowId"], workflow(enabled=False)["workflowId"]
    master = {"workflows": {enabled: {"a": "1"}, disabled: {"b": "2"}}}
    data = client.post("/v2/translations/master-json", json={"locale": "en_US", "masterJson": master}).json()["data"]
    assert data["success"] is True and "2 resource" in data["message"]
    assert sorted(data["successful"]) == sorted([enabled, disabled]) and "failed" not in data
    assert client.get(f"/v2/translations/workflow/{disabled}/en_US").json()["data"]["content"] == {"b": "2"}


def test_an_import_of_only_unknown_workflows_fails_whole(client) -> None:
    """e2e/v2/import-master-json.e2e-ee.ts ('should handle complete failure gracefully'): 200 with
    success false, `Failed to import any resources`, `failed` listing both, no `successful`."""
    ghosts = ["507f1f77bcf86cd799439011", "507f1f77bcf86cd799439012"]
    master = {"workflows": {ghost: {"k": "v"} for ghost in ghosts}}
    response = client.post("/v2/translations/master-json", json={"locale": "en_US", "masterJson": master})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["success"] is False and "Failed to import any resources" in data["message"]
    assert sorted(data["failed"]) == ghosts and "successful" not in data


def test_an_import_replaces_the_whole_content(client, workflow) -> None:
    """e2e/v2/import-master-json.e2e-ee.ts ('should update existing translations correctly')."""
    workflow_id = workflow()["workflowId"]
    _put(client, workflow_id, "en_US", {"old.key": "Old", "existing.key": "Before"})
    master = {"workflows": {workflow_id: {"existing.key": "After", "new.key": "New"}}}
    client.post("/v2/translations/master-json", json={"locale": "en_US", "masterJson": master})
    assert client.get(f"/v2/translations/workflow/{workflow_id}/en_US").json()["data"]["content"] == master["workflows"][workflow_id]


def test_export_filters_by_locale_and_leaves_untranslated_workflows_out(client, workflow) -> None:
    """e2e/v2/export-master-json.e2e-ee.ts (@0dbde1e1)."""
    translated, untranslated = workflow()["workflowId"], workflow(enabled=False)["workflowId"]
    _put(client, translated, "es_ES", {"t": "Hola"})
    spanish = client.get("/v2/translations/master-json", params={"locale": "es_ES"}).json()["data"]["workflows"]
    assert spanish[translated] == {"t": "Hola"} and untranslated not in spanish
    german = client.get("/v2/translations/master-json", params={"locale": "de_DE"}).json()["data"]["workflows"]
    assert translated not in german
    default = client.get("/v2/translations/master-json")
    assert default.status_code == 200 and isinstance(default.json()["data"]["workflows"], dict)


def test_an_upload_of_one_file_counts_it(client, workflow) -> None:
    """e2e/v2/upload-translations.e2e-ee.ts (@e36fb76a: totalFiles 1, successfulUploads 1,
    failedUploads 0, errors empty); a second upload of the locale replaces its content."""
    workflow_id = workflow()["workflowId"]
    fields = {"resourceId": workflow_id, "resourceType": "workflow"}
    first = client.post("/v2/translations/upload", data=fields, files=[("files", ("en_US.json", json.dumps({"key1": "a"}).encode()))])
    assert first.status_code == 200, first.text
    assert first.json()["data"] == {"totalFiles": 1, "successfulUploads": 1, "failedUploads": 0, "errors": []}
    updated = {"key1": "b", "key2": "c"}
    client.post("/v2/translations/upload", data=fields, files=[("files", ("en_US.json", json.dumps(updated).encode()))])
    assert client.get(f"/v2/translations/workflow/{workflow_id}/en_US").json()["data"]["content"] == updated


def test_a_misnamed_file_refuses_the_upload_before_bad_json_is_read(client, workflow) -> None:
    """e2e/v2/upload-translations.e2e-ee.ts ('should reject uploads with invalid filename
    patterns'): valid, bad-JSON and misnamed files together are 400 for the name."""
    fields = {"resourceId": workflow()["workflowId"], "resourceType": "workflow"}
    good = json.dumps({"key": "value"}).encode()
    files = [("files", ("en_US.json", good)), ("files", ("es_ES.json", b"invalid json")), ("files", ("invalid-name.json", good))]
    response = client.post("/v2/translations/upload", data=fields, files=files)
    assert response.status_code == 400 and "invalid names or formats" in response.json()["message"]
    assert "invalid-name.json" in response.json()["errors"][0]


def test_master_json_upload_of_a_short_locale_name_and_of_nothing(client, workflow) -> None:
    """e2e/v2/upload-master-json.e2e-ee.ts (@8748b251): `zh_CN.json` is a valid name; a master
    JSON with no resources answers success false and lists nothing."""
    workflow_id = workflow()["workflowId"]
    master = json.dumps({"workflows": {workflow_id: {"test.key": "Test value"}}}).encode()
    taken = client.post("/v2/translations/master-json/upload", files=[("file", ("zh_CN.json", master))])
    assert taken.status_code == 200 and taken.json()["data"]["successful"] == [workflow_id]
    empty = client.post("/v2/translations/master-json/upload", files=[("file", ("en_US.json", b'{"workflows": {}}'))])
    data = empty.json()["data"]
    assert data["success"] is False and "No supported resources found" in data["message"]
    assert "successful" not in data and "failed" not in data
