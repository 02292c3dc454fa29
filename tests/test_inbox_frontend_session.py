"""POST /v1/inbox/session and the bearer check of the inbox routes: Novu's session use case
(apps/api/src/app/inbox/usecases/session/session.usecase.ts) and its subscriber guard."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import jwt
import pytest
from starlette.testclient import TestClient

from mock_server import inbox_session
from mock_server.app import create_app
from mock_server.cli import banner, build_parser, settings_from
from mock_server.settings import Settings
from mock_server.store import application_identifier

from .conftest import KEY, OTHER_KEY

APP_ID = application_identifier(KEY)
OTHER_APP_ID = application_identifier(OTHER_KEY)


def _hash(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def browser(app) -> Iterator[TestClient]:
    """A frontend: no secret key, ever."""
    with TestClient(app) as http:
        yield http


def _session(browser: TestClient, **body) -> dict:
    response = browser.post("/v1/inbox/session", json={"applicationIdentifier": APP_ID, **body})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_a_session_creates_the_subscriber_and_answers_novus_fields(browser, client) -> None:
    data = _session(browser, subscriber={"subscriberId": "frontend-ada", "firstName": "Ada", "email": "ada@example.com"})
    assert data["applicationIdentifier"] == APP_ID
    assert data["totalUnreadCount"] == data["unreadCount"]["total"] == 0
    assert data["unreadCount"]["severity"] == {"high": 0, "medium": 0, "low": 0, "none": 0}
    assert (data["removeNovuBranding"], data["maxSnoozeDurationHours"], data["isDevelopmentMode"]) == (False, 24, True)
    assert data["contextKeys"] == []
    claims = jwt.decode(data["token"], options={"verify_signature": False})
    assert (claims["subscriberId"], claims["aud"]) == ("frontend-ada", "widget_user")
    stored = client.get("/v2/subscribers/frontend-ada").json()["data"]
    assert (stored["firstName"], stored["email"], stored["_id"]) == ("Ada", "ada@example.com", claims["_id"])


def test_the_production_environment_is_not_development_mode(browser) -> None:
    response = browser.post("/v1/inbox/session", json={"applicationIdentifier": OTHER_APP_ID, "subscriber": "p-1"})
    assert response.status_code == 201 and response.json()["data"]["isDevelopmentMode"] is False


def test_counts_are_the_unread_not_snoozed_notifications_by_severity(browser, client) -> None:
    subscriber = next(
        s["subscriberId"] for s in client.get("/v2/subscribers?limit=50").json()["data"]
        if client.get(f"/v2/subscribers/{s['subscriberId']}/notifications", params={"read": "false"}).json()["data"]
    )  # fmt: skip
    listed = client.get(f"/v2/subscribers/{subscriber}/notifications", params={"read": "false", "limit": 100}).json()
    data = _session(browser, subscriber=subscriber)
    assert data["unreadCount"]["total"] == len(listed["data"]) == sum(data["unreadCount"]["severity"].values())
    for severity in ("high", "medium", "low", "none"):
        assert data["unreadCount"]["severity"][severity] == sum(1 for n in listed["data"] if n["severity"] == severity)


def test_an_existing_subscriber_is_updated_only_with_a_valid_hash(browser, client) -> None:
    client.post("/v2/subscribers", json={"subscriberId": "frontend-bo", "firstName": "Bo"})
    _session(browser, subscriber={"subscriberId": "frontend-bo", "firstName": "Mallory"})
    assert client.get("/v2/subscribers/frontend-bo").json()["data"]["firstName"] == "Bo"
    _session(browser, subscriber={"subscriberId": "frontend-bo", "firstName": "Bob"}, subscriberHash=_hash(KEY, "frontend-bo"))
    assert client.get("/v2/subscribers/frontend-bo").json()["data"]["firstName"] == "Bob"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"applicationIdentifier": "no-such-app", "subscriber": "x"}, 400, "Please provide a valid application identifier"),
        ({"subscriber": {"subscriberId": "x"}}, 422, "A valid application identifier is required when providing subscriber information"),
        ({"applicationIdentifier": APP_ID}, 422, "Subscriber ID is required"),
        ({"applicationIdentifier": APP_ID, "subscriber": {"subscriberId": ""}}, 422, "Subscriber ID is required"),
        ({}, 400, "Keyless is not supported in community edition"),
    ],
)
def test_novus_refusals(browser, body, status, message) -> None:
    response = browser.post("/v1/inbox/session", json=body)
    assert (response.status_code, response.json()["message"]) == (status, message)
    assert response.json()["path"] == "/v1/inbox/session"


def test_the_older_top_level_subscriber_id_still_opens_a_session(browser) -> None:
    data = _session(browser, subscriberId="frontend-old")
    assert jwt.decode(data["token"], options={"verify_signature": False})["subscriberId"] == "frontend-old"


def test_without_an_active_novu_in_app_integration_there_is_no_session(browser, client) -> None:
    for integration in client.get("/v1/integrations").json()["data"]:
        if integration["channel"] == "in_app":
            client.put(f"/v1/integrations/{integration['_id']}", json={"active": False})
    response = browser.post("/v1/inbox/session", json={"applicationIdentifier": APP_ID, "subscriber": "x"})
    assert (response.status_code, response.json()["message"]) == (404, "The active in-app integration could not be found")


def test_secure_mode_follows_the_in_app_integrations_hmac_credential(browser, client) -> None:
    in_app = next(i for i in client.get("/v1/integrations").json()["data"] if i["providerId"] == "novu")
    assert client.put(f"/v1/integrations/{in_app['_id']}", json={"credentials": {"hmac": True}}).status_code == 200
    for wrong in (None, "0" * 64, _hash(OTHER_KEY, "frontend-sec"), _hash(KEY, "someone-else")):
        body = {"applicationIdentifier": APP_ID, "subscriber": "frontend-sec", "subscriberHash": wrong}
        response = browser.post("/v1/inbox/session", json={k: v for k, v in body.items() if v is not None})
        assert (response.status_code, response.json()["message"]) == (400, "Please provide a valid HMAC hash")
    _session(browser, subscriber="frontend-sec", subscriberHash=_hash(KEY, "frontend-sec"))
    # other environments are untouched
    assert browser.post("/v1/inbox/session", json={"applicationIdentifier": OTHER_APP_ID, "subscriber": "x"}).status_code == 201


def test_secure_mode_checks_the_context_hash_too(browser, client) -> None:
    in_app = next(i for i in client.get("/v1/integrations").json()["data"] if i["providerId"] == "novu")
    client.put(f"/v1/integrations/{in_app['_id']}", json={"credentials": {"hmac": True}})
    context = {"tenant": "acme", "project": {"id": "p1", "data": {"name": "One"}}}
    base = {"subscriber": "frontend-ctx", "subscriberHash": _hash(KEY, "frontend-ctx"), "context": context}
    response = browser.post("/v1/inbox/session", json={"applicationIdentifier": APP_ID, **base, "contextHash": "ab" * 32})
    assert (response.status_code, response.json()["message"]) == (400, "Please provide a valid context HMAC hash")
    canonical = json.dumps(context, sort_keys=True, separators=(",", ":"))
    data = _session(browser, **base, contextHash=_hash(KEY, canonical))
    assert data["contextKeys"] == ["tenant:acme", "project:p1"]


def test_the_serve_option_requires_the_hash_in_every_environment() -> None:
    settings = settings_from(build_parser().parse_args(["serve", "--inbox-hmac", "--api-key", KEY]))
    assert settings.inbox_hmac
    with TestClient(create_app(settings)) as browser:
        app_id = application_identifier(KEY)
        refused = browser.post("/v1/inbox/session", json={"applicationIdentifier": app_id, "subscriber": "s"})
        assert (refused.status_code, refused.json()["message"]) == (400, "Please provide a valid HMAC hash")
        upper = _hash(KEY, "s").upper()  # Novu compares the digests' bytes
        ok = browser.post("/v1/inbox/session", json={"applicationIdentifier": app_id, "subscriber": "s", "subscriberHash": upper})
        assert ok.status_code == 201
    assert "subscriberHash required" in banner(settings)


def test_the_banner_prints_each_environments_application_identifier(settings) -> None:
    text = banner(settings)
    for key in (KEY, OTHER_KEY):
        line = next(line for line in text.splitlines() if key in line)
        assert application_identifier(key) in line


# -- the bearer check -------------------------------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_session_token_opens_the_inbox_and_nothing_else(browser) -> None:
    token = _session(browser, subscriber="frontend-tok")["token"]
    assert browser.get("/v1/inbox/notifications", headers=_bearer(token)).status_code == 200
    refused = browser.get("/v1/integrations", headers=_bearer(token))
    # Novu's guard hands a Bearer token to its dashboard-user JWT strategy, which refuses it bare
    assert refused.status_code == 401 and refused.json()["message"] == "Unauthorized"
    assert "error" not in refused.json()


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer not-a-token", f"ApiKey {KEY}", "Basic dXNlcjpwYXNz"],
)
def test_missing_or_bad_credentials_are_novus_401(browser, authorization) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = browser.get("/v1/inbox/notifications", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert (body["statusCode"], body["message"], body["path"]) == (401, "Unauthorized", "/v1/inbox/notifications")
    assert "timestamp" in body


def test_expired_forged_and_orphaned_tokens_are_refused(app, browser, client) -> None:
    token = _session(browser, subscriber="frontend-gone")["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    environment = app.backends.environment_for_id(claims["environmentId"])
    expired = inbox_session.issue(environment, {"_id": claims["_id"], "subscriberId": "frontend-gone"}, now=1_000_000)
    forged = jwt.encode({**claims, "subscriberId": "someone-else"}, "x" * 32, algorithm="HS256")
    for bad in (expired, forged):
        assert browser.get("/v1/inbox/notifications", headers=_bearer(bad)).status_code == 401
    assert client.delete("/v2/subscribers/frontend-gone").status_code == 200
    response = browser.get("/v1/inbox/notifications", headers=_bearer(token))
    assert (response.status_code, response.json()["message"]) == (401, "Unauthorized")


def test_a_token_of_one_environment_never_reads_another(browser, client, other_client) -> None:
    token = _session(browser, subscriber="frontend-iso")["token"]
    other_client.post("/v2/subscribers", json={"subscriberId": "frontend-iso"})
    listed = browser.get("/v1/inbox/notifications", headers=_bearer(token)).json()["data"]
    ours = client.get("/v2/subscribers/frontend-iso/notifications").json()["data"]
    assert [n["id"] for n in listed] == [n["id"] for n in ours]
    assert client.get("/v2/subscribers/frontend-iso").json()["data"]["_id"] == jwt.decode(
        token, options={"verify_signature": False}
    )["_id"]


def test_a_localhost_page_may_call_the_inbox_with_its_headers(browser) -> None:
    requested = "authorization,content-type,novu-api-version,novu-client-version"
    for method, path in (("POST", "/v1/inbox/session"), ("PATCH", "/v1/inbox/notifications/abc/read"), ("GET", "/v1/inbox/notifications")):
        preflight = browser.options(path, headers={
            "Origin": "http://localhost:5173", "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": requested,
        })  # fmt: skip
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert method in preflight.headers["access-control-allow-methods"]
        allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
        assert {"authorization", "content-type"} <= allowed
    token = _session(browser, subscriber="frontend-cors")["token"]
    answer = browser.get("/v1/inbox/notifications", headers={**_bearer(token), "Origin": "http://127.0.0.1:3000"})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    foreign = browser.options("/v1/inbox/session", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in foreign.headers


def _answers(fast: bool) -> list:
    settings = Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, seed=7, fast_path=fast)
    with TestClient(create_app(settings)) as http:
        answers = []
        session = http.post("/v1/inbox/session", json={"applicationIdentifier": APP_ID, "subscriber": "fast-1"})
        body = session.json()
        token = body["data"].pop("token")
        answers.append((session.status_code, body))
        listed = http.get("/v1/inbox/notifications", headers=_bearer(token))
        answers.append((listed.status_code, listed.json()))
        for headers in ({}, _bearer(token + "x"), {"Authorization": f"ApiKey {KEY}"}):
            refused = http.get("/v1/inbox/notifications", headers=headers)
            answers.append((refused.status_code, refused.json()["message"]))
        wrong = http.post("/v1/inbox/session", json={"applicationIdentifier": "nope", "subscriber": "fast-1"})
        answers.append((wrong.status_code, wrong.json()["message"]))
        return answers


def test_the_compiled_path_answers_the_inbox_as_connexion_does() -> None:
    """Bearer routes are left to Connexion (the compiled path only opens what a secret key
    secures); the session route, which needs no credentials, may take either path: same answers."""
    assert _answers(True) == _answers(False)


def test_the_inbox_ignores_idempotency_keys_as_novu_excludes_it(browser, client) -> None:
    subscriber = next(
        s["subscriberId"] for s in client.get("/v2/subscribers?limit=50").json()["data"]
        if len(client.get(f"/v2/subscribers/{s['subscriberId']}/notifications").json()["data"]) >= 2
    )  # fmt: skip
    first, second = client.get(f"/v2/subscribers/{subscriber}/notifications").json()["data"][:2]
    auth = {**_bearer(_session(browser, subscriber=subscriber)["token"]), "idempotency-key": "same-key"}
    for notification in (first, second):
        answer = browser.patch(f"/v1/inbox/notifications/{notification['id']}/archive", headers=auth)
        assert answer.status_code == 200 and answer.json()["data"]["id"] == notification["id"]  # not a replay
        assert "idempotency-key" not in answer.headers


def test_the_journal_finds_a_session_by_its_subscriber(browser, client) -> None:
    _session(browser, subscriber={"subscriberId": "frontend-journal"})
    _session(browser, subscriber="frontend-journal-2")
    for subscriber in ("frontend-journal", "frontend-journal-2"):
        found = client.get("/_mock/requests", params={"subscriber": subscriber}).json()["requests"]
        assert [(entry["path"], entry["status"]) for entry in found] == [("/v1/inbox/session", 201)]
