"""The /docs page in a real browser: authorise with a key, "Try it out" on GET /v1/integrations.

Uses Debian's ``chromium`` package (``apt-get install -y chromium``) through Playwright. Where
Chromium is absent the test is skipped with a message, except under CI (``CI`` set), where
that is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mock_server.serving import running
from mock_server.settings import Settings

KEY = "browser-test-key"


def _chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM_PATH"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    message = "Chromium not found: install Debian's package with `apt-get install -y chromium` (or set CHROMIUM_PATH)"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI is set, so the browser test may not be skipped")
    pytest.skip(message)


def test_docs_try_it_out_lists_integrations_in_chromium() -> None:
    executable = _chromium()
    from playwright.sync_api import expect, sync_playwright

    settings = Settings(port=0, api_keys={KEY: "Development"}, seed=3)
    with running(settings) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{base_url}/docs/")
            expect(page.locator(".information-container .title")).to_contain_text("Novu API", timeout=30_000)

            # Authorise with the key, as the security scheme asks: "ApiKey <secret key>" (the
            # modal's first form; the second is the inbox session's bearer token)
            page.locator("button.authorize").first.click()
            page.locator(".modal-ux input").first.fill(f"ApiKey {KEY}")
            page.locator(".modal-ux .auth-btn-wrapper button.authorize").first.click()
            page.locator(".modal-ux button.btn-done").first.click()

            operation = page.locator("#operations-Integrations-IntegrationsController_listIntegrations")
            operation.locator(".opblock-summary").click()
            operation.locator("button.try-out__btn").click()
            operation.locator("button.execute").click()

            status = operation.locator(".live-responses-table .response .response-col_status").first
            expect(status).to_have_text("200", timeout=30_000)
            body = operation.locator(".live-responses-table .response-col_description .highlight-code").first.inner_text()
            assert '"identifier": "slack-prod"' in body, body[:500]
            assert '"providerId"' in body
            url = operation.locator(".request-url pre").first.inner_text()
            assert url.strip() == f"{base_url}/v1/integrations", "Try it out goes to the mock serving the page"
        finally:
            browser.close()
