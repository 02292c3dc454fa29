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


def test_choices_made_in_the_inbox_survive_a_state_export_and_import(session, client) -> None:
    """Nothing acknowledged is lost: a subscription's workflow preference (enabled, condition,
    channels) and the subscriber's own choices go through /_mock/state and come back the same."""
    http = session("ada")
    _data(http.post("/v1/inbox/topics/deals/subscriptions", json={"identifier": "ada-deals"}), 201)
    condition = {"==": [{"var": "payload.tier"}, "gold"]}
    _data(http.patch("/v1/inbox/subscriptions/ada-deals/preferences/weekly-digest",
                     json={"enabled": False, "condition": condition, "email": False}))  # fmt: skip
    _data(http.patch("/v1/inbox/preferences/invoice-ready", json={"in_app": False}))
    before = (_data(http.get("/v1/inbox/preferences")), _data(client.get("/v2/topics/deals/subscriptions/ada-deals")))
    exported = client.get("/_mock/state").json()
    client.post("/_mock/reset", params={"empty": "true"})
    imported = client.put("/_mock/state", json=exported)
    assert imported.status_code == 200, imported.text
    assert (_data(http.get("/v1/inbox/preferences")), _data(client.get("/v2/topics/deals/subscriptions/ada-deals"))) == before
    again = _data(http.patch("/v1/inbox/subscriptions/ada-deals/preferences/weekly-digest", json={"sms": True}))
    assert (again["enabled"], again["condition"], again["channels"]) == (False, condition, {"email": False, "sms": True})


def test_the_contract_runs_cleanup_deletes_what_only_a_session_may_delete(app, tmp_path) -> None:
    """A subscription a contract run made through the inbox is deleted with the run's session
    token (the secret key is 401 on that route), through the link of the create answer."""
    import json

    from contract_tests.cleanup import cleanup
    from mock_server.serving import running_app
    from mock_server.settings import default_spec_path

    with running_app(app) as url, TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as secret:
        made = secret.post("/v2/subscribers", json={"subscriberId": "nvmock-ct-inbox"}).json()["data"]
        token = inbox_session.issue(_environment(app, KEY), made)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as http:
            created = http.post("/v1/inbox/topics/deals/subscriptions", json={"identifier": "nvmock-ct-sub"})
        assert created.status_code == 201, created.text
        journal = tmp_path / "created.jsonl"
        journal.write_text(json.dumps({
            "operationId": "InboxSubscriptionsController_createTopicSubscription", "status": 201,
            "path_parameters": {"topicKey": "deals"}, "request_body": {"identifier": "nvmock-ct-sub"},
            "response_body": created.json()}) + "\n")  # fmt: skip
        options = {"url": url, "api_key": KEY, "spec_path": default_spec_path(), "prefix": "nvmock-ct-"}
        without = cleanup(journal, **options)
        assert (without.deleted, without.errors) == (0, ["DELETE /v1/inbox/topics/deals/subscriptions/nvmock-ct-sub: 401"])
        with_session = cleanup(journal, **options, session_token=token)
        assert (with_session.deleted, with_session.errors) == (1, [])
        assert secret.get("/v2/topics/deals/subscriptions").json()["data"] == []


def test_an_inbox_change_is_in_the_state_file_before_its_answer(tmp_path) -> None:
    """With --state-file, a preference or subscription changed with a session token is logged
    before the answer leaves, under the services it changed, and is there after a restart."""
    import json

    from mock_server.app import create_app
    from mock_server.settings import Settings

    path = tmp_path / "state.json"
    settings = Settings(api_keys={KEY: "Development", OTHER_KEY: "Production"}, state_file=path)
    app = create_app(settings)
    with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as secret:
        made = secret.post("/v2/subscribers", json={"subscriberId": "kept-ada"}).json()["data"]
        token = inbox_session.issue(_environment(app, KEY), made)
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as http:
            _data(http.patch("/v1/inbox/preferences/weekly-digest", json={"email": False}))
            logged = [json.loads(line) for line in path.with_name("state.json.log").read_bytes().splitlines()]
            assert "preferences" in logged[-1]["services"], "logged before the answer came back"
            _data(http.post("/v1/inbox/topics/kept/subscriptions", json={"identifier": "kept-sub"}), 201)
            _data(http.patch("/v1/inbox/subscriptions/kept-sub/preferences/weekly-digest", json={"enabled": False}))
            logged = [json.loads(line) for line in path.with_name("state.json.log").read_bytes().splitlines()]
            assert "topics" in logged[-1]["services"]
    restarted = create_app(settings)
    with TestClient(restarted, headers={"Authorization": f"ApiKey {KEY}"}) as secret:
        v2 = _data(secret.get("/v2/subscribers/kept-ada/preferences"))
        assert next(w for w in v2["workflows"] if w["workflow"]["identifier"] == "weekly-digest")["channels"] == {"email": False}
        kept = _data(secret.get("/v2/topics/kept/subscriptions/kept-sub"))
        assert [(p["workflow"]["identifier"], p["enabled"]) for p in kept["preferences"]] == [("weekly-digest", False)]
