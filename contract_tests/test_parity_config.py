"""Parity with Novu's server code for the configuration areas (environments, environment
variables, layouts v2, contexts): one rule of Novu per test, black-box over HTTP, so it runs
against the mock and against a real Novu alike. Rules already pinned by test_environments.py,
test_layouts.py and test_contexts.py are not repeated here.

Each docstring names the file of ``novuhq/novu`` that shows the rule (read in 2025-2026
versions; ``apps/api/src/app/...``). Everything a test creates is named ``contract-...`` (or
``CONTRACT_...`` for variable keys) and is deleted when the test ends.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from contract_tests.test_environments import new_environment  # noqa: F401 - the fixture, shared

PREFIX = "contract-parity-"
SECRET_MASK = "\u2022" * 8


def _tag() -> str:
    return uuid.uuid4().hex[:10]


def _base62(hex_id: str) -> str:
    number, digits = int(hex_id, 16), ""
    while number:
        number, rest = divmod(number, 62)
        digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[rest] + digits
    return digits


def _my_environment_id(client: httpx.Client) -> str:
    return client.get("/v1/environments/me").json()["data"]["_id"]


# -- contexts -----------------------------------------------------------------------------------


@pytest.fixture
def made_contexts(client) -> Iterator:
    """``made_contexts(type, id, data=None)``: creates a context, deleted after the test."""
    made: list[tuple[str, str]] = []

    def create(context_type: str, context_id: str, data: dict | None = None) -> dict:
        body = {"type": context_type, "id": context_id, **({"data": data} if data is not None else {})}
        response = client.post("/v2/contexts", json=body)
        assert response.status_code == 201, response.text
        made.append((context_type, context_id))
        return response.json()["data"]

    yield create
    for context_type, context_id in made:
        client.delete(f"/v2/contexts/{context_type}/{context_id}")


def test_context_search_is_plain_text_not_an_expression(client, made_contexts) -> None:
    """contexts/usecases/list-contexts/list-contexts.usecase.ts escapes every regular-expression
    character of `search` before its case-insensitive $regex; e2e/list-contexts.e2e.ts: 'should
    handle regex metacharacters in search without crashing' (200, nothing found)."""
    kind = f"ptype{_tag()}"
    made_contexts(kind, f"{PREFIX}one")
    found = client.get("/v2/contexts", params={"search": kind.upper()}).json()["data"]
    assert [item["id"] for item in found] == [f"{PREFIX}one"]
    assert client.get("/v2/contexts", params={"search": f"{kind}:.*"}).json()["data"] == []
    odd = client.get("/v2/contexts", params={"search": "[invalid"})
    assert odd.status_code == 200 and odd.json()["data"] == []


def test_context_list_refuses_before_and_after_together(client) -> None:
    """contexts/usecases/list-contexts/list-contexts.usecase.ts: BadRequestException('Cannot
    specify both "before" and "after" cursors at the same time.')."""
    response = client.get("/v2/contexts", params={"after": "6" * 24, "before": "7" * 24})
    assert response.status_code == 400
    assert response.json()["message"] == 'Cannot specify both "before" and "after" cursors at the same time.'


def test_context_list_with_an_unknown_cursor_is_an_empty_page_counted_zero(client) -> None:
    """contexts/usecases/list-contexts/list-contexts.usecase.ts: a cursor naming no context answers
    {data: [], next: null, previous: null, totalCount: 0, totalCountCapped: false}."""
    body = client.get("/v2/contexts", params={"after": "0" * 24}).json()
    assert body == {"data": [], "next": None, "previous": None, "totalCount": 0, "totalCountCapped": False}


def test_context_list_orders_oldest_first_when_asked(client, made_contexts) -> None:
    """contexts/e2e/list-contexts.e2e.ts: 'should support orderBy and orderDirection' (createdAt ASC)."""
    kind = f"ptype{_tag()}"
    for number in range(3):
        made_contexts(kind, f"{PREFIX}{number}")
        time.sleep(0.01)
    ascending = client.get("/v2/contexts", params={"type": kind, "orderBy": "createdAt", "orderDirection": "ASC"})
    assert [item["id"] for item in ascending.json()["data"]] == [f"{PREFIX}{number}" for number in range(3)]


def test_context_list_pages_ten_by_default(client, made_contexts) -> None:
    """contexts/contexts.controller.ts listContexts: `limit: query.limit || 10`."""
    kind = f"ptype{_tag()}"
    for number in range(11):
        made_contexts(kind, f"{PREFIX}{number}")
    body = client.get("/v2/contexts", params={"type": kind}).json()
    assert len(body["data"]) == 10 and body["totalCount"] == 11 and body["next"]


@pytest.mark.parametrize(
    "body", [{"type": "", "id": "x"}, {"type": "tenant", "id": ""}, {"type": "Invalid_Type!", "id": "x"}]
)
def test_context_create_refuses_empty_or_malformed_type_and_id(client, body) -> None:
    """contexts/e2e/create-context.e2e.ts: an empty type or id, or one with other characters, is 422
    (dtos/create-context-request.dto.ts: MinLength(1) and CONTEXT_IDENTIFIER_REGEX)."""
    assert client.post("/v2/contexts", json=body).status_code == 422


def test_context_create_names_the_dtos_messages(client) -> None:
    """contexts/dtos/create-context-request.dto.ts: the Matches messages of type and id."""
    response = client.post("/v2/contexts", json={"type": "Invalid_Type!", "id": "Invalid ID!"})
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "Type must be lowercase alphanumeric with optional ., _, or - separators" in errors["type"]["messages"]
    assert "ID must be lowercase alphanumeric with optional ., _, or - separators" in errors["id"]["messages"]


def test_context_update_without_data_is_422(client, made_contexts) -> None:
    """contexts/dtos/update-context-request.dto.ts: `data` is IsDefined."""
    made = made_contexts("tenant", f"{PREFIX}{_tag()}")
    response = client.patch(f"/v2/contexts/tenant/{made['id']}", json={})
    assert response.status_code == 422 and "data" in response.json()["errors"]


def test_context_update_to_an_empty_object_clears_the_data(client, made_contexts) -> None:
    """contexts/e2e/update-context.e2e.ts: 'should update context data to empty object'."""
    made = made_contexts("tenant", f"{PREFIX}{_tag()}", {"tenantName": "Acme"})
    response = client.patch(f"/v2/contexts/tenant/{made['id']}", json={"data": {}})
    assert response.status_code == 200 and response.json()["data"]["data"] == {}
    assert client.get(f"/v2/contexts/tenant/{made['id']}").json()["data"]["data"] == {}


def test_context_data_over_64_kilobytes_is_refused(client) -> None:
    """contexts/validators/data-size.validator.ts (IsValidContextData): `data` is at most 64 KB as
    JSON; more is a validation error."""
    context_id = f"{PREFIX}{_tag()}"
    big = {"blob": "x" * (65 * 1024)}
    response = client.post("/v2/contexts", json={"type": "tenant", "id": context_id, "data": big})
    if response.status_code == 201:
        client.delete(f"/v2/contexts/tenant/{context_id}")
    assert response.status_code == 422


def test_context_delete_of_an_unknown_context_names_the_environment(client) -> None:
    """contexts/e2e/delete-context.e2e.ts: 404 "Context with id '<id>' and type '<type>' not found
    in environment <environment id>"."""
    context_id = f"{PREFIX}{_tag()}"
    response = client.delete(f"/v2/contexts/tenant/{context_id}")
    assert response.status_code == 404
    assert response.json()["message"] == (
        f"Context with id '{context_id}' and type 'tenant' not found in environment {_my_environment_id(client)}"
    )


# -- environments -------------------------------------------------------------------------------


def test_tags_of_an_unknown_environment_name_it(client) -> None:
    """environments-v2/e2e/get-environment-tags.e2e.ts: 404 'Environment <id> not found'."""
    missing = "60a5f2f2f2f2f2f2f2f2f2f2"
    response = client.get(f"/v2/environments/{missing}/tags")
    assert response.status_code == 404 and response.json()["message"] == f"Environment {missing} not found"


def test_an_api_key_updates_its_own_identifier_and_color(new_environment) -> None:  # noqa: F811
    """environments-v1/e2e/update-environment-api-key-scope.e2e.ts: 'should allow an API key to
    update its own environment' (identifier and color)."""
    created, own = new_environment
    identifier = f"{PREFIX}{_tag()}"
    answer = own.put(f"/v1/environments/{created['_id']}", json={"identifier": identifier, "color": "#3366ff"})
    assert answer.status_code == 200
    me = own.get("/v1/environments/me").json()["data"]
    assert (me["identifier"], me["color"]) == (identifier, "#3366ff")


def test_update_with_an_empty_name_keeps_the_name(new_environment) -> None:  # noqa: F811
    """environments-v1/usecases/update-environment/update-environment.usecase.ts: the name is set
    only when given and not empty."""
    created, own = new_environment
    assert own.put(f"/v1/environments/{created['_id']}", json={"name": ""}).status_code == 200
    assert own.get("/v1/environments/me").json()["data"]["name"] == created["name"]


def test_update_of_the_bridge_url_sets_bridge_and_echo(new_environment) -> None:  # noqa: F811
    """environments-v1/usecases/update-environment/update-environment.usecase.ts: `bridge` sets
    both `bridge.url` and `echo.url`."""
    created, own = new_environment
    url = "https://example.com/api/novu"
    assert own.put(f"/v1/environments/{created['_id']}", json={"bridge": {"url": url}}).status_code == 200
    me = own.get("/v1/environments/me").json()["data"]
    assert (me["bridge"]["url"], me["echo"]["url"]) == (url, url)


@pytest.mark.parametrize(("body", "field"), [({"color": "blue"}, "color"), ({"parentId": "not-an-id"}, "parentId")])
def test_update_checks_color_and_parent_id(new_environment, body, field) -> None:  # noqa: F811
    """environments-v1/dtos/update-environment-request.dto.ts: color IsHexColor, parentId IsMongoId (422)."""
    created, own = new_environment
    refused = own.put(f"/v1/environments/{created['_id']}", json=body)
    assert refused.status_code == 422 and field in refused.json()["errors"]
    assert own.get("/v1/environments/me").json()["data"].get("color") == created.get("color")


def test_tags_are_the_distinct_tags_of_the_environments_workflows(new_environment) -> None:  # noqa: F811
    """environments-v2/e2e/get-environment-tags.e2e.ts and get-environment-tags.usecase.ts: every
    tag of the environment's workflows once, as {name}."""
    created, own = new_environment
    for number, tags in enumerate((["t1", "t2"], ["t2", "t3"])):
        body = {"name": f"Tagged {number}", "workflowId": f"{PREFIX}tags-{number}-{_tag()}", "tags": tags, "steps": []}
        assert own.post("/v2/workflows", json=body).status_code == 201
    tags = own.get(f"/v2/environments/{created['_id']}/tags").json()["data"]
    assert sorted(tag["name"] for tag in tags) == ["t1", "t2", "t3"] and all(set(tag) == {"name"} for tag in tags)


def test_diff_with_another_source_environment_is_403_for_an_api_key(client, new_environment) -> None:  # noqa: F811
    """environments-v2/e2e/api-key-environment-diff-scope.e2e.ts: 'should forbid diffing with a
    different source environment via API key' (403, 'is scoped to a single environment')."""
    created, own = new_environment
    other_source = {"sourceEnvironmentId": _my_environment_id(client)}
    refused = own.post(f"/v2/environments/{created['_id']}/diff", json=other_source)
    assert refused.status_code == 403 and "is scoped to a single environment" in refused.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"dryRun": "yes"}, "dryRun"), ({"resources": [{"resourceType": "banana", "resourceId": "x"}]}, "resources")],
)
def test_publish_body_follows_the_dto(new_environment, body, field) -> None:  # noqa: F811
    """environments-v2/dtos/publish-environment.dto.ts: dryRun IsBoolean, each resource's
    resourceType IsEnum(ResourceTypeEnum) (422)."""
    created, own = new_environment
    refused = own.post(f"/v2/environments/{created['_id']}/publish", json=body)
    assert refused.status_code == 422 and any(name.startswith(field) for name in refused.json()["errors"])


def test_renaming_to_a_protected_name_in_any_case_is_422(new_environment) -> None:  # noqa: F811
    """environments-v1/usecases/update-environment/update-environment.usecase.ts: the trimmed name,
    compared in lower case with Development and Production, is 'Environment name cannot be
    Development or Production'."""
    created, own = new_environment
    refused = own.put(f"/v1/environments/{created['_id']}", json={"name": "  production "})
    assert refused.status_code == 422
    assert refused.json()["message"] == "Environment name cannot be Development or Production"


def test_update_trims_the_name(new_environment) -> None:  # noqa: F811
    """environments-v1/usecases/update-environment/update-environment.usecase.ts: the name is stored trimmed."""
    created, own = new_environment
    name = f"{created['name']}-t"
    assert own.put(f"/v1/environments/{created['_id']}", json={"name": f"  {name}  "}).status_code == 200
    assert own.get("/v1/environments/me").json()["data"]["name"] == name


def test_an_organization_has_ten_environments_at_most(target, client) -> None:
    """environments-v1/usecases/create-environment/create-environment.usecase.ts: with ten
    environments in the organization, BadRequestException('Organization cannot have more than 10
    environments')."""
    from contract_tests.test_environments import _key_of

    present = len(client.get("/v1/environments").json()["data"])
    made: list[tuple[str, str]] = []
    try:
        for _ in range(max(0, 10 - present)):
            answer = client.post("/v1/environments", json={"name": f"{PREFIX}env-{_tag()}", "color": "#3498db"})
            assert answer.status_code == 201, answer.text
            made.append((answer.json()["data"]["_id"], _key_of(client, answer.json()["data"])))
        refused = client.post("/v1/environments", json={"name": f"{PREFIX}env-{_tag()}", "color": "#3498db"})
        assert refused.status_code == 400
        assert refused.json()["message"] == "Organization cannot have more than 10 environments"
    finally:
        for environment_id, key in made:
            httpx.delete(f"{target.url}/v1/environments/{environment_id}", headers=target.headers(key), timeout=30)


def test_listed_environments_carry_novus_slug(client) -> None:
    """environments-v1/usecases/get-my-environments/get-my-environments.usecase.ts: `slug` is
    buildSlug(short name, '_env_', _id): Development 'dev', Production 'prod', then the base-62 `_id`."""
    listed = {item["name"]: item for item in client.get("/v1/environments").json()["data"]}
    for name, short in (("Development", "dev"), ("Production", "prod")):
        assert listed[name]["slug"] == f"{short}_env_{_base62(listed[name]['_id'])}"


@pytest.mark.parametrize("operation", ["publish", "diff"])
def test_publish_or_diff_into_the_source_itself_is_400(client, operation) -> None:
    """environments-v2/services/environment-validation.service.ts: BadRequestException('Source and
    target environments cannot be the same')."""
    me = _my_environment_id(client)
    refused = client.post(f"/v2/environments/{me}/{operation}", json={"sourceEnvironmentId": me})
    assert refused.status_code == 400
    assert refused.json()["message"] == "Source and target environments cannot be the same"


# -- environment variables ---------------------------------------------------------------------


@pytest.fixture
def variable_key(client) -> Iterator[str]:
    """A fresh variable key; whatever carries it (or its renamed form) is deleted afterwards."""
    key = f"CONTRACT_{uuid.uuid4().hex[:8].upper()}"
    yield key
    for name in (key, f"{key}_RENAMED"):
        client.delete(f"/v1/environment-variables/{name}")


def test_variable_defaults_to_a_plain_string(client, variable_key) -> None:
    """environment-variables/usecases/create-environment-variable/create-environment-variable.usecase.ts:
    type defaults to string, isSecret to false, values to none."""
    made = client.post("/v1/environment-variables", json={"key": variable_key}).json()["data"]
    assert (made["key"], made["type"], made["isSecret"], made["values"]) == (variable_key, "string", False, [])


def test_variable_key_taken_is_409_with_novus_message(client, variable_key) -> None:
    """environment-variables/usecases/create-environment-variable/create-environment-variable.usecase.ts:
    ConflictException('Environment variable with key "<key>" already exists')."""
    client.post("/v1/environment-variables", json={"key": variable_key})
    again = client.post("/v1/environment-variables", json={"key": variable_key})
    assert again.status_code == 409
    assert again.json()["message"] == f'Environment variable with key "{variable_key}" already exists'


def test_variable_update_of_an_unknown_key_is_404_with_novus_message(client, variable_key) -> None:
    """environment-variables/usecases/update-environment-variable/update-environment-variable.usecase.ts:
    NotFoundException('Environment variable with key "<key>" not found')."""
    response = client.patch(f"/v1/environment-variables/{variable_key}", json={"isSecret": True})
    assert response.status_code == 404
    assert response.json()["message"] == f'Environment variable with key "{variable_key}" not found'


def test_variable_update_with_nothing_to_change_is_400(client, variable_key) -> None:
    """environment-variables/usecases/update-environment-variable/update-environment-variable.usecase.ts:
    BadRequestException('At least one field must be provided to update')."""
    client.post("/v1/environment-variables", json={"key": variable_key})
    response = client.patch(f"/v1/environment-variables/{variable_key}", json={})
    assert response.status_code == 400 and response.json()["message"] == "At least one field must be provided to update"


def test_variable_refuses_the_secret_mask_as_a_value(client, variable_key) -> None:
    """environment-variables/e2e/update-environment-variable.e2e.ts: 'rejects mask placeholder on
    create' and the masked values of a rename are refused (an ErrorDto, nothing stored)."""
    me = _my_environment_id(client)
    masked = [{"_environmentId": me, "value": SECRET_MASK}]
    made = client.post("/v1/environment-variables", json={"key": variable_key, "isSecret": True, "values": masked})
    assert made.status_code == 400
    assert client.get(f"/v1/environment-variables/{variable_key}").status_code == 404


def test_variable_rename_keeps_the_values(client, variable_key) -> None:
    """environment-variables/e2e/update-environment-variable.e2e.ts: 'renaming a secret variable
    preserves all encrypted values' (a rename without values)."""
    me = _my_environment_id(client)
    client.post("/v1/environment-variables", json={"key": variable_key, "isSecret": True,
                                                   "values": [{"_environmentId": me, "value": "real"}]})  # fmt: skip
    renamed = client.patch(f"/v1/environment-variables/{variable_key}", json={"key": f"{variable_key}_RENAMED"})
    assert renamed.status_code == 200
    assert renamed.json()["data"]["values"] == [{"_environmentId": me, "value": SECRET_MASK}]
    assert client.get(f"/v1/environment-variables/{variable_key}").status_code == 404


@pytest.mark.parametrize("problem", ["duplicate", "long"])
def test_variable_values_follow_the_dto(client, variable_key, problem) -> None:
    """environment-variables/dtos/create-environment-variable-request.dto.ts: values unique by
    _environmentId ('Duplicate _environmentId in values'), each value at most 256 characters."""
    me = _my_environment_id(client)
    if problem == "duplicate":
        values = [{"_environmentId": me, "value": "a"}] * 2
    else:
        values = [{"_environmentId": me, "value": "x" * 257}]
    response = client.post("/v1/environment-variables", json={"key": variable_key, "values": values})
    assert response.status_code == 422
    assert client.get(f"/v1/environment-variables/{variable_key}").status_code == 404


def test_variable_list_is_newest_first_and_searches_plain_text(client, variable_key) -> None:
    """environment-variables/usecases/get-environment-variables/get-environment-variables.usecase.ts:
    sorted by createdAt descending; `search` escaped, then a case-insensitive $regex on the key
    (keys hold no '.', so '.' finds nothing)."""
    older, newer = f"{variable_key}_A", f"{variable_key}_B"
    try:
        for key in (older, newer):
            assert client.post("/v1/environment-variables", json={"key": key}).status_code in (200, 201)
            time.sleep(0.01)
        listed = client.get("/v1/environment-variables", params={"search": variable_key.lower()}).json()["data"]
        assert [item["key"] for item in listed] == [newer, older]
        assert client.get("/v1/environment-variables", params={"search": "."}).json()["data"] == []
    finally:
        for key in (older, newer):
            client.delete(f"/v1/environment-variables/{key}")


def test_variable_delete_of_an_unknown_key_is_404_with_novus_message(client, variable_key) -> None:
    """environment-variables/usecases/delete-environment-variable/delete-environment-variable.usecase.ts:
    NotFoundException('Environment variable with key "<key>" not found')."""
    response = client.delete(f"/v1/environment-variables/{variable_key}")
    assert response.status_code == 404
    assert response.json()["message"] == f'Environment variable with key "{variable_key}" not found'


# -- layouts ------------------------------------------------------------------------------------


@pytest.fixture
def made_layouts(created_at):
    made = created_at("/v2/layouts", "layoutId")

    def create(name: str) -> dict:
        return made.create({"layoutId": f"{PREFIX}{_tag()}", "name": name})

    return create


def test_layout_list_refuses_a_limit_over_100(client) -> None:
    """layouts-v2/e2e/list-layouts.e2e.ts: 'should reject limit values above 100' (422 'Validation Error',
    the sentence under errors.general, not under the parameter's name)."""
    response = client.get("/v2/layouts", params={"limit": 101})
    assert response.status_code == 422 and response.json()["message"] == "Validation Error"
    assert "limit must not be greater than 100" in response.json()["errors"]["general"]["messages"]
    assert "limit" not in response.json()["errors"]


def test_layout_list_sorts_only_by_created_updated_or_name(client) -> None:
    """layouts-v2/dtos/get-layout-list-query-params.dto.ts: orderBy one of createdAt, updatedAt, name."""
    assert client.get("/v2/layouts", params={"orderBy": "layoutId"}).status_code == 422


def test_layout_list_is_newest_first_by_default(client, made_layouts) -> None:
    """layouts-v2/layouts.controller.ts list: orderDirection DESC and orderBy createdAt by default."""
    tag = _tag()
    first = made_layouts(f"Older {tag}")
    time.sleep(0.01)
    second = made_layouts(f"Newer {tag}")
    page = client.get("/v2/layouts", params={"query": tag}).json()["data"]
    assert [item["_id"] for item in page["layouts"]] == [second["_id"], first["_id"]]


def test_layout_list_items_carry_no_control_values(client, made_layouts) -> None:
    """layouts-v2/usecases/list-layouts/list-layouts.use-case.ts maps every item with controlValues
    null and variables {}: the list never shows a layout's values, the layout itself does."""
    tag = _tag()
    layout = made_layouts(f"Listed {tag}")
    html = "<html><body><div>{{content}}</div></body></html>"
    values = {"email": {"body": html, "editorType": "html"}}
    client.put(f"/v2/layouts/{layout['layoutId']}", json={"name": f"Listed {tag}", "controlValues": values})
    listed = client.get("/v2/layouts", params={"query": tag}).json()["data"]["layouts"][0]
    assert listed["controls"].get("values") in ({}, None) and listed["variables"] == {}
    assert client.get(f"/v2/layouts/{layout['layoutId']}").json()["data"]["controls"]["values"]["email"]["body"] == html


@pytest.mark.parametrize(
    ("method", "suffix", "body", "field"),
    [("post", "", {"layoutId": f"{PREFIX}x"}, "name"), ("post", "", {"name": "No id"}, "layoutId"),
     ("put", "/{id}", {}, "name"), ("post", "/{id}/duplicate", {}, "name")],
)  # fmt: skip
def test_layout_bodies_need_their_strings(client, made_layouts, method, suffix, body, field) -> None:
    """layouts-v2/dtos/create-layout.dto.ts (layoutId and name IsString), update-layout.dto.ts and
    duplicate-layout.dto.ts (name IsString): a missing one is 422."""
    layout = made_layouts("Needs strings")
    response = client.request(method.upper(), "/v2/layouts" + suffix.format(id=layout["layoutId"]), json=body)
    assert response.status_code == 422 and field in response.json()["errors"]


def test_layout_delete_is_204_without_a_body(client, made_layouts) -> None:
    """layouts-v2/layouts.controller.ts delete: @HttpCode(NO_CONTENT); the layout is gone after."""
    layout = made_layouts("Deleted")
    response = client.delete(f"/v2/layouts/{layout['layoutId']}")
    assert response.status_code == 204 and response.content == b""
    assert client.get(f"/v2/layouts/{layout['layoutId']}").status_code == 404


def test_layout_create_answers_its_control_schemas_and_no_values(made_layouts) -> None:
    """layouts-v2/e2e/upsert-layout.e2e.ts 'should create a new layout successfully': controls.values
    {}, controls.uiSchema and controls.dataSchema, variables an object."""
    layout = made_layouts("With schemas")
    assert layout["controls"]["values"] == {}
    assert isinstance(layout["controls"]["uiSchema"], dict) and isinstance(layout["controls"]["dataSchema"], dict)
    assert isinstance(layout["variables"], dict)


def test_the_first_layout_of_an_environment_is_its_default(new_environment) -> None:  # noqa: F811
    """layouts-v2/e2e/upsert-layout.e2e.ts: 'should create first layout as default and not set the
    second layout' (an environment with a default already keeps it)."""
    _, own = new_environment
    existing = own.get("/v2/layouts", params={"limit": 100}).json()["data"]["layouts"]
    had_default = any(item["isDefault"] for item in existing)
    first = own.post("/v2/layouts", json={"layoutId": f"{PREFIX}first-{_tag()}", "name": "First"}).json()["data"]
    second = own.post("/v2/layouts", json={"layoutId": f"{PREFIX}second-{_tag()}", "name": "Second"}).json()["data"]
    assert (first["isDefault"], second["isDefault"]) == (not had_default, False)


def test_layout_update_with_empty_control_values_clears_them(client, made_layouts) -> None:
    """layouts-v2/e2e/upsert-layout.e2e.ts: 'should delete control values when set to null'
    (the test sends controlValues {}): the values are {} after."""
    layout = made_layouts("Cleared")
    path = f"/v2/layouts/{layout['layoutId']}"
    values = {"email": {"body": "<html><body>{{content}}</body></html>", "editorType": "html"}}
    client.put(path, json={"name": "Cleared", "controlValues": values})
    cleared = client.put(path, json={"name": "Cleared", "controlValues": {}})
    assert cleared.status_code == 200 and cleared.json()["data"]["controls"]["values"] == {}


@pytest.mark.parametrize("email", [{"body": "Invalid HTML without content variable", "editorType": "html"},
                                   {"body": "Invalid JSON content", "editorType": "block"}])  # fmt: skip
def test_layout_preview_never_refuses_a_body(client, made_layouts, email) -> None:
    """layouts-v2/e2e/preview-layout.e2e.ts 'should handle invalid HTML/JSON content gracefully' and
    usecases/preview-layout/preview-layout.usecase.ts (a failing render answers {type: email}): 201."""
    layout = made_layouts("Previewed")
    answer = client.post(f"/v2/layouts/{layout['layoutId']}/preview", json={"controlValues": {"email": email}})
    assert answer.status_code == 201 and answer.json()["data"]["result"]["type"] == "email"


def test_layout_preview_echoes_the_subscriber_of_the_payload(client, made_layouts) -> None:
    """layouts-v2/e2e/preview-layout.e2e.ts 'should preview with both custom control values and
    payload': previewPayloadExample.subscriber is the one given."""
    layout = made_layouts("Payload")
    subscriber = {"avatar": "https://example.com/avatar.png", "data": {}, "firstName": "Jane", "lastName": "Smith",
                  "email": "jane.smith@example.com", "locale": "en-US", "phone": "+1234567890"}  # fmt: skip
    html = (
        '<html><body><h1>Hello {{subscriber.firstName}}</h1><div class="main-content">{{content}}</div></body></html>'
    )
    controls = {"email": {"body": html, "editorType": "html"}}
    answer = client.post(
        f"/v2/layouts/{layout['layoutId']}/preview",
        json={"controlValues": controls, "previewPayload": {"subscriber": subscriber}},
    )
    data = answer.json()["data"]
    body = data["result"]["preview"]["body"]
    assert "<h1>Hello Jane</h1>" in body and "main-content" in body
    assert data["previewPayloadExample"]["subscriber"] == subscriber


def test_layout_usage_lists_each_workflow_once(client, made_layouts) -> None:
    """layouts-v2/usecases/get-layout-usage/get-layout-usage.usecase.ts: the step controls naming the
    layout's identifier as layoutId, one {name, workflowId} per workflow however many steps use it."""
    layout = made_layouts("Used")
    workflow_id = f"{PREFIX}uses-{_tag()}"
    controls = {"subject": "Hello", "body": "Body", "layoutId": layout["layoutId"]}
    steps = [{"name": f"Email {number}", "type": "email", "controlValues": controls} for number in (1, 2)]
    made = client.post("/v2/workflows", json={"name": "Uses a layout", "workflowId": workflow_id, "steps": steps})
    assert made.status_code == 201, made.text
    try:
        usage = client.get(f"/v2/layouts/{layout['layoutId']}/usage").json()["data"]
        assert usage == {"workflows": [{"name": "Uses a layout", "workflowId": workflow_id}]}
    finally:
        client.delete(f"/v2/workflows/{workflow_id}")
