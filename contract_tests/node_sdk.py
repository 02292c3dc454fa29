"""Novu's TypeScript SDK (@novu/api) for the contract suite: installed once from the npm registry
into a cache directory (keyed by ``contract_tests/node/package.json``), then run with Node."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent / "node"


def node_missing() -> str | None:
    """Why Node.js cannot run the SDK here, or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} not found: install Node.js 18+ (Debian: apt-get install -y nodejs npm)"
    return None


def npm_installed(source: Path, name: str, marker: str, files: tuple[str, ...]) -> Path:
    """``source``'s ``package.json`` with its npm dependencies installed, once, in a cache directory
    keyed by the manifest (``marker``: a package path under node_modules whose presence means the
    install is done), with the ``source`` files of these suffixes copied beside it."""
    from mock_server.spec import cache_dir

    manifest = (source / "package.json").read_bytes()
    base = cache_dir() or Path(os.environ.get("TMPDIR", "/tmp")) / "novu-mock-cache"
    home = base / f"{name}-{hashlib.sha256(manifest).hexdigest()[:16]}"
    if not (home / "node_modules" / marker / "package.json").exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / "package.json", home / "package.json")
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=home, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    for path in source.iterdir():
        if path.suffix in files:
            shutil.copy(path, home / path.name)
    return home


def run_node_check(home: Path, script: str, env: dict[str, str]) -> dict:
    """Run ``script`` (which prints one JSON line of results last) with Node in ``home``."""
    done = subprocess.run(
        ["node", script], cwd=home, env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{script} exited {done.returncode}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def installed_sdk() -> Path:
    """A directory holding ``contract_tests/node`` with its npm dependencies installed."""
    return npm_installed(NODE_DIR, "node-sdk", "@novu/api", (".mjs",))


def run_sdk_check(url: str, api_key: str, *, subscriber_id: str, workflow_id: str) -> dict:
    """Each step of ``sdk_check.mjs`` against ``url``: ``{step: {"ok": bool, "value"|"error": ...}}``."""
    env = {"NOVU_TARGET_URL": url, "NOVU_API_KEY": api_key, "SUBSCRIBER_ID": subscriber_id, "WORKFLOW_ID": workflow_id}
    return run_node_check(installed_sdk(), "sdk_check.mjs", env)
