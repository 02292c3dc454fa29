"""``novu-mock serve``: parse arguments, build Settings, run the app."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mock_server import __version__
from mock_server.settings import DEFAULT_API_KEYS, DEFAULT_EVENT_LOOP, EVENT_LOOPS, Settings


def _serve_parser(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="serve the mock Novu API")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=4010, help="port to listen on (default 4010)")
    serve.add_argument("--seed", type=int, default=1, help="fixture seed; the same seed gives the same data")
    serve.add_argument("--no-fixtures", action="store_true", help="start with empty environments")
    serve.add_argument(
        "--fixtures-size",
        choices=["default", "large"],
        default="default",
        help="default: a few dozen subscribers per environment; large: the first environment also gets "
        "1,000,000 subscribers and 100,000 inbox messages (about half a minute to load, 1.5 GB of memory)",
    )
    serve.add_argument(
        "--api-key",
        action="append",
        default=[],
        metavar="KEY",
        help="a secret key; each one is its own environment (repeatable). Default: the two documented keys",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allowed browser origin (repeatable). Default: any http(s)://localhost origin",
    )
    serve.add_argument("--no-response-validation", action="store_true", help="do not check answers against the spec")
    serve.add_argument("--max-body-bytes", type=int, default=2 * 1024 * 1024, help="larger bodies get 413 (default 2 MiB)")
    serve.add_argument(
        "--rate-limit", type=_rate, default=1000, metavar="N/s", help="tokens per second per key and category, N or N/s (default 1000)"
    )
    serve.add_argument(
        "--oauth-consent",
        choices=["mock", "provider"],
        default="mock",
        help="where chat OAuth URLs point: the mock's stand-in consent pages (default, works offline) "
        "or the real Slack / Microsoft pages",
    )
    serve.add_argument(
        "--inbox-hmac",
        action="store_true",
        help="secure mode for frontends (@novu/js, <Inbox />): POST /v1/inbox/session needs subscriberHash, the hex "
        "HMAC-SHA256 of the subscriberId keyed with the environment's secret key (also required per environment "
        "when its in-app integration's credentials have hmac: true, as in Novu)",
    )
    limits = serve.add_argument_group("connections and hosts")
    limits.add_argument("--header-timeout", type=_positive_seconds, default=10.0, metavar="SECONDS",
                        help="a request line and headers not complete after SECONDS get 408 and the connection is "
                             "closed (default 10)")  # fmt: skip
    limits.add_argument("--max-header-bytes", type=int, default=16 * 1024, metavar="N",
                        help="a larger request line and headers get 431 and the connection is closed "
                             "(default 16384, Node's limit)")  # fmt: skip
    limits.add_argument("--max-connections", type=int, default=None, metavar="N",
                        help="connections open at once; beyond it the longest-idle one is closed, or the new one "
                             "gets 503 (default: what the file descriptor limit allows, 704 under ulimit -n 1024)")  # fmt: skip
    limits.add_argument("--allowed-host", action="append", default=[], metavar="HOST",
                        help="also answer requests whose Host header names HOST (repeatable; '*' for any). "
                             "Always allowed: the bound address, localhost, 127.0.0.1 and [::1], on any port")  # fmt: skip
    serve.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument(
        "--loop",
        choices=EVENT_LOOPS,
        default=DEFAULT_EVENT_LOOP,
        help=f"event loop (default {DEFAULT_EVENT_LOOP}: under load it serves connections more evenly, a lower p99 "
        "latency; uvloop gives more requests per second, with a longer tail)",
    )
    controls = serve.add_argument_group("control surface (also settable at run time through /_mock/config)")
    controls.add_argument("--latency", type=_latency, default=(0, 0), metavar="MIN-MAX",
                          help="uniform random delay in ms added to each Novu API answer, e.g. 50-300")  # fmt: skip
    controls.add_argument("--error-rate", type=_error_rate, default=0.0, metavar="P",
                          help="share of Novu API requests answered with a Novu-shaped 500 or 503, e.g. 0.05")  # fmt: skip
    controls.add_argument("--state-file", type=Path, default=None, metavar="PATH",
                          help="load the state from PATH at start and keep it written there (default: in memory only)")  # fmt: skip
    controls.add_argument("--state-fsync", choices=["always", "interval", "never"], default="interval",
                          help="when the state file's log reaches the disk: always (before each answer; survives a "
                               "power loss), interval (once a second, the default), never (left to the OS). Every "
                               "write is in the OS before its answer, so each survives a killed process")  # fmt: skip
    # accepted for scripts written before the log (writes are no longer debounced); ignored
    controls.add_argument("--state-write-delay", type=float, default=None, help=argparse.SUPPRESS)
    controls.add_argument("--journal-size", type=int, default=10_000, metavar="N",
                          help="request journal entries kept per environment (default 10000)")  # fmt: skip
    controls.add_argument("--reload", action="store_true",
                          help="restart when openapi.yaml or the fixtures change (keeps state with --state-file)")  # fmt: skip
    controls.add_argument("--spec", type=Path, default=None, metavar="PATH", help="the OpenAPI document to serve (default: the bundled one)")


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, not {text!r}")
    return value


def _rate(text: str) -> int:
    number = text.strip().removesuffix("/s")
    if not number.isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of requests per second, like 100 or 100/s, not {text!r}")
    return int(number)


def _latency(text: str) -> tuple[int, int]:
    from mock_server.controls.faults import parse_latency

    try:
        return parse_latency(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _error_rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1, like 0.05, not {text!r}")
    return rate


def _contract_parser(subparsers) -> None:
    import os

    contract = subparsers.add_parser(
        "contract",
        help="check that a server honours openapi.yaml (Schemathesis, every check and phase)",
        description="Run the contract suite against any Novu-compatible server: every operation, every phase "
        "(examples, coverage, fuzzing, stateful) and every check. Each run fuzzes with a new seed, printed at the "
        "start and in the summary; --seed replays one. Exit codes: 0 passed, 1 failures, 2 usage error or the test "
        "extra missing, 3 target unreachable, 4 API key refused.",
    )
    add = contract.add_argument
    add("--url", required=True, help="base URL of the server under test, e.g. http://127.0.0.1:4010")
    add("--api-key", default=os.environ.get("NOVU_API_KEY"), help="secret key of an environment (or NOVU_API_KEY)")
    add("--spec", default=None, metavar="PATH_OR_URL",
        help="the OpenAPI document, a file or an http(s) URL (default: the bundled openapi.yaml)")  # fmt: skip
    add("--include-tag", action="append", default=[], metavar="TAG", help="test operations with this tag (repeatable)")
    add(
        "--include-operation",
        action="append",
        default=[],
        metavar="OPERATION_ID",
        help="test this operationId (repeatable); tags and operations add up",
    )
    add("--max-examples", type=int, default=None, metavar="N",
        help="fuzzing cases per operation (and stateful scenarios); default 30, 500 with --thorough")  # fmt: skip
    add("--thorough", action="store_true",
        help="nightly depth: 500 fuzzing cases per operation instead of 30 (unless --max-examples) and stateful "
        "scenarios of up to 20 steps instead of 6; expect ten times the default run's duration")  # fmt: skip
    add("--seed", type=int, default=None, help="replay the run of this seed (default: a new random seed, printed)")
    add("--workers", default=None, metavar="N", help="concurrent workers (threads) in each Schemathesis process (a number or 'auto')")
    add(
        "--jobs", type=int, default=None, metavar="N",
        help="Schemathesis processes at once: the operations are split between them for the examples, coverage and "
        "fuzzing phases, and one more runs the stateful phase (default: one per CPU, at most 4; 1 for a single process)",
    )  # fmt: skip
    add("--junit", type=Path, default=None, metavar="PATH", help="write JUnit XML: a test case per operation and check")
    add(
        "--summary",
        type=Path,
        default=None,
        metavar="PATH",
        help="write a summary with a table per operation: Markdown, or HTML when PATH ends in .html",
    )
    add("--application-identifier", default=os.environ.get("NOVU_APPLICATION_IDENTIFIER"), metavar="ID",
        help="the key's environment's applicationIdentifier, to open an inbox session for the Inbox API "
        "(default: GET /v1/environments/me, or the mock's own)")  # fmt: skip
    add("--read-only", action="store_true", help="send only GET requests (safe against a real server)")
    add("--no-cleanup", action="store_true", help="keep what the run created instead of deleting it at the end")
    add("--prefix", default=None, help="label put on what the run creates (default nvmock-ct-)")
    add("--request-timeout", type=float, default=None, metavar="SECONDS", help="timeout of each request")
    add("--dry-run", action="store_true", help="list what would be sent, send nothing")
    output = contract.add_mutually_exclusive_group()
    output.add_argument("--verbose", action="store_true", help="show Schemathesis' own output instead of the progress line")
    output.add_argument("--quiet", action="store_true", help="no progress, only the summary")


def _proxy_parser(subparsers) -> None:
    proxy = subparsers.add_parser(
        "proxy",
        help="forward to a real server and journal where its exchanges break openapi.yaml",
        description="A validating proxy: each request is forwarded unchanged to --upstream and the answer returned "
        "unchanged; requests and responses that break the spec are journalled.",
    )
    add = proxy.add_argument
    add("--upstream", required=True, help="base URL to forward to, e.g. https://api.novu.co")
    add("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    add("--port", type=int, default=4011, help="port to listen on (default 4011)")
    add("--spec", type=Path, default=None, help="the OpenAPI file (default: the bundled openapi.yaml)")
    add("--journal", type=Path, default=Path("novu-proxy-journal.jsonl"), help="violations, one JSON object a line")
    add(
        "--violation-header",
        action="store_true",
        help="add X-Novu-Contract-Violations to the answers of exchanges that broke the spec",
    )
    add("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])


def _spec_diff_parser(subparsers) -> None:
    diff = subparsers.add_parser(
        "spec-diff",
        help="list where openapi.yaml and a Novu OpenAPI document differ",
        description="Compare the mock's openapi.yaml with a Novu OpenAPI document (a path or a URL): operations, "
        "fields (parameters, request and response bodies: presence, required-ness, types, nullability), enums and "
        "documented statuses. Differences listed in spec-diff-known.yaml (beside openapi.yaml) are explained; "
        "Novu operations the mock does not serve are one group. Exit codes: 0 nothing unexplained, 1 unexplained "
        "differences, 2 a document could not be read.",
    )
    add = diff.add_argument
    add("document", metavar="PATH_OR_URL", help="Novu's OpenAPI document, e.g. https://api.novu.co/openapi.json")
    add("--spec", type=Path, default=None, help="the mock's document (default: the bundled openapi.yaml)")
    add("--known", type=Path, default=None, metavar="PATH",
        help="the known differences (default: spec-diff-known.yaml beside the spec)")  # fmt: skip
    add("--json", action="store_true", help="machine-readable output")
    add("--verbose", action="store_true", help="also list each explained difference with its reason and source")


def spec_diff(args: argparse.Namespace) -> int:
    from mock_server import specdiff
    from mock_server.settings import default_spec_path

    spec = (args.spec or default_spec_path()).resolve()
    try:
        result = specdiff.run(args.document, spec=spec, known=args.known)
    except specdiff.SpecDiffError as error:
        print(f"novu-mock spec-diff: {error}", file=sys.stderr)
        return 2
    output = specdiff.render_json(result) if args.json else specdiff.render_text(result, verbose=args.verbose)
    sys.stdout.write(output)
    return 1 if result.unexplained else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="novu-mock", description="A contract mock of the Novu REST API.")
    parser.add_argument("--version", action="version", version=f"novu-mock {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _serve_parser(subparsers)
    _contract_parser(subparsers)
    _proxy_parser(subparsers)
    _spec_diff_parser(subparsers)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    if args.port < 0 or args.port > 65535:
        raise SystemExit(f"novu-mock: --port must be between 0 and 65535, not {args.port}")
    if args.rate_limit < 1:
        raise SystemExit("novu-mock: --rate-limit must be at least 1")
    keys = {key: f"Environment {index + 1}" for index, key in enumerate(dict.fromkeys(args.api_key))}
    if args.max_header_bytes < 1024:
        raise SystemExit("novu-mock: --max-header-bytes must be at least 1024")
    if args.max_connections is not None and args.max_connections < 1:
        raise SystemExit("novu-mock: --max-connections must be at least 1")
    if args.journal_size < 1:
        raise SystemExit("novu-mock: --journal-size must be at least 1")
    extra = {"spec_path": args.spec.resolve()} if args.spec else {}
    return Settings(
        **extra,
        latency_ms=args.latency,
        error_rate=args.error_rate,
        journal_size=args.journal_size,
        state_file=args.state_file.resolve() if args.state_file else None,
        state_fsync=args.state_fsync,
        header_timeout_seconds=args.header_timeout,
        max_header_bytes=args.max_header_bytes,
        max_connections=args.max_connections,
        allowed_hosts=tuple(args.allowed_host),
        host=args.host,
        port=args.port,
        seed=args.seed,
        fixtures=not args.no_fixtures,
        fixtures_size=args.fixtures_size,
        api_keys=keys or dict(DEFAULT_API_KEYS),
        cors_origins=tuple(args.cors_origin),
        validate_responses=not args.no_response_validation,
        max_body_bytes=args.max_body_bytes,
        rate_limit_per_second=args.rate_limit,
        oauth_consent=args.oauth_consent,
        inbox_hmac=args.inbox_hmac,
    )


def banner(settings: Settings) -> str:
    from mock_server.store import application_identifier

    base = f"http://{settings.host}:{settings.port}"
    lines = [f"novu-mock {__version__} serving the Novu API at {base}", ""]
    lines.append("API keys (send as  Authorization: ApiKey <key>) and applicationIdentifier (frontends, @novu/js):")
    for key, name in settings.api_keys.items():
        lines.append(f"  {name:<14} {key}  applicationIdentifier {application_identifier(key)}")
    fixtures = f"seeded fixtures (seed {settings.seed})" if settings.fixtures else "no fixtures"
    if settings.fixtures and settings.fixtures_size != "default":
        fixtures += f", {settings.fixtures_size} size in {next(iter(settings.api_keys.values()))}"
    lines += [
        "",
        f"Data:         {fixtures}",
        f"Docs:         {base}/docs",
        f"Spec:         {base}/openapi.json  {base}/openapi.yaml",
        f"Try it:       curl -H 'Authorization: ApiKey {next(iter(settings.api_keys))}' {base}/v1/integrations",
        f"Control:      {base}/_mock/openapi.json (reset, state, requests, config)",
    ]
    secure = "  (secure mode: subscriberHash required)" if settings.inbox_hmac else ""
    lines.append(f"Frontends:    apiUrl and socketUrl {base} with an applicationIdentifier above{secure}")
    if settings.state_file:
        lines.append(f"State file:   {settings.state_file}")
    faults = []
    if settings.latency_ms != (0, 0):
        faults.append(f"latency {settings.latency_ms[0]}-{settings.latency_ms[1]} ms")
    if settings.error_rate:
        faults.append(f"error rate {settings.error_rate:g}")
    if faults:
        lines.append(f"Faults:       {', '.join(faults)}")
    return "\n".join(lines)


def exposure_warning(settings: Settings) -> str | None:
    """A warning when the mock listens beyond this machine with keys anyone can read in the docs."""
    from mock_server.hosts import is_loopback

    if is_loopback(settings.host):
        return None
    defaults = [key for key in settings.api_keys if key in DEFAULT_API_KEYS]
    if not defaults:
        return None
    return (
        f"novu-mock: WARNING: listening on {settings.host or 'every address'}, beyond this machine, with the "
        f"documented default API key{'s' if len(defaults) > 1 else ''} ({', '.join(defaults)}): whoever reaches "
        "this address can read and change the mock's data and reset it. Pass your own keys with --api-key, "
        "or bind to 127.0.0.1."
    )


def serve(settings: Settings, log_level: str, loop: str = DEFAULT_EVENT_LOOP) -> int:
    import warnings

    from mock_server import heap

    # Connexion imports starlette.testclient, which warns that httpx is deprecated there: a
    # warning about a test client the server never uses, printed at every start.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    with heap.starting_up():
        import uvicorn

        from mock_server.app import create_app
        from mock_server.controls.statefile import StateFileError

        try:
            app = create_app(settings)
        except StateFileError as error:
            print(f"novu-mock: {error}", file=sys.stderr)
            return 3
    print(banner(settings), flush=True)
    warning = exposure_warning(settings)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    # uvicorn writes a request's line at info level: above it, the lines would be built for nothing.
    # WebSockets (the Inbox's socket) load at the first upgrade (server_config), not at start.
    access_log = log_level in ("trace", "debug", "info")
    from mock_server.connections import server_config

    uvicorn.run(
        app, host=settings.host, port=settings.port, log_level=log_level, access_log=access_log, loop=loop,
        **server_config(settings),
    )  # fmt: skip
    return 0


TEST_EXTRA_HINT = 'pip install "novu-mock[test]"'


def _download_spec(location: str, directory: Path) -> Path:
    """A spec given as a URL, saved under ``directory`` (JSON or YAML, as served)."""
    import httpx

    response = httpx.get(location, timeout=60, follow_redirects=True)
    response.raise_for_status()
    name = Path(location.split("?", 1)[0]).name or "openapi"
    if not name.endswith((".json", ".yaml", ".yml")):
        name += ".json" if response.text.lstrip().startswith("{") else ".yaml"
    path = directory / name
    path.write_bytes(response.content)
    return path


class _Progress:
    """The run's progress: one status line rewritten in place on a terminal, plain lines otherwise."""

    def __init__(self, stream, *, tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self.operations: int | None = None
        # per phase: scenarios done, failed, when it started (phases of a split run overlap)
        self.done: dict[str, int] = {}
        self.failed: dict[str, int] = {}
        self.started: dict[str, float] = {}
        self.width = 0

    def __call__(self, event) -> None:
        import time

        phase = event.phase or ""
        if event.kind == "start":
            self.operations = event.operations
        elif event.kind == "phase-started":
            self.done[phase], self.failed[phase], self.started[phase] = 0, 0, time.monotonic()
            self._status(f"{phase}: started", final=not self.tty)
        elif event.kind == "phase-finished":
            took = time.monotonic() - self.started.get(phase, time.monotonic())
            done, failed = self.done.get(phase, 0), self.failed.get(phase, 0)
            counted = f"{done} scenarios" if phase == "stateful" else f"{done} operations"
            failed_text = f", {failed} failed" if failed else ""
            self._status(f"{phase}: {event.status} ({counted}{failed_text}, {took:.0f} s)", final=True)
        elif event.kind == "scenario-finished" and phase in self.started:
            self.done[phase] = self.done.get(phase, 0) + 1
            if event.status in ("failure", "error"):
                self.failed[phase] = self.failed.get(phase, 0) + 1
                self._status(f"{phase}: {event.status}: {event.label}", final=True)
            elif self.tty:
                total = f"/{self.operations}" if self.operations and phase != "stateful" else ""
                self._status(f"{phase} {self.done[phase]}{total}: {event.label or ''}", final=False)

    def _status(self, text: str, *, final: bool) -> None:
        line = f"novu-mock contract: {text}"
        if self.tty:
            columns = 100
            try:
                import shutil

                columns = shutil.get_terminal_size().columns
            except (OSError, ValueError):
                pass
            line = line[: max(columns - 1, 20)]
            self.stream.write("\r\033[K" + line + ("\n" if final else ""))
        elif final:
            self.stream.write(line + "\n")
        self.stream.flush()


def _summary_lines(result, options) -> list[str]:
    report = result.report
    lines = []
    if report is not None:
        checks = {name for op in report.operations.values() for name in op.checks}
        failing = sum(len(op.failed_checks) for op in report.operations.values())
        lines.append(
            f"novu-mock contract: {len(report.operations)} operations, {report.requests} requests, "
            f"{len(checks)} checks; {failing} failing (operation, check) pairs ({report.failures} failing check runs), "
            f"{report.errors} errors"
        )
    if result.cleanup is not None:
        lines.append(f"novu-mock contract: {result.cleanup.describe()}")
    if result.duration is not None:
        lines.append(f"novu-mock contract: duration {result.duration:.0f} s")
    if result.seed is not None:
        lines.append(f"novu-mock contract: seed {result.seed} (replay: --seed {result.seed})")
    return lines


def contract(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import importlib.util
    import tempfile

    # Schemathesis comes with the [test] extra: say so in one line rather than with a traceback.
    if importlib.util.find_spec("schemathesis") is None:
        print(f"novu-mock contract: needs the test extra, which brings Schemathesis: {TEST_EXTRA_HINT}", file=sys.stderr)
        return 2
    from contract_tests.runner import DEFAULT_PREFIX, ContractOptions, dry_run, new_seed, run_contract

    if not args.api_key:
        parser.error("contract: --api-key (or NOVU_API_KEY) is required")
    if args.max_examples is not None and args.max_examples < 1:
        parser.error("contract: --max-examples must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        parser.error("contract: --jobs must be a positive number")
    if args.workers is not None and args.workers != "auto" and not (args.workers.isdigit() and int(args.workers) >= 1):
        parser.error("contract: --workers must be a positive number or 'auto'")
    with tempfile.TemporaryDirectory(prefix="novu-contract-spec-") as scratch:
        spec = None
        if args.spec is not None:
            if args.spec.startswith(("http://", "https://")):
                try:
                    spec = _download_spec(args.spec, Path(scratch))
                except Exception as error:  # httpx errors, bad URLs
                    print(f"novu-mock contract: cannot download {args.spec}: {error}", file=sys.stderr)
                    return 2
            else:
                spec = Path(args.spec)
                if not spec.is_file():
                    parser.error(f"contract: --spec {args.spec}: no such file")
        options = ContractOptions(
            url=args.url.rstrip("/"),
            api_key=args.api_key,
            **({"spec": spec} if spec else {}),
            include_tags=tuple(args.include_tag),
            include_operations=tuple(args.include_operation),
            max_examples=args.max_examples,
            seed=args.seed if args.seed is not None else new_seed(),
            workers=args.workers,
            jobs=args.jobs,
            read_only=args.read_only,
            cleanup=not args.no_cleanup,
            prefix=DEFAULT_PREFIX if args.prefix is None else args.prefix,
            junit=args.junit,
            summary=args.summary,
            request_timeout=args.request_timeout,
            thorough=args.thorough,
            application_identifier=args.application_identifier,
        )
        if args.dry_run:
            print(dry_run(options))
            return 0
        depth = " (thorough)" if args.thorough else ""
        print(f"novu-mock contract: testing {options.url} against {options.spec.name}{depth}, seed {options.seed}", flush=True)
        echo = progress = None
        if args.verbose:
            echo = lambda line: print(line, end="", flush=True)  # noqa: E731
        elif not args.quiet:
            progress = _Progress(sys.stdout, tty=sys.stdout.isatty())
        result = run_contract(options, echo=echo, progress=progress)
    for line in _summary_lines(result, options):
        print(line)
    for path in (args.junit, args.summary):
        if path is not None and result.report is not None:
            print(f"novu-mock contract: wrote {path}")
    if result.passed:
        print("novu-mock contract: PASSED")
    else:
        print(f"novu-mock contract: FAILED: {result.reason}", file=sys.stderr)
    return result.exit_code


def proxy(args: argparse.Namespace) -> int:
    import uvicorn

    from mock_server.proxy import create_proxy

    if args.port < 0 or args.port > 65535:
        raise SystemExit(f"novu-mock: --port must be between 0 and 65535, not {args.port}")
    app = create_proxy(
        args.upstream, spec_path=args.spec, journal_path=args.journal, violation_header=args.violation_header
    )
    print(f"novu-mock proxy: http://{args.host}:{args.port} -> {args.upstream}; journal: {args.journal}", flush=True)
    # No server/date headers of its own: the upstream's answer goes back as it came.
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, server_header=False, date_header=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        settings = settings_from(args)
        if args.reload:
            from mock_server.controls.reload import supervise

            return supervise(list(argv if argv is not None else sys.argv[1:]), settings)
        return serve(settings, args.log_level, args.loop)
    if args.command == "contract":
        return contract(args, parser)
    if args.command == "proxy":
        return proxy(args)
    if args.command == "spec-diff":
        return spec_diff(args)
    parser.print_help(sys.stderr)
    return 2
