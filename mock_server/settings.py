"""Every knob of the mock, in one frozen dataclass that the CLI and tests build."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

# Documented default keys: one Development and one Production environment of one organization.
DEFAULT_API_KEYS: dict[str, str] = {
    "nv-mock-development-secret-key": "Development",
    "nv-mock-production-secret-key": "Production",
}

# Any localhost origin, on any port, over http or https.
LOCALHOST_ORIGIN_REGEX = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"

# The event loops `serve --loop` runs on. The default serves connections more evenly under load
# (a lower p99); benchmarks/reference_app.py runs on the same one.
EVENT_LOOPS = ("asyncio", "uvloop")
DEFAULT_EVENT_LOOP = "asyncio"


def default_spec_path() -> Path:
    """The packaged copy of the contract when installed, else the repository's top-level file."""
    packaged = Path(__file__).with_name("openapi.yaml")
    return packaged if packaged.exists() else Path(__file__).resolve().parent.parent / "openapi.yaml"


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4010
    seed: int = 1
    fixtures: bool = True
    # "default", or "large": the first environment also gets 1,000,000 subscribers and 100,000
    # inbox messages (fixtures/scale.py)
    fixtures_size: str = "default"
    # secret key -> environment name; each key is its own environment
    api_keys: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_API_KEYS))
    cors_origins: tuple[str, ...] = ()
    validate_responses: bool = True
    # answer requests that pass every check through the compiled path (mock_server/fastpath.py);
    # False sends every request through Connexion (the tests compare both)
    fast_path: bool = True
    max_body_bytes: int = 2 * 1024 * 1024
    max_uri_chars: int = 8192
    # token bucket per key and category: tokens per second, burst = 110 % of it
    rate_limit_per_second: int = 1000
    idempotency_ttl_seconds: int = 24 * 60 * 60
    oauth_state_ttl_seconds: int = 5 * 60
    # where generated chat OAuth URLs send the user: "mock" (the stand-in consent pages under
    # /_mock/oauth/..., completes offline) or "provider" (slack.com / login.microsoftonline.com)
    oauth_consent: str = "mock"
    # signs OAuth states; random per process unless given
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    spec_path: Path = field(default_factory=default_spec_path)
    # -- control surface (mock_server/controls) --
    # uniform random delay added to each Novu API answer, (min, max) in milliseconds
    latency_ms: tuple[int, int] = (0, 0)
    # share of Novu API requests answered with a Novu-shaped 500 or 503
    error_rate: float = 0.0
    # request journal entries kept per environment
    journal_size: int = 10_000
    # load the state from here at start and keep it written there; None: in memory only
    state_file: Path | None = None
    # -- connections (mock_server/connections.py) --
    # seconds a request line and headers may take to arrive before 408 and a close
    header_timeout_seconds: float = 10.0
    # a larger request line and headers get 431 and a close (Node's default limit)
    max_header_bytes: int = 16 * 1024
    # connections open at once; None: what the file descriptor limit allows (connections.descriptor_budget)
    max_connections: int | None = None
    # Host header values answered besides the bound address, localhost, 127.0.0.1 and [::1]
    # (mock_server/hosts.py); "*" allows any
    allowed_hosts: tuple[str, ...] = ()
    # when the state file's log is synced to the disk: "always" (before each answer), "interval"
    # (once a second), "never" (left to the operating system); every one survives a killed process
    state_fsync: str = "interval"
    # -- inbox (frontend SDKs: POST /v1/inbox/session) --
    # require secure mode in every environment: a session needs ``subscriberHash``, the hex
    # HMAC-SHA256 of the subscriberId keyed with the environment's secret key (as Novu does when
    # the in-app integration's credentials say ``hmac: true``, which the mock honours too)
    inbox_hmac: bool = False

    def __post_init__(self) -> None:
        from fixtures.scale import FIXTURE_SIZES

        if self.fixtures_size not in FIXTURE_SIZES:
            raise ValueError(f"fixtures_size must be one of {', '.join(FIXTURE_SIZES)}, not {self.fixtures_size!r}")
        if self.oauth_consent not in ("mock", "provider"):
            raise ValueError(f"oauth_consent must be 'mock' or 'provider', not {self.oauth_consent!r}")
        if self.state_fsync not in ("always", "interval", "never"):
            raise ValueError(f"state_fsync must be always, interval or never, not {self.state_fsync!r}")
