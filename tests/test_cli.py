"""The command line: arguments, the start banner, and a real server process."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from mock_server.cli import banner, build_parser, settings_from
from mock_server.serving import free_port
from mock_server.settings import DEFAULT_API_KEYS


def test_defaults_use_the_documented_keys() -> None:
    settings = settings_from(build_parser().parse_args(["serve"]))
    assert settings.api_keys == DEFAULT_API_KEYS
    assert (settings.host, settings.port, settings.seed, settings.fixtures) == ("127.0.0.1", 4010, 1, True)
    text = banner(settings)
    for key in DEFAULT_API_KEYS:
        assert key in text
    assert "http://127.0.0.1:4010/docs" in text


def test_each_api_key_is_its_own_environment() -> None:
    settings = settings_from(build_parser().parse_args(["serve", "--api-key", "a", "--api-key", "b", "--no-fixtures"]))
    assert list(settings.api_keys) == ["a", "b"]
    assert settings.fixtures is False


def test_bad_port_is_a_clear_error() -> None:
    with pytest.raises(SystemExit, match="--port"):
        settings_from(build_parser().parse_args(["serve", "--port", "70000"]))


def test_module_entry_point_prints_help() -> None:
    result = subprocess.run([sys.executable, "-m", "mock_server", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "serve" in result.stdout


@pytest.mark.parametrize("loop", [None, "uvloop"])
def test_serve_answers_over_http(loop) -> None:
    port = free_port()
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--api-key", "cli-key", "--seed", "3"]
    process = subprocess.Popen(
        command + (["--loop", loop] if loop else []),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/v1/health-check", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert health.status_code == 200
        listed = httpx.get(f"http://127.0.0.1:{port}/v1/integrations", headers={"Authorization": "ApiKey cli-key"})
        assert listed.status_code == 200 and len(listed.json()["data"]) >= 10
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "cli-key" in output and f"http://127.0.0.1:{port}/docs" in output
    assert "Warning" not in output, output  # nothing about libraries' own test clients at start


def test_connection_and_host_options_reach_the_settings() -> None:
    args = build_parser().parse_args(
        ["serve", "--header-timeout", "2.5", "--max-header-bytes", "32768", "--max-connections", "100",
         "--allowed-host", "novu-mock", "--allowed-host", "mock.internal", "--state-fsync", "always"]
    )  # fmt: skip
    settings = settings_from(args)
    assert settings.header_timeout_seconds == 2.5
    assert settings.max_header_bytes == 32768
    assert settings.max_connections == 100
    assert settings.allowed_hosts == ("novu-mock", "mock.internal")
    assert settings.state_fsync == "always"
    defaults = settings_from(build_parser().parse_args(["serve"]))
    assert (defaults.header_timeout_seconds, defaults.max_header_bytes, defaults.state_fsync) == (10.0, 16384, "interval")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--header-timeout", "0"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["serve", "--state-fsync", "sometimes"])


def test_a_warning_when_listening_beyond_the_machine_with_the_documented_keys() -> None:
    from mock_server.cli import exposure_warning

    exposed = settings_from(build_parser().parse_args(["serve", "--host", "0.0.0.0"]))
    warning = exposure_warning(exposed)
    assert warning and "WARNING" in warning and "nv-mock-development-secret-key" in warning and "--api-key" in warning
    assert exposure_warning(settings_from(build_parser().parse_args(["serve"]))) is None, "127.0.0.1: no warning"
    assert exposure_warning(settings_from(build_parser().parse_args(["serve", "--host", "::1"]))) is None
    own_keys = settings_from(build_parser().parse_args(["serve", "--host", "0.0.0.0", "--api-key", "my-own-secret"]))
    assert exposure_warning(own_keys) is None


def test_serve_prints_the_warning_on_a_public_address() -> None:
    port = free_port("0.0.0.0")
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--host", "0.0.0.0", "--port", str(port), "--no-fixtures"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/v1/health-check", timeout=1).status_code == 200
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=20)
    assert b"WARNING: listening on 0.0.0.0" in errors
