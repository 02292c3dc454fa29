"""The README's promises: its two commands come first, and CI runs the test one."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def test_readme_opens_with_serve_and_test_commands() -> None:
    serve, test = _readme_commands()
    assert "novu-mock serve" in serve
    assert "pytest" in test and '".[test]"' in test


def test_ci_runs_the_readme_test_command() -> None:
    _, test = _readme_commands()
    assert test in (ROOT / ".ci" / "run").read_text().splitlines()


def test_default_keys_in_readme_match_the_code() -> None:
    from mock_server.settings import DEFAULT_API_KEYS

    readme = (ROOT / "README.md").read_text()
    for key in DEFAULT_API_KEYS:
        assert key in readme
