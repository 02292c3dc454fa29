"""The control surface honours its own document, with every Schemathesis check and phase."""

from __future__ import annotations

import httpx

from contract_tests.runner import ContractOptions, run_contract
from mock_server.serving import running
from mock_server.settings import Settings

KEY = "admin-fuzz-key"


def test_admin_api_honours_its_document(tmp_path) -> None:
    with running(Settings(port=0, api_keys={KEY: "Development"})) as base_url:
        document = tmp_path / "admin-openapi.json"
        document.write_bytes(httpx.get(f"{base_url}/_mock/openapi.json").content)
        junit = tmp_path / "junit.xml"
        options = ContractOptions(f"{base_url}/_mock", KEY, spec=document, seed=20261122, junit=junit, cleanup=False)
        result = run_contract(options)
    assert result.passed, f"Schemathesis reported failures ({result.reason}):\n{result.output}"
    report = junit.read_text()
    for path in ("/reset", "/state", "/requests", "/config"):
        assert path in report, path
