"""The whole spec, fuzzed against the target with every Schemathesis check and phase."""

from __future__ import annotations

from contract_tests.runner import run_schemathesis


def test_target_honours_the_spec(target, tmp_path) -> None:
    junit = tmp_path / "schemathesis-junit.xml"
    result = run_schemathesis(target.url, target.api_key, seed=20261122, junit=junit)
    assert result.passed, f"Schemathesis reported failures:\n{result.output}"
    # The run really exercised the API: the JUnit report names the operations it tested.
    report = junit.read_text()
    assert "IntegrationsController" in report or "/v1/integrations" in report
