"""Business rules of integrations, at the store level."""

from __future__ import annotations

import threading

import pytest

from mock_server.errors import BadRequest, Conflict, Forbidden, NotFound, ValidationFailed
from mock_server.store import Backends


@pytest.fixture
def integrations():
    return next(iter(Backends({"k": "Development"}))).integrations


def test_first_active_email_integration_becomes_primary(integrations) -> None:
    first = integrations.create(provider_id="sendgrid", channel="email", active=True)
    second = integrations.create(provider_id="mailgun", channel="email", active=True)
    chat = integrations.create(provider_id="slack", channel="chat", active=True)
    assert first.primary and not second.primary and not chat.primary


def test_set_primary_moves_the_flag(integrations) -> None:
    first = integrations.create(provider_id="twilio", channel="sms", active=True)
    second = integrations.create(provider_id="sns", channel="sms", active=False)
    integrations.set_primary(second.id)
    assert second.primary and second.active and not first.primary
    with pytest.raises(BadRequest, match="Channel push does not support primary"):
        integrations.set_primary(integrations.create(provider_id="fcm", channel="push").id)
    with pytest.raises(ValidationFailed):
        integrations.set_primary("not-an-id")


def test_deactivating_clears_primary(integrations) -> None:
    first = integrations.create(provider_id="sendgrid", channel="email", active=True)
    integrations.update(first.id, {"active": False})
    assert not first.primary


def test_identifier_rules(integrations) -> None:
    one = integrations.create(provider_id="ses", channel="email", identifier="mail")
    generated = integrations.create(provider_id="ses", channel="email")
    assert generated.name == "SES" and generated.identifier.startswith("ses-") and generated.identifier != "mail"
    with pytest.raises(Conflict):
        integrations.create(provider_id="ses", channel="email", identifier="mail")
    with pytest.raises(Conflict):
        integrations.update(generated.id, {"identifier": "mail"})
    integrations.update(one.id, {"identifier": "mail-2"})
    assert integrations.by_identifier("mail-2") is one
    with pytest.raises(NotFound):
        integrations.by_identifier("mail")


def test_remove_answers_the_rest(integrations) -> None:
    one = integrations.create(provider_id="ses", channel="email")
    two = integrations.create(provider_id="sns", channel="sms")
    assert integrations.remove(one.id) == [two]
    with pytest.raises(NotFound):
        integrations.get(one.id)


def test_credentials_are_kept_but_never_echoed(integrations) -> None:
    credentials = {"apiKey": "SG.secret", "from": "a@b.c"}
    created = integrations.create(provider_id="sendgrid", channel="email", credentials=credentials)
    assert created.credentials == {"apiKey": "SG.secret", "from": "a@b.c"}
    assert "credentials" not in created.to_dto() and created.to_dto()["id"] == created.id
    assert created.to_list_dto()["credentials"] == {} and "id" not in created.to_list_dto()
    stored = created.to_stored_dto()["credentials"]
    assert stored["from"] == "a@b.c" and stored["apiKey"].startswith("nvsk.") and "SG.secret" not in stored["apiKey"]


def test_concurrent_creates_with_one_identifier_make_one_integration(integrations) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        try:
            integrations.create(provider_id="ses", channel="email", identifier="race")
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict"] * 7 + ["created"]
    assert [i.identifier for i in integrations.list()] == ["race"]


def test_priorities_follow_novus_numbering(integrations) -> None:
    first = integrations.create(provider_id="sendgrid", channel="email", active=True)
    second = integrations.create(provider_id="mailgun", channel="email", active=True)
    inactive = integrations.create(provider_id="ses", channel="email")
    assert (first.priority, first.primary, second.priority, second.primary) == (2, True, 1, False)
    assert (inactive.priority, inactive.primary) == (0, False)
    integrations.update(inactive.id, {"active": True})
    assert (inactive.priority, inactive.primary, first.priority) == (2, False, 3)
    integrations.update(first.id, {"active": False})
    assert (first.priority, first.primary, inactive.priority, second.priority) == (0, False, 2, 1)
    integrations.set_primary(second.id)
    assert (second.priority, second.primary, inactive.priority, inactive.primary) == (2, True, 1, False)
    integrations.remove(second.id)
    assert (inactive.priority, inactive.primary) == (1, False), "a removed primary leaves the channel without one"


def test_update_rules(integrations) -> None:
    credentials = {"apiKey": "a", "from": "x"}
    one = integrations.create(provider_id="sendgrid", channel="email", active=True, credentials=credentials)
    for nothing in ({}, {"check": True}, {"name": ""}, {"identifier": one.identifier}):
        with pytest.raises(BadRequest, match="No properties found for update"):
            integrations.update(one.id, nothing)
    integrations.update(one.id, {"credentials": {"apiKey": "b"}})
    assert one.credentials == {"apiKey": "b"}, "credentials are replaced, not merged"
    condition = {"isNegated": False, "type": "GROUP", "value": "AND", "children": []}
    integrations.update(one.id, {"conditions": [condition]})
    assert not one.primary
    with pytest.raises(NotFound, match="Entity with id nope not found"):
        integrations.update("nope", {"name": "x"})
    with pytest.raises(Forbidden):
        integrations.update(one.id, {"_environmentId": "0" * 24})


def test_novu_providers_are_limited(integrations) -> None:
    integrations.create(provider_id="novu", channel="in_app")
    with pytest.raises(BadRequest, match="One environment can only have one In app provider"):
        integrations.create(provider_id="novu", channel="in_app")
    integrations.create(provider_id="novu-email", channel="email")
    with pytest.raises(Conflict, match="Integration with novu provider for email channel already exists"):
        integrations.create(provider_id="novu-email", channel="email")


def test_empty_name_and_identifier_are_kept(integrations) -> None:
    created = integrations.create(provider_id="acme-mail", channel="email", name="", identifier="")
    assert (created.name, created.identifier) == ("", "")
    unnamed = integrations.create(provider_id="acme-mail", channel="email")
    assert unnamed.name == "Acme-mail" and unnamed.identifier.startswith("acme-mail-")


def test_removing_an_integration_removes_its_channel_connections_and_endpoints() -> None:
    """Novu's RemoveIntegration deletes the integration's channel connections and endpoints too."""
    from fixtures.factories import seed_environment

    backend = next(iter(Backends({"k": "Development"})))
    seed_environment(backend, seed=3, index=0)
    slack = backend.integrations.by_identifier("slack-prod")

    def tied(service) -> list:
        return [record for record in service.all() if record.integration_identifier == slack.identifier]

    assert tied(backend.channel_connections) and tied(backend.channel_endpoints), "the fixtures connect Slack"
    others = len(backend.channel_endpoints.all()) - len(tied(backend.channel_endpoints))
    backend.integrations.remove(slack.id)
    assert tied(backend.channel_connections) == [] and tied(backend.channel_endpoints) == []
    assert len(backend.channel_endpoints.all()) == others, "endpoints of other integrations stay"


def test_an_integration_may_have_no_channel(integrations) -> None:
    created = integrations.create(provider_id="sendgrid", channel=None, active=True)
    assert "channel" not in created.to_dto() and (created.priority, created.primary) == (0, False)
    with pytest.raises(BadRequest, match="Channel undefined does not support primary"):
        integrations.set_primary(created.id)


def test_agent_integrations_have_no_channel(integrations) -> None:
    integrations.create(provider_id="novu", channel="in_app")
    agent = integrations.create(provider_id="novu", channel="in_app", kind="agent")
    assert agent.kind == "agent" and agent.channel is None, "no channel, so the one-Inbox rule does not apply"
    assert integrations.create(provider_id="ses", channel="email").kind == "delivery"


def test_rules_replace_conditions(integrations) -> None:
    condition = {"isNegated": False, "type": "GROUP", "value": "AND", "children": []}
    created = integrations.create(provider_id="ses", channel="email", conditions=[condition])
    assert "rules" not in created.to_dto()
    integrations.update(created.id, {"rules": {"==": [{"var": "context.tenant.id"}, "acme"]}})
    assert created.conditions == [] and created.to_dto()["rules"]["=="][1] == "acme"
    integrations.update(created.id, {"rules": None})
    assert created.to_dto()["rules"] is None


def test_faulty_rules_change_nothing(integrations) -> None:
    created = integrations.create(provider_id="ses", channel="email", name="before")
    with pytest.raises(BadRequest, match='^Unsupported operator "map"$'):
        integrations.update(created.id, {"name": "after", "rules": {"map": [[1], {"var": ""}]}})
    assert created.name == "before" and "rules" not in created.to_dto()
    with pytest.raises(BadRequest, match="^Value is not valid; Value is not valid$"):
        integrations.create(provider_id="ses", channel="email", rules={"==": [{"var": "tenant.name"}, "x"]})
    assert len(integrations.list()) == 1
