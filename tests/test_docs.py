"""The docs' promises, checked against the code and a running mock.

- The README's two commands come first, and CI runs the test one; the README stays short.
- Every option of `novu-mock serve`, `contract` and `proxy` (read from the argparse parsers) has a
  row in docs/serving.md, and every row names a real option: a new option fails here until it is
  documented.
- Every `curl` example followed by a `# -> STATUS BODY` line (README and docs pages) is run with
  the real curl against a freshly started mock, and answers that status and body shape.
- Every Python example that talks to the mock runs against a fresh mock.
- Every relative link resolves to a file, and to a heading when it names one.
- The README's Scope table counts the spec's operations per tag; every docs page is linked from it.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md")), ROOT / "benchmarks" / "README.md"]
DOCUMENTED_BASE = "http://127.0.0.1:4010"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def _blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(page.read_text()) if lang == language]


def _readme_commands() -> list[str]:
    block = _blocks(README, "bash")[0]
    return [line for line in block.splitlines() if line and not line.startswith("#")]


# --- the README --------------------------------------------------------------------------------


def test_readme_opens_with_serve_and_test_commands() -> None:
    serve, test = _readme_commands()
    assert README.read_text().lstrip().startswith("# novu-mock\n\n```bash")
    assert serve == "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/novu-mock serve"
    assert test == 'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest'


def test_ci_runs_the_readme_test_command() -> None:
    _, test = _readme_commands()
    assert test in (ROOT / ".ci" / "run").read_text().splitlines()


def test_default_keys_in_readme_match_the_code() -> None:
    from mock_server.settings import DEFAULT_API_KEYS

    readme = README.read_text()
    for key in DEFAULT_API_KEYS:
        assert key in readme


def test_readme_is_short() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; move detail to docs/"


def test_readme_scope_counts_the_operations_of_each_tag() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    counts: dict[str, int] = {}
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                tag = operation["tags"][0]
                counts[tag] = counts.get(tag, 0) + 1
    scope = README.read_text().split("## Scope", 1)[1].split("\n## ", 1)[0]
    documented = {name: int(count) for name, count in re.findall(r"^\| ([A-Z][\w ]+?) \| (\d+) \|", scope, re.MULTILINE)}
    assert documented == counts, "the README's Scope table must list each tag of openapi.yaml with its operation count"


def test_readme_links_every_docs_page() -> None:
    readme = README.read_text()
    for page in DOCS.glob("*.md"):
        assert f"(docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"


# --- options of the commands -------------------------------------------------------------------


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    from mock_server.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _options(command: str) -> set[str]:
    parser = _subcommands()[command]
    return {
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }


def _serving_section(command: str) -> str:
    text = (DOCS / "serving.md").read_text()
    heading = f"\n## `novu-mock {command}`\n"
    assert heading in text, f"docs/serving.md has no section {heading.strip()!r}"
    return text.split(heading, 1)[1].split("\n## ", 1)[0]


def test_the_documented_commands_are_the_cli_commands() -> None:
    text = (DOCS / "serving.md").read_text()
    assert set(re.findall(r"^## `novu-mock ([\w-]+)`$", text, re.MULTILINE)) == set(_subcommands())


@pytest.mark.parametrize("command", ["serve", "contract", "spec-diff", "proxy"])
def test_every_option_has_a_row_in_serving_md(command: str) -> None:
    section = _serving_section(command)
    rows = set(re.findall(r"^\| `(--[a-z-]+)", section, re.MULTILINE))
    options = _options(command)
    assert options - rows == set(), f"options of `novu-mock {command}` missing from docs/serving.md"
    assert rows - options == set(), f"docs/serving.md documents options `novu-mock {command}` does not have"


def test_environment_variables_of_the_code_are_documented() -> None:
    names: set[str] = set()
    for folder in ("mock_server", "contract_tests", "fixtures"):
        for source in (ROOT / folder).rglob("*.py"):
            # names read from the environment (constants such as NOVU_EMAIL, a provider id, are not)
            names |= set(re.findall(r"""(?:environ(?:\.get)?\(?\[?|getenv\()\s*["'](NOVU_[A-Z_]+[A-Z])["']""", source.read_text()))
    serving = (DOCS / "serving.md").read_text()
    assert names, "found no environment variable in the code: the pattern is wrong"
    assert {name for name in names if name not in serving} == set()


def test_control_surface_page_lists_every_admin_operation() -> None:
    admin = yaml.safe_load((ROOT / "mock_server" / "controls" / "admin.yaml").read_text())
    page = (DOCS / "control-surface.md").read_text()
    for path, operations in admin["paths"].items():
        for method in operations:
            if method in {"get", "post", "put", "patch", "delete"}:
                assert f"`{method.upper()} /_mock{path}`" in page


# --- links -------------------------------------------------------------------------------------


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    anchors: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        slug, number = _slug(heading), 0
        while (candidate := slug if number == 0 else f"{slug}-{number}") in anchors:
            number += 1
        anchors.add(candidate)
    return anchors


def _links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    return re.findall(r"\]\(([^)\s]+)\)", text)


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for link in _links(page):
        if re.match(r"^[a-z]+:", link):
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no file {target}")
        elif anchor and (target.suffix != ".md" or anchor not in _anchors(target)):
            broken.append(f"{link}: no heading #{anchor} in {_name(target)}")
    assert broken == []


def test_slugs_follow_github() -> None:
    assert _slug("Choosing the answer per request (`Prefer`)") == "choosing-the-answer-per-request-prefer"
    assert _slug("A subscriber's Slack webhook") == "a-subscribers-slack-webhook"
    assert _slug("`novu-mock serve`") == "novu-mock-serve"


# --- runnable examples -------------------------------------------------------------------------

EXPECTATION = re.compile(r"^# -> (\d{3})(?: (.+))?$")


def _commands(block: str) -> list[tuple[str, str | None]]:
    """The block's shell commands (continuation lines and quoted newlines joined), each with the
    `# -> ...` line that follows it, if any."""
    commands: list[list] = []
    pending = ""
    for line in block.splitlines():
        if not pending and line.startswith("#"):
            match = EXPECTATION.match(line)
            if match and commands:
                commands[-1][1] = line
            continue
        pending = f"{pending}\n{line}" if pending else line
        if pending.endswith("\\"):  # bash joins the next line itself
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        commands.append([pending.strip(), None])
        pending = ""
    return [(command, expectation) for command, expectation in commands if command]


def _examples(page: Path) -> list[tuple[list[str], str, int, str | None]]:
    """(assignments before it, command, status, body) for each curl example with an expectation."""
    examples = []
    assignments: list[str] = []  # a page sets its variables once, for all its blocks
    for block in _blocks(page, "bash"):
        for command, expectation in _commands(block):
            if re.match(r"^[A-Z_]+=", command):
                assignments.append(command)
            elif expectation:
                status, body = EXPECTATION.match(expectation).groups()
                examples.append((list(assignments), command, int(status), body))
    return examples


def _expected(body: str):
    """`..., ...}` means more keys may follow (kept as a marker key); `"..."` is any value."""
    return json.loads(re.sub(r",\s*\.\.\.(\s*\})", r', "...": "..."\1', body))


def _check(actual, expected, where: str) -> None:
    if expected == "...":
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        keys = set(expected) - {"..."}
        missing = keys - set(actual)
        assert not missing, f"{where}: missing {sorted(missing)} in {sorted(actual)}"
        if "..." not in expected:
            assert set(actual) == keys, f"{where}: unexpected {sorted(set(actual) - keys)}"
        for key in keys:
            _check(actual[key], expected[key], f"{where}.{key}")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def test_expected_bodies_read_as_documented() -> None:
    _check({"data": {"a": 1, "b": [1]}}, _expected('{"data": {"a": 1, ...}}'), "body")
    _check({"data": {"a": 1}}, _expected('{"data": {"a": "..."}}'), "body")
    with pytest.raises(AssertionError):
        _check({"data": {"a": 1, "b": 2}}, _expected('{"data": {"a": 1}}'), "body")
    with pytest.raises(AssertionError):
        _check({"data": {"a": 2}}, _expected('{"data": {"a": 1, ...}}'), "body")


RUNNABLE = [page for page in PAGES if _examples(page)]


def test_the_readme_has_runnable_examples() -> None:
    commands = [command for _, command, _, _ in _examples(README)]
    assert any("POST" in command and "/v2/subscribers" in command for command in commands)
    assert any("/v2/subscribers/user-10037" in command for command in commands)
    assert any("/v1/events/trigger" in command for command in commands)


@pytest.fixture
def fresh_mock():
    from mock_server.serving import running
    from mock_server.settings import Settings

    with running(Settings(port=0)) as base_url:
        yield base_url


@pytest.mark.parametrize("page", RUNNABLE, ids=_name)
def test_curl_examples_answer_as_shown(page: Path, fresh_mock: str) -> None:
    curl = shutil.which("curl")
    assert curl, "the curl examples need curl on the PATH"
    for assignments, command, status, body in _examples(page):
        assert command.startswith("curl "), f"{_name(page)}: only curl examples can carry '# ->': {command}"
        script = "\n".join([*assignments, command.replace("curl ", "curl -w '\\n%{http_code}' ", 1)])
        script = script.replace(DOCUMENTED_BASE, fresh_mock)
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        answer, _, code = done.stdout.rpartition("\n")
        assert int(code) == status, f"{_name(page)}: {command}\nanswered {code}: {answer}"
        if body is not None:
            _check(json.loads(answer), _expected(body), f"{_name(page)}: {command.splitlines()[0]}")


PYTHON_EXAMPLES = [
    (page, index, block)
    for page in PAGES
    for index, block in enumerate(_blocks(page, "python"))
    if f'server_url="{DOCUMENTED_BASE}"' in block
]


def test_the_readme_has_a_python_example() -> None:
    assert any(page == README for page, _, _ in PYTHON_EXAMPLES)


@pytest.mark.parametrize(
    ("page", "index", "block"), PYTHON_EXAMPLES, ids=[f"{_name(p)}-{i}" for p, i, _ in PYTHON_EXAMPLES]
)
def test_python_examples_run_against_the_mock(page: Path, index: int, block: str, fresh_mock: str) -> None:
    code = block.replace(DOCUMENTED_BASE, fresh_mock)
    if "with Novu(" not in code:  # a client built without a `with`: close it as the example's reader would
        code += "\nnovu.__exit__(None, None, None)\n"
    exec(compile(code, f"{_name(page)}[python {index}]", "exec"), {})
