"""novu-py drives every Contexts operation by changing only its server URL. Context ids start with
``contract-``; what a test makes is deleted."""

from __future__ import annotations

import uuid

import novu_py
import pytest
from novu_py import Novu

from contract_tests.test_sdk import NO_RETRIES

PREFIX = "contract-sdk-ctx-"


@pytest.fixture
def novu(target):
    with Novu(secret_key=target.api_key, server_url=target.url, retry_config=NO_RETRIES) as sdk:
        yield sdk


@pytest.fixture
def made(novu):
    """(type, id) of the contexts a test makes, deleted afterwards."""
    things: list[tuple[str, str]] = []
    yield things
    for context_type, context_id in things:
        try:
            novu.contexts.delete(type_=context_type, id=context_id)
        except novu_py.models.NovuError:
            pass  # the test deleted it itself


def test_sdk_context_create_get_update_delete(novu, made) -> None:
    context_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    made.append(("tenant", context_id))
    created = novu.contexts.create(create_context_request_dto={
        "type": "tenant", "id": context_id, "data": {"tenantName": "Acme"}}).result  # fmt: skip
    assert created.type == "tenant" and created.id == context_id and created.data == {"tenantName": "Acme"}

    with pytest.raises(novu_py.models.NovuError) as conflict:
        novu.contexts.create(create_context_request_dto={"type": "tenant", "id": context_id})
    assert conflict.value.status_code == 409

    fetched = novu.contexts.retrieve(type_="tenant", id=context_id).result
    assert fetched.created_at == created.created_at and fetched.data == {"tenantName": "Acme"}
    updated = novu.contexts.update(type_="tenant", id=context_id,
                                   update_context_request_dto={"data": {"tenantName": "Acme Inc"}}).result  # fmt: skip
    assert updated.data == {"tenantName": "Acme Inc"} and updated.created_at == created.created_at

    novu.contexts.delete(type_="tenant", id=context_id)
    with pytest.raises(novu_py.models.NovuError) as missing:
        novu.contexts.retrieve(type_="tenant", id=context_id)
    assert missing.value.status_code == 404


def test_sdk_context_list_with_filters_and_cursor(novu, made) -> None:
    kind = f"sdktype{uuid.uuid4().hex[:8]}"
    ids = [f"{PREFIX}{number}-{uuid.uuid4().hex[:6]}" for number in range(3)]
    for context_id in ids:
        made.append((kind, context_id))
        novu.contexts.create(create_context_request_dto={"type": kind, "id": context_id})
    first = novu.contexts.list(request={"search": f"{kind}:", "limit": 2}).result
    assert [item.id for item in first.data] == [ids[2], ids[1]] and first.total_count == 3
    rest = novu.contexts.list(request={"search": f"{kind}:", "limit": 2, "after": first.next}).result
    assert [item.id for item in rest.data] == [ids[0]] and rest.next is None
    found = novu.contexts.list(request={"search": ids[1]}).result
    assert [item.id for item in found.data] == [ids[1]]
