"""Mongo-style ids: 8 hex characters of creation time, then 16 more (seeded random for fixtures)."""

from __future__ import annotations

import functools
import itertools
import random
import secrets
from datetime import UTC, datetime

_SHORT_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


# Like a MongoDB ObjectId: a per-process random part, then a counter, so ids made by one
# process sort in the order they were made, even within one second (cursors rely on it).
_PROCESS_PART = secrets.token_hex(5)
_counter = itertools.count(secrets.randbelow(0xFFFFFF))


def object_id(created_at: datetime, rng: random.Random | None = None) -> str:
    if rng:
        tail = f"{rng.getrandbits(64):016x}"
    else:
        tail = f"{_PROCESS_PART}{next(_counter) & 0xFFFFFF:06x}"
    return f"{int(created_at.timestamp()) & 0xFFFFFFFF:08x}{tail}"


def short_id(rng: random.Random | None = None, length: int = 6) -> str:
    choose = rng.choice if rng else secrets.choice
    return "".join(choose(_SHORT_ALPHABET) for _ in range(length))


def now() -> datetime:
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """How Novu writes a UTC moment: milliseconds and a Z."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=1 << 16)
def iso(moment: datetime) -> str:
    # cached: records keep their datetimes and every answer formats them again (moments written
    # once, such as the time of an error or of a journal entry, go to rfc3339 and stay out)
    return rfc3339(moment)


def secrets_token() -> str:
    return secrets.token_hex(16)


def parse_moment(text: str) -> datetime:
    """An RFC 3339 date-time (already validated by the spec) as a UTC datetime; moments that
    fall outside what Python can hold in UTC are clamped to its first or last moment."""
    parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return (datetime.max if parsed.year > 1 else datetime.min).replace(tzinfo=UTC)


def parse_time(value: str | None, where: str) -> datetime | None:
    """An ISO-8601 time of a state document (None stays None); naive times are taken as UTC.
    A time that cannot be read is a 422 naming ``where``."""
    if value is None:
        return None
    from mock_server.errors import ValidationFailed, field_error

    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError) as error:
        raise ValidationFailed(field_error(where, f"not a date-time: {error}", value)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
