"""The request journal: what came in, what went out, near misses, filters, bounds, isolation."""

from __future__ import annotations

from starlette.testclient import TestClient

from mock_server.app import create_app
from mock_server.settings import Settings
from tests.conftest import KEY


def _journal(client, **params) -> dict:
    response = client.get("/_mock/requests", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_each_request_is_recorded_with_its_answer(client) -> None:
    client.get("/v1/integrations")
    client.post("/v1/integrations", json={"providerId": "ses", "channel": "not-a-channel"})
    journal = _journal(client)
    assert journal["total"] == 2 and journal["dropped"] == 0
    listed, refused = journal["requests"]
    assert (listed["method"], listed["path"], listed["status"]) == ("GET", "/v1/integrations", 200)
    assert listed["operationId"] == "IntegrationsController_listIntegrations"
    assert listed["matched"] is True and listed["latencyMs"] >= 0 and listed["time"].endswith("Z")
    assert refused["status"] == 422
    assert refused["operationId"] == "IntegrationsController_createIntegration"
    assert "channel" in refused["validationErrors"]
    assert refused["id"] > listed["id"]


def test_admin_and_docs_requests_are_not_journaled(client) -> None:
    client.get("/_mock/state")
    client.get("/openapi.json")
    client.get("/docs/")
    assert _journal(client)["requests"] == []


def test_unmatched_requests_name_the_nearest_operations(client) -> None:
    client.get("/v1/integration")  # a typo
    client.patch("/v1/integrations", json={})  # a wrong method
    typo, wrong_method = _journal(client)["requests"]
    assert typo["status"] == 404 and typo["matched"] is False and typo["operationId"] is None
    assert typo["nearMisses"][0]["path"] == "/v1/integrations"
    assert typo["nearMisses"][0]["operationId"] == "IntegrationsController_listIntegrations"
    assert wrong_method["status"] == 404 and wrong_method["matched"] is False
    assert {miss["operationId"] for miss in wrong_method["nearMisses"][:2]} == {
        "IntegrationsController_listIntegrations",
        "IntegrationsController_createIntegration",
    }


def test_filters_by_path_status_method_and_limit(client) -> None:
    integration = client.get("/v1/integrations").json()["data"][0]
    client.get("/v1/integrations/active")
    client.put(f"/v1/integrations/{integration['_id']}", json={"name": "renamed"})
    client.put("/v1/integrations/" + "0" * 24, json={"name": "ghost"})
    assert [e["path"] for e in _journal(client, path="/v1/integrations")["requests"]] == ["/v1/integrations"]
    assert len(_journal(client, path="/v1/integrations/*")["requests"]) == 3
    assert [e["status"] for e in _journal(client, status="404")["requests"]] == [404]
    assert [e["status"] for e in _journal(client, status="2xx")["requests"]] == [200, 200, 200]
    assert [e["method"] for e in _journal(client, method="PUT")["requests"]] == ["PUT", "PUT"]
    newest = _journal(client, limit=1)["requests"]
    assert len(newest) == 1 and newest[0]["status"] == 404
    assert client.get("/_mock/requests", params={"status": "600"}).status_code == 422


def test_requests_without_a_key_show_in_every_journal(app, client, other_client) -> None:
    with TestClient(app) as anonymous:
        anonymous.get("/v1/integrations")
    for http in (client, other_client):
        (entry,) = _journal(http)["requests"]
        assert entry["status"] == 401 and entry["environmentId"] is None


def test_journals_are_per_environment_and_clearable(client, other_client) -> None:
    client.get("/v1/integrations")
    other_client.get("/v1/integrations/active")
    mine = _journal(client)["requests"]
    assert [e["path"] for e in mine] == ["/v1/integrations"]
    assert client.delete("/_mock/requests").status_code == 204
    assert _journal(client) == {"total": 0, "dropped": 0, "requests": []}
    assert [e["path"] for e in _journal(other_client)["requests"]] == ["/v1/integrations/active"]


def test_the_journal_is_bounded_and_counts_what_it_dropped() -> None:
    app = create_app(Settings(api_keys={KEY: "Development"}, fixtures=False, journal_size=5))
    with TestClient(app, headers={"Authorization": f"ApiKey {KEY}"}) as http:
        for index in range(8):
            http.get(f"/v1/integrations/active?n={index}")
        journal = _journal(http)
    assert journal["total"] == 8 and journal["dropped"] == 3
    assert [e["query"] for e in journal["requests"]] == [f"n={index}" for index in range(3, 8)]
    # what the heap's quiet-time reclaim watches: every API request answered, dropped or not
    assert app.controls.journal.recorded == 8


# -- bodies, redaction, and the filters a test asserts with ------------------------------------


def _count(client, **filters) -> int:
    response = client.post("/_mock/requests/count", json=filters)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def test_bodies_are_kept_with_secrets_redacted(client) -> None:
    client.post(
        "/v1/integrations",
        json={"providerId": "sendgrid", "channel": "email", "name": "Mail",
              "credentials": {"apiKey": "SG.secret", "from": "a@b.c", "senderName": "Team"}},
    )  # fmt: skip
    client.put("/v1/subscribers/nobody/credentials", json={"providerId": "slack", "credentials": {"webhookUrl": "https://hooks.example/x"}})
    created, credentials = _journal(client)["requests"]
    assert created["requestBody"]["name"] == "Mail" and created["requestBody"]["providerId"] == "sendgrid"
    # every value under credentials, and the key header, never come back
    assert created["requestBody"]["credentials"] == {"apiKey": "[redacted]", "from": "[redacted]", "senderName": "[redacted]"}
    assert created["requestHeaders"]["authorization"] == "[redacted]"
    assert created["requestHeaders"]["content-type"] == "application/json"
    assert created["status"] == 201 and created["responseBody"]["data"]["name"] == "Mail"
    assert "SG.secret" not in str(_journal(client)) and "hooks.example" not in str(_journal(client))
    assert credentials["requestBody"]["credentials"]["webhookUrl"] == "[redacted]"
    assert credentials["responseBody"]["statusCode"] == credentials["status"]


def test_a_long_body_is_kept_cut_and_flagged(client) -> None:
    from mock_server.controls.exchange import BODY_LIMIT

    client.post("/v2/subscribers", json={"subscriberId": "long-data", "data": {"notes": "x" * (BODY_LIMIT + 10)}})
    (entry,) = _journal(client)["requests"]
    assert entry["requestBodyTruncated"] is True and entry["responseBodyTruncated"] is True
    assert isinstance(entry["requestBody"], str) and len(entry["requestBody"].encode()) <= BODY_LIMIT


def test_requests_are_found_by_operation_subscriber_workflow_and_body(client) -> None:
    subscriber = client.get("/v2/subscribers").json()
    subscriber_id = (subscriber["data"] if isinstance(subscriber["data"], list) else subscriber["data"]["data"])[0]["subscriberId"]
    client.get(f"/v2/subscribers/{subscriber_id}")
    client.post("/v1/events/trigger", json={"name": "comment-mention", "to": subscriber_id, "payload": {"author": "Ada"}})
    client.post("/v1/events/trigger", json={"name": "comment-mention", "to": [{"subscriberId": "someone-else"}], "payload": {"author": "Bob"}})
    client.post("/v1/events/trigger", json={"name": "invoice-ready", "to": {"subscriberId": subscriber_id}, "payload": {}})

    def found(**filters):
        return [(e["operationId"], e["requestBody"] and e["requestBody"].get("name")) for e in _journal(client, **filters)["requests"]]

    assert [name for _, name in found(operation="EventsController_trigger")] == ["comment-mention", "comment-mention", "invoice-ready"]
    assert found(workflow="invoice-ready") == [("EventsController_trigger", "invoice-ready")]
    # a subscriber is found in the path and among a trigger's recipients, in any form of `to`
    assert [op for op, _ in found(subscriber=subscriber_id)] == [
        "SubscribersController_getSubscriber", "EventsController_trigger", "EventsController_trigger"]
    assert found(subscriber="someone-else") == [("EventsController_trigger", "comment-mention")]
    assert found(body="Bob") == [("EventsController_trigger", "comment-mention")]
    # counted with the same filters, a body as JSON found in the request body
    assert _count(client, workflow="comment-mention", subscriber=subscriber_id) == 1
    assert _count(client, operation="EventsController_trigger", body={"payload": {"author": "Ada"}}) == 1
    assert _count(client, body={"to": [{"subscriberId": "someone-else"}]}) == 1
    assert _count(client, body={"payload": {"author": "Eve"}}) == 0
    assert _count(client, workflow="comment-mention", status="2xx") == 2
    assert _count(client) == 5


def test_counts_are_per_environment_and_refuse_unknown_filters(client, other_client) -> None:
    client.post("/v1/events/trigger", json={"name": "comment-mention", "to": "someone", "payload": {}})
    assert _count(client, workflow="comment-mention") == 1
    assert _count(other_client, workflow="comment-mention") == 0
    refused = client.post("/_mock/requests/count", json={"wrokflow": "comment-mention"})
    assert refused.status_code == 422 and "wrokflow" in str(refused.json()["errors"])


def test_bodies_past_the_byte_budget_are_released_oldest_first(client, monkeypatch) -> None:
    from mock_server.controls import journal

    monkeypatch.setattr(journal, "BODY_BUDGET", 3000)
    for number in range(4):
        client.post("/v2/subscribers", json={"subscriberId": f"budget-{number}", "data": {"notes": "y" * 500}})
    entries = _journal(client)["requests"]
    assert len(entries) == 4  # every entry stays
    released = [entry.get("bodiesReleased", False) for entry in entries]
    assert released[0] is True and released[-1] is False and released == sorted(released, reverse=True)
    assert entries[0]["requestBody"] is None and entries[-1]["requestBody"]["subscriberId"] == "budget-3"
