"""Business rules of the Subscribers API, checked black-box over HTTP against the target."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

PREFIX = "contract-sub-"


def _sid() -> str:
    return f"{PREFIX}{uuid.uuid4().hex[:12]}"


def test_create_get_patch_delete(client, subscribers) -> None:
    created = subscribers(firstName="Ada", lastName="Lovelace", email="ada@example.com", phone="+442071234567",
                          locale="en-GB", timezone="Europe/London", data={"plan": "pro"})
    sid = created["subscriberId"]
    assert len(created["_id"]) == 24 and created["deleted"] is False
    fetched = client.get(f"/v2/subscribers/{sid}")
    assert fetched.status_code == 200 and fetched.json()["data"] == created

    patched = client.patch(f"/v2/subscribers/{sid}", json={"lastName": None, "data": {"plan": "free"}, "locale": "fr-FR"})
    assert patched.status_code == 200
    body = patched.json()["data"]
    assert body["lastName"] is None and body["data"] == {"plan": "free"} and body["locale"] == "fr-FR"
    assert body["firstName"] == "Ada", "fields not sent stay"
    assert body["updatedAt"] >= created["updatedAt"]

    removed = client.delete(f"/v2/subscribers/{sid}")
    assert removed.status_code == 200 and removed.json() == {"data": {"acknowledged": True, "status": "deleted"}}
    for response in (client.get(f"/v2/subscribers/{sid}"), client.patch(f"/v2/subscribers/{sid}", json={}),
                     client.delete(f"/v2/subscribers/{sid}"), client.get(f"/v2/subscribers/{sid}/preferences")):
        assert response.status_code == 404, response.text
        assert response.json()["statusCode"] == 404


def test_create_upserts_unless_fail_if_exists(client, subscribers) -> None:
    first = subscribers(firstName="Grace")
    sid = first["subscriberId"]
    again = client.post("/v2/subscribers", json={"subscriberId": sid, "lastName": "Hopper"})
    assert again.status_code == 201
    assert again.json()["data"]["_id"] == first["_id"]
    assert (again.json()["data"]["firstName"], again.json()["data"]["lastName"]) == ("Grace", "Hopper")
    refused = client.post("/v2/subscribers", params={"failIfExists": "true"}, json={"subscriberId": sid, "firstName": "X"})
    assert refused.status_code == 409 and sid in refused.json()["message"]
    assert client.get(f"/v2/subscribers/{sid}").json()["data"]["firstName"] == "Grace"


def test_search_filters_and_cursor_walk(client, subscribers) -> None:
    tag = uuid.uuid4().hex[:8]
    made = [subscribers(email=f"walk{tag}.{n}@example.com", firstName=f"Walker{tag}", lastName=f"N{n}") for n in range(11)]
    found = client.get("/v2/subscribers", params={"email": f"WALK{tag}", "limit": 100}).json()
    assert {s["_id"] for s in found["data"]} == {s["_id"] for s in made}
    assert found["totalCount"] == 11 and found["totalCountCapped"] is False
    assert client.get("/v2/subscribers", params={"name": f"walker{tag} n1"}).json()["totalCount"] == 2  # N1, N10

    seen: list[str] = []
    params = {"email": f"walk{tag}", "limit": 4, "orderDirection": "ASC"}
    page = client.get("/v2/subscribers", params=params).json()
    assert page["previous"] is None
    while True:
        seen += [s["_id"] for s in page["data"]]
        if page["next"] is None:
            break
        page = client.get("/v2/subscribers", params={**params, "after": page["next"]}).json()
    assert seen == [s["_id"] for s in made], "creation order, each once"
    back = client.get("/v2/subscribers", params={**params, "before": seen[-1]}).json()
    assert [s["_id"] for s in back["data"]] == seen[-5:-1]


def test_bad_search_input_is_refused(client) -> None:
    assert client.get("/v2/subscribers", params={"after": "not-a-cursor"}).status_code == 422
    for limit, sentence in ((101, "limit must not be greater than 100"), (0, "limit must not be less than 1")):
        refused = client.get("/v2/subscribers", params={"limit": limit})
        assert refused.status_code == 400, "Novu's command refuses it"
        assert refused.json()["constraintsViolated"]["limit"]["messages"] == [sentence]
    assert client.get("/v2/subscribers", params={"orderBy": "email"}).status_code == 200, "any field name is taken"
    unknown = client.get("/v2/subscribers", params={"after": "0" * 24})
    assert unknown.status_code == 200, "a cursor naming nothing is an empty page"
    assert unknown.json() == {"data": [], "next": None, "previous": None, "totalCount": 0, "totalCountCapped": False}


def test_bad_subscriber_input_is_422(client) -> None:
    response = client.post("/v2/subscribers", json={"subscriberId": _sid(), "email": "not-an-email"})
    assert response.status_code == 422 and "email" in response.json()["errors"]
    assert "subscriberId" in client.post("/v2/subscribers", json={"firstName": "x"}).json()["errors"]
    blank = client.post("/v2/subscribers", json={"subscriberId": "   "})
    assert blank.status_code == 422 and "subscriberId" in blank.json()["errors"]


def test_v1_list_pages(client, subscribers) -> None:
    subscribers()
    first = client.get("/v1/subscribers", params={"page": 0, "limit": 2})
    assert first.status_code == 200
    body = first.json()
    assert set(body) == {"page", "pageSize", "hasMore", "data"}, "not enveloped, and no total"
    assert body["page"] == 0 and body["pageSize"] == 2 and len(body["data"]) <= 2
    assert body["hasMore"] is (len(body["data"]) == 2)
    everyone: list[str] = []
    page = 0
    while True:
        chunk = client.get("/v1/subscribers", params={"page": page, "limit": 2}).json()
        everyone += [s["_id"] for s in chunk["data"]]
        assert chunk["hasMore"] is (len(chunk["data"]) == 2), "more whenever the page is full"
        if not chunk["hasMore"]:
            break
        page += 1
    assert len(everyone) == len(set(everyone)) >= 1


def test_bulk_create(client) -> None:
    existing, fresh = _sid(), _sid()
    client.post("/v2/subscribers", json={"subscriberId": existing})
    try:
        response = client.post("/v1/subscribers/bulk", json={"subscribers": [
            {"subscriberId": existing, "firstName": "Updated"}, {"subscriberId": fresh, "email": "fresh@example.com"},
            {"subscriberId": fresh}]})
        assert response.status_code == 201, response.text
        body = response.json()["data"]
        assert body["created"] == [{"subscriberId": fresh}]
        assert body["updated"] == [{"subscriberId": existing}, {"subscriberId": fresh}], "a repeat updates"
        assert body["failed"] == []
        assert client.get(f"/v2/subscribers/{existing}").json()["data"]["firstName"] == "Updated"
        assert client.get(f"/v2/subscribers/{fresh}").json()["data"]["email"] == "fresh@example.com"
    finally:
        client.delete(f"/v2/subscribers/{existing}")
        client.delete(f"/v2/subscribers/{fresh}")


def test_bulk_create_over_500_is_refused(client) -> None:
    too_many = [{"subscriberId": f"{PREFIX}bulk-{n}"} for n in range(501)]
    response = client.post("/v1/subscribers/bulk", json={"subscribers": too_many})
    assert response.status_code == 422 and "subscribers" in response.json()["errors"]
    assert client.get(f"/v2/subscribers/{PREFIX}bulk-0").status_code == 404, "nothing was created"


def test_credentials_put_patch_delete(client, subscribers, integration) -> None:
    fcm = integration("fcm", "push")
    sid = subscribers()["subscriberId"]
    path = f"/v1/subscribers/{sid}/credentials"
    put = client.put(path, json={"providerId": "fcm", "integrationIdentifier": fcm["identifier"],
                                 "credentials": {"deviceTokens": ["tok-a", "tok-b", "tok-a"]}})
    assert put.status_code == 200, put.text
    [channel] = put.json()["data"]["channels"]
    assert channel == {"credentials": {"deviceTokens": ["tok-a", "tok-b"]}, "_integrationId": fcm["_id"], "providerId": "fcm"}

    patched = client.patch(path, json={"providerId": "fcm", "integrationIdentifier": fcm["identifier"],
                                       "credentials": {"deviceTokens": ["tok-b", "tok-c"]}})
    assert patched.json()["data"]["channels"][0]["credentials"]["deviceTokens"] == ["tok-a", "tok-b", "tok-c"]
    replaced = client.put(path, json={"providerId": "fcm", "integrationIdentifier": fcm["identifier"],
                                      "credentials": {"deviceTokens": ["tok-z"]}})
    assert replaced.json()["data"]["channels"][0]["credentials"]["deviceTokens"] == ["tok-z"]

    deleted = client.delete(f"{path}/fcm")
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get(f"/v2/subscribers/{sid}").json()["data"]["channels"] == []


def test_credentials_refusals(client, subscribers, integration) -> None:
    slack = integration("slack", "chat")
    sid = subscribers()["subscriberId"]
    path = f"/v1/subscribers/{sid}/credentials"
    no_integration = client.put(path, json={"providerId": f"{PREFIX}pigeon", "credentials": {}})
    assert no_integration.status_code == 400 and "do not have active" in no_integration.json()["message"]
    other_provider = client.put(path, json={"providerId": "fcm", "integrationIdentifier": slack["identifier"], "credentials": {}})
    assert other_provider.status_code == 400
    unknown = client.put(path, json={"providerId": "slack", "integrationIdentifier": f"{PREFIX}nope", "credentials": {}})
    assert unknown.status_code == 400
    assert client.put(f"/v1/subscribers/{_sid()}/credentials", json={"providerId": "slack", "credentials": {}}).status_code == 400
    assert client.put(path, json={"providerId": "slack"}).status_code == 422, "credentials are required"
    assert client.delete(f"{path}/sendgrid").status_code == 204
    assert client.delete(f"/v1/subscribers/{_sid()}/credentials/slack").status_code == 404


def test_online_status(client, subscribers) -> None:
    sid = subscribers()["subscriberId"]
    online = client.patch(f"/v1/subscribers/{sid}/online-status", json={"isOnline": True})
    assert online.status_code == 200 and online.json()["data"]["isOnline"] is True
    offline = client.patch(f"/v1/subscribers/{sid}/online-status", json={"isOnline": False}).json()["data"]
    assert offline["isOnline"] is False and offline["lastOnlineAt"]
    assert client.patch(f"/v1/subscribers/{sid}/online-status", json={"isOnline": "yes"}).status_code == 422
    assert client.patch(f"/v1/subscribers/{_sid()}/online-status", json={"isOnline": True}).status_code == 404


def test_preferences_global_and_per_workflow(client, subscribers) -> None:
    sid = subscribers()["subscriberId"]
    path = f"/v2/subscribers/{sid}/preferences"
    preferences = client.get(path).json()["data"]
    assert set(preferences["global"]["channels"]) == {"email", "sms", "in_app", "chat", "push"}
    with_channels = [workflow for workflow in preferences["workflows"] if workflow["channels"]]
    if not with_channels:
        pytest.skip("the target has no non-critical workflow with a channel step")
    workflow = with_channels[0]
    identifier, channel = workflow["workflow"]["identifier"], next(iter(workflow["channels"]))

    changed = client.patch(path, json={"workflowId": identifier, "channels": {channel: False}})
    assert changed.status_code == 200, changed.text
    entry = next(w for w in changed.json()["data"]["workflows"] if w["workflow"]["identifier"] == identifier)
    assert entry["channels"][channel] is False
    assert {"channel": channel, "source": "subscriber"} in entry["overrides"]

    global_change = client.patch(path, json={"channels": {"sms": False}, "schedule": {"isEnabled": True, "weeklySchedule": {
        "monday": {"isEnabled": True, "hours": [{"start": "09:00 AM", "end": "05:00 PM"}]}}}}).json()["data"]
    assert global_change["global"]["channels"]["sms"] is False
    assert global_change["global"]["schedule"]["weeklySchedule"]["monday"]["hours"][0]["start"] == "09:00 AM"

    bulk = client.patch(f"{path}/bulk", json={"preferences": [{"workflowId": identifier, "channels": {channel: True}}]})
    assert bulk.status_code == 200, bulk.text
    [result] = bulk.json()["data"]
    assert result["level"] == "template" and result["channels"][channel] is True
    assert result["workflow"]["identifier"] == identifier

    assert client.patch(path, json={"workflowId": f"{PREFIX}no-such-workflow", "channels": {"email": False}}).status_code == 404
    assert client.patch(f"{path}/bulk", json={"preferences": []}).status_code == 400
    assert client.get(path, params={"criticality": "sometimes"}).status_code == 422


def test_critical_workflows_cannot_be_changed(client, subscribers) -> None:
    sid = subscribers()["subscriberId"]
    path = f"/v2/subscribers/{sid}/preferences"
    critical = client.get(path, params={"criticality": "critical"}).json()["data"]["workflows"]
    if not critical:
        pytest.skip("the target has no critical workflow")
    identifier = critical[0]["workflow"]["identifier"]
    assert all(critical[0]["channels"].values())
    refused = client.patch(path, json={"workflowId": identifier, "channels": {"email": False}})
    assert refused.status_code == 400 and "can not be updated" in refused.json()["message"]
    everything = client.get(path, params={"criticality": "all"}).json()["data"]["workflows"]
    assert identifier in {w["workflow"]["identifier"] for w in everything}


def test_other_environment_sees_nothing(client, other_client, subscribers) -> None:
    mine = subscribers(email="private@example.com")
    sid = mine["subscriberId"]
    assert other_client.get(f"/v2/subscribers/{sid}").status_code == 404
    assert other_client.patch(f"/v2/subscribers/{sid}", json={"firstName": "Mallory"}).status_code == 404
    assert other_client.delete(f"/v2/subscribers/{sid}").status_code == 404
    assert other_client.get(f"/v2/subscribers/{sid}/preferences").status_code == 404
    assert other_client.patch(f"/v1/subscribers/{sid}/online-status", json={"isOnline": True}).status_code == 404
    assert other_client.delete(f"/v1/subscribers/{sid}/credentials/slack").status_code == 404
    assert other_client.get("/v2/subscribers", params={"subscriberId": sid}).json()["data"] == []
    foreign = other_client.get("/v2/subscribers", params={"after": mine["_id"]})
    assert foreign.status_code == 200 and foreign.json()["data"] == [], "a foreign cursor names nothing here"
    # the same subscriberId in the other environment is another subscriber
    theirs = other_client.post("/v2/subscribers", json={"subscriberId": sid, "firstName": "Twin"})
    try:
        assert theirs.status_code == 201 and theirs.json()["data"]["_id"] != mine["_id"]
        assert "firstName" not in client.get(f"/v2/subscribers/{sid}").json()["data"]
    finally:
        other_client.delete(f"/v2/subscribers/{sid}")
    assert client.get(f"/v2/subscribers/{sid}").status_code == 200, "still there for its owner"


def _hmac(key: str, subscriber_id: str) -> str:
    return hmac.new(key.encode(), subscriber_id.encode(), hashlib.sha256).hexdigest()


def test_chat_oauth_redirect_and_callback(client, target, subscribers, integration) -> None:
    slack = integration("slack", "chat", credentials={"clientId": "1234.5678"})
    subscriber = subscribers()
    sid, environment_id = subscriber["subscriberId"], subscriber["_environmentId"]
    base = f"/v1/subscribers/{sid}/credentials/slack/oauth"
    query = {"environmentId": environment_id, "hmacHash": _hmac(target.api_key, sid), "integrationIdentifier": slack["identifier"]}
    with httpx.Client(base_url=target.url, timeout=30) as browser:  # no API key: a browser opens these
        start = browser.get(base, params=query)
        assert start.status_code == 302, start.text
        location = urlsplit(start.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == "https://slack.com/oauth/v2/authorize"
        sent = parse_qs(location.query)
        assert sent["client_id"] == ["1234.5678"] and sent["scope"] == ["incoming-webhook"]
        assert urlsplit(sent["redirect_uri"][0]).path == f"{base}/callback"
        state = sent["state"][0]

        assert browser.get(base, params={**query, "hmacHash": "0" * 64}).status_code == 400
        tampered = browser.get(f"{base}/callback", params={"code": "c-1", "state": state[:-2] + "xx"})
        assert tampered.status_code == 403 and tampered.json()["statusCode"] == 403
        other_subscriber = browser.get(f"/v1/subscribers/{_sid()}/credentials/slack/oauth/callback", params={"code": "c-1", "state": state})
        assert other_subscriber.status_code == 403

        done = browser.get(f"{base}/callback", params={"code": "c-1", "state": state})
        assert done.status_code == 200 and done.headers["content-type"].startswith("text/html")
        assert "window.close" in done.text
    [channel] = client.get(f"/v2/subscribers/{sid}").json()["data"]["channels"]
    assert channel["providerId"] == "slack" and channel["_integrationId"] == slack["_id"]
    assert channel["credentials"]["webhookUrl"].startswith("https://hooks.slack.com/services/")


def test_chat_oauth_callback_redirects_when_the_integration_says_so(client, target, subscribers, integration) -> None:
    slack = integration("slack", "chat", credentials={"clientId": "42.42", "redirectUrl": "https://app.example.com/connected"})
    subscriber = subscribers()
    sid = subscriber["subscriberId"]
    with httpx.Client(base_url=target.url, timeout=30) as browser:
        start = browser.get(f"/v1/subscribers/{sid}/credentials/slack/oauth", params={
            "environmentId": subscriber["_environmentId"], "hmacHash": _hmac(target.api_key, sid),
            "integrationIdentifier": slack["identifier"]})
        state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
        done = browser.get(f"/v1/subscribers/{sid}/credentials/slack/oauth/callback", params={"code": "c-2", "state": state})
    assert done.status_code == 302 and done.headers["Location"] == "https://app.example.com/connected"
    assert client.get(f"/v2/subscribers/{sid}").json()["data"]["channels"][0]["credentials"]["webhookUrl"]


def test_chat_oauth_refusals(target, subscribers, integration) -> None:
    no_client_id = integration("slack", "chat", credentials={})
    subscriber = subscribers()
    sid = subscriber["subscriberId"]
    query = {"environmentId": subscriber["_environmentId"], "hmacHash": _hmac(target.api_key, sid)}
    with httpx.Client(base_url=target.url, timeout=30) as browser:
        assert browser.get(f"/v1/subscribers/{sid}/credentials/slack/oauth",
                           params={**query, "integrationIdentifier": no_client_id["identifier"]}).status_code == 404
        assert browser.get(f"/v1/subscribers/{sid}/credentials/discord/oauth", params=query).status_code == 404
        assert browser.get(f"/v1/subscribers/{sid}/credentials/slack/oauth",
                           params={**query, "environmentId": "f" * 24}).status_code == 404
        assert browser.get(f"/v1/subscribers/{sid}/credentials/slack/oauth",
                           params={**query, "hmacHash": "short"}).status_code == 400
