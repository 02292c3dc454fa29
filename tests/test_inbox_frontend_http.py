"""The inbox's preferences, topic subscription and channel routes over HTTP in-process: the session
token decides the subscriber and the environment, answers have Novu's envelopes and statuses, and
what the inbox changes is what the secret-key API reads (and the other way round)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from mock_server import inbox_session
from tests.conftest import KEY, OTHER_KEY


def _environment(app, key: str):
    return app.backends.environment_for_key(key)


@pytest.fixture
def session(app, client) -> Iterator:
    """``session(subscriberId, key=KEY)``: a client speaking with that subscriber's inbox token."""
    opened: list[TestClient] = []

    def open_session(subscriber_id: str, key: str = KEY) -> TestClient:
        with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as secret:
            made = secret.post("/v2/subscribers", json={"subscriberId": subscriber_id})
            assert made.status_code == 201, made.text
        token = inbox_session.issue(_environment(app, key), made.json()["data"])
        http = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        http.__enter__()
        opened.append(http)
        return http

    yield open_session
    for http in opened:
        http.__exit__(None, None, None)


def _data(response, status: int = 200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def test_preferences_list_envelope_and_filters(session) -> None:
    http = session("ada")
    listed = _data(http.get("/v1/inbox/preferences"))
    assert listed[0]["level"] == "global" and all(p["workflow"]["critical"] is False for p in listed[1:])
    critical = _data(http.get("/v1/inbox/preferences", params={"criticality": "critical"}))[1:]
    assert {p["workflow"]["identifier"] for p in critical} == {"password-reset", "security-alert"}
    tagged = _data(http.get("/v1/inbox/preferences", params={"tags[]": ["billing", "orders"]}))[1:]
    assert [p["workflow"]["identifier"] for p in tagged] == ["order-shipped", "invoice-ready"]
    for query in ({"severity": "medium"}, {"severity[]": ["medium"]}):
        found = _data(http.get("/v1/inbox/preferences", params=query))[1:]
        assert {p["workflow"]["identifier"] for p in found} == {"order-shipped", "comment-mention"}
    assert http.get("/v1/inbox/preferences", params={"criticality": "sometimes"}).status_code == 422


def test_inbox_and_secret_key_api_share_one_preference(session, client) -> None:
    http = session("ada")
    _data(http.patch("/v1/inbox/preferences", json={"push": False}))
    _data(http.patch("/v1/inbox/preferences/weekly-digest", json={"email": False}))
    v2 = _data(client.get("/v2/subscribers/ada/preferences"))
    assert v2["global"]["channels"]["push"] is False
    assert next(w for w in v2["workflows"] if w["workflow"]["identifier"] == "weekly-digest")["channels"] == {"email": False}
    _data(client.patch("/v2/subscribers/ada/preferences", json={"workflowId": "invoice-ready", "channels": {"in_app": False}}))
    invoice = next(p for p in _data(http.get("/v1/inbox/preferences"))[1:] if p["workflow"]["identifier"] == "invoice-ready")
    assert invoice["channels"] == {"email": True, "in_app": False}
    assert _data(http.get("/v1/inbox/preferences/global"))["channels"]["push"] is False


def test_refusals_have_novus_statuses_and_messages(session) -> None:
    http = session("ada")
    critical = http.patch("/v1/inbox/preferences/password-reset", json={"email": False})
    assert critical.status_code == 400 and critical.json()["message"] == "Critical workflow with id: password-reset can not be updated"
    assert http.patch("/v1/inbox/preferences/nope", json={"email": False}).status_code == 404
    too_many = http.patch("/v1/inbox/preferences/bulk", json={"preferences": [{"workflowId": "weekly-digest"}] * 101})
    assert too_many.status_code == 422 and too_many.json()["message"] == "preferences must contain no more than 100 elements"
    assert http.patch("/v1/inbox/preferences", json={"email": "no"}).status_code == 422
    bulk = _data(http.patch("/v1/inbox/preferences/bulk", json={"preferences": [{"workflowId": "weekly-digest", "email": False}]}))
    assert bulk[0]["workflow"]["identifier"] == "weekly-digest" and bulk[0]["channels"] == {"email": False}


def test_topic_subscription_routes_and_their_envelopes(session, client) -> None:
    ada, bob = session("ada"), session("bob")
    made = _data(ada.post("/v1/inbox/topics/deals/subscriptions", json={"identifier": "ada-deals", "preferences": ["weekly-digest"]}), 201)
    assert made["identifier"] == "ada-deals" and made["preferences"][0]["workflow"]["identifier"] == "weekly-digest"
    assert [s["identifier"] for s in client.get("/v2/topics/deals/subscriptions").json()["data"]] == ["ada-deals"]
    assert bob.get("/v1/inbox/topics/deals/subscriptions/ada-deals").status_code == 204
    assert _data(bob.get("/v1/inbox/topics/deals/subscriptions")) == []
    changed = _data(ada.patch("/v1/inbox/subscriptions/ada-deals/preferences/weekly-digest", json={"enabled": False}))
    assert changed["subscriptionId"] == "ada-deals" and changed["enabled"] is False
    assert _data(client.get("/v2/topics/deals/subscriptions/ada-deals"))["preferences"][0]["enabled"] is False
    assert ada.post("/v1/inbox/topics/bad key/subscriptions", json={}).status_code == 400
    assert _data(ada.delete("/v1/inbox/topics/deals/subscriptions/ada-deals")) == {"success": True}
    assert ada.get("/v1/inbox/topics/deals/subscriptions/ada-deals").status_code == 204


def test_a_token_opens_its_own_environment_only(session, app) -> None:
    other = session("ada", OTHER_KEY)
    _data(other.patch("/v1/inbox/preferences", json={"sms": False}))
    with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as development:
        made = development.post("/v2/subscribers", json={"subscriberId": "ada"})
        assert _data(development.get("/v2/subscribers/ada/preferences"))["global"]["channels"]["sms"] is True, made.text
    with TestClient(app, headers={"Authorization": f"ApiKey {OTHER_KEY}"}) as production:
        assert _data(production.get("/v2/subscribers/ada/preferences"))["global"]["channels"]["sms"] is False


def test_no_session_is_401(app, client) -> None:
    assert client.get("/v1/inbox/preferences").status_code == 401, "a secret key is not a session"
    with TestClient(app, headers={"Authorization": "Bearer not-a-token"}) as forged:
        assert forged.get("/v1/inbox/preferences").status_code == 401


def test_channel_routes_answer_the_inbox_shapes(session, client) -> None:
    http = session("ada")
    slack = _data(client.post("/v1/integrations", json={"providerId": "slack", "channel": "chat", "identifier": "slack-inbox",
                                                        "credentials": {"clientId": "c", "secretKey": "s"}}), 201)  # fmt: skip
    connection = _data(client.post("/v1/channel-connections", json={"identifier": "conn-ada", "integrationIdentifier": slack["identifier"],
                       "subscriberId": "ada", "workspace": {"id": "T1"}, "auth": {"accessToken": "xoxb"}}), 201)  # fmt: skip
    page = http.get("/v1/inbox/channel-connections")
    assert page.status_code == 200 and page.json() == {
        "data": [{"identifier": "conn-ada", "workspace": {"id": "T1"}, "createdAt": connection["createdAt"]}],
        "next": None, "previous": None}  # fmt: skip
    assert _data(http.get("/v1/inbox/channel-connections/conn-ada"))["identifier"] == "conn-ada"
    url = _data(http.post("/v1/inbox/channel-connections/oauth", json={"integrationIdentifier": "slack-inbox"}), 201)["url"]
    assert url
    assert http.post("/v1/inbox/channel-endpoints/link", json={"integrationIdentifier": "slack-inbox"}).status_code == 400
    deleted = http.delete("/v1/inbox/channel-connections/conn-ada")
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get("/v1/channel-connections/conn-ada").status_code == 404
