"""novu-py drives every Subscribers operation it has, by changing only its server URL.

`GET /v1/subscribers` and the two OAuth browser endpoints are not in novu-py; the HTTP tests in
`test_subscribers.py` cover them.
"""

from __future__ import annotations

import uuid

import novu_py
import pytest
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

NO_RETRIES = RetryConfig("backoff", BackoffStrategy(1, 1, 1.0, 1), False)


@pytest.fixture
def novu(target):
    with Novu(secret_key=target.api_key, server_url=target.url, retry_config=NO_RETRIES) as sdk:
        yield sdk


@pytest.fixture
def subscriber_id(novu):
    sid = f"contract-sdk-{uuid.uuid4().hex[:10]}"
    yield sid
    try:
        novu.subscribers.delete(subscriber_id=sid)
    except novu_py.models.NovuError:
        pass  # the test deleted it itself


def test_sdk_subscriber_crud_and_search(novu, subscriber_id) -> None:
    created = novu.subscribers.create(
        create_subscriber_request_dto={"subscriber_id": subscriber_id, "first_name": "Sdk", "last_name": "User",
                                       "email": f"{subscriber_id}@example.com", "phone": "+14155550199",
                                       "locale": "en-US", "timezone": "America/New_York", "data": {"tier": "gold"}}
    ).result
    assert created.subscriber_id == subscriber_id and created.data == {"tier": "gold"}

    with pytest.raises(novu_py.models.NovuError) as conflict:
        novu.subscribers.create(create_subscriber_request_dto={"subscriber_id": subscriber_id}, fail_if_exists=True)
    assert conflict.value.status_code == 409

    fetched = novu.subscribers.retrieve(subscriber_id=subscriber_id).result
    assert fetched.id == created.id and fetched.email == f"{subscriber_id}@example.com"

    patched = novu.subscribers.patch(subscriber_id=subscriber_id,
                                     patch_subscriber_request_dto={"first_name": "Renamed", "avatar": "https://example.com/a.png"}).result
    assert patched.first_name == "Renamed" and patched.last_name == "User"

    page = novu.subscribers.search(request={"email": subscriber_id, "limit": 10, "order_direction": "ASC"}).result
    assert [s.subscriber_id for s in page.data] == [subscriber_id]
    assert page.total_count == 1 and page.next is None and page.previous is None and page.total_count_capped is False

    removed = novu.subscribers.delete(subscriber_id=subscriber_id).result
    assert removed.acknowledged is True and removed.status == "deleted"
    with pytest.raises(novu_py.models.NovuError) as gone:
        novu.subscribers.retrieve(subscriber_id=subscriber_id)
    assert gone.value.status_code == 404


def test_sdk_bulk_create(novu) -> None:
    ids = [f"contract-sdk-bulk-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    try:
        result = novu.subscribers.create_bulk(
            bulk_subscriber_create_dto={"subscribers": [{"subscriber_id": sid, "first_name": f"B{n}"} for n, sid in enumerate(ids)]}
        ).result
        assert sorted(c.subscriber_id for c in result.created) == sorted(ids)
        assert result.updated == [] and result.failed == []
        again = novu.subscribers.create_bulk(bulk_subscriber_create_dto={"subscribers": [{"subscriber_id": ids[0]}]}).result
        assert [u.subscriber_id for u in again.updated] == [ids[0]]
    finally:
        for sid in ids:
            novu.subscribers.delete(subscriber_id=sid)


def test_sdk_credentials_and_online_status(novu, subscriber_id) -> None:
    identifier = f"contract-sdk-fcm-{uuid.uuid4().hex[:6]}"
    fcm = novu.integrations.create(create_integration_request_dto={
        "provider_id": "fcm", "channel": novu_py.CreateIntegrationRequestDtoChannel.PUSH, "identifier": identifier, "active": True}).result
    try:
        novu.subscribers.create(create_subscriber_request_dto={"subscriber_id": subscriber_id})
        put = novu.subscribers.credentials.update(subscriber_id=subscriber_id, update_subscriber_channel_request_dto={
            "provider_id": "fcm", "integration_identifier": identifier, "credentials": {"device_tokens": ["t1", "t2"]}}).result
        assert put.channels[0].credentials.device_tokens == ["t1", "t2"]
        appended = novu.subscribers.credentials.append(subscriber_id=subscriber_id, update_subscriber_channel_request_dto={
            "provider_id": "fcm", "integration_identifier": identifier, "credentials": {"device_tokens": ["t2", "t3"]}}).result
        assert appended.channels[0].credentials.device_tokens == ["t1", "t2", "t3"]
        assert appended.channels[0].integration_id == fcm.id
        novu.subscribers.credentials.delete(subscriber_id=subscriber_id, provider_id="fcm")
        assert novu.subscribers.retrieve(subscriber_id=subscriber_id).result.channels == []

        offline = novu.subscribers.properties.update_online_flag(
            subscriber_id=subscriber_id, update_subscriber_online_flag_request_dto={"is_online": False}).result
        assert offline.is_online is False and offline.last_online_at
    finally:
        novu.integrations.delete(integration_id=fcm.id)


def test_sdk_preferences(novu, subscriber_id) -> None:
    novu.subscribers.create(create_subscriber_request_dto={"subscriber_id": subscriber_id})
    preferences = novu.subscribers.preferences.list(subscriber_id=subscriber_id).result
    assert preferences.global_.channels.email is True
    updated = novu.subscribers.preferences.update(subscriber_id=subscriber_id, patch_subscriber_preferences_dto={
        "channels": {"email": False}}).result
    assert updated.global_.channels.email is False
    if not preferences.workflows:
        pytest.skip("the target has no non-critical workflow")
    workflow = preferences.workflows[0].workflow.identifier
    bulk = novu.subscribers.preferences.bulk_update(subscriber_id=subscriber_id, bulk_update_subscriber_preferences_dto={
        "preferences": [{"workflow_id": workflow, "channels": {"in_app": False, "email": True}}]}).result
    assert bulk[0].workflow.identifier == workflow and bulk[0].level == "template"
    critical = novu.subscribers.preferences.list(subscriber_id=subscriber_id, criticality="critical").result
    assert all(w.enabled for w in critical.workflows)
