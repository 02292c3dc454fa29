"""Statuses Novu gives to schema-valid requests that the state refuses: the spec marks them
(``x-valid-input-refusal``) and the contract suite accepts them for that operation, and only there."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from contract_tests.runner import EXIT_FAILED, EXIT_PASSED, ContractOptions, refusal_config, run_contract
from mock_server.serving import running_app
from mock_server.settings import default_spec_path
from mock_server.spec import Spec
from tests import faulty

OPERATION = "IntegrationsController_getActiveIntegrations"


def spec_with_refusal(tmp_path: Path, *, marked: bool) -> Path:
    """openapi.yaml with a 400 of its own on ``GET /v1/integrations/active``, marked or not."""
    document = yaml.safe_load(default_spec_path().read_text())
    response = {
        "description": "A refusal of the state",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDto"}}},
    }
    if marked:
        response["x-valid-input-refusal"] = True
    document["paths"]["/v1/integrations/active"]["get"]["responses"]["400"] = response
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_marked_responses_are_read_per_operation(tmp_path) -> None:
    spec = Spec(yaml.safe_load(spec_with_refusal(tmp_path, marked=True).read_text()))
    assert spec.valid_input_refusals[OPERATION] == [400]
    # a shared response component marked once counts for every operation that refers to it
    document = yaml.safe_load(default_spec_path().read_text())
    document["components"]["responses"]["Conflict"]["x-valid-input-refusal"] = True
    before = Spec(yaml.safe_load(default_spec_path().read_text())).valid_input_refusals
    referring = Spec(document).valid_input_refusals
    assert referring and all(statuses == sorted({*before.get(operation, []), 409})
                             for operation, statuses in referring.items())  # fmt: skip


def test_the_config_widens_the_check_for_the_marked_operation_only(tmp_path) -> None:
    lines = refusal_config(spec_with_refusal(tmp_path, marked=True))
    text = "\n".join(lines)
    assert f'include-operation-id = "{OPERATION}"' in text
    assert text.count("[[operations]]") == len(Spec(yaml.safe_load(default_spec_path().read_text())).valid_input_refusals) + 1
    widened = next(line for line in lines[lines.index(f'include-operation-id = "{OPERATION}"') :] if "expected-statuses" in line)
    assert '"400"' in widened and '"422"' not in widened and '"2xx"' in widened


def refuses_everything():
    def refuse(status: int, body):
        if 200 <= status < 300:
            return 400, {"statusCode": 400, "message": "refused", "path": "/v1/integrations/active",
                         "timestamp": "2026-01-01T00:00:00.000Z"}  # fmt: skip
        return status, body

    return faulty.ResponseRewriter(faulty.mock_app(), "GET", "/v1/integrations/active", refuse)


@pytest.mark.parametrize(("marked", "exit_code"), [(False, EXIT_FAILED), (True, EXIT_PASSED)])
def test_a_marked_refusal_passes_and_an_unmarked_one_fails(marked, exit_code, tmp_path) -> None:
    spec = spec_with_refusal(tmp_path, marked=marked)
    options = ContractOptions(
        "", faulty.KEY, spec=spec, include_operations=(OPERATION,), max_examples=5, seed=20261122,
        summary=tmp_path / "summary.md",
    )  # fmt: skip
    with running_app(refuses_everything()) as url:
        result = run_contract(dataclasses.replace(options, url=url))
    assert result.exit_code == exit_code, result.reason
    if not marked:
        assert "positive_data_acceptance" in result.report.failed_checks()["GET /v1/integrations/active"]


def test_the_schemathesis_toml_of_the_repository_carries_the_same_refusals() -> None:
    """``st run`` from the repository reads ``schemathesis.toml``: it must widen the same checks as
    the suite does. On failure, put the lines below the ``hooks`` line of that file."""
    text = (Path(__file__).resolve().parent.parent / "schemathesis.toml").read_text()
    expected = "\n".join(refusal_config()).strip()
    found = text.split('hooks = "contract_tests.hooks"', 1)[1].strip()
    assert found == expected, f"schemathesis.toml should end with:\n{expected}"


def test_refusals_before_the_api_reads_a_request_count_as_rejections_of_invalid_data() -> None:
    """An over-long URI (414) or request line and headers (431, Node's limit) is refused before any
    validation: negative_data_rejection accepts both, for every operation."""
    spec = Spec(yaml.safe_load(default_spec_path().read_text()))
    assert spec.invalid_input_refusals == [414, 431]
    text = "\n".join(refusal_config())
    block = text.split("[checks.negative_data_rejection]", 1)[1].split("[[operations]]", 1)[0]
    assert '"414", "431"]' in block and '"422"' in block
