"""The contract itself: valid OpenAPI, every operation served, facts the mock reads from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from mock_server.resolver import NovuResolver, handler_path
from mock_server.settings import default_spec_path
from mock_server.spec import load_spec
from mock_server.store import Backends

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def test_openapi_yaml_is_valid_openapi() -> None:
    document, _ = read_from_filename(str(default_spec_path()))
    validate(document)


def test_every_operation_resolves_to_a_handler() -> None:
    spec = load_spec(default_spec_path())
    resolver = NovuResolver(spec, Backends({"k": "Development"}))
    for operation_id in spec.operations:
        assert callable(resolver.resolve_function_from_operation_id(operation_id)), operation_id


def test_resolver_rule() -> None:
    assert handler_path("IntegrationsController_createIntegration") == (
        "mock_server.handlers.integrations",
        "create_integration",
    )
    assert handler_path("SubscribersV1Controller_listSubscribers") == (
        "mock_server.handlers.subscribers_v1",
        "list_subscribers",
    )
    assert handler_path("IntegrationsController_getChatOAuthUrl")[1] == "get_chat_oauth_url"


def test_a_missing_handler_stops_the_app(tmp_path) -> None:
    from mock_server.app import create_app
    from mock_server.settings import Settings

    text = default_spec_path().read_text().replace(
        "operationId: HealthController_healthCheck", "operationId: HealthController_noSuchHandler"
    )
    spec = tmp_path / "openapi.yaml"
    spec.write_text(text)
    with pytest.raises(Exception, match="no_such_handler|noSuchHandler"):
        create_app(Settings(spec_path=spec, fixtures=False))


def test_envelope_and_status_facts_come_from_the_spec() -> None:
    operations = load_spec(default_spec_path()).operations
    assert operations["IntegrationsController_listIntegrations"].enveloped is True
    assert operations["IntegrationsController_getActiveIntegrations"].enveloped is True
    assert operations["IntegrationsController_setIntegrationAsPrimary"].success_status == 201
    assert operations["IntegrationsController_createIntegration"].enveloped is True
    assert operations["IntegrationsController_createIntegration"].success_status == 201
    assert operations["IntegrationsController_removeIntegration"].enveloped is True


@pytest.mark.skipif(not SEEDS.exists(), reason="the seed pages live in ../shared/seeds beside the checkout")
def test_provider_ids_are_exactly_the_seeds() -> None:
    seed = next(SEEDS.glob("001_*.txt")).read_text()
    listed = re.search(r'Value in: ("emailjs".*?"novu-slack")', seed).group(1)
    seed_ids = re.findall(r'"([^"]+)"', listed)
    channels = load_spec(default_spec_path()).provider_channels
    # providers of Novu's 3.15.0 document newer than the seed pages (spec-diff against that document)
    newer = {"cm-telecom": "sms", "novu-email-agent": "email"}
    assert sorted(channels) == sorted([*seed_ids, *newer])
    assert {provider: channels[provider] for provider in newer} == newer
    assert channels["sendgrid"] == "email" and channels["twilio"] == "sms" and channels["fcm"] == "push"
    assert channels["slack"] == "chat" and channels["novu"] == "in_app"


def test_allowed_methods() -> None:
    spec = load_spec(default_spec_path())
    assert set(spec.allowed_methods("/v1/integrations")) == {"GET", "HEAD", "POST"}
    assert set(spec.allowed_methods("/v1/integrations/abc")) == {"PUT", "DELETE"}
    assert spec.allowed_methods("/v1/integrations/active") == ["GET", "HEAD"]


def test_connexion_start_up_check_is_fast_for_a_valid_document_and_explains_a_broken_one() -> None:
    import copy

    from connexion.exceptions import InvalidSpecification
    from connexion.spec import Specification

    from mock_server.spec_check import compiled_spec_check

    document = load_spec(default_spec_path()).document
    original = Specification.__dict__["_validate_spec"]
    with compiled_spec_check():
        assert Specification.from_dict(document)["paths"].keys() == document["paths"].keys()

        broken = copy.deepcopy(document)
        broken["paths"]["/v1/integrations"]["get"]["responses"] = "none"
        with pytest.raises(InvalidSpecification):
            Specification.from_dict(broken)

        bad_default = copy.deepcopy(document)
        bad_default["paths"]["/v1/integrations"]["get"]["parameters"] = [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "default": "ten"}}
        ]
        with pytest.raises(InvalidSpecification):
            Specification.from_dict(bad_default)
    assert Specification.__dict__["_validate_spec"] is original


# -- the parse cache --------------------------------------------------------------------------


def test_a_parsed_document_is_kept_and_read_back_equal(tmp_path, monkeypatch) -> None:
    from mock_server.spec import read_yaml

    source = default_spec_path()

    monkeypatch.setenv("NOVU_MOCK_CACHE_DIR", str(tmp_path / "cache"))
    first = read_yaml(source)
    kept = list((tmp_path / "cache").glob("yaml-*.pickle"))
    assert len(kept) == 1
    second = read_yaml(source)
    assert second == first and second is not first  # each caller gets its own document
    second["info"]["title"] = "changed by a caller"
    assert read_yaml(source)["info"]["title"] == first["info"]["title"]


def test_a_changed_file_is_parsed_again(tmp_path, monkeypatch) -> None:
    from mock_server.spec import read_yaml

    monkeypatch.setenv("NOVU_MOCK_CACHE_DIR", str(tmp_path / "cache"))
    document = tmp_path / "doc.yaml"
    document.write_text("a: 1\n")
    assert read_yaml(document) == {"a": 1}
    document.write_text("a: 2\n")
    assert read_yaml(document) == {"a": 2}
    assert len(list((tmp_path / "cache").glob("yaml-*.pickle"))) == 2


def test_the_cache_keeps_only_the_most_recently_used_parses(tmp_path, monkeypatch) -> None:
    """Each edit of a spec writes a new parse; the cache stays at the newest few, and a parse read
    again counts as recent."""
    from mock_server.spec import KEPT_PARSES, read_yaml

    cache = tmp_path / "cache"
    monkeypatch.setenv("NOVU_MOCK_CACHE_DIR", str(cache))
    document = tmp_path / "doc.yaml"
    document.write_text("a: 0\n")
    read_yaml(document)
    first = next(cache.glob("yaml-*.pickle"))
    for version in range(1, KEPT_PARSES + 5):
        document.write_text(f"a: {version}\n")
        assert read_yaml(document) == {"a": version}
        if version % 2 == 0:  # the first text is read again now and then: it stays
            document.write_text("a: 0\n")
            assert read_yaml(document) == {"a": 0}
    assert len(list(cache.glob("yaml-*.pickle"))) == KEPT_PARSES
    assert first.exists()


def test_a_damaged_or_unwritable_cache_never_changes_the_document(tmp_path, monkeypatch) -> None:
    from mock_server.spec import read_yaml

    document = tmp_path / "doc.yaml"
    document.write_text("paths: {}\nlist: [1, two, 3.5, null, true]\n")
    expected = {"paths": {}, "list": [1, "two", 3.5, None, True]}
    monkeypatch.setenv("NOVU_MOCK_CACHE_DIR", str(tmp_path / "cache"))
    assert read_yaml(document) == expected
    for kept in (tmp_path / "cache").glob("yaml-*.pickle"):
        kept.write_bytes(b"not a pickle")
    assert read_yaml(document) == expected  # damaged: parsed again, and kept again
    assert read_yaml(document) == expected
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("NOVU_MOCK_CACHE_DIR", str(blocked / "cache"))  # cannot be made
    assert read_yaml(document) == expected
    monkeypatch.setenv("NOVU_MOCK_CACHE_DIR", "")  # off
    assert read_yaml(document) == expected
