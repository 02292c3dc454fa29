"""novu-mock: a contract mock of the Novu REST API, driven by ``openapi.yaml``."""

from __future__ import annotations

__version__ = "0.1.0"
