"""Inbox session tokens: what a frontend's token opens, and what it never opens."""

from __future__ import annotations

import jwt

from mock_server import inbox_session
from mock_server.store import Backends

SUBSCRIBER = {"_id": "6" * 24, "subscriberId": "ada", "firstName": "Ada", "lastName": None, "email": None}


def _backends() -> Backends:
    return Backends({"key-dev": "Development", "key-prod": "Production"})


def test_a_token_names_its_environment_and_subscriber_with_novus_claims():
    backends = _backends()
    environment = backends.environment_for_key("key-dev")
    token = inbox_session.issue(environment, SUBSCRIBER)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["aud"], claims["iss"], claims["subscriberId"]) == ("widget_user", "novu_api", "ada")
    assert claims["exp"] - claims["iat"] == 15 * 24 * 3600
    session = inbox_session.verify(token, backends)
    assert session is not None and session.environment == environment and session.subscriber_id == "ada"


def test_expired_forged_foreign_and_malformed_tokens_open_nothing():
    backends = _backends()
    dev, prod = backends.environment_for_key("key-dev"), backends.environment_for_key("key-prod")
    expired = inbox_session.issue(dev, SUBSCRIBER, now=1_000_000)
    # signed for the production environment but claiming the development one
    forged = jwt.encode(
        {**jwt.decode(inbox_session.issue(prod, SUBSCRIBER), options={"verify_signature": False}), "environmentId": dev.id},
        "not-the-secret-of-any-environment-at-all",
        algorithm="HS256",
    )
    other_audience = jwt.encode({"environmentId": dev.id, "aud": "user"}, "a-secret-long-enough-for-hs256-keys!", algorithm="HS256")
    for token in (expired, forged, other_audience, "not-a-jwt", ""):
        assert inbox_session.verify(token, backends) is None
    assert inbox_session.verify(inbox_session.issue(dev, SUBSCRIBER), Backends({"key-prod": "Production"})) is None


def test_application_identifiers_are_stable_per_key_and_distinct():
    first, second = _backends(), _backends()
    ids = [environment.identifier for environment in first.environments()]
    assert ids == [environment.identifier for environment in second.environments()]
    assert len(set(ids)) == 2 and all(len(identifier) == 12 for identifier in ids)
    assert first.environment_for_identifier(ids[1]).name == "Production"
    assert first.environment_for_identifier("unknown") is None


def test_bearer_reads_only_bearer_headers():
    assert inbox_session.bearer("Bearer abc") == "abc"
    assert inbox_session.bearer("ApiKey abc") is None
    assert inbox_session.bearer(None) is None and inbox_session.bearer("Bearer ") is None
