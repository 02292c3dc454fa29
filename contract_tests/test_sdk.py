"""The official novu-py SDK works against the target by changing only its server URL."""

from __future__ import annotations

import uuid

import novu_py
import pytest
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

from contract_tests.oauth_urls import provider_form

NO_RETRIES = RetryConfig("backoff", BackoffStrategy(1, 1, 1.0, 1), False)


@pytest.fixture
def novu(target):
    with Novu(secret_key=target.api_key, server_url=target.url, retry_config=NO_RETRIES) as sdk:
        yield sdk


def test_sdk_integration_lifecycle(novu) -> None:
    identifier = f"contract-sdk-{uuid.uuid4().hex[:8]}"
    created = novu.integrations.create(
        create_integration_request_dto={
            "provider_id": "mailgun",
            "channel": novu_py.CreateIntegrationRequestDtoChannel.EMAIL,
            "identifier": identifier,
            "name": "SDK mail",
            "active": True,
            "credentials": {"api_key": "key-123", "domain": "mg.example.com"},
        }
    ).result
    assert created.identifier == identifier and created.provider_id == "mailgun"

    listed = novu.integrations.list().result
    assert created.id in {integration.id for integration in listed}

    updated = novu.integrations.update(
        integration_id=created.id, update_integration_request_dto={"name": "SDK mail (renamed)"}
    ).result
    assert updated.name == "SDK mail (renamed)"

    primary = novu.integrations.set_as_primary(integration_id=created.id).result
    assert primary.primary is True
    others = [i for i in novu.integrations.list().result if i.channel == "email" and i.primary]
    assert [i.id for i in others] == [created.id]

    active = novu.integrations.list_active().result
    assert created.id in {integration.id for integration in active}

    remaining = novu.integrations.delete(integration_id=created.id).result
    assert created.id not in {integration.id for integration in remaining}


def test_sdk_chat_oauth_url(novu) -> None:
    identifier = f"contract-sdk-slack-{uuid.uuid4().hex[:6]}"
    slack = novu.integrations.create(
        create_integration_request_dto={
            "provider_id": "slack",
            "channel": novu_py.CreateIntegrationRequestDtoChannel.CHAT,
            "identifier": identifier,
            "credentials": {"client_id": "999.111"},
        }
    ).result
    try:
        # novu-py marks this endpoint deprecated in favour of the channel-connection OAuth ones.
        with pytest.warns(DeprecationWarning):
            url = novu.integrations.generate_chat_o_auth_url(
                generate_chat_oauth_url_request_dto={"integration_identifier": identifier, "subscriber_id": "sdk-user"}
            ).result.url
        assert provider_form(url).netloc == "slack.com"
    finally:
        novu.integrations.delete(integration_id=slack.id)


def test_sdk_surfaces_novu_errors(novu) -> None:
    with pytest.raises(novu_py.models.NovuError) as raised:
        novu.integrations.update(integration_id="0" * 24, update_integration_request_dto={"name": "x"})
    assert raised.value.status_code == 404
    assert '"statusCode": 404' in raised.value.body

    with pytest.raises(novu_py.models.ValidationErrorDto) as invalid:
        novu.integrations.create(create_integration_request_dto={"provider_id": "not-a-provider", "channel": "email"})
    assert "providerId" in invalid.value.data.errors
