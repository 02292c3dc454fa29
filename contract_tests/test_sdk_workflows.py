"""novu-py drives every Workflows operation by changing only its server URL. Workflow ids start
with ``contract-sdk-wf-``; what a test makes is deleted (in each environment it reached)."""

from __future__ import annotations

import uuid

import novu_py
import pytest
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

NO_RETRIES = RetryConfig("backoff", BackoffStrategy(1, 1, 1.0, 1), False)
PREFIX = "contract-sdk-wf-"
STEPS = [
    {"name": "Bell", "type": "in_app", "control_values": {"subject": "Hi {{subscriber.firstName}}", "body": "Order {{payload.orderId}}"}},
    {"name": "Wait", "type": "delay", "control_values": {"type": "regular", "amount": 5, "unit": "minutes"}},
    {"name": "Mail", "type": "email", "control_values": {"subject": "Order {{payload.orderId}}", "body": "<p>Shipped</p>"}},
]


def _sdk(target, key: str) -> Novu:
    return Novu(secret_key=key, server_url=target.url, retry_config=NO_RETRIES)


@pytest.fixture
def novu(target):
    with _sdk(target, target.api_key) as sdk:
        yield sdk


@pytest.fixture
def made(novu):
    """(sdk, workflowId) pairs the test makes, deleted afterwards."""
    things: list[tuple[Novu, str]] = []
    yield things
    for sdk, workflow_id in things:
        try:
            sdk.workflows.delete(workflow_id=workflow_id)
        except novu_py.models.NovuError:
            pass  # the test deleted it itself


def _create(novu, made, **extra):
    workflow_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    body = {"name": "Sdk workflow", "workflow_id": workflow_id, "steps": STEPS, "tags": ["sdk"], **extra}
    created = novu.workflows.create(create_workflow_dto=body).result
    made.append((novu, created.workflow_id))
    return created


def test_sdk_create_get_list_update_patch_delete(novu, made) -> None:
    created = _create(novu, made)
    assert created.workflow_id.startswith(PREFIX) and len(created.id) == 24
    assert [step.type for step in created.steps] == ["in_app", "delay", "email"]
    fetched = novu.workflows.get(workflow_id=created.id).result
    assert fetched.workflow_id == created.workflow_id and fetched.slug == created.slug

    page = novu.workflows.list(request={"query": created.workflow_id, "limit": 10}).result
    assert page.total_count == 1 and page.workflows[0].id == created.id

    bell = created.steps[0]
    updated = novu.workflows.update(workflow_id=created.workflow_id, update_workflow_dto={
        "name": "Sdk workflow 2", "origin": "novu-cloud", "preferences": {},
        "steps": [{"id": bell.id, "name": "Bell", "type": "in_app", "control_values": {"body": "New"}}],
    }).result  # fmt: skip
    assert updated.name == "Sdk workflow 2" and [s.id for s in updated.steps] == [bell.id]

    patched = novu.workflows.patch(workflow_id=created.workflow_id, patch_workflow_dto={"active": False}).result
    assert patched.status == "INACTIVE" and patched.active is False

    novu.workflows.delete(workflow_id=created.workflow_id)
    with pytest.raises(novu_py.models.NovuError) as missing:
        novu.workflows.get(workflow_id=created.workflow_id)
    assert missing.value.status_code == 404


def test_sdk_step_data_and_preview(novu, made) -> None:
    created = _create(novu, made)
    bell = created.steps[0]
    step = novu.workflows.steps.retrieve(workflow_id=created.workflow_id, step_id=bell.step_id).result
    assert step.id == bell.id and step.type == "in_app" and step.workflow_database_id == created.id
    preview = novu.workflows.steps.generate_preview(
        workflow_id=created.workflow_id, step_id=bell.step_id,
        generate_preview_request_dto={"preview_payload": {"payload": {"orderId": "A-1"}, "subscriber": {"first_name": "Ada"}}},
    ).result  # fmt: skip
    rendered = preview.result if isinstance(preview.result, dict) else preview.result.model_dump(by_alias=True)
    assert rendered["type"] == "in_app" and rendered["preview"]["body"] == "Order A-1"


def test_sdk_sync_to_the_other_environment(target, novu, made) -> None:
    if not target.other_api_key:
        pytest.skip("needs --other-api-key: a second environment to sync to")
    with _sdk(target, target.other_api_key) as other:
        probe_id = f"{PREFIX}env-{uuid.uuid4().hex[:8]}"
        probe = other.subscribers.create(create_subscriber_request_dto={"subscriber_id": probe_id}).result
        other.subscribers.delete(subscriber_id=probe_id)
        target_environment = probe.environment_id
        created = _create(novu, made)
        synced = novu.workflows.sync(workflow_id=created.workflow_id, sync_workflow_dto={"target_environment_id": target_environment}).result
        try:
            assert synced.workflow_id == created.workflow_id and synced.id != created.id
            assert other.workflows.get(workflow_id=created.workflow_id).result.id == synced.id
        finally:
            other.workflows.delete(workflow_id=synced.workflow_id)
