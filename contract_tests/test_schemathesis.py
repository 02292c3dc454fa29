"""The whole spec, fuzzed against the target with every Schemathesis check and phase.

This is the same core `novu-mock contract` runs: `pytest contract_tests --target-url URL --api-key KEY`
and `novu-mock contract --url URL --api-key KEY` check the same things.

The seed: the target must pass for any seed, so the suite does not pin one. It uses the UTC date
(``20261203``): every day explores other data, while a re-run of a failed job the same day replays
the same cases, and the seed is in the failure message. ``NOVU_CONTRACT_SEED`` sets it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from xml.etree import ElementTree

from contract_tests.runner import ContractOptions, run_contract, selected_operations


def suite_seed() -> int:
    return int(os.environ.get("NOVU_CONTRACT_SEED") or datetime.now(UTC).strftime("%Y%m%d"))


def test_target_honours_the_spec(target, tmp_path) -> None:
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    seed = suite_seed()
    # Against a real server what the run creates is labelled and deleted at the end (the default).
    options = ContractOptions(target.url, target.api_key, seed=seed, junit=junit, summary=summary)
    result = run_contract(options)
    replay = f"seed {seed} (replay: NOVU_CONTRACT_SEED={seed} or novu-mock contract --seed {seed})"
    assert result.passed, f"{replay}\n{result.reason}\n{summary.read_text() if summary.exists() else result.output}"
    assert result.report.seed == seed
    # The run really exercised every operation of the spec, and reported each of them.
    expected = {f"{method} {path}" for method, path, _, _ in selected_operations(options)}
    assert expected <= set(result.report.operations), replay
    assert all(result.report.operations[label].requests > 0 for label in expected), replay
    tested = {case.get("classname") for case in ElementTree.parse(junit).getroot().iter("testcase")}
    assert expected <= tested, replay
