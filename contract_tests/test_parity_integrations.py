"""Parity with Novu's server code for the Integrations operations and the health check.

One rule of Novu's code per test; each docstring names the file of Novu's repository (novuhq/novu)
that shows the rule. Black-box over HTTP: runs against the mock or a real Novu (``--target-url``,
``--api-key``). What a test creates carries the ``contract-`` prefix and is deleted afterwards;
a test that moves a channel's primary gives it back to the integration that had it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

PREFIX = "contract-"
MISSING_ID = "0" * 23 + "1"
CONDITION = {
    "isNegated": False,
    "type": "GROUP",
    "value": "AND",
    "children": [{"field": "identifier", "value": "acme", "operator": "EQUAL", "on": "subscriber"}],
}


def _identifier() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:12]}"


def _list(client: httpx.Client, path: str = "/v1/integrations") -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _by_id(client: httpx.Client) -> dict[str, dict]:
    return {integration["_id"]: integration for integration in _list(client)}


@pytest.fixture
def primaries_kept(client: httpx.Client) -> Iterator[None]:
    """Gives each email / sms primary back to the integration that held it when the test began."""
    before = {i["channel"]: i["_id"] for i in _list(client) if i["primary"] and i["channel"] in ("email", "sms")}
    yield
    now = _by_id(client)
    for integration_id in before.values():
        if integration_id in now and not now[integration_id]["primary"]:
            client.post(f"/v1/integrations/{integration_id}/set-primary")


@pytest.fixture
def create(created_at, primaries_kept):
    """``create(**body)``: POST /v1/integrations (201 expected), deleted when the test ends."""
    integrations = created_at("/v1/integrations", "_id")

    def make(**body) -> dict:
        """``identifier=None`` leaves the identifier out (Novu generates one)."""
        if "identifier" not in body:
            body["identifier"] = _identifier()
        elif body["identifier"] is None:
            del body["identifier"]
        body.setdefault("check", False)
        return integrations.create(body)

    return make


# -- envelopes and shapes -----------------------------------------------------------------


def test_list_is_enveloped_and_hides_credentials(client, create) -> None:
    """apps/api/src/app/integrations/e2e/api-key-credentials-exposure.e2e.ts: GET /v1/integrations
    answers ``{"data": [...]}`` (the global interceptor's envelope) and, to an API key, every item's
    ``credentials`` is an empty object."""
    create(providerId="sendgrid", channel="email", credentials={"apiKey": "SG.contract", "secretKey": "s"})
    body = client.get("/v1/integrations").json()
    assert set(body) == {"data"} and isinstance(body["data"], list) and body["data"]
    assert all(integration["credentials"] == {} for integration in body["data"])


def test_active_list_is_enveloped_and_holds_only_active_integrations(client, create) -> None:
    """apps/api/src/app/integrations/e2e/get-active-integration.e2e.ts and
    api-key-credentials-exposure.e2e.ts: GET /v1/integrations/active answers ``{"data": [...]}``
    with the active integrations only, ``credentials`` empty."""
    on = create(providerId="mailgun", channel="email", active=True)
    off = create(providerId="mailgun", channel="email", active=False)
    body = client.get("/v1/integrations/active").json()
    assert set(body) == {"data"}
    ids = {integration["_id"] for integration in body["data"]}
    assert on["_id"] in ids and off["_id"] not in ids
    assert all(integration["active"] is True and integration["credentials"] == {} for integration in body["data"])


def test_single_answers_carry_no_credentials(client, create) -> None:
    """apps/api/src/app/integrations/e2e/api-key-credentials-exposure.e2e.ts: create, update and
    set-primary answer an API key without a ``credentials`` property at all."""
    integration = create(providerId="sendgrid", channel="email", credentials={"apiKey": "SG.contract"})
    assert "credentials" not in integration
    updated = client.put(f"/v1/integrations/{integration['_id']}", json={"credentials": {"apiKey": "SG.other"}})
    assert updated.status_code == 200 and "credentials" not in updated.json()["data"]
    primary = client.post(f"/v1/integrations/{integration['_id']}/set-primary")
    assert primary.status_code == 201 and "credentials" not in primary.json()["data"]


def test_a_created_integration_is_the_stored_document(create) -> None:
    """libs/dal/src/repositories/base-repository.ts (create maps the saved Mongoose document) with
    libs/dal/src/repositories/schema-default.options.ts (timestamps, virtual ``id``) and
    integration.schema.ts (defaults): the answer carries ``id`` (= ``_id``), ``priority``,
    ``deleted: false``, ``conditions: []``, ``createdAt``/``updatedAt`` and ``__v``."""
    integration = create(providerId="postmark", channel="email")
    assert integration["id"] == integration["_id"] and len(integration["_id"]) == 24
    assert integration["priority"] == 0 and integration["deleted"] is False and integration["conditions"] == []
    assert integration["createdAt"] == integration["updatedAt"] and integration["createdAt"].endswith("Z")
    assert integration["__v"] == 0


def test_list_items_have_no_virtual_id(client, create) -> None:
    """libs/dal/src/repositories/base-repository.ts: ``find`` reads lean documents, so list items
    have ``_id`` but not the virtual ``id`` single answers carry."""
    integration = create(providerId="postmark", channel="email")
    listed = _by_id(client)[integration["_id"]]
    assert "id" not in listed and "id" in integration


# -- create -----------------------------------------------------------------------------------


def test_name_defaults_to_the_providers_display_name(create) -> None:
    """apps/api/src/app/integrations/e2e/create-integration.e2e.ts ("should allow creating the
    integration with minimal data"): a SendGrid integration without a name is named "SendGrid",
    and its generated identifier starts with the slug of that name."""
    integration = create(providerId="sendgrid", channel="email", identifier=None)
    assert integration["name"] == "SendGrid"
    assert integration["identifier"].startswith("sendgrid-") and len(integration["identifier"]) > len("sendgrid-")
    assert integration["active"] is False


def test_any_provider_id_is_accepted_and_named_after_itself(create) -> None:
    """apps/api/src/app/integrations/dtos/create-integration-request.dto.ts (``providerId`` is only
    ``@IsString``) and usecases/create-integration/create-integration.usecase.ts (a provider missing
    from the catalogue is named by its id with the first letter upper-cased)."""
    integration = create(providerId="contract-acme", channel="email", identifier=None)
    assert integration["providerId"] == "contract-acme"
    assert integration["name"] == "Contract-acme"
    assert integration["identifier"].startswith("contract-acme-")


def test_channel_may_be_left_out(client, create) -> None:
    """apps/api/src/app/integrations/dtos/create-integration-request.dto.ts (``channel`` is
    ``@IsOptional``) and create-integration.usecase.ts (the channel is stored only when given): the
    integration has no channel, and so no primary ("Channel undefined does not support primary")."""
    integration = create(providerId="sendgrid")
    assert "channel" not in integration and integration["priority"] == 0
    response = client.post(f"/v1/integrations/{integration['_id']}/set-primary")
    assert response.status_code == 400
    assert response.json()["message"] == "Channel undefined does not support primary"


def test_the_tool_channel_is_accepted_without_primary(client, create) -> None:
    """apps/api/src/app/integrations/dtos/create-integration-request.dto.ts (``@IsEnum(ChannelTypeEnum)``,
    whose values now include ``tool``, as novu-py 3.19's CreateIntegrationRequestDtoChannel shows)
    with create-integration.usecase.ts (only email and sms rank integrations)."""
    integration = create(providerId="contract-tool", channel="tool", active=True)
    assert (integration["channel"], integration["priority"], integration["primary"]) == ("tool", 0, False)


def test_kind_is_delivery_unless_told(client, create) -> None:
    """apps/api/src/app/integrations/usecases/create-integration/create-integration.usecase.ts (``kind``
    defaults to "delivery") with create-integration-request.dto.ts (``kind`` is ``@IsEnum``)."""
    assert create(providerId="ses", channel="email")["kind"] == "delivery"
    wrong = client.post("/v1/integrations", json={"providerId": "ses", "channel": "email", "kind": "robot"})
    assert wrong.status_code == 422 and "kind" in wrong.json()["errors"]


def test_an_empty_name_is_kept(create) -> None:
    """apps/api/src/app/integrations/usecases/create-integration/create-integration.usecase.ts:
    the default name applies only when ``name`` is absent (``??``), so an empty one is kept."""
    assert create(providerId="ses", channel="email", name="")["name"] == ""


def test_identifier_taken_in_the_environment_is_409(client, create) -> None:
    """apps/api/src/app/integrations/e2e/create-integration.e2e.ts ("should not allow to create
    integration with same identifier"): 409 "Integration with identifier already exists"."""
    first = create(providerId="ses", channel="email")
    body = {"providerId": "ses", "channel": "email", "identifier": first["identifier"]}
    again = client.post("/v1/integrations", json=body)
    assert again.status_code == 409
    assert again.json()["message"] == "Integration with identifier already exists"


def test_another_environment_in_the_body_is_403(client) -> None:
    """apps/api/src/app/integrations/integrations.controller.ts (assertEnvironmentScopedForApiKey):
    an API key naming another environment's ``_environmentId`` is refused with 403."""
    body = {"providerId": "ses", "channel": "email", "_environmentId": MISSING_ID}
    response = client.post("/v1/integrations", json=body)
    assert response.status_code == 403
    assert "scoped to a single environment" in response.json()["message"]


def test_its_own_environment_in_the_body_is_accepted(client, create) -> None:
    """apps/api/src/app/integrations/e2e/create-integration.e2e.ts ("should allow creating the
    integration in the chosen environment"): ``_environmentId`` may name the key's environment."""
    environment_id = create(providerId="ses", channel="email")["_environmentId"]
    integration = create(providerId="ses", channel="email", _environmentId=environment_id)
    assert integration["_environmentId"] == environment_id


def test_a_second_novu_inbox_is_400(client, created_at) -> None:
    """apps/api/src/app/integrations/e2e/create-integration.e2e.ts and create-integration.usecase.ts:
    one environment holds one Novu Inbox (``novu`` on ``in_app``): 400 "One environment can only
    have one In app provider"."""
    inbox = {"providerId": "novu", "channel": "in_app", "identifier": _identifier()}
    if not any(i["providerId"] == "novu" and i["channel"] == "in_app" for i in _list(client)):
        created_at("/v1/integrations", "_id").create(inbox)
    response = client.post("/v1/integrations", json={**inbox, "identifier": _identifier()})
    assert response.status_code == 400
    assert response.json()["message"] == "One environment can only have one In app provider"


def test_a_second_novu_email_integration_is_409(client, created_at) -> None:
    """apps/api/src/app/integrations/usecases/create-integration/create-integration.usecase.ts: one
    Novu email integration per environment: 409 "Integration with novu provider for email channel
    already exists"."""
    novu_email = {"providerId": "novu-email", "channel": "email", "identifier": _identifier()}
    if not any(i["providerId"] == "novu-email" for i in _list(client)):
        created_at("/v1/integrations", "_id").create(novu_email)
    response = client.post("/v1/integrations", json={**novu_email, "identifier": _identifier()})
    assert response.status_code == 409
    assert response.json()["message"] == "Integration with novu provider for email channel already exists"


def test_inactive_integrations_get_no_priority(create) -> None:
    """apps/api/src/app/integrations/e2e/create-integration.e2e.ts ("should not calculate primary and
    priority fields when is not active")."""
    integration = create(providerId="sendgrid", channel="email", active=False)
    assert (integration["priority"], integration["primary"], integration["active"]) == (0, False, False)


@pytest.mark.parametrize(("provider", "channel"), [("fcm", "push"), ("slack", "chat"), ("contract-inbox", "in_app")])
def test_channels_without_primary_get_no_priority(create, provider, channel) -> None:
    """apps/api/src/app/integrations/e2e/create-integration.e2e.ts ("should not calculate primary and
    priority fields for push / chat / in-app channel"): only email and sms rank integrations."""
    integration = create(providerId=provider, channel=channel, active=True)
    assert (integration["priority"], integration["primary"], integration["active"]) == (0, False, True)


def test_an_active_integration_ranks_just_below_the_primary(client, create) -> None:
    """apps/api/src/app/integrations/e2e/create-integration.e2e.ts ("should not set the integration as
    primary when there is primary integration"): the new one takes the primary's priority, is not
    primary, and the primary moves up by one."""
    primary = create(providerId="sendgrid", channel="email", active=True)
    primary = client.post(f"/v1/integrations/{primary['_id']}/set-primary").json()["data"]
    newer = create(providerId="mailgun", channel="email", active=True)
    assert newer["primary"] is False and newer["priority"] == primary["priority"]
    assert _by_id(client)[primary["_id"]]["priority"] == primary["priority"] + 1


# -- update -----------------------------------------------------------------------------------


def test_update_of_an_unknown_integration_is_404(client) -> None:
    """apps/api/src/app/integrations/e2e/update-integration.e2e.ts ("should throw not found exception
    when integration is not found"): 404 "Entity with id <id> not found"."""
    response = client.put(f"/v1/integrations/{MISSING_ID}", json={"name": "x"})
    assert response.status_code == 404
    assert response.json()["message"] == f"Entity with id {MISSING_ID} not found"


@pytest.mark.parametrize("body", [{}, {"check": False}, {"name": ""}], ids=["empty", "check-only", "empty-name"])
def test_an_update_that_changes_nothing_is_400(client, create, body) -> None:
    """apps/api/src/app/integrations/usecases/update-integration/update-integration.usecase.ts: a body
    that sets no field is refused with 400 "No properties found for update"."""
    integration = create(providerId="ses", channel="email")
    response = client.put(f"/v1/integrations/{integration['_id']}", json=body)
    assert response.status_code == 400
    assert response.json()["message"] == "No properties found for update"


def test_update_to_a_taken_identifier_is_409(client, create) -> None:
    """apps/api/src/app/integrations/e2e/update-integration.e2e.ts ("should not allow to update the
    integration with same identifier")."""
    first, second = create(providerId="ses", channel="email"), create(providerId="ses", channel="email")
    response = client.put(f"/v1/integrations/{second['_id']}", json={"identifier": first["identifier"]})
    assert response.status_code == 409
    assert response.json()["message"] == "Integration with identifier already exists"


def test_deactivating_clears_primary_and_priority(client, create) -> None:
    """apps/api/src/app/integrations/e2e/update-integration.e2e.ts ("should recalculate the priority
    when the primary integration is deactivated"): priority 0, not primary."""
    integration = create(providerId="sendgrid", channel="email", active=True)
    client.post(f"/v1/integrations/{integration['_id']}/set-primary")
    response = client.put(f"/v1/integrations/{integration['_id']}", json={"active": False})
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["active"], data["primary"], data["priority"]) == (False, False, 0)


def test_activating_ranks_below_the_primary_without_becoming_primary(client, create) -> None:
    """apps/api/src/app/integrations/e2e/update-integration.e2e.ts ("should calculate the highest
    priority but not set primary if there is another active integration")."""
    primary = create(providerId="sendgrid", channel="email", active=True)
    primary = client.post(f"/v1/integrations/{primary['_id']}/set-primary").json()["data"]
    dormant = create(providerId="mailgun", channel="email", active=False)
    data = client.put(f"/v1/integrations/{dormant['_id']}", json={"active": True}).json()["data"]
    assert data["active"] is True and data["primary"] is False and data["priority"] == primary["priority"]


def test_conditions_take_primary_away(client, create) -> None:
    """apps/api/src/app/integrations/usecases/update-integration/update-integration.usecase.ts:
    setting conditions on the primary integration clears ``primary``."""
    integration = create(providerId="sendgrid", channel="email", active=True)
    client.post(f"/v1/integrations/{integration['_id']}/set-primary")
    data = client.put(f"/v1/integrations/{integration['_id']}", json={"conditions": [CONDITION]}).json()["data"]
    assert data["primary"] is False and data["conditions"][0]["children"][0]["value"] == "acme"


def test_rules_take_the_place_of_conditions(client, create) -> None:
    """apps/api/src/app/integrations/usecases/update-integration/update-integration.usecase.ts:
    non-empty JSONLogic ``rules`` are stored and empty ``conditions``; null stores null."""
    integration = create(providerId="ses", channel="email", conditions=[CONDITION])
    rules = {"==": [{"var": "context.tenant.id"}, "acme"]}
    data = client.put(f"/v1/integrations/{integration['_id']}", json={"rules": rules}).json()["data"]
    assert data["rules"] == rules and data["conditions"] == []
    cleared = client.put(f"/v1/integrations/{integration['_id']}", json={"rules": None}).json()["data"]
    assert cleared["rules"] is None


def test_empty_rules_clear_the_rules_and_count_as_a_change(client, create) -> None:
    """update-integration.usecase.ts: ``{}`` is not rules (hasIntegrationRules wants a key), so
    it stores null, which is a change: no "No properties found for update"; conditions stay."""
    integration = create(providerId="ses", channel="email", conditions=[CONDITION])
    response = client.put(f"/v1/integrations/{integration['_id']}", json={"rules": {}})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["rules"] is None and data["conditions"][0]["children"][0]["value"] == "acme"


def test_rules_take_primary_away(client, create) -> None:
    """update-integration.usecase.ts: non-empty rules count as conditions, so the primary
    integration stops being primary."""
    integration = create(providerId="ses", channel="email", active=True)
    client.post(f"/v1/integrations/{integration['_id']}/set-primary")
    rules = {"and": [{"==": [{"var": "subscriber.locale"}, "fr"]}, {"containsAny": [{"var": "workflow.tags"}, ["x"]]}]}
    data = client.put(f"/v1/integrations/{integration['_id']}", json={"rules": rules}).json()["data"]
    assert data["primary"] is False and data["rules"] == rules


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        # tenant.* is no longer a field rules may read: both passes say so
        ({"==": [{"var": "tenant.identifier"}, "acme"]}, "Value is not valid; Value is not valid"),
        ({"log": {"var": "subscriber.email"}}, 'Unsupported operator "log"'),
        ({"==": [{"var": "subscriber.locale"}, {"+": [1, 2]}]}, 'Unsupported operator "+"'),
        ({"==": [{"var": "subscriber.locale"}, "fr"], "dummy": 1}, "Invalid integration conditions"),
        ({"and": [{"var": "subscriber.email", "dummy": "x"}]}, "Invalid rule node with 2 keys, expected a single operator"),
        ({"==": [{"var": "subscriber.locale"}]}, 'Invalid operation structure for operator "=="'),
        ({">": [{"var": "subscriber.locale"}, None]}, "Value is required"),
        ({"or": {"==": [{"var": "subscriber.locale"}, "fr"]}}, 'Invalid logical operator "or" structure'),
        ({"startsWith": ["fr", "fr"]}, "Invalid field reference in comparison"),
    ],
)  # fmt: skip
def test_faulty_rules_are_400_naming_every_problem(client, create, rules, message) -> None:
    """assert-integration-rules.ts (getIntegrationRulesIssues of @novu/application-generic,
    QueryValidatorService): the problems, joined by "; ", are the 400's message; nothing changes."""
    integration = create(providerId="ses", channel="email", conditions=[CONDITION])
    response = client.put(f"/v1/integrations/{integration['_id']}", json={"rules": rules})
    assert response.status_code == 400, response.text
    assert response.json()["message"] == message
    kept = _by_id(client)[integration["_id"]]
    assert kept["conditions"][0]["children"][0]["value"] == "acme" and "rules" not in kept


def test_rules_on_create_are_checked_and_kept(client, create) -> None:
    """assert-integration-rules.ts: the same check guards the rules a new integration brings
    (payload.* may no longer be written)."""
    bad = client.post("/v1/integrations", json={
        "providerId": "ses", "channel": "email", "identifier": _identifier(),
        "rules": {"==": [{"var": "payload.region"}, "eu"]},
    })  # fmt: skip
    if bad.status_code == 201:
        client.delete(f"/v1/integrations/{bad.json()['data']['_id']}")
    assert bad.status_code == 400 and bad.json()["message"] == "Value is not valid; Value is not valid"
    rules = {"in": [{"var": "subscriber.email"}, ["a@b.co"]]}
    assert create(providerId="ses", channel="email", rules=rules)["rules"] == rules


def test_update_replaces_credentials(client, create) -> None:
    """apps/api/src/app/integrations/usecases/update-integration/update-integration.usecase.ts
    (``$set`` of the whole ``credentials``), seen through remove-integration.usecase.ts (the delete
    answers the stored documents): fields left out of the update are gone."""
    kept = create(providerId="sendgrid", channel="email", credentials={"from": "a@contract.test", "senderName": "A"})
    client.put(f"/v1/integrations/{kept['_id']}", json={"credentials": {"senderName": "B"}})
    other = create(providerId="ses", channel="email")
    remaining = {i["_id"]: i for i in client.delete(f"/v1/integrations/{other['_id']}").json()["data"]}
    assert remaining[kept["_id"]]["credentials"] == {"senderName": "B"}


# -- set-primary ------------------------------------------------------------------------------


def test_set_primary_answers_201_and_moves_the_flag(client, create) -> None:
    """apps/api/src/app/integrations/e2e/set-itegration-as-primary.e2e.ts ("should set primary and
    active and update old primary") with integrations.controller.ts (a POST without @HttpCode:
    201): the integration becomes active and primary with the highest priority."""
    one = create(providerId="sendgrid", channel="email", active=True)
    client.post(f"/v1/integrations/{one['_id']}/set-primary")
    two = create(providerId="mailgun", channel="email", active=False)
    response = client.post(f"/v1/integrations/{two['_id']}/set-primary")
    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["active"], data["primary"]) == (True, True)
    now = _by_id(client)
    assert now[one["_id"]]["primary"] is False and now[one["_id"]]["active"] is True
    active_email = [i for i in now.values() if i["channel"] == "email" and i["active"]]
    assert data["priority"] == max(i["priority"] for i in active_email) == len(active_email)
    assert [i["_id"] for i in active_email if i["primary"]] == [two["_id"]]


def test_set_primary_of_the_primary_changes_nothing(client, create) -> None:
    """apps/api/src/app/integrations/e2e/set-itegration-as-primary.e2e.ts ("should not update the
    primary integration if already is primary")."""
    integration = create(providerId="sendgrid", channel="email", active=True)
    first = client.post(f"/v1/integrations/{integration['_id']}/set-primary").json()["data"]
    again = client.post(f"/v1/integrations/{integration['_id']}/set-primary")
    assert again.status_code == 201
    assert {k: again.json()["data"][k] for k in ("primary", "priority", "updatedAt")} == {
        k: first[k] for k in ("primary", "priority", "updatedAt")
    }


def test_set_primary_clears_conditions(client, create) -> None:
    """apps/api/src/app/integrations/e2e/set-itegration-as-primary.e2e.ts ("clears conditions when set
    as primary")."""
    integration = create(providerId="sendgrid", channel="email", conditions=[CONDITION])
    data = client.post(f"/v1/integrations/{integration['_id']}/set-primary").json()["data"]
    assert data["conditions"] == [] and data["primary"] is True


@pytest.mark.parametrize(("provider", "channel"), [("fcm", "push"), ("slack", "chat"), ("contract-inbox", "in_app")])
def test_set_primary_refuses_channels_without_primary(client, create, provider, channel) -> None:
    """apps/api/src/app/integrations/e2e/set-itegration-as-primary.e2e.ts ("push / chat / in-app
    channel does not support primary flag"): 400 "Channel <channel> does not support primary"."""
    integration = create(providerId=provider, channel=channel)
    response = client.post(f"/v1/integrations/{integration['_id']}/set-primary")
    assert response.status_code == 400
    assert response.json()["message"] == f"Channel {channel} does not support primary"


def test_set_primary_takes_only_mongo_ids(client) -> None:
    """apps/api/src/app/integrations/e2e/set-itegration-as-primary.e2e.ts ("when integration id is not
    valid"): 422 with ``integrationId must be a mongodb id``."""
    response = client.post("/v1/integrations/fakeIntegrationId/set-primary")
    assert response.status_code == 422
    assert response.json()["errors"]["integrationId"]["messages"][0] == "integrationId must be a mongodb id"


def test_set_primary_of_an_unknown_integration_is_404(client) -> None:
    """apps/api/src/app/integrations/e2e/set-itegration-as-primary.e2e.ts ("when integration does not
    exist"): 404 "Integration with id <id> not found"."""
    response = client.post(f"/v1/integrations/{MISSING_ID}/set-primary")
    assert response.status_code == 404
    assert response.json()["message"] == f"Integration with id {MISSING_ID} not found"


# -- delete -----------------------------------------------------------------------------------


def test_delete_of_an_unknown_integration_is_404(client) -> None:
    """apps/api/src/app/integrations/e2e/remove-integration.e2e.ts ("should throw not found exception
    when integration is not found"): 404 "Entity with id <id> not found"."""
    response = client.delete(f"/v1/integrations/{MISSING_ID}")
    assert response.status_code == 404
    assert response.json()["message"] == f"Entity with id {MISSING_ID} not found"


def test_delete_answers_the_rest_enveloped(client, create) -> None:
    """apps/api/src/app/integrations/e2e/remove-integration.e2e.ts ("should remove existing
    integration") with remove-integration.usecase.ts: 200 and ``{"data": [...]}``, the integrations
    left in the environment."""
    integration = create(providerId="ses", channel="email")
    response = client.delete(f"/v1/integrations/{integration['_id']}")
    assert response.status_code == 200
    remaining = response.json()["data"]
    assert integration["_id"] not in {i["_id"] for i in remaining}
    assert {i["_id"] for i in remaining} == set(_by_id(client))


def test_delete_answer_never_shows_a_secret_in_clear(client, create) -> None:
    """apps/api/src/app/integrations/usecases/remove-integration/remove-integration.usecase.ts (the
    stored documents) with libs/application-generic encryptCredentials: secret fields such as
    ``apiKey`` are stored encrypted, plain ones (``from``) as sent."""
    credentials = {"apiKey": "SG.contract-secret", "from": "a@contract.test"}
    kept = create(providerId="sendgrid", channel="email", credentials=credentials)
    other = create(providerId="ses", channel="email")
    remaining = {i["_id"]: i for i in client.delete(f"/v1/integrations/{other['_id']}").json()["data"]}
    credentials = remaining[kept["_id"]]["credentials"]
    assert credentials["from"] == "a@contract.test"
    assert credentials["apiKey"] and "SG.contract-secret" not in credentials["apiKey"]


def test_delete_numbers_the_active_integrations_again(client, create) -> None:
    """apps/api/src/app/integrations/e2e/remove-integration.e2e.ts ("should recalculate primary and
    priority fields for email channel"): the active email integrations left are ranked n..1."""
    one = create(providerId="sendgrid", channel="email", active=True)
    create(providerId="mailgun", channel="email", active=True)
    client.delete(f"/v1/integrations/{one['_id']}")
    priorities = sorted((i["priority"] for i in _list(client) if i["channel"] == "email" and i["active"]), reverse=True)
    assert priorities == list(range(len(priorities), 0, -1))


# -- auto-configure and health --------------------------------------------------------------


def test_auto_configure_of_an_unknown_integration_is_404(client) -> None:
    """apps/api/src/app/integrations/usecases/auto-configure-integration/auto-configure-integration.usecase.ts:
    404 "Integration not found, id: <id>"."""
    response = client.post(f"/v1/integrations/{MISSING_ID}/auto-configure")
    assert response.status_code == 404
    assert response.json()["message"] == f"Integration not found, id: {MISSING_ID}"


def test_auto_configure_answers_201_with_an_outcome(client, create) -> None:
    """apps/api/src/app/integrations/integrations.controller.ts (a POST without @HttpCode: 201) and
    auto-configure-integration.usecase.ts (a provider that cannot configure its inbound webhook
    answers ``success: false`` with a message, not an error)."""
    integration = create(providerId="twilio", channel="sms")
    response = client.post(f"/v1/integrations/{integration['_id']}/auto-configure")
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["success"] is False and isinstance(data["message"], str) and data["message"]


def test_health_check_is_enveloped(client) -> None:
    """apps/api/src/app/health/e2e/health-check.e2e.ts and health.controller.ts: ``data.status`` is
    "ok", with the database, the workflow queue and the API version among the indicators."""
    response = client.get("/v1/health-check")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["status"] == "ok"
    assert {"db", "workflowQueue", "apiVersion"} <= set(data["info"])
    assert data["info"]["apiVersion"]["status"] == "up" and data["info"]["apiVersion"]["version"]
