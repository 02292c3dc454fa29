"""Seeded subscribers and workflows: realistic, reproducible, and valid against the spec."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft4Validator

from fixtures import seed_environment
from fixtures.factories import REFERENCE_TIME
from mock_server.settings import default_spec_path
from mock_server.spec import load_spec
from mock_server.store import Backends

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _seeded(seed: int) -> Backends:
    backends = Backends({"key-a": "Development", "key-b": "Production"})
    for index, backend in enumerate(backends):
        seed_environment(backend, seed=seed, index=index)
    return backends


def _dump(backends: Backends) -> list:
    spec = load_spec(default_spec_path())
    channels = spec.enum("ChannelTypeEnum")
    out = []
    for backend in backends:
        subscribers = backend.subscribers.page(page=0, limit=10_000)[0]
        out.append(
            (
                [s.to_dto() for s in subscribers],
                [backend.preferences.get(s.subscriber_id, channels=channels, criticality="all") for s in subscribers],
            )
        )
    return out


def _validator(schema_name: str) -> Draft4Validator:
    spec = load_spec(default_spec_path())
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec.document["components"]}
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def _nullable_ok(error) -> bool:
    # OpenAPI 3.0 `nullable: true` is not JSON Schema: a None where the schema says nullable is fine.
    return error.validator == "type" and error.instance is None and error.schema.get("nullable")


def test_same_seed_same_data_other_seed_other_data() -> None:
    assert _dump(_seeded(3)) == _dump(_seeded(3))
    assert _dump(_seeded(3)) != _dump(_seeded(4))


def test_environments_of_one_seed_differ() -> None:
    first, second = _dump(_seeded(5))
    assert {s["subscriberId"] for s in first[0]} != {s["subscriberId"] for s in second[0]}


@pytest.mark.parametrize("seed", [1, 2])
def test_seeded_subscribers_are_realistic_and_schema_valid(seed: int) -> None:
    validator = _validator("SubscriberResponseDto")
    preferences_validator = _validator("GetSubscriberPreferencesDto")
    for subscribers, preferences in _dump(_seeded(seed)):
        assert len(subscribers) >= 30
        for dto in subscribers:
            errors = [e for e in validator.iter_errors(dto) if not _nullable_ok(e)]
            assert not errors, (dto["subscriberId"], [e.message for e in errors])
            assert "phone" not in dto or E164.match(dto["phone"]), dto["phone"]
            assert "email" not in dto or "@" in dto["email"]
            assert all(dto.get(name, "absent") is not None for name in ("firstName", "email", "phone", "avatar")), (
                "what a seeded subscriber lacks is absent, as Novu leaves out fields never given"
            )
            reference = REFERENCE_TIME.isoformat().replace("+00:00", "Z")
            assert dto["createdAt"] < reference and dto["updatedAt"] < reference, "counted back from the reference time"
        for dto in preferences:
            assert not [e for e in preferences_validator.iter_errors(dto) if not _nullable_ok(e)]
        providers = {c["providerId"] for dto in subscribers for c in dto["channels"]}
        assert {"slack", "fcm"} <= providers, "some subscribers hold chat and push credentials"
        assert any(c["credentials"].get("deviceTokens") for dto in subscribers for c in dto["channels"])
        assert {dto["locale"] for dto in subscribers} >= {"en-US"} or len({dto["locale"] for dto in subscribers}) > 3
        assert any(dto["isOnline"] is False and dto["lastOnlineAt"] for dto in subscribers)
        assert any(w["overrides"] for p in preferences for w in p["workflows"]), "some chose per workflow"


def test_workflows_are_seeded_with_critical_ones() -> None:
    backend = next(iter(_seeded(1)))
    workflows = backend.workflows.list()
    assert len(workflows) >= 5
    assert any(w.critical for w in workflows) and any(not w.critical for w in workflows)
    assert all(w.channels and w.tags and w.name for w in workflows)
