"""Bytes on disk for the state file: writes that are whole or absent, appends that are whole, and
JSON that never refuses a value the store holds."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

logger = logging.getLogger("novu_mock")


def _sync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # make a rename durable
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def atomic_write(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` so that ``path`` is always either the old or the new content."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if sync:
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if sync:
        _sync_directory(path.parent)


_warned: set[tuple[str, str]] = set()


def dumps(value: Any, where: str) -> bytes:
    """JSON of ``value``. What orjson refuses (a lone surrogate, an integer beyond 64 bits) is
    written by the json module instead (escaped), with a warning once per place and reason."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        if (where, str(error)) not in _warned:
            _warned.add((where, str(error)))
            logger.warning(
                "state file: %s holds a value orjson cannot write (%s); written by json instead", where, error
            )
        return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode()


def loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # escaped lone surrogates (see dumps); raises ValueError when broken


def write_all(handle: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(handle, view)
        view = view[written:]
