"""The mock for a test suite: started once on a free port, reset between tests, and asked what the
code under test sent. ``mock_server.pytest_plugin`` builds the ``novu_mock`` fixture on it; other
test runners can use it directly::

    with NovuMock.start() as mock:
        run_my_code(novu_url=mock.url, novu_key=mock.api_key)
        mock.assert_triggered("welcome-onboarding", subscriber="user-1")

It talks to the running mock over HTTP, through the control surface (``/_mock/``), with the
standard library alone: nothing here needs the test extra but ``client`` (novu-py).
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

TRIGGER_OPERATIONS = ("EventsController_trigger", "EventsController_triggerBulk", "EventsController_broadcastEventToAll")


@dataclass(frozen=True, slots=True)
class Request:
    """One request the mock received, with its answer (bodies as JSON, secrets redacted)."""

    method: str
    path: str
    query: str
    operation: str | None
    status: int
    headers: dict[str, str]
    body: Any
    response: Any

    @classmethod
    def of(cls, entry: dict[str, Any]) -> Request:
        return cls(
            entry["method"], entry["path"], entry.get("query", ""), entry.get("operationId"), entry["status"],
            entry.get("requestHeaders", {}), entry.get("requestBody"), entry.get("responseBody"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Trigger:
    """One workflow trigger the mock received: its workflow, recipients as sent (``to``), the
    subscriber ids among them, its payload, and the mock's answer."""

    workflow: str
    to: Any
    subscribers: tuple[str, ...]
    payload: dict[str, Any]
    status: int
    request: Request = field(repr=False)

    def describe(self) -> str:
        return f"{self.workflow!r} to {list(self.subscribers)} (status {self.status}) payload={self.payload}"


def _subscriber_ids(to: Any) -> list[str]:
    if isinstance(to, str):
        return [to]
    if isinstance(to, dict):
        return [to["subscriberId"]] if isinstance(to.get("subscriberId"), str) else []
    if isinstance(to, list):
        return [found for item in to for found in _subscriber_ids(item)]
    return []


class NovuMock:
    """A running mock: its ``url``, the secret key of its first environment (``api_key``) and of a
    second one (``other_api_key``), and what it received."""

    def __init__(self, url: str, api_key: str, other_api_key: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.other_api_key = other_api_key

    @classmethod
    @contextlib.contextmanager
    def start(cls, *, seed: int = 1, fixtures: bool = True, **settings: Any) -> Iterator[NovuMock]:
        """Serve the mock on a free port of 127.0.0.1 on a background thread, for the ``with`` block."""
        from mock_server.serving import free_port, running
        from mock_server.settings import Settings

        chosen = Settings(port=free_port(), seed=seed, fixtures=fixtures, **settings)
        keys = list(chosen.api_keys)
        with running(chosen) as url:
            yield cls(url, keys[0], keys[1] if len(keys) > 1 else None)

    # -- the control surface ------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None, *, key: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"ApiKey {key or self.api_key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as error:
            raise RuntimeError(f"novu-mock {method} {path} answered {error.code}: {error.read()[:500]!r}") from None
        return json.loads(raw) if raw else None

    def _keys(self) -> list[str]:
        return [key for key in (self.api_key, self.other_api_key) if key]

    def reset(self, *, fixtures: bool = True) -> None:
        """Every environment back to its seeded fixtures (or empty), with an empty journal."""
        empty = "false" if fixtures else "true"
        for key in self._keys():
            self._call("POST", f"/_mock/reset?empty={empty}", key=key)
            self._call("DELETE", "/_mock/requests", key=key)

    def requests(
        self,
        operation: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | str | None = None,
        subscriber: str | None = None,
        workflow: str | None = None,
        body: str | None = None,
        api_key: str | None = None,
    ) -> list[Request]:
        """The requests received by the environment of ``api_key`` (default: ``self.api_key``) since
        the last reset, oldest first, narrowed by the filters given (those of ``GET /_mock/requests``)."""
        filters = {"operation": operation, "method": method, "path": path, "subscriber": subscriber,
                   "workflow": workflow, "body": body, "status": None if status is None else str(status)}  # fmt: skip
        query = urllib.parse.urlencode({name: value for name, value in filters.items() if value is not None})
        journal = self._call("GET", "/_mock/requests" + (f"?{query}" if query else ""), key=api_key)
        return [Request.of(entry) for entry in journal["requests"]]

    def count(self, *, api_key: str | None = None, **filters: Any) -> int:
        """How many received requests pass ``filters`` (``POST /_mock/requests/count``); ``body`` may
        be a JSON value found in the request body."""
        return self._call("POST", "/_mock/requests/count", filters, key=api_key)["count"]

    def triggers(
        self, workflow: str | None = None, *, subscriber: str | None = None, api_key: str | None = None
    ) -> list[Trigger]:
        """The workflow triggers received since the last reset (one per event of a bulk trigger),
        of ``workflow`` and to ``subscriber`` when given."""
        found: list[Trigger] = []
        for operation in TRIGGER_OPERATIONS:
            for request in self.requests(operation, workflow=workflow, subscriber=subscriber, api_key=api_key):
                body = request.body if isinstance(request.body, dict) else {}
                events = body.get("events") if isinstance(body.get("events"), list) else [body]
                for event in events:
                    if not isinstance(event, dict) or not isinstance(event.get("name"), str):
                        continue
                    ids = tuple(_subscriber_ids(event.get("to")))
                    if (workflow is None or event["name"] == workflow) and (subscriber is None or subscriber in ids):
                        payload = event.get("payload") if isinstance(event.get("payload"), dict) else {}
                        found.append(Trigger(event["name"], event.get("to"), ids, payload, request.status, request))
        return found

    def assert_triggered(
        self,
        workflow: str,
        *,
        subscriber: str | None = None,
        payload: dict[str, Any] | None = None,
        times: int | None = None,
        api_key: str | None = None,
    ) -> list[Trigger]:
        """Fail with a readable message unless ``workflow`` was triggered (to ``subscriber``, with a
        payload holding ``payload``'s keys and values) and accepted, ``times`` times when given (else
        at least once). Returns the matching triggers."""
        from mock_server.controls.exchange import contains

        every = self.triggers(api_key=api_key)
        matching = [
            trigger for trigger in every
            if trigger.workflow == workflow and 200 <= trigger.status < 300
            and (subscriber is None or subscriber in trigger.subscribers)
            and (payload is None or contains(trigger.payload, payload))
        ]  # fmt: skip
        if (len(matching) != times) if times is not None else not matching:
            wanted = f"workflow {workflow!r}" + (f" to subscriber {subscriber!r}" if subscriber else "")
            wanted += f" with payload {payload}" if payload is not None else ""
            expected = f"exactly {times} time(s)" if times is not None else "at least once"
            seen = "\n".join(f"  - {trigger.describe()}" for trigger in every) or "  (no trigger at all)"
            raise AssertionError(
                f"expected {wanted} to be triggered {expected}, found {len(matching)}.\n"
                f"Triggers the mock received in this test:\n{seen}"
            )
        return matching

    @property
    def client(self):
        """A novu-py client on this mock (the SDK's own retries off, so refusals reach the test)."""
        try:
            from novu_py import Novu
            from novu_py.utils import BackoffStrategy, RetryConfig
        except ImportError:
            raise RuntimeError("novu_mock.client needs the novu-py SDK: pip install novu-py") from None
        return Novu(
            secret_key=self.api_key,
            server_url=self.url,
            retry_config=RetryConfig("backoff", BackoffStrategy(1, 1, 1.0, 1), False),
        )
