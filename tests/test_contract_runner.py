"""`novu-mock contract` and its core: it passes a correct server and names the fault of a broken one."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from contract_tests.hooks import wait_for_rate_limit
from contract_tests.runner import (
    EXIT_FAILED,
    EXIT_KEY_REFUSED,
    EXIT_UNREACHABLE,
    ContractOptions,
    run_contract,
)
from mock_server import cli
from mock_server.serving import free_port, running_app
from tests import faulty

FAST = {"max_examples": 5, "seed": 20261122}


def run(url: str, tmp_path: Path, operation: str, **options):
    defaults = {"junit": tmp_path / "junit.xml", "summary": tmp_path / "summary.md", **FAST}
    return run_contract(ContractOptions(url, faulty.KEY, include_operations=(operation,), **{**defaults, **options}))


def junit_failures(path: Path) -> dict[tuple[str, str], str]:
    """(operation, check) -> failure message, from the JUnit file."""
    root = ElementTree.parse(path).getroot()
    return {
        (case.get("classname"), case.get("name")): case.find("failure").get("type")
        for case in root.iter("testcase")
        if case.find("failure") is not None
    }


FAULTS = [
    (faulty.drops_required_field, "IntegrationsController_listIntegrations", "GET /v1/integrations", "response_schema_conformance"),
    (faulty.mistypes_field, "IntegrationsController_listIntegrations", "GET /v1/integrations", "response_schema_conformance"),
    (faulty.wrong_status, "IntegrationsController_getActiveIntegrations", "GET /v1/integrations/active", "status_code_conformance"),
    (faulty.server_error, "IntegrationsController_listIntegrations", "GET /v1/integrations", "not_a_server_error"),
    (faulty.ignores_auth, "IntegrationsController_listIntegrations", "GET /v1/integrations", "ignored_auth"),
    (faulty.answers_405, "IntegrationsController_listIntegrations", "GET /v1/integrations", "novu_unsupported_method"),
]


@pytest.mark.parametrize(("make_app", "operation", "label", "check"), FAULTS, ids=[fault[0].__name__ for fault in FAULTS])
def test_each_fault_is_reported_with_its_check(make_app, operation, label, check, tmp_path) -> None:
    with running_app(make_app()) as url:
        result = run(url, tmp_path, operation)
    assert result.exit_code == EXIT_FAILED
    assert check in result.reason and label in result.reason
    assert check in result.report.failed_checks()[label]
    failures = junit_failures(tmp_path / "junit.xml")
    assert failures[(label, check)] == check
    summary = (tmp_path / "summary.md").read_text()
    assert "FAILED" in summary and f"## `{label}`" in summary
    # The first failing case, ready to paste (the key stays a variable; ignored_auth's case has none).
    method = "PUT|PATCH|DELETE" if check == "novu_unsupported_method" else "GET"  # the undocumented methods
    assert re.search(rf"curl -X ({method}) ", summary) and str(url) in summary
    assert "$NOVU_API_KEY" in summary or check == "ignored_auth"
    assert faulty.KEY not in summary


def test_the_command_exits_1_naming_the_fault(tmp_path, capsys) -> None:
    junit = tmp_path / "junit.xml"
    with running_app(faulty.wrong_status()) as url:
        code = cli.main([
            "contract", "--url", url, "--api-key", faulty.KEY, "--quiet", "--max-examples", "5",
            "--include-operation", "IntegrationsController_getActiveIntegrations", "--junit", str(junit),
        ])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert code == EXIT_FAILED
    assert err[-1].startswith("novu-mock contract: FAILED:")
    assert "GET /v1/integrations/active: status_code_conformance" in err[-1]
    assert ("GET /v1/integrations/active", "status_code_conformance") in junit_failures(junit)


def test_a_correct_server_passes_with_every_check_reported(tmp_path) -> None:
    with running_app(faulty.mock_app()) as url:
        result = run(url, tmp_path, "IntegrationsController_listIntegrations")
    assert result.passed, result.reason or result.output[-3000:]
    root = ElementTree.parse(tmp_path / "junit.xml").getroot()
    cases = list(root.iter("testcase"))
    # One test case per operation and check, none failing; every Schemathesis check appears.
    assert {case.get("classname") for case in cases} == {"GET /v1/integrations"}
    names = {case.get("name") for case in cases}
    assert {"not_a_server_error", "response_schema_conformance", "ignored_auth", "status_code_conformance"} <= names
    # unsupported_method runs in its Novu-faithful version (contract_tests/novu_checks.py)
    assert "novu_unsupported_method" in names and "unsupported_method" not in names
    assert len(names) == len(cases)
    assert root.get("failures") == "0" and root.get("errors") == "0"
    assert result.report.operations["GET /v1/integrations"].requests > 0


def test_the_summary_can_be_html(tmp_path) -> None:
    with running_app(faulty.wrong_status()) as url:
        result = run(url, tmp_path, "IntegrationsController_getActiveIntegrations", summary=tmp_path / "summary.html")
    page = (tmp_path / "summary.html").read_text()
    assert result.exit_code == EXIT_FAILED
    assert page.startswith("<!doctype html>") and "FAILED" in page
    assert "<code>GET /v1/integrations/active</code>" in page and "status_code_conformance" in page
    assert "<pre>curl -X GET" in page


def test_unreachable_target_gives_one_line_reason_and_code_3(capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code = cli.main(["contract", "--url", url, "--api-key", "k", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == EXIT_UNREACHABLE
    assert len(err.splitlines()) == 1 and "cannot reach" in err and url in err


def test_refused_key_gives_one_line_reason_and_code_4(capsys) -> None:
    with running_app(faulty.mock_app()) as url:
        code = cli.main(["contract", "--url", url, "--api-key", "not-a-key", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == EXIT_KEY_REFUSED
    assert len(err.splitlines()) == 1 and "refused the API key" in err and "401" in err


def test_filters_that_select_nothing_are_a_usage_error(capsys) -> None:
    recorder = faulty.Recorder(faulty.mock_app())
    with running_app(recorder) as url:
        code = cli.main(["contract", "--url", url, "--api-key", faulty.KEY, "--include-operation", "NoSuch_op", "--quiet"])
    assert code == 2 and recorder.seen == []
    assert "select no operation" in capsys.readouterr().err


def test_read_only_sends_nothing_but_get(tmp_path) -> None:
    recorder = faulty.Recorder(faulty.mock_app())
    with running_app(recorder) as url:
        result = run_contract(ContractOptions(url, faulty.KEY, include_tags=("Integrations",), read_only=True, **FAST))
    assert result.passed, result.reason
    methods = {method for method, _, _ in recorder.seen}
    assert methods == {"GET"}
    assert {path for _, path, _ in recorder.seen} >= {"/v1/integrations", "/v1/integrations/active"}


def test_dry_run_sends_nothing(capsys) -> None:
    recorder = faulty.Recorder(faulty.mock_app())
    with running_app(recorder) as url:
        code = cli.main(["contract", "--url", url, "--api-key", faulty.KEY, "--include-tag", "Integrations", "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0 and recorder.seen == []
    assert "IntegrationsController_createIntegration" in out and "HealthController_healthCheck" not in out


def _integrations(url: str) -> list[dict]:
    return httpx.get(f"{url}/v1/integrations", headers={"Authorization": f"ApiKey {faulty.KEY}"}).json()["data"]


def test_created_resources_carry_the_prefix_and_are_deleted(tmp_path) -> None:
    with running_app(faulty.mock_app()) as url:
        before = {item["_id"] for item in _integrations(url)}
        result = run(url, tmp_path, "IntegrationsController_createIntegration", prefix="ct-label-")
        after = _integrations(url)
    assert result.passed, result.reason
    assert result.cleanup.created > 0 and result.cleanup.deleted == result.cleanup.created
    assert {item["_id"] for item in after} == before


def test_no_cleanup_keeps_prefixed_resources(tmp_path) -> None:
    with running_app(faulty.mock_app()) as url:
        before = {item["_id"] for item in _integrations(url)}
        result = run(url, tmp_path, "IntegrationsController_createIntegration", prefix="ct-label-", cleanup=False)
        created = [item for item in _integrations(url) if item["_id"] not in before]
    assert result.passed, result.reason
    assert result.cleanup is None
    # Everything the run created is recognisable by a label (an absent name is the provider's
    # display name, as in Novu, so then the prefixed identifier tells).
    assert created
    labelled = [item for item in created if item["name"].startswith("ct-label-") or item["identifier"].startswith("ct-label-")]
    assert labelled == created, [(item["name"], item["identifier"]) for item in created]


def test_a_tight_rate_limit_is_waited_out_not_hammered(tmp_path) -> None:
    # 2 requests a second: the run outpaces that many times over unless it waits when told to.
    recorder = faulty.Recorder(faulty.mock_app(rate_limit_per_second=2))
    with running_app(recorder) as url:
        result = run(url, tmp_path, "IntegrationsController_listIntegrations")
    assert result.passed, result.reason
    answered = [status for method, path, status in recorder.seen if status == 200]
    assert len(answered) > 2
    assert 429 not in {status for _, _, status in recorder.seen}


def test_retry_after_is_waited_out(tmp_path) -> None:
    target = faulty.SaysSlowDown(faulty.mock_app(), "/v1/integrations")
    with running_app(target) as url:
        result = run(url, tmp_path, "IntegrationsController_listIntegrations")
    assert result.passed, result.reason
    refused = [index for index, (_, status) in enumerate(target.arrivals) if status == 429]
    assert refused
    # After each 429 the next request came only once Retry-After (1 s) had passed.
    gaps = [target.arrivals[i + 1][0] - target.arrivals[i][0] for i in refused if i + 1 < len(target.arrivals)]
    assert gaps and min(gaps) >= 0.95


def test_rate_limit_headers_decide_the_wait() -> None:
    waits: list[float] = []
    assert wait_for_rate_limit({"ratelimit-remaining": ["5"], "ratelimit-reset": ["3"]}, sleep=waits.append) == 0
    assert wait_for_rate_limit({"ratelimit-remaining": ["0"], "ratelimit-reset": ["3"]}, sleep=waits.append) == 3
    assert wait_for_rate_limit({"RateLimit-Remaining": "0", "Retry-After": "2"}, sleep=waits.append) == 2
    assert wait_for_rate_limit({"ratelimit-remaining": ["0"], "ratelimit-reset": ["9999"]}, sleep=waits.append) == 60
    assert waits == [3, 2, 60]


# --- seed, progress, depth, other documents, the missing extra ------------------------------------


LIST = "IntegrationsController_listIntegrations"


def test_each_run_draws_a_new_seed_and_reports_it(tmp_path) -> None:
    with running_app(faulty.mock_app()) as url:
        first = run(url, tmp_path, LIST, seed=None, max_examples=2)
        second = run(url, tmp_path, LIST, seed=None, max_examples=2)
    assert first.passed and second.passed, (first.reason, second.reason)
    assert isinstance(first.seed, int) and isinstance(second.seed, int) and first.seed != second.seed
    # the seed Schemathesis ran with is the one reported, so --seed replays it
    assert first.report.seed == first.seed and second.report.seed == second.seed
    assert f"Seed: {second.seed}" in (tmp_path / "summary.md").read_text()
    assert first.duration > 0


def test_progress_reports_every_phase_and_operation(tmp_path) -> None:
    events = []
    with running_app(faulty.mock_app()) as url:
        result = run_contract(
            ContractOptions(url, faulty.KEY, include_operations=(LIST,), **FAST), progress=events.append
        )
    assert result.passed, result.reason
    assert events[0].kind == "start" and events[0].operations == 1
    phases = [(event.kind, event.phase) for event in events if event.kind.startswith("phase")]
    # stateful is left out: one operation has no link to another
    assert phases == [
        (kind, phase) for phase in ("examples", "coverage", "fuzzing") for kind in ("phase-started", "phase-finished")
    ]
    finished = {(event.phase, event.label) for event in events if event.kind == "scenario-finished"}
    assert {("coverage", "GET /v1/integrations"), ("fuzzing", "GET /v1/integrations")} <= finished


def test_the_command_prints_plain_progress_lines_the_seed_and_a_summary_off_a_terminal(tmp_path, capsys) -> None:
    with running_app(faulty.mock_app()) as url:
        code = cli.main(["contract", "--url", url, "--api-key", faulty.KEY, "--max-examples", "2", "--include-operation", LIST])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    seed = int(lines[0].rsplit("seed ", 1)[1])
    assert "\r" not in out and "\033[" not in out
    assert "novu-mock contract: coverage: started" in lines
    assert any(line.startswith("novu-mock contract: fuzzing: success (1 operations") for line in lines)
    assert any(line.startswith("novu-mock contract: 1 operations, ") and " checks; 0 failing" in line for line in lines)
    assert f"novu-mock contract: seed {seed} (replay: --seed {seed})" in lines
    assert any(line.startswith("novu-mock contract: duration ") for line in lines)
    assert lines[-1] == "novu-mock contract: PASSED"


def test_a_given_seed_is_used(tmp_path, capsys) -> None:
    with running_app(faulty.mock_app()) as url:
        result = run(url, tmp_path, LIST, seed=424242, max_examples=2)
    assert result.seed == 424242 and result.report.seed == 424242


def test_thorough_means_more_cases_and_longer_stateful_scenarios(tmp_path) -> None:
    from contract_tests.runner import (
        DEFAULT_MAX_EXAMPLES,
        THOROUGH_MAX_EXAMPLES,
        THOROUGH_STATEFUL_STEPS,
        _config_file,
        schemathesis_command,
    )

    options = ContractOptions("http://127.0.0.1:1", "k", thorough=True)
    command = schemathesis_command(options, config=tmp_path / "c.toml", ndjson=tmp_path / "e")
    assert command[command.index("--max-examples") + 1] == str(THOROUGH_MAX_EXAMPLES)
    assert f"max-steps = {THOROUGH_STATEFUL_STEPS}" in _config_file(tmp_path, options).read_text()
    # an explicit --max-examples still wins; the default run keeps Schemathesis' stateful steps
    explicit = schemathesis_command(ContractOptions("http://x", "k", thorough=True, max_examples=7), config=tmp_path, ndjson=tmp_path)
    assert explicit[explicit.index("--max-examples") + 1] == "7"
    default = ContractOptions("http://127.0.0.1:1", "k")
    command = schemathesis_command(default, config=tmp_path, ndjson=tmp_path)
    assert command[command.index("--max-examples") + 1] == str(DEFAULT_MAX_EXAMPLES)
    assert DEFAULT_MAX_EXAMPLES < THOROUGH_MAX_EXAMPLES
    assert "max-steps" not in _config_file(tmp_path, default).read_text()


def test_the_spec_can_be_a_url(tmp_path, capsys) -> None:
    # the mock serves its own document: the run downloads it and tests against it
    with running_app(faulty.mock_app()) as url:
        code = cli.main([
            "contract", "--url", url, "--api-key", faulty.KEY, "--quiet", "--max-examples", "2",
            "--include-operation", LIST, "--spec", f"{url}/openapi.json",
        ])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "against openapi.json" in out and "novu-mock contract: 1 operations" in out


def test_an_unreachable_spec_url_is_a_usage_error(capsys) -> None:
    code = cli.main(["contract", "--url", "http://127.0.0.1:1", "--api-key", "k", "--spec", f"http://127.0.0.1:{free_port()}/x.json"])
    assert code == 2 and "cannot download" in capsys.readouterr().err


def test_without_the_test_extra_one_line_says_what_to_install(monkeypatch, capsys) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "schemathesis" else real(name, *a))
    code = cli.main(["contract", "--url", "http://127.0.0.1:1", "--api-key", "k"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and 'pip install "novu-mock[test]"' in err


def test_every_pattern_of_the_spec_compiles_within_the_default_regex_size_limit() -> None:
    """A pattern whose compiled program outgrows jsonschema_rs's default limit costs Schemathesis
    (which lifts the limit to 150 MB) that much memory for each validator it builds from the
    schema: the CountFilters pattern, written with nested counted repetitions, took ~750 MB each
    and 8 GB over a contract run. Within the default limit the mock's compiled path can check it too."""
    import jsonschema_rs

    from mock_server.settings import default_spec_path
    from mock_server.spec import load_spec

    patterns: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.add(node["pattern"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(load_spec(default_spec_path()).document)
    assert len(patterns) > 5  # the walk reaches the spec's patterns
    too_large = []
    for pattern in sorted(patterns):
        try:
            jsonschema_rs.Draft4Validator({"type": "string", "pattern": pattern})
        except jsonschema_rs.ValidationError:
            too_large.append(pattern[:80])
    assert too_large == []
