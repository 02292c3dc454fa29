"""``create_app(settings)``: the spec, the resolver, validation, error rendering and the wire, wired once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path

from connexion import AsyncApp
from connexion.jsonifier import Jsonifier
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from fixtures import seed_environment
from mock_server import heap, oauth_pages, path_convertor, problems  # noqa: F401 (path_convertor: before any mount)
from mock_server.chat_oauth import StateSigner
from mock_server.controls import CONTROL_PREFIX
from mock_server.controls.admin import Controls, admin_document, record_schemas_of
from mock_server.controls.faults import FaultConfig, Faults, FaultsMiddleware
from mock_server.controls.journal import Journal, JournalMiddleware
from mock_server.controls.routing import Router
from mock_server.controls.statefile import ChangeWatcher, StateFile
from mock_server.fastpath import FastPath, compile_operations
from mock_server.hosts import HostGuard, allowed_hosts
from mock_server.idempotency import IdempotencyStore
from mock_server.inbox_socket import SOCKET_PATH, InboxSockets, SocketMount
from mock_server.jsoncodec import JsonModule
from mock_server.ratelimit import OperationCosts, RateLimiter
from mock_server.resolver import NovuResolver
from mock_server.settings import LOCALHOST_ORIGIN_REGEX, Settings
from mock_server.spec import Spec, load_spec
from mock_server.spec_check import compiled_spec_check
from mock_server.store import Backends
from mock_server.validation import validator_map
from mock_server.wire import WireMiddleware

# Connexion's answers (the general path) are written by the same codec as the compiled path's.
JSONIFIER = Jsonifier(JsonModule)

DOCS_PATH = "/docs"


class _QuietMultipleContentTypes(logging.Filter):
    """Connexion warns at every request to an operation that takes more than one content type
    (the translations' multipart and JSON, the inbound webhook's JSON and text), although the mock
    reads each body by its own Content-Type: a line per request that tells a user nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("this operation accepts multiple content types")


logging.getLogger("connexion.operations.openapi3").addFilter(_QuietMultipleContentTypes())


def _serve_documents(app: AsyncApp, spec_path: Path, spec: Spec) -> None:
    """``/openapi.yaml`` byte for byte as the file, ``/openapi.json`` as the same document in JSON."""
    source = spec_path.read_bytes()
    as_json = json.dumps(spec.document, ensure_ascii=False).encode()

    async def openapi_yaml(request) -> Response:
        return Response(source, media_type="application/yaml")

    async def openapi_json(request) -> Response:
        return Response(as_json, media_type="application/json")

    app.add_url_rule("/openapi.yaml", "openapi_yaml", openapi_yaml, methods=["GET"])
    app.add_url_rule("/openapi.json", "openapi_json", openapi_json, methods=["GET"])


def _serve_admin_document(app: AsyncApp, document: dict) -> None:
    as_json = json.dumps(document, ensure_ascii=False).encode()

    async def admin_openapi_json(request) -> Response:
        return Response(as_json, media_type="application/json")

    app.add_url_rule(CONTROL_PREFIX + "openapi.json", "admin_openapi_json", admin_openapi_json, methods=["GET"])


def create_app(settings: Settings | None = None) -> AsyncApp:
    settings = settings or Settings()
    spec_path = Path(settings.spec_path).resolve()
    spec = load_spec(spec_path)

    backends = Backends(settings.api_keys)
    if settings.fixtures:
        backends.fill(
            lambda backend, index: seed_environment(backend, seed=settings.seed, index=index, size=settings.fixtures_size)
        )

    limiter = RateLimiter(settings.rate_limit_per_second, costs=OperationCosts(spec.document))
    router = Router(spec)
    controls = Controls(
        backends=backends,
        seed=settings.seed,
        fixtures_size=settings.fixtures_size,
        journal=Journal([environment.id for environment in backends.environments()], settings.journal_size),
        faults=Faults(FaultConfig(settings.latency_ms, settings.error_rate), limiter),
        router=router,
        document=admin_document(spec, record_schemas_of(backends[backends.environments()[0].id])),
    )
    backends.listeners.append(controls.journal)  # a log per environment, made ones included
    if settings.state_file is not None:
        controls.state_file = StateFile(
            Path(settings.state_file),
            backends,
            check_services=controls.check_services,
            fsync=settings.state_fsync,
        )
        controls.state_file.load()  # a broken file stops the start here, before anything is written

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        if controls.state_file is not None:
            controls.state_file.start()
        # frozen reference cycles (closed connections) go back to the collector when it is quiet
        reclaimer = asyncio.create_task(heap.reclaim_when_quiet(lambda: controls.journal.recorded))
        try:
            yield
        finally:
            reclaimer.cancel()
            # uvicorn runs this on SIGTERM and SIGINT: the last state reaches the file
            if controls.state_file is not None:
                controls.state_file.close()

    resolver = NovuResolver(spec, backends)
    resolver.check_all()
    app = AsyncApp(__name__, specification_dir=spec_path.parent, lifespan=lifespan)
    with compiled_spec_check():
        app.add_api(
            # the document already parsed (libyaml): Connexion's own YAML parse is pure Python and slow
            spec.document,
            resolver=resolver,
            jsonifier=JSONIFIER,
            pythonic_params=True,
            strict_validation=False,
            validate_responses=settings.validate_responses,
            validator_map=validator_map(),
            # The documents are served as written (below), not as Connexion re-renders them.
            swagger_ui_options=SwaggerUIOptions(swagger_ui_path=DOCS_PATH, spec_path="/openapi.json", serve_spec=False),
        )
        # The control surface: its own document, the same keys (x-apikeyInfoFunc), never faulted.
        app.add_api(
            controls.document,
            base_path=CONTROL_PREFIX.rstrip("/"),
            name="novu-mock-admin",
            jsonifier=JSONIFIER,
            pythonic_params=True,
            strict_validation=True,
            validate_responses=settings.validate_responses,
            validator_map=validator_map(),
            swagger_ui_options=SwaggerUIOptions(swagger_ui=False, serve_spec=False),
        )
    problems.register(app)
    _serve_documents(app, spec_path, spec)
    _serve_admin_document(app, controls.document)
    oauth_pages.register(app)

    services = {
        "backends": backends,
        "settings": settings,
        "spec": spec,
        "state_signer": StateSigner(settings.secret, settings.oauth_state_ttl_seconds),
        "controls": controls,
    }
    # Connexion puts the middleware added first outermost. From the outside in: Host allow-list and
    # trailing slash -> the Inbox's socket.io server (/socket.io/ only) -> (state-file change
    # watcher) -> compiled path -> journal -> wire (rate limits, idempotency) -> CORS -> faults -> Connexion
    app.add_middleware(
        HostGuard, position=MiddlewarePosition.BEFORE_EXCEPTION, hosts=allowed_hosts(settings.host, settings.allowed_hosts),
        keep_slash_under=(DOCS_PATH, SOCKET_PATH),
    )
    sockets = InboxSockets(
        backends,
        origins=settings.cors_origins,
        origin_regex=None if settings.cors_origins else LOCALHOST_ORIGIN_REGEX,
    )
    app.add_middleware(SocketMount, position=MiddlewarePosition.BEFORE_EXCEPTION, sockets=sockets)
    if controls.state_file is not None:
        app.add_middleware(ChangeWatcher, position=MiddlewarePosition.BEFORE_EXCEPTION, state_file=controls.state_file)
    if settings.fast_path:
        # It answers what passes everything, running the stages of the layers below with their
        # own objects; what it declines goes through them all, unchanged.
        app.add_middleware(
            FastPath,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            routes=compile_operations(app.middleware.apis[0].specification, spec, settings.validate_responses),
            services=services,
            limiter=limiter,
            journal=controls.journal,
            faults=controls.faults,
            max_body_bytes=settings.max_body_bytes,
            max_uri_chars=settings.max_uri_chars,
        )
    app.add_middleware(
        JournalMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION, journal=controls.journal, router=router, backends=backends
    )
    app.add_middleware(
        WireMiddleware,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        services=services,
        limiter=limiter,
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
    # Inside the wire: injected failures carry the RateLimit-* headers like any answer.
    app.add_middleware(
        FaultsMiddleware, position=MiddlewarePosition.BEFORE_EXCEPTION, faults=controls.faults, router=router, backends=backends
    )
    app.backends = backends  # type: ignore[attr-defined]  # for tests and the CLI banner
    app.controls = controls  # type: ignore[attr-defined]
    app.sockets = sockets  # type: ignore[attr-defined]
    return app
