"""Turn Schemathesis' own NDJSON event stream into per-operation results, JUnit XML and a Markdown summary.

Schemathesis does the generating, sending and checking; this module only reads what it recorded
(``st run --report ndjson``): every scenario's cases, the request/response of each, and the outcome
of every check on each case. Nothing here decides whether a response is right.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

LABEL = re.compile(r"^[A-Z]+ /")
API_KEY_PLACEHOLDER = "$NOVU_API_KEY"


@dataclass(slots=True)
class CheckOutcome:
    runs: int = 0
    failures: int = 0
    # distinct failure titles with the first message seen for each
    titles: dict[str, str] = field(default_factory=dict)
    first_curl: str | None = None


@dataclass(slots=True)
class OperationResult:
    label: str
    requests: int = 0
    checks: dict[str, CheckOutcome] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    first_failing_curl: str | None = None

    @property
    def failures(self) -> int:
        return sum(outcome.failures for outcome in self.checks.values())

    @property
    def failed_checks(self) -> list[str]:
        return sorted(name for name, outcome in self.checks.items() if outcome.failures)

    def check(self, name: str) -> CheckOutcome:
        return self.checks.setdefault(name, CheckOutcome())


@dataclass(slots=True)
class RunReport:
    operations: dict[str, OperationResult] = field(default_factory=dict)
    # errors that stopped the whole run (schema not loadable, hook crashed...)
    fatal_errors: list[str] = field(default_factory=list)
    seed: int | None = None
    running_time: float | None = None
    phases: dict[str, str] = field(default_factory=dict)

    def operation(self, label: str) -> OperationResult:
        return self.operations.setdefault(label, OperationResult(label))

    @property
    def requests(self) -> int:
        return sum(op.requests for op in self.operations.values())

    @property
    def failures(self) -> int:
        return sum(op.failures for op in self.operations.values())

    @property
    def errors(self) -> int:
        return sum(len(op.errors) for op in self.operations.values()) + len(self.fatal_errors)

    @property
    def passed(self) -> bool:
        return self.failures == 0 and self.errors == 0

    def failed_checks(self) -> dict[str, list[str]]:
        """operation label -> names of the checks that failed there."""
        return {label: op.failed_checks for label, op in self.operations.items() if op.failed_checks}


def _decode(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, dict) and "$base64" in body:
        raw = base64.b64decode(body["$base64"])
        return raw.decode("utf-8", errors="replace")
    return body if isinstance(body, str) else json.dumps(body)


def curl_line(request: dict[str, Any]) -> str:
    """A copy-paste ``curl`` for a recorded request; the API key is left as ``$NOVU_API_KEY``."""
    parts = ["curl", "-X", request.get("method", "GET")]
    for name, values in (request.get("headers") or {}).items():
        for value in values if isinstance(values, list) else [values]:
            if name.lower() == "authorization":
                parts += ["-H", f"Authorization: ApiKey {API_KEY_PLACEHOLDER}"]
            elif value != "[Filtered]":  # other sanitized values cannot be replayed; leave them out
                parts += ["-H", f"{name}: {value}"]
    body = _decode(request.get("body"))
    if body is not None:
        parts += ["-d", body]
    parts.append(request.get("uri", ""))
    # The key placeholder stays expandable by the shell: double quotes only around that header.
    quoted = [
        f'"{part}"' if API_KEY_PLACEHOLDER in part else shlex.quote(part) for part in parts
    ]
    return " ".join(quoted)


def _case_label(scenario_label: str, case: dict[str, Any]) -> str:
    if LABEL.match(scenario_label):
        return scenario_label
    value = case.get("value", {})
    return f"{value.get('method', '?')} {value.get('path', '?')}"


def _record_scenario(report: RunReport, scenario: dict[str, Any]) -> None:
    recorder = scenario.get("recorder", {})
    scenario_label = recorder.get("label", "")
    cases = recorder.get("cases", {})
    interactions = recorder.get("interactions", {})
    for case_id in interactions:
        report.operation(_case_label(scenario_label, cases.get(case_id, {}))).requests += 1
    for case_id, nodes in recorder.get("checks", {}).items():
        label = _case_label(scenario_label, cases.get(case_id, {}))
        for node in nodes:
            info = node.get("failure_info") or {}
            failure = info.get("failure") or {}
            # A failure names the operation it belongs to; trust it over the case's label.
            operation = report.operation(failure.get("operation") or label)
            outcome = operation.check(node["name"])
            outcome.runs += 1
            if node.get("status") != "failure":
                continue
            outcome.failures += 1
            title = failure.get("title") or node["name"]
            outcome.titles.setdefault(title, failure.get("message") or "")
            interaction = interactions.get(failure.get("case_id") or case_id) or interactions.get(case_id)
            if interaction and outcome.first_curl is None:
                outcome.first_curl = curl_line(interaction["request"])
            if operation.first_failing_curl is None:
                operation.first_failing_curl = outcome.first_curl


def parse_ndjson(path: Path) -> RunReport:
    report = RunReport()
    if not path.exists():
        report.fatal_errors.append("Schemathesis wrote no event stream (it did not start)")
        return report
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if not line.strip():
                continue
            event = json.loads(line)
            kind, payload = next(iter(event.items()))
            if kind == "Initialize":
                report.seed = payload.get("seed")
            elif kind == "ScenarioFinished":
                _record_scenario(report, payload)
            elif kind == "NonFatalError":
                label = payload.get("label") or "run"
                value = payload.get("value") or {}
                message = f"{value.get('type', 'Error')}: {value.get('message', '')}".strip()
                report.operation(label).errors.append(message)
            elif kind == "FatalError":
                exception = payload.get("exception") or {}
                report.fatal_errors.append(f"{exception.get('type', 'Error')}: {exception.get('message', '')}")
            elif kind == "PhaseFinished":
                phase = payload.get("phase", {})
                report.phases[phase.get("name", "?")] = payload.get("status", "?")
            elif kind == "EngineFinished":
                report.running_time = payload.get("running_time")
                for failure in payload.get("failures") or []:
                    label = failure.get("operation") or "run"
                    report.operation(label).errors.append(f"{failure.get('title')}: {failure.get('message')}")
    return report


# --- JUnit ---------------------------------------------------------------------------------------


def junit_xml(report: RunReport, *, suite_name: str = "novu-mock contract") -> str:
    """One ``<testcase>`` per operation and check, as CI systems read them."""
    cases: list[ElementTree.Element] = []
    failures = errors = 0
    for label in sorted(report.operations):
        operation = report.operations[label]
        for name in sorted(operation.checks):
            outcome = operation.checks[name]
            case = ElementTree.Element("testcase", classname=label, name=name)
            ElementTree.SubElement(case, "system-out").text = f"{outcome.runs} check runs, {outcome.failures} failed"
            if outcome.failures:
                failures += 1
                titles = "; ".join(outcome.titles)
                element = ElementTree.SubElement(case, "failure", message=f"{name}: {titles}", type=name)
                lines = [f"{title}: {message}" if message else title for title, message in outcome.titles.items()]
                if outcome.first_curl:
                    lines += ["", "Reproduce:", outcome.first_curl]
                element.text = _xml_safe("\n".join(lines))
            cases.append(case)
        for message in operation.errors:
            errors += 1
            case = ElementTree.Element("testcase", classname=label, name="error")
            ElementTree.SubElement(case, "error", message=_xml_safe(message.splitlines()[0] if message else "error"))
            cases.append(case)
    for message in report.fatal_errors:
        errors += 1
        case = ElementTree.Element("testcase", classname="run", name="fatal error")
        ElementTree.SubElement(case, "error", message=_xml_safe(message))
        cases.append(case)
    time = f"{report.running_time or 0:.3f}"
    root = ElementTree.Element(
        "testsuites", tests=str(len(cases)), failures=str(failures), errors=str(errors), time=time
    )
    suite = ElementTree.SubElement(
        root, "testsuite", name=suite_name, tests=str(len(cases)), failures=str(failures),
        errors=str(errors), skipped="0", time=time,
    )  # fmt: skip
    suite.extend(cases)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    return _ILLEGAL_XML.sub("\ufffd", text)


# --- Markdown ------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_summary(report: RunReport, *, target: str, extra: Iterable[str] = ()) -> str:
    verdict = "PASSED" if report.passed else "FAILED"
    lines = [
        f"# Contract run against {target}: {verdict}",
        "",
        f"- Requests sent: {report.requests}",
        f"- Failing checks: {sum(len(op.failed_checks) for op in report.operations.values())}"
        f" ({report.failures} failing check runs)",
        f"- Errors: {report.errors}",
        f"- Seed: {report.seed}",
    ]
    if report.running_time is not None:
        lines.append(f"- Schemathesis running time: {report.running_time:.1f} s")
    lines += [f"- {item}" for item in extra]
    for message in report.fatal_errors:
        lines.append(f"- Fatal error: {message}")
    lines += ["", "| Operation | Requests sent | Failures | Failing checks |", "|---|---:|---:|---|"]
    for label in sorted(report.operations):
        op = report.operations[label]
        lines.append(f"| `{label}` | {op.requests} | {op.failures} | {', '.join(op.failed_checks) or '-'} |")
    for label in sorted(report.operations):
        op = report.operations[label]
        lines += ["", f"## `{label}`", "", f"Requests sent: {op.requests}. Failures: {op.failures}.", ""]
        lines += ["| Check | Runs | Failures | Problem |", "|---|---:|---:|---|"]
        for name in sorted(op.checks):
            outcome = op.checks[name]
            problem = "; ".join(outcome.titles) or "-"
            lines.append(f"| {name} | {outcome.runs} | {outcome.failures} | {_cell(problem)} |")
        for message in op.errors:
            lines.append(f"| (error) | - | - | {_cell(message)} |")
        if op.first_failing_curl:
            lines += ["", "First failing case:", "", "```sh", op.first_failing_curl, "```"]
    return "\n".join(lines) + "\n"


# --- HTML ----------------------------------------------------------------------------------------


def html_summary(report: RunReport, *, target: str, extra: Iterable[str] = ()) -> str:
    """The Markdown summary's content as a standalone HTML page."""
    from html import escape

    verdict = "PASSED" if report.passed else "FAILED"
    items = [
        f"Requests sent: {report.requests}",
        f"Failing check runs: {report.failures}",
        f"Errors: {report.errors}",
        f"Seed: {report.seed}",
        *extra,
        *(f"Fatal error: {message}" for message in report.fatal_errors),
    ]
    parts = [
        "<!doctype html>",
        f"<html><head><meta charset='utf-8'><title>Contract run: {verdict}</title>",
        "<style>body{font-family:sans-serif}table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}.fail{color:#b00}</style></head><body>",
        f"<h1>Contract run against {escape(target)}: {verdict}</h1>",
        "<ul>" + "".join(f"<li>{escape(str(item))}</li>" for item in items) + "</ul>",
        "<table><tr><th>Operation</th><th>Requests sent</th><th>Failures</th><th>Failing checks</th></tr>",
    ]
    for label in sorted(report.operations):
        op = report.operations[label]
        css = " class='fail'" if op.failures or op.errors else ""
        parts.append(
            f"<tr{css}><td><code>{escape(label)}</code></td><td>{op.requests}</td><td>{op.failures}</td>"
            f"<td>{escape(', '.join(op.failed_checks) or '-')}</td></tr>"
        )
    parts.append("</table>")
    for label in sorted(report.operations):
        op = report.operations[label]
        parts.append(f"<h2><code>{escape(label)}</code></h2>")
        parts.append(f"<p>Requests sent: {op.requests}. Failures: {op.failures}.</p>")
        parts.append("<table><tr><th>Check</th><th>Runs</th><th>Failures</th><th>Problem</th></tr>")
        for name in sorted(op.checks):
            outcome = op.checks[name]
            css = " class='fail'" if outcome.failures else ""
            problem = escape("; ".join(outcome.titles) or "-")
            cells = f"<td>{name}</td><td>{outcome.runs}</td><td>{outcome.failures}</td><td>{problem}</td>"
            parts.append(f"<tr{css}>{cells}</tr>")
        for message in op.errors:
            parts.append(f"<tr class='fail'><td>(error)</td><td>-</td><td>-</td><td>{escape(message)}</td></tr>")
        parts.append("</table>")
        if op.first_failing_curl:
            parts.append(f"<p>First failing case:</p><pre>{escape(op.first_failing_curl)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# --- progress while the run goes ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """What the run is doing: ``kind`` is "start" (operations selected), "phase-started",
    "phase-finished" or "scenario-finished" (an operation done in a phase, or one stateful scenario)."""

    kind: str
    phase: str | None = None
    label: str | None = None
    status: str | None = None
    operations: int | None = None


# Only the head of a line is read: a finished scenario's line carries every request and response.
_HEAD = 2000
_KIND = re.compile(r'^\{"(\w+)":')
_PHASE_NAME = re.compile(r'"phase":\{"name":"(\w+)"')
_PHASE = re.compile(r'"phase":"(\w+)"')
_STATUS = re.compile(r'"status":"(\w+)"')
_RECORDER_LABEL = re.compile(r'"recorder":\{"label":"((?:[^"\\]|\\.)*)"')
_SELECTED = re.compile(r'"operations":\{"total":\d+,"selected":(\d+)')
# Schemathesis' own phases before the testing ones
_INTERNAL_PHASES = {"probing", "schema_analysis", "auth_bootstrap"}


def progress_event(head: str) -> ProgressEvent | None:
    """The progress a line of Schemathesis' NDJSON stream reports (from the line's head alone)."""
    match = _KIND.match(head)
    if not match:
        return None
    kind = match.group(1)
    if kind == "LoadingFinished":
        selected = _SELECTED.search(head)
        return ProgressEvent("start", operations=int(selected.group(1)) if selected else None)
    if kind in ("PhaseStarted", "PhaseFinished"):
        phase = _PHASE_NAME.search(head)
        if phase is None or phase.group(1) in _INTERNAL_PHASES or '"is_enabled":false' in head:
            return None
        status = _STATUS.search(head) if kind == "PhaseFinished" else None
        return ProgressEvent(
            "phase-started" if kind == "PhaseStarted" else "phase-finished", phase.group(1),
            status=status.group(1) if status else None,
        )  # fmt: skip
    if kind in ("ScenarioFinished", "FuzzScenarioFinished"):
        phase, status, label = _PHASE.search(head), _STATUS.search(head), _RECORDER_LABEL.search(head)
        return ProgressEvent(
            "scenario-finished",
            phase.group(1) if phase else ("fuzzing" if kind == "FuzzScenarioFinished" else None),
            label=json.loads(f'"{label.group(1)}"') if label else None,
            status=status.group(1) if status else None,
        )
    return None


def follow_progress(path: Path, callback, finished, *, poll: float = 0.2) -> None:
    """Read the NDJSON stream as Schemathesis appends to it, calling ``callback`` with each
    ProgressEvent, until ``finished`` (a threading.Event) is set and the file is read to its end.
    Memory stays bounded: of each line only its head is kept."""
    stream = None
    head: list[str] = []
    kept = 0
    try:
        while True:
            done = finished.is_set()
            if stream is None:
                try:
                    stream = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
                except FileNotFoundError:
                    if done:
                        return
                    finished.wait(poll)
                    continue
            block = stream.read(1 << 16)
            if not block:
                if done:
                    return
                finished.wait(poll)
                continue
            start = 0
            while True:
                newline = block.find("\n", start)
                piece = block[start:] if newline < 0 else block[start:newline]
                if kept < _HEAD:
                    head.append(piece[: _HEAD - kept])
                    kept += len(head[-1])
                if newline < 0:
                    break
                event = progress_event("".join(head))
                head, kept = [], 0
                start = newline + 1
                if event is not None:
                    try:
                        callback(event)
                    except Exception:  # a display problem must not stop the run
                        pass
    finally:
        if stream is not None:
            stream.close()
