from __future__ import annotations

from functools import cache
from importlib import metadata


@cache
def _version() -> str:
    try:
        return metadata.version("novu-mock")
    except metadata.PackageNotFoundError:
        return "0.0.0"


async def health_check() -> dict:
    """Novu's health controller (Terminus): the database, the workflow queue and the API's version,
    all up; the global interceptor wraps the result in ``data``."""
    up = {"status": "up"}
    checks = {"db": up, "workflowQueue": up, "apiVersion": {"version": _version(), "status": "up"}}
    return {"status": "ok", "info": checks, "error": {}, "details": checks}
