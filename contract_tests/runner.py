"""The core of the contract suite: run Schemathesis against any Novu-compatible server.

Called by the pytest suite; a thin CLI can call it the same way. Every check and every phase
(examples, coverage, fuzzing, stateful) is on; nothing is excluded.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = REPO_ROOT / "openapi.yaml"


@dataclass(frozen=True, slots=True)
class RunResult:
    exit_code: int
    output: str
    command: list[str]

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def schemathesis_command(
    url: str,
    api_key: str,
    *,
    spec: Path = DEFAULT_SPEC,
    max_examples: int | None = None,
    seed: int | None = None,
    junit: Path | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(spec),
        "--url", url,
        "--header", f"Authorization: ApiKey {api_key}",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--no-color",
    ]  # fmt: skip
    if max_examples is not None:
        command += ["--max-examples", str(max_examples)]
    if seed is not None:
        command += ["--seed", str(seed)]
    if junit is not None:
        command += ["--report", "junit", "--report-junit-path", str(junit)]
    return command + list(extra or [])


def run_schemathesis(url: str, api_key: str, *, timeout: float = 900, **options) -> RunResult:
    command = schemathesis_command(url, api_key, **options)
    # From the repository root, so schemathesis.toml (and its hooks) are picked up.
    completed = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    return RunResult(completed.returncode, completed.stdout + completed.stderr, command)
