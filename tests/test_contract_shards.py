"""A contract run split over several Schemathesis processes: every operation still gets every
phase and check, faults are still named, and the progress reads as one run."""

from __future__ import annotations

from dataclasses import replace

import httpx

from contract_tests import shards
from contract_tests.report import CheckOutcome, OperationResult, ProgressEvent, RunReport
from contract_tests.runner import EXIT_FAILED, ContractOptions, dry_run, run_contract, run_plan
from mock_server.serving import running_app
from tests import faulty

LIST = "IntegrationsController_listIntegrations"
ACTIVE = "IntegrationsController_getActiveIntegrations"


def test_split_gives_every_operation_to_exactly_one_group_of_about_equal_cost() -> None:
    costs = {f"op{index}": cost for index, cost in enumerate([9, 7, 6, 5, 5, 4, 3, 2, 2, 1])}
    groups = shards.split(costs, 3)
    assert sorted(name for group in groups for name in group) == sorted(costs)
    loads = [sum(costs[name] for name in group) for group in groups]
    assert max(loads) - min(loads) <= max(costs.values()) // 2 + 1
    # each group keeps the spec's order
    assert all(list(group) == sorted(group, key=list(costs).index) for group in groups)
    assert shards.split({"only": 3}, 4) == [("only",)]


def test_the_plan_starts_one_stateful_process_over_the_whole_selection_then_groups_costliest_first() -> None:
    costs = {name: cost for name, cost in zip("abcdefgh", [8, 7, 6, 5, 4, 3, 2, 1])}
    plan = shards.plan(costs, 2, phases=["examples", "coverage", "fuzzing", "stateful"])
    assert plan[0] == shards.Shard(None, "stateful")
    groups = plan[1:]
    assert len(groups) == 2 * shards.GROUPS_PER_JOB
    assert {shard.phases for shard in groups} == {"examples,coverage,fuzzing"}
    assert sorted(name for shard in groups for name in shard.operations) == sorted(costs)
    loads = [sum(costs[name] for name in shard.operations) for shard in groups]
    assert loads == sorted(loads, reverse=True)
    small = shards.plan({"a": 3, "b": 2, "c": 1}, 2, phases=["examples", "stateful"])
    assert len(small) == 1 + min(3, 2 * shards.GROUPS_PER_JOB) and small[0].phases == "stateful"
    assert shards.plan(costs, 1, phases=["examples", "stateful"]) == [shards.Shard(None, "examples,stateful")]
    assert shards.plan({"a": 1}, 4, phases=["examples"]) == [shards.Shard(None, "examples")]


def test_the_default_run_of_the_whole_spec_is_split_when_the_machine_has_cpus_for_it(monkeypatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    plan = run_plan(ContractOptions("http://127.0.0.1:1", "k"))
    assert len(plan) == 1 + 2 * shards.GROUPS_PER_JOB and plan[0] == shards.Shard(None, "stateful")
    assert run_plan(ContractOptions("http://127.0.0.1:1", "k", jobs=1)) == [
        shards.Shard(None, "examples,coverage,fuzzing,stateful")
    ]
    text = dry_run(ContractOptions("http://127.0.0.1:1", "k", jobs=2))
    processes = 1 + 2 * shards.GROUPS_PER_JOB
    assert f"Processes: {processes}, 2 at a time" in text and text.count("schemathesis.cli") == processes


def test_merged_reports_add_up_and_keep_the_worst_phase_status() -> None:
    first, second = RunReport(seed=7, running_time=3.0), RunReport(seed=7, running_time=5.0)
    first.operations["GET /a"] = OperationResult("GET /a", requests=2, checks={"x": CheckOutcome(runs=2)})
    second.operations["GET /a"] = OperationResult(
        "GET /a", requests=3, checks={"x": CheckOutcome(runs=3, failures=1, titles={"t": "m"})}
    )
    first.phases, second.phases = {"fuzzing": "success"}, {"fuzzing": "failure"}
    merged = shards.merge([first, second])
    assert merged.operations["GET /a"].requests == 5 and merged.operations["GET /a"].checks["x"].runs == 5
    assert merged.failures == 1 and merged.phases == {"fuzzing": "failure"}
    assert (merged.seed, merged.running_time) == (7, 5.0)


def test_progress_of_several_processes_reads_as_one_run() -> None:
    seen: list[ProgressEvent] = []
    plan = [shards.Shard(("a",), "examples,fuzzing"), shards.Shard(("b",), "examples,fuzzing")]
    merger = shards.ProgressMerger(seen.append, plan, 2)
    for _ in plan:
        merger(ProgressEvent("start", operations=1))
        merger(ProgressEvent("phase-started", "examples"))
    merger(ProgressEvent("scenario-finished", "examples", label="GET /a", status="success"))
    merger(ProgressEvent("phase-finished", "examples", status="success"))
    merger(ProgressEvent("phase-finished", "examples", status="failure"))
    assert [(event.kind, event.phase, event.status, event.operations) for event in seen] == [
        ("start", None, None, 2),
        ("phase-started", "examples", None, None),
        ("scenario-finished", "examples", "success", None),
        ("phase-finished", "examples", "failure", None),
    ]


def test_a_split_run_tests_every_operation_and_names_the_fault(tmp_path) -> None:
    events: list[ProgressEvent] = []
    options = ContractOptions(
        "", faulty.KEY, include_operations=(LIST, ACTIVE), max_examples=5, seed=20261203, jobs=2,
        junit=tmp_path / "junit.xml",
    )  # fmt: skip
    with running_app(faulty.wrong_status()) as url:
        result = run_contract(replace(options, url=url), progress=events.append)
    assert result.exit_code == EXIT_FAILED
    assert {"GET /v1/integrations", "GET /v1/integrations/active"} <= set(result.report.operations)
    assert all(operation.requests > 0 for operation in result.report.operations.values())
    assert "GET /v1/integrations/active: status_code_conformance" in result.reason
    assert "GET /v1/integrations:" not in result.reason.replace("/active:", "")
    starts = [event for event in events if event.kind == "start"]
    assert len(starts) == 1 and starts[0].operations == 2
    finished = [event.phase for event in events if event.kind == "phase-finished"]
    assert sorted(finished) == ["coverage", "examples", "fuzzing"]


def test_what_every_process_of_a_split_run_created_is_deleted(tmp_path) -> None:
    def integrations(url: str) -> set[str]:
        answer = httpx.get(f"{url}/v1/integrations", headers={"Authorization": f"ApiKey {faulty.KEY}"})
        return {item["_id"] for item in answer.json()["data"]}

    options = ContractOptions(
        "", faulty.KEY, include_operations=("IntegrationsController_createIntegration", LIST, ACTIVE),
        max_examples=5, seed=20261203, jobs=2, prefix="ct-split-",
    )  # fmt: skip
    with running_app(faulty.mock_app()) as url:
        before = integrations(url)
        result = run_contract(replace(options, url=url))
        after = integrations(url)
    assert result.passed, result.reason
    assert result.cleanup.created > 0 and result.cleanup.deleted == result.cleanup.created
    assert after == before
