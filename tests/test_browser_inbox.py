"""Novu's <Inbox /> in a real browser against the mock by ``backendUrl`` and ``socketUrl`` alone.

A small React page (contract_tests/frontend/inbox_page.jsx: @novu/react 3.19 and React from the
npm registry, bundled by esbuild) mounts two <Inbox /> bells for one subscriber: Novu's default
(a dot when something is unread) and one whose ``renderBell`` prints the unread count. The page
is served from another port (another origin, as a frontend dev server is). Workflows are
triggered and notifications read over the REST API, and the bell changes without a reload,
through the socket's events. Uses Debian's ``chromium`` through Playwright, as tests/test_browser.py
does; where Chromium or Node.js is absent the test is skipped with a message, except under CI
(``CI`` set), where that is a failure.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import httpx
import pytest

from contract_tests.frontend_js import bundled_inbox_page, node_missing
from mock_server.app import create_app
from mock_server.connections import server_config
from mock_server.serving import running_app
from mock_server.settings import Settings
from tests.test_browser import _chromium

KEY = "browser-inbox-key"
WORKFLOW = "browser-live"
SUBSCRIBER = "browser-ada"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def page_server() -> Iterator[str]:
    missing = node_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing + "; CI is set, so the browser test may not be skipped")
        pytest.skip(missing)
    home = bundled_inbox_page()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(home)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/inbox_page.html"
    finally:
        server.shutdown()
        server.server_close()


def test_the_inbox_bell_follows_triggers_and_reads_live_in_chromium(page_server: str) -> None:
    executable = _chromium()
    from playwright.sync_api import expect, sync_playwright

    settings = Settings(port=0, api_keys={KEY: "Development"}, seed=5)
    app = create_app(settings)
    environment = app.backends.environment_for_key(KEY)
    app.backends[environment.id].workflows.create(identifier=WORKFLOW, name="Browser live", channels=["in_app"])

    with running_app(app, **server_config(settings)) as base_url, sync_playwright() as playwright:
        api = httpx.Client(base_url=base_url, headers={"Authorization": f"ApiKey {KEY}"}, timeout=10)

        def trigger(message: str) -> None:
            body = {"name": WORKFLOW, "to": SUBSCRIBER, "payload": {"message": message}}
            answer = api.post("/v1/events/trigger", json=body)
            assert answer.status_code == 201, answer.text

        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            frames: list[str] = []
            page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: frames.append(str(frame))))
            query = urlencode(
                {"applicationIdentifier": environment.identifier, "subscriber": SUBSCRIBER, "mock": base_url}
            )
            page.goto(f"{page_server}?{query}")

            count = page.get_by_test_id("unread-count")
            dot = page.locator("#inbox .nv-bellDot")
            expect(count).to_have_text("0", timeout=30_000)
            expect(dot).to_have_count(0)
            page.evaluate("window.loadedOnce = true")  # gone if the page were reloaded
            # the page's socket is open (a trigger before that is not pushed, in Novu too)
            deadline = time.monotonic() + 30
            while not app.sockets.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            assert app.sockets.connected >= 1

            trigger("ring one")
            expect(count).to_have_text("1", timeout=10_000)
            expect(dot).to_have_count(1)
            trigger("ring two")
            expect(count).to_have_text("2", timeout=10_000)
            assert any('"notification_received"' in frame for frame in frames), frames[:5]

            # read over the REST API (a backend marking it read): the socket tells the bell
            listed = api.get(f"/v2/subscribers/{SUBSCRIBER}/notifications").json()["data"]
            assert [item["body"] for item in listed] == ["Browser live: ring two", "Browser live: ring one"]
            answer = api.patch(f"/v2/subscribers/{SUBSCRIBER}/notifications/{listed[1]['id']}/read")
            assert answer.status_code == 200, answer.text
            expect(count).to_have_text("1", timeout=10_000)

            # the popover lists what arrived; clicking the unread one reads it
            page.locator("#inbox button.nv-popoverTrigger").click()
            notifications = page.locator(".nv-notification")
            expect(notifications).to_have_count(2, timeout=10_000)
            expect(notifications.first).to_contain_text("Browser live: ring two")
            notifications.first.click()
            expect(count).to_have_text("0", timeout=10_000)
            expect(dot).to_have_count(0)
            assert page.evaluate("window.loadedOnce") is True
        finally:
            browser.close()
            api.close()
