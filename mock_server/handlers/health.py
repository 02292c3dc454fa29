from __future__ import annotations


async def health_check() -> dict:
    up = {"status": "up"}
    return {"status": "ok", "info": {"apiQueue": up}, "error": {}, "details": {"apiQueue": up}}
