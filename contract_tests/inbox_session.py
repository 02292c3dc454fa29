"""The inbox session a contract run opens for the operations a frontend's session token opens.

Novu's Inbox API (``/v1/inbox/*``) takes ``Authorization: Bearer <token>`` from ``POST
/v1/inbox/session``, never the secret key: a run makes a subscriber of its own (labelled with the
run's prefix), opens a session for it, fills its inbox, and sends that token to those operations.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from contract_tests.runner import ContractOptions

SESSION_PATH = "/v1/inbox/session"
# a workflow with an in-app step that fills the session subscriber's inbox (the mock's fixtures have it)
INBOX_WORKFLOW = os.environ.get("NOVU_INBOX_WORKFLOW", "comment-mention")


def application_identifier(options: ContractOptions, *, timeout: float = 15) -> str | None:
    """The applicationIdentifier of the key's environment: given, else ``GET /v1/environments/me``
    (Novu answers the key's environment with its ``identifier``), else, when the target is a
    novu-mock, the one the mock derives from the key."""
    if options.application_identifier:
        return options.application_identifier
    base, headers = options.url.rstrip("/"), {"Authorization": f"ApiKey {options.api_key}"}
    try:
        me = httpx.get(f"{base}/v1/environments/me", headers=headers, timeout=timeout)
        if me.status_code == 200 and isinstance(me.json().get("data"), dict) and me.json()["data"].get("identifier"):
            return me.json()["data"]["identifier"]
        if httpx.get(f"{base}/_mock/openapi.json", timeout=timeout).status_code == 200:
            from mock_server.store import application_identifier as mock_identifier

            return mock_identifier(options.api_key)
    except (httpx.HTTPError, ValueError):
        return None
    return None


def inbox_session(options: ContractOptions, *, timeout: float = 15) -> tuple[str, str] | None:
    """(token, subscriberId) of an inbox session for a subscriber made for this run (labelled with
    the run's prefix), or None when the target gives none. The hash is sent too, so a target in
    secure mode opens the session as well."""
    identifier = application_identifier(options, timeout=timeout)
    if identifier is None:
        return None
    subscriber_id = f"{options.prefix}inbox-{uuid.uuid4().hex[:10]}"
    digest = hmac.new(options.api_key.encode(), subscriber_id.encode(), hashlib.sha256).hexdigest()
    body = {"applicationIdentifier": identifier, "subscriber": {"subscriberId": subscriber_id}, "subscriberHash": digest}
    base = options.url.rstrip("/")
    try:
        response = httpx.post(base + SESSION_PATH, json=body, timeout=timeout)
        token = response.json().get("data", {}).get("token") if response.status_code == 201 else None
        if isinstance(token, str) and token:
            # something in its inbox for the list's links to act on (skipped where the workflow is missing)
            for _ in range(3):
                httpx.post(f"{base}/v1/events/trigger", json={"name": INBOX_WORKFLOW, "to": subscriber_id},
                           headers={"Authorization": f"ApiKey {options.api_key}"}, timeout=timeout)  # fmt: skip
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return (token, subscriber_id) if isinstance(token, str) and token else None


def session_config(operation_ids: list[str], token: str) -> list[str]:
    """Configuration lines that send the session token to the operations it opens (the
    ``--header`` of the secret key goes to every other one)."""
    lines: list[str] = []
    for operation_id in operation_ids:
        lines += ["", "[[operations]]", f'include-operation-id = "{operation_id}"',
                  f'headers = {{ Authorization = "Bearer {token}" }}']  # fmt: skip
    return lines
