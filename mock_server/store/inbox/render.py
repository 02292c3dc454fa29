"""In-app templates: ``{{a.b}}`` placeholders filled from the trigger's payload and subscriber."""

from __future__ import annotations

import functools
import re
from typing import Any

from mock_server.store.values import clone

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


@functools.lru_cache(maxsize=1024)
def _pieces(text: str) -> tuple[str | tuple[str, ...], ...]:
    """A template as its literal strings and its placeholders' paths (``{{a.b}}``: ("a", "b")),
    worked out once per template text."""
    pieces: list[str | tuple[str, ...]] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        pieces += [text[position : match.start()], tuple(match.group(1).split("."))]
        position = match.end()
    pieces.append(text[position:])
    return tuple(pieces)


def _value(path: tuple[str, ...], context: dict[str, Any]) -> str:
    found: Any = context
    for part in path:
        if not isinstance(found, dict) or part not in found:
            return ""
        found = found[part]
    return found if isinstance(found, str) else str(found) if found is not None else ""


def render(text: str, context: dict[str, Any]) -> str:
    """Fill ``{{a.b.c}}`` from ``context``; a missing value renders as nothing."""
    pieces = _pieces(text)
    if len(pieces) == 1:
        return text
    return "".join(piece if type(piece) is str else _value(piece, context) for piece in pieces)


def _render_data(data: Any, context: dict[str, Any]) -> Any:
    if isinstance(data, str):
        return render(data, context)
    if isinstance(data, dict):
        return {key: _render_data(value, context) for key, value in data.items()}
    if isinstance(data, list):
        return [_render_data(value, context) for value in data]
    return clone(data)
