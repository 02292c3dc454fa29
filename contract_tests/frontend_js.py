"""Novu's browser SDK (@novu/js) and a bundler (esbuild) for the frontend checks: installed once
from the npm registry into a cache directory (keyed by ``contract_tests/frontend/package.json``,
as ``node_sdk`` does for @novu/api), then run with Node."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from contract_tests.node_sdk import node_missing

FRONTEND_DIR = Path(__file__).resolve().parent / "frontend"

__all__ = ["FRONTEND_DIR", "bundled_inbox_page", "installed_frontend", "node_missing", "run_frontend_check"]


def installed_frontend() -> Path:
    """A directory holding ``contract_tests/frontend`` with its npm dependencies installed."""
    from mock_server.spec import cache_dir

    manifest = (FRONTEND_DIR / "package.json").read_bytes()
    base = cache_dir() or Path(os.environ.get("TMPDIR", "/tmp")) / "novu-mock-cache"
    home = base / f"frontend-{hashlib.sha256(manifest).hexdigest()[:16]}"
    if not (home / "node_modules" / "@novu" / "js" / "package.json").exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copy(FRONTEND_DIR / "package.json", home / "package.json")
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=home, check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    for source in FRONTEND_DIR.iterdir():
        if source.suffix in (".mjs", ".js", ".jsx", ".html"):
            shutil.copy(source, home / source.name)
    return home


def run_frontend_check(
    url: str, api_key: str, *, application_identifier: str, subscriber_id: str, workflow_id: str
) -> dict:
    """Each step of ``frontend_check.mjs`` against ``url``: ``{step: {"ok": bool, "value"|"error": ...}}``."""
    home = installed_frontend()
    env = {**os.environ, "TARGET_URL": url, "API_KEY": api_key, "APPLICATION_IDENTIFIER": application_identifier,
           "SUBSCRIBER_ID": subscriber_id, "WORKFLOW_ID": workflow_id}  # fmt: skip
    done = subprocess.run(
        ["node", "frontend_check.mjs"], cwd=home, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"frontend_check.mjs exited {done.returncode}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bundled_inbox_page() -> Path:
    """A directory with ``inbox_page.html`` and ``inbox_page.js``: the React page mounting <Inbox />,
    bundled by esbuild (React in production mode) from the installed packages."""
    home = installed_frontend()
    done = subprocess.run(
        [str(home / "node_modules" / ".bin" / "esbuild"), "inbox_page.jsx", "--bundle", "--outfile=inbox_page.js",
         "--format=iife", "--jsx=automatic", "--platform=browser", "--define:process.env.NODE_ENV=\"production\"",
         "--log-level=error"],
        cwd=home, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"esbuild failed: {done.stderr[-3000:]}")
    return home
