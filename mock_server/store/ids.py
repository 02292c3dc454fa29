"""Mongo-style ids: 8 hex characters of creation time, then 16 random ones."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime

_SHORT_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def object_id(created_at: datetime, rng: random.Random | None = None) -> str:
    tail = f"{rng.getrandbits(64):016x}" if rng else secrets.token_hex(8)
    return f"{int(created_at.timestamp()) & 0xFFFFFFFF:08x}{tail}"


def short_id(rng: random.Random | None = None, length: int = 6) -> str:
    choose = rng.choice if rng else secrets.choice
    return "".join(choose(_SHORT_ALPHABET) for _ in range(length))


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def secrets_token() -> str:
    return secrets.token_hex(16)
