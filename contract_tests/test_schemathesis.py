"""The whole spec, fuzzed against the target with every Schemathesis check and phase.

This is the same core `novu-mock contract` runs: `pytest contract_tests --target-url URL --api-key KEY`
and `novu-mock contract --url URL --api-key KEY` check the same things.
"""

from __future__ import annotations

from xml.etree import ElementTree

from contract_tests.runner import ContractOptions, run_contract, selected_operations


def test_target_honours_the_spec(target, tmp_path) -> None:
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    # Against a real server what the run creates is labelled and deleted at the end (the default).
    options = ContractOptions(target.url, target.api_key, seed=20261122, junit=junit, summary=summary)
    result = run_contract(options)
    assert result.passed, f"{result.reason}\n{summary.read_text() if summary.exists() else result.output}"
    # The run really exercised every operation of the spec, and reported each of them.
    expected = {f"{method} {path}" for method, path, _, _ in selected_operations(options)}
    assert expected <= set(result.report.operations)
    assert all(result.report.operations[label].requests > 0 for label in expected)
    tested = {case.get("classname") for case in ElementTree.parse(junit).getroot().iter("testcase")}
    assert expected <= tested
