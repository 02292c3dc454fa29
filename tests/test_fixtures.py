"""Fixtures: realistic, reproducible, and valid against the spec."""

from __future__ import annotations

from collections import Counter

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource

from fixtures import seed_environment
from mock_server.settings import default_spec_path
from mock_server.spec import load_spec
from mock_server.store import Backends


def _seeded(seed: int, keys=("a", "b")) -> Backends:
    backends = Backends({key: key for key in keys})
    for index, backend in enumerate(backends):
        seed_environment(backend, seed=seed, index=index)
    return backends


def _dump(backends: Backends) -> list[list[dict]]:
    return [[i.to_dto() | {"credentials": i.credentials} for i in b.integrations.list()] for b in backends]


def test_same_seed_same_data_ids_and_timestamps_included() -> None:
    assert _dump(_seeded(42)) == _dump(_seeded(42))
    assert _dump(_seeded(42)) != _dump(_seeded(43))


def test_environments_of_one_seed_differ() -> None:
    first, second = _dump(_seeded(5))
    assert {i["_id"] for i in first}.isdisjoint({i["_id"] for i in second})


def test_every_channel_real_providers_and_one_primary_for_email_and_sms() -> None:
    spec = load_spec(default_spec_path())
    for backend in _seeded(1):
        integrations = backend.integrations.list()
        assert {i.channel for i in integrations} == {"in_app", "email", "sms", "chat", "push"}
        for integration in integrations:
            assert spec.provider_channels[integration.provider_id] == integration.channel
        primaries = Counter(i.channel for i in integrations if i.primary)
        assert primaries == {"email": 1, "sms": 1}
        assert all(i.active for i in integrations if i.primary)
        assert backend.integrations.by_identifier("slack-prod").credentials["clientId"]


def test_fixture_records_match_the_response_schema() -> None:
    spec = load_spec(default_spec_path())
    document = spec.document
    registry = Registry().with_resource("urn:spec", Resource.opaque(document))
    validator = OAS30Validator(
        {"$ref": "urn:spec#/components/schemas/IntegrationResponseDto"}, registry=registry
    )
    for backend in _seeded(3):
        for integration in backend.integrations.list():
            validator.validate(integration.to_dto())


def test_an_environment_filled_at_first_use_holds_what_filling_at_start_gives() -> None:
    def state(backend) -> dict:
        return backend.export_state()

    eager = _seeded(9)
    lazy = Backends({"a": "a", "b": "b"})
    filled: list[int] = []

    def fill(backend, index: int) -> None:
        filled.append(index)
        seed_environment(backend, seed=9, index=index)

    lazy.fill(fill, now=1)
    assert filled == [0]  # the second environment waits for its first use
    assert [environment.name for environment in lazy.environments()] == ["a", "b"]
    assert filled == [0]
    second = lazy[lazy.environments()[1].id]
    assert filled == [0, 1]
    assert state(second) == state(list(eager)[1])
    lazy[lazy.environments()[1].id]
    assert filled == [0, 1]  # once
