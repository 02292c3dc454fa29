"""``novu-mock serve``: parse arguments, build Settings, run the app."""

from __future__ import annotations

import argparse
import sys

from mock_server import __version__
from mock_server.settings import DEFAULT_API_KEYS, Settings


def _serve_parser(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="serve the mock Novu API")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=4010, help="port to listen on (default 4010)")
    serve.add_argument("--seed", type=int, default=1, help="fixture seed; the same seed gives the same data")
    serve.add_argument("--no-fixtures", action="store_true", help="start with empty environments")
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
    serve.add_argument("--rate-limit", type=int, default=1000, metavar="N", help="tokens per second per key and category (default 1000)")
    serve.add_argument(
        "--oauth-consent",
        choices=["mock", "provider"],
        default="mock",
        help="where chat OAuth URLs point: the mock's stand-in consent pages (default, works offline) "
        "or the real Slack / Microsoft pages",
    )
    serve.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="novu-mock", description="A contract mock of the Novu REST API.")
    parser.add_argument("--version", action="version", version=f"novu-mock {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _serve_parser(subparsers)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    if args.port < 0 or args.port > 65535:
        raise SystemExit(f"novu-mock: --port must be between 0 and 65535, not {args.port}")
    if args.rate_limit < 1:
        raise SystemExit("novu-mock: --rate-limit must be at least 1")
    keys = {key: f"Environment {index + 1}" for index, key in enumerate(dict.fromkeys(args.api_key))}
    return Settings(
        host=args.host,
        port=args.port,
        seed=args.seed,
        fixtures=not args.no_fixtures,
        api_keys=keys or dict(DEFAULT_API_KEYS),
        cors_origins=tuple(args.cors_origin),
        validate_responses=not args.no_response_validation,
        max_body_bytes=args.max_body_bytes,
        rate_limit_per_second=args.rate_limit,
        oauth_consent=args.oauth_consent,
    )


def banner(settings: Settings) -> str:
    base = f"http://{settings.host}:{settings.port}"
    lines = [f"novu-mock {__version__} serving the Novu API at {base}", ""]
    lines.append("API keys (send as  Authorization: ApiKey <key>):")
    for key, name in settings.api_keys.items():
        lines.append(f"  {name:<14} {key}")
    fixtures = f"seeded fixtures (seed {settings.seed})" if settings.fixtures else "no fixtures"
    lines += [
        "",
        f"Data:         {fixtures}",
        f"Docs:         {base}/docs",
        f"Spec:         {base}/openapi.json  {base}/openapi.yaml",
        f"Try it:       curl -H 'Authorization: ApiKey {next(iter(settings.api_keys))}' {base}/v1/integrations",
    ]
    return "\n".join(lines)


def serve(settings: Settings, log_level: str) -> int:
    import uvicorn

    from mock_server.app import create_app

    app = create_app(settings)
    print(banner(settings), flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(settings_from(args), args.log_level)
    parser.print_help(sys.stderr)
    return 2
