"""Environments and environment variables, black-box, for any base URL and key.

What Novu answers an API key (2026): the key's own environment in `/v1/environments/me`, every
environment of the organization in the list with only the caller's key shown, a new
environment without its key, 403 for changing or deleting another environment, 400 for
deleting Development or Production. A new environment's key comes from the create answer when
the server shows it (a Novu answering a dashboard session) or from the mock's control surface
(`GET /_mock/environments`); a Novu showing neither leaves the environment `contract-env-*` to
delete from its dashboard, and the tests that need the key stop there.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

PREFIX = "contract-env-"
SECRET_MASK = "••••••••"


def _environments(client: httpx.Client) -> dict[str, dict]:
    answer = client.get("/v1/environments")
    assert answer.status_code == 200, answer.text
    return {environment["name"]: environment for environment in answer.json()["data"]}


def _key_of(client: httpx.Client, created: dict) -> str:
    if created.get("apiKeys"):
        return created["apiKeys"][0]["key"]
    listed = client.get("/_mock/environments")
    if listed.status_code == 200:
        return next(item["apiKey"] for item in listed.json()["environments"] if item["id"] == created["_id"])
    pytest.skip(f"the server shows no key of the new environment {created['name']} to an API key; delete it by hand")


# names the suites give what they create: these tests, and the contract run's labelled bodies
LABELS = (PREFIX, "nvmock-ct-")


def make_room(target, client: httpx.Client) -> None:
    """Novu caps an organization at 10 environments (create-environment.usecase.ts), and an API
    key may delete only its own: environments an earlier run labelled and left (the contract run
    cannot delete them with the main key) are deleted here with their own keys, when the target
    lists them (the mock's control surface). Nothing unlabelled is touched."""
    listed = client.get("/_mock/environments") if target.is_local_mock else None
    if listed is None or listed.status_code != 200:
        return
    for environment in listed.json()["environments"]:
        if str(environment["name"]).startswith(LABELS):
            with httpx.Client(base_url=target.url, headers=target.headers(environment["apiKey"]), timeout=30) as own:
                own.delete(f"/v1/environments/{environment['id']}")


@pytest.fixture
def new_environment(target, client) -> Iterator[tuple[dict, httpx.Client]]:
    """An environment made for the test, with a client using its key; deleted afterwards."""
    make_room(target, client)
    answer = client.post("/v1/environments", json={"name": f"{PREFIX}{uuid.uuid4().hex[:10]}", "color": "#3498db"})
    assert answer.status_code == 201, answer.text
    created = answer.json()["data"]
    key = _key_of(client, created)
    with httpx.Client(base_url=target.url, headers=target.headers(key), timeout=30) as own:
        yield created, own
        own.delete(f"/v1/environments/{created['_id']}")


def test_me_is_the_keys_environment_and_the_list_shows_only_its_key(target, client) -> None:
    """environments-v1/e2e/api-key-environments-exposure.e2e.ts: an API key gets the decrypted key
    of its own environment only, `apiKeys: []` for every other one; usecases/get-environment
    answers the key's environment for /me."""
    me = client.get("/v1/environments/me")
    assert me.status_code == 200
    mine = me.json()["data"]
    assert "apiKeys" not in mine or not mine["apiKeys"]
    listed = list(_environments(client).values())
    assert mine["_id"] in {environment["_id"] for environment in listed}
    for environment in listed:
        assert environment["_organizationId"] == mine["_organizationId"]
        if environment["_id"] == mine["_id"]:
            assert [item["key"] for item in environment["apiKeys"]] == [target.api_key]
        else:
            assert environment["apiKeys"] == []
    assert {"Development", "Production"} <= {environment["name"] for environment in listed}


def test_a_new_environment_authenticates_holds_its_own_data_and_its_key_dies_with_it(client, new_environment) -> None:
    """environments-v1/e2e/api-key-environments-exposure.e2e.ts (no `apiKeys` for an environment
    created with an API key), e2e/delete-environment-api-key-scope.e2e.ts (403 'is scoped to a
    single environment' for another environment), usecases/delete-environment."""
    created, own = new_environment
    assert created["name"].startswith(PREFIX) and created["identifier"]
    assert not created.get("apiKeys")  # never shown to an API key
    assert own.get("/v1/environments/me").json()["data"]["_id"] == created["_id"]
    subscriber = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    assert own.post("/v2/subscribers", json={"subscriberId": subscriber}).status_code == 201
    assert client.get(f"/v2/subscribers/{subscriber}").status_code == 404  # not in the other environment
    assert created["name"] in _environments(client)
    # another key cannot delete it; its own can, and then it stops working at once
    refused = client.delete(f"/v1/environments/{created['_id']}")
    assert refused.status_code == 403 and "scoped to a single environment" in refused.json()["message"]
    assert own.delete(f"/v1/environments/{created['_id']}").status_code == 200
    assert own.get("/v1/environments/me").status_code == 401
    assert own.get(f"/v2/subscribers/{subscriber}").status_code == 401
    assert created["name"] not in _environments(client)


def test_names_are_unique_and_the_protected_ones_stay(client, new_environment) -> None:
    """environments-v1/usecases/create-environment (unique names, Development and Production
    refused), usecases/update-environment (no renaming of Development or Production) and
    usecases/delete-environment/delete-environment.usecase.ts ('The <name> environment is
    protected and cannot be deleted...', 400)."""
    created, _ = new_environment
    same = client.post("/v1/environments", json={"name": created["name"], "color": "#000000"})
    assert (same.status_code, same.json()["message"]) == (400, "Environment name must be unique")
    protected = client.post("/v1/environments", json={"name": "production", "color": "#000000"})
    assert (protected.status_code, protected.json()["message"]) == (
        422,
        "Environment name cannot be Development or Production",
    )
    mine = client.get("/v1/environments/me").json()["data"]
    if mine["name"] in ("Development", "Production"):
        kept = client.delete(f"/v1/environments/{mine['_id']}")
        assert kept.status_code == 400
        assert kept.json()["message"].startswith(f"The {mine['name']} environment is protected")
        renamed = client.put(f"/v1/environments/{mine['_id']}", json={"name": f"{PREFIX}renamed"})
        assert (renamed.status_code, renamed.json()["message"]) == (
            422,
            "Cannot update the name of Development or Production environments",
        )


def test_update_changes_the_own_environment_only(client, new_environment) -> None:
    """environments-v1/e2e/update-environment-api-key-scope.e2e.ts: an API key updates its own
    environment, another one is 403; usecases/update-environment answers the update result."""
    created, own = new_environment
    answer = own.put(f"/v1/environments/{created['_id']}", json={"color": "#112233", "name": f"{created['name']}-b"})
    assert answer.status_code == 200
    assert answer.json()["data"] == {"matched": 1, "modified": 1}
    me = own.get("/v1/environments/me").json()["data"]
    assert (me["name"], me["color"]) == (f"{created['name']}-b", "#112233")
    assert client.put(f"/v1/environments/{created['_id']}", json={"color": "#000000"}).status_code == 403


def test_tags_of_an_environment_by_id_and_identifier(client) -> None:
    """environments-v2/e2e/get-environment-tags.e2e.ts and
    usecases/get-environment-tags/get-environment-tags.usecase.ts: `[{name}]`, 404 for an unknown id."""
    me = client.get("/v1/environments/me").json()["data"]
    by_id = client.get(f"/v2/environments/{me['_id']}/tags")
    assert by_id.status_code == 200
    assert all(tag["name"] for tag in by_id.json()["data"])
    assert client.get(f"/v2/environments/{me['identifier']}/tags").json() == by_id.json()
    assert client.get(f"/v2/environments/{'0' * 24}/tags").status_code == 404


def test_diff_and_publish_from_development_into_a_new_environment(client, new_environment) -> None:
    """environments-v2/e2e/environments-v2-diff.e2e.ts, environments-v2-publish.e2e.ts and
    api-key-environment-diff-scope.e2e.ts (an API key names only its own environment)."""
    created, own = new_environment
    development = _environments(client)["Development"]["_id"]
    diff = own.post(f"/v2/environments/{created['_id']}/diff", json={})
    assert diff.status_code == 200, diff.text
    body = diff.json()["data"]
    assert (body["sourceEnvironmentId"], body["targetEnvironmentId"]) == (development, created["_id"])
    assert body["summary"]["totalEntities"] == len(body["resources"])
    added = [resource for resource in body["resources"] if resource["changes"][0]["action"] == "added"]
    dry = own.post(f"/v2/environments/{created['_id']}/publish", json={"dryRun": True}).json()["data"]
    assert dry["summary"]["successful"] == 0 and dry["summary"]["skipped"] == len(added)
    published = own.post(f"/v2/environments/{created['_id']}/publish", json={})
    assert published.status_code == 200, published.text
    assert published.json()["data"]["summary"]["failed"] == 0
    after = own.post(f"/v2/environments/{created['_id']}/diff", json={}).json()["data"]
    assert after["summary"]["hasChanges"] is False
    # an API key names only its own environment
    assert own.post(f"/v2/environments/{development}/diff", json={}).status_code == 403
    same = client.post(f"/v2/environments/{development}/publish", json={})
    assert same.status_code in (400, 403)


def test_environment_variables_are_the_organizations_with_a_value_per_environment(client, new_environment) -> None:
    """environment-variables/e2e/api-key-environment-scope.e2e.ts (403 for another environment's
    value) and usecases/validate-environment-variable-values.ts; secrets masked (SECRET_MASK)."""
    created, own = new_environment
    me = client.get("/v1/environments/me").json()["data"]
    key = f"CONTRACT_{uuid.uuid4().hex[:8].upper()}"
    made = client.post("/v1/environment-variables", json={"key": key, "isSecret": True, "values": [
        {"_environmentId": me["_id"], "value": "mine"}]})  # fmt: skip
    assert made.status_code == 200, made.text
    try:
        assert made.json()["data"]["values"] == [{"_environmentId": me["_id"], "value": SECRET_MASK}]
        # the other environment sees the variable but not this value, and sets its own
        assert own.get(f"/v1/environment-variables/{key}").json()["data"]["values"] == []
        crossed = own.patch(
            f"/v1/environment-variables/{key}", json={"values": [{"_environmentId": me["_id"], "value": "x"}]}
        )
        assert crossed.status_code == 403
        assert own.patch(f"/v1/environment-variables/{key}", json={"values": [
            {"_environmentId": created["_id"], "value": "theirs"}]}).status_code == 200  # fmt: skip
        assert own.delete(f"/v1/environment-variables/{key}").status_code == 204
        assert client.get(f"/v1/environment-variables/{key}").json()["data"]["values"] == [
            {"_environmentId": me["_id"], "value": SECRET_MASK}
        ]
        assert client.post("/v1/environment-variables", json={"key": key}).status_code == 409
        usage = client.get(f"/v1/environment-variables/{key}/usage")
        assert usage.status_code == 200 and usage.json()["data"]["workflows"] == []
    finally:
        client.delete(f"/v1/environment-variables/{key}")
    assert client.get(f"/v1/environment-variables/{key}").status_code == 404


def test_the_tenth_environment_is_the_last_and_labelled_leftovers_make_room(target, client) -> None:
    """create-environment.usecase.ts: an organization holds at most 10 environments, the next is
    400 `Organization cannot have more than 10 environments`; make_room clears what the suites
    left so that later tests can still create one."""
    if not target.is_local_mock:
        pytest.skip("fills the organization to Novu's cap: only against the local mock")
    made = []
    for _ in range(11):
        answer = client.post("/v1/environments", json={"name": f"{PREFIX}cap-{uuid.uuid4().hex[:8]}", "color": "#3498db"})
        if answer.status_code != 201:
            break
        made.append(answer.json()["data"])
    assert len(_environments(client)) == 10
    assert (answer.status_code, answer.json()["message"]) == (400, "Organization cannot have more than 10 environments")
    make_room(target, client)
    assert not any(name.startswith(LABELS) for name in _environments(client))
    again = client.post("/v1/environments", json={"name": f"{PREFIX}{uuid.uuid4().hex[:8]}", "color": "#3498db"})
    assert again.status_code == 201, again.text
    make_room(target, client)
