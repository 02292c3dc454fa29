"""novu-py drives every Domains operation and the delivery providers' webhook by changing only its
server URL. Domain names are random labels under ``.invalid``; what a test makes is deleted."""

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
def domain(novu):
    name = f"contract-sdk-{uuid.uuid4().hex[:10]}.invalid"
    created = novu.domains.create(create_domain_dto={"name": name, "data": {"team": "sdk"}}).result
    yield created
    try:
        novu.domains.delete(domain=name)
    except novu_py.models.NovuError:
        pass  # the test deleted it itself


def test_sdk_domain_crud_verify_diagnose(novu, domain) -> None:
    assert domain.status == "pending" and domain.expected_dns_records[0].type == "MX"
    fetched = novu.domains.retrieve(domain=domain.name).result
    assert fetched.id == domain.id and fetched.data == {"team": "sdk"}
    updated = novu.domains.update(domain=domain.name, update_domain_dto={"data": {"team": "core"}}).result
    assert updated.data == {"team": "core"}
    page = novu.domains.list(request={"name": domain.name, "limit": 10}).result
    assert [d.name for d in page.data] == [domain.name] and page.total_count == 1
    verified = novu.domains.verify(domain=domain.name).result
    assert verified.status == "pending" and verified.mx_record_configured is False
    diagnosis = novu.domains.diagnose(domain=domain.name).result
    assert diagnosis.ok is False and [issue.code for issue in diagnosis.issues] == ["mx_missing"]
    novu.domains.delete(domain=domain.name)
    with pytest.raises(novu_py.models.NovuError) as gone:
        novu.domains.retrieve(domain=domain.name)
    assert gone.value.status_code == 404


def test_sdk_auto_configure(novu, domain) -> None:
    status = novu.domains.auto_configure.retrieve(domain=domain.name).result
    assert status.available is False and status.manual_records[0].name == domain.name
    with pytest.raises(novu_py.models.NovuError) as refused:
        novu.domains.auto_configure.start(domain=domain.name, create_domain_connect_apply_url_dto={})
    assert refused.value.status_code == 400


def test_sdk_routes(novu, domain) -> None:
    created = novu.domains.routes.create(
        domain=domain.name, domain_route_dto={"address": "Support", "type": "webhook", "data": {"q": "1"}}
    ).result
    assert created.address == "support" and created.domain_id == domain.id
    listed = novu.domains.routes.list(request={"domain": domain.name, "limit": 10}).result
    assert [r.address for r in listed.data] == ["support"]
    fetched = novu.domains.routes.retrieve(domain=domain.name, address="support").result
    assert fetched.id == created.id
    updated = novu.domains.routes.update(
        domain=domain.name, address="support", update_domain_route_dto={"data": {"q": "2"}}
    ).result
    assert updated.data == {"q": "2"}
    tested = novu.domains.routes.test(
        domain=domain.name, address="support",
        test_domain_route_dto={"from_": {"address": "ada@example.com"}, "subject": "Hi", "dry_run": True},
    ).result  # fmt: skip
    assert tested.matched is True and tested.dry_run is True and tested.payload["route"]["address"] == "support"
    novu.domains.routes.delete(domain=domain.name, address="support")
    with pytest.raises(novu_py.models.NovuError) as gone:
        novu.domains.routes.retrieve(domain=domain.name, address="support")
    assert gone.value.status_code == 404


def test_sdk_activity_track_reports_nothing_for_messages_the_environment_does_not_have(novu, target) -> None:
    integration = novu.integrations.create(
        create_integration_request_dto={"provider_id": "sendgrid", "channel": "email",
                                        "credentials": {"api_key": "contract-sdk"}, "active": False}  # fmt: skip
    ).result
    try:
        events = novu.activity.track(
            environment_id=integration.environment_id,
            integration_id=integration.id,
            request_body={"id": f"no-such-message-{uuid.uuid4().hex[:8]}", "event": "delivered"},
        )
        assert events == []
    finally:
        novu.integrations.delete(integration_id=integration.id)
