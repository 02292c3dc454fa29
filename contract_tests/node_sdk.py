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


def installed_sdk() -> Path:
    """A directory holding ``contract_tests/node`` with its npm dependencies installed."""
    from mock_server.spec import cache_dir

    manifest = (NODE_DIR / "package.json").read_bytes()
    base = cache_dir() or Path(os.environ.get("TMPDIR", "/tmp")) / "novu-mock-cache"
    home = base / f"node-sdk-{hashlib.sha256(manifest).hexdigest()[:16]}"
    if not (home / "node_modules" / "@novu" / "api" / "package.json").exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(NODE_DIR / "package.json", home / "package.json")
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=home, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    shutil.copy(NODE_DIR / "sdk_check.mjs", home / "sdk_check.mjs")
    return home


def run_sdk_check(url: str, api_key: str, *, subscriber_id: str, workflow_id: str) -> dict:
    """Each step of ``sdk_check.mjs`` against ``url``: ``{step: {"ok": bool, "value"|"error": ...}}``."""
    home = installed_sdk()
    env = {**os.environ, "NOVU_TARGET_URL": url, "NOVU_API_KEY": api_key,
           "SUBSCRIBER_ID": subscriber_id, "WORKFLOW_ID": workflow_id}  # fmt: skip
    done = subprocess.run(
        ["node", "sdk_check.mjs"], cwd=home, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"sdk_check.mjs exited {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
