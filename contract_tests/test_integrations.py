"""Business rules of the Integrations API, checked black-box over HTTP against the target."""

from __future__ import annotations

import uuid

import pytest


PREFIX = "contract-"


def _identifier() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:10]}"


@pytest.fixture
def created(created_at):
    """Integrations a test creates, deleted afterwards (they carry a recognisable prefix)."""
    integrations = created_at("/v1/integrations", "_id")

    def create(*, generated_identifier: bool = False, **body):
        if not generated_identifier:
            body.setdefault("identifier", _identifier())
        return integrations.create(body)

    return create


def _list(client) -> list[dict]:
    response = client.get("/v1/integrations")
    assert response.status_code == 200
    return response.json()["data"]


def test_create_then_list_update_and_delete(client, created) -> None:
    integration = created(providerId="postmark", channel="email", name="Transactional mail", active=False)
    assert integration["providerId"] == "postmark"
    assert integration["channel"] == "email"
    assert "credentials" not in integration, "secrets are never handed to an API key"
    assert integration["_id"] in {i["_id"] for i in _list(client)}

    updated = client.put(f"/v1/integrations/{integration['_id']}", json={"name": "Receipts", "active": True})
    assert updated.status_code == 200
    assert updated.json()["data"]["name"] == "Receipts"
    assert updated.json()["data"]["active"] is True
    assert integration["_id"] in {i["_id"] for i in client.get("/v1/integrations/active").json()["data"]}

    removed = client.delete(f"/v1/integrations/{integration['_id']}")
    assert removed.status_code == 200
    remaining = removed.json()["data"]
    assert integration["_id"] not in {i["_id"] for i in remaining}
    assert {i["_id"] for i in remaining} == {i["_id"] for i in _list(client)}
    assert client.put(f"/v1/integrations/{integration['_id']}", json={"name": "x"}).status_code == 404


def test_identifier_is_generated_from_the_name_when_absent(client, created) -> None:
    integration = created(providerId="mailjet", channel="email", generated_identifier=True)
    assert integration["name"] == "Mailjet"
    assert integration["identifier"].startswith("mailjet-")


def test_duplicate_identifier_is_a_conflict(client, created) -> None:
    first = created(providerId="sendgrid", channel="email")
    again = client.post("/v1/integrations", json={"providerId": "mailgun", "channel": "email", "identifier": first["identifier"]})
    assert again.status_code == 409
    assert again.json()["message"] == "Integration with identifier already exists"
    second = created(providerId="mailgun", channel="email")
    renamed = client.put(f"/v1/integrations/{second['_id']}", json={"identifier": first["identifier"]})
    assert renamed.status_code == 409


@pytest.mark.parametrize("channel, provider", [("email", "resend"), ("sms", "plivo")])
def test_set_primary_leaves_one_primary_per_channel(client, created, channel, provider) -> None:
    one = created(providerId=provider, channel=channel, active=True)
    two = created(providerId=provider, channel=channel, active=False)
    for chosen in (one, two, one):
        response = client.post(f"/v1/integrations/{chosen['_id']}/set-primary")
        assert response.status_code == 201
        body = response.json()["data"]
        assert body["primary"] is True and body["active"] is True
        primaries = [i for i in _list(client) if i["channel"] == channel and i["primary"]]
        assert [i["_id"] for i in primaries] == [chosen["_id"]]


def test_set_primary_refuses_channels_without_primary(client, created) -> None:
    push = created(providerId="fcm", channel="push", active=True)
    response = client.post(f"/v1/integrations/{push['_id']}/set-primary")
    assert response.status_code == 400
    assert response.json()["message"] == "Channel push does not support primary"


def test_unknown_ids_are_404(client) -> None:
    missing = "0" * 24
    for method, path in [
        ("PUT", f"/v1/integrations/{missing}"),
        ("DELETE", f"/v1/integrations/{missing}"),
        ("POST", f"/v1/integrations/{missing}/set-primary"),
        ("POST", f"/v1/integrations/{missing}/auto-configure"),
    ]:
        response = client.request(method, path, json={} if method == "PUT" else None)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["statusCode"] == 404


def test_other_environment_cannot_see_or_change_integrations(client, other_client, created) -> None:
    mine = created(providerId="ses", channel="email")
    assert mine["_id"] not in {i["_id"] for i in other_client.get("/v1/integrations").json()["data"]}
    assert other_client.put(f"/v1/integrations/{mine['_id']}", json={"name": "stolen"}).status_code == 404
    assert other_client.delete(f"/v1/integrations/{mine['_id']}").status_code == 404
    assert other_client.post(f"/v1/integrations/{mine['_id']}/set-primary").status_code == 404
    oauth = other_client.post("/v1/integrations/chat/oauth", json={"integrationIdentifier": mine["identifier"]})
    assert oauth.status_code == 404
    assert mine["_id"] in {i["_id"] for i in _list(client)}, "still there, unchanged, for its owner"


def test_auto_configure(client, created) -> None:
    sendgrid = created(providerId="sendgrid", channel="email", active=True)
    response = client.post(f"/v1/integrations/{sendgrid['_id']}/auto-configure")
    assert response.status_code == 201
    body = response.json()["data"]
    assert body["success"] is True
    assert body["configurations"]["inboundWebhookEnabled"] is True

    twilio = created(providerId="twilio", channel="sms")
    unsupported = client.post(f"/v1/integrations/{twilio['_id']}/auto-configure").json()["data"]
    assert unsupported["success"] is False
    assert "manual configuration is required" in unsupported["message"]
