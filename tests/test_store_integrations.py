"""Business rules of integrations, at the store level."""

from __future__ import annotations

import threading

import pytest

from mock_server.errors import Conflict, NotFound
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
    with pytest.raises(Conflict):
        integrations.set_primary(integrations.create(provider_id="fcm", channel="push").id)


def test_deactivating_clears_primary(integrations) -> None:
    first = integrations.create(provider_id="sendgrid", channel="email", active=True)
    integrations.update(first.id, {"active": False})
    assert not first.primary


def test_identifier_rules(integrations) -> None:
    one = integrations.create(provider_id="ses", channel="email", identifier="mail")
    generated = integrations.create(provider_id="ses", channel="email")
    assert generated.identifier.startswith("ses-") and generated.identifier != "mail"
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
    created = integrations.create(provider_id="sendgrid", channel="email", credentials={"apiKey": "SG.secret"})
    assert created.credentials == {"apiKey": "SG.secret"}
    assert created.to_dto()["credentials"] == {}


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
