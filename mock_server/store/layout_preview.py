"""``POST /v2/layouts/{layoutId}/preview``: a layout rendered around sample step content.

As Novu's preview does, the control values of the request (else the layout's own) are rendered
with a payload example: each ``subscriber.*`` variable the body uses gets its own placeholder
text (``{{subscriber.firstName}}``) unless the request's ``previewPayload`` gives a value, and
``{{content}}`` gets the sample content an email step would put there. An HTML body is filled
in place; a block (Maily) body is turned into HTML. Without an email body to render, Novu's
preview fails softly: the result carries only its type and the example is empty.
"""

from __future__ import annotations

import html
import re
from typing import Any

from mock_server.store.inbox.render import render
from mock_server.store.layouts import CONTENT_VARIABLE, Layout, maily_document
from mock_server.store.values import clone

# the step content a preview frames
SAMPLE_CONTENT = (
    '<div class="novu-layout-preview-content"><p>The content of an email step goes here: '
    "the layout puts it where <code>{{content}}</code> is.</p></div>"
)
# the subscriber fields an example may hold (strings in Novu's SubscriberResponseDtoOptional)
_EXAMPLE_FIELDS = frozenset({"subscriberId", "firstName", "lastName", "email", "phone", "avatar", "locale", "timezone"})
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*(?:\|[^}]*)?\}\}")


def _variables(body: str, document: dict[str, Any] | None) -> list[str]:
    if document is None:
        return [match.group(1) for match in _VARIABLE.finditer(body)]
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            attrs = node.get("attrs")
            if node.get("type") == "variable" and isinstance(attrs, dict) and isinstance(attrs.get("id"), str):
                found.append(attrs["id"])
            for child in node.get("content") or []:
                walk(child)

    walk(document)
    return found


def _example(variables: list[str]) -> dict[str, Any]:
    subscriber: dict[str, Any] = {}
    for variable in variables:
        parts = variable.split(".")
        if parts[0] != "subscriber" or len(parts) < 2:
            continue
        if len(parts) == 2 and parts[1] in _EXAMPLE_FIELDS:
            subscriber[parts[1]] = f"{{{{{variable}}}}}"
        elif parts[1] == "data" and len(parts) == 3:
            subscriber.setdefault("data", {})[parts[2]] = f"{{{{{variable}}}}}"
    return {"subscriber": subscriber} if subscriber else {}


def _merged(example: dict[str, Any], given: Any) -> dict[str, Any]:
    if not isinstance(given, dict):
        return example
    merged = dict(example)
    for key, value in given.items():
        merged[key] = _merged(merged[key], value) if isinstance(merged.get(key), dict) and isinstance(value, dict) else clone(value)
    return merged


def _lookup(path: str, context: dict[str, Any]) -> str | None:
    found: Any = context
    for part in path.split("."):
        if not isinstance(found, dict) or part not in found:
            return None
        found = found[part]
    return None if found is None else found if isinstance(found, str) else str(found)


_BLOCKS = {"paragraph": "p", "blockquote": "blockquote", "bulletList": "ul", "orderedList": "ol", "listItem": "li"}


def _maily_html(node: Any, context: dict[str, Any]) -> str:
    """A Maily document as HTML: enough of its node types to show what the layout looks like."""
    if not isinstance(node, dict):
        return ""
    kind, attrs = node.get("type"), node.get("attrs") if isinstance(node.get("attrs"), dict) else {}
    inner = "".join(_maily_html(child, context) for child in node.get("content") or [])
    if kind == "text":
        return html.escape(str(node.get("text", "")))
    if kind == "variable":
        name = attrs.get("id")
        if name == CONTENT_VARIABLE:
            return SAMPLE_CONTENT
        value = _lookup(name, context) if isinstance(name, str) else None
        return html.escape(value if value is not None else str(attrs.get("fallback") or ""))
    if kind == "heading":
        level = attrs.get("level") if attrs.get("level") in (1, 2, 3, 4, 5, 6) else 1
        return f"<h{level}>{inner}</h{level}>"
    if kind in _BLOCKS:
        return f"<{_BLOCKS[kind]}>{inner}</{_BLOCKS[kind]}>"
    if kind == "horizontalRule":
        return "<hr />"
    if kind == "hardBreak":
        return "<br />"
    if kind == "image" and isinstance(attrs.get("src"), str):
        return f'<img src="{html.escape(attrs["src"], quote=True)}" alt="{html.escape(str(attrs.get("alt") or ""), quote=True)}" />'
    if kind in ("section", "columns", "column", "footer"):
        return f"<div>{inner}</div>"
    return inner


def preview(layout: Layout, control_values: Any = None, preview_payload: Any = None) -> dict[str, Any]:
    """``GenerateLayoutPreviewResponseDto`` of ``layout``."""
    controls = control_values if control_values is not None else (layout.controls or {})
    email = controls.get("email") if isinstance(controls, dict) else None
    body = email.get("body") if isinstance(email, dict) else None
    if not isinstance(body, str) or not body:
        return {"result": {"type": "email"}, "previewPayloadExample": {}}
    document = maily_document(body) if email.get("editorType") != "html" else None
    example = _merged(_example(_variables(body, document)), preview_payload)
    context = {**example, CONTENT_VARIABLE: SAMPLE_CONTENT}
    if document is not None:
        rendered = f"<!DOCTYPE html><html><head></head><body>{_maily_html(document, context)}</body></html>"
    else:
        rendered = render(body, context)
    return {"result": {"type": "email", "preview": {"body": rendered}}, "previewPayloadExample": example}
