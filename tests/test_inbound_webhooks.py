"""Delivery providers' webhooks: parsing per provider, what an event changes, the wire answers."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from mock_server.errors import BadRequest, NotFound
from mock_server.store import Backend, Environment
from mock_server.store.delivery_events import PARSERS


@pytest.fixture
def backend() -> Backend:
    backend = Backend(Environment("e" * 24, "Development", "o" * 24, "key"))
    backend.workflows.create(identifier="welcome", name="Welcome", channels=["in_app", "email"])
    backend.inbox.trigger(workflow_id="welcome", recipients=[{"subscriberId": "ada"}], payload={"message": "hi"})
    return backend


def _integration(backend: Backend, provider_id: str, channel: str, credentials: dict | None = None) -> str:
    return backend.integrations.create(
        provider_id=provider_id, channel=channel, credentials={"apiKey": "k"} if credentials is None else credentials
    ).id


def _message(backend: Backend):
    return backend.inbox.messages(page=0, limit=1).items[0]


# one body per provider reporting `id` in that provider's own shape, and the status Novu makes of it
BODIES = {
    "sendgrid": (lambda id: [{"id": id, "event": "click", "attempt": "3", "response": "250 OK"}], "clicked"),
    "postmark": (lambda id: {"MessageID": id, "RecordType": "Bounce"}, "bounced"),
    "mailjet": (lambda id: {"MessageID": id, "event": "unsub"}, "unsubscribed"),
    "ses": (lambda id: {"eventType": "Open", "mail": {"messageId": id, "timestamp": "2026-10-01T10:00:00.000Z"}},
            "opened"),
    "sendinblue": (lambda id: {"message-id": id, "id": 42, "event": "hardBounce", "date": "2026-10-01T10:00:00Z"},
                   "bounced"),
    "twilio": (lambda id: {"MessageSid": id, "MessageStatus": "undelivered"}, "undelivered"),
    "expo": (lambda id: {"eventId": id, "eventType": "clicked", "timestamp": "2025-09-21T20:02:35.103Z"}, "clicked"),
}  # fmt: skip


@pytest.mark.parametrize("provider_id", sorted(BODIES))
def test_each_provider_body_names_the_message_and_its_event(backend, provider_id) -> None:
    body, status = BODIES[provider_id]
    integration = _integration(backend, provider_id, PARSERS[provider_id].channel)
    message = _message(backend)
    results = backend.delivery_events.receive(integration, body(message.id))
    assert [r["id"] for r in results] == [message.id]
    event = results[0]["event"]
    assert event["status"] == status
    item = body(message.id)[0] if isinstance(body(message.id), list) else body(message.id)
    assert json.loads(event["row"]) == item
    assert event["date"].endswith("Z")


def test_sendgrid_events_keep_attempts_and_response_and_skip_what_novu_does_not_map(backend) -> None:
    integration = _integration(backend, "sendgrid", "email")
    message = _message(backend)
    results = backend.delivery_events.receive(integration, [
        {"id": message.id, "event": "processed"},  # SendGrid's, not mapped by Novu
        {"id": "not-a-message-here", "event": "open"},
        {"event": "open"},
        "not an object",
        {"id": message.id, "event": "delivered", "attempt": "2", "response": "250 OK"},
    ])  # fmt: skip
    assert len(results) == 1
    assert {k: results[0]["event"][k] for k in ("status", "externalId", "attempts", "response")} == {
        "status": "delivered", "externalId": message.id, "attempts": 2, "response": "250 OK"}  # fmt: skip


def test_opened_and_clicked_mark_the_message_seen(backend) -> None:
    integration = _integration(backend, "sendgrid", "email")
    message = _message(backend)
    backend.delivery_events.receive(integration, {"id": message.id, "event": "delivered"})
    assert not message.seen
    backend.delivery_events.receive(integration, {"id": message.id, "event": "open"})
    assert message.seen


def test_events_follow_the_execution_details_of_the_job_that_sent_the_message(client) -> None:
    message = client.get("/v1/messages", params={"limit": 1}).json()["data"][0]
    environment = message["_environmentId"]
    integration = client.post("/v1/integrations", json={
        "providerId": "twilio", "channel": "sms", "credentials": {"accountSid": "AC1", "token": "t"}}).json()["data"]  # fmt: skip
    with TestClient(client.app) as anonymous:  # providers call without an API key
        answer = anonymous.post(
            f"/v2/inbound-webhooks/delivery-providers/{environment}/{integration['_id']}",
            json={"MessageSid": message["_id"], "MessageStatus": "failed", "response": "carrier said no"},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"][0]["event"]["status"] == "failed"
    activity = client.get(f"/v1/notifications/{message['_notificationId']}").json()["data"]
    job = next(job for job in activity["jobs"] if job["type"] == message["channel"])
    detail = job["executionDetails"][-1]
    assert detail["source"] == "Webhook" and detail["status"] == "Failed" and detail["providerId"] == "twilio"
    assert detail["detail"] == "carrier said no - (failed)"
    assert json.loads(detail["raw"])["MessageSid"] == message["_id"]


def test_unknown_environment_integration_and_provider_are_refused(client, backend) -> None:
    environment = client.get("/v1/messages", params={"limit": 1}).json()["data"][0]["_environmentId"]
    with TestClient(client.app) as anonymous:
        unknown = anonymous.post(f"/v2/inbound-webhooks/delivery-providers/{environment}/{'0' * 24}", json={})
        assert unknown.status_code == 404
        assert unknown.json()["message"] == f"Integration for {'0' * 24} was not found"
        nowhere = anonymous.post(f"/v2/inbound-webhooks/delivery-providers/{'f' * 24}/{'0' * 24}", json=[])
        assert nowhere.status_code == 404
        assert anonymous.post(f"/v2/inbound-webhooks/delivery-providers/{environment}/x", content=b"{oops",
                              headers={"Content-Type": "application/json"}).status_code == 400  # fmt: skip
    slack = _integration(backend, "slack", "chat", credentials={"webhookUrl": "https://hooks.example/x"})
    with pytest.raises(NotFound, match="Provider with slack can not handle webhooks"):
        backend.delivery_events.receive(slack, {})
    bare = _integration(backend, "sendgrid", "email", credentials={})
    with pytest.raises(BadRequest, match="doesn't have credentials set up"):
        backend.delivery_events.receive(bare, {})


def test_an_environment_sees_only_its_own_messages(client, other_client) -> None:
    message = client.get("/v1/messages", params={"limit": 1}).json()["data"][0]
    other = other_client.post("/v1/integrations", json={
        "providerId": "sendgrid", "channel": "email", "credentials": {"apiKey": "k"}}).json()["data"]  # fmt: skip
    with TestClient(client.app) as anonymous:
        answer = anonymous.post(
            f"/v2/inbound-webhooks/delivery-providers/{other['_environmentId']}/{other['_id']}",
            json={"id": message["_id"], "event": "open"},
        )
    assert answer.status_code == 200 and answer.json()["data"] == []
    assert client.get("/v1/messages", params={"limit": 1}).json()["data"][0]["seen"] == message["seen"]


def test_events_survive_an_export_and_import(backend) -> None:
    integration = _integration(backend, "postmark", "email")
    backend.delivery_events.receive(integration, {"MessageID": _message(backend).id, "RecordType": "Delivery"})
    state = backend.export_state()
    assert len(state["delivery_events"]) == 1
    backend.import_state(state)
    assert backend.export_state() == state


def test_novu_py_reads_the_events_it_tracks() -> None:
    """The SDK's activity.track parses the answer (WebhookResultDto: event.row as text, status enum)."""
    from novu_py import Novu

    from mock_server.serving import running
    from mock_server.settings import Settings

    with running(Settings(port=0, api_keys={"sdk-key": "Development"}, seed=3)) as url:
        with Novu(secret_key="sdk-key", server_url=url) as novu:
            message = novu.messages.retrieve(request={"limit": 1}).result.data[0]
            integration = novu.integrations.create(create_integration_request_dto={
                "provider_id": "expo", "channel": "push", "credentials": {"api_key": "k"}}).result  # fmt: skip
            events = novu.activity.track(
                environment_id=integration.environment_id,
                integration_id=integration.id,
                request_body={"eventId": message.id, "eventType": "clicked"},
            )
            assert [(e.id, e.event.status) for e in events] == [(message.id, "clicked")]
            assert json.loads(events[0].event.row) == {"eventId": message.id, "eventType": "clicked"}
            seen = novu.messages.retrieve(request={"limit": 1}).result.data[0]
            assert seen.id == message.id and seen.seen is True


def test_ses_events_arrive_as_sns_notifications_in_text_plain(client) -> None:
    """Novu's bootstrap reads this route's text/plain bodies (Amazon SNS); a Notification carries the
    SES event in `Message`, a subscription confirmation carries none."""
    message = client.get("/v1/messages", params={"limit": 1}).json()["data"][0]
    ses = client.post("/v1/integrations", json={
        "providerId": "ses", "channel": "email", "credentials": {"apiKey": "AKIA", "secretKey": "s"}}).json()["data"]  # fmt: skip
    url = f"/v2/inbound-webhooks/delivery-providers/{ses['_environmentId']}/{ses['_id']}"
    event = {"eventType": "Bounce", "mail": {"messageId": message["_id"], "timestamp": "2026-10-01T10:00:00Z"}}
    notification = {"Type": "Notification", "MessageId": "sns-1", "Message": json.dumps(event)}
    with TestClient(client.app) as sns:
        sent = sns.post(url, content=json.dumps(notification), headers={"Content-Type": "text/plain; charset=UTF-8"})
        assert sent.status_code == 200, sent.text
        assert [(r["id"], r["event"]["status"]) for r in sent.json()["data"]] == [(message["_id"], "bounced")]
        assert sent.json()["data"][0]["event"]["date"] == "2026-10-01T10:00:00.000Z"
        confirmation = {"Type": "SubscriptionConfirmation", "SubscribeURL": "https://sns.example/confirm"}
        assert sns.post(url, content=json.dumps(confirmation), headers={"Content-Type": "text/plain"}).json() == {
            "data": []}  # fmt: skip
        assert sns.post(url, content=b"not json", headers={"Content-Type": "text/plain"}).json() == {"data": []}
