"""novu-py drives every Environments and Environment Variables operation by its server URL alone.

Two of novu-py's models disagree with what Novu's server answers, and the mock answers as the
server does: ``environments.update`` expects an environment but Novu answers the repository's
counts (``{"matched": 1, "modified": 1}``), and the diff and publish models type
``resourceType`` with a layout enum (REGULAR, ECHO, BRIDGE) where Novu writes ``workflow``.
The SDK raises ``ResponseValidationError`` for those answers; the tests check the answer it
carries.
"""

from __future__ import annotations

import uuid

import httpx
import novu_py
import pydantic
import pytest
from novu_py import Novu
from novu_py.utils import BackoffStrategy, RetryConfig

from contract_tests.test_environments import PREFIX, SECRET_MASK, _key_of, make_room

NO_RETRIES = RetryConfig("backoff", BackoffStrategy(1, 1, 1.0, 1), False)


def client_diff(created, own: Novu) -> httpx.Response:
    """The diff as plain HTTP, to know what the SDK is given."""
    config = own.sdk_configuration
    return httpx.post(
        f"{config.server_url}/v2/environments/{created.id}/diff",
        json={},
        headers={"Authorization": f"ApiKey {config.security.secret_key}"},
    )


@pytest.fixture
def novu(target):
    with Novu(secret_key=target.api_key, server_url=target.url, retry_config=NO_RETRIES) as sdk:
        yield sdk


@pytest.fixture
def made_environment(target, client, novu):
    """An environment made through the SDK, an SDK client on its key; deleted afterwards."""
    make_room(target, client)
    created = novu.environments.create(
        create_environment_request_dto={"name": f"{PREFIX}sdk-{uuid.uuid4().hex[:8]}", "color": "#b15353"}
    ).result
    as_json = {"_id": created.id, "name": created.name, "apiKeys": [{"key": key.key} for key in created.api_keys or []]}
    key = _key_of(client, as_json)
    with Novu(secret_key=key, server_url=target.url, retry_config=NO_RETRIES) as own:
        yield created, own
        try:
            own.environments.delete(environment_id=created.id)
        except novu_py.models.NovuError:
            pass  # the test deleted it


def test_sdk_environment_lifecycle(novu, made_environment) -> None:
    created, own = made_environment
    assert created.name.startswith(PREFIX) and len(created.identifier) == 12
    listed = novu.environments.list().result
    mine = {environment.id: environment for environment in listed}
    assert created.id in mine and mine[created.id].api_keys == []
    assert {"Development", "Production"} <= {environment.name for environment in listed}
    own_list = {environment.id: environment for environment in own.environments.list().result}
    assert len(own_list[created.id].api_keys) == 1

    with pytest.raises(novu_py.models.ResponseValidationError) as counts:
        own.environments.update(environment_id=created.id, update_environment_request_dto={"color": "#000000"})
    # (novu-py's hooks have taken the `data` envelope off the answer it keeps)
    assert counts.value.raw_response.json() == {"matched": 1, "modified": 1}

    with pytest.raises(novu_py.models.NovuError) as forbidden:
        novu.environments.delete(environment_id=created.id)
    assert forbidden.value.status_code == 403
    own.environments.delete(environment_id=created.id)
    with pytest.raises(novu_py.models.NovuError) as gone:
        own.environments.list()
    assert gone.value.status_code == 401


def test_sdk_tags_diff_and_publish(novu, made_environment) -> None:
    created, own = made_environment
    development = next(
        environment for environment in novu.environments.list().result if environment.name == "Development"
    )
    tags = novu.environments.get_tags(environment_id=development.id).result
    assert all(tag.name for tag in tags)

    def refused_for_the_enum_only(call) -> None:
        """novu-py refuses Novu's answer for its ``resourceType`` enum alone (see the module docstring)."""
        with pytest.raises((pydantic.ValidationError, novu_py.models.ResponseValidationError)) as refused:
            call()
        error = refused.value if isinstance(refused.value, pydantic.ValidationError) else refused.value.cause
        assert {problem["loc"][-1] for problem in error.errors()} == {"resourceType"}
        assert {problem["input"] for problem in error.errors()} == {"workflow"}

    if client_diff(created, own).json()["data"]["resources"]:  # an empty diff parses
        refused_for_the_enum_only(
            lambda: own.environments.diff(target_environment_id=created.id, diff_environment_request_dto={})
        )
    refused_for_the_enum_only(
        lambda: own.environments.publish(target_environment_id=created.id, publish_environment_request_dto={})
    )
    after = own.environments.diff(target_environment_id=created.id, diff_environment_request_dto={}).result
    assert after.resources == [] and after.summary.has_changes is False


def test_sdk_environment_variables(novu, made_environment) -> None:
    created, own = made_environment
    me = next(environment for environment in own.environments.list().result if environment.api_keys)
    assert me.id == created.id
    key = f"SDK_{uuid.uuid4().hex[:8].upper()}"
    made = own.environment_variables.create(create_environment_variable_request_dto={
        "key": key, "is_secret": True, "values": [{"environment_id": created.id, "value": "s3cr3t"}]}).result  # fmt: skip
    assert made.is_secret and [(value.environment_id, value.value) for value in made.values] == [
        (created.id, SECRET_MASK)
    ]
    assert own.environment_variables.retrieve(variable_key=key).result.key == key
    assert key in [variable.key for variable in own.environment_variables.list(search=key.lower()).result]
    updated = own.environment_variables.update(
        variable_key=key, update_environment_variable_request_dto={"is_secret": False}
    ).result
    assert [value.value for value in updated.values] == ["s3cr3t"]
    assert own.environment_variables.usage(variable_key=key).result.workflows == []
    # another environment of the organization sees the variable, not this value
    assert novu.environment_variables.retrieve(variable_key=key).result.values == []
    own.environment_variables.delete(variable_key=key)
    with pytest.raises(novu_py.models.NovuError) as missing:
        own.environment_variables.retrieve(variable_key=key)
    assert missing.value.status_code == 404
