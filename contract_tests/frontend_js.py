"""Novu's browser SDK (@novu/js) and a bundler (esbuild) for the frontend checks: installed once
from the npm registry into a cache directory (keyed by ``contract_tests/frontend/package.json``,
as ``node_sdk`` does for @novu/api), then run with Node."""

from __future__ import annotations

import subprocess
from pathlib import Path

from contract_tests.node_sdk import node_missing, npm_installed, run_node_check

FRONTEND_DIR = Path(__file__).resolve().parent / "frontend"

__all__ = ["FRONTEND_DIR", "bundled_inbox_page", "installed_frontend", "node_missing", "run_frontend_check"]


def installed_frontend() -> Path:
    """A directory holding ``contract_tests/frontend`` with its npm dependencies installed."""
    return npm_installed(FRONTEND_DIR, "frontend", "@novu/js", (".mjs", ".js", ".jsx", ".html"))


def run_frontend_check(
    url: str, api_key: str, *, application_identifier: str, subscriber_id: str, workflow_id: str
) -> dict:
    """Each step of ``frontend_check.mjs`` against ``url``: ``{step: {"ok": bool, "value"|"error": ...}}``."""
    env = {"TARGET_URL": url, "API_KEY": api_key, "APPLICATION_IDENTIFIER": application_identifier,
           "SUBSCRIBER_ID": subscriber_id, "WORKFLOW_ID": workflow_id}  # fmt: skip
    return run_node_check(installed_frontend(), "frontend_check.mjs", env)


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
