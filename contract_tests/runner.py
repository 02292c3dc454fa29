"""The core of the contract suite: run Schemathesis against any Novu-compatible server.

``run_contract(ContractOptions(url, api_key, ...))`` is what ``novu-mock contract`` and the pytest
suite both call. Every check and every phase (examples, coverage, fuzzing, stateful) is on;
nothing is excluded. Schemathesis (``st run``, in a child process) does all the generating,
sending and checking; this module checks the target is reachable and accepts the key, reads the
NDJSON events Schemathesis writes, turns them into JUnit XML and a Markdown summary, and deletes
what the run created.
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from contract_tests.cleanup import CleanupResult, cleanup
from contract_tests import shards
from contract_tests.inbox_session import inbox_session, session_config
from contract_tests.report import (
    ProgressEvent,
    RunReport,
    follow_progress,
    html_summary,
    junit_xml,
    markdown_summary,
    parse_ndjson,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_spec() -> Path:
    from mock_server.settings import default_spec_path

    return default_spec_path()


DEFAULT_SPEC = _default_spec()
PHASES = "examples,coverage,fuzzing,stateful"
DEFAULT_PREFIX = "nvmock-ct-"
HOOKS_MODULE = "contract_tests.hooks"
# Built-in checks that cannot be told Novu's statuses, each run in a Novu-faithful version instead
# (contract_tests/novu_checks.py says why): unsupported_method accepts only 405, which Express never sends.
REPLACED_CHECKS = {"unsupported_method": "novu_unsupported_method"}
NON_GET_METHODS = ("POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
# Cases per operation for the fuzzing phase (and stateful scenarios). The default run must fit a CI
# job (2 minutes on 2 cores): fuzzing is most of its CPU time, ~15 ms of Schemathesis per case. With
# 177 operations 30 cases each (5,310 in all) fit; 76 operations had 50 (3,800). The examples and
# coverage phases do not depend on it; --thorough gives 500.
DEFAULT_MAX_EXAMPLES = 30
# --thorough (nightly): cases per operation and phase, and steps per stateful scenario
THOROUGH_MAX_EXAMPLES = 500
THOROUGH_STATEFUL_STEPS = 20

# failing operations named in the one-line reason; the reports list them all
REASON_OPERATIONS = 8

# Exit codes of `novu-mock contract` (2 is argparse's usage error).
EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_KEY_REFUSED = 4


# the security schemes of the spec: the secret key, and the inbox session token of frontends
SECRET_KEY_SCHEME = "ApiKey"
SESSION_SCHEME = "SubscriberSession"


class TargetProblem(Exception):
    """The target cannot be tested at all; ``exit_code`` says why."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True)
class ContractOptions:
    url: str
    api_key: str
    spec: Path = DEFAULT_SPEC
    include_tags: tuple[str, ...] = ()
    include_operations: tuple[str, ...] = ()
    max_examples: int | None = None
    seed: int | None = None
    workers: str | None = None
    read_only: bool = False
    cleanup: bool = True
    prefix: str = DEFAULT_PREFIX
    junit: Path | None = None
    summary: Path | None = None
    request_timeout: float | None = None
    timeout: float = 1800
    thorough: bool = False
    # Schemathesis processes testing at once (see contract_tests/shards.py); None: one per CPU, at most 4
    jobs: int | None = None
    extra: tuple[str, ...] = ()
    # the environment's applicationIdentifier, for the Inbox API (inbox session tokens); found by
    # ``inbox_session`` when not given
    application_identifier: str | None = None


@dataclass(slots=True)
class ContractResult:
    exit_code: int
    output: str
    command: list[str]
    report: RunReport | None = None
    cleanup: CleanupResult | None = None
    # the one-line reason when the run could not happen or did not pass
    reason: str | None = None
    schemathesis_exit_code: int | None = None
    seed: int | None = None
    duration: float | None = None

    @property
    def passed(self) -> bool:
        return self.exit_code == EXIT_PASSED


# --- before the run -------------------------------------------------------------------------------


def _probe_path(spec_path: Path) -> str | None:
    """A GET the spec documents that needs the key and no parameters: the cheapest proof of access."""
    from mock_server.spec import load_spec

    document = load_spec(Path(spec_path).resolve()).document
    global_security = document.get("security", [])
    for path, item in document.get("paths", {}).items():
        operation = item.get("get")
        if not operation or "{" in path:
            continue
        parameters = item.get("parameters", []) + operation.get("parameters", [])
        if any(parameter.get("required") for parameter in parameters if "$ref" not in parameter):
            continue
        if any(SECRET_KEY_SCHEME in requirement for requirement in operation.get("security", global_security)):
            return path
    return None


def preflight(url: str, api_key: str, spec_path: Path = DEFAULT_SPEC, *, timeout: float = 15) -> None:
    """Raise ``TargetProblem`` with a one-line reason when the target is unreachable or refuses the key."""
    path = _probe_path(spec_path) or "/"
    try:
        response = httpx.get(url.rstrip("/") + path, headers={"Authorization": f"ApiKey {api_key}"}, timeout=timeout)
    except httpx.InvalidURL as error:
        raise TargetProblem(f"{url} is not a usable URL: {error}", EXIT_UNREACHABLE) from None
    except httpx.HTTPError as error:
        reason = str(error) or type(error).__name__
        raise TargetProblem(f"cannot reach {url}: {reason}", EXIT_UNREACHABLE) from None
    if response.status_code in (401, 403):
        try:
            message = response.json().get("message", "")
        except ValueError:
            message = response.text[:200]
        detail = f": {message}" if message else ""
        raise TargetProblem(
            f"{url} refused the API key (GET {path} answered {response.status_code}{detail})", EXIT_KEY_REFUSED
        )


# --- the run --------------------------------------------------------------------------------------


def refusal_config(spec_path: Path = DEFAULT_SPEC) -> list[str]:
    """Schemathesis configuration lines that let ``positive_data_acceptance`` accept, for one
    operation at a time, the statuses Novu gives to schema-valid requests that the state refuses
    (the responses the spec marks ``x-valid-input-refusal``). Every other status stays refused, and
    every other operation keeps the check's defaults. First, the statuses the spec marks
    ``x-invalid-input-refusal`` (refused before the API reads the request) widen
    ``negative_data_rejection`` for every operation."""
    from schemathesis.config import ChecksConfig

    from mock_server.spec import load_spec

    spec = load_spec(Path(spec_path).resolve())
    lines: list[str] = []
    if spec.invalid_input_refusals:
        # refusals before the API reads the request (414, 431) are rejections of invalid data too
        rejected = [*ChecksConfig().negative_data_rejection.expected_statuses, *map(str, spec.invalid_input_refusals)]
        lines += ["", "[checks.negative_data_rejection]",
                  "expected-statuses = [" + ", ".join(f'"{s}"' for s in rejected) + "]"]  # fmt: skip
    defaults = ChecksConfig().positive_data_acceptance.expected_statuses
    for operation_id, statuses in sorted(spec.valid_input_refusals.items()):
        expected = [*defaults, *(str(status) for status in statuses)]
        lines += [
            "",
            "[[operations]]",
            f'include-operation-id = "{operation_id}"',
            "checks.positive_data_acceptance.expected-statuses = [" + ", ".join(f'"{s}"' for s in expected) + "]",
        ]
    return lines


def session_operations(options: ContractOptions) -> list[str]:
    """The selected operations opened by an inbox session token rather than the secret key."""
    from mock_server.spec import load_spec

    spec = load_spec(Path(options.spec).resolve())
    selected = {operation_id for _, _, operation_id, _ in selected_operations(options)}
    return sorted(
        facts.operation_id for facts in spec.operations.values()
        if facts.operation_id in selected and SESSION_SCHEME in facts.schemes
    )  # fmt: skip


def _config_file(directory: Path, options: ContractOptions, session_lines: list[str] | None = None) -> Path:
    lines = [f'hooks = "{HOOKS_MODULE}"']
    if options.read_only:
        # The coverage phase would also try undeclared methods (PUT, DELETE...) on every path.
        lines += ["", "[phases.coverage]", "unexpected-methods = []"]
    if options.thorough:
        lines += ["", "[phases.stateful]", f"max-steps = {THOROUGH_STATEFUL_STEPS}"]
    lines += refusal_config(options.spec)
    lines += session_lines or []
    path = directory / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _spec_methods(spec_path: Path) -> set[str]:
    from mock_server.spec import HTTP_METHODS, load_spec

    paths = load_spec(Path(spec_path).resolve()).document.get("paths", {})
    return {method.upper() for item in paths.values() for method in item if method in HTTP_METHODS}


def stateful_possible(options: ContractOptions) -> bool:
    """False when filters leave no OpenAPI link between two selected operations.

    Schemathesis reports such a run as an error ("all link definitions are excluded by filters"),
    so a run narrowed to one operation could never pass; the stateful phase is left out instead,
    and the output says so. A spec without links at all (the admin API's) has no stateful phase.
    """
    from mock_server.spec import load_spec

    spec = load_spec(Path(options.spec).resolve())
    selected = {operation_id for _, _, operation_id, _ in selected_operations(options)}
    for item in spec.document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or operation.get("operationId") not in selected:
                continue
            for response in operation.get("responses", {}).values():
                for link in spec.resolve(response).get("links", {}).values():
                    if spec.resolve(link).get("operationId") in selected:
                        return True
    return False


def phases(options: ContractOptions) -> str:
    return PHASES if stateful_possible(options) else PHASES.removesuffix(",stateful")


def default_jobs() -> int:
    """One Schemathesis process per CPU (at most 4): generation is CPU-bound and single-threaded."""
    return max(1, min(4, os.cpu_count() or 1))


def _costs(options: ContractOptions) -> dict[str, int]:
    """operationId -> estimated cost, for every selected operation, in the spec's order."""
    from mock_server.spec import load_spec

    spec = load_spec(Path(options.spec).resolve())
    return {
        operation_id: shards.operation_cost(spec.document, path, method, spec.resolve)
        for method, path, operation_id, _ in selected_operations(options)
    }


def _jobs(options: ContractOptions) -> int:
    return options.jobs if options.jobs is not None else default_jobs()


def run_plan(options: ContractOptions) -> list[shards.Shard]:
    """The Schemathesis processes the run starts, ``jobs`` at a time (one unless ``jobs`` and the
    selection allow more)."""
    jobs = _jobs(options)
    return shards.plan(_costs(options) if jobs > 1 else {}, jobs, phases=phases(options).split(","))


def schemathesis_command(
    options: ContractOptions, *, config: Path, ndjson: Path, shard: shards.Shard | None = None
) -> list[str]:
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config),
        "run", str(Path(options.spec).resolve()),
        "--url", options.url,
        "--header", f"Authorization: ApiKey {options.api_key}",
        "--checks", "all",
        "--exclude-checks", ",".join(REPLACED_CHECKS),
        "--phases", shard.phases if shard is not None else phases(options),
        "--rate-limit", "auto",
        "--no-color",
        "--report", "ndjson", "--report-ndjson-path", str(ndjson),
    ]  # fmt: skip
    if shard is not None and shard.operations is not None:
        # a part of the selection, named operation by operation
        for operation_id in shard.operations:
            command += ["--include-operation-id", operation_id]
    else:
        for tag in options.include_tags:
            command += ["--include-tag", tag]
        for operation_id in options.include_operations:
            command += ["--include-operation-id", operation_id]
    if options.read_only:
        # Excludes apply after includes (which Schemathesis ORs together), so this narrows any selection.
        for method in sorted(_spec_methods(options.spec) - {"GET"}):
            command += ["--exclude-method", method]
    max_examples = options.max_examples or (THOROUGH_MAX_EXAMPLES if options.thorough else DEFAULT_MAX_EXAMPLES)
    command += ["--max-examples", str(max_examples)]
    if options.seed is not None:
        command += ["--seed", str(options.seed)]
    if options.workers is not None:
        command += ["--workers", str(options.workers)]
    if options.request_timeout is not None:
        command += ["--request-timeout", str(options.request_timeout)]
    return command + list(options.extra)


def new_seed() -> int:
    """A fresh fuzzing seed: each run explores other data; ``--seed`` replays one."""
    return secrets.randbelow(2**31)


def redact(command: list[str], api_key: str) -> list[str]:
    return [part.replace(api_key, "***") if api_key else part for part in command]


def selected_operations(options: ContractOptions) -> list[tuple[str, str, str, list[str]]]:
    """(method, path, operationId, tags) of what the run would test, chosen by Schemathesis' own filters."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    # An empty config: from_path would otherwise read the schemathesis.toml of the working
    # directory, whose per-operation sections ([[operations]] of the refusals) act as filters there.
    schema = schemathesis.openapi.from_path(str(Path(options.spec).resolve()), config=SchemathesisConfig())
    # Chained includes are ORed, as the CLI does with --include-tag and --include-operation-id.
    if options.include_tags:
        schema = schema.include(tag=list(options.include_tags))
    if options.include_operations:
        schema = schema.include(operation_id=list(options.include_operations))
    if options.read_only:
        schema = schema.exclude(method=list(NON_GET_METHODS))  # all of them: nothing but GET may pass
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()
        raw = operation.definition.raw
        found.append((operation.method.upper(), operation.path, raw.get("operationId", ""), list(raw.get("tags", []))))
    return found


def dry_run(options: ContractOptions) -> str:
    """What the run would send, without sending anything."""
    operations = selected_operations(options)
    plan = run_plan(options)
    commands = [
        schemathesis_command(
            options, config=Path("<generated schemathesis.toml>"), ndjson=Path(f"<events {index + 1}>"),
            shard=shard if len(plan) > 1 else None,
        )
        for index, shard in enumerate(plan)
    ]  # fmt: skip
    lines = [f"Dry run: nothing is sent. {len(operations)} operation(s) would be tested against {options.url}:"]
    lines += [f"  {method:<7} {path}  ({op_id}) [{', '.join(tags)}]" for method, path, op_id, tags in operations]
    lines += [
        "",
        f"Phases: {phases(options)}. Checks: all. Rate limits: Retry-After and RateLimit-Reset honoured.",
        "Requests: only GET (--read-only)." if options.read_only else "Requests: every method the spec documents.",
    ]
    if not options.read_only:
        lines.append(
            f"Created resources: labelled with the prefix {options.prefix!r}; "
            + ("deleted at the end." if options.cleanup else "kept (--no-cleanup).")
        )
    if len(plan) > 1:
        lines += ["", f"Processes: {len(plan)}, {_jobs(options)} at a time (--jobs): the operations split by cost "
                  "into groups for the unit phases" + (", one process for the stateful phase over all of them."
                  if plan[0].operations is None else ".")]  # fmt: skip
    lines += ["", "Command:" if len(commands) == 1 else "Commands:"]
    lines += ["  " + shlex.join(redact(command, options.api_key)) for command in commands]
    return "\n".join(lines)


def _stream(
    command: list[str], *, cwd: Path, env: dict[str, str], echo: Callable[[str], None] | None, timeout: float,
    events: Path | None = None, progress: Callable[[ProgressEvent], None] | None = None,
):  # fmt: skip
    chunks = []
    finished = threading.Event()
    follower = None
    if progress is not None and events is not None:
        follower = threading.Thread(target=follow_progress, args=(events, progress, finished), daemon=True)
        follower.start()
    # The context manager closes the pipe whatever happens.
    try:
        with subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        ) as process:
            try:
                assert process.stdout is not None
                for line in process.stdout:
                    chunks.append(line)
                    if echo is not None:
                        echo(line)
                process.wait(timeout=timeout)
            except BaseException:
                process.kill()
                process.wait()
                raise
    finally:
        finished.set()
        if follower is not None:
            follower.join()
    return process.returncode, "".join(chunks)


def _run_all(
    commands: list[list[str]], *, cwd: Path, envs: list[dict[str, str]], echo: Callable[[str], None] | None,
    timeout: float, events: list[Path], progress: Callable[[ProgressEvent], None] | None, parallel: int = 1,
):  # fmt: skip
    """Run the processes of a plan, ``parallel`` at a time, starting in the plan's order; the exit
    code is the first non-zero one, the output theirs one after the other (each line prefixed with
    its process when there are several)."""
    if len(commands) == 1:
        return _stream(commands[0], cwd=cwd, env=envs[0], echo=echo, timeout=timeout, events=events[0], progress=progress)
    results: list[tuple[int, str] | None] = [None] * len(commands)
    failures: list[BaseException] = []

    def one(index: int) -> None:
        tagged = (lambda line: echo(f"[{index + 1}] {line}")) if echo is not None else None
        try:
            results[index] = _stream(
                commands[index], cwd=cwd, env=envs[index], echo=tagged, timeout=timeout, events=events[index], progress=progress
            )
        except BaseException as error:  # re-raised below, in the caller's thread
            failures.append(error)

    slots = threading.BoundedSemaphore(parallel)
    started = [threading.Event() for _ in commands]

    def in_turn(index: int) -> None:
        if index:
            started[index - 1].wait()
        with slots:
            started[index].set()
            one(index)

    threads = [threading.Thread(target=in_turn, args=(index,), daemon=True) for index in range(len(commands))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    codes = [result[0] for result in results if result is not None]
    output = "".join(result[1] for result in results if result is not None)
    return next((code for code in codes if code != 0), 0), output


def _last_error(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip() and not set(line.strip()) <= set("=-━ ")]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["no output"])[-1][:300]


def run_contract(
    options: ContractOptions, *, echo: Callable[[str], None] | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> ContractResult:  # fmt: skip
    """Run the whole suite against ``options.url``; reports are written where the options say.

    ``echo`` receives Schemathesis' own output line by line, ``progress`` the run's events (phase
    and operation started or finished) as Schemathesis records them."""
    started = time.monotonic()
    if options.seed is None:
        options = replace(options, seed=new_seed())
    if not selected_operations(options):
        reason = "the filters select no operation of the spec (check the tag and operationId spelling)"
        return ContractResult(EXIT_USAGE, "", [], reason=reason)
    try:
        preflight(options.url, options.api_key, options.spec)
    except TargetProblem as problem:
        return ContractResult(problem.exit_code, "", [], reason=str(problem))
    plan = run_plan(options)
    session_lines: list[str] = []
    session_subscriber = session_token = None
    notes: list[str] = []
    inbox_operations = session_operations(options)
    if inbox_operations and options.read_only:
        notes.append("no inbox session in --read-only (opening one creates a subscriber): the Inbox API was tested unauthenticated")
    elif inbox_operations:
        session = inbox_session(options)
        if session is None:
            notes.append("no inbox session token (pass --application-identifier): the Inbox API was tested unauthenticated")
        else:
            session_lines = session_config(inbox_operations, session[0])
            session_token, session_subscriber = session
    with tempfile.TemporaryDirectory(prefix="novu-contract-") as scratch:
        workdir = Path(scratch)
        journal = workdir / "created.jsonl"
        config = _config_file(workdir, options, session_lines)
        env = dict(os.environ)
        env.pop("SCHEMATHESIS_HOOKS", None)
        env.update(
            NOVU_CONTRACT_SPEC=str(Path(options.spec).resolve()),
            NOVU_CONTRACT_PREFIX="" if options.read_only else options.prefix,
            NOVU_CONTRACT_JOURNAL=str(journal),
            NOVU_CONTRACT_READ_ONLY="1" if options.read_only else "0",
            # the hooks module must be importable from the scratch directory
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        )
        streams = [workdir / f"events-{index}.ndjson" for index in range(len(plan))]
        # one journal per process (lines of several writers could interleave), joined for the cleanup
        journals = [journal] if len(plan) == 1 else [workdir / f"created-{index}.jsonl" for index in range(len(plan))]
        envs = [{**env, "NOVU_CONTRACT_JOURNAL": str(path)} for path in journals]
        commands = [
            schemathesis_command(options, config=config, ndjson=stream, shard=shard if len(plan) > 1 else None)
            for shard, stream in zip(plan, streams)
        ]
        if progress is not None and len(plan) > 1:
            progress = shards.ProgressMerger(progress, plan, len(selected_operations(options)))
        # From a scratch directory: no example database or crash cache carries over between runs.
        code, output = _run_all(
            commands, cwd=workdir, envs=envs, echo=echo, timeout=options.timeout, events=streams, progress=progress,
            parallel=_jobs(options),
        )  # fmt: skip
        if len(plan) > 1:
            journal.write_text("".join(path.read_text(encoding="utf-8") for path in journals if path.exists()), encoding="utf-8")
        report = shards.merge(parse_ndjson(stream) for stream in streams) if len(plan) > 1 else parse_ndjson(streams[0])
        command = commands[0] if len(commands) == 1 else [part for each in commands for part in (*each, "&")][:-1]
        cleaned = None
        if options.cleanup and not options.read_only:
            cleaned = cleanup(
                journal, url=options.url, api_key=options.api_key, spec_path=options.spec, prefix=options.prefix,
                session_token=session_token,
            )
        if session_subscriber is not None and options.cleanup:
            # the session's subscriber (and its inbox) goes too
            httpx.delete(f"{options.url.rstrip('/')}/v2/subscribers/{session_subscriber}",
                         headers={"Authorization": f"ApiKey {options.api_key}"}, timeout=15)  # fmt: skip
    extra = ([cleaned.describe()] if cleaned is not None else []) + notes
    if not stateful_possible(options):
        extra.append("stateful phase left out: no OpenAPI link between two selected operations")
    if options.junit is not None:
        options.junit.parent.mkdir(parents=True, exist_ok=True)
        options.junit.write_text(junit_xml(report), encoding="utf-8")
    if options.summary is not None:
        options.summary.parent.mkdir(parents=True, exist_ok=True)
        render = html_summary if options.summary.suffix.lower() in (".html", ".htm") else markdown_summary
        options.summary.write_text(render(report, target=options.url, extra=extra), encoding="utf-8")
    reason = None
    if report.failures or report.errors:
        failing = list(report.failed_checks().items())
        failed = "; ".join(f"{label}: {', '.join(checks)}" for label, checks in failing[:REASON_OPERATIONS])
        if len(failing) > REASON_OPERATIONS:
            failed += f"; and {len(failing) - REASON_OPERATIONS} more operations (see the summary or JUnit report)"
        reason = f"{report.failures} failing check runs, {report.errors} errors" + (f" ({failed})" if failed else "")
    elif code != 0:
        reason = f"Schemathesis exited with code {code}: {_last_error(output)}"
    elif not report.operations:
        reason = "no operation was tested (do the filters match anything?)"
    exit_code = EXIT_PASSED if reason is None else EXIT_FAILED
    return ContractResult(
        exit_code, output, redact(command, options.api_key), report=report, cleanup=cleaned, reason=reason,
        schemathesis_exit_code=code, seed=options.seed, duration=time.monotonic() - started,
    )  # fmt: skip


# --- kept for callers of the first version ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunResult:
    exit_code: int
    output: str
    command: list[str]

    @property
    def passed(self) -> bool:
        return self.exit_code == 0


def run_schemathesis(
    url: str, api_key: str, *, max_examples: int | None = None, seed: int | None = None, junit: Path | None = None,
    timeout: float = 900,
) -> RunResult:  # fmt: skip
    result = run_contract(
        ContractOptions(url, api_key, max_examples=max_examples, seed=seed, junit=junit, timeout=timeout)
    )
    output = result.output + (f"\n{result.reason}" if result.reason else "")
    return RunResult(result.exit_code, output, result.command)
