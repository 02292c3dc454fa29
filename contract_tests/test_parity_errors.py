"""Parity with Novu's server code for what every refusal looks like: one rule of Novu per test.

Each docstring names the file of novuhq/novu that shows the rule. Runnable against a real Novu:
what a test creates is named `contract-...` and deleted afterwards.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from contract_tests.conftest import SUBSCRIBER_PREFIX

GUARDED = "/v1/integrations"


def _refused(target, authorization: str | None) -> dict:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.get(f"{target.url}{GUARDED}", headers=headers, timeout=30)
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["statusCode"] == 401 and body["path"] == GUARDED
    return body


def test_no_authorization_header_is_missing(target) -> None:
    """libs/application-generic/src/services/auth/community.user.auth.guard.ts: no scheme at all is
    UnauthorizedException('Missing authorization header'); Nest's body adds `error`
    (auth/e2e/user.auth.guard.e2e.ts)."""
    body = _refused(target, None)
    assert body["message"] == "Missing authorization header"
    assert body["error"] == "Unauthorized"


@pytest.mark.parametrize("scheme", ["Basic", "Token", "apikey", "APIKEY", "bearer"])
def test_a_scheme_other_than_apikey_or_bearer_is_named_in_the_refusal(target, scheme) -> None:
    """community.user.auth.guard.ts: the first word of the header is compared as written, so
    `apikey` is no `ApiKey`: `Invalid authentication scheme: "<scheme>"`."""
    body = _refused(target, f"{scheme} {target.api_key}")
    assert body["message"] == f'Invalid authentication scheme: "{scheme}"'
    assert body["error"] == "Unauthorized"


def test_an_unknown_secret_key_is_not_found(target) -> None:
    """community.auth.service.ts (getApiKeyUser): no environment holds the key, `API Key not found`
    (user.auth.guard.e2e.ts 'invalid value')."""
    body = _refused(target, "ApiKey contract-no-such-key")
    assert body["message"] == "API Key not found"
    assert body["error"] == "Unauthorized"


def test_a_key_that_is_the_known_one_with_more_around_it_is_not_found(target) -> None:
    """apps/api/src/app/auth/services/passport/apikey.strategy.ts: the key is everything after the
    `ApiKey ` prefix, compared whole."""
    body = _refused(target, f"ApiKey {target.api_key}x")
    assert body["message"] == "API Key not found"


def test_a_bearer_token_on_a_secret_key_route_is_refused_bare(target) -> None:
    """community.user.auth.guard.ts hands `Bearer` to the dashboard-user JWT strategy; its failure
    is Nest's bare UnauthorizedException: message `Unauthorized`, no `error`
    (user.auth.guard.e2e.ts 'Bearer ... invalid value')."""
    body = _refused(target, "Bearer not-a-token")
    assert body["message"] == "Unauthorized"
    assert "error" not in body


def test_a_use_case_not_found_carries_nests_error_name(client) -> None:
    """A use case's `new NotFoundException('...')`: Nest's body holds `error: 'Not Found'`, which
    apps/api/src/exception-filter.ts spreads into the answer (messages/e2e/remove-message.e2e.ts)."""
    response = client.get(f"/v2/subscribers/{SUBSCRIBER_PREFIX}missing-{uuid.uuid4().hex[:8]}")
    assert response.status_code == 404
    assert response.json()["error"] == "Not Found"


def test_an_unknown_route_carries_nests_error_name(client) -> None:
    """Nest's not-found handler throws NotFoundException(`Cannot GET /...`)."""
    response = client.get("/v1/contract-no-such-route")
    assert response.status_code == 404
    assert response.json()["message"] == "Cannot GET /v1/contract-no-such-route"
    assert response.json()["error"] == "Not Found"


def test_a_conflict_carries_nests_error_name(subscribers, client) -> None:
    """create-subscriber (v2) with `failIfExists`: a ConflictException thrown with a sentence."""
    made = subscribers()
    again = client.post("/v2/subscribers", params={"failIfExists": "true"}, json={"subscriberId": made["subscriberId"]})
    assert again.status_code == 409
    assert again.json()["error"] == "Conflict"


def test_a_bad_request_carries_nests_error_name(client) -> None:
    """integrations/e2e/create-integration.e2e.ts: a second in-app provider is a BadRequestException
    with a sentence, `error: 'Bad Request'`."""
    response = client.post("/v1/integrations", json={"providerId": "novu", "channel": "in_app"})
    assert response.status_code == 400
    assert response.json()["error"] == "Bad Request"
