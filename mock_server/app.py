"""``create_app(settings)``: the spec, the resolver, validation, error rendering and the wire, wired once."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from connexion import AsyncApp
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from fixtures import seed_environment
from mock_server import oauth_pages, problems
from mock_server.chat_oauth import StateSigner
from mock_server.idempotency import IdempotencyStore
from mock_server.ratelimit import RateLimiter
from mock_server.resolver import NovuResolver
from mock_server.settings import LOCALHOST_ORIGIN_REGEX, Settings
from mock_server.spec import load_spec
from mock_server.store import Backends
from mock_server.validation import validator_map
from mock_server.wire import WireMiddleware

DOCS_PATH = "/docs"


def _serve_documents(app: AsyncApp, spec_path: Path) -> None:
    """``/openapi.yaml`` byte for byte as the file, ``/openapi.json`` as the same document in JSON."""
    source = spec_path.read_bytes()
    as_json = json.dumps(yaml.safe_load(source), ensure_ascii=False).encode()

    async def openapi_yaml(request) -> Response:
        return Response(source, media_type="application/yaml")

    async def openapi_json(request) -> Response:
        return Response(as_json, media_type="application/json")

    app.add_url_rule("/openapi.yaml", "openapi_yaml", openapi_yaml, methods=["GET"])
    app.add_url_rule("/openapi.json", "openapi_json", openapi_json, methods=["GET"])


def create_app(settings: Settings | None = None) -> AsyncApp:
    settings = settings or Settings()
    spec_path = Path(settings.spec_path).resolve()
    spec = load_spec(spec_path)

    backends = Backends(settings.api_keys)
    if settings.fixtures:
        for index, backend in enumerate(backends):
            seed_environment(backend, seed=settings.seed, index=index)

    resolver = NovuResolver(spec, backends)
    resolver.check_all()
    app = AsyncApp(__name__, specification_dir=spec_path.parent)
    app.add_api(
        spec_path.name,
        resolver=resolver,
        pythonic_params=True,
        strict_validation=False,
        validate_responses=settings.validate_responses,
        validator_map=validator_map(),
        # The documents are served as written (below), not as Connexion re-renders them.
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path=DOCS_PATH, spec_path="/openapi.json", serve_spec=False),
    )
    problems.register(app)
    _serve_documents(app, spec_path)
    oauth_pages.register(app)

    services = {
        "backends": backends,
        "settings": settings,
        "spec": spec,
        "state_signer": StateSigner(settings.secret, settings.oauth_state_ttl_seconds),
    }
    # Added first, so it ends up inside CORS: preflights never touch rate limits.
    app.add_middleware(
        WireMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        services=services,
        limiter=RateLimiter(settings.rate_limit_per_second),
        idempotency=IdempotencyStore(settings.idempotency_ttl_seconds),
        max_body_bytes=settings.max_body_bytes,
        max_uri_chars=settings.max_uri_chars,
    )
    app.add_middleware(
        CORSMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        allow_origins=list(settings.cors_origins),
        allow_origin_regex=None if settings.cors_origins else LOCALHOST_ORIGIN_REGEX,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=[
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "RateLimit-Policy",
            "Retry-After",
            "Idempotency-Key",
            "Idempotency-Replay",
        ],
    )
    app.backends = backends  # type: ignore[attr-defined]  # for tests and the CLI banner
    return app
